import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { IdMapConflictError } from '../../src/idmap/entry-index.js';
import { connectRedis, RedisIdMapStore, redactRedisUrl } from '../../src/idmap/redis-store.js';
import { describeWithRedis, type RedisServer, startRedisServer } from '../helpers/redis-server.js';
import { describeStoreContract } from '../helpers/store-contract.js';
import { makeEntry } from '../unit/idmap/helpers.js';

let server: RedisServer;

beforeAll(async () => {
  server = await startRedisServer();
});

afterAll(async () => {
  await server?.stop();
});

/** Every test gets its own key prefix on the one server, so no test sees another's keys. */
function freshPrefix(): string {
  return `test-${randomUUID()}`;
}

describeStoreContract(
  'RedisIdMapStore',
  async () => {
    const store = await RedisIdMapStore.open(server.url, { keyPrefix: freshPrefix() });
    return { store, cleanup: () => store.close() };
  },
  describeWithRedis,
);

describeWithRedis('RedisIdMapStore on a shared Redis', () => {
  const opened: Array<{ close: () => Promise<unknown> }> = [];
  let raw: Redis;

  beforeAll(async () => {
    raw = await connectRedis(server.url);
  });

  afterAll(async () => {
    await raw?.quit();
  });

  afterEach(async () => {
    for (const item of opened.splice(0)) await item.close();
  });

  /** Two stores with the same prefix on separate connections: two replicas. */
  async function replicas(count = 2): Promise<{ prefix: string; stores: RedisIdMapStore[] }> {
    const prefix = freshPrefix();
    const stores: RedisIdMapStore[] = [];
    for (let i = 0; i < count; i++) {
      const store = await RedisIdMapStore.open(server.url, { keyPrefix: prefix });
      opened.push(store);
      stores.push(store);
    }
    return { prefix, stores };
  }

  it('lays entries, index keys and counts out under the documented keys', async () => {
    const [store] = (await replicas(1)).stores;
    const prefix = store!.keyPrefix;
    const entry = makeEntry({ scimId: 's-1', appId: 'a:1', externalId: 'e 1' });
    await store!.put(entry);
    await store!.put(makeEntry({ resourceType: 'Group', scimId: 'g-1', appId: '7' }));
    expect((await raw.keys(`${prefix}:*`)).sort()).toEqual(
      [
        `${prefix}:Group:app:7`,
        `${prefix}:Group:count`,
        `${prefix}:Group:scim:g-1`,
        `${prefix}:User:app:a:1`,
        `${prefix}:User:count`,
        `${prefix}:User:ext:e 1`,
        `${prefix}:User:scim:s-1`,
      ].sort(),
    );
    expect(JSON.parse((await raw.get(`${prefix}:User:scim:s-1`)) ?? 'null')).toEqual(entry);
    expect(await raw.get(`${prefix}:User:app:a:1`)).toBe('s-1');
    expect(await raw.get(`${prefix}:User:ext:e 1`)).toBe('s-1');
    expect(await raw.get(`${prefix}:User:count`)).toBe('1');

    await store!.delete('User', 's-1');
    expect((await raw.keys(`${prefix}:User:*`)).sort()).toEqual([`${prefix}:User:count`]);
    expect(await raw.get(`${prefix}:User:count`)).toBe('0');
  });

  it('shows each replica what the other wrote', async () => {
    const [a, b] = (await replicas()).stores as [RedisIdMapStore, RedisIdMapStore];
    const entry = makeEntry({ externalId: 'ext-1' });
    await a.put(entry);
    expect(await b.get('User', entry.scimId)).toEqual(entry);
    expect(await b.findByAppId('User', entry.appId)).toEqual(entry);
    expect(await b.findByExternalId('User', 'ext-1')).toEqual(entry);

    const moved = { ...entry, appId: 'moved', externalId: 'ext-2', version: 2 };
    await b.put(moved);
    expect(await a.findByAppId('User', entry.appId)).toBeUndefined();
    expect(await a.findByExternalId('User', 'ext-1')).toBeUndefined();
    expect(await a.findByAppId('User', 'moved')).toEqual(moved);

    await a.delete('User', entry.scimId);
    expect(await b.get('User', entry.scimId)).toBeUndefined();
    expect(await b.size('User')).toBe(0);
  });

  it('refuses an appId held through another replica', async () => {
    const [a, b] = (await replicas()).stores as [RedisIdMapStore, RedisIdMapStore];
    const first = makeEntry({ appId: 'shared' });
    await a.put(first);
    const second = makeEntry({ appId: 'shared' });
    const error = await b.put(second).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(IdMapConflictError);
    expect(error).toMatchObject({
      resourceType: 'User',
      key: 'appId',
      value: 'shared',
      heldBy: first.scimId,
    });
    expect(await a.get('User', second.scimId)).toBeUndefined();
    expect(await a.size('User')).toBe(1);
  });

  it('lets exactly one of many concurrent claims on an appId win, across replicas', async () => {
    const { stores } = await replicas(4);
    const claims = Array.from({ length: 40 }, (_, i) => makeEntry({ appId: 'contested', version: i }));
    const results = await Promise.allSettled(claims.map((entry, i) => stores[i % stores.length]!.put(entry)));
    const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [claims[i]!] : []));
    expect(won).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(IdMapConflictError);
    }
    expect(await stores[0]!.findByAppId('User', 'contested')).toEqual(won[0]);
    expect(await stores[0]!.size('User')).toBe(1);
  });

  it('keeps the count exact under concurrent puts and deletes of the same entries', async () => {
    const { stores } = await replicas(3);
    const entries = Array.from({ length: 30 }, () => makeEntry());
    await Promise.all(entries.map((e, i) => stores[i % 3]!.put(e)));
    // Rewrites of existing entries and repeated deletes must not move the count.
    await Promise.all([
      ...entries.map((e, i) => stores[(i + 1) % 3]!.put({ ...e, version: 2 })),
      ...entries
        .slice(0, 10)
        .flatMap((e, i) => [
          stores[i % 3]!.delete('User', e.scimId),
          stores[(i + 2) % 3]!.delete('User', e.scimId),
        ]),
    ]);
    const live = await Promise.all(entries.map((e) => stores[0]!.get('User', e.scimId)));
    expect(await stores[0]!.size('User')).toBe(live.filter((e) => e !== undefined).length);
  });

  it('reloads its scripts when Redis has forgotten them (SCRIPT FLUSH, a restart)', async () => {
    const [store] = (await replicas(1)).stores;
    await raw.script('FLUSH');
    const entry = makeEntry({ externalId: 'x' });
    await store!.put(entry);
    await raw.script('FLUSH');
    expect(await store!.findByExternalId('User', 'x')).toEqual(entry);
    await raw.script('FLUSH');
    await store!.delete('User', entry.scimId);
    expect(await store!.size('User')).toBe(0);
  });

  it('leaves a connection it was given open on close', async () => {
    const client = await connectRedis(server.url);
    const store = new RedisIdMapStore(client, { keyPrefix: freshPrefix(), ownsClient: false });
    await store.close();
    await expect(store.put(makeEntry())).rejects.toThrow(/closed/);
    expect(await client.ping()).toBe('PONG');
    await client.quit();
  });
});

