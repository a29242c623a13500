import {
  ByteWriter,
  encodeEntry,
  FIELD_APP_ID,
  FIELD_EXTERNAL_ID,
  FIELD_SCIM_ID,
  FLAG_DEAD,
  KEY_ABSENT,
  type KeyField,
  keyAt,
  RecordReader,
  readVarint,
  skipKey,
  skipVarint,
  varintSize,
} from './entry-codec.js';
import type { AppIdRef, IdMapEntry, ResourceTypeName, ScimIdRef } from './types.js';

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

/**
 * The same copy for an entry already in JSON form (decoded from a store, or cloned on its way
 * in): only the nested values need a deep copy. The id map hands out one per cache hit, and
 * group reads look up every member, so this is on the hot path.
 */
export function copyJsonEntry(entry: IdMapEntry): IdMapEntry {
  const copy = { ...entry };
  if (entry.preserved !== undefined) copy.preserved = JSON.parse(JSON.stringify(entry.preserved));
  if (entry.memberDisplays !== undefined) copy.memberDisplays = { ...entry.memberDisplays };
  return copy;
}

/** Hash slot values: record offsets start at ARENA_START, so 0 and 1 are free to mark slots. */
const EMPTY = 0;
const TOMBSTONE = 1;
const ARENA_START = 8;
/** Offsets are held in Uint32Arrays. */
const MAX_ARENA_BYTES = 0xffff_ffff;
const INITIAL_ARENA_BYTES = 64 * 1024;
/** 1.5, not 2: at a million entries doubling would leave up to 50 MB unused. */
const ARENA_GROWTH = 1.5;
/** Below this much dead space a compaction is not worth its copy. */
const COMPACT_MIN_DEAD_BYTES = 4096;
const MIN_TABLE_SLOTS = 16;
/** Rehash when live plus tombstoned slots pass this share of the table ... */
const MAX_LOAD = 0.7;
/** ... into a table where the live keys fill at most this share. */
const TARGET_LOAD = 0.4;

/** Open-addressing hash table (linear probing) of record offsets, for one of the three keys. */
interface KeyTable {
  slots: Uint32Array;
  /** Slots not EMPTY: live keys and tombstones. Probing stops only at EMPTY, so both count. */
  used: number;
  live: number;
}

export interface EntryIndexStats {
  /** Bytes allocated for records. */
  arenaBytes: number;
  /** Bytes of records, dead ones included. */
  recordBytes: number;
  /** Bytes of replaced and deleted records, freed by the next compaction. */
  deadBytes: number;
  /** Slots in the three hash tables together; 4 bytes each. */
  tableSlots: number;
}

/**
 * Synchronous in-memory indexes over id map entries, by SCIM id, app id and externalId, per
 * resource type, kept compact enough for millions of entries (about 100 bytes an entry).
 *
 * Each entry is encoded (see `entry-codec.ts`) into one record in a single growable byte arena:
 * a varint body length, then the body. Three open-addressing hash tables map (resource type,
 * key) to the offset of the record holding the key; they hash and compare the key's encoded
 * bytes in the record, so a probe decodes nothing. A replaced or deleted record is flagged dead
 * in place and its bytes are reclaimed by compacting the arena once dead bytes outnumber live ones.
 *
 * Entries go in by value: `set` encodes a copy, and every read decodes a fresh object the caller
 * may keep and mutate.
 */
export class EntryIndex {
  private arena: Buffer = Buffer.allocUnsafe(INITIAL_ARENA_BYTES);
  /** End of the last record. */
  private end = ARENA_START;
  private deadBytes = 0;
  private readonly tables: [KeyTable, KeyTable, KeyTable] = [newTable(), newTable(), newTable()];
  /** Resource type names get a one-byte code, in order of first use; names are never dropped. */
  private readonly typeCodes = new Map<string, number>();
  private readonly typeNames: string[] = [];
  private readonly counts: number[] = [];
  private total = 0;
  /** Scratch space for the record being set and for lookup keys. */
  private readonly writer = new ByteWriter();
  private readonly reader = new RecordReader(this.typeNames);

