import { parseAttrPath } from './attr-path.js';
import {
  attributeContainer,
  findDefinition,
  getProperty,
  isPlainObject,
  type ResolvedAttribute,
  resolveAttribute,
} from './attributes.js';
import { scimErrors } from './errors.js';
import type { AttributeDefinition, ResourceSchema, ScimResource } from './schema-types.js';

/** RFC 7644 §3.4.2.3 `sortOrder`. */
export type SortOrder = 'ascending' | 'descending';

/** A `sortBy` resolved against the resource type's schema, with its direction. */
export interface Sorting {
  attribute: ResolvedAttribute;
  /** The sub-attribute read from each element or complex value (`givenName`, `value`), if any. */
  subAttribute: string | undefined;
  /** The definition of the value compared: its type and caseExact decide the order. */
  compared: AttributeDefinition;
  descending: boolean;
}

/** A value reduced to what orders it: a number (numbers, dateTimes, booleans) or a string. */
type SortValue = number | string;

/**
 * Resolves `sortBy` (RFC 7644 §3.4.2.3) against the schema. A complex attribute must be named by
 * a sub-attribute (`name.givenName`); a multi-valued one may be named alone and stands for its
 * `value`. `sortOrder` defaults to ascending.
 * @throws ScimError invalidValue for an empty, unknown or complex-without-sub-attribute sortBy.
 */
export function resolveSorting(
  schema: ResourceSchema,
  sortBy: string,
  sortOrder: SortOrder = 'ascending',
): Sorting {
  const text = sortBy.trim();
  if (text === '') throw scimErrors.invalidValue('sortBy is empty; name the attribute to sort by');
  const path = parseAttrPath(text);
  const attribute = path && path.attribute !== '' ? resolveAttribute(schema, path) : undefined;
  if (!attribute) {
    throw scimErrors.invalidValue(
      `sortBy "${text.slice(0, 100)}" is not an attribute of ${schema.resourceType}`,
    );
  }
  const { definition } = attribute;
  let subAttribute = attribute.subDefinition?.name;
  let compared = attribute.subDefinition ?? definition;
  if (compared.type === 'complex') {
    const value = definition.multiValued
      ? findDefinition(definition.subAttributes ?? [], 'value')
      : undefined;
    if (!value) {
      const example = definition.subAttributes?.[0]?.name ?? 'value';
      throw scimErrors.invalidValue(
        `sortBy "${text}" is a complex attribute: name one of its sub-attributes, e.g. ${definition.name}.${example}`,
      );
    }
    subAttribute = value.name;
    compared = value;
  }
  return { attribute, subAttribute, compared, descending: sortOrder === 'descending' };
}

/**
 * Sorts resources (RFC 7644 §3.4.2.3): strings ignoring case unless the attribute is caseExact
 * (by code unit, no locale), dateTimes chronologically, numbers numerically, false before true.
 * Resources without a value come last when ascending and first when descending. Equal values keep
 * their incoming order. Returns a new array.
 */
export function sortResources(resources: readonly ScimResource[], sorting: Sorting): ScimResource[] {
  // Each value is read once, not once per comparison.
  const keyed = resources.map((resource) => ({ resource, key: sortValue(resource, sorting) }));
  const direction = sorting.descending ? -1 : 1;
  keyed.sort((a, b) => direction * compareAscending(a.key, b.key));
  return keyed.map(({ resource }) => resource);
}

/** Ascending order with absent values last; descending is its exact reverse, absent values first. */
function compareAscending(a: SortValue | undefined, b: SortValue | undefined): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? 1 : -1;
  if (a === b) return 0;
  if (typeof a === typeof b) return a < b ? -1 : 1;
  // Only a mix of numbers and text (an app that stores some numbers as strings): numbers first.
  return typeof a === 'number' ? -1 : 1;
}

/** The one value a resource is ordered by: the primary (else first) element's, for multi-valued attributes. */
function sortValue(resource: ScimResource, sorting: Sorting): SortValue | undefined {
  const { attribute, subAttribute } = sorting;
  const container = attributeContainer(resource, attribute);
  let value = container && getProperty(container, attribute.definition.name);
  if (Array.isArray(value)) value = value.find(isPrimary) ?? value[0];
  if (subAttribute !== undefined) value = isPlainObject(value) ? getProperty(value, subAttribute) : undefined;
  return comparable(value, sorting.compared);
}

function isPrimary(element: unknown): boolean {
  return isPlainObject(element) && getProperty(element, 'primary') === true;
}

function comparable(value: unknown, definition: AttributeDefinition): SortValue | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  switch (definition.type) {
    case 'dateTime':
      return typeof value === 'string' ? finite(Date.parse(value)) : undefined;
    case 'integer':
    case 'decimal':
      return typeof value === 'number' || typeof value === 'string' ? finite(Number(value)) : undefined;
    case 'boolean':
      return typeof value === 'boolean' ? Number(value) : undefined;
    default:
      return text(value, definition.caseExact);
  }
}

function text(value: unknown, caseExact: boolean): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const string = String(value);
  return caseExact ? string : string.toLowerCase();
}

function finite(value: number): number | undefined {
  return Number.isFinite(value) ? value : undefined;
}
