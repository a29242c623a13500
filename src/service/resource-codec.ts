import { randomUUID } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { AppView } from '../connector/gateway.js';
import type { IdMapEntry, PreservedValue, ResourceTypeName } from '../idmap/types.js';
import { jsonEqual } from '../lib/json-equal.js';
import { isPlainObject } from '../scim/attributes.js';
import { scimErrors } from '../scim/errors.js';
import type { ScimResource } from '../scim/schema-types.js';
import type { ServiceDeps } from './service-deps.js';

/** A SCIM resource as read from the app, with the id map entry that names it. */
export interface PresentedResource {
  resource: ScimResource;
  entry: IdMapEntry;
  /** What the app holds, when it was read (or answered a write with the record). */
  view: AppView | undefined;
}

/** Loops over members yield to the event loop this often, so one big group stalls no other request. */
const YIELD_EVERY = 1_000;
/** Unknown member ids named in one warning line, at most. */
const MEMBERS_NAMED_IN_A_WARNING = 5;

/**
 * The id map's side of a resource: the SCIM id, externalId and preserved values laid over the
 * app's SCIM view, and group member ids translated between SCIM ids and app ids.
 */
export class ResourceCodec {
  constructor(
    private readonly type: ResourceTypeName,
    private readonly deps: ServiceDeps,
    private readonly preserve: () => readonly string[],
  ) {}

  /**
   * The full SCIM resource for what the app holds. Records the app holds but the adapter never saw
   * (created before it was deployed) get a SCIM id on first sight.
   */
  async present(
    scim: ScimResource,
    appId: string,
    options: { entry?: IdMapEntry; withMembers: boolean; view?: AppView; fromApp?: boolean },
  ): Promise<PresentedResource> {
    const entry = options.entry ?? (await this.entryForAppId(this.type, appId));
    const resource: ScimResource = { ...scim };
    await this.overlayPreserved(resource, entry, options.fromApp ?? true);
    if (resource.externalId === undefined && entry.externalId !== undefined)
      resource.externalId = entry.externalId;
    if (this.type === 'Group') {
      const members = options.withMembers
        ? await this.membersToScim(resource.members, entry.memberDisplays)
        : [];
      if (members.length > 0) resource.members = members;
      else delete resource.members;
    }
    return { resource, entry, view: options.view };
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
   * the value the mapping derives from what the app stored. Without `derived` (the app answered
   * the write without the record) the first read after it fills that in.
   */
  preservedValues(
    sent: ScimResource,
    derived: ScimResource | undefined,
  ): Record<string, PreservedValue> | undefined {
    const preserved: Record<string, PreservedValue> = {};
    for (const path of this.preserve()) {
      const original = readPath(sent, path);
      if (original === undefined) continue;
      if (derived === undefined) {
        preserved[path] = { original, pending: true };
        continue;
      }
      const fromApp = readPath(derived, path);
      if (!jsonEqual(original, fromApp)) preserved[path] = { original, derived: fromApp };
    }
    return Object.keys(preserved).length > 0 ? preserved : undefined;
  }

  /**
   * Member SCIM ids as app ids, in order. Only Users provisioned through this endpoint can be
   * members: nested groups and unknown ids are left out, with one log line for all of them
   * (failing the request would make the IdP retry the group for hours).
   */
  async memberAppIds(scimIds: readonly string[]): Promise<string[]> {
    const appIds: string[] = [];
    const unknown: string[] = [];
    const nested: string[] = [];
    for (let i = 0; i < scimIds.length; i++) {
      if (i % YIELD_EVERY === YIELD_EVERY - 1) await yieldToEventLoop();
      const scimId = scimIds[i] as string;
      const user = await this.deps.idMap.get('User', scimId);
      if (user && !user.deleted) appIds.push(user.appId);
      else if (await this.deps.idMap.get('Group', scimId)) nested.push(scimId);
      else unknown.push(scimId);
    }
    if (nested.length > 0)
      this.deps.log.info(
        { members: nested.length, examples: nested.slice(0, MEMBERS_NAMED_IN_A_WARNING) },
        'ignored Group members of a Group (nested groups are not supported)',
      );
    if (unknown.length > 0) {
      this.deps.log.warn(
        { members: unknown.length, examples: unknown.slice(0, MEMBERS_NAMED_IN_A_WARNING) },
        'ignored unknown members (not Users provisioned through this endpoint)',
      );
    }
    return appIds;
  }

  /** The resource with its member values as app ids (the input of the gateway's writes). */
  async withAppMembers(resource: ScimResource): Promise<ScimResource> {
    if (this.type !== 'Group' || !Array.isArray(resource.members)) return resource;
    const scimIds = resource.members.map(memberValue);
    if (scimIds.some((id) => id === undefined))
      throw scimErrors.invalidValue('Each member needs a "value" with the member\'s id');
    const appIds = await this.memberAppIds(scimIds as string[]);
    return { ...resource, members: appIds.map((value) => ({ value })) };
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

  /**
   * Shows the client's value where the app still yields what it derived when the value was
   * written; once the app's value changes on its own, the app wins. A pending value (the write
   * was answered without the record) learns its derived form from the first state read from the
   * app (`fromApp`), not from a state the service only expects.
   */
  private async overlayPreserved(resource: ScimResource, entry: IdMapEntry, fromApp: boolean): Promise<void> {
    if (!entry.preserved) return;
    let learned = false;
    for (const [path, kept] of Object.entries(entry.preserved)) {
      const value = readPath(resource, path);
      if (kept.pending) {
        if (fromApp) {
          entry.preserved[path] = { original: kept.original, derived: value };
          learned = true;
        }
        writePath(resource, path, kept.original);
      } else if (jsonEqual(value, kept.derived)) {
        writePath(resource, path, kept.original);
      }
    }
    if (learned) await this.deps.idMap.put(entry);
  }

  private async membersToScim(
    members: unknown,
    displays: Record<string, string> | undefined,
  ): Promise<Array<Record<string, unknown>>> {
    if (!Array.isArray(members)) return [];
    const out: Array<Record<string, unknown>> = [];
    for (let i = 0; i < members.length; i++) {
      if (i % YIELD_EVERY === YIELD_EVERY - 1) await yieldToEventLoop();
      const member = members[i];
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

  private now(): string {
    return (this.deps.now?.() ?? new Date()).toISOString();
  }
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
