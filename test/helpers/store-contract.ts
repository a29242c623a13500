/**
 * The behaviour every IdMapStore must show, as one suite per store: the embedded stores run it
 * in test/unit/idmap/store-contract.test.ts, the Redis store (which needs a server) in
 * test/integration/redis-store.test.ts.
 */

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IdMapStore } from '../../src/idmap/types.js';
import { makeEntry } from '../unit/idmap/helpers.js';

export interface OpenedStore {
  store: IdMapStore;
  cleanup: () => Promise<void>;
}

/**
 * Opens a fresh, empty store for each test. `suite` declares it: `describe`, or
 * `describeWithRedis` for a store that needs a server.
 */
export function describeStoreContract(
  name: string,
  open: () => Promise<OpenedStore>,
  suite: (name: string, body: () => void) => void = describe,
): void {
  suite(`IdMapStore contract: ${name}`, () => {
    let store: IdMapStore;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ store, cleanup } = await open());
    });

    afterEach(async () => {
      await cleanup();
    });

    it('finds a stored entry by SCIM id, app id and externalId', async () => {
      const entry = makeEntry({
        externalId: 'ext-1',
        preserved: { userName: { original: 'jdoe@contoso.com', derived: 'jdoe' } },
      });
      await store.put(entry);
      expect(await store.get('User', entry.scimId)).toEqual(entry);
      expect(await store.findByAppId('User', entry.appId)).toEqual(entry);
      expect(await store.findByExternalId('User', 'ext-1')).toEqual(entry);
    });

    it('returns undefined for unknown keys', async () => {
      await store.put(makeEntry({ externalId: 'ext-1' }));
      expect(await store.get('User', 'nope')).toBeUndefined();
      expect(await store.findByAppId('User', 'nope')).toBeUndefined();
      expect(await store.findByExternalId('User', 'nope')).toBeUndefined();
    });

    it('matches externalId exactly (caseExact)', async () => {
      await store.put(makeEntry({ externalId: 'Ext-1' }));
      expect(await store.findByExternalId('User', 'ext-1')).toBeUndefined();
      expect(await store.findByExternalId('User', 'Ext-1 ')).toBeUndefined();
      expect(await store.findByExternalId('User', 'Ext-1')).toBeDefined();
    });

    it('keeps resource types apart', async () => {
      const user = makeEntry({ scimId: 'same', appId: '42', externalId: 'x' });
      const group = makeEntry({ resourceType: 'Group', scimId: 'same', appId: '42', externalId: 'x' });
      await store.put(user);
      await store.put(group);
      expect(await store.get('User', 'same')).toEqual(user);
      expect(await store.get('Group', 'same')).toEqual(group);
      expect(await store.findByAppId('Group', '42')).toEqual(group);
      expect(await store.size('User')).toBe(1);
      expect(await store.size('Group')).toBe(1);
    });

    it('drops the old externalId and appId keys when an update changes them', async () => {
      const entry = makeEntry({ appId: 'a-1', externalId: 'old' });
      await store.put(entry);
      const updated = { ...entry, appId: 'a-2', externalId: 'new', version: 2 };
      await store.put(updated);
      expect(await store.findByExternalId('User', 'old')).toBeUndefined();
      expect(await store.findByAppId('User', 'a-1')).toBeUndefined();
      expect(await store.findByExternalId('User', 'new')).toEqual(updated);
      expect(await store.findByAppId('User', 'a-2')).toEqual(updated);
      expect(await store.size('User')).toBe(1);
    });

    it('drops the externalId key when an update removes the externalId', async () => {
      const entry = makeEntry({ externalId: 'old' });
      await store.put(entry);
      const { externalId: _removed, ...withoutExternalId } = entry;
      await store.put(withoutExternalId);
      expect(await store.findByExternalId('User', 'old')).toBeUndefined();
      expect(await store.get('User', entry.scimId)).toEqual(withoutExternalId);
    });

    it('lets another resource take a key once its holder gave it up', async () => {
      const first = makeEntry({ appId: 'a', externalId: 'e' });
      await store.put(first);
      await store.put({ ...first, appId: 'a-moved', externalId: 'e-moved' });
      const second = makeEntry({ appId: 'a', externalId: 'e' });
      await store.put(second);
      expect(await store.findByAppId('User', 'a')).toEqual(second);
      expect(await store.findByExternalId('User', 'e')).toEqual(second);
    });

    it('refuses a second resource with the same appId', async () => {
      const first = makeEntry({ appId: 'a', externalId: 'e' });
      await store.put(first);
      await expect(store.put(makeEntry({ appId: 'a' }))).rejects.toMatchObject({
        key: 'appId',
        heldBy: first.scimId,
      });
      expect(await store.size('User')).toBe(1);
      expect(await store.findByAppId('User', 'a')).toEqual(first);
    });

    it('lets a later resource take over an externalId (SCIM does not make it unique)', async () => {
      const first = makeEntry({ externalId: 'e' });
      const second = makeEntry({ externalId: 'e' });
      await store.put(first);
      await store.put(second);
      expect(await store.size('User')).toBe(2);
      expect(await store.findByExternalId('User', 'e')).toEqual(second);
      await store.delete('User', first.scimId);
      expect(await store.findByExternalId('User', 'e')).toEqual(second);
    });

    it('deletes an entry and all its keys', async () => {
      const entry = makeEntry({ externalId: 'e' });
      const other = makeEntry();
      await store.put(entry);
      await store.put(other);
      await store.delete('User', entry.scimId);
      expect(await store.get('User', entry.scimId)).toBeUndefined();
      expect(await store.findByAppId('User', entry.appId)).toBeUndefined();
      expect(await store.findByExternalId('User', 'e')).toBeUndefined();
      expect(await store.size('User')).toBe(1);
      await store.delete('User', entry.scimId);
      await store.delete('Group', 'never-existed');
      expect(await store.get('User', other.scimId)).toEqual(other);
    });

    it('counts entries per resource type', async () => {
      expect(await store.size('User')).toBe(0);
      await Promise.all([makeEntry(), makeEntry(), makeEntry()].map((entry) => store.put(entry)));
      await store.put(makeEntry({ resourceType: 'Group' }));
      expect(await store.size('User')).toBe(3);
      expect(await store.size('Group')).toBe(1);
    });

    it('is not affected by callers modifying entries they passed in or got back', async () => {
      const entry = makeEntry({ preserved: { userName: { original: 'a', derived: 'b' } } });
      await store.put(entry);
      entry.version = 99;
      const read = await store.get('User', entry.scimId);
      read!.preserved!.userName!.original = 'changed';
      const again = await store.get('User', entry.scimId);
      expect(again?.version).toBe(1);
      expect(again?.preserved?.userName?.original).toBe('a');
    });

    it('refuses writes after close', async () => {
      await store.close();
      await expect(store.put(makeEntry())).rejects.toThrow(/closed/);
    });
  });
}
