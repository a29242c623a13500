import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { jsonEqual } from '../lib/json-equal.js';
import { mapLimit } from '../lib/map-limit.js';
import type {
  CompiledFilterPushdown,
  CompiledResourceMapping,
  OperationName,
  ResourceTypeName,
} from '../mapping/mapping-types.js';
import { formatAttrPath } from '../scim/attr-path.js';
import { isPlainObject } from '../scim/attributes.js';
import { isScimError, scimErrors } from '../scim/errors.js';
import type { AttrPath } from '../scim/filter/index.js';
import type { ScimResource } from '../scim/schema-types.js';
import type { CallOptions, Connector, OperationOutcome } from './connector.js';
import type { RenderInput } from './render-request.js';
import type { RequestContext } from './request-context.js';
import type { UpstreamRequest } from './upstream-client.js';

/**
 * A record as the app holds it, read through the mapping: its app id, its SCIM view (toScim's
 * output without nulls; group member values are app ids) and the raw record.
 */
export interface AppView {
  appId: string;
  scim: ScimResource;
  record: Record<string, unknown>;
}

/**
 * The app calls that take a resource from one state to the next, in the order they run: the
 * whole-record update when the app record changes, then the dedicated calls. Member values are
 * app ids.
 */
export interface ChangePlan {
  update?: { app: unknown; scim: ScimResource };
  /** activate (true) or deactivate (false), when the mapping has dedicated calls for it. */
  active?: boolean;
  addMembers: string[];
  removeMembers: string[];
}

/** One call of a plan, as `dry-run` and tests see it. */
export interface PlannedCall {
  operation: OperationName;
  input: RenderInput;
}

/** What running a plan did. */
export interface ChangeOutcome {
  /** The app id after the change: another one when the app renamed the record (a login key). */
  appId: string;
  /** The record after the change when the app answered with it (no read-back is made). */
  view: AppView | undefined;
  calls: number;
}

/** What a list call is asked for. */
export interface ListNeeds {
  withMembers: boolean;
  /** Whether the request needs this (lower-cased) SCIM attribute; list items may lack some. */
  needs: (attribute: string) => boolean;
  /** Most records to read before answering 400 tooMany with `overBudget` as its detail. */
  maxScan: number;
  overBudget: string;
  /** Parallel reads when list items must be read one by one. */
  fanOut: number;
}

/** What the service knows of the app: the gateway's interface, nothing else of the connector. */
export interface AppGateway {
  readonly type: ResourceTypeName;
  readonly dedicatedMembers: boolean;
  readonly keepsRecord: boolean;
  readonly preserve: readonly string[];
  canFind(path: AttrPath): boolean;
  read(context: RequestContext, appId: string, withMembers: boolean): Promise<AppView>;
  readIfPresent(context: RequestContext, appId: string, withMembers: boolean): Promise<AppView | undefined>;
  find(
    context: RequestContext,
    path: AttrPath,
    value: string | number,
    needs: ListNeeds,
  ): Promise<AppView[] | undefined>;
  scanAll(context: RequestContext, needs: ListNeeds): Promise<AppView[]>;
  page(
    context: RequestContext,
    offset: number,
    count: number,
    needs: ListNeeds,
  ): Promise<{ views: AppView[]; total: number } | undefined>;
  create(context: RequestContext, scim: ScimResource): Promise<{ view: AppView; followUp: ChangePlan }>;
  planChange(current: AppView, next: ScimResource, options?: { membersKnown?: boolean }): Promise<ChangePlan>;
  planMembers(add: string[], remove: string[]): ChangePlan;
  run(
    context: RequestContext,
    appId: string,
    plan: ChangePlan,
    current: AppView | undefined,
    fanOut: number,
  ): Promise<ChangeOutcome>;
  remove(context: RequestContext, appId: string): Promise<void>;
}

