import { hash, randomUUID } from 'node:crypto';
import type { AppGateway, AppView, ChangeOutcome, ChangePlan } from '../connector/gateway.js';
import type { RequestContext } from '../connector/request-context.js';
import { IdMapConflictError } from '../idmap/entry-index.js';
import type { IdMapEntry } from '../idmap/types.js';
import { holdsLongArray, yieldToEventLoop } from '../lib/yield.js';
import { isPlainObject } from '../scim/attributes.js';
import { isScimError, scimErrors } from '../scim/errors.js';
import {
  applyPatch,
  explicitMemberChanges,
  type MemberChanges,
  type PatchOperation,
  parsePatchRequest,
} from '../scim/patch/index.js';
import { wantsAttribute } from '../scim/projection.js';
import type { ScimResource } from '../scim/schema-types.js';
import { validateResource } from '../scim/validate-resource.js';
import { DroppedAttributeWarnings } from './dropped-warnings.js';
import { matchesEntityTag } from './preconditions.js';
import { RecordReader } from './record-reader.js';
import { type PresentedResource, ResourceCodec } from './resource-codec.js';
import { type ListResult, type QueryRequest, ResourceQuery } from './resource-query.js';
import { buildResponse, versionInPieces, versionsOf } from './response.js';
import { droppedAttributes, droppedByPatch, type RoundTripSchemas, withoutDropped } from './round-trip.js';
import type { Preconditions, ReadOptions, ServiceDeps } from './service-deps.js';

/** Seconds an IdP should wait before retrying a DELETE the app did not carry out. */
const DELETE_RETRY_AFTER_S = 5;

/**
 * One function per SCIM operation on one resource type: SCIM work only (validation, locks,
 * PATCH in SCIM space, id map bookkeeping). What reaches the app, and how, is the gateway's.
 * Writes to a resource are serialised under a per-resource lock, and the id map changes only
 * after the app has confirmed the write. Every operation takes the request's context, which
 * bounds its calls to the app by the request's deadline.
 */
export class ResourceService {
  private readonly codec: ResourceCodec;
  private readonly queries: ResourceQuery;
  private readonly records: RecordReader;
  private readonly droppedWarnings: DroppedAttributeWarnings;

  constructor(
    private readonly gateway: AppGateway,
    private readonly deps: ServiceDeps,
  ) {
    this.codec = new ResourceCodec(gateway.type, deps, gateway);
    this.records = new RecordReader(gateway, deps);
    this.queries = new ResourceQuery(gateway, deps, this.codec, this.records);
    this.droppedWarnings = new DroppedAttributeWarnings(deps.log, deps.now);
  }

  get type() {
    return this.gateway.type;
  }

  private get schema() {
    return this.deps.schemas[this.type];
  }

  private get roundTrip(): RoundTripSchemas {
    return { full: this.schema, advertised: this.deps.advertisedSchemas[this.type] };
  }

  /**
   * Creates are serialised per identity (userName, displayName; without case), across replicas
   * when the lock is shared: two racing creates of one identity make one record and one SCIM id.
   */
  async create(context: RequestContext, body: unknown, options: ReadOptions): Promise<ScimResource> {
    const resource = validateResource(body, this.schema, 'create');
    this.reportDropped(context, droppedAttributes(resource, this.roundTrip));
    const identity = resource[this.identityAttribute];
    if (typeof identity !== 'string') return this.createRecord(context, resource, options);
    const key = `create:${this.type}:${hash('sha256', identity.toLowerCase(), 'base64url')}`;
    return this.deps.locks.run(key, async ({ waited }) => {
      if (waited) {
        const raced = await this.answerRacedCreate(context, resource, identity, options);
        if (raced) return raced;
      }
      return this.createRecord(context, resource, options);
    });
  }

  async get(context: RequestContext, scimId: string, options: ReadOptions): Promise<ScimResource> {
    const withMembers = wantsAttribute(options, 'members');
    const presented = await this.read(context, scimId, withMembers);
    return this.respond(presented, options);
  }

