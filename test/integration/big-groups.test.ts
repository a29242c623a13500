/**
 * "All employees" groups have 10⁴–10⁵ members. The cost of one membership change must not depend
 * on the group's size, and no request may hold the event loop long enough to stall the others.
 * The users and groups are seeded straight into the demo app and the id map (thousands of SCIM
 * creates would only slow the suite); every request under test goes through HTTP. Durations are
 * the bench's business (bench/RESULTS.md); these tests count app calls and check that the process
 * keeps answering.
 */

import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdMapEntry } from '../../src/idmap/types.js';
import { type DemoSidecar, patchOp, startDemoSidecar } from '../helpers/sidecar.js';

const BIG = 10_000;
const NOW = '2026-01-01T00:00:00.000Z';

let sc: DemoSidecar;
/** SCIM ids of users known to the id map, and their app ids. */
const users: Array<{ scimId: string; appId: number }> = [];

async function seedUsers(count: number): Promise<void> {
  for (let i = users.length; i < count; i++) {
    const account = sc.demo.store.createAccount({
      login: `big-${i}`,
      first_name: 'Big',
      last_name: `User ${i}`,
    });
    const entry: IdMapEntry = {
      resourceType: 'User',
      scimId: randomUUID(),
      appId: String(account.id),
      created: NOW,
      lastModified: NOW,
      version: 1,
    };
    await sc.idMap.put(entry);
    users.push({ scimId: entry.scimId, appId: account.id });
  }
}

/** A group in the app with the first `size` seeded users, known to the id map. */
async function seedGroup(name: string, size: number): Promise<{ scimId: string; appId: number }> {
  const team = sc.demo.store.createTeam({ name, member_ids: users.slice(0, size).map((u) => u.appId) });
  const scimId = randomUUID();
  await sc.idMap.put({
    resourceType: 'Group',
    scimId,
    appId: String(team.id),
    created: NOW,
    lastModified: NOW,
    version: 1,
  });
  return { scimId, appId: team.id };
}

beforeAll(async () => {
  sc = await startDemoSidecar({ clientProfile: 'entra', bodyLimit: 8 * 1024 * 1024 });
  await seedUsers(BIG + 10);
}, 120_000);

afterAll(async () => {
  await sc?.close();
});

describe('membership changes cost the same at any group size', () => {
  it('adding one member: one app call, in a group of 10 and in a group of 10,000', async () => {
    const small = await seedGroup('Ten members', 10);
    const big = await seedGroup('Ten thousand members', BIG);
    const newcomer = users[BIG + 1] as { scimId: string; appId: number };
    const callsFor = async (groupId: string) => {
      sc.calls.length = 0;
      const res = await sc.scim('PATCH', `/Groups/${groupId}`, {
        body: patchOp({ op: 'Add', path: 'members', value: [{ value: newcomer.scimId }] }),
      });
      expect(res.status, res.text).toBe(204);
      return sc.calls.map((c) => `${c.method} ${c.path.replace(/\d+/g, 'N')}`);
    };
    const smallCalls = await callsFor(small.scimId);
    const bigCalls = await callsFor(big.scimId);
    expect(smallCalls).toEqual(['POST /api/teams/N/members']);
    expect(bigCalls).toEqual(smallCalls);
    expect(sc.demo.store.getTeam(big.appId)?.member_ids).toHaveLength(BIG + 1);
  });

  it('removing one member of 10,000: one app call', async () => {
    const big = await seedGroup('Ten thousand, one leaves', BIG);
    const leaver = users[42] as { scimId: string; appId: number };
    sc.calls.length = 0;
    const res = await sc.scim('PATCH', `/Groups/${big.scimId}`, {
      body: patchOp({ op: 'Remove', path: `members[value eq "${leaver.scimId}"]` }),
    });
    expect(res.status, res.text).toBe(204);
    expect(sc.calls.map((c) => c.method)).toEqual(['DELETE']);
    expect(sc.demo.store.getTeam(big.appId)?.member_ids).not.toContain(leaver.appId);
  });
});

describe('big requests do not stall the process', () => {
  it('one PATCH adding 15,000 unknown member ids: 204, no app call, and /healthz keeps answering', async () => {
    const group = await seedGroup('Fifteen thousand strangers', 0);
    const unknown = Array.from({ length: 15_000 }, () => ({ value: randomUUID() }));
    const delay = monitorEventLoopDelay({ resolution: 10 });
    const health: number[] = [];
    let done = false;
    sc.calls.length = 0;
    delay.enable();
    const patch = sc
      .scim('PATCH', `/Groups/${group.scimId}`, {
        body: patchOp({ op: 'Add', path: 'members', value: unknown }),
      })
      .finally(() => {
        done = true;
      });
    while (!done) {
      const res = await sc.app.inject({ method: 'GET', url: '/healthz' });
      health.push(res.statusCode);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    delay.disable();
    const res = await patch;
    expect(res.status, res.text).toBe(204);
    expect(sc.calls).toEqual([]);
    expect(health.every((status) => status === 200)).toBe(true);
    // Not a benchmark: a loop that never yielded would show one delay as long as the request.
    expect(delay.max / 1e6).toBeLessThan(1_000);
  });

  it('one PATCH adding 3,000 known members: one call each, and /healthz keeps answering', async () => {
    const group = await seedGroup('Three thousand joiners', 0);
    const joiners = users.slice(0, 3_000);
    let done = false;
    let answered = 0;
    sc.calls.length = 0;
    const patch = sc
      .scim('PATCH', `/Groups/${group.scimId}`, {
        body: patchOp({ op: 'Add', path: 'members', value: joiners.map((u) => ({ value: u.scimId })) }),
      })
      .finally(() => {
        done = true;
      });
    while (!done) {
      if ((await sc.app.inject({ method: 'GET', url: '/healthz' })).statusCode === 200) answered++;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const res = await patch;
    expect(res.status, res.text).toBe(204);
    expect(sc.calls).toHaveLength(3_000);
    expect(answered).toBeGreaterThan(0);
    expect(sc.demo.store.getTeam(group.appId)?.member_ids).toHaveLength(3_000);
  }, 60_000);

  it('GET of a 10,000-member group lists every member; with excludedAttributes=members it translates none', async () => {
    const big = await seedGroup('Ten thousand, read', BIG);
    const full = await sc.scim('GET', `/Groups/${big.scimId}`);
    expect(full.status, full.text).toBe(200);
    expect(full.header('content-type')).toContain('application/scim+json');
    expect((full.resource().members as unknown[]).length).toBe(BIG);
    // Serialised and hashed in chunks: the ETag is meta.version, and the client's copy is current.
    const etag = full.header('etag');
    expect(etag).toBe((full.resource().meta as { version?: string }).version);
    const again = await sc.scim('GET', `/Groups/${big.scimId}`, { headers: { 'if-none-match': etag ?? '' } });
    expect(again.status).toBe(304);
    const entriesBefore = await sc.idMap.size('User');
    const lean = await sc.scim('GET', `/Groups/${big.scimId}?excludedAttributes=members`);
    expect(lean.status, lean.text).toBe(200);
    expect(lean.resource().members).toBeUndefined();
    expect(await sc.idMap.size('User')).toBe(entriesBefore);
  });
});