  get(resourceType: ResourceTypeName, scimId: string): IdMapEntry | undefined {
    return this.decodeAt(this.lookup(FIELD_SCIM_ID, resourceType, scimId));
  }

  findByAppId(resourceType: ResourceTypeName, appId: string): IdMapEntry | undefined {
    return this.decodeAt(this.lookup(FIELD_APP_ID, resourceType, appId));
  }

  /** The SCIM ids of many app ids at once, decoding nothing else (a big group's members). */
  resolveAppIds(resourceType: ResourceTypeName, appIds: readonly string[]): Array<AppIdRef | undefined> {
    return appIds.map((appId) => {
      const record = this.lookup(FIELD_APP_ID, resourceType, appId);
      if (record === undefined) return undefined;
      const body = bodyAt(this.arena, record);
      return { scimId: this.reader.scimId(this.arena, body), deleted: this.reader.deleted(this.arena, body) };
    });
  }

  /** The app ids of many SCIM ids at once, decoding nothing else (a big group's new members). */
  resolveScimIds(resourceType: ResourceTypeName, scimIds: readonly string[]): Array<ScimIdRef | undefined> {
    return scimIds.map((scimId) => {
      const record = this.lookup(FIELD_SCIM_ID, resourceType, scimId);
      if (record === undefined) return undefined;
      const body = bodyAt(this.arena, record);
      return { appId: this.reader.appId(this.arena, body), deleted: this.reader.deleted(this.arena, body) };
    });
  }

  /** Exact match: externalId is caseExact (RFC 7643 §3.1). */
  findByExternalId(resourceType: ResourceTypeName, externalId: string): IdMapEntry | undefined {
    return this.decodeAt(this.lookup(FIELD_EXTERNAL_ID, resourceType, externalId));
  }

  /**
   * Throws {@link IdMapConflictError} if another resource holds `entry`'s appId. externalId is not
   * unique in SCIM (RFC 7643 §3.1 gives it no uniqueness), so the latest writer of an externalId
   * is the one `findByExternalId` returns.
   */
  assertNoConflict(entry: IdMapEntry): void {
    const holder = this.lookup(FIELD_APP_ID, entry.resourceType, entry.appId);
    if (holder === undefined) return;
    const heldBy = this.reader.scimId(this.arena, bodyAt(this.arena, holder));
    if (heldBy !== entry.scimId) {
      throw new IdMapConflictError(entry.resourceType, 'appId', entry.appId, heldBy);
    }
  }

  /**
   * Inserts or replaces. Does not check conflicts: log replay passes through intermediate states
   * (and, after a compaction, replays writes the snapshot already holds), and the last write for
   * a key must win there. `entry` is encoded, not kept.
   */
  set(entry: IdMapEntry): void {
    const typeCode = this.typeCode(entry.resourceType);
    this.writer.pos = 0;
    encodeEntry(this.writer, entry, typeCode);
    const record = this.append(this.writer.buf, this.writer.pos);
    const scimTable = this.tables[FIELD_SCIM_ID];
    this.reserveSlot(scimTable, FIELD_SCIM_ID);
    const slot = this.probeRecordKey(scimTable, FIELD_SCIM_ID, record);
    if (slot >= 0) {
      const previous = scimTable.slots[slot]!;
      scimTable.slots[slot] = record;
      this.unlinkKeys(previous);
      this.markDead(previous);
    } else {
      fill(scimTable, -slot - 1, record);
      this.counts[typeCode]!++;
      this.total++;
    }
    this.link(FIELD_APP_ID, record);
    this.link(FIELD_EXTERNAL_ID, record);
    this.compactIfWorthIt();
  }

