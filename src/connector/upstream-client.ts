import { Agent, type Dispatcher } from 'undici';
import type { UpstreamAuthConfig } from '../config/deployment-config.js';
import type { HttpMethod } from '../mapping/mapping-types.js';
import { transportFailure } from './transport-errors.js';

/** A fully rendered call to the app, before the adapter's credentials are added. */
export interface UpstreamRequest {
  method: HttpMethod;
  /** Path below the base URL, already encoded, without the query string. */
  path: string;
  query: Array<[string, string]>;
  headers: Record<string, string>;
  body: unknown;
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON, or undefined when the body was empty or not JSON. */
  body: unknown;
  /** True when the body was present but could not be parsed as JSON (HTML error pages, truncation). */
  unparsable: boolean;
}

export interface UpstreamClientOptions {
  baseUrl: string;
  auth: UpstreamAuthConfig;
  timeoutMs: number;
  concurrency: number;
  /** Injected in tests (undici MockAgent); a pooled Agent otherwise. */
  dispatcher?: Dispatcher;
}

/** Responses larger than this are cut off: a legacy app answering with megabytes is a fault. */
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/** The only code that talks HTTP to the app for mapped operations. */
export class UpstreamClient {
  readonly baseUrl: string;
  private readonly origin: string;
  /** The base URL's path (an app mounted below `/`), prefixed to every call's path. */
  private readonly basePath: string;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly authHeaders: Record<string, string>;
  private readonly timeoutMs: number;

  constructor(options: UpstreamClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    const base = new URL(this.baseUrl);
    this.origin = base.origin;
    this.basePath = base.pathname.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs;
    this.ownsDispatcher = options.dispatcher === undefined;
    this.dispatcher =
      options.dispatcher ??
      new Agent({
        connections: options.concurrency,
        connect: { timeout: options.timeoutMs },
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
      });
    this.authHeaders = authHeaders(options.auth);
  }

  /** The URL a request goes to (also used by dry-run). */
  url(req: Pick<UpstreamRequest, 'path' | 'query'>): string {
    return `${this.baseUrl}${req.path}${querySuffix(req.query)}`;
  }

  /** The headers actually sent, including the adapter's credentials. */
  headers(req: UpstreamRequest): Record<string, string> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...req.headers,
      ...this.authHeaders,
    };
    if (req.body !== undefined) headers['content-type'] ??= 'application/json';
    return headers;
  }

  /**
   * Sends one attempt; `timeoutMs` (default: the configured timeout) bounds the whole call, from
   * waiting for a connection to the last byte of the answer.
   *
   * Straight `dispatch` with one plain timer: undici's `request()` with an `AbortSignal.timeout`
   * cost more than twice as much CPU per call (a body stream, its async iterator, the signal's
   * listeners), which is most of what a PATCH adding thousands of members spends.
   */
  async send(req: UpstreamRequest, timeoutMs = this.timeoutMs): Promise<UpstreamResponse> {
    const timeout = Math.max(1, Math.min(timeoutMs, this.timeoutMs));
    try {
      const { status, headers, text } = await new Promise<RawResponse>((resolve, reject) => {
        this.dispatcher.dispatch(
          {
            origin: this.origin,
            path: `${this.basePath}${req.path}${querySuffix(req.query)}`,
            method: req.method,
            headers: this.headers(req),
            body: req.body === undefined ? null : JSON.stringify(req.body),
            headersTimeout: timeout,
            bodyTimeout: timeout,
          },
          new ResponseCollector(timeout, resolve, reject),
        );
      });
      return { status, headers: flattenHeaders(headers), ...parseBody(text) };
    } catch (error) {
      throw transportFailure(error, req.method, req.path);
    }
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }
}

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/**
 * Collects one answer, up to MAX_RESPONSE_BYTES, and settles once: with the answer, undici's
 * error, or the deadline's. On the deadline or an oversized answer the call is aborted (at once,
 * or when undici hands over its controller if the call is still waiting for a connection).
 */
class ResponseCollector implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private failure: Error | undefined;
  private settled = false;
  private status = 0;
  private headers: RawResponse['headers'] = {};
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    timeoutMs: number,
    private readonly resolve: (response: RawResponse) => void,
    private readonly reject: (error: Error) => void,
  ) {
    this.timer = setTimeout(
      () => this.fail(Object.assign(new Error('The operation timed out'), { name: 'TimeoutError' })),
      timeoutMs,
    );
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.failure) controller.abort(this.failure);
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: RawResponse['headers'],
  ): void {
    this.status = statusCode;
    this.headers = headers;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.size += chunk.length;
    if (this.size > MAX_RESPONSE_BYTES) {
      this.fail(
        Object.assign(new Error('upstream response too large'), { code: 'SCIM_SIDECAR_RESPONSE_TOO_LARGE' }),
      );
      return;
    }
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (this.settle()) {
      this.resolve({
        status: this.status,
        headers: this.headers,
        text: Buffer.concat(this.chunks).toString('utf8'),
      });
    }
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.settle()) this.reject(error);
  }

  private fail(error: Error): void {
    if (!this.settle()) return;
    this.failure = error;
    this.controller?.abort(error);
    this.reject(error);
  }

  /** True the first time: the caller settles the promise; later events are ignored. */
  private settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    clearTimeout(this.timer);
    return true;
  }
}

function querySuffix(query: Array<[string, string]>): string {
  if (query.length === 0) return '';
  const search = new URLSearchParams(query).toString();
  return search ? `?${search}` : '';
}

function authHeaders(auth: UpstreamAuthConfig): Record<string, string> {
  if (auth.header) return { [auth.header.name.toLowerCase()]: auth.header.value };
  if (auth.bearer) return { authorization: `Bearer ${auth.bearer}` };
  if (auth.basic) {
    const encoded = Buffer.from(`${auth.basic.username}:${auth.basic.password}`).toString('base64');
    return { authorization: `Basic ${encoded}` };
  }
  return {};
}

function parseBody(text: string): { body: unknown; unparsable: boolean } {
  if (text.trim() === '') return { body: undefined, unparsable: false };
  try {
    return { body: JSON.parse(text) as unknown, unparsable: false };
  } catch {
    return { body: undefined, unparsable: true };
  }
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
