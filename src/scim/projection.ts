import { parseAttrPath } from './attr-path.js';
import { equalsIgnoreCase, findDefinition, isPlainObject, resolveAttribute } from './attributes.js';
import type { AttrPath } from './filter/ast.js';
import type { AttributeDefinition, ResourceSchema, ScimResource } from './schema-types.js';

/** The `attributes` and `excludedAttributes` query parameters (RFC 7644 §3.4.2.5, §3.9), split into paths. */
export interface ProjectionOptions {
  attributes?: string[];
  excludedAttributes?: string[];
}

/** Splits a comma-separated attribute list (RFC 7644 §3.9); blanks are dropped. */
export function parseAttributeList(text: string | undefined): string[] {
  if (text === undefined) return [];
  return text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
}

/**
 * Whether a response will contain the top-level attribute `name`, so the service can skip fetching
 * an expensive attribute (Group `members`) nobody asked for. Errs towards true: a bare schema URN in
 * `attributes` may include it, and excluding some sub-attributes keeps the others.
 */
export function wantsAttribute(options: ProjectionOptions, name: string): boolean {
  const lower = name.toLowerCase();
  const excluded = parsePaths(options.excludedAttributes);
  if (excluded.some((p) => p.attribute.toLowerCase() === lower && p.subAttribute === undefined)) return false;
  if (!options.attributes || options.attributes.length === 0) return true;
  return parsePaths(options.attributes).some(
    (p) => p.attribute === '' || p.attribute.toLowerCase() === lower,
  );
}

/**
 * Applies `attributes` / `excludedAttributes` to a resource about to be returned (RFC 7644 §3.4.2.5, §3.9):
 * - with `attributes`, only the named attributes and sub-attributes are kept, plus those the schema marks
 *   `returned: always` (`id`) and `schemas`;
 * - `excludedAttributes` removes the named ones, except `returned: always`;
 * - `returned: never` (`password`) is always removed, `returned: request` only kept when named.
 * Paths may name sub-attributes (`name.givenName`, `emails.value`) and carry a schema URN
 * (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`, or the bare URN for the whole
 * extension); names compare case-insensitively (RFC 7643 §2.1). Paths that do not parse are ignored.
 */
export function projectResource(
  resource: ScimResource,
  schema: ResourceSchema,
  options: ProjectionOptions,
): ScimResource {
  const include =
    options.attributes && options.attributes.length > 0 ? toSelectors(options.attributes, schema) : undefined;
  const exclude = toSelectors(options.excludedAttributes ?? [], schema);
  const out: ScimResource = {};
  const droppedExtensions: string[] = [];
  for (const [key, value] of Object.entries(resource)) {
    if (equalsIgnoreCase(key, 'schemas')) {
      out[key] = value;
      continue;
    }
    const extension = schema.extensions.find((e) => equalsIgnoreCase(e.id, key));
    const target = extension ?? schema.core;
    if (extension && isPlainObject(value)) {
      const container: Record<string, unknown> = {};
      for (const [name, attrValue] of Object.entries(value)) {
        const projected = projectAttribute(
          attrValue,
          findDefinition(target.attributes, name),
          target.id,
          name,
          include,
          exclude,
        );
        if (projected !== DROP) container[name] = projected;
      }
      if (Object.keys(container).length > 0) out[key] = container;
      else droppedExtensions.push(extension.id);
      continue;
    }
    const definition = extension ? undefined : findDefinition(target.attributes, key);
    const projected = projectAttribute(value, definition, target.id, key, include, exclude);
    if (projected !== DROP) out[key] = projected;
  }
  return droppedExtensions.length > 0 ? withoutSchemas(out, droppedExtensions) : out;
}

/** A request path, lower-cased and resolved to the schema that defines it; `attribute: ''` is a whole schema. */
interface Selector {
  schema: string;
  attribute: string;
  subAttribute?: string;
}

/** Which parts of one attribute a selector list picks. */
interface Selection {
  whole: boolean;
  /** Named by its own name (not only through a whole-schema URN), for `returned: request`. */
  named: boolean;
  subAttributes: ReadonlySet<string>;
}

const DROP = Symbol('drop');

function parsePaths(texts: string[] | undefined): AttrPath[] {
  const paths: AttrPath[] = [];
  for (const text of texts ?? []) {
    const path = parseAttrPath(text);
    if (path) paths.push(path);
  }
  return paths;
}

function toSelectors(texts: string[], schema: ResourceSchema): Selector[] {
  return parsePaths(texts).map((path) => toSelector(path, schema));
}