  /** Returns whether an entry was removed. */
  delete(resourceType: ResourceTypeName, scimId: string): boolean {
    const typeCode = this.typeCodes.get(resourceType);
    if (typeCode === undefined) return false;
    const scimTable = this.tables[FIELD_SCIM_ID];
    const slot = this.probeKey(scimTable, FIELD_SCIM_ID, typeCode, scimId);
    if (slot < 0) return false;
    const record = scimTable.slots[slot]!;
    bury(scimTable, slot);
    this.unlinkKeys(record);
    this.markDead(record);
    this.counts[typeCode]!--;
    this.total--;
    this.compactIfWorthIt();
    return true;
  }

  size(resourceType: ResourceTypeName): number {
    const typeCode = this.typeCodes.get(resourceType);
    return typeCode === undefined ? 0 : this.counts[typeCode]!;
  }

  /** Entries of all resource types. */
  get totalSize(): number {
    return this.total;
  }

  /**
   * Every entry, in the order they were last written. The live records are copied when this is
   * called (one buffer, about 50 bytes an entry) and decoded one by one as the iteration goes, so
   * it is a consistent snapshot however the index changes meanwhile, and never holds all entries
   * as objects at once.
   */
  values(): IterableIterator<IdMapEntry> {
    const snapshot = this.liveRecords();
    return decodeAll(snapshot, new RecordReader(this.typeNames));
  }

  stats(): EntryIndexStats {
    return {
      arenaBytes: this.arena.length,
      recordBytes: this.end - ARENA_START,
      deadBytes: this.deadBytes,
      tableSlots: this.tables.reduce((sum, table) => sum + table.slots.length, 0),
    };
  }

  private typeCode(resourceType: string): number {
    let code = this.typeCodes.get(resourceType);
    if (code === undefined) {
      if (typeof resourceType !== 'string') throw new TypeError('An id map entry needs a resourceType');
      code = this.typeNames.length;
      if (code > 0xff) throw new RangeError('The id map holds at most 256 resource types');
      this.typeCodes.set(resourceType, code);
      this.typeNames.push(resourceType);
      this.counts.push(0);
    }
    return code;
  }

  private decodeAt(record: number | undefined): IdMapEntry | undefined {
    return record === undefined ? undefined : this.reader.decode(this.arena, bodyAt(this.arena, record));
  }

  /** The record holding `key` for `field`, if any. */
  private lookup(field: KeyField, resourceType: string, key: string): number | undefined {
    const typeCode = this.typeCodes.get(resourceType);
    if (typeCode === undefined) return undefined;
    const table = this.tables[field];
    const slot = this.probeKey(table, field, typeCode, key);
    return slot < 0 ? undefined : table.slots[slot]!;
  }

  /** {@link probe} for a key given as a string. */
  private probeKey(table: KeyTable, field: KeyField, typeCode: number, key: string): number {
    this.writer.pos = 0;
    this.writer.key(key);
    return this.probe(table, field, typeCode, this.writer.buf, 0, this.writer.pos);
  }

  /** {@link probe} for the key `field` of the record at `record`, which must have that key. */
  private probeRecordKey(table: KeyTable, field: KeyField, record: number): number {
    const body = bodyAt(this.arena, record);
    const key = keyAt(this.arena, body, field);
    return this.probe(table, field, this.arena[body]!, this.arena, key, skipKey(this.arena, key) - key);
  }

  /**
   * Finds the slot whose record holds the encoded key `source[start, start + length)` for `field`
   * in resource type `typeCode`. Returns the slot, or if there is none, -(slot + 1) for the slot
   * an insert should use: the first tombstone passed, else the empty slot that ended the probe.
   */
  private probe(
    table: KeyTable,
    field: KeyField,
    typeCode: number,
    source: Uint8Array,
    start: number,
    length: number,
  ): number {
    const { slots } = table;
    const mask = slots.length - 1;
    let free = -1;
    for (let slot = hashKey(typeCode, source, start, length) & mask; ; slot = (slot + 1) & mask) {
      const record = slots[slot]!;
      if (record === EMPTY) return -(free === -1 ? slot : free) - 1;
      if (record === TOMBSTONE) {
        if (free === -1) free = slot;
      } else if (this.holdsKey(record, field, typeCode, source, start, length)) {
        return slot;
      }
    }
  }

