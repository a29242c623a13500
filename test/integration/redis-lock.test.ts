import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectRedis } from '../../src/idmap/redis-store.js';
import { RedisResourceLock, type RedisResourceLockOptions } from '../../src/locks/redis-lock.js';
import { ScimError } from '../../src/scim/errors.js';
import { describeWithRedis, type RedisServer, startRedisServer } from '../helpers/redis-server.js';

let server: RedisServer;
/** Two connections, as two replicas have. */
let first: Redis;
let second: Redis;
/** For looking at the lock keys from outside. */
let observer: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  [first, second, observer] = await Promise.all([
    connectRedis(server.url),
    connectRedis(server.url),
    connectRedis(server.url),
  ]);
});

afterAll(async () => {
  await Promise.all([first, second, observer].map((c) => c?.quit()));
  await server?.stop();
});

/** One lock per connection, on a prefix of their own. */
function twoLocks(
  options: RedisResourceLockOptions = {},
  optionsOfB: RedisResourceLockOptions = options,
): {
  a: RedisResourceLock;
  b: RedisResourceLock;
  lockKey: (key: string) => string;
} {
  const keyPrefix = `test-${randomUUID()}`;
  return {
    a: new RedisResourceLock(first, { keyPrefix, ...options }),
    b: new RedisResourceLock(second, { keyPrefix, ...optionsOfB }),
    lockKey: (key) => `${keyPrefix}:lock:${key}`,
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describeWithRedis('RedisResourceLock', () => {
  it('lets one holder at a time run on a key, across two connections', async () => {
    const { a, b } = twoLocks();
    let active = 0;
    let maxActive = 0;
    let counter = 0;
    const work = async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      // A read-modify-write that loses updates if two runs overlap.
      const seen = counter;
      await sleep(Math.random() * 4);
      counter = seen + 1;
      active--;
    };
    await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? a : b).run('User:1', work)));
    expect(maxActive).toBe(1);
    expect(counter).toBe(30);
  });

  it('returns what the work returns and lets different keys run side by side', async () => {
    const { a, b } = twoLocks();
    const started = Date.now();
    const [x, y] = await Promise.all([
      a.run('User:1', async () => {
        await sleep(400);
        return 'x';
      }),
      b.run('User:2', async () => {
        await sleep(400);
        return 'y';
      }),
    ]);
    expect([x, y]).toEqual(['x', 'y']);
    // One after the other would take 800 ms or more.
    expect(Date.now() - started).toBeLessThan(750);
  });

  it('renews the lease while long work runs, so nobody else gets in', async () => {
    const { a, b, lockKey } = twoLocks({ leaseMs: 150, renewEveryMs: 40, maxWaitMs: 5_000 });
    const events: string[] = [];
    const ttls: number[] = [];
    const long = a.run('Group:g', async () => {
      events.push('a start');
      for (let i = 0; i < 8; i++) {
        await sleep(100);
        ttls.push(await observer.pttl(lockKey('Group:g')));
      }
      events.push('a end');
    });
    await sleep(30);
    await b.run('Group:g', async () => {
      events.push('b start');
    });
    await long;
    // 800 ms of work against a 150 ms lease: only renewal kept the key alive.
    expect(events).toEqual(['a start', 'a end', 'b start']);
    for (const ttl of ttls) expect(ttl).toBeGreaterThan(0);
  });

  it('releases the lock when the work throws, and passes the error on', async () => {
    const { a, b, lockKey } = twoLocks({ maxWaitMs: 200 });
    const error = await rejection(
      a.run('User:1', async () => {
        throw new Error('boom');
      }),
    );
    expect(error).toEqual(new Error('boom'));
    expect(await observer.exists(lockKey('User:1'))).toBe(0);
    // Had the lock stayed (15 s lease), b would get a 503 after its 200 ms wait.
    expect(await b.run('User:1', async () => 'next')).toBe('next');
  });

  it('gives up after maxWaitMs with a 503 and Retry-After', async () => {
    const { a, b } = twoLocks({ maxWaitMs: 150, retryAfterSeconds: 3 });
    let release!: () => void;
    const held = a.run('User:1', () => new Promise<void>((resolve) => (release = resolve)));
    await sleep(20);
    const started = Date.now();
    let ran = false;
    const error = await rejection(
      b.run('User:1', async () => {
        ran = true;
      }),
    );
    const waited = Date.now() - started;
    release();
    await held;
    expect(ran).toBe(false);
    expect(error).toBeInstanceOf(ScimError);
    expect(error).toMatchObject({ status: 503, retryAfter: 3 });
    expect((error as ScimError).message).toMatch(/retry/i);
    expect(waited).toBeGreaterThanOrEqual(140);
    expect(waited).toBeLessThan(1_000);
  });

  it('never deletes a lock someone else took after its own lease ran out', async () => {
    // No renewal: a's lease lapses during its work (as if a's replica had stalled).
    const { a, b, lockKey } = twoLocks(
      { leaseMs: 100, renewEveryMs: 60_000, maxWaitMs: 2_000 },
      { leaseMs: 100, renewEveryMs: 30, maxWaitMs: 2_000 },
    );
    let bHolds = false;
    let stillThereAfterARelease = false;
    let releaseB!: () => void;
    const bCanFinish = new Promise<void>((resolve) => (releaseB = resolve));
    const aRun = a.run('User:1', () => sleep(250));
    await sleep(20);
    const bRun = b.run('User:1', async () => {
      bHolds = true;
      await bCanFinish;
    });
    await aRun;
    expect(bHolds).toBe(true);
    stillThereAfterARelease = (await observer.exists(lockKey('User:1'))) === 1;
    releaseB();
    await bRun;
    expect(stillThereAfterARelease).toBe(true);
    expect(await observer.exists(lockKey('User:1'))).toBe(0);
  });

  it('reports a lease it finds gone while the work still runs', async () => {
    const lost: string[] = [];
    const { a, lockKey } = twoLocks({ leaseMs: 1_000, renewEveryMs: 30, onLeaseLost: (k) => lost.push(k) });
    await a.run('User:9', async () => {
      await observer.set(lockKey('User:9'), 'someone-else');
      await sleep(120);
    });
    expect(lost).toEqual(['User:9']);
    // The other holder's lock is left alone.
    expect(await observer.get(lockKey('User:9'))).toBe('someone-else');
    await observer.del(lockKey('User:9'));
  });

  it('answers 503 when Redis cannot be reached', async () => {
    const client = await connectRedis(server.url);
    client.disconnect();
    const lock = new RedisResourceLock(client, { keyPrefix: `test-${randomUUID()}`, retryAfterSeconds: 5 });
    const error = await rejection(lock.run('User:1', async () => 'never'));
    expect(error).toBeInstanceOf(ScimError);
    expect(error).toMatchObject({ status: 503, retryAfter: 5 });
    expect((error as ScimError).message).toMatch(/Redis/);
  });
});
