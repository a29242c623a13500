import { equalsIgnoreCase, findDefinition, findKey, isPlainObject } from '../attributes.js';
import { type ScimError, scimErrors } from '../errors.js';
import type { Filter } from '../filter/ast.js';
import type { AttributeDefinition, ResourceSchema, SchemaDefinition } from '../schema-types.js';
import { commonAttribute } from './common-attributes.js';
import type { PatchPath } from './patch-path.js';

/** A PATCH path resolved against the resource type's schemas. */
export interface PatchTarget {
  /** The path as written, for messages. */
  text: string;
  /** The extension schema holding the attribute; undefined for core (and unknown) attributes. */
  extension?: SchemaDefinition;
  /** Key for a new attribute: the schema's spelling when known, else as written. */
  name: string;
  /** Undefined when the schema does not define the attribute: it is stored anyway, unchecked. */
  definition?: AttributeDefinition;
  filter?: Filter;
  subName?: string;
  subDefinition?: AttributeDefinition;
}

/** The schema (core or extension) whose id is `urn`, compared case-insensitively (RFC 7643 §2.1). */
export function findSchema(resourceSchema: ResourceSchema, urn: string): SchemaDefinition | undefined {
  return [resourceSchema.core, ...resourceSchema.extensions].find((s) => equalsIgnoreCase(s.id, urn));
}

/**
 * Resolves an attribute path (not a bare schema URN) to where its value lives and what the schema
 * says about it. An unqualified name is looked up in the core schema (and the RFC 7643 §3.1 common
 * attributes), then in the extensions. Throws `invalidPath` for an unknown schema URN, a
 * sub-attribute of a simple attribute, or a value filter on anything but a known multi-valued
 * attribute (RFC 7644 §3.5.2).
 */
export function resolveTarget(resourceSchema: ResourceSchema, path: PatchPath): PatchTarget {
  for (const name of [path.attribute, path.subAttribute]) {
    // `constructor`, `toString`... are valid attribute names by the grammar but name what every
    // JavaScript object inherits; no SCIM schema uses them.
    if (name !== undefined && name in Object.prototype)
      throw invalidPath(path, `"${name}" is not an attribute`);
  }
  const target = locate(resourceSchema, path);
  const definition = target.definition;
  if (path.filter) {
    if (!definition) {
      throw invalidPath(path, `"${path.attribute}" is not defined, so it cannot take a value filter`);
    }
    if (!definition.multiValued) throw invalidPath(path, `a value filter needs a multi-valued attribute`);
    target.filter = path.filter;
  }
  if (path.subAttribute !== undefined) {
    if (definition && definition.type !== 'complex') {
      throw invalidPath(path, `"${definition.name}" has no sub-attributes`);
    }
    const subDefinition = findDefinition(definition?.subAttributes ?? [], path.subAttribute);
    target.subName = subDefinition?.name ?? path.subAttribute;
    if (subDefinition) target.subDefinition = subDefinition;
  }
  return target;
}

function locate(resourceSchema: ResourceSchema, path: PatchPath): PatchTarget {
  const { core } = resourceSchema;
  if (path.schema !== undefined) {
    const schema = findSchema(resourceSchema, path.schema);
    if (!schema) throw invalidPath(path, `unknown schema "${path.schema}"`);
    const definition =
      findDefinition(schema.attributes, path.attribute) ??
      (schema === core ? commonAttribute(path.attribute) : undefined);
    return described(path, definition, schema === core ? undefined : schema);
  }
  const coreDefinition = findDefinition(core.attributes, path.attribute) ?? commonAttribute(path.attribute);
  if (coreDefinition) return described(path, coreDefinition, undefined);
  for (const extension of resourceSchema.extensions) {
    const definition = findDefinition(extension.attributes, path.attribute);
    if (definition) return described(path, definition, extension);
  }
  return described(path, undefined, undefined);
}

function described(
  path: PatchPath,
  definition: AttributeDefinition | undefined,
  extension: SchemaDefinition | undefined,
): PatchTarget {
  const target: PatchTarget = { text: path.text, name: definition?.name ?? path.attribute };
  if (definition) target.definition = definition;
  if (extension) target.extension = extension;
  return target;
}

/** The object holding the target's attribute, if it exists: the resource or its extension object (RFC 7643 §3.3). */
export function readContainer(
  resource: Record<string, unknown>,
  extension: SchemaDefinition | undefined,
): Record<string, unknown> | undefined {
  if (!extension) return resource;
  const key = findKey(resource, extension.id);
  const container = key === undefined ? undefined : resource[key];
  return isPlainObject(container) ? container : undefined;
}

/** Like {@link readContainer}, creating the extension object when missing. */
export function ensureContainer(
  resource: Record<string, unknown>,
  extension: SchemaDefinition | undefined,
): Record<string, unknown> {
  const existing = readContainer(resource, extension);
  if (existing || !extension) return existing ?? resource;
  const created: Record<string, unknown> = {};
  resource[findKey(resource, extension.id) ?? extension.id] = created;
  return created;
}

function invalidPath(path: PatchPath, reason: string): ScimError {
  return scimErrors.invalidPath(`Invalid path "${path.text}": ${reason}`);
}
