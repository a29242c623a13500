import { isDeepStrictEqual } from 'node:util';
import { findDefinition, getProperty, isPlainObject } from '../attributes.js';
import type { AttributeDefinition } from '../schema-types.js';
import { mergeInto } from './values.js';

/**
 * Whether two values of a multi-valued attribute denote the same element. Complex elements with a
 * `value` are the same when their values are equal and, where both carry one, their types too:
 * `{ value: "u1" }` and `{ value: "u1", display: "Jane" }` are one group member. Other elements
 * must be equal. Strings honour the definition's `caseExact` (RFC 7643 §2.2).
 */
export function sameElement(a: unknown, b: unknown, definition: AttributeDefinition | undefined): boolean {
  if (!isPlainObject(a) || !isPlainObject(b)) return sameScalar(a, b, definition);
  const subAttributes = definition?.subAttributes ?? [];
  const aValue = getProperty(a, 'value');
  const bValue = getProperty(b, 'value');
  if (aValue === undefined || bValue === undefined) return sameObject(a, b, subAttributes);
  if (!sameScalar(aValue, bValue, findDefinition(subAttributes, 'value'))) return false;
  const aType = getProperty(a, 'type');
  const bType = getProperty(b, 'type');
  return (
    aType === undefined ||
    bType === undefined ||
    sameScalar(aType, bType, findDefinition(subAttributes, 'type'))
  );
}

/**
 * RFC 7644 §3.5.2.1: adding to a multi-valued attribute appends the new values; a value that is
 * already there is not added twice, its new sub-attributes are merged into the existing element.
 * Returns the elements appended or merged into.
 */
export function addElements(
  elements: unknown[],
  incoming: unknown[],
  definition: AttributeDefinition | undefined,
): unknown[] {
  const touched: unknown[] = [];
  for (const value of incoming) {
    const existing = elements.find((element) => sameElement(element, value, definition));
    if (existing === undefined) {
      const element = isPlainObject(value) ? mergeInto({}, value) : value;
      elements.push(element);
      touched.push(element);
    } else {
      if (isPlainObject(existing) && isPlainObject(value)) mergeInto(existing, value);
      touched.push(existing);
    }
  }
  return touched;
}

/**
 * RFC 7643 §2.4: "primary" may be true on one element at most. When a written element claims it,
 * the others lose it.
 */
export function keepSinglePrimary(elements: unknown[], written: unknown[]): void {
  const winner = [...written]
    .reverse()
    .find((element) => isPlainObject(element) && getProperty(element, 'primary') === true);
  if (winner === undefined) return;
  for (const element of elements) {
    if (element !== winner && isPlainObject(element) && getProperty(element, 'primary') === true) {
      mergeInto(element, { primary: false });
    }
  }
}

/** Equal values; strings compare without case unless the definition is `caseExact` (RFC 7643 §2.2). */
export function sameScalar(a: unknown, b: unknown, definition: AttributeDefinition | undefined): boolean {
  if (typeof a === 'string' && typeof b === 'string' && definition?.caseExact !== true) {
    return a.toLowerCase() === b.toLowerCase();
  }
  return a === b;
}

function sameObject(
  a: Record<string, unknown>,
  b: Record<string, unknown>,
  subAttributes: AttributeDefinition[],
): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)].map((k) => k.toLowerCase()));
  for (const key of keys) {
    const aValue = getProperty(a, key);
    const bValue = getProperty(b, key);
    const same =
      isPlainObject(aValue) || Array.isArray(aValue)
        ? isDeepStrictEqual(aValue, bValue)
        : sameScalar(aValue, bValue, findDefinition(subAttributes, key));
    if (!same) return false;
  }
  return true;
}
