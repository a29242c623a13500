/**
 * The compact binary form of an id map entry that `EntryIndex` keeps in its arena. A million
 * entries as JS objects cost about 500 MB of heap; as records like these they take about 50 MB.
 *
 * A record body is:
 *
 *   u8      resource type code (the index maps names to codes)
 *   u8      flags (FLAG_*)
 *   u8      timestamp kinds: created in bits 0-1, lastModified in bits 2-3 (TIME_*)
 *   key     scimId
 *   key     appId
 *   key     externalId (KEY_ABSENT if there is none)
 *   time    created, then lastModified, each as its kind says
 *   number  version: a varint, or a float64 with FLAG_VERSION_F64, nothing with FLAG_VERSION_ABSENT
 *   text    with FLAG_REST: JSON of every other field (preserved, memberDisplays, anything unknown)
 *
 * A key is a kind byte then its payload. Each string has exactly one encoding, and no encoding is
 * a prefix of another, so two keys are equal exactly when their bytes are: the index hashes and
 * compares keys without decoding them.
 *
 * Decoding gives what a JSON round trip of the entry would (`cloneEntry`), so the stores behave as
 * they did when they kept JSON copies.
 */
import { setOwnProperty } from '../lib/own-property.js';
import type { IdMapEntry } from './types.js';

/** A key that is not there (an entry without an externalId). */
export const KEY_ABSENT = 0;
/** A canonical lowercase UUID, as its 16 bytes. */
const KEY_UUID = 1;
/** A canonical UUID in uppercase (some directories send GUIDs so), as its 16 bytes. */
const KEY_UUID_UPPER = 2;
/** A decimal integer string without sign or leading zeros, up to 2^53 - 1, as a varint. */
const KEY_INT = 3;
/** Anything else, as a varint byte length and UTF-8. */
const KEY_TEXT = 4;

/** Set on records replaced or deleted; their bytes are dead until the arena is compacted. */
export const FLAG_DEAD = 1;
const FLAG_DELETED = 2;
const FLAG_INCOMPLETE = 4;
const FLAG_REST = 8;
const FLAG_VERSION_F64 = 16;
const FLAG_VERSION_ABSENT = 32;

/** Milliseconds as a float64; used when `new Date(ms).toISOString()` gives the string back exactly. */
const TIME_MS = 0;
const TIME_TEXT = 1;
const TIME_ABSENT = 2;
/** lastModified only: the same string as created, which it is for every entry never updated. */
const TIME_SAME = 3;

/** Fields the record holds in its own layout; everything else goes to the JSON rest. */
const LAID_OUT = new Set([
  'resourceType',
  'scimId',
  'appId',
  'externalId',
  'deleted',
  'incomplete',
  'created',
  'lastModified',
  'version',
]);

/** Offset of the first key (scimId) in a record body. */
const KEYS_AT = 3;
export const FIELD_SCIM_ID = 0;
export const FIELD_APP_ID = 1;
export const FIELD_EXTERNAL_ID = 2;
export type KeyField = typeof FIELD_SCIM_ID | typeof FIELD_APP_ID | typeof FIELD_EXTERNAL_ID;

/** At most 16 digits, so the value is below 10^16; the safe-integer check does the rest. */
const CANONICAL_INT = /^(?:0|[1-9][0-9]{0,15})$/;
const HEX_LOWER = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));
const HEX_UPPER = HEX_LOWER.map((hex) => hex.toUpperCase());

/** A growable scratch buffer that entries and lookup keys are encoded into. */
export class ByteWriter {
  buf: Buffer = Buffer.allocUnsafe(256);
  pos = 0;

  ensure(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.pos + bytes, this.buf.length * 2));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  u8(value: number): void {
    this.ensure(1);
    this.buf[this.pos++] = value;
  }

  /** Non-negative safe integers; 7 bits a byte, low bits first. Arithmetic, not bitwise: values pass 2^32. */
  varint(value: number): void {
    this.ensure(8);
    while (value >= 0x80) {
      this.buf[this.pos++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.buf[this.pos++] = value;
  }

  f64(value: number): void {
    this.ensure(8);
    this.pos = this.buf.writeDoubleLE(value, this.pos);
  }

  text(value: string): void {
    const length = Buffer.byteLength(value, 'utf8');
    this.varint(length);
    this.ensure(length);
    this.pos += this.buf.write(value, this.pos, length, 'utf8');
  }

  key(value: string): void {
    if (value.length === 36 && this.uuid(value)) return;
    if (CANONICAL_INT.test(value) && Number.isSafeInteger(Number(value))) {
      this.u8(KEY_INT);
      this.varint(Number(value));
    } else {
      this.u8(KEY_TEXT);
      this.text(value);
    }
  }

  /**
   * Writes a canonical UUID, all lowercase or all uppercase hex, as a kind byte and 16 bytes, and
   * returns true; anything else (mixed case, braces, misplaced dashes) writes nothing and returns
   * false, since it could not be given back exactly. Checks and converts in one pass.
   */
  private uuid(value: string): boolean {
    this.ensure(17);
    const start = this.pos;
    let letters = 0; // bit 1: a-f seen, bit 2: A-F seen
    let pos = start + 1;
    for (let i = 0; i < 36; i += 2) {
      if (i === 8 || i === 13 || i === 18 || i === 23) {
        if (value.charCodeAt(i) !== 0x2d) return false; // '-'
        i++;
      }
      const high = hexValue(value.charCodeAt(i));
      const low = hexValue(value.charCodeAt(i + 1));
      if (high < 0 || low < 0) return false;
      letters |= (high >> 4) | (low >> 4);
      this.buf[pos++] = ((high & 0xf) << 4) | (low & 0xf);
    }
    if (letters === 3) return false;
    this.buf[start] = letters === 2 ? KEY_UUID_UPPER : KEY_UUID;
    this.pos = pos;
    return true;
  }
}

/** The nibble of a hex digit, plus 16 for a-f or 32 for A-F; -1 for anything else. */
function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x61 && code <= 0x66) return code - 0x61 + 10 + 16;
  if (code >= 0x41 && code <= 0x46) return code - 0x41 + 10 + 32;
  return -1;
}

