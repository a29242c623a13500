import { findKey, isPlainObject } from '../attributes.js';

/** RFC 7643 §2.5: null, an empty array and an empty complex value all mean "unassigned". */
export function isUnassigned(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (Array.isArray(value)) return value.length === 0;
  return isPlainObject(value) && Object.keys(value).length === 0;
}

/**
 * Stores `value` under `name` in `container`, reusing an existing key that differs only in case
 * (so `username` updates `userName`), and deletes the key when the value is unassigned.
 */
export function writeValue(container: Record<string, unknown>, name: string, value: unknown): void {
  const key = findKey(container, name) ?? name;
  if (isUnassigned(value)) delete container[key];
  else container[key] = value;
}

/**
 * Merges sub-attributes into `target` (RFC 7644 §3.5.2.1/§3.5.2.3: sub-attributes not given are
 * left unchanged); a `null` sub-attribute unassigns it. Returns `target`.
 */
export function mergeInto(
  target: Record<string, unknown>,
  incoming: Record<string, unknown>,
): Record<string, unknown> {
  for (const [name, value] of Object.entries(incoming)) writeValue(target, name, value);
  return target;
}
