/**
 * Invariants every SCIM answer and every mapped upstream call must satisfy, whatever the input:
 * shared by the hostile-input (fuzz) and fault-injection suites.
 */

import { SCIM_ERROR_SCHEMA, type UpstreamCall } from './sidecar.js';

/** What a SCIM answer looks like to the checks below (an inject result or a real HTTP answer). */
export interface AnswerLike {
  status: number;
  /** The raw body text. */
  text: string;
  header(name: string): string | undefined;
}

const SCIM_JSON = /^application\/scim\+json/i;
/** Traces of a stack trace or of the source tree leaking into a detail. */
const STACK_TRACE = /\n\s*at\s|\bat\s+\S+\s+\(|node_modules|\.(ts|js):\d+|file:\/\//;
const HTML = /<\s*(html|body|!doctype|head|title|h1|pre)\b/i;

/**
 * Why this answer is not a proper RFC 7644 §3.12 error, or undefined when it is one (or when it
 * is not an error at all). Checks the media type, the Error URN, `status` as a string equal to
 * the HTTP status, a string `detail`, no HTML and no stack trace; 429 and 503 must say when to
 * come back (Retry-After).
 */
export function scimErrorViolation(answer: AnswerLike): string | undefined {
  if (answer.status < 400) return undefined;
  const type = answer.header('content-type') ?? '';
  if (!SCIM_JSON.test(type)) return `content-type "${type}" is not application/scim+json`;
  let body: unknown;
  try {
    body = JSON.parse(answer.text) as unknown;
  } catch {
    return `body is not JSON: ${answer.text.slice(0, 120)}`;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'body is not an object';
  const record = body as Record<string, unknown>;
  const schemas = record.schemas;
  if (!Array.isArray(schemas) || schemas.length !== 1 || schemas[0] !== SCIM_ERROR_SCHEMA) {
    return `schemas is ${JSON.stringify(schemas)}, not the Error URN`;
  }
  if (record.status !== String(answer.status)) {
    return `status field ${JSON.stringify(record.status)} does not equal the HTTP status ${answer.status}`;
  }
  if (typeof record.detail !== 'string' || record.detail === '') return 'detail is missing';
  if (HTML.test(record.detail)) return `detail carries HTML: ${record.detail.slice(0, 120)}`;
  if (STACK_TRACE.test(record.detail)) return `detail carries a stack trace: ${record.detail.slice(0, 200)}`;
  if (answer.status === 429 || answer.status === 503) {
    const retryAfter = answer.header('retry-after');
    if (retryAfter === undefined || !/^\d+$/.test(retryAfter.trim())) {
      return `${answer.status} without a Retry-After in seconds (got ${JSON.stringify(retryAfter)})`;
    }
  }
  return undefined;
}

/**
 * The calls mappings/demo.yaml declares, as method + path shape. Ids in the app are digits; the
 * query may only carry the paging and push-down parameters the mapping names.
 */
const DEMO_ROUTES: Array<{ method: string; path: RegExp; query: readonly string[] }> = [
  { method: 'GET', path: /^\/api\/health$/, query: [] },
  { method: 'GET', path: /^\/api\/accounts$/, query: ['offset', 'limit', 'login'] },
  { method: 'POST', path: /^\/api\/accounts$/, query: [] },
  { method: 'GET', path: /^\/api\/accounts\/\d+$/, query: [] },
  { method: 'PUT', path: /^\/api\/accounts\/\d+$/, query: [] },
  { method: 'DELETE', path: /^\/api\/accounts\/\d+$/, query: [] },
  { method: 'POST', path: /^\/api\/accounts\/\d+\/(enable|disable)$/, query: [] },
  { method: 'GET', path: /^\/api\/teams$/, query: ['offset', 'limit', 'name'] },
  { method: 'POST', path: /^\/api\/teams$/, query: [] },
  { method: 'GET', path: /^\/api\/teams\/\d+$/, query: [] },
  { method: 'PUT', path: /^\/api\/teams\/\d+$/, query: [] },
  { method: 'DELETE', path: /^\/api\/teams\/\d+$/, query: [] },
  { method: 'POST', path: /^\/api\/teams\/\d+\/members$/, query: [] },
  { method: 'DELETE', path: /^\/api\/teams\/\d+\/members\/\d+$/, query: [] },
];

/**
 * Why this upstream call is not one mappings/demo.yaml declares, or undefined when it is.
 * The raw path and query are checked before decoding: no CR/LF, no NUL, no dot segments.
 */
export function demoUpstreamViolation(call: UpstreamCall): string | undefined {
  const target = `${call.method} ${call.path}${call.search ? `?${call.search}` : ''}`;
  const shown = JSON.stringify(target.slice(0, 200));
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is looked for
  if (/[\u0000-\u001f\u007f\s]/.test(call.path) || /[\u0000-\u001f\u007f]/.test(call.search)) {
    return `control character or whitespace in the URL: ${shown}`;
  }
  if (/(^|\/)(\.|%2e){1,2}(\/|$)/i.test(call.path)) return `dot segment in the path: ${shown}`;
  const route = DEMO_ROUTES.find((r) => r.method === call.method && r.path.test(call.path));
  if (!route) return `undeclared call: ${shown}`;
  for (const [name] of call.query) {
    if (!route.query.includes(name)) return `undeclared query parameter "${name}": ${shown}`;
  }
  return undefined;
}

/** Counts answers by status for the closing report. */
export class StatusTally {
  private readonly counts = new Map<number, number>();

  add(status: number): void {
    this.counts.set(status, (this.counts.get(status) ?? 0) + 1);
  }

  get total(): number {
    let sum = 0;
    for (const n of this.counts.values()) sum += n;
    return sum;
  }

  /** `200×12 400×30 404×5`, statuses in order. */
  toString(): string {
    return [...this.counts.entries()]
      .sort(([a], [b]) => a - b)
      .map(([status, n]) => `${status}×${n}`)
      .join(' ');
  }
}

/** The own property names of Object.prototype, to detect prototype pollution. */
export function prototypeKeys(): string[] {
  return Object.getOwnPropertyNames(Object.prototype).sort();
}