/**
 * Encodes `entry` as a record body at `out.pos`. `typeCode` stands for `entry.resourceType`.
 * Throws a TypeError if the resource type, scimId or appId is not a string: they are keys.
 */
export function encodeEntry(out: ByteWriter, entry: IdMapEntry, typeCode: number): void {
  if (typeof entry.scimId !== 'string' || typeof entry.appId !== 'string') {
    throw new TypeError('An id map entry needs a string scimId and appId');
  }
  let flags = 0;
  let rest: Record<string, unknown> | undefined;
  const keep = (field: string, value: unknown) => {
    if (value === undefined) return;
    rest ??= Object.create(null) as Record<string, unknown>;
    rest[field] = value;
  };
  for (const field of Object.keys(entry)) {
    if (!LAID_OUT.has(field)) keep(field, (entry as unknown as Record<string, unknown>)[field]);
  }
  // Fields of an unexpected type keep their JSON form in the rest, not indexed.
  const externalId = typeof entry.externalId === 'string' ? entry.externalId : undefined;
  if (externalId === undefined) keep('externalId', entry.externalId);
  if (entry.deleted === true) flags |= FLAG_DELETED;
  else keep('deleted', entry.deleted);
  if (entry.incomplete === true) flags |= FLAG_INCOMPLETE;
  else keep('incomplete', entry.incomplete);
  const createdMs = timeMs(entry.created);
  const created = timeKind(entry.created, createdMs);
  if (created === TIME_ABSENT) keep('created', entry.created);
  // Checked first: the round trip through Date is the costliest part of encoding.
  const same = typeof entry.lastModified === 'string' && entry.lastModified === entry.created;
  const lastModifiedMs = same ? createdMs : timeMs(entry.lastModified);
  const lastModified = same ? TIME_SAME : timeKind(entry.lastModified, lastModifiedMs);
  if (lastModified === TIME_ABSENT) keep('lastModified', entry.lastModified);
  const version: unknown = entry.version;
  if (typeof version !== 'number' || !Number.isFinite(version)) {
    flags |= FLAG_VERSION_ABSENT;
    keep('version', version);
  } else if (!(Number.isSafeInteger(version) && version >= 0)) {
    flags |= FLAG_VERSION_F64;
  }
  const restJson = rest && JSON.stringify(rest);
  if (restJson !== undefined) flags |= FLAG_REST;

  out.u8(typeCode);
  out.u8(flags);
  out.u8(created | (lastModified << 2));
  out.key(entry.scimId);
  out.key(entry.appId);
  if (externalId === undefined) out.u8(KEY_ABSENT);
  else out.key(externalId);
  writeTime(out, created, entry.created, createdMs);
  if (lastModified !== TIME_SAME) writeTime(out, lastModified, entry.lastModified, lastModifiedMs);
  if (flags & FLAG_VERSION_F64) out.f64(version as number);
  else if (!(flags & FLAG_VERSION_ABSENT)) out.varint(version as number);
  if (restJson !== undefined) out.text(restJson);
}

/** The milliseconds `value` stands for, if `new Date(ms).toISOString()` gives it back exactly; else NaN. */
function timeMs(value: unknown): number {
  if (typeof value !== 'string') return Number.NaN;
  const ms = Date.parse(value);
  return !Number.isNaN(ms) && new Date(ms).toISOString() === value ? ms : Number.NaN;
}

function timeKind(value: unknown, ms: number): number {
  if (typeof value !== 'string') return TIME_ABSENT;
  return Number.isNaN(ms) ? TIME_TEXT : TIME_MS;
}

function writeTime(out: ByteWriter, kind: number, value: unknown, ms: number): void {
  if (kind === TIME_MS) out.f64(ms);
  else if (kind === TIME_TEXT) out.text(value as string);
}

