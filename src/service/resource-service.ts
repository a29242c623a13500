import { randomUUID } from 'node:crypto';
import type { OperationOutcome } from '../connector/connector.js';
import type { ResourceTypeName } from '../connector/mapping-types.js';
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
import { type PresentedResource, ResourceCodec } from './resource-codec.js';
import { type ListResult, type QueryRequest, ResourceQuery } from './resource-query.js';
import { buildResponse } from './response.js';
import type { ReadOptions, ServiceDeps } from './service-deps.js';
import { planWrite } from './write-plan.js';

/**
 * One function per SCIM operation on one resource type. Writes to a resource are serialised
 * (read-apply-write under a per-resource lock) and the id map changes only after the app has
 * confirmed the write. Every operation takes the request's context, which bounds its calls to
 * the app by the request's deadline.
 */
export class ResourceService {
  private readonly codec: ResourceCodec;
  private readonly queries: ResourceQuery;

  constructor(
    readonly type: ResourceTypeName,
    private readonly deps: ServiceDeps,
  ) {
    this.codec = new ResourceCodec(deps);
    this.queries = new ResourceQuery(type, deps, this.codec);
  }

  private get schema() {
    return this.deps.schemas[this.type];
  }

  private get mapping() {
    return this.codec.mapping(this.type);
  }

  async create(context: RequestContext, body: unknown, options: ReadOptions): Promise<ScimResource> {
    const resource = validateResource(body, this.schema, 'create');
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
    if (typeof resource.externalId === 'string') entry.externalId = resource.externalId;
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
    if (refetch) record = await this.fetchRecord(context, appId, true);
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
  ): Promise<ScimResource> {
    const next = validateResource(body, this.schema, 'replace');
    return this.withLock(scimId, async () => {
      const current = await this.read(context, scimId, true);
      const idInBody = isPlainObject(body) ? body.id : undefined;
      if (typeof idInBody === 'string' && idInBody !== scimId) {
        throw scimErrors.mutability('The id in the body does not match the resource being replaced');
      }
      const written = await this.write(context, current, next);
      return this.respond(written, options);
    });
  }

  async patch(
    context: RequestContext,
    scimId: string,
    body: unknown,
    options: ReadOptions,
  ): Promise<ScimResource> {
    const operations = parsePatchRequest(body);
    return this.withLock(scimId, async () => {
      const current = await this.read(context, scimId, true);
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

  async delete(context: RequestContext, scimId: string): Promise<void> {
    await this.withLock(scimId, async () => {
      const entry = await this.requireEntry(scimId);
      try {
        await this.deps.connector.call(context, this.type, 'delete', { appId: entry.appId });
      } catch (error) {
        // Already gone in the app: the outcome the client asked for.
        if (!(isScimError(error) && error.status === 404)) throw error;
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
    const appId = current.entry.appId;
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
      record = await this.recordFrom(context, outcome, appId, true);
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
    else if (record === undefined || calls > 1) record = await this.fetchRecord(context, appId, true);
    const derived = await this.codec.derive(this.type, record);
    const entry: IdMapEntry = {
      ...current.entry,
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
    await this.deps.idMap.put(entry);
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
    const records = await this.queries.findUnmappedRecords(context, identity, value);
    const [record] = records;
    if (records.length !== 1 || record === undefined) return undefined;
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
    let record: unknown;
    try {
      record = await this.fetchRecord(context, entry.appId, withMembers);
    } catch (error) {
      if (isScimError(error) && error.status === 404) {
        // The app no longer has it (deleted outside SCIM): forget the mapping too.
        await this.deps.idMap.delete(this.type, scimId);
        throw scimErrors.notFound(`${this.type} ${scimId} not found`);
      }
      throw error;
    }
    return this.codec.present(this.type, record, { entry, withMembers });
  }

  private async fetchRecord(context: RequestContext, appId: string, withMembers: boolean): Promise<unknown> {
    const { result } = await this.deps.connector.call(context, this.type, 'get', { appId, withMembers });
    if (!isPlainObject(result))
      throw scimErrors.badGateway(`The app returned no ${this.type} record for ${appId}`);
    return result;
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
    return this.fetchRecord(context, id, withMembers);
  }

  private async requireEntry(scimId: string): Promise<IdMapEntry> {
    const entry = await this.deps.idMap.get(this.type, scimId);
    if (!entry || entry.deleted) throw scimErrors.notFound(`${this.type} ${scimId} not found`);
    return entry;
  }

  private withLock<T>(scimId: string, work: () => Promise<T>): Promise<T> {
    return this.deps.locks.run(`${this.type}:${scimId}`, work);
  }

  private respond(presented: PresentedResource, options: ReadOptions): ScimResource {
    return buildResponse(this.type, presented, this.schema, options);
  }

  private now(): string {
    return (this.deps.now?.() ?? new Date()).toISOString();
  }
}

function idFromLocation(location: string | undefined): string | undefined {
  if (!location) return undefined;
  const last = location.split('?')[0]?.replace(/\/+$/, '').split('/').pop();
  return last ? decodeURIComponent(last.replace(/\.json$/, '')) : undefined;
}
