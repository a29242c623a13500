import { spawnSync } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireFileLock, IdMapLockedError } from '../../../src/idmap/file-lock.js';
import { FileIdMapStore } from '../../../src/idmap/file-store.js';
import { makeEntry, makeTempDir } from './helpers.js';

/** The PID of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  if (child.pid === undefined) throw new Error('could not spawn a child process');
  return child.pid;
}

describe('id map lock', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let logPath: string;
  let lockPath: string;

  beforeEach(async () => {
    ({ dir, cleanup } = await makeTempDir());
    logPath = join(dir, 'idmap.jsonl');
    lockPath = `${logPath}.lock`;
  });

  afterEach(async () => {
    await cleanup();
  });

  it('writes this process PID to the lock file and removes it on close', async () => {
    const store = await FileIdMapStore.open(logPath);
    expect(JSON.parse(await readFile(lockPath, 'utf8'))).toMatchObject({ pid: process.pid });
    await store.close();
    await expect(stat(lockPath)).rejects.toMatchObject({ code: 'ENOENT' });
    const again = await FileIdMapStore.open(logPath);
    await again.close();
  });

  it('refuses a second open while the first is open', async () => {
    const store = await FileIdMapStore.open(logPath);
    await expect(FileIdMapStore.open(logPath)).rejects.toBeInstanceOf(IdMapLockedError);
    const racing = await Promise.allSettled([
      acquireFileLock(join(dir, 'x')),
      acquireFileLock(join(dir, 'x')),
    ]);
    expect(racing.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
    for (const result of racing) {
      if (result.status === 'fulfilled') await result.value.release();
      else expect(result.reason).toBeInstanceOf(IdMapLockedError);
    }
    await store.close();
  });

  it('refuses a lock held by another live process, naming it', async () => {
    const holder = { pid: process.ppid, hostname: 'other-host', acquiredAt: '2024-05-01T10:00:00.000Z' };
    await writeFile(lockPath, JSON.stringify(holder));
    const opening = FileIdMapStore.open(logPath);
    await expect(opening).rejects.toBeInstanceOf(IdMapLockedError);
    await expect(opening).rejects.toThrow(
      `process ${process.ppid} on other-host since 2024-05-01T10:00:00.000Z`,
    );
    await expect(opening).rejects.toMatchObject({ pid: process.ppid, lockPath });
    // Refusing must not disturb the holder's lock.
    expect(JSON.parse(await readFile(lockPath, 'utf8'))).toEqual(holder);
  });

  it('takes over a lock whose process is gone', async () => {
    const before = await FileIdMapStore.open(logPath);
    const entry = makeEntry();
    await before.put(entry);
    await before.close();
    await writeFile(lockPath, JSON.stringify({ pid: deadPid() }));

    const store = await FileIdMapStore.open(logPath);
    expect(JSON.parse(await readFile(lockPath, 'utf8'))).toMatchObject({ pid: process.pid });
    expect(await store.get('User', entry.scimId)).toEqual(entry);
    await store.close();
  });

  it('accepts a bare PID in the lock file', async () => {
    await writeFile(lockPath, `${process.ppid}\n`);
    await expect(FileIdMapStore.open(logPath)).rejects.toMatchObject({ pid: process.ppid });
    await writeFile(lockPath, `${deadPid()}\n`);
    await (await FileIdMapStore.open(logPath)).close();
  });

  it('takes over a lock naming its own PID that this process does not hold (container restart)', async () => {
    await writeFile(lockPath, JSON.stringify({ pid: process.pid }));
    const store = await FileIdMapStore.open(logPath);
    await store.close();
  });

  it('takes over an unreadable lock file (crash between creating and writing it)', async () => {
    await writeFile(lockPath, '');
    const store = await FileIdMapStore.open(logPath);
    await store.close();
  });

  it('does not remove a lock another process took over', async () => {
    const lock = await acquireFileLock(lockPath);
    await writeFile(lockPath, JSON.stringify({ pid: process.ppid }));
    await lock.release();
    expect(JSON.parse(await readFile(lockPath, 'utf8'))).toEqual({ pid: process.ppid });
  });
});
