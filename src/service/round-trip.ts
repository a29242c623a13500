import { formatAttrPath } from '../scim/attr-path.js';
import { equalsIgnoreCase, isPlainObject, resolveAttribute } from '../scim/attributes.js';
import type { AttrPath } from '../scim/filter/ast.js';
import { type PatchOperation, parsePatchPath } from '../scim/patch/index.js';
import type { ResourceSchema, ScimResource } from '../scim/schema-types.js';

/** The two views of a resource type a write is checked against. */
export interface RoundTripSchemas {
  /** Every attribute SCIM defines for the type: gives attributes their schema spelling. */
  full: ResourceSchema;
  /** What /Schemas advertises: the attributes that survive a write and a read through the mapping. */
  advertised: ResourceSchema;
}

/** An attribute a write brings in, with the value it brings. */
interface BroughtIn {
  path: AttrPath;
  value: unknown;
}

/**
 * RFC 7643 §3.1 common attributes and `schemas`: id and meta are read-only, externalId is kept by
 * the id map, schemas follows the extensions present. None of them is ever dropped.
 */
const ALWAYS_KEPT = ['id', 'externalId', 'meta', 'schemas'];

/**
 * The attributes of a POST or PUT body that do not survive a write and a read through the
 * mapping, as attribute paths in the schema's spelling (`nickName`, `name.middleName`,
 * `urn:...:enterprise:2.0:User:manager`), each once, in the order of the body. Unassigned values
 * (null, [], {}) bring nothing in and are not counted.
 */
export function droppedAttributes(resource: ScimResource, schemas: RoundTripSchemas): string[] {
  return dropped(attributesOf(resource, schemas.full), schemas);
}

/**
 * What {@link droppedAttributes} says for the attributes a PATCH request itself brings in: the
 * targets of its add and replace operations and the sub-attributes of their values. Removals
 * bring nothing in. Known without reading the resource, so a refusal costs no call to the app.
 */
export function droppedByPatch(operations: PatchOperation[], schemas: RoundTripSchemas): string[] {
  const brought = operations.flatMap((operation) =>
    operation.op === 'remove' ? [] : patchAttributes(operation, schemas.full),
  );
  return dropped(brought, schemas);
}

function dropped(brought: BroughtIn[], schemas: RoundTripSchemas): string[] {
  const names = new Map<string, string>();
  for (const { path, value } of brought) {
    if (isAlwaysKept(path, schemas.full)) continue;
    for (const lost of lostPaths(path, value, schemas)) {
      const name = schemaSpelling(lost, schemas.full);
      names.set(name.toLowerCase(), name);
    }
  }
  return [...names.values()];
}

/**
 * The paths of one attribute's value the advertised schema lacks. An attribute not advertised
 * at all is one path, named whole rather than sub-attribute by sub-attribute.
 */
function lostPaths(path: AttrPath, value: unknown, schemas: RoundTripSchemas): AttrPath[] {
  const leaves = leafPaths(path, value, schemas.full);
  if (leaves.length === 0) return [];
  const attribute = attributeOnly(path);
  if (!resolveAttribute(schemas.advertised, attribute)) return [attribute];
  return leaves.filter((leaf) => !resolveAttribute(schemas.advertised, leaf));
}

/** Top-level attributes of a resource; an extension's object gives its attributes, qualified. */
function attributesOf(resource: Record<string, unknown>, full: ResourceSchema): BroughtIn[] {
  const out: BroughtIn[] = [];
  for (const [key, value] of Object.entries(resource)) {
    const extension = full.extensions.find((e) => equalsIgnoreCase(e.id, key));
    if (!extension) out.push({ path: { attribute: key }, value });
    else if (isPlainObject(value)) out.push(...qualified(extension.id, value));
  }
  return out;
}

function qualified(schema: string, values: Record<string, unknown>): BroughtIn[] {
  return Object.entries(values).map(([attribute, value]) => ({ path: { schema, attribute }, value }));
}

/**
 * What one add or replace sets: its path (RFC 7644 §3.5.2; a value filter selects elements and
 * adds no attribute of its own), or for a path-less one, or one naming a whole extension, each
 * member of its value, named as Microsoft Entra names them (`name.givenName`,
 * `emails[type eq "work"].value`, an extension URN holding an object).
 */
function patchAttributes(operation: PatchOperation, full: ResourceSchema): BroughtIn[] {
  const { path, value } = operation;
  // An unknown schema URN is an invalid path, which applying the PATCH reports as such.
  if (path?.schema !== undefined && !isKnownSchema(path.schema, full)) return [];
  if (path && path.attribute !== '') return [{ path: attrPathOf(path), value }];
  if (!isPlainObject(value)) return [];
  if (path?.schema !== undefined) return qualified(path.schema, value);
  return Object.entries(value).flatMap(([name, member]) => {
    const extension = full.extensions.find((e) => equalsIgnoreCase(e.id, name));
    if (extension) return isPlainObject(member) ? qualified(extension.id, member) : [];
    const memberPath = parseMemberName(name);
    if (!memberPath || (memberPath.schema !== undefined && !isKnownSchema(memberPath.schema, full)))
      return [];
    return [{ path: memberPath, value: member }];
  });
}