  query(context: RequestContext, request: QueryRequest, options: ReadOptions): Promise<ListResult> {
    return this.queries.run(context, request, options);
  }

  async replace(
    context: RequestContext,
    scimId: string,
    body: unknown,
    options: ReadOptions,
    preconditions: Preconditions = {},
  ): Promise<ScimResource> {
    // RFC 7644 §3.5.1: the id in a PUT body is ignored; the URL names the resource.
    const next = validateResource(withoutId(body), this.schema, 'replace');
    this.reportDropped(context, droppedAttributes(next, this.roundTrip));
    return this.withLock(scimId, async () => {
      const current = await this.read(context, scimId, true);
      this.checkPreconditions(current, preconditions);
      const written = await this.write(context, current, next);
      return this.respond(written, options);
    });
  }

  /**
   * PATCH in SCIM space. A group PATCH that names the members it adds or removes, on an app with
   * a call per member, is carried out without reading the group's members (nor the group, when
   * that is all it does): its cost does not grow with the group. Undefined: done, and the client
   * asked for no representation (`options.representation`).
   */
  async patch(
    context: RequestContext,
    scimId: string,
    body: unknown,
    options: ReadOptions,
    preconditions: Preconditions = {},
  ): Promise<ScimResource | undefined> {
    const operations = parsePatchRequest(body);
    this.reportDropped(context, droppedByPatch(operations, this.roundTrip));
    const members =
      this.gateway.dedicatedMembers && !options.representation && preconditions.ifMatch === undefined
        ? explicitMemberChanges(operations)
        : undefined;
    if (members) {
      // The lock is released once the id map holds the change, before its fsync: PATCHes to one
      // group (Entra adding members one request at a time) do not queue behind each other's.
      const { durable } = await this.withLock(scimId, () => this.patchMembers(context, scimId, members));
      await durable;
      return undefined;
    }
    return this.withLock(scimId, async () => {
      const current = await this.read(context, scimId, true);
      this.checkPreconditions(current, preconditions);
      const next = this.patched(current, operations);
      if (!next) return this.respond(current, options);
      return this.respond(await this.write(context, current, next), options);
    });
  }

  /** Answers only once the app no longer has the record (or, with keepsRecord, has disabled it). */
  async delete(context: RequestContext, scimId: string, preconditions: Preconditions = {}): Promise<void> {
    await this.withLock(scimId, async () => {
      const entry = await this.requireEntry(context, scimId);
      // A record the mapping protects answers 404: it is read first to know.
      if (preconditions.ifMatch !== undefined || this.gateway.protects)
        this.checkPreconditions(await this.read(context, scimId, false), preconditions);
      try {
        await this.gateway.remove(context, entry.appId);
      } catch (error) {
        if (!(isScimError(error) && error.status === 404)) throw error;
        // A 404 to the delete is not proof either: it is done only if a read agrees.
        if ((await this.gateway.readIfPresent(context, entry.appId, false)) !== undefined) {
          throw scimErrors.unavailable(
            `The app answered 404 to deleting ${this.type} ${scimId} but still has it; retry the delete`,
            DELETE_RETRY_AFTER_S,
          );
        }
      }
      if (this.gateway.keepsRecord) {
        // The app only disabled it: remember it as deleted so it neither answers nor comes back
        // under a new SCIM id in lists.
        await this.deps.idMap.put({ ...entry, deleted: true, lastModified: this.now() });
      } else {
        await this.deps.idMap.delete(this.type, scimId);
      }
    });
  }

