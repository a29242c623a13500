import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Team } from '../../src/demo/demo-store.js';
import {
  type DemoSidecar,
  entraUser,
  GROUP_SCHEMA,
  LIST_RESPONSE_SCHEMA,
  patchOp,
  SCIM_BASE_URL,
  SCIM_ERROR_SCHEMA,
  type ScimResource,
  startDemoSidecar,
  type UpstreamCall,
} from '../helpers/sidecar.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let sc: DemoSidecar;
/** SCIM ids of users created for membership, and their app ids. */
const users: Array<{ id: string; appId: number }> = [];

beforeAll(async () => {
  sc = await startDemoSidecar();
  for (let i = 1; i <= 6; i++) {
    const res = await sc.scim('POST', '/Users', { body: entraUser(`member${i}@contoso.com`) });
    expect(res.status, res.text).toBe(201);
    const id = res.resource().id;
    const entry = await sc.idMap.get('User', id);
    users.push({ id, appId: Number(entry?.appId) });
  }
});

afterAll(async () => {
  await sc.close();
});

beforeEach(() => {
  sc.calls.length = 0;
});

function user(index: number): { id: string; appId: number } {
  const found = users[index];
  if (!found) throw new Error(`no test user ${index}`);
  return found;
}

let seq = 0;
function uniqueName(prefix: string): string {
  seq += 1;
  return `${prefix} ${seq}`;
}

async function createGroup(displayName: string, memberIds: string[] = []): Promise<ScimResource> {
  const res = await sc.scim('POST', '/Groups', {
    body: {
      schemas: [GROUP_SCHEMA],
      displayName,
      ...(memberIds.length > 0 ? { members: memberIds.map((value) => ({ value })) } : {}),
    },
  });
  expect(res.status, res.text).toBe(201);
  return res.resource();
}

async function teamOf(scimId: string): Promise<Team> {
  const entry = await sc.idMap.get('Group', scimId);
  expect(entry).toBeDefined();
  const team = sc.demo.store.getTeam(Number(entry?.appId));
  expect(team).toBeDefined();
  return team as Team;
}

async function teamAppId(scimId: string): Promise<number> {
  return Number((await sc.idMap.get('Group', scimId))?.appId);
}

function writes(calls: UpstreamCall[] = sc.calls): Array<{ method: string; path: string; body: unknown }> {
  return calls.filter((c) => c.method !== 'GET').map(({ method, path, body }) => ({ method, path, body }));
}

function memberValues(group: ScimResource): string[] {
  const members = (group.members ?? []) as Array<{ value: string }>;
  return members.map((m) => m.value).sort();
}

/** PATCH as Entra sends it: 204 without a body; the new state is read back. */
async function patchGroup(
  scimId: string,
  ...operations: Array<Record<string, unknown>>
): Promise<ScimResource> {
  const res = await sc.scim('PATCH', `/Groups/${scimId}`, { body: patchOp(...operations) });
  expect(res.status, res.text).toBe(204);
  const get = await sc.scim('GET', `/Groups/${scimId}`);
  expect(get.status, get.text).toBe(200);
  return get.resource();
}