  private holdsKey(
    record: number,
    field: KeyField,
    typeCode: number,
    source: Uint8Array,
    start: number,
    length: number,
  ): boolean {
    const arena = this.arena;
    const body = bodyAt(arena, record);
    if (arena[body] !== typeCode) return false;
    // Keys are prefix-free, so `length` equal bytes are the whole key: no need to measure it first.
    const key = keyAt(arena, body, field);
    for (let i = 0; i < length; i++) if (arena[key + i] !== source[start + i]) return false;
    return true;
  }

  /** Points the record's key for `field` at it, taking the key over from any other holder. */
  private link(field: KeyField, record: number): void {
    if (!this.hasKey(record, field)) return;
    const table = this.tables[field];
    this.reserveSlot(table, field);
    const slot = this.probeRecordKey(table, field, record);
    if (slot >= 0) table.slots[slot] = record;
    else fill(table, -slot - 1, record);
  }

  private hasKey(record: number, field: KeyField): boolean {
    return this.arena[keyAt(this.arena, bodyAt(this.arena, record), field)] !== KEY_ABSENT;
  }

  /**
   * Drops the record's appId and externalId keys, but only those still pointing at it: during
   * replay another entry may own them now.
   */
  private unlinkKeys(record: number): void {
    for (const field of [FIELD_APP_ID, FIELD_EXTERNAL_ID] as const) {
      if (!this.hasKey(record, field)) continue;
      const table = this.tables[field];
      const slot = this.probeRecordKey(table, field, record);
      if (slot >= 0 && table.slots[slot] === record) bury(table, slot);
    }
  }

  private markDead(record: number): void {
    const body = bodyAt(this.arena, record);
    this.arena[body + 1]! |= FLAG_DEAD;
    this.deadBytes += body - record + readVarint(this.arena, record);
  }

  /** Copies a record body into the arena behind its length; returns the record's offset. */
  private append(body: Buffer, length: number): number {
    const size = varintSize(length) + length;
    if (this.end + size > this.arena.length) this.growArena(size);
    const record = this.end;
    let pos = record;
    for (let rest = length; ; rest = Math.floor(rest / 0x80)) {
      if (rest < 0x80) {
        this.arena[pos++] = rest;
        break;
      }
      this.arena[pos++] = (rest % 0x80) | 0x80;
    }
    body.copy(this.arena, pos, 0, length);
    this.end = pos + length;
    return record;
  }

  private growArena(needed: number): void {
    const minimum = this.end + needed;
    if (minimum > MAX_ARENA_BYTES) throw new RangeError('The id map index is full (4 GiB of records)');
    const size = Math.min(MAX_ARENA_BYTES, Math.max(minimum, Math.ceil(this.arena.length * ARENA_GROWTH)));
    const grown = Buffer.allocUnsafe(size);
    this.arena.copy(grown, 0, 0, this.end);
    this.arena = grown;
  }

  /** Makes sure an insert into `table` will find an empty slot without passing MAX_LOAD. */
  private reserveSlot(table: KeyTable, field: KeyField): void {
    if (table.used + 1 > table.slots.length * MAX_LOAD) this.rehash(table, field, table.live + 1);
  }

  /**
   * Rebuilds `table` sized for `keys` live keys, dropping its tombstones. Moves slot values as
   * they are rather than re-deriving them from the records, so which record owns a key that
   * several records hold (after replay) is kept.
   */
  private rehash(table: KeyTable, field: KeyField, keys: number): void {
    let size = MIN_TABLE_SLOTS;
    while (size * TARGET_LOAD < keys) size *= 2;
    const old = table.slots;
    table.slots = new Uint32Array(size);
    table.used = 0;
    table.live = 0;
    for (const record of old) {
      if (record < ARENA_START) continue;
      fill(table, -this.probeRecordKey(table, field, record) - 1, record);
    }
  }

