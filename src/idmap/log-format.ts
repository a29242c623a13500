/**
 * The id map log: one JSON object per line, `{"op":"put",...entry}` or
 * `{"op":"del","resourceType","scimId"}`. Replaying the lines in order rebuilds the map.
 */
import { type FileHandle, open } from 'node:fs/promises';
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
  /** Length of the file as read. */
  bytes: number;
}

const NEWLINE = 0x0a;
/**
 * The log is read in chunks this large: a log of a million entries is over 200 MB, and holding
 * it whole (plus its lines as strings) while replaying would leave that much more RSS behind.
 */
const READ_CHUNK_BYTES = 1024 * 1024;

/**
 * Feeds every record of the log at `path` (missing: no records) to `apply`, in order. A crash
 * mid-append leaves at most a torn tail (a partial last line, or garbage a power loss left past
 * the last fsync): that is reported via `validBytes`, not thrown, because no write in it was
 * acknowledged. Unreadable data followed by intact records, or a well-formed line that is not a
 * record, throws {@link IdMapCorruptLogError}.
 */
export async function replayLog(path: string, apply: (record: LogRecord) => void): Promise<ReplayResult> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') {
      return { records: 0, validBytes: 0, bytes: 0 };
    }
    throw error;
  }
  const lines = new LineReplay(path, apply);
  try {
    const chunk = Buffer.allocUnsafe(READ_CHUNK_BYTES);
    /** Bytes of a line the previous chunk ended inside. */
    let carried = Buffer.alloc(0);
    /** File offset of `data[0]`. */
    let base = 0;
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      const read = chunk.subarray(0, bytesRead);
      const data = carried.length > 0 ? Buffer.concat([carried, read]) : read;
      let offset = 0;
      for (let newline = data.indexOf(NEWLINE); newline !== -1; newline = data.indexOf(NEWLINE, offset)) {
        lines.line(data.toString('utf8', offset, newline), true, base + newline + 1);
        offset = newline + 1;
      }
      // Copied: `chunk` is overwritten by the next read.
      carried = Buffer.from(data.subarray(offset));
      base += offset;
    }
    if (carried.length > 0) lines.line(carried.toString('utf8'), false, base + carried.length);
    return { records: lines.records, validBytes: lines.validBytes, bytes: base + carried.length };
  } finally {
    await handle.close();
  }
}

/** The replay of a log, one line at a time. */
class LineReplay {
  records = 0;
  validBytes = 0;
  private lineNumber = 0;
  private firstTornLine: number | undefined;

  constructor(
    private readonly path: string,
    private readonly apply: (record: LogRecord) => void,
  ) {}

  /** `text` is a line without its newline; `terminated` whether it had one; `next` the file offset after it. */
  line(text: string, terminated: boolean, next: number): void {
    this.lineNumber++;
    if (text.trim() === '') {
      if (this.firstTornLine === undefined) this.validBytes = next;
      return;
    }
    const parsed = terminated ? parseJson(text) : undefined;
    if (parsed === undefined) {
      this.firstTornLine ??= this.lineNumber;
      return;
    }
    if (this.firstTornLine !== undefined) {
      throw new IdMapCorruptLogError(
        this.path,
        this.firstTornLine,
        `unreadable line followed by records (line ${this.lineNumber})`,
      );
    }
    const record = toRecord(parsed);
    if (!record) {
      throw new IdMapCorruptLogError(
        this.path,
        this.lineNumber,
        'not an id map record (written by a newer version?)',
      );
    }
    this.apply(record);
    this.records++;
    this.validBytes = next;
  }
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
