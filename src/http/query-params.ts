import { scimErrors } from '../scim/errors.js';
import { parseAttributeList } from '../scim/projection.js';
import type { SortOrder } from '../scim/sort.js';
import type { QueryRequest } from '../service/resource-query.js';

export interface ProjectionParams {
  attributes?: string[];
  excludedAttributes?: string[];
}

type Query = Record<string, unknown>;

/**
 * RFC 7644 §3.4.2: filter, sortBy, sortOrder, startIndex, count. Unknown parameters
 * (aadOptscim062020 ...) are ignored. sortBy is checked against the schema by the query itself.
 */
export function listParams(query: Query): QueryRequest {
  const request: QueryRequest = {};
  const filter = single(query, 'filter');
  if (filter !== undefined) request.filter = filter;
  const sortBy = single(query, 'sortBy');
  if (sortBy !== undefined && sortBy.trim() !== '') request.sortBy = sortBy;
  const sortOrder = sortOrderParam(query);
  if (sortOrder !== undefined) request.sortOrder = sortOrder;
  const startIndex = integer(query, 'startIndex');
  if (startIndex !== undefined) request.startIndex = startIndex;
  const count = integer(query, 'count');
  if (count !== undefined) request.count = count;
  return request;
}

/** RFC 7644 §3.4.2.3: "ascending" or "descending"; clients capitalise them too. */
function sortOrderParam(query: Query): SortOrder | undefined {
  const text = single(query, 'sortOrder');
  if (text === undefined || text.trim() === '') return undefined;
  const order = text.trim().toLowerCase();
  if (order === 'ascending' || order === 'descending') return order;
  throw scimErrors.invalidValue(`sortOrder must be "ascending" or "descending", got "${text.slice(0, 40)}"`);
}

/** RFC 7644 §3.9: attributes / excludedAttributes, comma-separated. */
export function projectionParams(query: Query): ProjectionParams {
  const params: ProjectionParams = {};
  const attributes = single(query, 'attributes');
  const excluded = single(query, 'excludedAttributes');
  if (attributes !== undefined) params.attributes = attributeList('attributes', attributes);
  if (excluded !== undefined) params.excludedAttributes = attributeList('excludedAttributes', excluded);
  return params;
}

/** No resource has more attributes than this; a longer list is an attack on the projection. */
const MAX_ATTRIBUTE_NAMES = 200;

function attributeList(name: string, text: string): string[] {
  const list = parseAttributeList(withoutValueFilters(text));
  if (list.length > MAX_ATTRIBUTE_NAMES) {
    throw scimErrors.invalidValue(
      `${name} lists ${list.length} attributes; at most ${MAX_ATTRIBUTE_NAMES} are accepted`,
    );
  }
  return list;
}

/**
 * `emails[type eq "work"]` is not an attribute path (RFC 7644 §3.9 allows none), but clients send
 * it; it selects the attribute as a whole.
 */
function withoutValueFilters(list: string): string {
  return list.replace(/\[[^\]]*\]/g, '');
}

/** Parameter names compare case-insensitively: clients send `startindex` and `Filter` too. */
function single(query: Query, name: string): string | undefined {
  const lower = name.toLowerCase();
  const key = Object.keys(query).find((k) => k.toLowerCase() === lower);
  if (key === undefined) return undefined;
  const value = query[key];
  if (Array.isArray(value)) throw scimErrors.invalidValue(`Query parameter ${name} was given more than once`);
  return typeof value === 'string' ? value : undefined;
}

function integer(query: Query, name: string): number | undefined {
  const text = single(query, name);
  if (text === undefined || text === '') return undefined;
  if (!/^-?\d{1,9}$/.test(text.trim()))
    throw scimErrors.invalidValue(`${name} must be an integer, got "${text.slice(0, 40)}"`);
  return Number(text);
}