/** Page size used to walk an app's list when the mapping does not state one. */
const DEFAULT_APP_PAGE = 100;
/** Loops over members and records yield to the event loop this often. */
const YIELD_EVERY = 1_000;
/** Attributes the adapter sets itself; toScim's output never does. */
const SERVICE_ATTRIBUTES = ['id', 'schemas'];

/**
 * The one seam between SCIM work and the app, for one resource type: every use of the compiled
 * mapping (render, call, read ids, toScim, fromScim, list paging, push-down searches, dedicated
 * calls) happens here. The service sees records only as {@link AppView}s and changes only as
 * {@link ChangePlan}s; `planChange` is pure, so `dry-run` prints exactly what the service runs.
 */
export class ResourceGateway implements AppGateway {
  constructor(
    private readonly connector: Connector,
    readonly type: ResourceTypeName,
  ) {}

  private get mapping(): CompiledResourceMapping {
    return this.connector.resource(this.type);
  }

  /** Member changes go through addMember/removeMember, one call per member; the group is not rewritten. */
  get dedicatedMembers(): boolean {
    const { operations } = this.mapping;
    return (
      this.type === 'Group' &&
      Boolean(operations.addMember && operations.removeMember) &&
      (!operations.update || operations.update.omits.has('members'))
    );
  }

  /** activate/deactivate carry `active`; the update does not. */
  get dedicatedActive(): boolean {
    const { operations } = this.mapping;
    return Boolean(operations.activate) && (!operations.update || operations.update.omits.has('active'));
  }

  /** The app's delete only disables the record: the adapter keeps a tombstone. */
  get keepsRecord(): boolean {
    return this.mapping.operations.delete?.keepsRecord === true;
  }

  /** SCIM attribute paths the id map keeps the client's value of (the app stores them lossily). */
  get preserve(): readonly string[] {
    return this.mapping.preserve;
  }

  /** Whether an equality on this attribute is searched by the app itself. */
  canFind(path: AttrPath): boolean {
    return this.pushdownFor(path) !== undefined;
  }

  // ---------------------------------------------------------------------------------------------
  // Reading
  // ---------------------------------------------------------------------------------------------

  /** The record under `appId`; the app's 404 passes through as a SCIM 404. */
  async read(context: RequestContext, appId: string, withMembers: boolean): Promise<AppView> {
    const { result } = await this.connector.call(context, this.type, 'get', { appId, withMembers });
    if (!isPlainObject(result))
      throw scimErrors.badGateway(`The app returned no ${this.type} record for ${appId}`);
    return this.view(result);
  }

  /** The record under `appId`, or undefined when the app answers 404. */
  async readIfPresent(
    context: RequestContext,
    appId: string,
    withMembers: boolean,
  ): Promise<AppView | undefined> {
    try {
      return await this.read(context, appId, withMembers);
    } catch (error) {
      if (isScimError(error) && error.status === 404) return undefined;
      throw error;
    }
  }

  /**
   * Records whose attribute at `path` equals `value`, searched by the app (the mapping's push-down), all
   * pages; undefined when the app cannot search that attribute. The caller evaluates the exact
   * match: apps search loosely.
   */
  async find(
    context: RequestContext,
    path: AttrPath,
    value: string | number,
    needs: ListNeeds,
  ): Promise<AppView[] | undefined> {
    const pushdown = this.pushdownFor(path);
    if (!pushdown) return undefined;
    // A value that cannot stand in a path segment names no record.
    if (pushdown.path?.includes('{value}') && /^\.+$/.test(String(value))) return [];
    const options: CallOptions = { extraQuery: pushdown.query };
    if (pushdown.path) options.pathOverride = pushdown.path;
    try {
      return await this.scan(context, needs, { value }, options);
    } catch (error) {
      // A lookup endpoint (`/users/by-login/{value}`) answers 404 when nothing matches.
      if (pushdown.path && isScimError(error) && error.status === 404) return [];
      throw error;
    }
  }

