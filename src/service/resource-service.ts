import { hash, randomUUID } from 'node:crypto';
import type { OperationOutcome } from '../connector/connector.js';
import type { ResourceTypeName } from '../mapping/mapping-types.js';
import type { RequestContext } from '../connector/request-context.js';
import { IdMapConflictError } from '../idmap/entry-index.js';
import type { IdMapEntry } from '../idmap/types.js';
import { isPlainObject } from '../scim/attributes.js';
import { isScimError, scimErrors } from '../scim/errors.js';
import { applyPatch, parsePatchRequest } from '../scim/patch/index.js';
import { wantsAttribute } from '../scim/projection.js';
import type { ScimResource } from '../scim/schema-types.js';
import { validateResource } from '../scim/validate-resource.js';
import { jsonEqual } from './json-equal.js';
import { matchesEntityTag } from './preconditions.js';
import { RecordReader } from './record-reader.js';
import { type PresentedResource, ResourceCodec } from './resource-codec.js';
import { type ListResult, type QueryRequest, ResourceQuery } from './resource-query.js';
import { buildResponse, versionsOf } from './response.js';
import { droppedAttributes, droppedByPatch, type RoundTripSchemas } from './round-trip.js';
import type { Preconditions, ReadOptions, ServiceDeps } from './service-deps.js';
import { planWrite } from './write-plan.js';

/** Seconds an IdP should wait before retrying a DELETE the app did not carry out. */
const DELETE_RETRY_AFTER_S = 5;

/**
 * One function per SCIM operation on one resource type. Writes to a resource are serialised
 * (read-apply-write under a per-resource lock) and the id map changes only after the app has
 * confirmed the write. Every operation takes the request's context, which bounds its calls to
 * the app by the request's deadline.
 */
export class ResourceService {
  private readonly codec: ResourceCodec;
  private readonly queries: ResourceQuery;
  private readonly records: RecordReader;

  constructor(
    readonly type: ResourceTypeName,
    private readonly deps: ServiceDeps,
  ) {
    this.codec = new ResourceCodec(deps);
    this.records = new RecordReader(type, deps);
    this.queries = new ResourceQuery(type, deps, this.codec, this.records);
  }

  private get schema() {
    return this.deps.schemas[this.type];
  }

  private get roundTrip(): RoundTripSchemas {
    return { full: this.schema, advertised: this.deps.advertisedSchemas[this.type] };
  }