describeWithRedis('connecting to Redis', () => {
  let guarded: RedisServer;

  beforeAll(async () => {
    guarded = await startRedisServer({ password: 's3cret/pa:ss@word' });
  });

  afterAll(async () => {
    await guarded?.stop();
  });

  it('authenticates with the password in the URL (percent-encoded)', async () => {
    expect(guarded.url).toContain(encodeURIComponent('s3cret/pa:ss@word'));
    const store = await RedisIdMapStore.open(guarded.url, { keyPrefix: freshPrefix() });
    try {
      await store.put(makeEntry());
      expect(await store.size('User')).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('names the server but never the password when the password is wrong', async () => {
    const url = `redis://:wrong-password-123@127.0.0.1:${guarded.port}`;
    const error = await RedisIdMapStore.open(url).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(
      /^Cannot connect to Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+.*WRONGPASS/,
    );
    expect(error?.message).not.toContain('wrong-password-123');
  });

  it('fails fast, without the password, when nothing listens', async () => {
    // The guarded server's port is taken; port 1 on 127.0.0.1 is refused without a wait.
    const error = await RedisIdMapStore.open('redis://:hunter2@127.0.0.1:1').then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(
      /^Cannot connect to Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1.*ECONNREFUSED/,
    );
    expect(error?.message).not.toContain('hunter2');
  });

  it('masks the password when printing a URL', () => {
    expect(redactRedisUrl('redis://:p%40ss@redis.internal:6380/2')).toBe(
      'redis://:***@redis.internal:6380/2',
    );
    expect(redactRedisUrl('rediss://user:pw@h')).toBe('rediss://user:***@h');
    expect(redactRedisUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(redactRedisUrl('not a url :pw@')).toBe('<invalid Redis URL>');
  });
});
