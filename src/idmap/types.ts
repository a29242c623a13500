/**
 * The id map remembers, per SCIM resource, what the app cannot hold: the stable SCIM id, the
 * app's own id, the externalId, and SCIM attribute values the mapping cannot round-trip.
 */

export type ResourceTypeName = 'User' | 'Group';

/**
 * A SCIM attribute value kept because the app stores it lossily (`userName` "jdoe@contoso.com"
 * stored as login "jdoe"). `derived` is what the mapping produced from the app record when the
 * value was written: while the app still yields `derived`, the client sees `original`; once the
 * app's value changes on its own, the app wins.
 */
export interface PreservedValue {
  original: unknown;
  derived?: unknown;
  /**
   * The write was answered without the record (204), so what the app derives is not known yet:
   * the first read after it records `derived`, and shows `original` meanwhile.
   */
  pending?: true;
}

export interface IdMapEntry {
  resourceType: ResourceTypeName;
  scimId: string;
  appId: string;
  externalId?: string;
  /** Keyed by SCIM attribute path, e.g. `userName`. */
  preserved?: Record<string, PreservedValue>;
  /**
   * Groups: the `display` text the client sent per member SCIM id, echoed back when the app
   * cannot supply one (Microsoft's test collection checks this).
   */
  memberDisplays?: Record<string, string>;
  /**
   * Users, when the app knows group members by another key than the app id (`members.key`): that
   * key as the app's member lists carry it (a login), so that member writes need no read.
   */
  memberKey?: string;
  /**
   * Set when a SCIM DELETE only disabled the record in the app (`keepsRecord`): the resource is
   * gone for SCIM clients, but the record is still known so it does not come back under a new id.
   */
  deleted?: true;
  /**
   * Set while a create's follow-up calls (members, deactivation) are still to succeed; a resent
   * create may take such a record over.
   */
  incomplete?: true;
  /**
   * ISO 8601: when the app, asked twice, answered that it no longer has the record. The entry is
   * kept (SCIM id, externalId, preserved values) and every later read asks the app again, so a
   * record that comes back after an outage keeps its identity.
   */
  missingSince?: string;
  /**
   * A dedicated activate (true) or deactivate (false) that did not finish: the call or one of
   * its follow-ups failed. The next write asking for that state makes it again, follow-ups and
   * all, although the app may already show the state (its main call succeeded).
   */
  pendingActive?: boolean;
  /** ISO 8601; the app may have no timestamps of its own. */
  created: string;
  lastModified: string;
  /** Increments on every write through the adapter; feeds meta.version (ETag). */
  version: number;
}

/** What a group's member list needs of a user's entry. */
export interface AppIdRef {
  scimId: string;
  deleted: boolean;
}

/** What a member change needs of a user's entry, by its SCIM id. */
export interface ScimIdRef {
  appId: string;
  deleted: boolean;
}

/** A write the store has taken: when readers see it, and when it is durable. */
export interface StagedWrite {
  readonly applied: Promise<void>;
  readonly durable: Promise<void>;
}

/**
 * Persistence behind the id map. Implementations must make a write durable before the returned
 * promise resolves: the caller has already seen the app confirm the write.
 */
export interface IdMapStore {
  get(resourceType: ResourceTypeName, scimId: string): Promise<IdMapEntry | undefined>;
  findByAppId(resourceType: ResourceTypeName, appId: string): Promise<IdMapEntry | undefined>;
  findByExternalId(resourceType: ResourceTypeName, externalId: string): Promise<IdMapEntry | undefined>;
  /** Optional: {@link findByAppId} for many app ids in one call, the SCIM id only. */
  resolveAppIds?(
    resourceType: ResourceTypeName,
    appIds: readonly string[],
  ): Promise<Array<AppIdRef | undefined>>;
  /** Optional: {@link get} for many SCIM ids in one call, the app id only. */
  resolveScimIds?(
    resourceType: ResourceTypeName,
    scimIds: readonly string[],
  ): Promise<Array<ScimIdRef | undefined>>;
  put(entry: IdMapEntry): Promise<void>;
  /**
   * Optional: `put` in two steps, for stores that apply a write before it is durable (the file
   * store's group commit). `applied` resolves once every reader of the store sees the entry,
   * `durable` once it would survive a crash. Without it, a put is both at once.
   */
  write?(entry: IdMapEntry): StagedWrite;
  delete(resourceType: ResourceTypeName, scimId: string): Promise<void>;
  /** Number of entries per resource type (for /metrics and tests). */
  size(resourceType: ResourceTypeName): Promise<number>;
  close(): Promise<void>;
}