  private get mapping() {
    return this.codec.mapping(this.type);
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

  private async createRecord(
    context: RequestContext,
    resource: ScimResource,
    options: ReadOptions,
  ): Promise<ScimResource> {
    const omits = this.mapping.operations.create.omits;
    const input = await this.codec.toMappingInput(this.type, resource);
    const createInput = { ...input };
    if (omits.has('members')) delete createInput.members;
    if (omits.has('active')) delete createInput.active;
    const app = await this.mapping.fromScim.evaluate(createInput);
    let outcome: OperationOutcome;
    try {
      outcome = await this.deps.connector.call(context, this.type, 'create', { app, scim: createInput });
    } catch (error) {
      if (isScimError(error) && error.status === 409) {
        const recovered = await this.recoverLostCreate(context, resource, options);
        if (recovered) return recovered;
      }
      throw error;
    }
    let record = await this.recordFrom(context, outcome, undefined);
    const appId = await this.codec.appIdOf(this.type, record);
    const now = this.now();
    const derived = await this.codec.derive(this.type, record);
    const entry: IdMapEntry = {
      resourceType: this.type,
      scimId: randomUUID(),
      appId,
      created: now,
      lastModified: now,
      version: 1,
    };
    if (typeof resource.externalId === 'string') {
      entry.externalId = resource.externalId;
      await this.forgetMissingHolderOf(resource.externalId);
    }
    const preserved = this.codec.preservedValues(this.type, resource, derived);
    if (preserved) entry.preserved = preserved;
    const displays = this.codec.memberDisplays(resource);
    if (displays) entry.memberDisplays = displays;
    // Attributes the app's create call cannot carry follow in their dedicated calls. Until they
    // have all succeeded the entry is marked incomplete, so a client resending the POST after a
    // failure takes the record over instead of meeting a 409 forever.
    const members = omits.has('members') && Array.isArray(input.members) ? input.members : [];
    const deactivate = omits.has('active') && resource.active === false;
    const refetch = members.length > 0 || deactivate;
    await this.claim(refetch ? { ...entry, incomplete: true } : entry);
    if (members.length > 0) {
      await this.changeMembers(
        context,
        appId,
        members.map((m) => String((m as { value: unknown }).value)),
        [],
      );
    }
    if (deactivate) await this.deps.connector.call(context, this.type, 'deactivate', { appId });
    if (refetch) await this.deps.idMap.put(entry);
    if (refetch) record = await this.records.fetch(context, appId, true);
    const presented = await this.codec.present(this.type, record, {
      entry,
      withMembers: true,
      ...(refetch ? {} : { derived }),
    });
    return this.respond(presented, options);
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

  async patch(
    context: RequestContext,
    scimId: string,
    body: unknown,
    options: ReadOptions,
    preconditions: Preconditions = {},
  ): Promise<ScimResource> {
    const operations = parsePatchRequest(body);
    this.reportDropped(context, droppedByPatch(operations, this.roundTrip));
    return this.withLock(scimId, async () => {
      const current = await this.read(context, scimId, true);
      this.checkPreconditions(current, preconditions);
      // With its id, so a path-less replace that echoes the id (Okta's group PATCH) changes nothing
      // there instead of failing as a write to a read-only attribute.
      const { resource: patched, changed } = applyPatch(
        { ...current.resource, id: scimId },
        operations,
        this.schema,
      );
      if (!changed) return this.respond(current, options);
      const next = validateResource(patched, this.schema, 'replace');
      const written = await this.write(context, current, next);
      return this.respond(written, options);
    });
  }

  /** Answers only once the app no longer has the record (or, with keepsRecord, has disabled it). */
  async delete(context: RequestContext, scimId: string, preconditions: Preconditions = {}): Promise<void> {
    await this.withLock(scimId, async () => {
      const entry = await this.requireEntry(scimId);
      if (preconditions.ifMatch !== undefined)
        this.checkPreconditions(await this.read(context, scimId, false), preconditions);
      try {
        await this.deps.connector.call(context, this.type, 'delete', { appId: entry.appId });
      } catch (error) {
        if (!(isScimError(error) && error.status === 404)) throw error;
        // A 404 to the delete is not proof either: it is done only if a read agrees.
        if ((await this.records.fetchIfPresent(context, entry.appId, false)) !== undefined) {
          throw scimErrors.unavailable(
            `The app answered 404 to deleting ${this.type} ${scimId} but still has it; retry the delete`,
            DELETE_RETRY_AFTER_S,
          );
        }
      }
      if (this.mapping.operations.delete?.keepsRecord) {
        // The app only disabled it: remember it as deleted so it neither answers nor comes back
        // under a new SCIM id in lists.
        await this.deps.idMap.put({ ...entry, deleted: true, lastModified: this.now() });
      } else {
        await this.deps.idMap.delete(this.type, scimId);
      }
    });
  }

  /** Writes the change from `current` to `next` through the mapping; returns the new state. */
  private async write(
    context: RequestContext,
    current: PresentedResource,
    next: ScimResource,
  ): Promise<PresentedResource> {
    let appId = current.entry.appId;
    const plan = planWrite(this.mapping, current.resource, next);
    const currentInput = await this.codec.toMappingInput(this.type, current.resource);
    const nextInput = await this.codec.toMappingInput(this.type, plan.updateInput);
    const appBefore = await this.mapping.fromScim.evaluate(currentInput);
    const appAfter = await this.mapping.fromScim.evaluate(nextInput);
    let record: unknown;
    let calls = 0;
    if (!jsonEqual(appBefore, appAfter)) {
      if (!this.mapping.operations.update) {
        throw scimErrors.notImplemented(
          `The app offers no way to update a ${this.type} (no update operation)`,
        );
      }
      const outcome = await this.deps.connector.call(context, this.type, 'update', {
        appId,
        app: appAfter,
        scim: nextInput,
        current: current.record,
      });
      record = await this.recordAfterUpdate(context, outcome, appId, appAfter);
      // Apps keyed by a field that can change (a login) rename the record with the update: the
      // SCIM id stays, the entry follows the new app id.
      appId = await this.codec.appIdOf(this.type, record);
      calls++;
    }
    if (plan.activeChange !== undefined) {
      await this.deps.connector.call(context, this.type, plan.activeChange ? 'activate' : 'deactivate', {
        appId,
      });
      calls++;
    }
    if (plan.membersToAdd.length > 0 || plan.membersToRemove.length > 0) {
      const toApp = async (ids: string[]) =>
        (await this.codec.membersToApp(ids.map((value) => ({ value })))).map((m) => String(m.value));
      await this.changeMembers(
        context,
        appId,
        await toApp(plan.membersToAdd),
        await toApp(plan.membersToRemove),
      );
      calls++;
    }
    if (calls === 0) record = current.record;
    else if (record === undefined || calls > 1) record = await this.records.fetch(context, appId, true);
    const derived = await this.codec.derive(this.type, record);
    const entry: IdMapEntry = {
      ...current.entry,
      appId,
      lastModified: this.now(),
      version: current.entry.version + 1,
    };
    if (typeof next.externalId === 'string') entry.externalId = next.externalId;
    else delete entry.externalId;
    const preserved = this.codec.preservedValues(this.type, next, derived);
    if (preserved) entry.preserved = preserved;
    else delete entry.preserved;
    const displays = this.codec.memberDisplays(next);
    if (displays) entry.memberDisplays = displays;
    else delete entry.memberDisplays;
    if (appId === current.entry.appId) await this.deps.idMap.put(entry);
    else await this.claim(entry);
    return this.codec.present(this.type, record, { entry, withMembers: true, derived });
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
    const identity = this.type === 'User' ? 'userName' : 'displayName';
    const value = resource[identity];
    if (typeof value !== 'string') return undefined;
    const unmapped = (await this.queries.findRecords(context, identity, value)).filter(
      ({ entry }) => !entry || entry.deleted || entry.incomplete,
    );
    const record = unmapped[0]?.record;
    if (unmapped.length !== 1 || record === undefined) return undefined;
    const appId = await this.codec.appIdOf(this.type, record);
    // A record deleted through SCIM but kept by the app (keepsRecord), or left half-created by a
    // create whose follow-up calls failed, is taken over by the new create.
    const stale = await this.deps.idMap.findByAppId(this.type, appId);
    if (stale?.deleted || stale?.incomplete) await this.deps.idMap.delete(this.type, stale.scimId);
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

  private async changeMembers(
    context: RequestContext,
    appId: string,
    add: string[],
    remove: string[],
  ): Promise<void> {
    const connector = this.deps.connector;
    for (const memberAppId of add)
      await connector.call(context, this.type, 'addMember', { appId, memberAppId });
    for (const memberAppId of remove)
      await connector.call(context, this.type, 'removeMember', { appId, memberAppId });
  }

  private async read(
    context: RequestContext,
    scimId: string,
    withMembers: boolean,
  ): Promise<PresentedResource> {
    const entry = await this.requireEntry(scimId);
    const record = await this.records.recordOf(context, entry, withMembers);
    if (record === undefined) throw scimErrors.notFound(`${this.type} ${scimId} not found`);
    return this.codec.present(this.type, record, { entry, withMembers });
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

  /**
   * The record a write returned, or a fresh read when the app answered without one (204, or a
   * body with only the id).
   */
  private async recordFrom(
    context: RequestContext,
    outcome: OperationOutcome,
    appId: string | undefined,
    withMembers = true,
  ): Promise<unknown> {
    const { result } = outcome;
    if (isPlainObject(result) && Object.keys(result).length > 1) return result;
    let id = appId;
    if (typeof result === 'string' || typeof result === 'number') id = String(result);
    else if (isPlainObject(result)) id = await this.codec.appIdOf(this.type, result);
    else if (id === undefined) id = idFromLocation(outcome.response.headers.location);
    if (id === undefined) {
      throw scimErrors.badGateway(
        `The app's answer to ${this.type} create holds neither the record nor its id (set operations.create.response)`,
      );
    }
    return this.records.fetch(context, id, withMembers);
  }

  /**
   * The record after an update: the answer itself, or a read under the id the answer names (body
   * or Location), else under the id it had. An app keyed by a changeable field (a login) may have
   * renamed the record, which then answers 404 under its old id: it is read under the id its new
   * state yields.
   */
  private async recordAfterUpdate(
    context: RequestContext,
    outcome: OperationOutcome,
    appId: string,
    appAfter: unknown,
  ): Promise<unknown> {
    const { result } = outcome;
    if (isPlainObject(result) && Object.keys(result).length > 1) return result;
    let named: string | undefined;
    if (typeof result === 'string' || typeof result === 'number') named = String(result);
    else if (isPlainObject(result)) named = await this.codec.appIdIfAny(this.type, result);
    named ??= idFromLocation(outcome.response.headers.location);
    if (named !== undefined) return this.records.fetch(context, named, true);
    const record = await this.records.fetchIfPresent(context, appId, true);
    if (record !== undefined) return record;
    const renamed = await this.codec.appIdIfAny(this.type, appAfter);
    if (renamed !== undefined && renamed !== appId) return this.records.fetch(context, renamed, true);
    throw scimErrors.badGateway(`The app no longer finds ${this.type} ${appId} after updating it`);
  }

  private async requireEntry(scimId: string): Promise<IdMapEntry> {
    const entry = await this.deps.idMap.get(this.type, scimId);
    if (!entry || entry.deleted) throw scimErrors.notFound(`${this.type} ${scimId} not found`);
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
    this.deps.log.warn(
      { resourceType: this.type, droppedAttributes: dropped },
      'accepted a write with attributes the mapping cannot store; they are not kept',
    );
    context.onDroppedAttributes?.(dropped);
  }

  private respond(presented: PresentedResource, options: ReadOptions): ScimResource {
    return buildResponse(this.type, presented, this.schema, options);
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

function idFromLocation(location: string | undefined): string | undefined {
  if (!location) return undefined;
  const last = location.split('?')[0]?.replace(/\/+$/, '').split('/').pop();
  return last ? decodeURIComponent(last.replace(/\.json$/, '')) : undefined;
}