  private async createRecord(
    context: RequestContext,
    resource: ScimResource,
    options: ReadOptions,
  ): Promise<ScimResource> {
    const input = await this.codec.withAppMembers(resource, context);
    let created: { view: AppView; followUp: ChangePlan };
    try {
      created = await this.gateway.create(context, input);
    } catch (error) {
      if (isScimError(error) && error.status === 409) {
        const recovered = await this.recoverLostCreate(context, resource, options);
        if (recovered) return recovered;
      }
      throw error;
    }
    const { view, followUp } = created;
    context.onResource?.(view.appId);
    const now = this.now();
    const entry: IdMapEntry = {
      resourceType: this.type,
      scimId: randomUUID(),
      appId: view.appId,
      created: now,
      lastModified: now,
      version: 1,
    };
    if (typeof resource.externalId === 'string') {
      entry.externalId = resource.externalId;
      await this.forgetMissingHolderOf(resource.externalId);
    }
    const preserved = this.codec.preservedValues(resource, view.scim);
    if (preserved) entry.preserved = preserved;
    const displays = this.codec.memberDisplays(resource);
    if (displays) entry.memberDisplays = displays;
    const memberKey = this.codec.memberKeyOf(view.scim);
    if (memberKey !== undefined) entry.memberKey = memberKey;
    // Attributes the app's create call cannot carry follow in their dedicated calls. Until they
    // have all succeeded the entry is marked incomplete, so a client resending the POST after a
    // failure takes the record over instead of meeting a 409 forever.
    const followsUp = followUp.active !== undefined || followUp.addMembers.length > 0;
    // A disable among them is noted as pending too: if it fails after the app applied it, the
    // client's resent POST takes the record over and must make it again, follow-ups and all.
    const pending = followUp.active === undefined ? {} : { pendingActive: followUp.active };
    await this.claim(followsUp ? { ...entry, incomplete: true, ...pending } : entry);
    if (followsUp) {
      await this.gateway.run(context, view.appId, followUp, view, this.deps.limits.fanOut);
      await this.deps.idMap.put(entry);
    }
    const presented = await this.codec.present(view.scim, view.appId, {
      entry,
      withMembers: true,
      view,
      context,
    });
    return this.respond(presented, options);
  }

  /** The patched state, or undefined when the operations change nothing and nothing is pending. */
  private patched(current: PresentedResource, operations: PatchOperation[]): ScimResource | undefined {
    // With its id, so a path-less replace that echoes the id (Okta's group PATCH) changes nothing
    // there instead of failing as a write to a read-only attribute.
    const { resource, changed } = applyPatch(
      { ...current.resource, id: current.entry.scimId },
      operations,
      this.schema,
    );
    // An unfinished (de)activation is made again even when the PATCH changes nothing.
    if (!changed && current.entry.pendingActive === undefined) return undefined;
    return validateResource(resource, this.schema, 'replace');
  }

  /**
   * A group PATCH whose member operations name their members. The group is read (without its
   * members) only when other attributes change too; each member changed costs one call. The id
   * map has taken the change when this resolves; the caller awaits `durable` after releasing the
   * group's lock, and only then answers.
   */
  private async patchMembers(
    context: RequestContext,
    scimId: string,
    changes: MemberChanges,
  ): Promise<{ durable: Promise<void> }> {
    const entry = await this.requireEntry(context, scimId);
    const add = await this.codec.memberValues(
      changes.add.map((member) => member.value),
      context,
    );
    const remove = await this.codec.memberValues(changes.remove, context);
    let plan = this.gateway.planMembers(add, remove);
    let current: PresentedResource | undefined;
    let next: ScimResource | undefined;
    // A group the mapping protects answers 404: with protect, the group is read first to know.
    if (changes.others.length > 0 || this.gateway.protects) current = await this.read(context, scimId, false);
    if (current && changes.others.length > 0) {
      next = this.patched(current, changes.others);
      if (next && current.view) {
        const others = await this.gateway.planChange(
          current.view,
          await this.codec.withAppMembers(next, context),
          {
            membersKnown: false,
          },
        );
        plan = { ...others, addMembers: add, removeMembers: remove };
      }
    }
    const outcome = await this.gateway.run(
      context,
      entry.appId,
      plan,
      current?.view,
      this.deps.limits.fanOut,
    );
    const updated: IdMapEntry = {
      ...(current?.entry ?? entry),
      lastModified: this.now(),
      version: entry.version + 1,
    };
    if (outcome.appId !== entry.appId) updated.appId = outcome.appId;
    if (next) this.keepClientValues(updated, next, this.stateAfter(current?.view, next, plan, outcome));
    const displays = this.codec.memberDisplaysAfter(updated.memberDisplays, changes);
    if (displays) updated.memberDisplays = displays;
    else delete updated.memberDisplays;
    return this.store(updated, entry.appId);
  }

