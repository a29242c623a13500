import type { Expression } from '../mapping/expression.js';
import type { CompiledOperation } from '../mapping/mapping-types.js';
import { scimErrors } from '../scim/errors.js';
import type { UpstreamRequest } from './upstream-client.js';

/**
 * What request expressions see as their input. `app` is the mapped app record (fromScim),
 * `scim` the SCIM resource; list calls add paging values, filter push-down adds `value`.
 */
export interface RenderInput {
  appId?: string;
  memberAppId?: string;
  value?: unknown;
  app?: unknown;
  scim?: unknown;
  /** 0-based offset, 1-based page number and page size, for list calls. */
  offset?: number;
  page?: number;
  limit?: number;
  [name: string]: unknown;
}

/**
 * Renders an operation into the exact request the app will receive (minus the adapter's
 * credentials). `bindings` are the variables its expressions see besides the input (`$lookups`).
 */
export async function renderRequest(
  operation: CompiledOperation,
  input: RenderInput,
  extraQuery: Array<[string, Expression]> = [],
  pathOverride?: string,
  bindings?: Readonly<Record<string, unknown>>,
): Promise<UpstreamRequest> {
  const path = fillPath(pathOverride ?? operation.path, input, operation.name);
  // A push-down's parameters replace the call's own of the same name: sent twice, most apps
  // read the first one and match nothing (a silent "no match", and the IdP creates a duplicate).
  const replaced = new Set(extraQuery.map(([name]) => name));
  const own = operation.query.filter(([name]) => !replaced.has(name));
  const query = [
    ...(await renderPairs(own, input, bindings)),
    ...(await renderPairs(extraQuery, input, bindings)),
  ];
  const headers = Object.fromEntries(
    (await renderPairs(operation.headers, input, bindings)).map(checkHeader),
  );
  const body = operation.body ? await operation.body.evaluate(input, bindings) : undefined;
  return { method: operation.method, path, query, headers, body };
}

/** Placeholders are filled with URL-encoded values, so a value can never leave its path segment. */
export function fillPath(template: string, input: RenderInput, operation: string): string {
  return template.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    const value = input[name];
    if (value === undefined || value === null || value === '') {
      throw scimErrors.internal(`Operation ${operation} needs {${name}} but it has no value`);
    }
    return encodePathSegment(String(value));
  });
}

/**
 * URL-encodes one path segment. `.` and `..` cannot be encoded safely (URL parsers treat `%2E%2E`
 * as `..` too), so a value made only of dots is refused instead of reaching the app.
 */
export function encodePathSegment(value: string): string {
  if (/^(\.|%2e)+$/i.test(value)) throw scimErrors.invalidValue(`"${value}" is not a usable identifier`);
  return encodeURIComponent(value);
}

/**
 * A header value may hold tabs, visible ASCII and Latin-1 (RFC 9110 §5.5); a value mapped from
 * SCIM input with CR, LF, other controls or wider characters is the caller's error (400), not
 * the app's (it would never be sent).
 */
function checkHeader([name, value]: [string, string]): [string, string] {
  if (/[^\t\x20-\x7e\x80-\xff]/.test(value))
    throw scimErrors.invalidValue(
      `The value mapped to the ${name} header holds characters a header cannot carry`,
    );
  return [name, value];
}

async function renderPairs(
  pairs: Array<[string, Expression]>,
  input: RenderInput,
  bindings: Readonly<Record<string, unknown>> | undefined,
): Promise<Array<[string, string]>> {
  const out: Array<[string, string]> = [];
  for (const [name, expression] of pairs) {
    const value = await expression.evaluate(input, bindings);
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) {
      for (const item of value) out.push([name, scalarToString(item)]);
    } else {
      out.push([name, scalarToString(value)]);
    }
  }
  return out;
}

function scalarToString(value: unknown): string {
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}