  /** Every record the list call yields (all pages), within `needs.maxScan`. */
  scanAll(context: RequestContext, needs: ListNeeds): Promise<AppView[]> {
    return this.scan(context, needs, {}, {});
  }

  /**
   * Records `offset` to `offset + count` of the app's list and the app's total, when the app pages
   * and counts (`pageSize` and `total`); undefined when it cannot.
   */
  async page(
    context: RequestContext,
    offset: number,
    count: number,
    needs: ListNeeds,
  ): Promise<{ views: AppView[]; total: number } | undefined> {
    const list = this.mapping.operations.list;
    if (list.pageSize === undefined || list.total === undefined) return undefined;
    const records: unknown[] = [];
    let total = 0;
    let at = offset;
    const end = offset + count;
    do {
      const limit = Math.min(list.pageSize, Math.max(end - at, 1));
      const page = await this.connector.listPage(context, this.type, {
        withMembers: needs.withMembers,
        ...paging(at, limit),
      });
      total = page.total ?? 0;
      records.push(...page.items.slice(0, Math.max(0, end - at)));
      at += page.items.length;
      if (page.items.length < limit) break;
    } while (at < end && at < total);
    return { views: await this.complete(context, records, needs), total };
  }

  // ---------------------------------------------------------------------------------------------
  // Writing
  // ---------------------------------------------------------------------------------------------

  /**
   * Creates the record from `scim` (member values are app ids): one call. Returns its view and the
   * calls that must follow for what the create call cannot carry (`omits`); the view already
   * shows their outcome.
   */
  async create(
    context: RequestContext,
    scim: ScimResource,
  ): Promise<{ view: AppView; followUp: ChangePlan }> {
    const { call, followUp } = await this.planCreate(scim);
    const outcome = await this.connector.call(context, this.type, call.operation, call.input);
    const view = await this.createdRecord(context, outcome);
    if (followUp.addMembers.length > 0) view.scim.members = scim.members;
    if (followUp.active !== undefined) view.scim.active = followUp.active;
    return { view, followUp };
  }

  /** The create call for `scim` and the calls that must follow it (what `omits` keeps out). */
  async planCreate(scim: ScimResource): Promise<{ call: PlannedCall; followUp: ChangePlan }> {
    const omits = this.mapping.operations.create.omits;
    const input = { ...scim };
    if (omits.has('members')) delete input.members;
    if (omits.has('active')) delete input.active;
    const app = await this.mapping.fromScim.evaluate(input);
    const followUp: ChangePlan = { addMembers: [], removeMembers: [] };
    if (omits.has('members') && this.type === 'Group') followUp.addMembers = memberIds(scim.members);
    if (omits.has('active') && scim.active === false) followUp.active = false;
    return { call: { operation: 'create', input: { app, scim: input } }, followUp };
  }

  /**
   * The list call a query starts with: the push-down search for `path eq value` when the app can
   * search it, else the first page of the whole list.
   */
  listCall(
    path?: AttrPath,
    value?: string | number,
  ): { call: PlannedCall; options: CallOptions; searched: boolean } {
    const pageSize = this.mapping.operations.list.pageSize ?? DEFAULT_APP_PAGE;
    const input: RenderInput = { withMembers: true, ...paging(0, pageSize) };
    const pushdown = path === undefined ? undefined : this.pushdownFor(path);
    if (!pushdown || value === undefined)
      return { call: { operation: 'list', input }, options: {}, searched: false };
    const options: CallOptions = { extraQuery: pushdown.query };
    if (pushdown.path) options.pathOverride = pushdown.path;
    return { call: { operation: 'list', input: { ...input, value } }, options, searched: true };
  }

