import { equalsIgnoreCase, findDefinition, isPlainObject } from './attributes.js';
import { scimErrors } from './errors.js';
import type { AttributeDefinition, ResourceSchema, SchemaDefinition, ScimResource } from './schema-types.js';

/**
 * Repairs the sloppy forms real clients send, so later stages can rely on the schema's types:
 * - booleans sent as "True"/"false" strings (Entra ID does, also in `emails[].primary`);
 * - integers and decimals sent as numeric strings, and numbers sent for string attributes;
 * - a single-valued complex attribute sent as a bare string when it has a `value` sub-attribute
 *   (Entra ID sends the enterprise `manager` as the manager's id);
 * - attribute names and extension URNs in another case (`username`, `Emails`), which RFC 7643 §2.1
 *   makes equivalent, rewritten to the schema's spelling.
 * Unknown attributes are kept as they are. Returns a copy; the input is not modified.
 * @throws ScimError invalidValue when a value cannot be read as its attribute's type.
 */
export function coerceResource(resource: ScimResource, schema: ResourceSchema): ScimResource {
  const out: ScimResource = {};
  for (const [key, value] of Object.entries(resource)) {
    if (equalsIgnoreCase(key, 'schemas')) {
      setOnce(out, 'schemas', canonicalSchemaList(value, schema));
      continue;
    }
    const extension = schema.extensions.find((e) => equalsIgnoreCase(e.id, key));
    if (!extension) {
      coerceEntry(out, key, value, schema.core, undefined);
      continue;
    }
    if (value !== null && !isPlainObject(value)) {
      throw scimErrors.invalidValue(`Attribute "${extension.id}" must be a complex value`);
    }
    setOnce(out, extension.id, value === null ? value : coerceAttributes(value, extension, extension.id));
  }
  return out;
}

/** Coerces a single attribute value (or list of values) to `definition`; `label` names it in errors. */
export function coerceAttributeValue(
  definition: AttributeDefinition,
  value: unknown,
  label: string,
): unknown {
  if (value === null || value === undefined) return value;
  if (definition.multiValued) {
    // A non-array stays as is: validation rejects it rather than guessing that it is a list of one.
    return Array.isArray(value) ? value.map((v) => coerceElement(definition, v, label)) : value;
  }
  return coerceElement(definition, value, label);
}

function coerceAttributes(
  values: Record<string, unknown>,
  schema: SchemaDefinition,
  urn: string | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) coerceEntry(out, key, value, schema, urn);
  return out;
}

function coerceEntry(
  out: Record<string, unknown>,
  key: string,
  value: unknown,
  schema: SchemaDefinition,
  urn: string | undefined,
): void {
  const definition = findDefinition(schema.attributes, key);
  if (!definition) {
    setOnce(out, key, value);
    return;
  }
  const label = urn ? `${urn}:${definition.name}` : definition.name;
  setOnce(out, definition.name, coerceAttributeValue(definition, value, label));
}

/**
 * Coerces one value of an attribute (a single-valued attribute's value, or one element of a
 * multi-valued one) to its JSON type. Leniency is limited to what provisioning clients are known
 * to send: "True"/"False" for booleans, numeric strings for numbers, numbers for plain strings,
 * and a bare id for a complex attribute with a `value` sub-attribute (Entra's manager).
 */
export function coerceElement(definition: AttributeDefinition, value: unknown, label: string): unknown {
  if (value === null) return value;
  switch (definition.type) {
    case 'boolean':
      return coerceBoolean(value, label);
    case 'integer':
      return coerceNumber(value, label, true);
    case 'decimal':
      return coerceNumber(value, label, false);
    case 'complex':
      return coerceComplex(definition, value, label);
    case 'dateTime':
      return coerceDateTime(value, label);
    default:
      return coerceString(value, label, definition.type);
  }
}

function coerceBoolean(value: unknown, label: string): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const lower = value.trim().toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
  }
  throw typeError(label, 'a boolean');
}

function coerceNumber(value: unknown, label: string, integer: boolean): number {
  let n: number | undefined;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && NUMERIC.test(value.trim())) n = Number(value.trim());
  if (n === undefined || !Number.isFinite(n) || (integer && !Number.isSafeInteger(n))) {
    throw typeError(label, integer ? 'an integer' : 'a decimal number');
  }
  return n;
}

/** RFC 7159 number syntax, so "0x10", "" and "1e" are not taken for numbers. */
const NUMERIC = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

function coerceString(value: unknown, label: string, type: string): string {
  if (typeof value === 'string') return value;
  // Numbers pass for plain strings only (`employeeNumber: 701984`); for references, dates and binary
  // a number is no sensible spelling.
  if (type === 'string' && typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw typeError(label, type === 'string' ? 'a string' : `a string (${type})`);
}

function coerceDateTime(value: unknown, label: string): string {
  if (!isDateTime(value)) throw typeError(label, 'a dateTime such as "2015-09-01T12:00:00Z"');
  return value;
}

/** RFC 7643 §2.3.5: an xsd:dateTime (`2008-01-23T04:56:22Z`) that can be placed in time. */
export function isDateTime(value: unknown): value is string {
  return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value) && !Number.isNaN(Date.parse(value));
}

function coerceComplex(
  definition: AttributeDefinition,
  value: unknown,
  label: string,
): Record<string, unknown> {
  const subAttributes = definition.subAttributes ?? [];
  if (typeof value === 'string' && !definition.multiValued) {
    const valueSub = findDefinition(subAttributes, 'value');
    if (valueSub) return { [valueSub.name]: value };
  }
  if (!isPlainObject(value)) throw typeError(label, 'a complex value');
  const out: Record<string, unknown> = {};
  for (const [key, subValue] of Object.entries(value)) {
    const sub = findDefinition(subAttributes, key);
    if (!sub) {
      setOnce(out, key, subValue);
      continue;
    }
    setOnce(out, sub.name, coerceAttributeValue(sub, subValue, `${label}.${sub.name}`));
  }
  return out;
}

/** Rewrites known schema URNs in `schemas` to their canonical spelling; anything else is left alone. */
function canonicalSchemaList(value: unknown, schema: ResourceSchema): unknown {
  if (!Array.isArray(value)) return value;
  const known = [schema.core, ...schema.extensions].map((s) => s.id);
  return value.map((v) => (typeof v === 'string' ? (known.find((id) => equalsIgnoreCase(id, v)) ?? v) : v));
}

/**
 * Two spellings of one attribute (`userName` and `username`) would silently lose one value;
 * the client must say which it means.
 */
function setOnce(target: Record<string, unknown>, key: string, value: unknown): void {
  if (Object.hasOwn(target, key))
    throw scimErrors.invalidSyntax(`Attribute "${key}" is given more than once`);
  target[key] = value;
}

function typeError(label: string, expected: string) {
  return scimErrors.invalidValue(`Attribute "${label}" must be ${expected}`);
}