describe('POST /Groups', () => {
  it('creates the team with its members and answers 201 with Location and meta', async () => {
    const res = await sc.scim('POST', '/Groups', {
      body: {
        schemas: [GROUP_SCHEMA],
        externalId: 'entra-group-1',
        displayName: 'Engineering',
        members: [{ value: user(0).id }, { value: user(1).id }],
      },
    });
    expect(res.status, res.text).toBe(201);
    const group = res.resource();
    expect(group.id).toMatch(UUID);
    expect(res.header('location')).toBe(`${SCIM_BASE_URL}/Groups/${group.id}`);
    expect(res.header('content-type')).toMatch(/^application\/scim\+json/);

    const team = await teamOf(group.id);
    expect(team).toEqual({ id: team.id, name: 'Engineering', member_ids: [user(0).appId, user(1).appId] });

    expect(group).toEqual({
      schemas: [GROUP_SCHEMA],
      id: group.id,
      externalId: 'entra-group-1',
      displayName: 'Engineering',
      members: expect.arrayContaining([
        { value: user(0).id, type: 'User' },
        { value: user(1).id, type: 'User' },
      ]),
      meta: {
        resourceType: 'Group',
        created: group.meta.created,
        lastModified: group.meta.lastModified,
        location: `${SCIM_BASE_URL}/Groups/${group.id}`,
        version: group.meta.version,
      },
    });
    expect(memberValues(group)).toHaveLength(2);
    expect(writes()).toEqual([
      {
        method: 'POST',
        path: '/api/teams',
        body: { team: { name: 'Engineering', member_ids: [user(0).appId, user(1).appId] } },
      },
    ]);

    const get = await sc.scim('GET', `/Groups/${group.id}`);
    expect(get.status).toBe(200);
    expect(get.resource()).toEqual(group);
  });

  it('answers 409 uniqueness for a name the app already has', async () => {
    const name = uniqueName('Duplicate');
    await createGroup(name);
    const res = await sc.scim('POST', '/Groups', { body: { schemas: [GROUP_SCHEMA], displayName: name } });
    expect(res.status).toBe(409);
    expect(res.error()).toMatchObject({
      schemas: [SCIM_ERROR_SCHEMA],
      status: '409',
      scimType: 'uniqueness',
    });
  });
});

describe('GET /Groups', () => {
  it('finds a group by displayName, case-insensitively', async () => {
    const name = uniqueName('Finance');
    const group = await createGroup(name, [user(2).id]);
    const res = await sc.scim(
      'GET',
      `/Groups?filter=${encodeURIComponent(`displayName eq "${name.toUpperCase()}"`)}`,
    );
    expect(res.status).toBe(200);
    expect(res.list()).toEqual({
      schemas: [LIST_RESPONSE_SCHEMA],
      totalResults: 1,
      startIndex: 1,
      itemsPerPage: 1,
      Resources: [group],
    });
  });

  it('leaves members out with excludedAttributes=members, without reading each team', async () => {
    const name = uniqueName('Legal');
    const group = await createGroup(name, [user(0).id, user(3).id]);
    const appId = await teamAppId(group.id);

    sc.calls.length = 0;
    const one = await sc.scim('GET', `/Groups/${group.id}?excludedAttributes=members`);
    expect(one.status).toBe(200);
    expect(one.resource().members).toBeUndefined();
    expect(one.resource().displayName).toBe(name);
    expect((await teamOf(group.id)).member_ids).toEqual([user(0).appId, user(3).appId]);

    sc.calls.length = 0;
    const list = await sc.scim(
      'GET',
      `/Groups?filter=${encodeURIComponent(`displayName eq "${name}"`)}&excludedAttributes=members`,
    );
    expect(list.status).toBe(200);
    expect(list.list().Resources).toHaveLength(1);
    expect(list.list().Resources[0]?.members).toBeUndefined();
    expect(sc.calls.map((c) => `${c.method} ${c.path}`)).not.toContain(`GET /api/teams/${appId}`);

    const all = await sc.scim('GET', '/Groups?excludedAttributes=members');
    expect(all.status).toBe(200);
    for (const g of all.list().Resources) expect(g.members).toBeUndefined();
  });

  it('answers 404 for an unknown id', async () => {
    const res = await sc.scim('GET', '/Groups/00000000-0000-4000-8000-000000000000');
    expect(res.status).toBe(404);
    expect(res.error()).toMatchObject({ schemas: [SCIM_ERROR_SCHEMA], status: '404' });
  });
});