  /**
   * Writes the change from `current` to `next` through the gateway's plan; returns the new state,
   * known without reading it back: the update's answer when it holds the record, otherwise the
   * state asked for (less what the mapping cannot store).
   */
  private async write(
    context: RequestContext,
    current: PresentedResource,
    next: ScimResource,
  ): Promise<PresentedResource> {
    const view = current.view;
    if (!view)
      throw scimErrors.internal(`The current state of ${this.type} ${current.entry.scimId} was not read`);
    const nextInput = await this.codec.withAppMembers(next, context);
    const plan = await this.gateway.planChange(view, nextInput);
    const pending = current.entry.pendingActive;
    if (pending !== undefined && plan.active === undefined && nextInput.active === pending)
      plan.active = pending;
    let outcome: ChangeOutcome;
    try {
      outcome = await this.gateway.run(context, view.appId, plan, view, this.deps.limits.fanOut);
    } catch (error) {
      if (plan.active !== undefined) await this.markPendingActive(current.entry, plan.active);
      throw error;
    }
    const after = this.stateAfter(view, nextInput, plan, outcome);
    const entry: IdMapEntry = {
      ...current.entry,
      appId: outcome.appId,
      lastModified: this.now(),
      version: current.entry.version + 1,
    };
    delete entry.pendingActive;
    this.keepClientValues(entry, next, after);
    const displays = this.codec.memberDisplays(next);
    if (displays) entry.memberDisplays = displays;
    else delete entry.memberDisplays;
    const memberKey = after.exact ? this.codec.memberKeyOf(after.scim) : this.codec.memberKeyOf(nextInput);
    if (memberKey !== undefined) entry.memberKey = memberKey;
    await (await this.store(entry, current.entry.appId)).durable;
    return this.codec.present(after.scim, outcome.appId, {
      entry,
      withMembers: true,
      view: outcome.view ?? view,
      fromApp: after.exact,
      context,
    });
  }

  /**
   * A failed plan may have left the app (de)activated without the follow-ups of that call: the
   * app then shows the state asked for, and the IdP's retry would plan nothing. Best effort: the
   * request fails with the app's error either way.
   */
  private async markPendingActive(entry: IdMapEntry, active: boolean): Promise<void> {
    if (entry.pendingActive === active) return;
    try {
      await this.deps.idMap.put({ ...entry, pendingActive: active });
    } catch (error) {
      this.deps.log.warn(
        { err: error, resourceType: this.type },
        'could not note an unfinished (de)activation',
      );
    }
  }

  /**
   * What the app holds after a plan ran, without reading it back: the record the update answered
   * with, else the current state (nothing was rewritten) or the state asked for; then what the
   * dedicated calls set. `exact` is false when the app's own form of the values is not known.
   */
  private stateAfter(
    current: AppView | undefined,
    next: ScimResource,
    plan: ChangePlan,
    outcome: ChangeOutcome,
  ): { scim: ScimResource; exact: boolean } {
    let scim: ScimResource;
    let exact = true;
    if (outcome.view) scim = { ...outcome.view.scim };
    else if (!plan.update && current) scim = { ...current.scim };
    else {
      const { meta: _meta, ...asked } = withoutDropped(next, this.roundTrip);
      scim = asked;
      exact = false;
    }
    if (plan.active !== undefined) scim.active = plan.active;
    if (this.gateway.dedicatedMembers) {
      // The member calls made the app's list what the next state says, absent meaning none.
      if (next.members === undefined) delete scim.members;
      else scim.members = next.members;
    }
    return { scim, exact };
  }

