import type { CallOptions } from '../connector/connector.js';
import type {
  CompiledFilterPushdown,
  CompiledResourceMapping,
  ResourceTypeName,
} from '../mapping/mapping-types.js';
import type { RenderInput } from '../connector/render-request.js';
import type { RequestContext } from '../connector/request-context.js';
import type { IdMapEntry } from '../idmap/types.js';
import { formatAttrPath } from '../scim/attr-path.js';
import { isScimError, scimErrors } from '../scim/errors.js';
import {
  type AttrPath,
  checkFilterValues,
  evaluateFilter,
  type Filter,
  findEqualityConstraints,
  parseFilter,
} from '../scim/filter/index.js';
import { projectResource, wantsAttribute } from '../scim/projection.js';
import type { ScimResource } from '../scim/schema-types.js';
import { resolveSorting, type SortOrder, sortResources } from '../scim/sort.js';
import { mapLimit } from './map-limit.js';
import type { RecordReader } from './record-reader.js';
import type { PresentedResource, ResourceCodec } from './resource-codec.js';
import { buildResponse, fullResource } from './response.js';
import type { ReadOptions, ServiceDeps } from './service-deps.js';

export interface QueryRequest {
  filter?: string;
  /** RFC 7644 §3.4.2.3: an attribute path, checked against the schema here. */
  sortBy?: string;
  sortOrder?: SortOrder;
  startIndex?: number;
  count?: number;
}

/** RFC 7644 §3.4.2 ListResponse body, without `schemas` (added at the edge). */
export interface ListResult {
  totalResults: number;
  startIndex: number;
  itemsPerPage: number;
  Resources: ScimResource[];
}

/** Whether the request needs an attribute (asked for, or used by the filter). */
type Needs = (attribute: string) => boolean;

/** Page size used to walk an app's list when the mapping does not state one. */
const DEFAULT_APP_PAGE = 100;

const FILTER_OVER_BUDGET = (maxScan: number) =>
  `The filter matches more than ${maxScan} records in the app; narrow it to an attribute the app can search`;
const SORT_OVER_BUDGET = (maxScan: number) =>
  `Sorting needs every record, and the app holds more than ${maxScan}; add a filter the app can search, or leave out sortBy`;

/**
 * GET /Users and /Groups: push what the app can search down to it (`userName eq "x"` →
 * `GET /users?login=x`), answer `id`/`externalId` lookups from the id map, evaluate the whole
 * filter in the adapter on what comes back, and page in SCIM terms.
 */
export class ResourceQuery {
  constructor(
    private readonly type: ResourceTypeName,
    private readonly deps: ServiceDeps,
    private readonly codec: ResourceCodec,
    private readonly records: RecordReader,
  ) {}

  async run(context: RequestContext, request: QueryRequest, options: ReadOptions): Promise<ListResult> {
    const startIndex = Math.max(1, Math.trunc(request.startIndex ?? 1));
    const count = Math.min(
      Math.max(0, Math.trunc(request.count ?? this.deps.limits.defaultCount)),
      this.deps.limits.maxCount,
    );
    const schema = this.deps.schemas[this.type];
    const filter =
      request.filter === undefined || request.filter.trim() === '' ? undefined : parseFilter(request.filter);
    if (filter) checkFilterValues(filter, schema);
    const sorting =
      request.sortBy === undefined ? undefined : resolveSorting(schema, request.sortBy, request.sortOrder);
    const needs: Needs = (attribute) =>
      wantsAttribute(options, attribute) ||
      (filter !== undefined && mentions(filter, attribute)) ||
      (sorting !== undefined && sorting.attribute.definition.name.toLowerCase() === attribute.toLowerCase());
    if (!filter && !sorting) return this.unfiltered(context, startIndex, count, needs, options);

    // Filtering and sorting need the whole result set before the page is cut.
    const candidates = filter
      ? await this.candidates(context, filter, needs)
      : await this.scan(context, needs, {}, {}, SORT_OVER_BUDGET);
    // Filters and sorting see the whole resource, id and meta included (`id eq`, `meta.lastModified gt`).
    const resources = candidates
      .filter((c) => !c.entry.deleted)
      .map((c) => fullResource(this.type, c, schema, options.baseUrl));
    const matches = filter
      ? resources.filter((resource) => evaluateFilter(filter, resource, schema))
      : resources;
    const ordered = sorting ? sortResources(matches, sorting) : matches;
    const page = ordered.slice(startIndex - 1, startIndex - 1 + count);
    return {
      totalResults: ordered.length,
      startIndex,
      itemsPerPage: page.length,
      Resources: page.map((resource) => projectResource(resource, schema, options)),
    };
  }