describe('PATCH /Groups/:id membership', () => {
  it('adds a member with the dedicated call only', async () => {
    const group = await createGroup(uniqueName('Add'), [user(0).id]);
    const appId = await teamAppId(group.id);
    sc.calls.length = 0;
    const patched = await patchGroup(group.id, {
      op: 'Add',
      path: 'members',
      value: [{ value: user(1).id }],
    });
    expect((await teamOf(group.id)).member_ids).toEqual([user(0).appId, user(1).appId]);
    expect(memberValues(patched)).toEqual([user(0).id, user(1).id].sort());
    expect(writes()).toEqual([
      { method: 'POST', path: `/api/teams/${appId}/members`, body: { account_id: user(1).appId } },
    ]);
  });

  it('removes a member sent in the Entra form (path "members" with a value list)', async () => {
    const group = await createGroup(uniqueName('RemoveEntra'), [user(0).id, user(1).id, user(2).id]);
    const appId = await teamAppId(group.id);
    sc.calls.length = 0;
    const patched = await patchGroup(group.id, {
      op: 'Remove',
      path: 'members',
      value: [{ value: user(1).id }],
    });
    expect((await teamOf(group.id)).member_ids).toEqual([user(0).appId, user(2).appId]);
    expect(memberValues(patched)).toEqual([user(0).id, user(2).id].sort());
    expect(writes()).toEqual([
      { method: 'DELETE', path: `/api/teams/${appId}/members/${user(1).appId}`, body: undefined },
    ]);
  });

  it('removes a member addressed by members[value eq "<id>"]', async () => {
    const group = await createGroup(uniqueName('RemoveFilter'), [user(0).id, user(1).id]);
    const appId = await teamAppId(group.id);
    sc.calls.length = 0;
    const patched = await patchGroup(group.id, { op: 'Remove', path: `members[value eq "${user(0).id}"]` });
    expect((await teamOf(group.id)).member_ids).toEqual([user(1).appId]);
    expect(memberValues(patched)).toEqual([user(1).id]);
    expect(writes()).toEqual([
      { method: 'DELETE', path: `/api/teams/${appId}/members/${user(0).appId}`, body: undefined },
    ]);
  });

  it('removes every member when "members" is removed without a value', async () => {
    const group = await createGroup(uniqueName('RemoveAll'), [user(0).id, user(1).id]);
    const patched = await patchGroup(group.id, { op: 'Remove', path: 'members' });
    expect((await teamOf(group.id)).member_ids).toEqual([]);
    expect(patched.members).toBeUndefined();
  });

  it('adds a member who is already there with one idempotent call, reading nothing', async () => {
    const group = await createGroup(uniqueName('AlreadyIn'), [user(0).id]);
    const appId = await teamAppId(group.id);
    sc.calls.length = 0;
    const res = await sc.scim('PATCH', `/Groups/${group.id}`, {
      body: patchOp({ op: 'Add', path: 'members', value: [{ value: user(0).id }] }),
    });
    expect(res.status, res.text).toBe(204);
    expect(sc.calls.map((c) => `${c.method} ${c.path}`)).toEqual([`POST /api/teams/${appId}/members`]);
    expect((await teamOf(group.id)).member_ids).toEqual([user(0).appId]);
  });

  it('renames with "Replace" on displayName, keeping the members', async () => {
    const group = await createGroup(uniqueName('Old Name'), [user(4).id]);
    const appId = await teamAppId(group.id);
    const newName = uniqueName('New Name');
    sc.calls.length = 0;
    const patched = await patchGroup(group.id, { op: 'Replace', path: 'displayName', value: newName });
    expect(patched.displayName).toBe(newName);
    expect(memberValues(patched)).toEqual([user(4).id]);
    expect(await teamOf(group.id)).toEqual({ id: appId, name: newName, member_ids: [user(4).appId] });
    expect(writes().map((w) => `${w.method} ${w.path}`)).toEqual([`PUT /api/teams/${appId}`]);
  });

  it('renames with a path-less Replace', async () => {
    const group = await createGroup(uniqueName('Pathless'));
    const newName = uniqueName('Pathless Renamed');
    const patched = await patchGroup(group.id, { op: 'Replace', value: { displayName: newName } });
    expect(patched.displayName).toBe(newName);
    expect((await teamOf(group.id)).name).toBe(newName);
  });
});