  private compactIfWorthIt(): void {
    if (this.deadBytes > COMPACT_MIN_DEAD_BYTES && this.deadBytes * 2 > this.end - ARENA_START) {
      this.compact();
    }
  }

  /**
   * Moves the live records to a new arena, keeping their order, and repoints the tables. Each
   * moved record's new offset is written over its first bytes in the old arena (every record is
   * longer than 4 bytes, and the old arena is dropped after), so repointing needs no extra map.
   */
  private compact(): void {
    const old = this.arena;
    const liveBytes = this.end - ARENA_START - this.deadBytes;
    const arena = Buffer.allocUnsafe(
      Math.max(INITIAL_ARENA_BYTES, ARENA_START + Math.ceil(liveBytes * ARENA_GROWTH)),
    );
    let to = ARENA_START;
    for (let from = ARENA_START; from < this.end; ) {
      const body = bodyAt(old, from);
      const next = body + readVarint(old, from);
      if (!(old[body + 1]! & FLAG_DEAD)) {
        old.copy(arena, to, from, next);
        old.writeUInt32LE(to, from);
        to += next - from;
      }
      from = next;
    }
    for (const table of this.tables) {
      const { slots } = table;
      for (let slot = 0; slot < slots.length; slot++) {
        const record = slots[slot]!;
        if (record >= ARENA_START) slots[slot] = old.readUInt32LE(record);
      }
    }
    this.arena = arena;
    this.end = to;
    this.deadBytes = 0;
    // Tables sized for a peak shrink along with the arena.
    this.tables.forEach((table, field) => {
      if (table.slots.length > MIN_TABLE_SLOTS && table.live < table.slots.length * TARGET_LOAD * 0.25) {
        this.rehash(table, field as KeyField, table.live);
      }
    });
  }

  /** A copy of the live records, one after the other, each with its length. */
  private liveRecords(): Buffer {
    const copy = Buffer.allocUnsafe(this.end - ARENA_START - this.deadBytes);
    let to = 0;
    for (let from = ARENA_START; from < this.end; ) {
      const body = bodyAt(this.arena, from);
      const next = body + readVarint(this.arena, from);
      if (!(this.arena[body + 1]! & FLAG_DEAD)) to += this.arena.copy(copy, to, from, next);
      from = next;
    }
    return copy;
  }
}

function* decodeAll(records: Buffer, reader: RecordReader): IterableIterator<IdMapEntry> {
  for (let record = 0; record < records.length; ) {
    const body = bodyAt(records, record);
    yield reader.decode(records, body);
    record = body + readVarint(records, record);
  }
}

function newTable(): KeyTable {
  return { slots: new Uint32Array(MIN_TABLE_SLOTS), used: 0, live: 0 };
}

function fill(table: KeyTable, slot: number, record: number): void {
  if (table.slots[slot] === EMPTY) table.used++;
  table.slots[slot] = record;
  table.live++;
}

function bury(table: KeyTable, slot: number): void {
  table.slots[slot] = TOMBSTONE;
  table.live--;
}

/** Offset of the body of the record at `record` (past its length). */
function bodyAt(buf: Uint8Array, record: number): number {
  return skipVarint(buf, record);
}

/** FNV-1a over the type code and the key bytes, then murmur3's finaliser so linear probing sees well-spread bits. */
function hashKey(typeCode: number, source: Uint8Array, start: number, length: number): number {
  let hash = Math.imul(0x811c9dc5 ^ typeCode, 0x01000193);
  for (let i = start; i < start + length; i++) hash = Math.imul(hash ^ source[i]!, 0x01000193);
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}
