import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { cloneEntry, copyJsonEntry } from './entry-index.js';
import type { AppIdRef, IdMapEntry, IdMapStore, ResourceTypeName, ScimIdRef, StagedWrite } from './types.js';

export interface IdMapOptions {
  /** Entries kept in the in-process cache; 0 disables it. Default 10 000. */
  cacheSize?: number;
}

export interface IdMapStats {
  hits: number;
  misses: number;
  /** Entries currently cached. */
  size: number;
}

/**
 * Writes done while reads were in flight are tracked per entry to keep those reads from caching
 * what they saw; past this many, all such reads are simply not cached.
 */
const MAX_TRACKED_WRITES = 10_000;

/**
 * The id map as the service sees it: a store behind an LRU cache of entries. Only hits are
 * cached (a miss may turn into an entry at any time); writes go to the store first, then to the
 * cache. Entries handed out are copies, so callers may modify them freely.
 */
export class IdMap {
  private readonly entries: LRUCache<string, IdMapEntry> | undefined;
  /** `type\0appId` → scimId, for cached entries only. */
  private readonly byAppId = new Map<string, string>();
  /** `type\0externalId` → scimId, for cached entries only. */
  private readonly byExternalId = new Map<string, string>();
  /** `type\0memberKey` → scimId, for cached entries only (never asked of the store). */
  private readonly byMemberKey = new Map<string, string>();
  private hits = 0;
  private misses = 0;
  private writeSeq = 0;
  private readsInFlight = 0;
  /** cache key → writeSeq of its last write, for writes that completed while reads were in flight. */
  private readonly writtenDuringReads = new Map<string, number>();
  /** Reads that started before this writeSeq may not be cached (the tracking above was dropped). */
  private fillFloor = 0;

  constructor(
    private readonly store: IdMapStore,
    options: IdMapOptions = {},
  ) {
    const cacheSize = options.cacheSize ?? 10_000;
    this.entries =
      cacheSize > 0
        ? new LRUCache<string, IdMapEntry>({ max: cacheSize, dispose: (entry) => this.unlinkKeys(entry) })
        : undefined;
  }

  /** A fresh SCIM id for a resource the adapter has not seen before. */
  newScimId(): string {
    return randomUUID();
  }

  async get(resourceType: ResourceTypeName, scimId: string): Promise<IdMapEntry | undefined> {
    const cached = this.entries?.get(cacheKey(resourceType, scimId));
    if (cached) return this.hit(cached);
    return this.load(() => this.store.get(resourceType, scimId));
  }

  async findByAppId(resourceType: ResourceTypeName, appId: string): Promise<IdMapEntry | undefined> {
    const cached = this.lookup(this.byAppId, resourceType, appId);
    if (cached?.appId === appId) return this.hit(cached);
    return this.load(() => this.store.findByAppId(resourceType, appId));
  }

  /** Exact, case-sensitive match (externalId is caseExact). */
  async findByExternalId(
    resourceType: ResourceTypeName,
    externalId: string,
  ): Promise<IdMapEntry | undefined> {
    const cached = this.lookup(this.byExternalId, resourceType, externalId);
    if (cached?.externalId === externalId) return this.hit(cached);
    return this.load(() => this.store.findByExternalId(resourceType, externalId));
  }

  /**
   * The SCIM ids of many app ids, in order (undefined: no entry). Asked of the store in one call
   * where it can answer so, past the cache: a big group's members would only churn it.
   */
  async resolveAppIds(
    resourceType: ResourceTypeName,
    appIds: readonly string[],
  ): Promise<Array<AppIdRef | undefined>> {
    if (this.store.resolveAppIds) return this.store.resolveAppIds(resourceType, appIds);
    const refs: Array<AppIdRef | undefined> = [];
    for (const appId of appIds) {
      const entry = await this.findByAppId(resourceType, appId);
      refs.push(entry && appIdRefOf(entry));
    }
    return refs;
  }

  /**
   * The app ids of many SCIM ids, in order (undefined: no entry), past the cache like
   * {@link resolveAppIds}: a PATCH adding 15 000 members would otherwise evict every hot entry.
   */
  async resolveScimIds(
    resourceType: ResourceTypeName,
    scimIds: readonly string[],
  ): Promise<Array<ScimIdRef | undefined>> {
    if (this.store.resolveScimIds) return this.store.resolveScimIds(resourceType, scimIds);
    const refs: Array<ScimIdRef | undefined> = [];
    for (const scimId of scimIds) {
      const entry = await this.get(resourceType, scimId);
      refs.push(entry && { appId: entry.appId, deleted: entry.deleted === true });
    }
    return refs;
  }

  /**
   * The entry whose `memberKey` is `key`, among the entries this process has cached; undefined
   * when none is (the store keeps no index of member keys: the caller asks the app instead).
   */
  findCachedByMemberKey(resourceType: ResourceTypeName, key: string): IdMapEntry | undefined {
    const cached = this.lookup(this.byMemberKey, resourceType, key);
    return cached?.memberKey === key ? this.hit(cached) : undefined;
  }

  /** Resolves once the store has made the write durable. */
  async put(entry: IdMapEntry): Promise<void> {
    await (await this.stage(entry)).durable;
  }

