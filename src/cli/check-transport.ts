import { readFileSync, writeFileSync } from 'node:fs';
import { Agent, type Dispatcher, MockAgent } from 'undici';

/** One call the adapter made to the app, and what the app answered (or why nothing came back). */
export interface AppExchange {
  /** The check step that made the call (1-based); 0 for cleanup. */
  step: number;
  request: {
    method: string;
    /** Origin of the app, e.g. `http://127.0.0.1:3300`. */
    origin: string;
    /** Path with its query string, as sent. */
    path: string;
    /** Parsed JSON (credential-like fields redacted), the raw text otherwise; absent without a body. */
    body?: unknown;
  };
  response?: {
    status: number;
    /** Lower-cased names; cookies are never kept. */
    headers: Record<string, string>;
    /** Parsed JSON when the body is JSON. */
    json?: unknown;
    /** The raw text when it is not JSON. */
    text?: string;
  };
  /** The transport failure when the app gave no answer. */
  error?: string;
  durationMs: number;
}

/** What `--record` writes and `--replay` reads. */
export interface CheckRecording {
  format: typeof RECORDING_FORMAT;
  app: string;
  /** The app's base URL when recorded; a replay answers there. */
  baseUrl: string;
  recordedAt: string;
  /** The names the cycle used, so a replay sends the app the same requests. */
  cycle: { suffix: string };
  exchanges: AppExchange[];
}

export const RECORDING_FORMAT = 'scim-sidecar check recording 1';

/**
 * Credential-like fields of request and answer bodies (a password the mapping sends, the API key
 * an app hands out with a new user) are printed and recorded as this; in a replay a redacted
 * field of a request matches any value. Paging tokens and cursors are not credentials.
 */
const REDACTED = '[redacted]';
const SECRET_FIELD = /pass(word)?$|passwd|secret|api_?key|private_?key|(access|refresh|id|auth)_?token/i;
/** Response headers that describe one connection or one transfer; a replay makes its own. */
const TRANSFER_HEADERS = new Set([
  'set-cookie',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'content-encoding',
]);

/** The transport of a check: where the adapter's calls go, and what they were. */
export interface CheckTransport {
  readonly dispatcher: Dispatcher;
  /** Every call so far, in the order they were sent. */
  readonly exchanges: AppExchange[];
  /** The step the next calls belong to. */
  step: number;
  /** For a replay: calls the recording did not hold, or recorded calls never made. */
  readonly divergences: string[];
  /** For a replay: report the recorded calls of `step` that were not made. */
  finishStep(step: number): void;
  close(): Promise<void>;
}

/**
 * Calls go to the real app through an undici Agent; every request and its whole answer are kept
 * (at the dispatcher, so retries and parallel reads are seen as sent).
 */
export function liveTransport(timeoutMs: number): CheckTransport {
  const agent = new Agent({ connect: { timeout: timeoutMs } });
  const transport: CheckTransport = {
    exchanges: [],
    step: 0,
    divergences: [],
    finishStep: () => {},
    dispatcher: agent.compose((dispatch) => (options, handler) => {
      const exchange = startExchange(transport.step, options);
      transport.exchanges.push(exchange);
      return dispatch(options, new Tap(handler, exchange));
    }),
    close: () => agent.close(),
  };
  return transport;
}

/**
 * Calls are answered from a recording, by an undici MockAgent: no app is contacted. Each call must
 * match a recorded call of the same step (method, path with query, body; credential-like fields
 * match anything); a call the recording lacks is answered 500 and reported.
 */
