import { jsonEqual } from '../lib/json-equal.js';
import { mapLimit } from '../lib/map-limit.js';
import { setOwnProperty } from '../lib/own-property.js';
import { holdsLongArray, YIELD_EVERY, yieldToEventLoop } from '../lib/yield.js';
import { type Expression, withItemwiseKey, withoutResultKey } from '../mapping/expression.js';
import type {
  CompiledFilterPushdown,
  CompiledResourceMapping,
  IdSource,
  OperationName,
  ResourceTypeName,
} from '../mapping/mapping-types.js';
import { formatAttrPath, parseAttrPath } from '../scim/attr-path.js';
import { isPlainObject } from '../scim/attributes.js';
import { isScimError, scimErrors } from '../scim/errors.js';
import type { AttrPath } from '../scim/filter/index.js';
import type { ScimResource } from '../scim/schema-types.js';
import type { CallName, CallOptions, Connector, OperationOutcome } from './connector.js';
import { DEFAULT_APP_PAGE, type ListWindow, pagingValues, walkPages } from './list-walk.js';
import { keyValue, pickByKey } from './member-key.js';
import type { RenderInput } from './render-request.js';
import type { RequestContext } from './request-context.js';
import { isAnsweredFailure } from './translate-error.js';
import type { UpstreamRequest } from './upstream-client.js';
import { answeredRecordOrId, noIdInAnswer } from './written-id.js';

/**
 * A record as the app holds it, read through the mapping: its app id, its SCIM view (toScim's
 * output without nulls; group member values are app ids) and the raw record.
 */
export interface AppView {
  appId: string;
  scim: ScimResource;
  record: Record<string, unknown>;
  /** One of the app's own records (`protect`): never answered, matched, adopted or written through SCIM. */
  protected?: true;
  /**
   * Read without members: `scim` leaves out the members `record` holds (toScim did not map
   * them). A plan that needs them maps them from `record`.
   */
  membersLeftOut?: true;
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
  operation: CallName;
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
  /** The mapping declares `protect`: a write must first read the record to know it may. */
  readonly protects: boolean;
  /** Group: the User attribute the app's member values are (`members.key`); undefined: app ids. */
  readonly memberKey: string | undefined;
  /** The member key (`members.key`) a User's SCIM view yields, as the app's member lists carry it. */
  memberKeyIn(scim: ScimResource): string | undefined;
  /** Group with a member key: the key of the user `userAppId`, read from the app. */
  readMemberKey(context: RequestContext, userAppId: string): Promise<string | undefined>;
  /** Group with a member key: the user whose key is `key`, searched by the app; undefined: none, or several. */
  findMember(context: RequestContext, key: string): Promise<AppView | undefined>;
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

/** Most users one search for a member key may answer. */
const MEMBER_SEARCH_MAX = 100;
/** Attributes the adapter sets itself; toScim's output never does. */
const SERVICE_ATTRIBUTES = ['id', 'schemas'];

/**
 * The one seam between SCIM work and the app, for one resource type: every use of the compiled
 * mapping (render, call, read ids, toScim, fromScim, list paging, push-down searches, dedicated
 * calls) happens here. The service sees records only as {@link AppView}s and changes only as
 * {@link ChangePlan}s; `planChange` is pure, so `dry-run` prints exactly what the service runs.
 */
export class ResourceGateway implements AppGateway {
  /** toScim without `members`, and with members mapped in chunks, compiled once per mapping. */
  private groupToScim:
    | {
        mapping: CompiledResourceMapping;
        withoutMembers: Expression | undefined;
        inChunks: Expression | undefined;
      }
    | undefined;

  constructor(
    private readonly connector: Connector,
    readonly type: ResourceTypeName,
  ) {}

  private get mapping(): CompiledResourceMapping {
    return this.connector.resource(this.type);
  }

  /** A group's toScim that leaves members out, for reads that do not want them; undefined: none. */
  private get toScimWithoutMembers(): Expression | undefined {
    return this.groupVariants?.withoutMembers;
  }