  /**
   * The calls that take the app from `current` to `next` (SCIM states, member values app ids):
   * the whole-record update when fromScim's output differs, with what the update omits kept at
   * its current value, then activate/deactivate and the member calls. Pure: nothing is sent.
   * `membersKnown: false` (the group was read without members) plans no member changes.
   */
  async planChange(
    current: AppView,
    next: ScimResource,
    options: { membersKnown?: boolean } = {},
  ): Promise<ChangePlan> {
    const mapping = this.mapping;
    const plan: ChangePlan = { addMembers: [], removeMembers: [] };
    const updateInput: ScimResource = { ...next };
    const now = current.scim;
    if (this.dedicatedActive) {
      const nextActive = typeof next.active === 'boolean' ? next.active : undefined;
      if (nextActive !== undefined && nextActive !== (now.active !== false)) plan.active = nextActive;
      if (now.active === undefined) delete updateInput.active;
      else updateInput.active = now.active;
    }
    if (this.dedicatedMembers) {
      if (options.membersKnown !== false) {
        const before = new Set(memberIds(now.members));
        // No members in the next state means none (PATCH removed them, PUT left them out).
        const after = new Set(memberIds(next.members));
        plan.addMembers = [...after].filter((id) => !before.has(id));
        plan.removeMembers = [...before].filter((id) => !after.has(id));
      }
      if (now.members === undefined) delete updateInput.members;
      else updateInput.members = now.members;
    }
    const before = await mapping.fromScim.evaluate(now);
    const after = await mapping.fromScim.evaluate(updateInput);
    if (!jsonEqual(before, after)) {
      if (!mapping.operations.update) {
        throw scimErrors.notImplemented(
          `The app offers no way to update a ${this.type} (no update operation)`,
        );
      }
      plan.update = { app: after, scim: updateInput };
    }
    return plan;
  }

  /** Member changes alone, known without reading the group. */
  planMembers(add: string[], remove: string[]): ChangePlan {
    return { addMembers: add, removeMembers: remove };
  }

  /** The calls of a plan, in order, as `dry-run` shows them. */
  plannedCalls(appId: string, plan: ChangePlan, current?: AppView): PlannedCall[] {
    const calls: PlannedCall[] = [];
    if (plan.update) {
      const input: RenderInput = { appId, app: plan.update.app, scim: plan.update.scim };
      if (current) input.current = current.record;
      calls.push({ operation: 'update', input });
    }
    if (plan.active !== undefined)
      calls.push({ operation: plan.active ? 'activate' : 'deactivate', input: { appId } });
    for (const memberAppId of plan.addMembers)
      calls.push({ operation: 'addMember', input: { appId, memberAppId } });
    for (const memberAppId of plan.removeMembers)
      calls.push({ operation: 'removeMember', input: { appId, memberAppId } });
    return calls;
  }

  /** The requests a plan would send (dry-run). */
  render(call: PlannedCall, options: CallOptions = {}): Promise<UpstreamRequest> {
    return this.connector.render(this.type, call.operation, call.input, options);
  }

  /**
   * Runs a plan. The update's answer gives the record when it holds one; otherwise nothing is
   * read back. An answer that names another app id (body, Location, or the id of the new state
   * once the app confirms it) means the app renamed the record: the outcome says so.
   */
  async run(
    context: RequestContext,
    appId: string,
    plan: ChangePlan,
    current: AppView | undefined,
    fanOut: number,
  ): Promise<ChangeOutcome> {
    let id = appId;
    let view: AppView | undefined;
    let calls = 0;
    if (plan.update) {
      const input: RenderInput = { appId, app: plan.update.app, scim: plan.update.scim };
      if (current) input.current = current.record;
      const outcome = await this.connector.call(context, this.type, 'update', input);
      calls++;
      ({ appId: id, view } = await this.afterUpdate(context, outcome, appId, plan.update.app));
    }
    if (plan.active !== undefined) {
      await this.connector.call(context, this.type, plan.active ? 'activate' : 'deactivate', { appId: id });
      calls++;
    }
    calls += await this.changeMembers(context, id, plan.addMembers, 'addMember', fanOut);
    calls += await this.changeMembers(context, id, plan.removeMembers, 'removeMember', fanOut);
    return { appId: id, view, calls };
  }

