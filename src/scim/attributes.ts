import type { AttrPath } from './filter/ast.js';
import type { AttributeDefinition, ResourceSchema, SchemaDefinition } from './schema-types.js';

/** Where an attribute path lands in a resource type's schemas. */
export interface ResolvedAttribute {
  /** The schema that defines the attribute (core or extension). */
  schema: SchemaDefinition;
  isExtension: boolean;
  definition: AttributeDefinition;
  /** Set when the path names a sub-attribute (`name.givenName`). */
  subDefinition?: AttributeDefinition;
}

/**
 * Finds the definition of `path` in the resource type's schemas. Attribute names and schema
 * URNs compare case-insensitively (RFC 7643 §2.1). An unqualified name is looked up in the core
 * schema first, then in the extensions, because some clients omit the extension URN.
 */
export function resolveAttribute(
  resourceSchema: ResourceSchema,
  path: AttrPath,
): ResolvedAttribute | undefined {
  const { core, extensions } = resourceSchema;
  // Core, then each extension, by index, with no list of candidates built: this runs for every
  // attribute of every resource read, validated or patched.
  for (let i = -1; i < extensions.length; i++) {
    const schema = i < 0 ? core : (extensions[i] as SchemaDefinition);
    if (path.schema && !equalsIgnoreCase(schema.id, path.schema)) continue;
    const definition = findDefinition(schema.attributes, path.attribute);
    if (!definition) continue;
    const isExtension = i >= 0;
    if (path.subAttribute === undefined) return { schema, isExtension, definition };
    const subDefinition = findDefinition(definition.subAttributes ?? [], path.subAttribute);
    if (!subDefinition) return undefined;
    return { schema, isExtension, definition, subDefinition };
  }
  return undefined;
}

/** The definition named `name`, ignoring case (the first, should two differ only in case). */
export function findDefinition(
  attributes: AttributeDefinition[],
  name: string,
): AttributeDefinition | undefined {
  // Callers pass `subAttributes ?? []`: a fresh empty list each time must not be indexed.
  if (attributes.length === 0) return undefined;
  const index = definitionIndex(attributes);
  return index.get(name) ?? index.get(name.toLowerCase());
}

/**
 * Definitions by lower-cased name (and by their own), per list, built on first use: every attribute of every
 * resource read, written or projected is looked up here, and comparing lower-cased names one by
 * one cost a string per attribute per lookup. A list that has grown since is indexed again.
 */
const indexes = new WeakMap<
  AttributeDefinition[],
  { length: number; byName: Map<string, AttributeDefinition> }
>();

function definitionIndex(attributes: AttributeDefinition[]): Map<string, AttributeDefinition> {
  const known = indexes.get(attributes);
  if (known !== undefined && known.length === attributes.length) return known.byName;
  const byName = new Map<string, AttributeDefinition>();
  for (const definition of attributes) {
    const lower = definition.name.toLowerCase();
    if (byName.has(lower)) continue;
    byName.set(lower, definition);
    // Under its own spelling too, so the usual lookup needs no lower-cased copy of the name.
    byName.set(definition.name, definition);
  }
  indexes.set(attributes, { length: attributes.length, byName });
  return byName;
}

/** The key of `obj` that equals `name` ignoring case, if any (clients send `UserName` too). */
export function findKey(obj: Record<string, unknown>, name: string): string | undefined {
  if (Object.hasOwn(obj, name)) return name;
  const lower = name.toLowerCase();
  return Object.keys(obj).find((k) => k.toLowerCase() === lower);
}

/** Reads a property ignoring the case of its name. */
export function getProperty(obj: Record<string, unknown>, name: string): unknown {
  const key = findKey(obj, name);
  return key === undefined ? undefined : obj[key];
}

export function equalsIgnoreCase(a: string, b: string): boolean {
  return a.length === b.length && a.toLowerCase() === b.toLowerCase();
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The object that holds the attribute's values in a resource: the resource itself for core
 * attributes, `resource[<extension URN>]` for extension attributes (RFC 7643 §3.3).
 */
export function attributeContainer(
  resource: Record<string, unknown>,
  resolved: ResolvedAttribute,
): Record<string, unknown> | undefined {
  if (!resolved.isExtension) return resource;
  const container = getProperty(resource, resolved.schema.id);
  return isPlainObject(container) ? container : undefined;
}
