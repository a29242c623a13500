import { randomUUID } from 'node:crypto';
import type { CompiledResourceMapping, ResourceTypeName } from '../mapping/mapping-types.js';
import type { IdMapEntry, PreservedValue } from '../idmap/types.js';
import { isPlainObject } from '../scim/attributes.js';
import { scimErrors } from '../scim/errors.js';
import type { ScimResource } from '../scim/schema-types.js';
import { jsonEqual } from './json-equal.js';
import type { ServiceDeps } from './service-deps.js';

/** A SCIM resource as read from the app, with the id map entry that names it. */
export interface PresentedResource {
  resource: ScimResource;
  entry: IdMapEntry;
  record: unknown;
}

/** Attributes the service writes itself; the mapping's toScim output never sets them. */
const SERVICE_ATTRIBUTES = new Set(['id', 'schemas']);

/**
 * Converts between the two worlds: app records → SCIM resources (toScim, then the id map's
 * SCIM id, externalId and preserved values on top), and SCIM resources → the input of fromScim
 * (member SCIM ids replaced by app ids).
 */
export class ResourceCodec {
  constructor(private readonly deps: ServiceDeps) {}

  mapping(type: ResourceTypeName): CompiledResourceMapping {
    return this.deps.connector.resource(type);
  }

  async appIdOf(type: ResourceTypeName, record: unknown): Promise<string> {
    const value = await this.mapping(type).id.evaluate(record);
    if ((typeof value === 'string' && value !== '') || typeof value === 'number') return String(value);
    throw scimErrors.badGateway(
      `The app returned a ${type} record without an id (check the mapping's id expression)`,
    );
  }

  /** The id `value` yields through the mapping's id expression, or undefined when it yields none. */
  async appIdIfAny(type: ResourceTypeName, value: unknown): Promise<string | undefined> {
    if (!isPlainObject(value)) return undefined;
    try {
      return await this.appIdOf(type, value);
    } catch {
      return undefined;
    }
  }

  /** The SCIM view of an app record, before the id map's values are laid over it. */
  async derive(type: ResourceTypeName, record: unknown): Promise<ScimResource> {
    const value = await this.mapping(type).toScim.evaluate(record);
    if (!isPlainObject(value)) {
      throw scimErrors.badGateway(`The mapping's toScim for ${type} did not produce an object`);
    }
    for (const key of SERVICE_ATTRIBUTES) delete value[key];
    return withoutNulls(value);
  }

  /**
   * The full SCIM resource for an app record. Records the app holds but the adapter never saw
   * (created before it was deployed) get a SCIM id on first sight. `derived`: what
   * {@link derive} already returned for this very record (saves evaluating toScim twice).
   */
  async present(
    type: ResourceTypeName,
    record: unknown,
    options: { entry?: IdMapEntry; withMembers: boolean; derived?: ScimResource },
  ): Promise<PresentedResource> {
    const appId = await this.appIdOf(type, record);
    const derived = options.derived ?? (await this.derive(type, record));
    const entry = options.entry ?? (await this.entryForAppId(type, appId));
    const resource: ScimResource = { ...derived };
    for (const [path, kept] of Object.entries(entry.preserved ?? {})) {
      if (jsonEqual(readPath(derived, path), kept.derived)) writePath(resource, path, kept.original);
    }
    if (resource.externalId === undefined && entry.externalId !== undefined)
      resource.externalId = entry.externalId;
    if (type === 'Group') {
      const members = options.withMembers
        ? await this.membersToScim(resource.members, entry.memberDisplays)
        : [];
      if (members.length > 0) resource.members = members;
      else delete resource.members;
    }
    return { resource, entry, record };
  }

  /** The id map entry for an app id, adopting the record if the adapter has never seen it. */
  async entryForAppId(type: ResourceTypeName, appId: string): Promise<IdMapEntry> {
    const known = await this.deps.idMap.findByAppId(type, appId);
    if (known) return known;
    return this.deps.locks.run(`adopt:${type}:${appId}`, async () => {
      const again = await this.deps.idMap.findByAppId(type, appId);
      if (again) return again;
      const now = this.now();
      const entry: IdMapEntry = {
        resourceType: type,
        scimId: randomUUID(),
        appId,
        created: now,
        lastModified: now,
        version: 1,
      };
      await this.deps.idMap.put(entry);
      return entry;
    });
  }