  /** The externalId and preserved values of the new state, into the entry. */
  private keepClientValues(
    entry: IdMapEntry,
    next: ScimResource,
    after: { scim: ScimResource; exact: boolean },
  ) {
    if (typeof next.externalId === 'string') entry.externalId = next.externalId;
    else delete entry.externalId;
    const preserved = this.codec.preservedValues(next, after.exact ? after.scim : undefined);
    if (preserved) entry.preserved = preserved;
    else delete entry.preserved;
  }

  /**
   * Stores the entry; under a new app id (the app renamed the record), an older holder gives way.
   * Resolves once the id map holds it; `durable` once it is on stable storage.
   */
  private async store(entry: IdMapEntry, previousAppId: string): Promise<{ durable: Promise<void> }> {
    if (entry.appId === previousAppId) return this.deps.idMap.stage(entry);
    await this.claim(entry);
    return { durable: Promise.resolve() };
  }

  /**
   * The app says the resource exists, but the id map has no entry for it: an earlier create
   * reached the app and its answer was lost (timeout), and the IdP is retrying. The record is
   * adopted and brought to the requested state instead of failing with 409 forever.
   */
  private async recoverLostCreate(
    context: RequestContext,
    resource: ScimResource,
    options: ReadOptions,
  ): Promise<ScimResource | undefined> {
    const value = resource[this.identityAttribute];
    if (typeof value !== 'string') return undefined;
    const unmapped = (await this.queries.findRecords(context, this.identityAttribute, value)).filter(
      ({ entry }) => !entry || entry.deleted || entry.incomplete,
    );
    const found = unmapped[0];
    if (unmapped.length !== 1 || found === undefined) return undefined;
    const { appId } = found.view;
    // A record deleted through SCIM but kept by the app (keepsRecord), or left half-created by a
    // create whose follow-up calls failed, is taken over by the new create.
    if (found.entry) await this.deps.idMap.delete(this.type, found.entry.scimId);
    this.deps.log.warn(
      { resourceType: this.type, appId },
      'create answered 409 for an unmapped record: adopting it (an earlier answer was lost)',
    );
    const entry = await this.codec.entryForAppId(this.type, appId);
    return this.withLock(entry.scimId, async () => {
      const current = await this.read(context, entry.scimId, true);
      const written = await this.write(context, current, resource);
      return this.respond(written, options);
    });
  }

  /**
   * Records a resource the app has just created. An older entry holding the same app id is stale:
   * the app deleted that object outside SCIM and reused its id (Redmine does), so it gives way.
   */
  private async claim(entry: IdMapEntry): Promise<void> {
    try {
      await this.deps.idMap.put(entry);
    } catch (error) {
      if (!(error instanceof IdMapConflictError)) throw error;
      this.deps.log.warn(
        { resourceType: this.type, appId: entry.appId, staleScimId: error.heldBy },
        'app id reused by the app; dropping the stale mapping',
      );
      await this.deps.idMap.delete(this.type, error.heldBy);
      await this.deps.idMap.put(entry);
    }
  }

  private async read(
    context: RequestContext,
    scimId: string,
    withMembers: boolean,
  ): Promise<PresentedResource> {
    const entry = await this.requireEntry(context, scimId);
    const view = await this.records.recordOf(context, entry, withMembers);
    if (view === undefined) throw scimErrors.notFound(`${this.type} ${scimId} not found`);
    return this.codec.present(view.scim, view.appId, { entry, withMembers, view, context });
  }