  private async candidates(
    context: RequestContext,
    filter: Filter,
    needs: Needs,
  ): Promise<PresentedResource[]> {
    const constraints = findEqualityConstraints(filter).filter(
      (c) => typeof c.value === 'string' || typeof c.value === 'number',
    );
    const byId = constraints.find((c) => isCore(c.path, 'id'));
    if (byId)
      return this.fromIdMap(
        context,
        await this.deps.idMap.get(this.type, String(byId.value)),
        needs('members'),
      );
    for (const constraint of constraints) {
      const pushdown = this.pushdownFor(constraint.path);
      if (pushdown) {
        // A value that cannot stand in a path segment names no record.
        if (pushdown.path?.includes('{value}') && /^\.+$/.test(String(constraint.value))) return [];
        const options: CallOptions = { extraQuery: pushdown.query };
        if (pushdown.path) options.pathOverride = pushdown.path;
        try {
          return await this.scan(context, needs, { value: constraint.value }, options);
        } catch (error) {
          // A lookup endpoint (`/users/by-login/{value}`) answers 404 when nothing matches.
          if (pushdown.path && isScimError(error) && error.status === 404) return [];
          throw error;
        }
      }
    }
    const byExternalId = constraints.find((c) => isCore(c.path, 'externalId'));
    if (byExternalId) {
      return this.fromIdMap(
        context,
        await this.deps.idMap.findByExternalId(this.type, String(byExternalId.value)),
        needs('members'),
      );
    }
    return this.scan(context, needs, {}, {});
  }

  private pushdownFor(path: AttrPath): CompiledFilterPushdown | undefined {
    return findPushdown(this.codec.mapping(this.type), path);
  }

  private async fromIdMap(
    context: RequestContext,
    entry: Awaited<ReturnType<ServiceDeps['idMap']['get']>>,
    withMembers: boolean,
  ): Promise<PresentedResource[]> {
    if (!entry || entry.deleted) return [];
    // Re-checked like a GET: one 404 does not make the filter answer "no such resource".
    const record = await this.records.recordOf(context, entry, withMembers);
    return record === undefined ? [] : [await this.codec.present(this.type, record, { entry, withMembers })];
  }

  /** Reads every record the list call yields (all pages), within the scan budget. */
  private async scan(
    context: RequestContext,
    needs: Needs,
    input: RenderInput,
    options: CallOptions,
    overBudget = FILTER_OVER_BUDGET,
  ): Promise<PresentedResource[]> {
    const records = await this.scanRecords(
      context,
      { ...input, withMembers: needs('members') },
      options,
      overBudget,
    );
    return this.presentAll(context, records, needs);
  }

  /** `overBudget` words the tooMany error for what needed the scan (a filter, sorting). */
  private async scanRecords(
    context: RequestContext,
    input: RenderInput,
    options: CallOptions,
    overBudget = FILTER_OVER_BUDGET,
  ): Promise<unknown[]> {
    const list = this.codec.mapping(this.type).operations.list;
    const pageSize = list.pageSize ?? DEFAULT_APP_PAGE;
    const records: unknown[] = [];
    let offset = 0;
    for (;;) {
      const page = await this.deps.connector.listPage(
        context,
        this.type,
        { ...input, ...paging(offset, pageSize) },
        options,
      );
      records.push(...page.items);
      if (records.length > this.deps.limits.maxScan) {
        throw scimErrors.tooMany(overBudget(this.deps.limits.maxScan));
      }
      offset += page.items.length;
      const done =
        list.pageSize === undefined ||
        page.items.length < pageSize ||
        page.items.length === 0 ||
        (page.total !== undefined && offset >= page.total);
      if (done) break;
    }
    return records;
  }

  /**
   * App records whose `attribute` equals `value` (ignoring case), each with its id map entry when
   * the adapter knows it: what a create of that identity (finished, racing, or whose answer was
   * lost) left in the app.
   */
  async findRecords(
    context: RequestContext,
    attribute: string,
    value: string,
  ): Promise<Array<{ record: unknown; entry: IdMapEntry | undefined }>> {
    const pushdown = this.pushdownFor({ attribute });
    const options: CallOptions = pushdown ? { extraQuery: pushdown.query } : {};
    if (pushdown?.path) options.pathOverride = pushdown.path;
    let records: unknown[];
    try {
      records = await this.scanRecords(context, { value, withMembers: false }, options);
    } catch (error) {
      // A lookup endpoint (`/users/by-login/{value}`) answers 404 when nothing matches.
      if (pushdown?.path && isScimError(error) && error.status === 404) return [];
      throw error;
    }
    const found: Array<{ record: unknown; entry: IdMapEntry | undefined }> = [];
    for (const record of records) {
      const derived = await this.codec.derive(this.type, record);
      const candidate = derived[attribute];
      if (typeof candidate !== 'string' || candidate.toLowerCase() !== value.toLowerCase()) continue;
      const appId = await this.codec.appIdOf(this.type, record);
      found.push({ record, entry: await this.deps.idMap.findByAppId(this.type, appId) });
    }
    return found;
  }

