import { beforeEach, describe, expect, it, vi } from 'vitest';
import { IdMapConflictError } from '../../../src/idmap/entry-index.js';
import { IdMap } from '../../../src/idmap/id-map.js';
import { MemoryIdMapStore } from '../../../src/idmap/memory-store.js';
import type { IdMapEntry, IdMapStore, ResourceTypeName } from '../../../src/idmap/types.js';
import { makeEntry } from './helpers.js';

describe('IdMap', () => {
  let store: MemoryIdMapStore;
  let idMap: IdMap;

  beforeEach(() => {
    store = new MemoryIdMapStore();
    idMap = new IdMap(store);
  });

  it('serves repeated lookups from the cache and counts hits and misses', async () => {
    const entry = makeEntry({ externalId: 'ext' });
    await store.put(entry);
    const storeGet = vi.spyOn(store, 'get');

    expect(await idMap.get('User', entry.scimId)).toEqual(entry);
    expect(idMap.stats()).toEqual({ hits: 0, misses: 1, size: 1 });
    expect(await idMap.get('User', entry.scimId)).toEqual(entry);
    expect(await idMap.findByAppId('User', entry.appId)).toEqual(entry);
    expect(await idMap.findByExternalId('User', 'ext')).toEqual(entry);
    expect(idMap.stats()).toEqual({ hits: 3, misses: 1, size: 1 });
    expect(storeGet).toHaveBeenCalledTimes(1);
  });

  it('caches what a lookup by appId or externalId found', async () => {
    const entry = makeEntry({ externalId: 'ext' });
    await store.put(entry);
    await idMap.findByExternalId('User', 'ext');
    expect(await idMap.get('User', entry.scimId)).toEqual(entry);
    expect(await idMap.findByAppId('User', entry.appId)).toEqual(entry);
    expect(idMap.stats()).toMatchObject({ hits: 2, misses: 1 });
  });

  it('does not cache misses', async () => {
    const entry = makeEntry();
    expect(await idMap.get('User', entry.scimId)).toBeUndefined();
    await store.put(entry);
    expect(await idMap.get('User', entry.scimId)).toEqual(entry);
    expect(idMap.stats()).toEqual({ hits: 0, misses: 2, size: 1 });
  });

  it('writes through to the store before caching', async () => {
    const entry = makeEntry({ externalId: 'ext' });
    await idMap.put(entry);
    expect(await store.get('User', entry.scimId)).toEqual(entry);
    expect(await idMap.findByExternalId('User', 'ext')).toEqual(entry);
    expect(idMap.stats()).toEqual({ hits: 1, misses: 0, size: 1 });
  });

  it('forgets the old externalId and appId when an update changes them', async () => {
    const entry = makeEntry({ appId: 'a-old', externalId: 'old' });
    await idMap.put(entry);
    expect(await idMap.findByExternalId('User', 'old')).toEqual(entry);

    const updated = { ...entry, appId: 'a-new', externalId: 'new', version: 2 };
    await idMap.put(updated);
    expect(await idMap.findByExternalId('User', 'old')).toBeUndefined();
    expect(await idMap.findByAppId('User', 'a-old')).toBeUndefined();
    expect(await idMap.findByExternalId('User', 'new')).toEqual(updated);
    expect(await idMap.findByAppId('User', 'a-new')).toEqual(updated);
    expect(await idMap.get('User', entry.scimId)).toEqual(updated);
  });

  it('lets a new resource take over an externalId another one gave up', async () => {
    const first = makeEntry({ externalId: 'shared' });
    await idMap.put(first);
    await idMap.put({ ...first, externalId: undefined, version: 2 });
    const second = makeEntry({ externalId: 'shared' });
    await idMap.put(second);
    expect(await idMap.findByExternalId('User', 'shared')).toEqual(second);
  });

  it('never serves a deleted entry', async () => {
    const entry = makeEntry({ externalId: 'ext' });
    await idMap.put(entry);
    expect(await idMap.get('User', entry.scimId)).toBeDefined();
    await idMap.delete('User', entry.scimId);
    expect(await idMap.get('User', entry.scimId)).toBeUndefined();
    expect(await idMap.findByAppId('User', entry.appId)).toBeUndefined();
    expect(await idMap.findByExternalId('User', 'ext')).toBeUndefined();
    expect(idMap.stats().size).toBe(0);
  });

  it('keeps the cache unchanged when the store refuses a write', async () => {
    const entry = makeEntry({ appId: 'taken' });
    await idMap.put(entry);
    const intruder = makeEntry({ appId: 'taken' });
    await expect(idMap.put(intruder)).rejects.toBeInstanceOf(IdMapConflictError);
    expect(await idMap.findByAppId('User', 'taken')).toEqual(entry);
    expect(await idMap.get('User', intruder.scimId)).toBeUndefined();
  });

  it('stages a write: readers see it at once, the caller learns separately when it is durable', async () => {
    let makeDurable = () => {};
    const disk = new Promise<void>((resolve) => {
      makeDurable = resolve;
    });
    const staging = Object.assign(store, {
      write: (entry: IdMapEntry) => {
        const applied = store.put(entry);
        return { applied, durable: applied.then(() => disk) };
      },
    });
    idMap = new IdMap(staging);
    const entry = makeEntry({ externalId: 'staged' });
    const { durable } = await idMap.stage(entry);
    expect(await idMap.findByExternalId('User', 'staged')).toEqual(entry);
    let done = false;
    void durable.then(() => {
      done = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(done).toBe(false);
    makeDurable();
    await durable;
    expect(done).toBe(true);
  });

  it('drops a staged entry from the cache when it never becomes durable', async () => {
    const entry = makeEntry({ externalId: 'lost' });
    const staging = Object.assign(store, {
      write: (written: IdMapEntry) => {
        const applied = store.put(written);
        return { applied, durable: applied.then(() => Promise.reject(new Error('fsync failed'))) };
      },
    });
    idMap = new IdMap(staging);
    const { durable } = await idMap.stage(entry);
    await expect(durable).rejects.toThrow('fsync failed');
    const storeGet = vi.spyOn(store, 'get');
    await idMap.get('User', entry.scimId);
    expect(storeGet).toHaveBeenCalledTimes(1);
  });

  /** The store's required calls only: no bulk lookups (as the Redis store). */
  function withoutBulkLookups(inner: IdMapStore): IdMapStore {
    return {
      get: (type, id) => inner.get(type, id),
      findByAppId: (type, id) => inner.findByAppId(type, id),
      findByExternalId: (type, id) => inner.findByExternalId(type, id),
      put: (entry) => inner.put(entry),
      delete: (type, id) => inner.delete(type, id),
      size: (type) => inner.size(type),
      close: () => inner.close(),
    };
  }

  it('resolves app ids in one call where the store can, one by one where it cannot', async () => {
    const one = makeEntry({ appId: '1' });
    const two = makeEntry({ appId: '2', deleted: true });
    await store.put(one);
    await store.put(two);
    const bulk = vi.spyOn(store, 'resolveAppIds');
    const expected = [
      { scimId: one.scimId, deleted: false },
      undefined,
      { scimId: two.scimId, deleted: true },
    ];
    expect(await idMap.resolveAppIds('User', ['1', '3', '2'])).toEqual(expected);
    expect(bulk).toHaveBeenCalledTimes(1);

    const oneByOne = new IdMap(withoutBulkLookups(store));
    expect(await oneByOne.resolveAppIds('User', ['1', '3', '2'])).toEqual(expected);
  });

  it('resolves SCIM ids in one call where the store can, one by one where it cannot, and caches none', async () => {
    const one = makeEntry({ appId: '1' });
    const two = makeEntry({ appId: '2', deleted: true });
    await store.put(one);
    await store.put(two);
    const bulk = vi.spyOn(store, 'resolveScimIds');
    const storeGet = vi.spyOn(store, 'get');
    const expected = [{ appId: '1', deleted: false }, undefined, { appId: '2', deleted: true }];
    const fresh = new IdMap(store);
    expect(await fresh.resolveScimIds('User', [one.scimId, 'unknown', two.scimId])).toEqual(expected);
    expect(bulk).toHaveBeenCalledTimes(1);
    // Past the cache: the next read of one of them still goes to the store.
    await fresh.get('User', one.scimId);
    expect(storeGet).toHaveBeenCalledTimes(1);

    const oneByOne = new IdMap(withoutBulkLookups(store));
    expect(await oneByOne.resolveScimIds('User', [one.scimId, 'unknown', two.scimId])).toEqual(expected);
  });

  it('hands out copies, so callers cannot alter cached entries', async () => {
    const entry = makeEntry();
    await idMap.put(entry);
    entry.version = 50;
    const read = await idMap.get('User', entry.scimId);
    read!.version = 99;
    expect((await idMap.get('User', entry.scimId))?.version).toBe(1);
  });

  it('hands out deep copies of preserved values and member displays', async () => {
    const entry = {
      ...makeEntry(),
      preserved: { emails: { original: [{ value: 'a@x', type: 'work' }], derived: [{ value: 'a@x' }] } },
      memberDisplays: { 'member-1': 'Ada' },
    };
    await idMap.put(entry);
    const first = await idMap.get('User', entry.scimId);
    (first!.preserved!.emails!.original as Array<Record<string, unknown>>)[0]!.value = 'changed';
    first!.memberDisplays!['member-1'] = 'changed';
    const again = await idMap.get('User', entry.scimId);
    expect(again?.preserved).toEqual(entry.preserved);
    expect(again?.memberDisplays).toEqual({ 'member-1': 'Ada' });
  });

  it('does not cache a read that raced with a write to the same entry', async () => {
    const entry = makeEntry({ externalId: 'ext' });
    await store.put(entry);
    // The read sees the store before the write, and returns after it.
    let release = (): void => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slowGet = vi
      .spyOn(store, 'get')
      .mockImplementationOnce(async (type: ResourceTypeName, id: string) => {
        const seen = await store.findByAppId(type, entry.appId);
        await gate;
        return seen?.scimId === id ? seen : undefined;
      });
    const racingRead = idMap.get('User', entry.scimId);
    await Promise.resolve();
    const updated: IdMapEntry = { ...entry, version: 2 };
    await idMap.put(updated);
    release();
    expect((await racingRead)?.version).toBe(1);
    expect(slowGet).toHaveBeenCalledTimes(1);
    expect(await idMap.get('User', entry.scimId)).toEqual(updated);
    expect(await idMap.findByExternalId('User', 'ext')).toEqual(updated);
  });

  it('evicts least recently used entries beyond cacheSize, keys included', async () => {
    idMap = new IdMap(store, { cacheSize: 2 });
    const [a, b, c] = [makeEntry({ externalId: 'a' }), makeEntry({ externalId: 'b' }), makeEntry()];
    for (const entry of [a!, b!, c!]) await idMap.put(entry);
    expect(idMap.stats().size).toBe(2);
    const storeFind = vi.spyOn(store, 'findByExternalId');
    expect(await idMap.findByExternalId('User', 'a')).toEqual(a);
    expect(storeFind).toHaveBeenCalledTimes(1);
    expect(idMap.stats()).toEqual({ hits: 0, misses: 1, size: 2 });
  });

  it('works without a cache', async () => {
    idMap = new IdMap(store, { cacheSize: 0 });
    const entry = makeEntry();
    await idMap.put(entry);
    expect(await idMap.get('User', entry.scimId)).toEqual(entry);
    expect(idMap.stats()).toEqual({ hits: 0, misses: 1, size: 0 });
  });

  it('passes size and close through to the store', async () => {
    await idMap.put(makeEntry({ resourceType: 'Group' }));
    expect(await idMap.size('Group')).toBe(1);
    const close = vi.spyOn(store, 'close');
    await idMap.close();
    expect(close).toHaveBeenCalledTimes(1);
  });

  it('issues random UUIDs as SCIM ids', () => {
    const ids = new Set(Array.from({ length: 100 }, () => idMap.newScimId()));
    expect(ids.size).toBe(100);
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
