import { isDeepStrictEqual } from 'node:util';
import { getProperty, isPlainObject } from '../attributes.js';
import { scimErrors } from '../errors.js';
import type { AttributeDefinition } from '../schema-types.js';

/**
 * Refuses a change the attribute's mutability does not allow (RFC 7644 §3.5.2: "Each operation
 * against an attribute MUST be compatible with the attribute's mutability"; RFC 7643 §2.2):
 *
 * - readOnly: any change. Writing the value it already has is not a change, so a client echoing
 *   the resource's own `id` in a path-less replace (Okta) is accepted.
 * - immutable: changing or removing an assigned value; assigning an unassigned one is allowed, and
 *   so is adding elements to a multi-valued attribute while keeping the existing ones.
 * - required: removal (RFC 7644 §3.5.2.2).
 *
 * Single-valued complex values are checked sub-attribute by sub-attribute. There a readOnly
 * sub-attribute may disappear with the value it described (a new manager drops the old
 * manager's displayName), but may not be set.
 */
export function assertMutable(
  definition: AttributeDefinition | undefined,
  before: unknown,
  after: unknown,
  where: string,
  nested = false,
): void {
  if (!definition || isDeepStrictEqual(before, after)) return;
  const removed = before !== undefined && after === undefined;
  if (definition.mutability === 'readOnly' && !(nested && removed)) {
    throw scimErrors.mutability(`"${where}" is read-only`);
  }
  if (definition.mutability === 'immutable' && before !== undefined && !keepsEveryValue(before, after)) {
    throw scimErrors.mutability(`"${where}" is immutable and already has a value`);
  }
  if (definition.required && removed) {
    throw scimErrors.mutability(`"${where}" is required and cannot be removed`);
  }
  if (definition.type === 'complex' && !definition.multiValued && isPlainObject(after)) {
    const beforeObject = isPlainObject(before) ? before : {};
    for (const sub of definition.subAttributes ?? []) {
      const subBefore = getProperty(beforeObject, sub.name);
      assertMutable(sub, subBefore, getProperty(after, sub.name), `${where}.${sub.name}`, true);
    }
  }
}

function keepsEveryValue(before: unknown, after: unknown): boolean {
  if (!Array.isArray(before) || !Array.isArray(after)) return false;
  return before.every((element) => after.some((candidate) => isDeepStrictEqual(element, candidate)));
}
