import { randomUUID } from 'node:crypto';
import type { AppGateway, AppView } from '../connector/gateway.js';
import type { RequestContext } from '../connector/request-context.js';
import { appIdRefOf } from '../idmap/id-map.js';
import type { AppIdRef, IdMapEntry, PreservedValue, ResourceTypeName } from '../idmap/types.js';
import { jsonEqual } from '../lib/json-equal.js';
import { YIELD_EVERY, yieldToEventLoop } from '../lib/yield.js';
import { isPlainObject } from '../scim/attributes.js';
import { scimErrors } from '../scim/errors.js';
import type { MemberChanges } from '../scim/patch/member-changes.js';
import type { ScimResource } from '../scim/schema-types.js';
import type { ServiceDeps } from './service-deps.js';

/** A SCIM resource as read from the app, with the id map entry that names it. */
export interface PresentedResource {
  resource: ScimResource;
  entry: IdMapEntry;
  /** What the app holds, when it was read (or answered a write with the record). */
  view: AppView | undefined;
}

/**
 * Most member display texts a group's id map entry keeps. The entry is written whole on every
 * member change, so without a bound each add to a big group (Okta sends every member with its
 * display) would write more than the last. Members past it are answered without `display`,
 * which RFC 7643 makes optional; apps whose records name their members map it in toScim.
 */
export const MAX_MEMBER_DISPLAYS = 200;
/** Unknown member ids named in one warning line, at most. */
const MEMBERS_NAMED_IN_A_WARNING = 5;

/** Member keys resolved during one request, both ways (`undefined`: known to name no user). */
interface KeysOfRequest {
  scimIdByKey: Map<string, string | undefined>;
  keyByScimId: Map<string, string | undefined>;
}

/**
 * The id map's side of a resource: the SCIM id, externalId and preserved values laid over the
 * app's SCIM view, and group member ids translated between SCIM ids and app ids.
 */
export class ResourceCodec {
  private readonly keysOfRequest = new WeakMap<RequestContext, KeysOfRequest>();

  constructor(
    private readonly type: ResourceTypeName,
    private readonly deps: ServiceDeps,
    private readonly gateway: Pick<
      AppGateway,
      'preserve' | 'memberKey' | 'memberKeyIn' | 'readMemberKey' | 'findMember'
    >,
  ) {}

  private preserve(): readonly string[] {
    return this.gateway.preserve;
  }