function isKnownSchema(urn: string, full: ResourceSchema): boolean {
  return [full.core, ...full.extensions].some((schema) => equalsIgnoreCase(schema.id, urn));
}

/** A path-less member's name as a path; undefined when it does not parse (applying the PATCH says why). */
function parseMemberName(name: string): AttrPath | undefined {
  try {
    return attrPathOf(parsePatchPath(name));
  } catch {
    return undefined;
  }
}

function attrPathOf(path: AttrPath): AttrPath {
  const out: AttrPath = { attribute: path.attribute };
  if (path.schema !== undefined) out.schema = path.schema;
  if (path.subAttribute !== undefined) out.subAttribute = path.subAttribute;
  return out;
}

/**
 * The paths a value sets. A complex attribute's value (an object, or elements of a multi-valued
 * one) sets the sub-attributes it holds; anything else sets the path itself. Unknown attributes
 * are named whole: their sub-attributes mean nothing to the mapping either.
 */
function leafPaths(path: AttrPath, value: unknown, full: ResourceSchema): AttrPath[] {
  if (isUnassigned(value)) return [];
  if (path.subAttribute !== undefined) return [path];
  const definition = resolveAttribute(full, path)?.definition;
  if (definition?.type !== 'complex') return [path];
  const elements = Array.isArray(value) ? value : [value];
  // Plain loops: every POST and PUT walks every element of every multi-valued attribute here.
  let holdsObject = false;
  const subNames = new Set<string>();
  for (const element of elements) {
    if (!isPlainObject(element)) continue;
    holdsObject = true;
    for (const key in element) {
      if (Object.hasOwn(element, key) && !isUnassigned(element[key])) subNames.add(key);
    }
  }
  if (!holdsObject) return [path];
  return [...subNames].map((subAttribute) => ({ ...path, subAttribute }));
}

function attributeOnly(path: AttrPath): AttrPath {
  return path.schema === undefined
    ? { attribute: path.attribute }
    : { schema: path.schema, attribute: path.attribute };
}

function isAlwaysKept(path: AttrPath, full: ResourceSchema): boolean {
  const inCore = path.schema === undefined || equalsIgnoreCase(path.schema, full.core.id);
  return inCore && ALWAYS_KEPT.some((name) => equalsIgnoreCase(name, path.attribute));
}

/** RFC 7643 §2.5: null, an empty array and an empty object are unassigned. */
function isUnassigned(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (Array.isArray(value)) return value.every(isUnassigned);
  return isPlainObject(value) && Object.values(value).every(isUnassigned);
}

/** The path as the schema spells it (extension attributes qualified by their URN), or as sent. */
function schemaSpelling(path: AttrPath, full: ResourceSchema): string {
  const attribute = resolveAttribute(full, attributeOnly(path));
  if (!attribute) return formatAttrPath(path);
  const sub = path.subAttribute;
  const subDefinition = sub === undefined ? undefined : resolveAttribute(full, path)?.subDefinition;
  const spelled: AttrPath = { attribute: attribute.definition.name };
  if (attribute.isExtension) spelled.schema = attribute.schema.id;
  if (sub !== undefined) spelled.subAttribute = subDefinition?.name ?? sub;
  return formatAttrPath(spelled);
}

/**
 * The resource without the attributes {@link droppedAttributes} names: what the app holds after a
 * write it answered without the record, as far as the mapping can tell.
 */
export function withoutDropped(resource: ScimResource, schemas: RoundTripSchemas): ScimResource {
  const copy = structuredClone(resource);
  for (const path of droppedAttributes(resource, schemas)) removeAttributePath(copy, path);
  return copy;
}

/** Removes `attr`, `attr.sub` or `urn:…:attr[.sub]` (case-insensitive names), in every element of a list. */
function removeAttributePath(resource: ScimResource, path: string): void {
  let container: Record<string, unknown> = resource;
  let rest = path;
  const colon = path.lastIndexOf(':');
  if (colon !== -1) {
    const urn = Object.keys(resource).find((key) => equalsIgnoreCase(key, path.slice(0, colon)));
    const extension = urn === undefined ? undefined : resource[urn];
    if (!isPlainObject(extension)) return;
    container = extension;
    rest = path.slice(colon + 1);
  }
  const [attribute, sub] = rest.split('.') as [string, string | undefined];
  const key = Object.keys(container).find((name) => equalsIgnoreCase(name, attribute));
  if (key === undefined) return;
  if (sub === undefined) {
    delete container[key];
    return;
  }
  const value = container[key];
  for (const element of Array.isArray(value) ? value : [value]) {
    if (!isPlainObject(element)) continue;
    const subKey = Object.keys(element).find((name) => equalsIgnoreCase(name, sub));
    if (subKey !== undefined) delete element[subKey];
  }
}