  /** The toScim of a read with members: for a group, one that maps a long member list in chunks. */
  private get toScimWithMembers(): Expression {
    return this.groupVariants?.inChunks ?? this.mapping.toScim;
  }

  private get groupVariants() {
    if (this.type !== 'Group') return undefined;
    const mapping = this.mapping;
    if (this.groupToScim?.mapping !== mapping) {
      this.groupToScim = {
        mapping,
        withoutMembers: withoutResultKey(mapping.toScim, 'members'),
        inChunks: withItemwiseKey(mapping.toScim, 'members'),
      };
    }
    return this.groupToScim;
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

  get protects(): boolean {
    return this.mapping.protect !== undefined;
  }

  get memberKey(): string | undefined {
    return this.type === 'Group' ? this.mapping.memberKey : undefined;
  }

  memberKeyIn(scim: ScimResource): string | undefined {
    const key = this.connector.mapping.resources.Group?.memberKey;
    return key === undefined ? undefined : keyValue(scim, key);
  }

  async readMemberKey(context: RequestContext, userAppId: string): Promise<string | undefined> {
    const users = new ResourceGateway(this.connector, 'User');
    const view = await users.readIfPresent(context, userAppId, false);
    return view && !view.protected ? users.memberKeyIn(view.scim) : undefined;
  }

  async findMember(context: RequestContext, key: string): Promise<AppView | undefined> {
    const path = this.memberKey === undefined ? undefined : parseAttrPath(this.memberKey);
    if (!path) return undefined;
    const users = new ResourceGateway(this.connector, 'User');
    const needs: ListNeeds = {
      withMembers: false,
      needs: () => false,
      maxScan: MEMBER_SEARCH_MAX,
      fanOut: 1,
      overBudget: `The app's search for the member ${key} answers more than ${MEMBER_SEARCH_MAX} users`,
    };
    const found = (await users.find(context, path, key, needs)) ?? [];
    return pickByKey(found, key, (view) => users.memberKeyIn(view.scim));
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
    return this.view(await this.withSubReads(context, result, appId, withMembers), withMembers);
  }

  /**
   * The record with the results of `get`'s sub-reads merged in, each under its key; a sub-read
   * for members is made only when the request needs them. A 404 from a sub-read is the app's
   * fault (it has the record), never the record's absence.
   */
  private async withSubReads(
    context: RequestContext,
    record: Record<string, unknown>,
    appId: string,
    withMembers: boolean,
  ): Promise<Record<string, unknown>> {
    const subReads = this.mapping.operations.get.subReads.filter((sub) => withMembers || !sub.forMembers);
    if (subReads.length === 0) return record;
    const input: RenderInput = { appId, withMembers, record };
    const results = await Promise.all(
      subReads.map(async (sub) => {
        const name: CallName = `get.${sub.field}`;
        try {
          const { operation } = sub;
          if (operation.items === undefined && operation.paging.mode === 'none')
            return (await this.connector.call(context, this.type, name, input)).result;
          const window = { from: 0, to: Number.POSITIVE_INFINITY };
          return (await this.walk(context, name, input, {}, window)).items;
        } catch (error) {
          if (isScimError(error) && error.status === 404)
            throw scimErrors.badGateway(
              `The app answered 404 to ${this.type}.${name} for ${appId}, which it has`,
            );
          throw error;
        }
      }),
    );
    const merged = { ...record };
    subReads.forEach((sub, i) => {
      merged[sub.field] = results[i];
    });
    return merged;
  }

  /** `get` reads the members with a sub-read, so an answer of create or update lacks them. */
  private get readsMembersApart(): boolean {
    return this.mapping.operations.get.subReads.some((sub) => sub.forMembers);
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
    const options = pushdownOptions(pushdown);
    try {
      return unprotected(await this.scan(context, needs, { value }, options));
    } catch (error) {
      // A lookup endpoint (`/users/by-login/{value}`) answers 404 when nothing matches.
      if (pushdown.path && isScimError(error) && error.status === 404) return [];
      throw error;
    }
  }

  /** Every record the list call yields (all pages), within `needs.maxScan`. */
  async scanAll(context: RequestContext, needs: ListNeeds): Promise<AppView[]> {
    return unprotected(await this.scan(context, needs, {}, {}));
  }

  /**
   * Records `offset` to `offset + count` of the app's list and the app's total, when the app pages
   * and counts (`paging` and `total`); undefined when it cannot. Page-number apps are read a whole
   * page at a time and the window cut out; link and cursor apps are walked from the start.
   */
  async page(
    context: RequestContext,
    offset: number,
    count: number,
    needs: ListNeeds,
  ): Promise<{ views: AppView[]; total: number } | undefined> {
    const list = this.mapping.operations.list;
    // With `protect`, the app's pages and total count records SCIM never shows: the window and
    // totalResults come from the whole list instead (undefined makes the caller read it all).
    if (list.total === undefined || list.paging.mode === 'none' || this.protects) return undefined;
    const { items, total } = await this.walk(
      context,
      'list',
      { withMembers: needs.withMembers },
      {},
      {
        from: offset,
        to: offset + count,
      },
    );
    const views = await this.complete(context, items, needs);
    return { views, total: total ?? offset + items.length };
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
    if (followUp.addMembers.length > 0 || (this.readsMembersApart && view.scim.members === undefined))
      view.scim.members = scim.members;
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
    if (await this.isProtected(app)) {
      throw scimErrors.uniqueness(
        `The app keeps this ${this.type} for itself (the mapping protects it); it cannot be provisioned`,
      );
    }
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
    const input: RenderInput = { withMembers: true, ...pagingValues(0, pageSize) };
    const pushdown = path === undefined ? undefined : this.pushdownFor(path);
    if (!pushdown || value === undefined)
      return { call: { operation: 'list', input }, options: {}, searched: false };
    const options = pushdownOptions(pushdown);
    return { call: { operation: 'list', input: { ...input, value } }, options, searched: true };
  }

  /**
   * The calls that read one record, as `dry-run` shows them: `get`, then each sub-read the request
   * makes (its first page), with a note on when it is made and how its pages follow.
   */
  readCalls(appId: string, withMembers: boolean): Array<{ call: PlannedCall; note: string }> {
    const get = this.mapping.operations.get;
    const calls = [{ call: { operation: 'get', input: { appId, withMembers } } as PlannedCall, note: '' }];
    for (const sub of get.subReads) {
      if (sub.forMembers && !withMembers) continue;
      const pageSize = sub.operation.pageSize ?? DEFAULT_APP_PAGE;
      const input: RenderInput = { appId, withMembers, record: {}, ...pagingValues(0, pageSize) };
      const when = sub.forMembers ? 'when the request needs members' : 'on every read';
      calls.push({
        call: { operation: `get.${sub.field}`, input },
        note: ` (sub-read ${when}, merged as "${sub.field}"${withNote('; first page; ', this.pagingNote(`get.${sub.field}`))})`,
      });
    }
    return calls;
  }

  /** How the pages of a list-like call follow the first one, for `dry-run`; empty for one call. */
  pagingNote(name: CallName = 'list'): string {
    const operation = this.connector.operationFor(this.type, name);
    const size = operation.pageSize ?? DEFAULT_APP_PAGE;
    switch (operation.paging.mode) {
      case 'none':
        return '';
      case 'offset':
        return `the next pages: offset + ${size}, until a short page or the total`;
      case 'page':
        return `the next pages: page + 1, ${size} a page, until a short page or the total`;
      case 'next':
        return 'the next pages: the link each answer names';
      case 'cursor':
        return 'the next pages: the cursor each answer names, as cursor';
    }
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
    // A whole-record update carries the members the app holds: never none for want of reading them.
    const now = current.membersLeftOut ? await this.toScim(current.record, true) : current.scim;
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

  /**
   * The calls of a plan, in order, as `dry-run` shows them: each operation followed by its
   * follow-up calls (`then`).
   */
  plannedCalls(appId: string, plan: ChangePlan, current?: AppView): PlannedCall[] {
    const calls: PlannedCall[] = [];
    if (plan.update) {
      const input: RenderInput = { appId, app: plan.update.app, scim: plan.update.scim };
      if (current) input.current = current.record;
      calls.push(...this.withFollowUps('update', input));
    }
    if (plan.active !== undefined)
      calls.push(...this.withFollowUps(plan.active ? 'activate' : 'deactivate', { appId }));
    for (const member of plan.addMembers)
      calls.push(...this.withFollowUps('addMember', { appId, ...this.memberInput(member) }));
    for (const member of plan.removeMembers)
      calls.push(...this.withFollowUps('removeMember', { appId, ...this.memberInput(member) }));
    return calls;
  }

  /** The calls a DELETE makes, as `dry-run` shows them. */
  removeCalls(appId: string): PlannedCall[] {
    return this.withFollowUps('delete', { appId });
  }

  /** An operation's call, then its follow-up calls, all with the same input. */
  private withFollowUps(operation: OperationName, input: RenderInput): PlannedCall[] {
    return [{ operation, input }, ...this.followUpCalls(operation, input)];
  }

  private followUpCalls(operation: OperationName, input: RenderInput): PlannedCall[] {
    const followUps = this.mapping.operations[operation]?.followUps ?? [];
    return followUps.map((_call, i) => ({ operation: `${operation}.then[${i}]`, input }));
  }

  /**
   * For dry-run, which makes no lookup: the lookups a call uses, each shown in the request as
   * `{lookups.<name>}`, with the call that would get it.
   */
  lookupNote(call: PlannedCall, options: CallOptions = {}): string {
    const lookups = this.connector.lookupsUsedBy(this.type, call.operation, options);
    const each = lookups.map(
      ({ name, operation }) =>
        `{lookups.${name}} is looked up once, with ${operation.method} ${operation.path}, not by dry-run`,
    );
    return withNote(' (', each.join('; '), ')');
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
      calls += 1 + (await this.runFollowUps(context, 'update', input));
      ({ appId: id, view } = await this.afterUpdate(
        context,
        outcome,
        appId,
        plan.update.app,
        plan.update.scim,
      ));
    }
    if (plan.active !== undefined) {
      const operation = plan.active ? 'activate' : 'deactivate';
      await this.connector.call(context, this.type, operation, { appId: id });
      calls += 1 + (await this.runFollowUps(context, operation, { appId: id }));
    }
    calls += await this.changeMembers(context, id, plan.addMembers, 'addMember', fanOut);
    calls += await this.changeMembers(context, id, plan.removeMembers, 'removeMember', fanOut);
    return { appId: id, view, calls };
  }

  /**
   * Deletes the record, then makes delete's follow-up calls. A 404 to the delete itself passes
   * through (the service checks whether the record is gone); the follow-ups are then not made.
   */
  async remove(context: RequestContext, appId: string): Promise<void> {
    await this.connector.call(context, this.type, 'delete', { appId });
    await this.runFollowUps(context, 'delete', { appId });
  }

  /**
   * An operation's follow-up calls (`then`), in order, each only once the one before succeeded;
   * returns how many were made. Their answers go through the error rules and are otherwise
   * ignored. A 404 or 409 of one is a failure of the change, never "already so" or "gone": the
   * main call has just found the record, so it fails the request as the app's fault (502).
   */
  private async runFollowUps(
    context: RequestContext,
    operation: OperationName,
    input: RenderInput,
  ): Promise<number> {
    const calls = this.followUpCalls(operation, input);
    for (const call of calls) {
      try {
        await this.connector.call(context, this.type, call.operation, call.input);
      } catch (error) {
        if (isScimError(error) && (error.status === 404 || error.status === 409) && !isAnsweredFailure(error))
          throw scimErrors.badGateway(
            `The app refused ${this.type}.${call.operation} after ${this.type}.${operation} succeeded: ${error.message}`,
          );
        throw error;
      }
    }
    return calls.length;
  }

  /** The view of an app record (a list item, an answer); without members, its SCIM view has none. */
  async view(record: Record<string, unknown>, withMembers = true): Promise<AppView> {
    const leaveOut = !withMembers && this.toScimWithoutMembers !== undefined;
    const view: AppView = {
      appId: await this.appIdOf(record),
      scim: await this.toScim(record, !leaveOut),
      record,
    };
    if (leaveOut) view.membersLeftOut = true;
    if (await this.isProtected(record)) view.protected = true;
    return view;
  }

  /** Whether `protect` holds for an app record (or the record a create would send). */
  private async isProtected(record: unknown): Promise<boolean> {
    const protect = this.mapping.protect;
    if (!protect || !isPlainObject(record)) return false;
    const value = await protect.evaluate(record);
    return value !== undefined && value !== null && value !== false && value !== '' && value !== 0;
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

  private async toScim(record: unknown, withMembers: boolean): Promise<ScimResource> {
    const toScim = withMembers ? this.toScimWithMembers : (this.toScimWithoutMembers ?? this.mapping.toScim);
    // A big group's record was parsed in this turn; mapping it, and cleaning what that gives, get
    // a turn each.
    if (holdsLongArray(record)) await yieldToEventLoop();
    const value = await toScim.evaluate(record);
    if (!isPlainObject(value)) {
      throw scimErrors.badGateway(`The mapping's toScim for ${this.type} did not produce an object`);
    }
    for (const key of SERVICE_ATTRIBUTES) delete value[key];
    if (holdsLongArray(value)) await yieldToEventLoop();
    return withoutNulls(value);
  }

  /** The record a create returned, or a read when the app answered with only its id. */
  private async createdRecord(context: RequestContext, outcome: OperationOutcome): Promise<AppView> {
    const source = this.mapping.operations.create.idFrom;
    const answer = await this.answerOf(outcome, source);
    if (answer.view) return answer.view;
    if (answer.id !== undefined) return this.read(context, answer.id, true);
    throw noIdInAnswer(this.type, source);
  }

  /** What an answer of create or update gives, as `idFrom` says (see {@link answeredRecordOrId}). */
  private answerOf(outcome: OperationOutcome, source: IdSource | undefined) {
    return answeredRecordOrId(outcome, source, this);
  }

  private async afterUpdate(
    context: RequestContext,
    outcome: OperationOutcome,
    appId: string,
    appAfter: unknown,
    written?: ScimResource,
  ): Promise<{ appId: string; view: AppView | undefined }> {
    const answer = await this.answerOf(outcome, this.mapping.operations.update?.idFrom);
    if (answer.view) {
      if (this.readsMembersApart && answer.view.scim.members === undefined && isPlainObject(written))
        answer.view.scim.members = written.members;
      return { appId: answer.view.appId, view: answer.view };
    }
    if (answer.id !== undefined) return { appId: answer.id, view: undefined };
    // Nothing named: the id the new state yields differs only when the app keys records by a
    // field the update changed (a login). One read confirms it before the id map follows.
    const renamed = await this.appIdIfAny(appAfter);
    if (renamed === undefined || renamed === appId) return { appId, view: undefined };
    const view = await this.readIfPresent(context, renamed, true);
    return view ? { appId: view.appId, view } : { appId, view: undefined };
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
    let followUps = 0;
    await mapLimit(members, fanOut, async (member) => {
      const input: RenderInput = { appId, ...this.memberInput(member) };
      try {
        await this.connector.call(context, this.type, operation, input);
      } catch (error) {
        // The app's own 409 or 404 means "already so"; a status a rule chose for a failure the
        // app answered with a 2xx does not.
        if (!isScimError(error) || isAnsweredFailure(error)) throw error;
        const already =
          (operation === 'addMember' && error.status === 409) ||
          (operation === 'removeMember' && error.status === 404);
        if (!already) throw error;
        if (operation === 'removeMember') {
          groupExists ??= this.readIfPresent(context, appId, false).then((view) => view !== undefined);
          if (!(await groupExists)) throw scimErrors.notFound(`${this.type} ${appId} not found in the app`);
        }
      }
      // Also after "already so": when a follow-up failed, the IdP's retry meets the membership
      // already changed, and the follow-ups must still be made.
      followUps += await this.runFollowUps(context, operation, input);
    });
    return members.length + followUps;
  }

  /** A member value as member calls see it: `memberKey` always, `memberAppId` when it is the app id. */
  private memberInput(member: string): RenderInput {
    return this.memberKey === undefined ? { memberAppId: member, memberKey: member } : { memberKey: member };
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
    const { items } = await this.walk(
      context,
      'list',
      { ...input, withMembers: needs.withMembers },
      options,
      {
        from: 0,
        to: Number.POSITIVE_INFINITY,
        max: { records: needs.maxScan, overBudget: () => scimErrors.tooMany(needs.overBudget) },
      },
    );
    return this.complete(context, items, needs);
  }

  /** The records in `window` of a list-like call (the list, a sub-read), walking its pages. */
  private walk(
    context: RequestContext,
    name: CallName,
    input: RenderInput,
    options: CallOptions,
    window: ListWindow,
  ): Promise<{ items: unknown[]; total: number | undefined }> {
    const operation = this.connector.operationFor(this.type, name);
    return walkPages(
      operation,
      (pageInput, link) =>
        this.connector.listPage(context, this.type, pageInput, link ? { ...options, link } : options, name),
      input,
      window,
      `${this.type}.${name}`,
    );
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

/** How a push-down changes the list call: its parameters, its path, the lookups they use. */
function pushdownOptions(pushdown: CompiledFilterPushdown): CallOptions {
  const options: CallOptions = { extraQuery: pushdown.query };
  if (pushdown.path) options.pathOverride = pushdown.path;
  if (pushdown.lookups.length > 0) options.lookups = pushdown.lookups;
  return options;
}

/** `lead` and `note` joined, or nothing when there is no note. */
export function withNote(lead: string, note: string, end = ''): string {
  return note === '' ? '' : `${lead}${note}${end}`;
}

/** The views that are not the app's own records (`protect`). */
function unprotected(views: AppView[]): AppView[] {
  return views.some((view) => view.protected) ? views.filter((view) => !view.protected) : views;
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

/**
 * RFC 7643 §2.5: null and empty values mean "unassigned"; apps answer null for empty fields.
 * What holds none is returned as it is, not copied: toScim's output is the caller's alone, and a
 * group of 100 000 members would otherwise be copied member by member for nothing.
 */
export function withoutNulls(resource: ScimResource): ScimResource {
  return (clean(resource) as ScimResource | undefined) ?? {};
}

/** The value without nulls, empty arrays and empty objects; the same value when it holds none. */
function clean(value: unknown): unknown {
  if (value === null) return undefined;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const cleaned = clean(item);
      if (copy === undefined && (cleaned !== item || cleaned === undefined)) copy = value.slice(0, i);
      if (copy !== undefined && cleaned !== undefined) copy.push(cleaned);
    }
    const result = copy ?? value;
    return result.length > 0 ? result : undefined;
  }
  if (isPlainObject(value)) {
    let copy: Record<string, unknown> | undefined;
    let kept = 0;
    const keys = Object.keys(value);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const item = value[key];
      const cleaned = clean(item);
      if (copy === undefined && (cleaned !== item || cleaned === undefined)) {
        copy = {};
        for (const earlier of keys.slice(0, i)) setOwnProperty(copy, earlier, value[earlier]);
      }
      if (cleaned === undefined) continue;
      kept++;
      if (copy !== undefined) setOwnProperty(copy, key, cleaned);
    }
    if (kept === 0) return undefined;
    return copy ?? value;
  }
  return value;
}