export function replayTransport(recording: CheckRecording): CheckTransport {
  const agent = new MockAgent();
  agent.disableNetConnect();
  const used = new Set<AppExchange>();
  const transport: CheckTransport = {
    exchanges: [],
    step: 0,
    divergences: [],
    dispatcher: agent,
    finishStep(step) {
      const missed = recording.exchanges.filter((e) => e.step === step && !used.has(e));
      const [first] = missed;
      if (!first) return;
      const more = missed.length > 1 ? ` and ${missed.length - 1} more` : '';
      transport.divergences.push(
        `step ${step}: this run did not send ${describe(first)}${more} of the recording`,
      );
      for (const e of missed) used.add(e);
    },
    close: () => agent.close(),
  };
  const origins = new Set(recording.exchanges.map((e) => e.request.origin));
  for (const origin of origins) {
    agent
      .get(origin)
      .intercept({ path: () => true, method: () => true })
      .reply((options) => {
        const started = performance.now();
        const exchange = startExchange(transport.step, { ...options, origin });
        transport.exchanges.push(exchange);
        const match = recording.exchanges.find(
          (e) => e.step === transport.step && !used.has(e) && sameRequest(e, exchange),
        );
        if (match?.error !== undefined) {
          used.add(match);
          exchange.error = match.error;
          // As the app did: no answer at all (ECONNREFUSED, a reset, a timeout).
          throw Object.assign(new Error(`recorded transport failure: ${match.error}`), { code: match.error });
        }
        if (!match?.response) {
          transport.divergences.push(
            `step ${transport.step}: ${divergence(exchange, recording, transport.step, used)}`,
          );
          const text = `scim-sidecar check --replay: no recorded answer for ${exchange.request.method} ${exchange.request.path}`;
          exchange.response = { status: 500, headers: { 'content-type': 'text/plain' }, text };
          exchange.durationMs = Math.round(performance.now() - started);
          return { statusCode: 500, data: text, responseOptions: { headers: exchange.response.headers } };
        }
        used.add(match);
        exchange.response = match.response;
        exchange.durationMs = Math.round(performance.now() - started);
        const { json, text, status, headers } = match.response;
        const data = json !== undefined ? JSON.stringify(json) : (text ?? '');
        return { statusCode: status, data, responseOptions: { headers } };
      })
      .persist();
  }
  return transport;
}