  /** RFC 7644 §3.14: a write whose If-Match names no current version of the resource is refused. */
  private checkPreconditions(current: PresentedResource, preconditions: Preconditions): void {
    const { ifMatch } = preconditions;
    if (ifMatch === undefined) return;
    if (!matchesEntityTag(ifMatch, versionsOf(current))) {
      throw scimErrors.preconditionFailed(
        `The ${this.type} has changed since the version in If-Match; read it again and retry`,
      );
    }
  }

  /**
   * After waiting on another create of the same identity: what that create made. The same
   * externalId means the client resent its own create, which is answered with the resource it
   * made; anything else is a duplicate. Undefined: nothing was made (the other create failed).
   */
  private async answerRacedCreate(
    context: RequestContext,
    resource: ScimResource,
    identity: string,
    options: ReadOptions,
  ): Promise<ScimResource | undefined> {
    const found = await this.queries.findRecords(context, this.identityAttribute, identity);
    for (const { entry } of found) {
      if (!entry || entry.deleted || entry.incomplete) continue;
      if (typeof resource.externalId === 'string' && resource.externalId === entry.externalId)
        return this.respond(await this.read(context, entry.scimId, true), options);
      throw scimErrors.uniqueness(`A ${this.type} with this ${this.identityAttribute} already exists`);
    }
    return undefined;
  }

  /**
   * An entry marked missing that still holds an externalId the IdP now creates again: the IdP has
   * given up on the old record, so its mapping goes (else filters by externalId could find it).
   */
  private async forgetMissingHolderOf(externalId: string): Promise<void> {
    const holder = await this.deps.idMap.findByExternalId(this.type, externalId);
    if (holder?.missingSince !== undefined) await this.deps.idMap.delete(this.type, holder.scimId);
  }

  /** The attribute that names a resource to people and IdPs, unique in the app. */
  private get identityAttribute(): 'userName' | 'displayName' {
    return this.type === 'User' ? 'userName' : 'displayName';
  }

  private async requireEntry(context: RequestContext, scimId: string): Promise<IdMapEntry> {
    const entry = await this.deps.idMap.get(this.type, scimId);
    if (!entry || entry.deleted) throw scimErrors.notFound(`${this.type} ${scimId} not found`);
    context.onResource?.(entry.appId);
    return entry;
  }

  private withLock<T>(scimId: string, work: () => Promise<T>): Promise<T> {
    return this.deps.locks.run(`${this.type}:${scimId}`, work);
  }

  /**
   * A write carrying attributes the mapping cannot store is refused before any call to the app
   * (strictAttributes), or accepted and reported: one warning and the audit line name them, never
   * their values (personal data).
   */
  private reportDropped(context: RequestContext, dropped: string[]): void {
    if (dropped.length === 0) return;
    const names = dropped.map((name) => `"${name}"`).join(', ');
    if (this.deps.strictAttributes) {
      throw scimErrors.invalidValue(
        `The app does not store ${names}; remove them from the request or from the IdP's attribute mappings (server.strictAttributes refuses such writes)`,
      );
    }
    this.droppedWarnings.report(this.type, dropped);
    context.onDroppedAttributes?.(dropped);
  }

  /**
   * The response body. A big group's members were mapped in chunks; its ETag is hashed in chunks
   * too, and what follows (projection, then serialisation) gets turns of its own.
   */
  private async respond(presented: PresentedResource, options: ReadOptions): Promise<ScimResource> {
    if (!holdsLongArray(presented.resource)) return buildResponse(this.type, presented, this.schema, options);
    const version = await versionInPieces(presented);
    await yieldToEventLoop();
    return buildResponse(this.type, presented, this.schema, options, version);
  }

  private now(): string {
    return (this.deps.now?.() ?? new Date()).toISOString();
  }
}

/** The body without `id`: what a client puts there has no say in a replace. */
function withoutId(body: unknown): unknown {
  if (!isPlainObject(body) || !('id' in body)) return body;
  const { id: _ignored, ...rest } = body;
  return rest;
}
