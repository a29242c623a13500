import type { CompiledErrorRule } from '../mapping/mapping-types.js';
import { ScimError, scimErrors } from '../scim/errors.js';
import type { UpstreamResponse } from './upstream-client.js';

const MAX_DETAIL_LENGTH = 300;

/**
 * A failure the app reported in a 2xx answer (`{"ok": false}`), matched by an error rule. The app
 * answered and may have applied part of the write: such a failure is never retried, and a status
 * its rule chose (409, 404) never counts as "already so" the way the app's own 409 or 404 does.
 */
export class AnsweredFailure extends ScimError {}

/** Whether `error` is a failure the app reported in a 2xx answer. */
export function isAnsweredFailure(error: unknown): boolean {
  return error instanceof AnsweredFailure;
}

/**
 * Turns an app's failure into a SCIM error through one table: the mapping's rules (resource
 * rules, then app-wide rules) first, then the defaults below. The IdP only ever sees a short
 * message taken from a JSON body: never an HTML page, a stack trace or raw bytes.
 */
export async function translateUpstreamError(
  response: UpstreamResponse,
  rules: CompiledErrorRule[],
  operation: string,
): Promise<ScimError | undefined> {
  const bindings = { status: response.status, headers: response.headers };
  const answered = response.status >= 200 && response.status < 300;
  for (const rule of rules) {
    if (!rule.statuses.has(response.status)) continue;
    if (rule.when && !truthy(await rule.when.evaluate(response.body ?? {}, bindings))) continue;
    const detail = rule.detail ? await rule.detail.evaluate(response.body ?? {}, bindings) : undefined;
    const status = rule.scimStatus ?? defaultStatus(response.status);
    const message = cleanDetail(detail) ?? describe(response, operation);
    return new (answered ? AnsweredFailure : ScimError)(
      status,
      message,
      rule.scimType ?? defaultScimType(status),
      retryAfterSeconds(response),
    );
  }
  if (response.status >= 200 && response.status < 300) return undefined;
  return defaultError(response, operation);
}

function defaultError(response: UpstreamResponse, operation: string): ScimError {
  const message = describe(response, operation);
  const status = response.status;
  if (status === 404) return scimErrors.notFound(message);
  if (status === 409) return scimErrors.uniqueness(message);
  if (status === 400 || status === 422 || status === 413) return scimErrors.invalidValue(message);
  if (status === 401 || status === 403) {
    return scimErrors.badGateway(
      `The app refused the adapter's credentials (HTTP ${status}) during ${operation}`,
    );
  }
  if (status === 429) return scimErrors.tooManyRequests(message, retryAfterSeconds(response) ?? 30);
  if (status === 503) return scimErrors.unavailable(message, retryAfterSeconds(response) ?? 30);
  if (status === 504) return scimErrors.gatewayTimeout(message);
  return scimErrors.badGateway(message);
}

function defaultStatus(upstream: number): number {
  if (upstream === 404 || upstream === 409 || upstream === 429 || upstream === 503 || upstream === 504)
    return upstream;
  if (upstream >= 400 && upstream < 500) return 400;
  return 502;
}

function defaultScimType(status: number): ScimError['scimType'] {
  if (status === 409) return 'uniqueness';
  if (status === 400) return 'invalidValue';
  return undefined;
}

/** "The app rejected <op> (HTTP 422): Login has already been taken". */
function describe(response: UpstreamResponse, operation: string): string {
  const base = `The app rejected ${operation} (HTTP ${response.status})`;
  const detail = cleanDetail(extractMessage(response.body));
  return detail ? `${base}: ${detail}` : base;
}

/** Common places legacy apps put a human message in a JSON error body. */
function extractMessage(body: unknown): unknown {
  if (typeof body === 'string') return body;
  if (typeof body !== 'object' || body === null) return undefined;
  const record = body as Record<string, unknown>;
  for (const key of ['message', 'error_description', 'detail', 'errors', 'error', 'title']) {
    const value = record[key];
    if (typeof value === 'string' && value.length > 0) return value;
    if (Array.isArray(value)) {
      const parts = value
        .map((v) => (typeof v === 'string' ? v : extractMessage(v)))
        .filter((v) => typeof v === 'string');
      if (parts.length > 0) return parts.join('; ');
    }
    if (typeof value === 'object' && value !== null) {
      const nested = extractMessage(value);
      if (nested !== undefined) return nested;
    }
  }
  return undefined;
}

function cleanDetail(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  const text = value.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  if (text.length === 0 || /<\s*(html|body|!doctype)/i.test(text)) return undefined;
  return text.length > MAX_DETAIL_LENGTH ? `${text.slice(0, MAX_DETAIL_LENGTH)}…` : text;
}

/** Retry-After as seconds (RFC 9110 §10.2.3: delay-seconds or an HTTP date). */
export function retryAfterSeconds(response: UpstreamResponse): number | undefined {
  const header = response.headers['retry-after'];
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim());
  // HTTP dates (IMF-fixdate, RFC 850, asctime) name a day or month; Date.parse alone would
  // also accept "-5" or "1.5".
  if (!/[A-Za-z]{3}/.test(header)) return undefined;
  const date = Date.parse(header);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

function truthy(value: unknown): boolean {
  return value !== undefined && value !== null && value !== false && value !== '' && value !== 0;
}