describe('PUT /Groups/:id', () => {
  it('replaces name and members through the update and member calls', async () => {
    const group = await createGroup(uniqueName('Put'), [user(0).id, user(1).id]);
    const newName = uniqueName('Put Replaced');
    const res = await sc.scim('PUT', `/Groups/${group.id}`, {
      body: {
        schemas: [GROUP_SCHEMA],
        displayName: newName,
        members: [{ value: user(1).id }, { value: user(2).id }],
      },
    });
    expect(res.status, res.text).toBe(200);
    const team = await teamOf(group.id);
    expect(team.name).toBe(newName);
    expect([...team.member_ids].sort()).toEqual([user(1).appId, user(2).appId].sort());
    expect(memberValues(res.resource())).toEqual([user(1).id, user(2).id].sort());
  });

  it('a PUT without members removes them all, and its answer says so', async () => {
    const group = await createGroup(uniqueName('Put Empty'), [user(0).id, user(1).id]);
    const res = await sc.scim('PUT', `/Groups/${group.id}`, {
      body: { schemas: [GROUP_SCHEMA], displayName: group.displayName },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.resource().members).toBeUndefined();
    expect((await teamOf(group.id)).member_ids).toEqual([]);
  });
});

describe('DELETE /Groups/:id', () => {
  it('answers 204, then 404; the team is gone and its users are not', async () => {
    const group = await createGroup(uniqueName('Doomed'), [user(5).id]);
    const appId = await teamAppId(group.id);
    sc.calls.length = 0;
    const res = await sc.scim('DELETE', `/Groups/${group.id}`);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect(writes()).toEqual([{ method: 'DELETE', path: `/api/teams/${appId}`, body: undefined }]);
    expect(sc.demo.store.getTeam(appId)).toBeUndefined();
    expect(sc.demo.store.getAccount(user(5).appId)).toBeDefined();
    const get = await sc.scim('GET', `/Groups/${group.id}`);
    expect(get.status).toBe(404);
    expect(get.error().status).toBe('404');
  });
});

describe('a member deleted through SCIM', () => {
  it('no longer appears among the group members', async () => {
    const res = await sc.scim('POST', '/Users', { body: entraUser('leaver@contoso.com') });
    expect(res.status, res.text).toBe(201);
    const leaver = res.resource().id;
    const group = await createGroup(uniqueName('Leavers'), [user(0).id, leaver]);
    expect((await sc.scim('DELETE', `/Users/${leaver}`)).status).toBe(204);
    const get = await sc.scim('GET', `/Groups/${group.id}`);
    expect(get.status).toBe(200);
    expect(memberValues(get.resource())).toEqual([user(0).id]);
    expect((await teamOf(group.id)).member_ids).toEqual([user(0).appId]);
  });
});

describe('concurrent membership changes', () => {
  it('keeps all 20 members when 20 PATCHes each add a different member at once', async () => {
    const members: Array<{ id: string; appId: number }> = [];
    for (let i = 0; i < 20; i++) {
      const res = await sc.scim('POST', '/Users', { body: entraUser(`crowd${i}@contoso.com`) });
      expect(res.status, res.text).toBe(201);
      const id = res.resource().id;
      members.push({ id, appId: Number((await sc.idMap.get('User', id))?.appId) });
    }
    const group = await createGroup(uniqueName('Crowd'));

    const results = await Promise.all(
      members.map((m) =>
        sc.scim('PATCH', `/Groups/${group.id}`, {
          body: patchOp({ op: 'Add', path: 'members', value: [{ value: m.id }] }),
        }),
      ),
    );
    for (const res of results) expect(res.status, res.text).toBe(204);

    const team = await teamOf(group.id);
    expect([...team.member_ids].sort()).toEqual(members.map((m) => m.appId).sort());
    const get = await sc.scim('GET', `/Groups/${group.id}`);
    expect(memberValues(get.resource())).toEqual(members.map((m) => m.id).sort());

    // And the same for removals, in the Entra form.
    const removals = await Promise.all(
      members.map((m) =>
        sc.scim('PATCH', `/Groups/${group.id}`, {
          body: patchOp({ op: 'Remove', path: 'members', value: [{ value: m.id }] }),
        }),
      ),
    );
    for (const res of removals) expect(res.status, res.text).toBe(204);
    expect((await teamOf(group.id)).member_ids).toEqual([]);
  });
});
