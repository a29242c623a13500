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
  const candidates = path.schema
    ? [resourceSchema.core, ...resourceSchema.extensions].filter((s) =>
        equalsIgnoreCase(s.id, path.schema ?? ''),
      )
    : [resourceSchema.core, ...resourceSchema.extensions];
  for (const schema of candidates) {
    const definition = findDefinition(schema.attributes, path.attribute);
    if (!definition) continue;
    const isExtension = schema !== resourceSchema.core;
    if (path.subAttribute === undefined) return { schema, isExtension, definition };
    const subDefinition = findDefinition(definition.subAttributes ?? [], path.subAttribute);
    if (!subDefinition) return undefined;
    return { schema, isExtension, definition, subDefinition };
  }
  return undefined;
}

export function findDefinition(
  attributes: AttributeDefinition[],
  name: string,
): AttributeDefinition | undefined {
  const lower = name.toLowerCase();
  return attributes.find((a) => a.name.toLowerCase() === lower);
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
