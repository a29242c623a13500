import { appendFile, mkdir, open, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DurableLog } from '../../../src/idmap/durable-log.js';
import { FileIdMapStore, type FileIdMapStoreOptions } from '../../../src/idmap/file-store.js';
import { IdMapCorruptLogError } from '../../../src/idmap/log-format.js';
import type { IdMapEntry } from '../../../src/idmap/types.js';
import { makeEntry, makeTempDir, readLines } from './helpers.js';

describe('FileIdMapStore', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let logPath: string;
  const opened: FileIdMapStore[] = [];
  const warnings: Error[] = [];

  async function openStore(options: FileIdMapStoreOptions = {}): Promise<FileIdMapStore> {
    const store = await FileIdMapStore.open(logPath, { onWarning: (w) => warnings.push(w), ...options });
    opened.push(store);
    return store;
  }

  async function expectAll(store: FileIdMapStore, entries: IdMapEntry[]): Promise<void> {
    for (const entry of entries) expect(await store.get(entry.resourceType, entry.scimId)).toEqual(entry);
  }

  beforeEach(async () => {
    ({ dir, cleanup } = await makeTempDir());
    logPath = join(dir, 'idmap.jsonl');
    warnings.length = 0;
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    await Promise.all(opened.splice(0).map((store) => store.close()));
    await cleanup();
  });

  it('keeps everything across close and reopen', async () => {
    const store = await openStore();
    const kept = [makeEntry({ externalId: 'e1' }), makeEntry({ resourceType: 'Group' }), makeEntry()];
    const updated = { ...kept[2]!, externalId: 'e3', version: 2 };
    const deleted = makeEntry({ externalId: 'gone' });
    for (const entry of [...kept, deleted, updated]) await store.put(entry);
    await store.delete('User', deleted.scimId);
    await store.close();

    const reopened = await openStore();
    await expectAll(reopened, [kept[0]!, kept[1]!, updated]);
    expect(await reopened.get('User', deleted.scimId)).toBeUndefined();
    expect(await reopened.findByExternalId('User', 'gone')).toBeUndefined();
    expect(await reopened.findByExternalId('User', 'e3')).toEqual(updated);
    expect(await reopened.size('User')).toBe(2);
    expect(await reopened.size('Group')).toBe(1);
  });

  it('writes one JSON line per operation', async () => {
    const store = await openStore();
    const entry = makeEntry({ externalId: 'e' });
    await store.put(entry);
    await store.delete('User', entry.scimId);
    const lines = (await readLines(logPath)).map((line) => JSON.parse(line) as unknown);
    expect(lines).toEqual([
      { op: 'put', ...entry },
      { op: 'del', resourceType: 'User', scimId: entry.scimId },
    ]);
  });

  it('creates missing parent directories', async () => {
    logPath = join(dir, 'a', 'b', 'idmap.jsonl');
    const store = await openStore();
    await store.put(makeEntry());
    expect((await stat(logPath)).isFile()).toBe(true);
  });

  it('flushes writes still pending when closed', async () => {
    const store = await openStore();
    const entries = Array.from({ length: 20 }, () => makeEntry());
    const writes = entries.map((entry) => store.put(entry));
    await store.close();
    await Promise.all(writes);
    await expectAll(await openStore(), entries);
  });

  it('makes every one of many concurrent puts durable, sharing fsyncs', async () => {
    const store = await openStore();
    const handle = await open(join(dir, 'probe'), 'w');
    const fileHandlePrototype = Object.getPrototypeOf(handle) as { datasync: () => Promise<void> };
    await handle.close();
    const datasync = vi.spyOn(fileHandlePrototype, 'datasync');

    const entries = Array.from({ length: 200 }, (_, i) => makeEntry({ externalId: `ext-${i}` }));
    await Promise.all(entries.map((entry) => store.put(entry)));
    expect(datasync).toHaveBeenCalled();
    expect(datasync.mock.calls.length).toBeLessThanOrEqual(2);
    expect(await readLines(logPath)).toHaveLength(200);

    await store.close();
    const reopened = await openStore();
    expect(await reopened.size('User')).toBe(200);
    await expectAll(reopened, entries);
  });

  it('applies a staged write to reads at once and makes it durable with the next group commit', async () => {
    const store = await openStore();
    const entry = makeEntry({ externalId: 'staged' });
    const { applied, durable } = store.write(entry);
    expect(await store.findByExternalId('User', 'staged')).toEqual(entry);
    await applied;
    await durable;
    expect(await readLines(logPath)).toHaveLength(1);
  });

  it('refuses a staged write that conflicts, before applying anything', async () => {
    const store = await openStore();
    await store.put(makeEntry({ appId: 'taken' }));
    const intruder = makeEntry({ appId: 'taken' });
    const { applied, durable } = store.write(intruder);
    await expect(applied).rejects.toBeInstanceOf(Error);
    await expect(durable).rejects.toBeInstanceOf(Error);
    expect(await store.get('User', intruder.scimId)).toBeUndefined();
  });

  it('refuses every write after an fsync failed, since the data may be lost', async () => {
    const store = await openStore();
    const kept = makeEntry();
    await store.put(kept);
    const handle = await open(join(dir, 'probe'), 'w');
    const fileHandlePrototype = Object.getPrototypeOf(handle) as { datasync: () => Promise<void> };
    await handle.close();
    vi.spyOn(fileHandlePrototype, 'datasync').mockRejectedValueOnce(
      Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }),
    );

    await expect(store.put(makeEntry())).rejects.toThrow(/restart to recover/);
    await expect(store.put(makeEntry())).rejects.toThrow(/restart to recover/);
    await expect(store.delete('User', kept.scimId)).rejects.toThrow(/restart to recover/);
    expect(await store.get('User', kept.scimId)).toEqual(kept);
  });

  describe('after a crash', () => {
    it('ignores and truncates a torn last line', async () => {
      const store = await openStore();
      const entries = [makeEntry(), makeEntry()];
      for (const entry of entries) await store.put(entry);
      await store.close();
      const intact = await readFile(logPath);
      await appendFile(logPath, '{"op":"put","resourceType":"User","scimId":"torn","app');

      const reopened = await openStore();
      await expectAll(reopened, entries);
      expect(await reopened.get('User', 'torn')).toBeUndefined();
      expect(await readFile(logPath)).toEqual(intact);
      expect(warnings.map((w) => w.message)).toEqual([expect.stringMatching(/torn tail/)]);

      const later = makeEntry();
      await reopened.put(later);
      await reopened.close();
      await expectAll(await openStore(), [...entries, later]);
    });

    it('replays a log of several megabytes, lines across read chunks, and truncates its torn tail', async () => {
      const store = await openStore();
      // Lines of varied length (one over a megabyte), so line ends fall anywhere in a read chunk.
      const entries = Array.from({ length: 400 }, (_, i) =>
        makeEntry({
          resourceType: 'Group',
          externalId: `e${i}`,
          memberDisplays: { m: 'ü'.repeat(i === 200 ? 700_000 : (i * 7919) % 12_000) },
        }),
      );
      await Promise.all(entries.map((entry) => store.put(entry)));
      await store.delete('Group', entries[0]!.scimId);
      await store.close();
      const intact = await stat(logPath);
      expect(intact.size).toBeGreaterThan(4 * 1024 * 1024);
      const torn = `{"op":"put","resourceType":"Group","memberDisplays":"${'x'.repeat(3_000_000)}`;
      await appendFile(logPath, torn);

      const reopened = await openStore();
      expect(await reopened.size('Group')).toBe(399);
      await expectAll(reopened, entries.slice(1));
      expect(await reopened.findByExternalId('Group', 'e0')).toBeUndefined();
      expect((await stat(logPath)).size).toBe(intact.size);
      expect(warnings.map((w) => w.message)).toEqual([
        expect.stringContaining(`torn tail of ${torn.length} bytes`),
      ]);
    });

    it('drops a complete last line that is not JSON (power loss garbage)', async () => {
      const store = await openStore();
      const entry = makeEntry();
      await store.put(entry);
      await store.close();
      await appendFile(logPath, '\u0000\u0000\u0000\n\u0000\u0000');
      const reopened = await openStore();
      await expectAll(reopened, [entry]);
      expect(await readLines(logPath)).toHaveLength(1);
    });

    it('removes a rewrite left unfinished', async () => {
      const store = await openStore();
      const entry = makeEntry();
      await store.put(entry);
      await store.close();
      await writeFile(`${logPath}.tmp`, '{"op":"put","half');
      await expectAll(await openStore(), [entry]);
      await expect(stat(`${logPath}.tmp`)).rejects.toMatchObject({ code: 'ENOENT' });
    });

    it('refuses to open a log damaged before its last record', async () => {
      const store = await openStore();
      await store.put(makeEntry());
      await store.close();
      const after = JSON.stringify({ op: 'put', ...makeEntry() });
      await appendFile(logPath, `{"op":"put","resou\n${after}\n`);
      const before = await readFile(logPath);
      await expect(openStore()).rejects.toMatchObject({ name: 'IdMapCorruptLogError', line: 2 });
      expect(await readFile(logPath)).toEqual(before);
      // The failed open released the lock.
      await expect(openStore()).rejects.toBeInstanceOf(IdMapCorruptLogError);
    });

    it('refuses a well-formed line that is not a record', async () => {
      await mkdir(dir, { recursive: true });
      await writeFile(logPath, '{"op":"rename","from":"a","to":"b"}\n');
      await expect(openStore()).rejects.toThrow(/line 1: not an id map record/);
    });
  });

  describe('compaction', () => {
    it('rewrites the log to exactly the live entries while running', async () => {
      const store = await openStore({ compactionRatio: 2, compactionSlack: 20 });
      let live = Array.from({ length: 10 }, (_, i) => makeEntry({ externalId: `e${i}` }));
      for (const entry of live) await store.put(entry);
      for (let round = 2; round <= 10; round++) {
        live = live.map((entry) => ({ ...entry, version: round, externalId: `e${entry.scimId}-${round}` }));
        await Promise.all(live.map((entry) => store.put(entry)));
      }
      const removed = live.slice(0, 3);
      live = live.slice(3);
      for (const entry of removed) await store.delete('User', entry.scimId);
      await store.close();

      // 103 writes went in; a log over 2 × 10 + 20 lines would have been compacted.
      const lines = await readLines(logPath);
      expect(lines.length).toBeLessThanOrEqual(2 * 10 + 20);
      const reopened = await openStore({ compactionSlack: 1_000_000 });
      expect(await reopened.size('User')).toBe(7);
      await expectAll(reopened, live);
      for (const entry of removed) expect(await reopened.get('User', entry.scimId)).toBeUndefined();
      expect(warnings).toEqual([]);
    });

    it('compacts at open and shrinks the file', async () => {
      const store = await openStore({ compactionSlack: 1_000_000 });
      const entry = makeEntry({ externalId: 'e' });
      for (let version = 1; version <= 50; version++) await store.put({ ...entry, version });
      const other = makeEntry();
      await store.put(other);
      await store.delete('User', other.scimId);
      await store.close();
      const before = (await stat(logPath)).size;
      expect(await readLines(logPath)).toHaveLength(52);

      const reopened = await openStore({ compactionSlack: 5 });
      const lines = await readLines(logPath);
      expect(lines.map((line) => JSON.parse(line) as unknown)).toEqual([
        { op: 'put', ...entry, version: 50 },
      ]);
      expect((await stat(logPath)).size).toBeLessThan(before / 10);
      expect(await reopened.findByExternalId('User', 'e')).toEqual({ ...entry, version: 50 });
      await expect(stat(`${logPath}.tmp`)).rejects.toMatchObject({ code: 'ENOENT' });
    });

    it('loses no write issued while a compaction runs', async () => {
      const store = await openStore({ compactionRatio: 1, compactionSlack: 0 });
      const rewrite = vi.spyOn(DurableLog.prototype, 'rewrite');
      const entries = Array.from({ length: 300 }, (_, i) => makeEntry({ externalId: `e${i}` }));
      // Every put crosses the threshold, so rewrites and appends interleave throughout.
      const writes: Promise<void>[] = [];
      for (const entry of entries) {
        writes.push(store.put(entry));
        writes.push(store.put({ ...entry, version: 2 }));
        if (writes.length % 20 === 0) await writes.at(-1);
      }
      await Promise.all(writes);
      expect(rewrite.mock.calls.length).toBeGreaterThan(10);
      await store.close();
      const reopened = await openStore();
      expect(await reopened.size('User')).toBe(300);
      await expectAll(
        reopened,
        entries.map((entry) => ({ ...entry, version: 2 })),
      );
    });
  });
});
