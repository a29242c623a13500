/**
 * Okta sends each member it adds with its `display`; the adapter keeps those texts in the group's
 * id map entry (the app has none) and shows them on reads. What one add writes must not grow
 * with the group: past a bound, further displays are not kept (RFC 7643 makes `display`
 * optional), and a group of thousands of members costs each add a small, fixed write.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdMapStore } from '../../src/idmap/types.js';
import { MAX_MEMBER_DISPLAYS } from '../../src/service/resource-codec.js';
import { DelegatingStore } from '../helpers/delegating-store.js';
import { type DemoSidecar, GROUP_SCHEMA, patchOp, startDemoSidecar } from '../helpers/sidecar.js';

/** Remembers how many bytes of JSON each write of a Group entry held. */
class MeasuringStore extends DelegatingStore {
  readonly groupWrites: number[] = [];

  override put: IdMapStore['put'] = async (entry) => {
    if (entry.resourceType === 'Group') this.groupWrites.push(JSON.stringify(entry).length);
    await this.inner.put(entry);
  };
}

describe('member displays (Okta)', () => {
  let sc: DemoSidecar;
  let store: MeasuringStore | undefined;

  beforeAll(async () => {
    sc = await startDemoSidecar({
      clientProfile: 'okta',
      wrapStore: (memory) => {
        store = new MeasuringStore(memory);
        return store;
      },
    });
  });
  afterAll(async () => sc.close());

  it('keeps displays up to a bound, so an add to a big group writes little', async () => {
    const total = MAX_MEMBER_DISPLAYS + 50;
    const users: string[] = [];
    for (let i = 0; i < total; i++) {
      const account = sc.demo.store.createAccount({
        login: `okta-${i}@contoso.test`,
        first_name: 'O',
        last_name: `${i}`,
      });
      // Users the adapter knows: adopted by a read, as after an import.
      const found = await sc.scim(
        'GET',
        `/Users?filter=${encodeURIComponent(`userName eq "${account.login}"`)}`,
      );
      users.push((found.json as { Resources: Array<{ id: string }> }).Resources[0]?.id as string);
    }
    const group = await sc.scim('POST', '/Groups', {
      body: { schemas: [GROUP_SCHEMA], displayName: 'Okta everyone' },
    });
    expect(group.status, group.text).toBe(201);
    const path = `/Groups/${group.resource().id as string}`;
    for (let i = 0; i < total; i++) {
      const res = await sc.scim('PATCH', path, {
        body: patchOp({
          op: 'add',
          path: 'members',
          value: [{ value: users[i], display: `okta-${i}@contoso.test` }],
        }),
      });
      expect([200, 204]).toContain(res.status);
    }
    const writes = (store as MeasuringStore).groupWrites;
    const last = writes[writes.length - 1] as number;
    const atBound = writes[MAX_MEMBER_DISPLAYS] as number;
    // Past the bound, an add writes no more than it did at the bound.
    expect(last).toBeLessThanOrEqual(atBound);
    const read = await sc.scim('GET', path);
    const members = read.resource().members as Array<{ value: string; display?: string }>;
    expect(members).toHaveLength(total);
    expect(members.filter((m) => m.display !== undefined)).toHaveLength(MAX_MEMBER_DISPLAYS);
    expect(members.find((m) => m.value === users[0])?.display).toBe('okta-0@contoso.test');
  });
});
