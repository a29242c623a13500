import { findDefinition } from '../attributes.js';
import { coerceElement as coerceShared } from '../coerce.js';
import { type ScimError, scimErrors } from '../errors.js';
import type { AttributeDefinition } from '../schema-types.js';

/**
 * Checks a PATCH value against the attribute's definition and returns it in its JSON type
 * (RFC 7643 §2.3). A multi-valued attribute always yields an array; a lone value is wrapped,
 * because clients send `"value": {...}` where an array was meant.
 */
export function coerceAttributeValue(
  definition: AttributeDefinition,
  value: unknown,
  where: string,
): unknown {
  if (definition.multiValued) {
    const items = Array.isArray(value) ? value : [value];
    // RFC 7643 §2.5: null stands for "no value", so it is no element either.
    return items.filter((item) => item !== null).map((item) => coerceElement(definition, item, where));
  }
  if (Array.isArray(value)) throw invalid(where, 'is single-valued and cannot take an array');
  return coerceElement(definition, value, where);
}

/**
 * One value of the attribute, as for a POST body (see {@link coerceElement} in scim/coerce.ts),
 * plus a bare id for an element of a multi-valued attribute that references other resources
 * (`members: ["id"]`). A bare string anywhere else (`emails: "x@y"`) is refused as the wrong
 * type rather than guessed at.
 */
export function coerceElement(definition: AttributeDefinition, value: unknown, where: string): unknown {
  if (value === null) return null;
  if (referencesResources(definition) && (typeof value === 'string' || typeof value === 'number')) {
    const valueDefinition = findDefinition(definition.subAttributes ?? [], 'value');
    if (valueDefinition) return { value: coerceShared(valueDefinition, value, `${where}.value`) };
  }
  return coerceShared(definition, value, where);
}

/** RFC 7643 §2.3.7: a complex attribute whose `$ref` points at another resource (members, manager). */
function referencesResources(definition: AttributeDefinition): boolean {
  return (
    definition.type === 'complex' && findDefinition(definition.subAttributes ?? [], '$ref') !== undefined
  );
}

function invalid(where: string, reason: string): ScimError {
  return scimErrors.invalidValue(`"${where}" ${reason}`);
}