function toSelector(path: AttrPath, schema: ResourceSchema): Selector {
  if (path.attribute === '') return { schema: (path.schema ?? '').toLowerCase(), attribute: '' };
  const resolved = resolveAttribute(schema, path);
  if (resolved) {
    const selector: Selector = {
      schema: resolved.schema.id.toLowerCase(),
      attribute: resolved.definition.name.toLowerCase(),
    };
    if (resolved.subDefinition) selector.subAttribute = resolved.subDefinition.name.toLowerCase();
    return selector;
  }
  // Attributes outside the schema can still be picked by name, as core attributes.
  const selector: Selector = {
    schema: (path.schema ?? schema.core.id).toLowerCase(),
    attribute: path.attribute.toLowerCase(),
  };
  if (path.subAttribute !== undefined) selector.subAttribute = path.subAttribute.toLowerCase();
  return selector;
}

/** What an empty selector list selects; shared, never modified. */
const NOTHING_SELECTED: Selection = Object.freeze({
  whole: false,
  named: false,
  subAttributes: new Set<string>(),
});
const NO_NAMES: ReadonlySet<string> = NOTHING_SELECTED.subAttributes;

function select(selectors: Selector[], schemaId: string, name: string): Selection {
  // The common case, no excludedAttributes: nothing to look up, nothing to allocate.
  if (selectors.length === 0) return NOTHING_SELECTED;
  const schemaLower = schemaId.toLowerCase();
  const nameLower = name.toLowerCase();
  const subAttributes = new Set<string>();
  const selection: Selection = { whole: false, named: false, subAttributes };
  for (const s of selectors) {
    if (s.schema !== schemaLower) continue;
    if (s.attribute === '') selection.whole = true;
    if (s.attribute !== nameLower) continue;
    selection.named = true;
    if (s.subAttribute === undefined) selection.whole = true;
    else subAttributes.add(s.subAttribute);
  }
  return selection;
}

function projectAttribute(
  value: unknown,
  definition: AttributeDefinition | undefined,
  schemaId: string,
  name: string,
  include: Selector[] | undefined,
  exclude: Selector[],
): unknown {
  const returned = definition?.returned ?? 'default';
  if (returned === 'never') return DROP;
  if (returned === 'always') return filterSubAttributes(value, definition, undefined, NO_NAMES);
  let wanted: ReadonlySet<string> | undefined;
  if (include) {
    const selection = select(include, schemaId, name);
    if (returned === 'request' && !selection.named) return DROP;
    if (!selection.whole && selection.subAttributes.size === 0) return DROP;
    wanted = selection.whole ? undefined : selection.subAttributes;
  } else if (returned === 'request') {
    return DROP;
  }
  const excluded = select(exclude, schemaId, name);
  if (excluded.whole) return DROP;
  return filterSubAttributes(value, definition, wanted, excluded.subAttributes);
}

/**
 * Keeps the sub-attributes of a complex value (or of each element of a multi-valued one) that are
 * `wanted` (all when undefined) and not `excluded`, honouring their own `returned` property.
 * Values emptied by the filtering are dropped, since an empty complex value carries nothing.
 */
function filterSubAttributes(
  value: unknown,
  definition: AttributeDefinition | undefined,
  wanted: ReadonlySet<string> | undefined,
  excluded: ReadonlySet<string>,
): unknown {
  const subAttributes = definition?.subAttributes ?? [];
  const hidden = subAttributes.some((s) => s.returned === 'never' || s.returned === 'request');
  if (wanted === undefined && excluded.size === 0 && !hidden) return value;
  const filterOne = (element: unknown): unknown => {
    if (!isPlainObject(element)) return wanted === undefined ? element : DROP;
    const out: Record<string, unknown> = {};
    for (const [key, subValue] of Object.entries(element)) {
      const lower = key.toLowerCase();
      const returned = findDefinition(subAttributes, key)?.returned ?? 'default';
      if (returned === 'never') continue;
      if (returned !== 'always') {
        if (wanted ? !wanted.has(lower) : returned === 'request') continue;
        if (excluded.has(lower)) continue;
      }
      out[key] = subValue;
    }
    return Object.keys(out).length > 0 ? out : DROP;
  };
  if (!Array.isArray(value)) return filterOne(value);
  const elements = value.map(filterOne).filter((e) => e !== DROP);
  return elements.length > 0 ? elements : DROP;
}

/** RFC 7643 §3: `schemas` names the schemas of the attributes present, so a dropped extension leaves it. */
function withoutSchemas(resource: ScimResource, ids: string[]): ScimResource {
  const schemas = resource.schemas;
  if (!Array.isArray(schemas)) return resource;
  return {
    ...resource,
    schemas: schemas.filter((s) => typeof s !== 'string' || !ids.some((id) => equalsIgnoreCase(id, s))),
  };
}
