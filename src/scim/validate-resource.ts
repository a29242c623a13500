import { equalsIgnoreCase, findDefinition, isPlainObject } from './attributes.js';
import { coerceResource } from './coerce.js';
import { scimErrors } from './errors.js';
import type { AttributeDefinition, ResourceSchema, SchemaDefinition, ScimResource } from './schema-types.js';
import { GROUP_SCHEMA_ID } from './schemas/group.js';

/** How a body is being written: POST creates (RFC 7644 §3.3), PUT replaces (§3.5.1). */
export type WriteMode = 'create' | 'replace';

const CORE_SCHEMA_PREFIX = 'urn:ietf:params:scim:schemas:core:2.0:';

/**
 * Attributes demanded beyond the schema's own `required` flags. Group `displayName` is REQUIRED by
 * RFC 7643 §4.2 but declared `required: false` in §8.7.1 (erratum 5368); every client sends it.
 */
const ALSO_REQUIRED: Readonly<Record<string, readonly string[]>> = {
  [GROUP_SCHEMA_ID.toLowerCase()]: ['displayName'],
};

/**
 * Checks a POST or PUT body against the resource type's schemas and returns the resource to write:
 * sloppy values coerced (see {@link coerceResource}), read-only attributes removed (RFC 7644 §3.3 and
 * §3.5.1: the service provider ignores them), required attributes present, values of the declared
 * type and plurality. Unknown attributes are passed through.
 * @throws ScimError invalidSyntax when the body is not an object or names another resource's schema;
 * invalidValue when an attribute is missing or of the wrong type.
 */
export function validateResource(resource: unknown, schema: ResourceSchema, mode: WriteMode): ScimResource {
  if (!isPlainObject(resource)) throw scimErrors.invalidSyntax('Request body must be a JSON object');
  const coerced = coerceResource(resource, schema);
  checkSchemas(coerced, schema);

  const out: ScimResource = {};
  for (const [key, value] of Object.entries(coerced)) {
    const extension = schema.extensions.find((e) => e.id === key);
    // coerceResource has made an extension container an object or null.
    out[key] =
      extension && isPlainObject(value) ? checkAttributes(value, extension, `${extension.id}:`) : value;
  }
  const core = checkAttributes(out, schema.core, '');
  checkRequired(core, schema.core, '', mode, schema.resourceType);
  for (const extension of schema.extensions) {
    const container = core[extension.id];
    // Whether an extension must be present is a resource type matter (RFC 7643 §6 `required`), decided elsewhere.
    if (isPlainObject(container))
      checkRequired(container, extension, `${extension.id}:`, mode, schema.resourceType);
  }
  return core;
}

/**
 * RFC 7643 §3: `schemas` lists the schemas of the attributes present. A missing list is accepted because
 * clients omit it; a list naming a different core schema means the body was sent to the wrong endpoint.
 */
function checkSchemas(resource: ScimResource, schema: ResourceSchema): void {
  const schemas = resource.schemas;
  if (schemas === undefined || schemas === null) return;
  if (!Array.isArray(schemas) || !schemas.every((s) => typeof s === 'string')) {
    throw scimErrors.invalidSyntax('"schemas" must be an array of schema URIs');
  }
  const foreign = schemas.find(
    (s) => s.toLowerCase().startsWith(CORE_SCHEMA_PREFIX) && !equalsIgnoreCase(s, schema.core.id),
  );
  if (foreign !== undefined) {
    throw scimErrors.invalidSyntax(
      `"schemas" names "${foreign}", which is not the ${schema.resourceType} schema "${schema.core.id}"`,
    );
  }
}

/** Drops read-only attributes and checks the type of the rest; unknown attributes pass through. */
function checkAttributes(
  values: Record<string, unknown>,
  schema: SchemaDefinition,
  prefix: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    const definition = findDefinition(schema.attributes, key);
    if (!definition) {
      out[key] = value;
      continue;
    }
    if (definition.mutability === 'readOnly') continue;
    out[key] = checkValue(definition, value, `${prefix}${definition.name}`);
  }
  return out;
}

function checkValue(definition: AttributeDefinition, value: unknown, label: string): unknown {
  if (value === null) return value;
  if (!definition.multiValued) return checkSingle(definition, value, label);
  if (!Array.isArray(value)) throw scimErrors.invalidValue(`Attribute "${label}" must be an array`);
  return value.map((v) => checkSingle(definition, v, label));
}

function checkSingle(definition: AttributeDefinition, value: unknown, label: string): unknown {
  switch (definition.type) {
    case 'complex':
      return checkComplex(definition, value, label);
    case 'boolean':
      if (typeof value !== 'boolean') throw typeError(label, 'a boolean');
      return value;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) throw typeError(label, 'an integer');
      return value;
    case 'decimal':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw typeError(label, 'a decimal number');
      return value;
    default:
      if (typeof value !== 'string') throw typeError(label, 'a string');
      return value;
  }
}

function checkComplex(
  definition: AttributeDefinition,
  value: unknown,
  label: string,
): Record<string, unknown> {
  if (!isPlainObject(value)) throw typeError(label, 'a complex value');
  const subAttributes = definition.subAttributes ?? [];
  const out: Record<string, unknown> = {};
  for (const [key, subValue] of Object.entries(value)) {
    const sub = findDefinition(subAttributes, key);
    if (!sub) {
      out[key] = subValue;
      continue;
    }
    if (sub.mutability === 'readOnly') continue;
    out[key] = checkValue(sub, subValue, `${label}.${sub.name}`);
  }
  for (const sub of subAttributes) {
    if (sub.required && isEmpty(out[sub.name])) throw missing(`${label}.${sub.name}`);
  }
  return out;
}

function checkRequired(
  values: Record<string, unknown>,
  schema: SchemaDefinition,
  prefix: string,
  mode: WriteMode,
  resourceType: string,
): void {
  const extra = ALSO_REQUIRED[schema.id.toLowerCase()] ?? [];
  for (const definition of schema.attributes) {
    // Read-only attributes are the service provider's to set; a client cannot be asked for them.
    if (definition.mutability === 'readOnly') continue;
    if (!definition.required && !extra.includes(definition.name)) continue;
    if (isEmpty(values[definition.name])) {
      throw scimErrors.invalidValue(
        `Attribute "${prefix}${definition.name}" is required to ${mode} a ${resourceType}`,
      );
    }
  }
}

/**
 * RFC 7643 §2.5 makes null and an empty array "unassigned"; a blank string is counted too because
 * required strings such as `userName` must be non-empty (§4.1.1).
 */
function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value === 'string') return value.trim().length === 0;
  if (Array.isArray(value)) return value.length === 0;
  return false;
}

function missing(label: string) {
  return scimErrors.invalidValue(`Attribute "${label}" is required`);
}

function typeError(label: string, expected: string) {
  return scimErrors.invalidValue(`Attribute "${label}" must be ${expected}`);
}
