import type { AppGateway, AppView, ListNeeds } from '../connector/gateway.js';
import type { RequestContext } from '../connector/request-context.js';
import type { IdMapEntry } from '../idmap/types.js';
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
    private readonly gateway: AppGateway,
    private readonly deps: ServiceDeps,
    private readonly codec: ResourceCodec,
    private readonly records: RecordReader,
  ) {}

  private get type() {
    return this.gateway.type;
  }

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
      : await this.presentAll(
          context,
          await this.gateway.scanAll(context, this.listNeeds(needs, SORT_OVER_BUDGET)),
          needs,
        );
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
      const found = await this.gateway.find(
        context,
        constraint.path,
        constraint.value as string | number,
        this.listNeeds(needs, FILTER_OVER_BUDGET),
      );
      if (found) return this.presentAll(context, found, needs);
    }
    const byExternalId = constraints.find((c) => isCore(c.path, 'externalId'));
    if (byExternalId) {
      return this.fromIdMap(
        context,
        await this.deps.idMap.findByExternalId(this.type, String(byExternalId.value)),
        needs('members'),
      );
    }
    return this.presentAll(
      context,
      await this.gateway.scanAll(context, this.listNeeds(needs, FILTER_OVER_BUDGET)),
      needs,
    );
  }

  private listNeeds(needs: Needs, overBudget: (maxScan: number) => string): ListNeeds {
    const { maxScan, fanOut } = this.deps.limits;
    return { withMembers: needs('members'), needs, maxScan, fanOut, overBudget: overBudget(maxScan) };
  }

  private async fromIdMap(
    context: RequestContext,
    entry: Awaited<ReturnType<ServiceDeps['idMap']['get']>>,
    withMembers: boolean,
  ): Promise<PresentedResource[]> {
    if (!entry || entry.deleted) return [];
    // Re-checked like a GET: one 404 does not make the filter answer "no such resource".
    const view = await this.records.recordOf(context, entry, withMembers);
    return view === undefined
      ? []
      : [await this.codec.present(view.scim, view.appId, { entry, withMembers, view, context })];
  }

  /**
   * App records whose `attribute` equals `value` (ignoring case), each with its id map entry when
   * the adapter knows it: what a create of that identity (finished, racing, or whose answer was
   * lost) left in the app. Searched by the app when it can, else read from its whole list.
   */
  async findRecords(
    context: RequestContext,
    attribute: string,
    value: string,
  ): Promise<Array<{ view: AppView; entry: IdMapEntry | undefined }>> {
    const needs = this.listNeeds(() => false, FILTER_OVER_BUDGET);
    const views =
      (await this.gateway.find(context, { attribute }, value, needs)) ??
      (await this.gateway.scanAll(context, needs));
    const found: Array<{ view: AppView; entry: IdMapEntry | undefined }> = [];
    for (const view of views) {
      const candidate = view.scim[attribute];
      if (typeof candidate !== 'string' || candidate.toLowerCase() !== value.toLowerCase()) continue;
      found.push({ view, entry: await this.deps.idMap.findByAppId(this.type, view.appId) });
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
    const listNeeds = this.listNeeds(needs, FILTER_OVER_BUDGET);
    const paged = await this.gateway.page(context, startIndex - 1, count, listNeeds);
    if (!paged) {
      // The app cannot page or count for us: read everything, page here.
      const all = (
        await this.presentAll(context, await this.gateway.scanAll(context, listNeeds), needs)
      ).filter((p) => !p.entry.deleted);
      return this.result(all.length, startIndex, all.slice(startIndex - 1, startIndex - 1 + count), options);
    }
    // Records deleted through SCIM but kept by the app are left out; the app's total still
    // counts them, so totalResults can be that many too high.
    const presented = (await this.presentAll(context, paged.views, needs)).filter((p) => !p.entry.deleted);
    return this.result(paged.total, startIndex, presented, options);
  }

  private async presentAll(
    context: RequestContext,
    views: AppView[],
    needs: Needs,
  ): Promise<PresentedResource[]> {
    const withMembers = needs('members');
    const presented: PresentedResource[] = [];
    for (const view of views)
      presented.push(await this.codec.present(view.scim, view.appId, { withMembers, view, context }));
    return presented;
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