  /**
   * What the id map keeps for attributes the app stores lossily: the value the client sent and
   * the value the mapping derives from what the app stored.
   */
  preservedValues(
    type: ResourceTypeName,
    sent: ScimResource,
    derived: ScimResource,
  ): Record<string, PreservedValue> | undefined {
    const preserved: Record<string, PreservedValue> = {};
    for (const path of this.mapping(type).preserve) {
      const original = readPath(sent, path);
      const fromApp = readPath(derived, path);
      if (original !== undefined && !jsonEqual(original, fromApp))
        preserved[path] = { original, derived: fromApp };
    }
    return Object.keys(preserved).length > 0 ? preserved : undefined;
  }

  /** The input of fromScim: the SCIM resource with member SCIM ids replaced by app ids. */
  async toMappingInput(type: ResourceTypeName, resource: ScimResource): Promise<ScimResource> {
    if (type !== 'Group' || !Array.isArray(resource.members)) return resource;
    return { ...resource, members: await this.membersToApp(resource.members) };
  }

  async membersToApp(members: unknown[]): Promise<Array<Record<string, unknown>>> {
    const out: Array<Record<string, unknown>> = [];
    for (const member of members) {
      const scimId = memberValue(member);
      if (scimId === undefined)
        throw scimErrors.invalidValue('Each member needs a "value" with the member\'s id');
      const user = await this.deps.idMap.get('User', scimId);
      if (user) {
        out.push({ ...(member as Record<string, unknown>), value: user.appId });
        continue;
      }
      if (await this.deps.idMap.get('Group', scimId)) {
        // Nested groups are not provisioned, as in the apps the IdPs document.
        this.deps.log.info(
          { member: scimId },
          'ignored a Group member of a Group (nested groups are not supported)',
        );
        continue;
      }
      // A member the adapter never provisioned cannot be written to the app; failing the whole
      // request would make the IdP retry the group for hours, so it is skipped and logged.
      this.deps.log.warn(
        { member: scimId },
        'ignored an unknown member (not a User provisioned through this endpoint)',
      );
    }
    return out;
  }

  private async membersToScim(
    members: unknown,
    displays: Record<string, string> | undefined,
  ): Promise<Array<Record<string, unknown>>> {
    if (!Array.isArray(members)) return [];
    const out: Array<Record<string, unknown>> = [];
    for (const member of members) {
      const appId = memberValue(member);
      if (appId === undefined) continue;
      const entry = await this.entryForAppId('User', appId);
      if (entry.deleted) continue;
      const scimMember: Record<string, unknown> = {
        ...(member as Record<string, unknown>),
        value: entry.scimId,
        type: 'User',
      };
      const display = displays?.[entry.scimId];
      if (scimMember.display === undefined && display !== undefined) scimMember.display = display;
      out.push(scimMember);
    }
    return out;
  }

  /** The member display texts a client sent (`display`, or `displayName` as some send), by SCIM id. */
  memberDisplays(resource: ScimResource): Record<string, string> | undefined {
    if (!Array.isArray(resource.members)) return undefined;
    const displays: Record<string, string> = {};
    for (const member of resource.members) {
      if (!isPlainObject(member)) continue;
      const text = member.display ?? member.displayName;
      const id = memberValue(member);
      if (id !== undefined && typeof text === 'string') displays[id] = text;
    }
    return Object.keys(displays).length > 0 ? displays : undefined;
  }

  private now(): string {
    return (this.deps.now?.() ?? new Date()).toISOString();
  }
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

/** `{ value: "x" }` or a bare id (some clients send member values as plain strings). */
function memberValue(member: unknown): string | undefined {
  if (typeof member === 'string' || typeof member === 'number') return String(member);
  if (isPlainObject(member) && (typeof member.value === 'string' || typeof member.value === 'number')) {
    return String(member.value);
  }
  return undefined;
}

/** Reads `userName` or `name.givenName` (core attributes only). */
export function readPath(resource: ScimResource, path: string): unknown {
  let current: unknown = resource;
  for (const part of path.split('.')) {
    if (!isPlainObject(current)) return undefined;
    current = current[part];
  }
  return current;
}

function writePath(resource: ScimResource, path: string, value: unknown): void {
  const parts = path.split('.');
  let current: Record<string, unknown> = resource;
  for (const part of parts.slice(0, -1)) {
    const next = current[part];
    if (!isPlainObject(next)) current[part] = {};
    current = current[part] as Record<string, unknown>;
  }
  current[parts[parts.length - 1] as string] = value;
}
