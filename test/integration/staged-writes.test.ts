/**
 * A group PATCH answers only once the id map holds its change durably, but it holds the group's
 * lock only until the id map has taken the change: the next PATCH to the same group (Entra adds
 * members one request at a time) goes ahead while the first waits for its fsync. With the file
 * store's group commit, a stream of adds to one big group then shares fsyncs instead of queueing
 * behind one each.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdMapEntry, IdMapStore, StagedWrite } from '../../src/idmap/types.js';
import { DelegatingStore } from '../helpers/delegating-store.js';
import { type DemoSidecar, entraUser, GROUP_SCHEMA, patchOp, startDemoSidecar } from '../helpers/sidecar.js';

/** A store that applies writes at once and makes them durable only when told to. */
class SlowDiskStore extends DelegatingStore {
  private gate: Promise<void> | undefined;

  /** From now on, writes wait for the returned function to become durable. */
  holdDurability(): () => void {
    let release = () => {};
    this.gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    return () => {
      this.gate = undefined;
      release();
    };
  }

  write(entry: IdMapEntry): StagedWrite {
    const applied = this.inner.put(entry);
    const gate = this.gate ?? Promise.resolve();
    return { applied, durable: applied.then(() => gate) };
  }

  override put: IdMapStore['put'] = async (entry) => {
    await this.write(entry).durable;
  };
}

describe('a group PATCH and the id map write', () => {
  let sc: DemoSidecar;
  let store: SlowDiskStore | undefined;

  beforeAll(async () => {
    sc = await startDemoSidecar({
      clientProfile: 'entra',
      wrapStore: (memory) => {
        store = new SlowDiskStore(memory);
        return store;
      },
    });
  });
  afterAll(async () => sc.close());

  it('answers after the write is durable, and lets the next PATCH to the group go ahead meanwhile', async () => {
    const users: string[] = [];
    for (const name of ['staged-a', 'staged-b']) {
      const created = await sc.scim('POST', '/Users', { body: entraUser(`${name}@contoso.test`) });
      expect(created.status, created.text).toBe(201);
      users.push(created.resource().id as string);
    }
    const group = await sc.scim('POST', '/Groups', {
      body: { schemas: [GROUP_SCHEMA], displayName: 'Staged writes' },
    });
    expect(group.status, group.text).toBe(201);
    const path = `/Groups/${group.resource().id as string}`;
    const add = (member: string) =>
      sc.scim('PATCH', path, { body: patchOp({ op: 'add', path: 'members', value: [{ value: member }] }) });

    sc.calls.length = 0;
    const release = (store as SlowDiskStore).holdDurability();
    let answered = 0;
    const first = add(users[0] as string).then((res) => {
      answered++;
      return res;
    });
    const second = add(users[1] as string).then((res) => {
      answered++;
      return res;
    });
    // Both adds reach the app although the first one's write is not durable yet.
    await expect.poll(() => sc.calls.filter((call) => call.method === 'POST').length).toBe(2);
    expect(answered).toBe(0);
    release();
    expect((await first).status).toBe(204);
    expect((await second).status).toBe(204);

    const read = await sc.scim('GET', path);
    expect((read.resource().members as Array<{ value: string }>).map((m) => m.value).sort()).toEqual(
      [...users].sort(),
    );
  });
});
