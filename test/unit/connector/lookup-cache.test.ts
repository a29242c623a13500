import { describe, expect, it } from 'vitest';
import { LookupCache } from '../../../src/connector/lookup-cache.js';
import { outsideRequest } from '../../../src/connector/request-context.js';
import { loadMapping } from '../../../src/mapping/load-mapping.js';
import type { CompiledLookup } from '../../../src/mapping/mapping-types.js';

const mapping = loadMapping(
  '/tmp/lookups.yaml',
  `app: tiny
lookups:
  owner: { path: /me, value: id }
  role: { path: /roles/default, value: id }
resources:
  User:
    id: id
    toScim: '{ "userName": login }'
    fromScim: '{ "login": userName }'
    operations:
      create: { method: POST, path: /users, body: app }
      get: { method: GET, path: '/users/{appId}' }
      list: { method: GET, path: /users }
`,
);

/** A fetch the test answers by hand: every call waits until the test settles it. */
function handFetch() {
  const calls: Array<{ name: string; resolve: (value: unknown) => void; reject: (error: unknown) => void }> =
    [];
  const fetch = (lookup: CompiledLookup) =>
    new Promise<unknown>((resolve, reject) => {
      calls.push({ name: lookup.name, resolve, reject });
    });
  return { calls, fetch };
}

const context = outsideRequest();

describe('LookupCache', () => {
  it('asks once and keeps the value', async () => {
    const { calls, fetch } = handFetch();
    const cache = new LookupCache(mapping.lookups, fetch);
    const first = cache.valuesOf(context, ['owner']);
    calls[0]?.resolve(7);
    expect(await first).toEqual({ owner: 7 });
    expect(await cache.valuesOf(context, ['owner'])).toEqual({ owner: 7 });
    expect(calls.map((c) => c.name)).toEqual(['owner']);
  });

  it('lets concurrent first uses share the one call in flight', async () => {
    const { calls, fetch } = handFetch();
    const cache = new LookupCache(mapping.lookups, fetch);
    const waiting = [1, 2, 3, 4, 5].map(() => cache.valuesOf(context, ['owner', 'role']));
    expect(calls.map((c) => c.name)).toEqual(['owner', 'role']);
    calls[0]?.resolve('1');
    calls[1]?.resolve({ id: 'subscriber' });
    for (const values of await Promise.all(waiting))
      expect(values).toEqual({ owner: '1', role: { id: 'subscriber' } });
  });

  it('keeps no failure: every waiter gets a 502 naming the lookup, and the next use asks again', async () => {
    const { calls, fetch } = handFetch();
    const cache = new LookupCache(mapping.lookups, fetch);
    const waiting = [cache.valuesOf(context, ['owner']), cache.valuesOf(context, ['owner'])];
    calls[0]?.reject(new Error('The app rejected lookups.owner (HTTP 500)'));
    for (const result of await Promise.allSettled(waiting)) {
      expect(result).toMatchObject({
        status: 'rejected',
        reason: { status: 502, message: expect.stringMatching(/lookup owner .*lookups\.owner.*HTTP 500/) },
      });
    }
    const again = cache.valuesOf(context, ['owner']);
    expect(calls).toHaveLength(2);
    calls[1]?.resolve(1);
    expect(await again).toEqual({ owner: 1 });
  });

  it('takes an answer without the value for a failure', async () => {
    const { calls, fetch } = handFetch();
    const cache = new LookupCache(mapping.lookups, fetch);
    const first = cache.valuesOf(context, ['role']);
    calls[0]?.resolve(undefined);
    await expect(first).rejects.toMatchObject({
      status: 502,
      message: expect.stringContaining('value expression of lookups.role'),
    });
    const second = cache.valuesOf(context, ['role']);
    calls[1]?.resolve(3);
    expect(await second).toEqual({ role: 3 });
  });
});
