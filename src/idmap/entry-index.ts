import type { IdMapEntry, ResourceTypeName } from './types.js';

/**
 * Raised when a put would give a second SCIM resource of the same type the appId or externalId
 * another one already holds. The lookups are one-to-one, so the store refuses rather than let
 * one of the two resources become unreachable by that key.
 */
export class IdMapConflictError extends Error {
  readonly resourceType: ResourceTypeName;
  readonly key: 'appId';
  readonly value: string;
  /** The SCIM id that already holds the key. */
  readonly heldBy: string;

  constructor(resourceType: ResourceTypeName, key: 'appId', value: string, heldBy: string) {
    super(`${resourceType} ${key} "${value}" is already mapped to SCIM id ${heldBy}`);
    this.name = 'IdMapConflictError';
    this.resourceType = resourceType;
    this.key = key;
    this.value = value;
    this.heldBy = heldBy;
  }
}

/**
 * Deep copy through JSON, so every store keeps exactly what a JSON-based store (the file log,
 * Redis) would give back after a restart, and callers can never mutate stored state.
 */
export function cloneEntry(entry: IdMapEntry): IdMapEntry {
  return JSON.parse(JSON.stringify(entry)) as IdMapEntry;
}

interface TypeIndex {
  byScimId: Map<string, IdMapEntry>;
  /** appId → scimId */
  byAppId: Map<string, string>;
  /** externalId → scimId; exact match because externalId is caseExact (RFC 7643 §3.1). */
  byExternalId: Map<string, string>;
}

/**
 * Synchronous in-memory indexes over id map entries, by SCIM id, app id and externalId, per
 * resource type. Entries are held by reference and must not be mutated after `set`.
 */
export class EntryIndex {
  private readonly types = new Map<ResourceTypeName, TypeIndex>();
  private total = 0;

  get(resourceType: ResourceTypeName, scimId: string): IdMapEntry | undefined {
    return this.types.get(resourceType)?.byScimId.get(scimId);
  }

  findByAppId(resourceType: ResourceTypeName, appId: string): IdMapEntry | undefined {
    const index = this.types.get(resourceType);
    const scimId = index?.byAppId.get(appId);
    return scimId === undefined ? undefined : index?.byScimId.get(scimId);
  }

  findByExternalId(resourceType: ResourceTypeName, externalId: string): IdMapEntry | undefined {
    const index = this.types.get(resourceType);
    const scimId = index?.byExternalId.get(externalId);
    return scimId === undefined ? undefined : index?.byScimId.get(scimId);
  }

  /**
   * Throws {@link IdMapConflictError} if another resource holds `entry`'s appId. externalId is not
   * unique in SCIM (RFC 7643 §3.1 gives it no uniqueness), so the latest writer of an externalId
   * is the one `findByExternalId` returns.
   */
  assertNoConflict(entry: IdMapEntry): void {
    const index = this.types.get(entry.resourceType);
    if (!index) return;
    const appHolder = index.byAppId.get(entry.appId);
    if (appHolder !== undefined && appHolder !== entry.scimId) {
      throw new IdMapConflictError(entry.resourceType, 'appId', entry.appId, appHolder);
    }
  }

  /**
   * Inserts or replaces. Does not check conflicts: log replay passes through intermediate states
   * (and, after a compaction, replays writes the snapshot already holds), and the last write for
   * a key must win there.
   */
  set(entry: IdMapEntry): void {
    const index = this.typeIndex(entry.resourceType);
    const previous = index.byScimId.get(entry.scimId);
    if (previous) this.unlinkKeys(index, previous);
    else this.total++;
    // Parsed copies hold equal timestamps as two strings; one will do (40 MB per million entries).
    if (entry.lastModified === entry.created) entry.lastModified = entry.created;
    index.byScimId.set(entry.scimId, entry);
    index.byAppId.set(entry.appId, entry.scimId);
    if (entry.externalId !== undefined) index.byExternalId.set(entry.externalId, entry.scimId);
  }

  /** Returns whether an entry was removed. */
  delete(resourceType: ResourceTypeName, scimId: string): boolean {
    const index = this.types.get(resourceType);
    const previous = index?.byScimId.get(scimId);
    if (!index || !previous) return false;
    this.unlinkKeys(index, previous);
    index.byScimId.delete(scimId);
    this.total--;
    return true;
  }

  size(resourceType: ResourceTypeName): number {
    return this.types.get(resourceType)?.byScimId.size ?? 0;
  }

  /** Entries of all resource types. */
  get totalSize(): number {
    return this.total;
  }

  *values(): IterableIterator<IdMapEntry> {
    for (const index of this.types.values()) yield* index.byScimId.values();
  }

  private typeIndex(resourceType: ResourceTypeName): TypeIndex {
    let index = this.types.get(resourceType);
    if (!index) {
      index = { byScimId: new Map(), byAppId: new Map(), byExternalId: new Map() };
      this.types.set(resourceType, index);
    }
    return index;
  }

  /** Only removes keys still pointing at this entry: during replay another entry may own them now. */
  private unlinkKeys(index: TypeIndex, entry: IdMapEntry): void {
    if (index.byAppId.get(entry.appId) === entry.scimId) index.byAppId.delete(entry.appId);
    if (entry.externalId !== undefined && index.byExternalId.get(entry.externalId) === entry.scimId) {
      index.byExternalId.delete(entry.externalId);
    }
  }
}