/** Offset just past the varint at `pos`. */
export function skipVarint(buf: Uint8Array, pos: number): number {
  while (buf[pos]! & 0x80) pos++;
  return pos + 1;
}

export function readVarint(buf: Uint8Array, pos: number): number {
  let value = 0;
  let scale = 1;
  for (;;) {
    const byte = buf[pos++]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return value;
    scale *= 0x80;
  }
}

export function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    size++;
  }
  return size;
}

/** Offset just past the key at `pos`. */
export function skipKey(buf: Uint8Array, pos: number): number {
  const kind = buf[pos]!;
  if (kind === KEY_ABSENT) return pos + 1;
  if (kind === KEY_UUID || kind === KEY_UUID_UPPER) return pos + 17;
  if (kind === KEY_INT) return skipVarint(buf, pos + 1);
  const length = readVarint(buf, pos + 1);
  return skipVarint(buf, pos + 1) + length;
}

/** Offset of a key in the record body at `body`. */
export function keyAt(buf: Uint8Array, body: number, field: KeyField): number {
  let pos = body + KEYS_AT;
  for (let i = 0; i < field; i++) pos = skipKey(buf, pos);
  return pos;
}

/**
 * Reads a record body. Holds its position in the instance, so a reader must not be shared by
 * two decodes that interleave (a lazy iteration and lookups between its steps).
 */
export class RecordReader {
  private pos = 0;

  constructor(private readonly typeNames: readonly string[]) {}

  decode(buf: Buffer, body: number): IdMapEntry {
    const typeCode = buf[body]!;
    const flags = buf[body + 1]!;
    const times = buf[body + 2]!;
    this.pos = body + KEYS_AT;
    const entry = {
      resourceType: this.typeNames[typeCode],
      scimId: this.key(buf),
      appId: this.key(buf),
    } as Record<string, unknown>;
    const externalId = this.key(buf);
    if (externalId !== undefined) entry.externalId = externalId;
    const created = this.time(buf, times & 3);
    const lastModifiedKind = (times >> 2) & 3;
    const lastModified = lastModifiedKind === TIME_SAME ? created : this.time(buf, lastModifiedKind);
    let version: number | undefined;
    if (flags & FLAG_VERSION_F64) {
      version = buf.readDoubleLE(this.pos);
      this.pos += 8;
    } else if (!(flags & FLAG_VERSION_ABSENT)) {
      version = readVarint(buf, this.pos);
      this.pos = skipVarint(buf, this.pos);
    }
    if (flags & FLAG_REST) {
      const rest = JSON.parse(this.text(buf)) as Record<string, unknown>;
      for (const [field, value] of Object.entries(rest)) setOwnProperty(entry, field, value);
    }
    if (flags & FLAG_DELETED) entry.deleted = true;
    if (flags & FLAG_INCOMPLETE) entry.incomplete = true;
    if (created !== undefined) entry.created = created;
    if (lastModified !== undefined) entry.lastModified = lastModified;
    if (version !== undefined) entry.version = version;
    return entry as unknown as IdMapEntry;
  }

  /** Whether the record body at `body` is of a deleted resource (a tombstone the app keeps). */
  deleted(buf: Buffer, body: number): boolean {
    return (buf[body + 1]! & FLAG_DELETED) !== 0;
  }

  /** The scimId of the record body at `body`. */
  scimId(buf: Buffer, body: number): string {
    this.pos = body + KEYS_AT;
    return this.key(buf)!;
  }

  /** The appId of the record body at `body` (the key after the scimId). */
  appId(buf: Buffer, body: number): string {
    this.scimId(buf, body);
    return this.key(buf)!;
  }

  private key(buf: Buffer): string | undefined {
    const kind = buf[this.pos++]!;
    if (kind === KEY_ABSENT) return undefined;
    if (kind === KEY_UUID || kind === KEY_UUID_UPPER) {
      const hex = kind === KEY_UUID ? HEX_LOWER : HEX_UPPER;
      let text = '';
      for (let i = 0; i < 16; i++) {
        if (i === 4 || i === 6 || i === 8 || i === 10) text += '-';
        text += hex[buf[this.pos + i]!];
      }
      this.pos += 16;
      return text;
    }
    if (kind === KEY_INT) {
      const value = readVarint(buf, this.pos);
      this.pos = skipVarint(buf, this.pos);
      return String(value);
    }
    return this.text(buf);
  }

  private time(buf: Buffer, kind: number): string | undefined {
    if (kind === TIME_MS) {
      const ms = buf.readDoubleLE(this.pos);
      this.pos += 8;
      return new Date(ms).toISOString();
    }
    return kind === TIME_TEXT ? this.text(buf) : undefined;
  }

  private text(buf: Buffer): string {
    const length = readVarint(buf, this.pos);
    const start = skipVarint(buf, this.pos);
    this.pos = start + length;
    return buf.toString('utf8', start, start + length);
  }
}