  /**
   * Resolves once every reader sees the entry; `durable` once it is on stable storage. A caller
   * holding a lock for the write can release it in between, so writes to one resource do not
   * queue behind each other's fsync; it must still wait for `durable` before answering.
   */
  async stage(entry: IdMapEntry): Promise<{ durable: Promise<void> }> {
    const copy = cloneEntry(entry);
    const key = cacheKey(entry.resourceType, entry.scimId);
    let staged: StagedWrite;
    if (this.store.write) {
      staged = this.store.write(entry);
    } else {
      const put = this.store.put(entry);
      staged = { applied: put, durable: put };
    }
    // A refused write rejects both; whoever awaits `applied` sees it.
    staged.durable.catch(() => {});
    try {
      await staged.applied;
    } catch (error) {
      // The store may or may not have applied it; drop what we hold rather than guess.
      this.invalidate(key);
      throw error;
    }
    this.noteWrite(key);
    // Replacing the cached entry disposes of it, which drops its old appId/externalId keys.
    this.remember(copy);
    return {
      durable: staged.durable.catch((error: unknown) => {
        this.invalidate(key);
        throw error;
      }),
    };
  }

  async delete(resourceType: ResourceTypeName, scimId: string): Promise<void> {
    try {
      await this.store.delete(resourceType, scimId);
    } finally {
      this.invalidate(cacheKey(resourceType, scimId));
    }
  }

  size(resourceType: ResourceTypeName): Promise<number> {
    return this.store.size(resourceType);
  }

  stats(): IdMapStats {
    return { hits: this.hits, misses: this.misses, size: this.entries?.size ?? 0 };
  }

  async close(): Promise<void> {
    this.entries?.clear();
    await this.store.close();
  }

  private hit(entry: IdMapEntry): IdMapEntry {
    this.hits++;
    return copyJsonEntry(entry);
  }

  private lookup(
    keys: Map<string, string>,
    resourceType: ResourceTypeName,
    value: string,
  ): IdMapEntry | undefined {
    const scimId = keys.get(cacheKey(resourceType, value));
    return scimId === undefined ? undefined : this.entries?.get(cacheKey(resourceType, scimId));
  }

  /**
   * Reads from the store and caches the result, unless the entry was written while the read was
   * in flight: the read may have seen the state before that write, and caching it after the
   * write updated the cache would serve stale data until eviction.
   */
  private async load(read: () => Promise<IdMapEntry | undefined>): Promise<IdMapEntry | undefined> {
    this.misses++;
    const startedAt = this.writeSeq;
    this.readsInFlight++;
    try {
      const entry = await read();
      if (!entry || !this.entries || !this.unchangedSince(entry, startedAt)) return entry;
      this.remember(entry);
      return copyJsonEntry(entry);
    } finally {
      if (--this.readsInFlight === 0) this.writtenDuringReads.clear();
    }
  }

  private unchangedSince(entry: IdMapEntry, startedAt: number): boolean {
    if (startedAt < this.fillFloor) return false;
    const writtenAt = this.writtenDuringReads.get(cacheKey(entry.resourceType, entry.scimId));
    return writtenAt === undefined || writtenAt <= startedAt;
  }

  private noteWrite(key: string): void {
    this.writeSeq++;
    if (this.readsInFlight === 0) return;
    this.writtenDuringReads.set(key, this.writeSeq);
    if (this.writtenDuringReads.size > MAX_TRACKED_WRITES) {
      this.writtenDuringReads.clear();
      this.fillFloor = this.writeSeq;
    }
  }

  private invalidate(key: string): void {
    this.noteWrite(key);
    this.entries?.delete(key);
  }

  /** Takes ownership of `entry`: it must not be handed out or modified afterwards. */
  private remember(entry: IdMapEntry): void {
    if (!this.entries) return;
    const { resourceType, scimId } = entry;
    this.entries.set(cacheKey(resourceType, scimId), entry);
    this.byAppId.set(cacheKey(resourceType, entry.appId), scimId);
    if (entry.externalId !== undefined)
      this.byExternalId.set(cacheKey(resourceType, entry.externalId), scimId);
    if (entry.memberKey !== undefined) this.byMemberKey.set(cacheKey(resourceType, entry.memberKey), scimId);
  }

  /** Only removes keys still pointing at this entry: another entry may have taken them over. */
  private unlinkKeys(entry: IdMapEntry): void {
    const { resourceType, scimId } = entry;
    const appKey = cacheKey(resourceType, entry.appId);
    if (this.byAppId.get(appKey) === scimId) this.byAppId.delete(appKey);
    if (entry.memberKey !== undefined) {
      const memberKey = cacheKey(resourceType, entry.memberKey);
      if (this.byMemberKey.get(memberKey) === scimId) this.byMemberKey.delete(memberKey);
    }
    if (entry.externalId === undefined) return;
    const externalKey = cacheKey(resourceType, entry.externalId);
    if (this.byExternalId.get(externalKey) === scimId) this.byExternalId.delete(externalKey);
  }
}

/** What a group's member list needs of a user's entry. */
export function appIdRefOf(entry: IdMapEntry): AppIdRef {
  return { scimId: entry.scimId, deleted: entry.deleted === true };
}

function cacheKey(resourceType: ResourceTypeName, id: string): string {
  return `${resourceType}\u0000${id}`;
}