export function readRecording(file: string): CheckRecording {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file} is not a recording: ${error instanceof Error ? error.message : String(error)}`);
  }
  const recording = data as Partial<CheckRecording>;
  if (recording.format !== RECORDING_FORMAT || !Array.isArray(recording.exchanges) || !recording.cycle) {
    throw new Error(`${file} is not a recording of scim-sidecar check (format "${RECORDING_FORMAT}")`);
  }
  return recording as CheckRecording;
}

export function writeRecording(file: string, recording: CheckRecording): void {
  writeFileSync(file, `${JSON.stringify(recording, null, 2)}\n`);
}

/** `POST /api/accounts {"account":…}` */
export function describe(exchange: AppExchange): string {
  const body =
    exchange.request.body === undefined ? '' : ` ${shorten(JSON.stringify(exchange.request.body))}`;
  return `${exchange.request.method} ${exchange.request.path}${body}`;
}

function shorten(text: string, max = 120): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function startExchange(
  step: number,
  options: { method?: string; origin?: string | URL | undefined; path: string; body?: unknown },
): AppExchange {
  const body = parseBody(bodyText(options.body));
  return {
    step,
    request: {
      method: (options.method ?? 'GET').toUpperCase(),
      origin: options.origin === undefined ? '' : new URL(String(options.origin)).origin,
      path: options.path,
      ...(body !== undefined ? { body: redact(body) } : {}),
    },
    durationMs: 0,
  };
}

/**
 * Why a call has no recorded answer: the recorded call of the same method and path with the
 * first body difference (that call then counts as seen), or the next call the recording holds.
 */
function divergence(
  sent: AppExchange,
  recording: CheckRecording,
  step: number,
  used: Set<AppExchange>,
): string {
  const unused = recording.exchanges.filter((e) => e.step === step && !used.has(e));
  const { method, path } = sent.request;
  const twin = unused.find((e) => e.request.method === method && e.request.path === path);
  if (twin) {
    used.add(twin);
    const where = firstDifference(twin.request.body, sent.request.body, '');
    return `${method} ${path} was sent with another body than recorded: ${where}`;
  }
  const next = unused[0];
  return `this run sent ${describe(sent)}, which the recording does not hold${next ? ` (next recorded: ${describe(next)})` : ''}`;
}

/** `account.title is "TESTER", the recording has "Tester"`. */
function firstDifference(recorded: unknown, sent: unknown, at: string): string {
  if (isObject(recorded) && isObject(sent)) {
    for (const key of new Set([...Object.keys(recorded), ...Object.keys(sent)])) {
      if (!sameValue(recorded[key], sent[key]))
        return firstDifference(recorded[key], sent[key], at === '' ? key : `${at}.${key}`);
    }
  }
  const show = (v: unknown) => (v === undefined ? 'absent' : shorten(JSON.stringify(v)));
  return `${at === '' ? 'the body' : at} is ${show(sent)}, the recording has ${show(recorded)}`;
}

function sameRequest(recorded: AppExchange, sent: AppExchange): boolean {
  const a = recorded.request;
  const b = sent.request;
  return a.method === b.method && a.path === b.path && sameValue(a.body, b.body);
}

/** Deep equality in which a redacted value matches any value. */
function sameValue(recorded: unknown, sent: unknown): boolean {
  if (recorded === REDACTED || sent === REDACTED) return true;
  if (Array.isArray(recorded) && Array.isArray(sent))
    return recorded.length === sent.length && recorded.every((v, i) => sameValue(v, sent[i]));
  if (isObject(recorded) && isObject(sent)) {
    const keys = new Set([...Object.keys(recorded), ...Object.keys(sent)]);
    return [...keys].every((k) => sameValue(recorded[k], sent[k]));
  }
  return recorded === sent;
}

function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      SECRET_FIELD.test(k) && v !== undefined ? REDACTED : redact(v),
    ]),
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function bodyText(raw: unknown): string | undefined {
  if (raw === null || raw === undefined) return undefined;
  if (typeof raw === 'string') return raw;
  if (raw instanceof Uint8Array) return Buffer.from(raw).toString('utf8');
  return String(raw);
}

function parseBody(text: string | undefined): unknown {
  if (text === undefined || text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Passes every event on unchanged, keeping the status, headers and body of the answer. */
class Tap implements Dispatcher.DispatchHandler {
  private readonly chunks: Buffer[] = [];
  private readonly started = performance.now();

  constructor(
    private readonly inner: Dispatcher.DispatchHandler,
    private readonly exchange: AppExchange,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.inner.onRequestStart?.(controller, context);
  }

  onRequestUpgrade(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
    socket: import('node:stream').Duplex,
  ): void {
    this.inner.onRequestUpgrade?.(controller, statusCode, headers, socket);
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
    statusMessage?: string,
  ): void {
    const kept: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) {
      const lower = name.toLowerCase();
      if (value === undefined || TRANSFER_HEADERS.has(lower)) continue;
      kept[lower] = Array.isArray(value) ? value.join(', ') : value;
    }
    this.exchange.response = { status: statusCode, headers: kept };
    this.inner.onResponseStart?.(controller, statusCode, headers, statusMessage);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.chunks.push(chunk);
    this.inner.onResponseData?.(controller, chunk);
  }

  onResponseEnd(
    controller: Dispatcher.DispatchController,
    trailers: Record<string, string | string[] | undefined>,
  ): void {
    this.exchange.durationMs = Math.round(performance.now() - this.started);
    const text = Buffer.concat(this.chunks).toString('utf8');
    if (this.exchange.response && text !== '') {
      const parsed = parseBody(text);
      if (typeof parsed === 'string') this.exchange.response.text = text;
      else this.exchange.response.json = redact(parsed);
    }
    this.inner.onResponseEnd?.(controller, trailers);
  }

  onResponseError(controller: Dispatcher.DispatchController, error: Error): void {
    this.exchange.durationMs = Math.round(performance.now() - this.started);
    this.exchange.error = (error as { code?: string }).code ?? error.message;
    this.inner.onResponseError?.(controller, error);
  }
}
