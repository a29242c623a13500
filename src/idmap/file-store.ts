import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DurableLog } from './durable-log.js';
import { EntryIndex } from './entry-index.js';
import { acquireFileLock, type FileLock } from './file-lock.js';
import { encodeDelete, encodePut, type LogRecord, replayLog } from './log-format.js';
import type { AppIdRef, IdMapEntry, IdMapStore, ResourceTypeName, ScimIdRef, StagedWrite } from './types.js';

export interface FileIdMapStoreOptions {
  /**
   * Compact when the log holds more than `compactionRatio` × live entries + `compactionSlack`
   * lines. Defaults: 2 and 1000.
   */
  compactionRatio?: number;
  compactionSlack?: number;
  /**
   * Told about problems the store survives: a torn tail dropped at open, an empty log at open, a
   * failed compaction.
   * Default: `process.emitWarning`.
   */
  onWarning?: (warning: Error) => void;
}

/**
 * The embedded id map store: an append-only JSON-lines log (see `log-format.ts`) replayed into
 * in-memory indexes at open. Reads never touch the disk; a write resolves once its line is
 * fsync'ed, and concurrent writes share one fsync. The log is compacted (rewritten to the live
 * entries) when it grows well past them. A lock file (`<path>.lock`) keeps a second process out.
 *
 * A write is visible to readers as soon as it is issued, before it is durable; if the disk then
 * fails, the write rejects and so does every later one (restart to recover from the file).
 */