  async remove(context: RequestContext, appId: string): Promise<void> {
    await this.connector.call(context, this.type, 'delete', { appId });
  }

  /** The view of an app record (a list item, an answer). */
  async view(record: Record<string, unknown>): Promise<AppView> {
    return { appId: await this.appIdOf(record), scim: await this.toScim(record), record };
  }

  /** The app id a value yields through the mapping's id expression, or undefined when none. */
  async appIdIfAny(value: unknown): Promise<string | undefined> {
    if (!isPlainObject(value)) return undefined;
    const id = await this.mapping.id.evaluate(value);
    return (typeof id === 'string' && id !== '') || typeof id === 'number' ? String(id) : undefined;
  }

  // ---------------------------------------------------------------------------------------------

  private async appIdOf(record: unknown): Promise<string> {
    const id = await this.appIdIfAny(record);
    if (id !== undefined) return id;
    throw scimErrors.badGateway(
      `The app returned a ${this.type} record without an id (check the mapping's id expression)`,
    );
  }

  private async toScim(record: unknown): Promise<ScimResource> {
    const value = await this.mapping.toScim.evaluate(record);
    if (!isPlainObject(value)) {
      throw scimErrors.badGateway(`The mapping's toScim for ${this.type} did not produce an object`);
    }
    for (const key of SERVICE_ATTRIBUTES) delete value[key];
    return withoutNulls(value);
  }

  /** The record a create returned, or a read when the app answered with only its id. */
  private async createdRecord(context: RequestContext, outcome: OperationOutcome): Promise<AppView> {
    const { result } = outcome;
    if (isPlainObject(result) && Object.keys(result).length > 1) return this.view(result);
    const id = (await this.idNamedBy(outcome)) ?? undefined;
    if (id === undefined) {
      throw scimErrors.badGateway(
        `The app's answer to ${this.type} create holds neither the record nor its id (set operations.create.response)`,
      );
    }
    return this.read(context, id, true);
  }

  private async afterUpdate(
    context: RequestContext,
    outcome: OperationOutcome,
    appId: string,
    appAfter: unknown,
  ): Promise<{ appId: string; view: AppView | undefined }> {
    const { result } = outcome;
    if (isPlainObject(result) && Object.keys(result).length > 1) {
      const view = await this.view(result);
      return { appId: view.appId, view };
    }
    const named = await this.idNamedBy(outcome);
    if (named !== undefined) return { appId: named, view: undefined };
    // Nothing named: the id the new state yields differs only when the app keys records by a
    // field the update changed (a login). One read confirms it before the id map follows.
    const renamed = await this.appIdIfAny(appAfter);
    if (renamed === undefined || renamed === appId) return { appId, view: undefined };
    const view = await this.readIfPresent(context, renamed, true);
    return view ? { appId: view.appId, view } : { appId, view: undefined };
  }

  /** The id an answer names: a bare id, a small object the id expression reads, or Location. */
  private async idNamedBy(outcome: OperationOutcome): Promise<string | undefined> {
    const { result } = outcome;
    if (typeof result === 'string' || typeof result === 'number') return String(result);
    if (isPlainObject(result)) {
      const id = await this.appIdIfAny(result);
      if (id !== undefined) return id;
    }
    return idFromLocation(outcome.response.headers.location);
  }

  /**
   * One call per member, `fanOut` at a time. Adding a member who is already there (409) and
   * removing one who is not (404, once the group is known to exist) are the outcome asked for.
   */
  private async changeMembers(
    context: RequestContext,
    appId: string,
    members: string[],
    operation: 'addMember' | 'removeMember',
    fanOut: number,
  ): Promise<number> {
    let groupExists: Promise<boolean> | undefined;
    await mapLimit(members, fanOut, async (memberAppId) => {
      try {
        await this.connector.call(context, this.type, operation, { appId, memberAppId });
      } catch (error) {
        if (!isScimError(error)) throw error;
        if (operation === 'addMember' && error.status === 409) return;
        if (operation !== 'removeMember' || error.status !== 404) throw error;
        groupExists ??= this.readIfPresent(context, appId, false).then((view) => view !== undefined);
        if (!(await groupExists)) throw scimErrors.notFound(`${this.type} ${appId} not found in the app`);
      }
    });
    return members.length;
  }

