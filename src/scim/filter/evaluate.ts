import {
  attributeContainer,
  equalsIgnoreCase,
  findDefinition,
  getProperty,
  isPlainObject,
  resolveAttribute,
} from '../attributes.js';
import { scimErrors } from '../errors.js';
import type { AttributeDefinition, ResourceSchema } from '../schema-types.js';
import type { AttrPath, CompareOperator, Filter, FilterValue } from './ast.js';
import { compareScalar } from './compare.js';

/** An attribute as found in the object a filter is applied to, before any sub-attribute is taken. */
interface Lookup {
  raw: unknown;
  definition: AttributeDefinition | undefined;
}

/** The object a filter is applied to: a whole resource, or one element inside `attr[...]`. */
type Scope = (path: AttrPath) => Lookup;

/** The values a path denotes, flattened across multi-valued attributes, and their definition if known. */
interface Target {
  values: unknown[];
  definition: AttributeDefinition | undefined;
}

/**
 * Decides whether `resource` matches `filter` (RFC 7644 §3.4.2.2).
 *
 * - Attribute names and schema URNs match case-insensitively; an unqualified name is looked up in
 *   the core schema, then in the extensions. A name the schema does not define is still read from
 *   the resource by name and compared as text, case-insensitively.
 * - A comparison on a multi-valued attribute matches when any value matches; a multi-valued
 *   complex attribute named without a sub-attribute stands for its `value` sub-attribute.
 * - `ne` is the negation of `eq`: an absent attribute is "not equal", and `emails.type ne "work"`
 *   is false as soon as one email is of type work. `eq null` means absent, `ne null` present.
 * - The literal's JSON type decides the comparison (see `compareScalar`).
 *
 * Throws `invalidFilter` for `gt`/`ge`/`lt`/`le` on an attribute the schema declares boolean or binary.
 */
export function evaluateFilter(
  filter: Filter,
  resource: Record<string, unknown>,
  schema: ResourceSchema,
): boolean {
  return evaluate(filter, resourceScope(resource, schema));
}

function evaluate(filter: Filter, scope: Scope): boolean {
  switch (filter.kind) {
    case 'and':
      return evaluate(filter.left, scope) && evaluate(filter.right, scope);
    case 'or':
      return evaluate(filter.left, scope) || evaluate(filter.right, scope);
    case 'not':
      return !evaluate(filter.filter, scope);
    case 'present':
      return target(filter.path, scope).values.some(isPresent);
    case 'valuePath': {
      const { values, definition } = target(filter.path, scope);
      const subAttributes = definition?.subAttributes ?? [];
      return values.some(
        (element) => isPlainObject(element) && evaluate(filter.filter, elementScope(element, subAttributes)),
      );
    }
    case 'compare':
      return evaluateComparison(filter.path, filter.op, filter.value, scope);
  }
}

function evaluateComparison(
  path: AttrPath,
  op: CompareOperator,
  literal: FilterValue,
  scope: Scope,
): boolean {
  let { values, definition } = target(path, scope);
  if (path.subAttribute === undefined && (definition?.type === 'complex' || values.some(isPlainObject))) {
    // RFC 7643 §2.4: "value" is the significant sub-attribute of a multi-valued attribute.
    values = values.flatMap((v) => (isPlainObject(v) ? asArray(getProperty(v, 'value')) : [v]));
    if (definition?.type === 'complex') definition = findDefinition(definition.subAttributes ?? [], 'value');
  }
  const orders = op === 'gt' || op === 'ge' || op === 'lt' || op === 'le';
  if (orders && (definition?.type === 'boolean' || definition?.type === 'binary')) {
    // RFC 7644 §3.4.2.2 Table 3: ordering a boolean or binary attribute is an invalidFilter error.
    throw scimErrors.invalidFilter(
      `Operator '${op}' cannot be applied to the ${definition.type} attribute '${definition.name}'`,
    );
  }
  if (literal === null) {
    // Only `eq null` / `ne null` get here; the parser refuses null with the other operators.
    const present = values.some(isPresent);
    return op === 'ne' ? present : !present;
  }
  if (op === 'ne') return !values.some((v) => compareScalar('eq', v, literal, definition));
  return values.some((v) => compareScalar(op, v, literal, definition));
}

function target(path: AttrPath, scope: Scope): Target {
  const { raw, definition } = scope(path);
  const values = asArray(raw);
  const sub = path.subAttribute;
  if (sub === undefined) return { values, definition };
  return {
    values: values.flatMap((v) => (isPlainObject(v) ? asArray(getProperty(v, sub)) : [])),
    definition: findDefinition(definition?.subAttributes ?? [], sub),
  };
}

function resourceScope(resource: Record<string, unknown>, schema: ResourceSchema): Scope {
  return (path) => {
    const resolved = resolveAttribute(schema, { schema: path.schema, attribute: path.attribute });
    if (resolved) {
      const container = attributeContainer(resource, resolved);
      return {
        raw: container && getProperty(container, resolved.definition.name),
        definition: resolved.definition,
      };
    }
    // Not in the schema: read it by name from the core object or from the named extension object.
    const container =
      path.schema === undefined || equalsIgnoreCase(path.schema, schema.core.id)
        ? resource
        : getProperty(resource, path.schema);
    return {
      raw: isPlainObject(container) ? getProperty(container, path.attribute) : undefined,
      definition: undefined,
    };
  };
}

function elementScope(element: Record<string, unknown>, subAttributes: AttributeDefinition[]): Scope {
  return (path) => ({
    raw: getProperty(element, path.attribute),
    definition: findDefinition(subAttributes, path.attribute),
  });
}

function asArray(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** RFC 7644 §3.4.2.2 `pr`: a non-empty value, or a complex value with at least one non-empty node. */
function isPresent(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'string') return value.length > 0;
  if (Array.isArray(value)) return value.some(isPresent);
  if (isPlainObject(value)) return Object.values(value).some(isPresent);
  return true;
}
