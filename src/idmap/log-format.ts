/**
 * The id map log: one JSON object per line, `{"op":"put",...entry}` or
 * `{"op":"del","resourceType","scimId"}`. Replaying the lines in order rebuilds the map.
 */
import type { IdMapEntry, ResourceTypeName } from './types.js';

export type LogRecord =
  | { op: 'put'; entry: IdMapEntry }
  | { op: 'del'; resourceType: ResourceTypeName; scimId: string };

/** The log has damage that is not a torn tail, so dropping it would lose acknowledged writes. */
export class IdMapCorruptLogError extends Error {
  readonly path: string;
  readonly line: number;

  constructor(path: string, line: number, reason: string) {
    super(
      `Id map log ${path} is corrupt at line ${line}: ${reason}. It is not repaired automatically because ` +
        'that would drop acknowledged writes; restore the file from a backup or remove the damaged lines.',
    );
    this.name = 'IdMapCorruptLogError';
    this.path = path;
    this.line = line;
  }
}

/** One log line, newline included. */
export function encodePut(entry: IdMapEntry): string {
  return `${JSON.stringify({ op: 'put', ...entry })}\n`;
}

/** One log line, newline included. */
export function encodeDelete(resourceType: ResourceTypeName, scimId: string): string {
  return `${JSON.stringify({ op: 'del', resourceType, scimId })}\n`;
}

export interface ReplayResult {
  /** Records applied. */
  records: number;
  /** Length of the intact prefix; anything after it is a torn tail to truncate. */
  validBytes: number;
}

const NEWLINE = 0x0a;

/**
 * Feeds every record of `log` to `apply`, in order. A crash mid-append leaves at most a torn tail
 * (a partial last line, or garbage a power loss left past the last fsync): that is reported via
 * `validBytes`, not thrown, because no write in it was acknowledged. Unreadable data followed by
 * intact records, or a well-formed line that is not a record, throws {@link IdMapCorruptLogError}.
 */
export function replayLog(log: Buffer, path: string, apply: (record: LogRecord) => void): ReplayResult {
  let offset = 0;
  let lineNumber = 0;
  let records = 0;
  let validBytes = 0;
  let firstTornLine: number | undefined;
  while (offset < log.length) {
    const newline = log.indexOf(NEWLINE, offset);
    const end = newline === -1 ? log.length : newline;
    const next = newline === -1 ? log.length : newline + 1;
    const text = log.toString('utf8', offset, end);
    lineNumber++;
    offset = next;
    if (text.trim() === '') {
      if (firstTornLine === undefined) validBytes = next;
      continue;
    }
    const parsed = newline === -1 ? undefined : parseJson(text);
    if (parsed === undefined) {
      firstTornLine ??= lineNumber;
      continue;
    }
    if (firstTornLine !== undefined) {
      throw new IdMapCorruptLogError(
        path,
        firstTornLine,
        `unreadable line followed by records (line ${lineNumber})`,
      );
    }
    const record = toRecord(parsed);
    if (!record) {
      throw new IdMapCorruptLogError(path, lineNumber, 'not an id map record (written by a newer version?)');
    }
    apply(record);
    records++;
    validBytes = next;
  }
  return { records, validBytes };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function toRecord(value: unknown): LogRecord | undefined {
  if (!isObject(value)) return undefined;
  if (value.op === 'del') {
    const { resourceType, scimId } = value;
    return isResourceType(resourceType) && typeof scimId === 'string'
      ? { op: 'del', resourceType, scimId }
      : undefined;
  }
  if (value.op !== 'put') return undefined;
  const { op: _op, ...entry } = value;
  return isEntry(entry) ? { op: 'put', entry } : undefined;
}

function isEntry(value: Record<string, unknown>): value is Record<string, unknown> & IdMapEntry {
  return (
    isResourceType(value.resourceType) &&
    typeof value.scimId === 'string' &&
    typeof value.appId === 'string' &&
    (value.externalId === undefined || typeof value.externalId === 'string') &&
    (value.preserved === undefined || isObject(value.preserved)) &&
    typeof value.created === 'string' &&
    typeof value.lastModified === 'string' &&
    typeof value.version === 'number'
  );
}

function isResourceType(value: unknown): value is ResourceTypeName {
  return value === 'User' || value === 'Group';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
