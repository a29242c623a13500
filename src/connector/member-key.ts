import { isPlainObject } from '../scim/attributes.js';
import type { ScimResource } from '../scim/schema-types.js';

/**
 * The member key (`members.key`) a User's SCIM view yields at `path` (`userName`,
 * `emails.value`): text or a number; of a multi-valued attribute, the primary value, else the
 * first.
 */
export function keyValue(scim: ScimResource, path: string): string | undefined {
  const [attribute = '', sub] = path.split('.');
  const found = Object.entries(scim).find(([name]) => name.toLowerCase() === attribute.toLowerCase())?.[1];
  let value: unknown = found;
  if (Array.isArray(found)) {
    const items = found.filter(isPlainObject);
    value = (items.find((item) => item.primary === true) ?? items[0])?.[sub ?? 'value'];
  } else if (sub !== undefined) {
    value = isPlainObject(found) ? found[sub] : undefined;
  }
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

/**
 * The one candidate whose key is `key`: apps search loosely, so the key must be the candidate's
 * exactly, or, when no candidate has it exactly, without case. Undefined when none or several fit.
 */
export function pickByKey<T>(
  candidates: T[],
  key: string,
  keyOf: (candidate: T) => string | undefined,
): T | undefined {
  const exact = candidates.filter((candidate) => keyOf(candidate) === key);
  if (exact.length > 0) return exact.length === 1 ? exact[0] : undefined;
  const loose = candidates.filter((candidate) => keyOf(candidate)?.toLowerCase() === key.toLowerCase());
  return loose.length === 1 ? loose[0] : undefined;
}