  private async unfiltered(
    context: RequestContext,
    startIndex: number,
    count: number,
    needs: Needs,
    options: ReadOptions,
  ): Promise<ListResult> {
    const list = this.codec.mapping(this.type).operations.list;
    if (list.pageSize === undefined || list.total === undefined) {
      // The app cannot page or count for us: read everything, page here.
      const all = (await this.scan(context, needs, {}, {})).filter((p) => !p.entry.deleted);
      return this.result(all.length, startIndex, all.slice(startIndex - 1, startIndex - 1 + count), options);
    }
    const records: unknown[] = [];
    let total = 0;
    let offset = startIndex - 1;
    const end = startIndex - 1 + count;
    do {
      const limit = Math.min(list.pageSize, Math.max(end - offset, 1));
      const page = await this.deps.connector.listPage(context, this.type, {
        withMembers: needs('members'),
        ...paging(offset, limit),
      });
      total = page.total ?? 0;
      records.push(...page.items.slice(0, Math.max(0, end - offset)));
      offset += page.items.length;
      if (page.items.length < limit) break;
    } while (offset < end && offset < total);
    // Records deleted through SCIM but kept by the app are left out; the app's total still
    // counts them, so totalResults can be that many too high.
    const presented = (await this.presentAll(context, records, needs)).filter((p) => !p.entry.deleted);
    return this.result(total, startIndex, presented, options);
  }

  /** Items that lack an attribute this request needs (the mapping's `itemsLack`) are read one by one. */
  private async presentAll(
    context: RequestContext,
    records: unknown[],
    needs: Needs,
  ): Promise<PresentedResource[]> {
    const lacking = this.codec.mapping(this.type).operations.list.itemsLack;
    const needsGet = lacking.some((attribute) => needs(attribute));
    const withMembers = needs('members');
    return mapLimit(records, this.deps.limits.fanOut, async (record) => {
      if (!needsGet) return this.codec.present(this.type, record, { withMembers });
      const appId = await this.codec.appIdOf(this.type, record);
      const { result } = await this.deps.connector.call(context, this.type, 'get', { appId, withMembers });
      return this.codec.present(this.type, result, { withMembers });
    });
  }

  private result(
    total: number,
    startIndex: number,
    page: PresentedResource[],
    options: ReadOptions,
  ): ListResult {
    const schema = this.deps.schemas[this.type];
    return {
      totalResults: total,
      startIndex,
      itemsPerPage: page.length,
      Resources: page.map((p) => buildResponse(this.type, p, schema, options)),
    };
  }
}

/** The mapping's push-down for an attribute path, written with or without its schema URN. */
export function findPushdown(
  mapping: CompiledResourceMapping,
  path: AttrPath,
): CompiledFilterPushdown | undefined {
  return (
    mapping.filters.get(formatAttrPath(path).toLowerCase()) ??
    mapping.filters.get(formatAttrPath({ ...path, schema: undefined }).toLowerCase())
  );
}

/** Paging values for list expressions: 0-based offset, 1-based page, page size. */
function paging(offset: number, limit: number): { offset: number; limit: number; page: number } {
  return { offset, limit, page: Math.floor(offset / limit) + 1 };
}

function isCore(path: AttrPath, name: string): boolean {
  return (
    path.subAttribute === undefined &&
    path.attribute.toLowerCase() === name.toLowerCase() &&
    (path.schema === undefined ||
      path.schema.toLowerCase().startsWith('urn:ietf:params:scim:schemas:core:2.0:'))
  );
}

function mentions(filter: Filter, attribute: string): boolean {
  const lower = attribute.toLowerCase();
  switch (filter.kind) {
    case 'and':
    case 'or':
      return mentions(filter.left, attribute) || mentions(filter.right, attribute);
    case 'not':
      return mentions(filter.filter, attribute);
    default:
      return filter.path.attribute.toLowerCase() === lower;
  }
}