  private pushdownFor(path: AttrPath): CompiledFilterPushdown | undefined {
    return (
      this.mapping.filters.get(formatAttrPath(path).toLowerCase()) ??
      this.mapping.filters.get(formatAttrPath({ ...path, schema: undefined }).toLowerCase())
    );
  }

  private async scan(
    context: RequestContext,
    needs: ListNeeds,
    input: RenderInput,
    options: CallOptions,
  ): Promise<AppView[]> {
    const list = this.mapping.operations.list;
    const pageSize = list.pageSize ?? DEFAULT_APP_PAGE;
    const records: unknown[] = [];
    let offset = 0;
    for (;;) {
      const page = await this.connector.listPage(
        context,
        this.type,
        { ...input, withMembers: needs.withMembers, ...paging(offset, pageSize) },
        options,
      );
      records.push(...page.items);
      if (records.length > needs.maxScan) throw scimErrors.tooMany(needs.overBudget);
      offset += page.items.length;
      const done =
        list.pageSize === undefined ||
        page.items.length < pageSize ||
        page.items.length === 0 ||
        (page.total !== undefined && offset >= page.total);
      if (done) break;
    }
    return this.complete(context, records, needs);
  }

  /** Views of list items; items that lack an attribute the request needs (`itemsLack`) are read one by one. */
  private async complete(context: RequestContext, records: unknown[], needs: ListNeeds): Promise<AppView[]> {
    const lacking = this.mapping.operations.list.itemsLack;
    const readEach = lacking.some((attribute) => needs.needs(attribute));
    return mapLimit(records, readEach ? needs.fanOut : 1, async (record, index) => {
      if (!isPlainObject(record))
        throw scimErrors.badGateway(`The app listed a ${this.type} that is not an object`);
      if (index % YIELD_EVERY === YIELD_EVERY - 1) await yieldToEventLoop();
      return readEach ? this.read(context, await this.appIdOf(record), needs.withMembers) : this.view(record);
    });
  }
}

/** Paging values for list expressions: 0-based offset, 1-based page, page size. */
function paging(offset: number, limit: number): { offset: number; limit: number; page: number } {
  return { offset, limit, page: Math.floor(offset / limit) + 1 };
}

/** Member values (`{ value }` or bare ids) as strings, in order, each once. */
export function memberIds(members: unknown): string[] {
  if (!Array.isArray(members)) return [];
  const ids = new Set<string>();
  for (const member of members) {
    const value = isPlainObject(member) ? member.value : member;
    if (typeof value === 'string' || typeof value === 'number') ids.add(String(value));
  }
  return [...ids];
}

/** RFC 7643 §2.5: null and empty values mean "unassigned"; apps answer null for empty fields. */
export function withoutNulls(resource: ScimResource): ScimResource {
  const clean = (value: unknown): unknown => {
    if (Array.isArray(value)) {
      const items = value.map(clean).filter((v) => v !== undefined);
      return items.length > 0 ? items : undefined;
    }
    if (isPlainObject(value)) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        const cleaned = clean(v);
        if (cleaned !== undefined) out[k] = cleaned;
      }
      return Object.keys(out).length > 0 ? out : undefined;
    }
    return value === null ? undefined : value;
  };
  return (clean(resource) as ScimResource | undefined) ?? {};
}

function idFromLocation(location: string | undefined): string | undefined {
  if (!location) return undefined;
  const last = location.split('?')[0]?.replace(/\/+$/, '').split('/').pop();
  return last ? decodeURIComponent(last.replace(/\.json$/, '')) : undefined;
}