  /**
   * The full SCIM resource for what the app holds. Records the app holds but the adapter never saw
   * (created before it was deployed) get a SCIM id on first sight.
   */
  async present(
    scim: ScimResource,
    appId: string,
    options: {
      entry?: IdMapEntry;
      withMembers: boolean;
      view?: AppView;
      fromApp?: boolean;
      context?: RequestContext;
    },
  ): Promise<PresentedResource> {
    const entry = options.entry ?? (await this.entryForAppId(this.type, appId));
    const resource: ScimResource = { ...scim };
    await this.overlayPreserved(resource, entry, options.fromApp ?? true);
    if (options.fromApp ?? true) await this.followMemberKey(entry, scim);
    if (resource.externalId === undefined && entry.externalId !== undefined)
      resource.externalId = entry.externalId;
    if (this.type === 'Group') {
      const members = options.withMembers
        ? await this.membersToScim(resource.members, entry.memberDisplays, options.context)
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
   * Member SCIM ids as the app's member values, in order: app ids, or the members' keys
   * (`members.key`). Only Users provisioned through this endpoint can be members: nested groups
   * and unknown ids are left out, with one log line for all of them (failing the request would
   * make the IdP retry the group for hours).
   */
  async memberValues(scimIds: readonly string[], context?: RequestContext): Promise<string[]> {
    const values: string[] = [];
    const unknown: string[] = [];
    const nested: string[] = [];
    const keyed = this.gateway.memberKey !== undefined;
    for (let start = 0; start < scimIds.length; start += YIELD_EVERY) {
      if (start > 0) await yieldToEventLoop();
      const chunk = scimIds.slice(start, start + YIELD_EVERY);
      // App ids come straight from the id map's index; a member key needs the user's whole entry.
      const refs = keyed ? undefined : await this.deps.idMap.resolveScimIds('User', chunk);
      for (let i = 0; i < chunk.length; i++) {
        const scimId = chunk[i] as string;
        let found: boolean;
        let value: string | undefined;
        if (refs) {
          const ref = refs[i];
          found = ref !== undefined;
          value = ref && !ref.deleted ? ref.appId : undefined;
        } else {
          const user = await this.deps.idMap.get('User', scimId);
          found = user !== undefined;
          value = user && !user.deleted ? await this.keyOf(user, context) : undefined;
        }
        if (value !== undefined) values.push(value);
        else if (!found && (await this.deps.idMap.get('Group', scimId))) nested.push(scimId);
        else unknown.push(scimId);
      }
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
    return values;
  }

  /**
   * The resource with its member values as the app's (app ids or keys): the input of the
   * gateway's writes.
   */
  async withAppMembers(resource: ScimResource, context?: RequestContext): Promise<ScimResource> {
    if (this.type !== 'Group' || !Array.isArray(resource.members)) return resource;
    const scimIds = resource.members.map(memberValue);
    if (scimIds.some((id) => id === undefined))
      throw scimErrors.invalidValue('Each member needs a "value" with the member\'s id');
    const values = await this.memberValues(scimIds as string[], context);
    return { ...resource, members: values.map((value) => ({ value })) };
  }

  /**
   * A user's member key: the one its id map entry keeps, else read from the app (and kept).
   * Undefined when the user has none the app could list.
   */
  private async keyOf(user: IdMapEntry, context: RequestContext | undefined): Promise<string | undefined> {
    if (user.memberKey !== undefined) return user.memberKey;
    const known = this.keys(context).keyByScimId;
    if (known.has(user.scimId)) return known.get(user.scimId);
    const key = await this.gateway.readMemberKey(context ?? UNBOUNDED, user.appId);
    known.set(user.scimId, key);
    if (key !== undefined) await this.keepMemberKey(user.scimId, key);
    return key;
  }

  /** The User entry whose member key is `key`: the id map's, else the one user the app finds by it. */
  private async entryForKey(
    key: string,
    context: RequestContext | undefined,
  ): Promise<IdMapEntry | undefined> {
    const cached = this.deps.idMap.findCachedByMemberKey('User', key);
    if (cached) return cached;
    const known = this.keys(context).scimIdByKey;
    if (known.has(key)) {
      const scimId = known.get(key);
      return scimId === undefined ? undefined : this.deps.idMap.get('User', scimId);
    }
    const view = await this.gateway.findMember(context ?? UNBOUNDED, key);
    const entry = view ? await this.entryForAppId('User', view.appId) : undefined;
    known.set(key, entry?.scimId);
    if (entry && entry.memberKey !== key) {
      await this.keepMemberKey(entry.scimId, key);
      entry.memberKey = key;
    }
    return entry;
  }

  /** Stores a user's member key, under the user's lock: a write of the user may be under way. */
  private async keepMemberKey(scimId: string, key: string): Promise<void> {
    await this.deps.locks.run(`User:${scimId}`, async () => {
      const entry = await this.deps.idMap.get('User', scimId);
      if (entry && entry.memberKey !== key) await this.deps.idMap.put({ ...entry, memberKey: key });
    });
  }

  /**
   * A user whose entry keeps a member key follows the key the app now yields (a login renamed in
   * the app itself, or through SCIM).
   */
  private async followMemberKey(entry: IdMapEntry, scim: ScimResource): Promise<void> {
    if (this.type !== 'User' || entry.memberKey === undefined) return;
    const key = this.gateway.memberKeyIn(scim);
    if (key === undefined || key === entry.memberKey) return;
    entry.memberKey = key;
    await this.deps.idMap.put(entry);
  }

  /** The member key a user's SCIM view yields, when groups know members by one. */
  memberKeyOf(scim: ScimResource): string | undefined {
    return this.gateway.memberKeyIn(scim);
  }

  private keys(context: RequestContext | undefined): KeysOfRequest {
    const owner = context ?? UNBOUNDED;
    let keys = this.keysOfRequest.get(owner);
    if (!keys) {
      keys = { scimIdByKey: new Map(), keyByScimId: new Map() };
      // Outside a request nothing is kept: each call resolves afresh.
      if (context) this.keysOfRequest.set(owner, keys);
    }
    return keys;
  }

  /**
   * The member display texts a client sent (`display`, or `displayName` as some send), by SCIM
   * id: the first {@link MAX_MEMBER_DISPLAYS} of them.
   */
  memberDisplays(resource: ScimResource): Record<string, string> | undefined {
    if (!Array.isArray(resource.members)) return undefined;
    const displays: Record<string, string> = {};
    let kept = 0;
    for (const member of resource.members) {
      if (kept >= MAX_MEMBER_DISPLAYS) break;
      if (!isPlainObject(member)) continue;
      const text = member.display ?? member.displayName;
      const id = memberValue(member);
      if (id !== undefined && typeof text === 'string' && displays[id] === undefined) {
        displays[id] = text;
        kept++;
      }
    }
    return kept > 0 ? displays : undefined;
  }

  /**
   * The display texts kept after a member-only PATCH: those of removed members dropped, those of
   * added members kept while fewer than {@link MAX_MEMBER_DISPLAYS} are.
   */
  memberDisplaysAfter(
    kept: Readonly<Record<string, string>> | undefined,
    changes: MemberChanges,
  ): Record<string, string> | undefined {
    const displays = { ...kept };
    let count = Object.keys(displays).length;
    for (const removed of changes.remove) {
      if (displays[removed] === undefined) continue;
      delete displays[removed];
      count--;
    }
    for (const { value, display } of changes.add) {
      if (display === undefined || (displays[value] === undefined && count >= MAX_MEMBER_DISPLAYS)) continue;
      if (displays[value] === undefined) count++;
      displays[value] = display;
    }
    return count > 0 ? displays : undefined;
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
    context: RequestContext | undefined,
  ): Promise<Array<Record<string, unknown>>> {
    if (!Array.isArray(members)) return [];
    const out: Array<Record<string, unknown>> = [];
    const unknown: string[] = [];
    // In chunks, yielding between them: a group of 100 000 members must not stall other requests.
    for (let start = 0; start < members.length; start += YIELD_EVERY) {
      if (start > 0) await yieldToEventLoop();
      const chunk = members.slice(start, start + YIELD_EVERY);
      const values = chunk.map(memberValue);
      const refs = await this.memberRefs(values, context);
      for (let i = 0; i < chunk.length; i++) {
        const value = values[i];
        if (value === undefined) continue;
        const ref = refs[i];
        if (!ref) unknown.push(value);
        if (!ref || ref.deleted) continue;
        const scimMember: Record<string, unknown> = {
          ...(chunk[i] as Record<string, unknown>),
          value: ref.scimId,
          type: 'User',
        };
        const display = displays?.[ref.scimId];
        if (scimMember.display === undefined && display !== undefined) scimMember.display = display;
        out.push(scimMember);
      }
    }
    if (unknown.length > 0)
      this.deps.log.warn(
        { members: unknown.length, examples: unknown.slice(0, MEMBERS_NAMED_IN_A_WARNING) },
        'left out members the app lists that no user has (members.key)',
      );
    return out;
  }

  /**
   * The users behind the app's member values. App ids are looked up in one call to the id map;
   * an app id it does not know is a user made in the app directly, adopted (given a SCIM id) as a
   * read of it would. Member keys the id map does not know are looked for in the app.
   */
  private async memberRefs(
    values: ReadonlyArray<string | undefined>,
    context: RequestContext | undefined,
  ): Promise<Array<AppIdRef | undefined>> {
    const refs: Array<AppIdRef | undefined> = [];
    if (this.gateway.memberKey !== undefined) {
      for (const value of values) {
        const entry = value === undefined ? undefined : await this.entryForKey(value, context);
        refs.push(entry && appIdRefOf(entry));
      }
      return refs;
    }
    const known = await this.deps.idMap.resolveAppIds(
      'User',
      values.map((value) => value ?? ''),
    );
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      let ref = value === undefined ? undefined : known[i];
      if (value !== undefined && !ref) {
        ref = appIdRefOf(await this.entryForAppId('User', value));
      }
      refs.push(ref);
    }
    return refs;
  }

  private now(): string {
    return (this.deps.now?.() ?? new Date()).toISOString();
  }
}

/** For resolutions made outside a SCIM request: no deadline, nothing recorded. */
const UNBOUNDED: RequestContext = Object.freeze({ deadline: Number.POSITIVE_INFINITY });

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
