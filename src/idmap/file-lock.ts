import { randomUUID } from 'node:crypto';
import { type FileHandle, open, readFile, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Another live process (or this one) holds the lock. */
export class IdMapLockedError extends Error {
  readonly lockPath: string;
  /** PID of the holder, when the lock file names one. */
  readonly pid: number | undefined;

  constructor(lockPath: string, holder: string, pid?: number) {
    super(
      `The id map is in use by ${holder} (lock file ${lockPath}). Only one process may use an embedded ` +
        'id map at a time: stop the other process or give this one its own store path.',
    );
    this.name = 'IdMapLockedError';
    this.lockPath = lockPath;
    this.pid = pid;
  }
}

/** An exclusive lock held through a file that names the holder's PID. */
export interface FileLock {
  readonly path: string;
  /** Removes the lock file if it is still ours. Idempotent. */
  release(): Promise<void>;
}

interface LockHolder {
  pid: number;
  hostname?: string;
  acquiredAt?: string;
}

/**
 * Paths locked by this process. Checked first because the PID test cannot tell a second open in
 * this process from a lock a previous run with the same PID left behind.
 */
const heldByThisProcess = new Set<string>();

const MAX_ATTEMPTS = 10;
/** A holder writes its PID right after creating the file; an empty file stays so only after a crash. */
const UNREADABLE_GRACE_ATTEMPTS = 3;
const UNREADABLE_RETRY_MS = 50;

/**
 * Takes the lock at `lockPath`, creating the file with this process's PID. A lock whose PID is
 * not alive is stale (the holder crashed) and is taken over. Throws {@link IdMapLockedError}
 * while a live process holds it. PIDs are only meaningful on one host: this does not protect a
 * file shared between hosts or containers.
 */
export async function acquireFileLock(lockPath: string): Promise<FileLock> {
  const path = resolve(lockPath);
  if (heldByThisProcess.has(path)) throw new IdMapLockedError(path, `this process (pid ${process.pid})`);
  // Reserved before the first await, so two opens racing in this process cannot both get through.
  heldByThisProcess.add(path);
  try {
    const content = `${JSON.stringify({
      pid: process.pid,
      hostname: hostname(),
      acquiredAt: new Date().toISOString(),
      token: randomUUID(),
    })}\n`;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (await tryCreate(path, content)) return lockHandle(path, content);
      const raw = await readIfExists(path);
      if (raw === undefined) continue;
      const holder = parseHolder(raw);
      if (!holder && attempt < UNREADABLE_GRACE_ATTEMPTS) {
        await sleep(UNREADABLE_RETRY_MS);
        continue;
      }
      if (holder && isAlive(holder.pid)) throw new IdMapLockedError(path, describe(holder), holder.pid);
      await removeStale(path, raw);
    }
    throw new IdMapLockedError(path, 'processes that kept replacing the lock file');
  } catch (error) {
    heldByThisProcess.delete(path);
    throw error;
  }
}

function lockHandle(path: string, content: string): FileLock {
  let released = false;
  return {
    path,
    async release() {
      if (released) return;
      released = true;
      try {
        // Someone may have judged us dead and taken over; their lock is not ours to remove.
        if ((await readIfExists(path)) === content) await rm(path, { force: true });
      } finally {
        heldByThisProcess.delete(path);
      }
    },
  };
}

async function tryCreate(path: string, content: string): Promise<boolean> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'wx');
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  }
  try {
    await handle.writeFile(content, 'utf8');
  } finally {
    await handle.close();
  }
  return true;
}

/**
 * Moves the stale file aside before deleting it: if another process replaced it with a live lock
 * since we read it, the content differs and it is put back instead of being deleted.
 */
async function removeStale(path: string, staleContent: string): Promise<void> {
  const aside = `${path}.stale-${randomUUID()}`;
  try {
    await rename(path, aside);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return;
    throw error;
  }
  if ((await readIfExists(aside)) === staleContent) await rm(aside, { force: true });
  else await rename(aside, path);
}

function isAlive(pid: number): boolean {
  // Containers restart with the same PID (often 1); this process does not hold the lock (checked
  // before), so a lock naming our PID was left by a previous run.
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return errorCode(error) === 'EPERM';
  }
}

function parseHolder(raw: string): LockHolder | undefined {
  const text = raw.trim();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  // A bare number is accepted too, for lock files written by hand or by other tools.
  const holder: unknown = typeof value === 'number' ? { pid: value } : value;
  if (typeof holder !== 'object' || holder === null || !('pid' in holder)) return undefined;
  const { pid } = holder;
  // 0 and negative PIDs address process groups in kill(2), so they would always look alive.
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return undefined;
  const hostnameValue =
    'hostname' in holder && typeof holder.hostname === 'string' ? holder.hostname : undefined;
  const acquiredAt =
    'acquiredAt' in holder && typeof holder.acquiredAt === 'string' ? holder.acquiredAt : undefined;
  return { pid, hostname: hostnameValue, acquiredAt };
}

function describe(holder: LockHolder): string {
  const host = holder.hostname ? ` on ${holder.hostname}` : '';
  const since = holder.acquiredAt ? ` since ${holder.acquiredAt}` : '';
  return `process ${holder.pid}${host}${since}`;
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

function errorCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}