export class FileIdMapStore implements IdMapStore {
  private readonly index = new EntryIndex();
  private readonly compactionRatio: number;
  private readonly compactionSlack: number;
  private readonly warn: (warning: Error) => void;
  /** Lines in the log, counting appends not yet written. */
  private logLines = 0;
  /** After a failed compaction, the next try waits until the log has grown by another slack. */
  private retryCompactionAbove = 0;
  private compacting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly log: DurableLog,
    private readonly lock: FileLock,
    options: FileIdMapStoreOptions,
  ) {
    this.compactionRatio = options.compactionRatio ?? 2;
    this.compactionSlack = options.compactionSlack ?? 1000;
    this.warn = options.onWarning ?? ((warning) => process.emitWarning(warning));
  }

  /**
   * Opens the store at `path`, creating the file and its directory if missing. Throws
   * `IdMapLockedError` while another live process has it open, `IdMapCorruptLogError` if the log
   * is damaged other than by a torn last write.
   */
  static async open(path: string, options: FileIdMapStoreOptions = {}): Promise<FileIdMapStore> {
    await mkdir(dirname(path), { recursive: true });
    const lock = await acquireFileLock(`${path}.lock`);
    let log: DurableLog | undefined;
    try {
      const existed = await stat(path).then(
        () => true,
        () => false,
      );
      log = await DurableLog.open(path);
      const store = new FileIdMapStore(log, lock, options);
      const { records, validBytes, bytes } = await replayLog(path, (record) => store.apply(record));
      store.logLines = records;
      const tornBytes = bytes - validBytes;
      if (tornBytes > 0) {
        await log.truncate(validBytes);
        store.warn(new Error(`Dropped a torn tail of ${tornBytes} bytes from the id map log ${path}`));
      }
      // A file that is there but empty maps nothing: fine for a new deployment, not for a restore.
      if (existed && bytes === 0)
        store.warn(new Error(`The id map log ${path} is empty: no SCIM resource is mapped to the app`));
      if (store.needsCompaction()) await store.compact();
      // A compaction that failed past its rename leaves no usable log.
      log.assertWritable();
      return store;
    } catch (error) {
      await log?.close().catch(() => undefined);
      await lock.release().catch(() => undefined);
      throw error;
    }
  }

  async get(resourceType: ResourceTypeName, scimId: string): Promise<IdMapEntry | undefined> {
    return this.index.get(resourceType, scimId);
  }

  async findByAppId(resourceType: ResourceTypeName, appId: string): Promise<IdMapEntry | undefined> {
    return this.index.findByAppId(resourceType, appId);
  }

  async resolveAppIds(
    resourceType: ResourceTypeName,
    appIds: readonly string[],
  ): Promise<Array<AppIdRef | undefined>> {
    return this.index.resolveAppIds(resourceType, appIds);
  }

  async resolveScimIds(
    resourceType: ResourceTypeName,
    scimIds: readonly string[],
  ): Promise<Array<ScimIdRef | undefined>> {
    return this.index.resolveScimIds(resourceType, scimIds);
  }

  async findByExternalId(
    resourceType: ResourceTypeName,
    externalId: string,
  ): Promise<IdMapEntry | undefined> {
    return this.index.findByExternalId(resourceType, externalId);
  }

  /** Rejects with `IdMapConflictError` if another resource holds the entry's appId or externalId. */
  async put(entry: IdMapEntry): Promise<void> {
    return this.write(entry).durable;
  }

  /**
   * The index takes the entry at once; the log line is durable with the next group commit. So a
   * caller may let others see the entry (release its lock) and wait for the fsync afterwards.
   */
  write(entry: IdMapEntry): StagedWrite {
    try {
      this.assertWritable();
      this.index.assertNoConflict(entry);
    } catch (error) {
      const refused = Promise.reject(error);
      return { applied: refused, durable: refused };
    }
    const durable = this.log.append(encodePut(entry));
    this.index.set(entry);
    this.appended();
    return { applied: Promise.resolve(), durable };
  }

  async delete(resourceType: ResourceTypeName, scimId: string): Promise<void> {
    this.assertWritable();
    // Nothing to record, but a delete of it issued earlier may not be durable yet.
    if (!this.index.delete(resourceType, scimId)) return this.log.flushed();
    const written = this.log.append(encodeDelete(resourceType, scimId));
    this.appended();
    return written;
  }

  async size(resourceType: ResourceTypeName): Promise<number> {
    return this.index.size(resourceType);
  }

  /** Waits for pending writes to be durable, closes the log and releases the lock. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        await this.compacting;
        await this.log.close();
      } finally {
        await this.lock.release();
      }
    })();
    return this.closing;
  }

  private assertWritable(): void {
    if (this.closing) throw new Error(`The id map store ${this.log.path} is closed`);
    this.log.assertWritable();
  }

  private apply(record: LogRecord): void {
    if (record.op === 'put') this.index.set(record.entry);
    else this.index.delete(record.resourceType, record.scimId);
  }

  private appended(): void {
    this.logLines++;
    if (!this.compacting && this.needsCompaction()) {
      this.compacting = this.compact().finally(() => {
        this.compacting = undefined;
      });
    }
  }

  private needsCompaction(): boolean {
    const threshold = this.compactionRatio * this.index.totalSize + this.compactionSlack;
    return this.logLines > threshold && this.logLines > this.retryCompactionAbove;
  }

  /** Never rejects: a failed compaction leaves the old log in use (or fails the log, see DurableLog). */
  private async compact(): Promise<void> {
    try {
      await this.log.rewrite(() => {
        // values() copies the live records now and decodes them as the rewrite consumes them, so
        // this is a consistent snapshot that never holds all entries as objects. Writes already
        // applied to the index but queued behind the rewrite are appended again after it;
        // replaying a put or delete twice is harmless.
        this.logLines = this.index.totalSize + this.log.queuedAppends;
        return encodeAll(this.index.values());
      });
    } catch (error) {
      this.retryCompactionAbove = this.logLines + this.compactionSlack;
      this.warn(new Error(`Compacting the id map log ${this.log.path} failed`, { cause: error }));
    }
  }
}

function* encodeAll(entries: Iterable<IdMapEntry>): Iterable<string> {
  for (const entry of entries) yield encodePut(entry);
}
