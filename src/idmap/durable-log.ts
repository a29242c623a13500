import { type FileHandle, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

interface Deferred {
  resolve(): void;
  reject(error: Error): void;
}

type Job =
  | ({ kind: 'append'; data: string } & Deferred)
  | ({ kind: 'rewrite'; produce: () => Iterable<string> } & Deferred);

/** Rewrites hand the file system chunks of about this size, yielding to the event loop in between. */
const REWRITE_CHUNK_BYTES = 256 * 1024;

/**
 * An append-only file where an append resolves only once it is on stable storage. Appends that
 * arrive while a write is in flight are grouped into the next single write + fdatasync (group
 * commit), so N concurrent appends cost one fsync, not N. After a failed write or fsync the log
 * refuses all further work: after a failed fsync the kernel may have dropped the dirty pages, so
 * retrying could report success for data that is gone.
 */
export class DurableLog {
  private readonly jobs: Job[] = [];
  private draining: Promise<void> | undefined;
  /** Settles (never rejects) once every job queued so far is done. */
  private tail: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  private closing: Promise<void> | undefined;

  private constructor(
    readonly path: string,
    private handle: FileHandle,
  ) {}

  /**
   * Opens (creating it and its directory if missing) the log at `path` for appending. The caller
   * must hold the log's lock, and replays the file itself (`replayLog`) before appending.
   */
  static async open(path: string): Promise<DurableLog> {
    await mkdir(dirname(path), { recursive: true });
    // Left by a crash during a rewrite; never read, and possibly as large as the log.
    await rm(`${path}.tmp`, { force: true });
    let existed = true;
    try {
      await stat(path);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
      existed = false;
    }
    const handle = await open(path, 'a');
    // A new file's directory entry is not durable until the directory itself is synced.
    if (!existed) await syncDirectory(dirname(path)).catch((error) => closeAndThrow(handle, error));
    return new DurableLog(path, handle);
  }

  /** Appends waiting behind the write in flight (or behind a rewrite). */
  get queuedAppends(): number {
    let count = 0;
    for (const job of this.jobs) if (job.kind === 'append') count++;
    return count;
  }

  /** Throws if the log is closed or has failed; check before changing state that `append` will record. */
  assertWritable(): void {
    if (this.failure) throw this.failure;
    if (this.closing) throw new Error(`The id map log ${this.path} is closed`);
  }

  /** Resolves once `data` is durable. */
  append(data: string): Promise<void> {
    return this.enqueue((deferred) => ({ kind: 'append', data, ...deferred }));
  }

  /**
   * Atomically replaces the whole file with the lines `produce` returns, once every append queued
   * before is durable; appends queued after go to the new file. `produce` is called when the
   * rewrite starts, so it can snapshot state at exactly that point. If the rewrite fails before
   * the new file replaces the old one, the old log stays in use and only this call rejects.
   */
  rewrite(produce: () => Iterable<string>): Promise<void> {
    return this.enqueue((deferred) => ({ kind: 'rewrite', produce, ...deferred }));
  }

  /** Resolves once everything queued so far is durable; rejects if the log has failed by then. */
  async flushed(): Promise<void> {
    await this.tail;
    if (this.failure) throw this.failure;
  }

  /** Durably cuts the file to `length` bytes (drops a torn tail before new appends land after it). */
  async truncate(length: number): Promise<void> {
    await this.flushed();
    await this.handle.truncate(length);
    await this.handle.sync();
  }

  /** Waits for queued work, then closes the file. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      while (this.draining) await this.draining;
      await this.handle.close();
    })();
    return this.closing;
  }

  private enqueue(makeJob: (deferred: Deferred) => Job): Promise<void> {
    try {
      this.assertWritable();
    } catch (error) {
      return Promise.reject(error);
    }
    const done = new Promise<void>((resolve, reject) => this.jobs.push(makeJob({ resolve, reject })));
    this.tail = done.then(ignore, ignore);
    // Started in a microtask, so appends issued in the same tick share the first write.
    this.draining ??= Promise.resolve().then(() => this.drain());
    return done;
  }

  private async drain(): Promise<void> {
    try {
      while (this.jobs.length > 0) {
        const head = this.jobs[0]!;
        if (head.kind === 'rewrite') {
          this.jobs.shift();
          await this.runRewrite(head);
          continue;
        }
        const end = this.jobs.findIndex((job) => job.kind !== 'append');
        const batch = this.jobs.splice(0, end === -1 ? this.jobs.length : end);
        await this.runBatch(batch);
      }
    } finally {
      // Cleared in the same synchronous step as the empty check, so a job queued after it starts
      // a new drain instead of being stranded.
      this.draining = undefined;
    }
  }

  private async runBatch(batch: Job[]): Promise<void> {
    if (this.failure) return rejectAll(batch, this.failure);
    try {
      await writeAll(this.handle, batch.map((job) => (job.kind === 'append' ? job.data : '')).join(''));
      await this.handle.datasync();
    } catch (error) {
      return rejectAll(batch, this.fail(error));
    }
    for (const job of batch) job.resolve();
  }

  private async runRewrite(job: Job & { kind: 'rewrite' }): Promise<void> {
    if (this.failure) return job.reject(this.failure);
    const tmpPath = `${this.path}.tmp`;
    try {
      await writeFileDurably(tmpPath, job.produce());
    } catch (error) {
      await rm(tmpPath, { force: true }).catch(ignore);
      return job.reject(asError(error));
    }
    try {
      await rename(tmpPath, this.path);
      // Past the rename the old file is gone; if this fails we can no longer say which file is durable.
      await syncDirectory(dirname(this.path));
      const previous = this.handle;
      this.handle = await open(this.path, 'a');
      await previous.close();
    } catch (error) {
      return job.reject(this.fail(error));
    }
    job.resolve();
  }

  private fail(error: unknown): Error {
    this.failure ??= new Error(
      `Writing the id map log ${this.path} failed; restart to recover from the file`,
      {
        cause: error,
      },
    );
    rejectAll(this.jobs.splice(0), this.failure);
    return this.failure;
  }
}

async function writeFileDurably(path: string, lines: Iterable<string>): Promise<void> {
  const handle = await open(path, 'w');
  try {
    let chunk = '';
    for (const line of lines) {
      chunk += line;
      if (chunk.length >= REWRITE_CHUNK_BYTES) {
        await writeAll(handle, chunk);
        chunk = '';
      }
    }
    if (chunk) await writeAll(handle, chunk);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function writeAll(handle: FileHandle, data: string): Promise<void> {
  const buffer = Buffer.from(data, 'utf8');
  let offset = 0;
  while (offset < buffer.length) {
    const { bytesWritten } = await handle.write(buffer, offset, buffer.length - offset, null);
    offset += bytesWritten;
  }
}

async function syncDirectory(path: string): Promise<void> {
  // Windows cannot open a directory for fsync; NTFS journals the rename itself.
  if (process.platform === 'win32') return;
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function closeAndThrow(handle: FileHandle, error: unknown): Promise<never> {
  await handle.close().catch(ignore);
  throw error;
}

function rejectAll(jobs: Job[], error: Error): void {
  for (const job of jobs) job.reject(error);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function errorCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

function ignore(): void {}
