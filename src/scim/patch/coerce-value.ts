import { findDefinition, isPlainObject } from '../attributes.js';
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
 * Coerces one value of the attribute: the value of a single-valued attribute or one element of
 * a multi-valued one. Leniency is limited to what provisioning clients are known to send:
 * `"True"`/`"False"` for booleans and numeric strings for numbers. Complex values get their
 * known sub-attribute names in the schema's spelling; a bare value for a complex attribute with
 * a `value` sub-attribute becomes `{ value }` (a manager given as an id). `null` passes through:
 * inside a complex value it means "unassign this sub-attribute".
 */
export function coerceElement(definition: AttributeDefinition, value: unknown, where: string): unknown {
  if (value === null) return null;
  switch (definition.type) {
    case 'boolean':
      return coerceBoolean(value, where);
    case 'integer':
      return coerceNumber(value, where, true);
    case 'decimal':
      return coerceNumber(value, where, false);
    case 'complex':
      return coerceComplex(definition, value, where);
    case 'dateTime':
      return coerceDateTime(value, where);
    default:
      if (typeof value !== 'string') throw invalid(where, `expects a ${definition.type} given as a string`);
      return value;
  }
}

function coerceBoolean(value: unknown, where: string): boolean {
  if (typeof value === 'boolean') return value;
  // Microsoft Entra sends booleans as "True"/"False" in its default PATCH dialect.
  if (typeof value === 'string') {
    const lower = value.trim().toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
  }
  throw invalid(where, 'expects a boolean');
}

function coerceNumber(value: unknown, where: string, integer: boolean): number {
  const text = typeof value === 'string' ? value.trim() : undefined;
  const pattern = integer ? /^[+-]?\d+$/ : /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
  const number =
    typeof value === 'number' ? value : text !== undefined && pattern.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(number) || (integer && !Number.isSafeInteger(number))) {
    throw invalid(where, integer ? 'expects an integer' : 'expects a decimal number');
  }
  return number;
}

function coerceDateTime(value: unknown, where: string): string {
  // RFC 7643 §2.3.5: an xsd:dateTime, e.g. 2008-01-23T04:56:22Z.
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(Date.parse(value))) {
    throw invalid(where, 'expects a dateTime such as "2015-09-01T12:00:00Z"');
  }
  return value;
}

function coerceComplex(
  definition: AttributeDefinition,
  value: unknown,
  where: string,
): Record<string, unknown> {
  const subAttributes = definition.subAttributes ?? [];
  if (!isPlainObject(value)) {
    const valueDefinition = findDefinition(subAttributes, 'value');
    if (valueDefinition && !Array.isArray(value)) {
      return { value: coerceElement(valueDefinition, value, `${where}.value`) };
    }
    throw invalid(where, 'expects an object of sub-attributes');
  }
  const result: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(value)) {
    const sub = findDefinition(subAttributes, key);
    if (!sub) {
      result[key] = raw;
      continue;
    }
    const subWhere = `${where}.${sub.name}`;
    result[sub.name] = raw === null ? null : coerceAttributeValue(sub, raw, subWhere);
  }
  return result;
}

function invalid(where: string, reason: string): ScimError {
  return scimErrors.invalidValue(`"${where}" ${reason}`);
}
