import { isPlainObject } from '../scim/attributes.js';
import type { ScimResource } from '../scim/schema-types.js';
import { droppedAttributes, type RoundTripSchemas, withoutDropped } from '../service/round-trip.js';

/** What the adapter sets itself or never answers: not part of what a client writes and reads. */
const NOT_COMPARED = new Set(['schemas', 'id', 'meta', 'password']);
/** Values compared without regard to case (RFC 7643 §4.1.1 and §4.1.2: caseExact false). */
const CASE_INSENSITIVE = new Set(['username', 'emails.value']);

/** What a write should read back as, and what it carried that the mapping does not store. */
export interface Expectation {
  expected: ScimResource;
  notStored: string[];
}

/** The state a body should read back as: what it carried, less what the mapping does not store. */
export function expectationOf(written: ScimResource, schemas: RoundTripSchemas): Expectation {
  const notStored = droppedAttributes(written, schemas);
  const expected = withoutDropped(written, schemas);
  for (const key of NOT_COMPARED) delete expected[key];
  return { expected, notStored };
}

/**
 * The differences between what was written and what was read, one line per attribute:
 * `displayName: wrote "A", read "B"`. Attributes the read holds but the write did not name are
 * not differences. An empty list written (`members: []`) expects none read.
 */
export function differences(expected: ScimResource, actual: unknown): string[] {
  if (!isPlainObject(actual)) return ['nothing was read back'];
  const out: string[] = [];
  compareObject(expected, actual, '', out);
  return out;
}

function compareObject(
  expected: Record<string, unknown>,
  actual: Record<string, unknown>,
  prefix: string,
  out: string[],
): void {
  for (const [key, want] of Object.entries(expected)) {
    if (prefix === '' && NOT_COMPARED.has(key)) continue;
    // An extension attribute is written `urn:…:User:department`.
    const path =
      prefix === ''
        ? key
        : key.startsWith('urn:')
          ? key
          : `${prefix}${prefix.startsWith('urn:') ? ':' : '.'}${key}`;
    const actualKey = Object.keys(actual).find((k) => k.toLowerCase() === key.toLowerCase());
    const got = actualKey === undefined ? undefined : actual[actualKey];
    if (Array.isArray(want)) compareList(want, got, path, out);
    else if (isPlainObject(want)) {
      if (isPlainObject(got)) compareObject(want, got, path, out);
      else out.push(`${path}: wrote ${show(want)}, read ${show(got)}`);
    } else if (!sameScalar(want, got, path)) {
      const caseOnly =
        typeof want === 'string' && typeof got === 'string' && want.toLowerCase() === got.toLowerCase();
      out.push(`${path}: wrote ${show(want)}, read ${show(got)}${caseOnly ? ' (differs in case only)' : ''}`);
    }
  }
}

/**
 * Multi-valued attributes: each element written must be read, matched by its `value` (emails,
 * members), and the sub-attributes it was written with must read the same.
 */
function compareList(want: unknown[], got: unknown, path: string, out: string[]): void {
  const read = Array.isArray(got) ? got : got === undefined ? [] : [got];
  if (want.length === 0) {
    if (read.length > 0) out.push(`${path}: wrote none, read ${show(read)}`);
    return;
  }
  for (const element of want) {
    if (!isPlainObject(element)) {
      if (!read.some((r) => sameScalar(element, r, path)))
        out.push(`${path}: wrote ${show(element)}, read ${show(got)}`);
      continue;
    }
    const key = element.value;
    const match =
      key === undefined
        ? read[0]
        : read.find((r) => isPlainObject(r) && sameScalar(key, r.value, `${path}.value`));
    if (!isPlainObject(match)) {
      out.push(`${path}: wrote ${show(element)}, read ${show(got)}`);
      continue;
    }
    const before = out.length;
    compareObject(element, match, path, out);
    // One element, one line: `emails: wrote {...}, read {...}` says more than each sub-attribute.
    if (out.length > before)
      out.splice(before, out.length - before, `${path}: wrote ${show(element)}, read ${show(match)}`);
  }
}

function sameScalar(want: unknown, got: unknown, path: string): boolean {
  if (typeof want === 'string' && typeof got === 'string' && CASE_INSENSITIVE.has(path.toLowerCase()))
    return want.toLowerCase() === got.toLowerCase();
  return want === got;
}

function show(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}
