import { Agent, type Dispatcher, request } from 'undici';
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
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly authHeaders: Record<string, string>;
  private readonly timeoutMs: number;

  constructor(options: UpstreamClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
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
    const search = new URLSearchParams(req.query).toString();
    return `${this.baseUrl}${req.path}${search ? `?${search}` : ''}`;
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

  /** Sends one attempt; `timeoutMs` (default: the configured timeout) bounds headers and body. */
  async send(req: UpstreamRequest, timeoutMs = this.timeoutMs): Promise<UpstreamResponse> {
    const url = this.url(req);
    const timeout = Math.max(1, Math.min(timeoutMs, this.timeoutMs));
    try {
      const response = await request(url, {
        method: req.method,
        headers: this.headers(req),
        body: req.body === undefined ? null : JSON.stringify(req.body),
        dispatcher: this.dispatcher,
        headersTimeout: timeout,
        bodyTimeout: timeout,
        signal: AbortSignal.timeout(timeout),
      });
      const text = await readLimited(response.body);
      return { status: response.statusCode, headers: flattenHeaders(response.headers), ...parseBody(text) };
    } catch (error) {
      throw transportFailure(error, req.method, req.path);
    }
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }
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

async function readLimited(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    size += buffer.length;
    if (size > MAX_RESPONSE_BYTES) {
      body.destroy();
      throw Object.assign(new Error('upstream response too large'), {
        code: 'SCIM_SIDECAR_RESPONSE_TOO_LARGE',
      });
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
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
