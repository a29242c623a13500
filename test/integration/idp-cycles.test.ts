import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DemoSidecar,
  ENTERPRISE_SCHEMA,
  GROUP_SCHEMA,
  patchOp,
  startDemoSidecar,
  USER_SCHEMA,
} from '../helpers/sidecar.js';

/**
 * The request sequences Microsoft Entra ID (both PATCH dialects) and Okta send during a
 * provisioning cycle, replayed against the demo app; the app's own state is checked after
 * every step.
 */
let sc: DemoSidecar;

beforeAll(async () => {
  sc = await startDemoSidecar();
});

afterAll(async () => {
  await sc.close();
});

function account(scimId: string) {
  return sc.idMap.get('User', scimId).then((entry) => sc.demo.store.getAccount(Number(entry?.appId)));
}

function team(scimId: string) {
  return sc.idMap.get('Group', scimId).then((entry) => sc.demo.store.getTeam(Number(entry?.appId)));
}

const dialects = [
  {
    name: 'Entra (default dialect)',
    updateName: (given: string) => patchOp({ op: 'Replace', path: 'name.givenName', value: given }),
    updateDepartment: (department: string) =>
      patchOp({ op: 'Add', path: `${ENTERPRISE_SCHEMA}:department`, value: department }),
    setActive: (active: boolean) =>
      patchOp({ op: 'Replace', path: 'active', value: active ? 'True' : 'False' }),
    rename: (name: string) => patchOp({ op: 'Replace', path: 'displayName', value: name }),
  },
  {
    name: 'Entra with aadOptscim062020',
    updateName: (given: string) => patchOp({ op: 'replace', value: { 'name.givenName': given } }),
    updateDepartment: (department: string) =>
      patchOp({ op: 'add', value: { [`${ENTERPRISE_SCHEMA}:department`]: department } }),
    setActive: (active: boolean) => patchOp({ op: 'replace', value: { active } }),
    rename: (name: string) => patchOp({ op: 'replace', value: { displayName: name } }),
  },
];

describe.each(dialects)('$name provisioning cycle', (dialect) => {
  const tag = randomUUID().slice(0, 8);
  const userName = `cycle.${tag}@contoso.com`;
  let userId = '';
  let memberId = '';
  let groupId = '';

  it('Test Connection: a filter on a random GUID answers an empty list', async () => {
    const res = await sc.scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${randomUUID()}"`)}`);
    expect(res.status).toBe(200);
    expect(res.list().totalResults).toBe(0);
    expect(res.list().Resources).toEqual([]);
  });

  it('looks the user up, finds nothing, creates it', async () => {
    const lookup = await sc.scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`);
    expect(lookup.list().totalResults).toBe(0);
    const created = await sc.scim('POST', '/Users', {
      body: {
        schemas: [USER_SCHEMA, ENTERPRISE_SCHEMA],
        externalId: `ext-${tag}`,
        userName,
        active: true,
        displayName: 'Cycle User',
        name: { givenName: 'Cycle', familyName: 'User', formatted: 'Cycle User' },
        emails: [{ primary: true, type: 'work', value: userName }],
        [ENTERPRISE_SCHEMA]: { department: 'Engineering' },
      },
    });
    expect(created.status, created.text).toBe(201);
    userId = created.resource().id;
    expect(await account(userId)).toMatchObject({
      login: userName,
      first_name: 'Cycle',
      department: 'Engineering',
      enabled: true,
    });
  });

  it('finds the user by userName and by externalId', async () => {
    const byName = await sc.scim(
      'GET',
      `/Users?filter=${encodeURIComponent(`userName eq "${userName.toUpperCase()}"`)}`,
    );
    expect(byName.list().Resources.map((r) => r.id)).toEqual([userId]);
    const byExternal = await sc.scim(
      'GET',
      `/Users?filter=${encodeURIComponent(`externalId eq "ext-${tag}"`)}`,
    );
    expect(byExternal.list().Resources.map((r) => r.id)).toEqual([userId]);
  });

  it('updates attributes', async () => {
    expect((await sc.scim('PATCH', `/Users/${userId}`, { body: dialect.updateName('Renamed') })).status).toBe(
      204,
    );
    expect(
      (await sc.scim('PATCH', `/Users/${userId}`, { body: dialect.updateDepartment('Sales') })).status,
    ).toBe(204);
    expect(await account(userId)).toMatchObject({
      first_name: 'Renamed',
      last_name: 'User',
      department: 'Sales',
    });
  });

  it('disables and re-enables the user; a disabled user is still found by filter', async () => {
    expect((await sc.scim('PATCH', `/Users/${userId}`, { body: dialect.setActive(false) })).status).toBe(204);
    expect((await account(userId))?.enabled).toBe(false);
    const found = await sc.scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`);
    expect(found.list().Resources[0]?.active).toBe(false);
    expect((await sc.scim('PATCH', `/Users/${userId}`, { body: dialect.setActive(true) })).status).toBe(204);
    expect((await account(userId))?.enabled).toBe(true);
  });

  it('creates a group, adds members, removes one the way Entra does', async () => {
    const member = await sc.scim('POST', '/Users', {
      body: {
        schemas: [USER_SCHEMA],
        userName: `member.${tag}@contoso.com`,
        name: { givenName: 'M', familyName: 'Ember' },
      },
    });
    memberId = member.resource().id;
    const lookup = await sc.scim(
      'GET',
      `/Groups?filter=${encodeURIComponent(`displayName eq "Cycle ${tag}"`)}&excludedAttributes=members`,
    );
    expect(lookup.list().totalResults).toBe(0);
    const group = await sc.scim('POST', '/Groups', {
      body: { schemas: [GROUP_SCHEMA], displayName: `Cycle ${tag}`, members: [] },
    });
    expect(group.status).toBe(201);
    groupId = group.resource().id;
    const add = await sc.scim('PATCH', `/Groups/${groupId}`, {
      body: patchOp({ op: 'Add', path: 'members', value: [{ value: userId }, { value: memberId }] }),
    });
    expect(add.status).toBe(204);
    const userApp = (await account(userId))?.id;
    const memberApp = (await account(memberId))?.id;
    expect((await team(groupId))?.member_ids.sort()).toEqual([userApp, memberApp].sort());
    const remove = await sc.scim('PATCH', `/Groups/${groupId}`, {
      body: patchOp({ op: 'Remove', path: 'members', value: [{ value: memberId }] }),
    });
    expect(remove.status).toBe(204);
    expect((await team(groupId))?.member_ids).toEqual([userApp]);
  });

  it('renames the group', async () => {
    expect(
      (await sc.scim('PATCH', `/Groups/${groupId}`, { body: dialect.rename(`Renamed ${tag}`) })).status,
    ).toBe(204);
    expect((await team(groupId))?.name).toBe(`Renamed ${tag}`);
    const read = await sc.scim('GET', `/Groups/${groupId}`);
    expect(read.resource().displayName).toBe(`Renamed ${tag}`);
  });

  it('deletes the user and the group', async () => {
    const appUser = (await account(userId))?.id;
    const appGroup = (await team(groupId))?.id;
    expect((await sc.scim('DELETE', `/Users/${userId}`)).status).toBe(204);
    expect((await sc.scim('DELETE', `/Groups/${groupId}`)).status).toBe(204);
    expect(sc.demo.store.getAccount(Number(appUser))).toBeUndefined();
    expect(sc.demo.store.getTeam(Number(appGroup))).toBeUndefined();
    expect((await sc.scim('GET', `/Users/${userId}`)).status).toBe(404);
  });
});

describe('Okta provisioning cycle', () => {
  const tag = randomUUID().slice(0, 8);
  const okta = { headers: { 'user-agent': 'Okta SCIM Client 1.0.0' } };
  let userId = '';
  let groupId = '';
  let memberId = '';

  it('creates, reads, and updates a user with a full PUT', async () => {
    const created = await sc.scim('POST', '/Users', {
      ...okta,
      body: {
        schemas: [USER_SCHEMA],
        userName: `okta.${tag}@example.com`,
        name: { givenName: 'Okta', familyName: 'User' },
        emails: [{ primary: true, value: `okta.${tag}@example.com`, type: 'work' }],
        displayName: 'Okta User',
        active: true,
      },
    });
    expect(created.status).toBe(201);
    userId = created.resource().id;
    const read = await sc.scim('GET', `/Users/${userId}`, okta);
    const put = await sc.scim('PUT', `/Users/${userId}`, {
      ...okta,
      body: { ...read.resource(), name: { givenName: 'Okta', familyName: 'Changed' } },
    });
    expect(put.status).toBe(200);
    expect(put.resource().name).toMatchObject({ familyName: 'Changed' });
    expect(await account(userId)).toMatchObject({ last_name: 'Changed', enabled: true });
  });

  it('deactivates with a full PUT carrying active: false', async () => {
    const read = await sc.scim('GET', `/Users/${userId}`, okta);
    const put = await sc.scim('PUT', `/Users/${userId}`, {
      ...okta,
      body: { ...read.resource(), active: false },
    });
    expect(put.status).toBe(200);
    expect(put.resource().active).toBe(false);
    expect((await account(userId))?.enabled).toBe(false);
  });

  it('patches a user with a path-less value and gets the resource back', async () => {
    const res = await sc.scim('PATCH', `/Users/${userId}`, {
      ...okta,
      body: patchOp({ op: 'replace', value: { active: true } }),
    });
    expect(res.status).toBe(200);
    expect(res.resource().active).toBe(true);
  });

  it('renames a group with its id inside the value, then removes and re-adds a member', async () => {
    const member = await sc.scim('POST', '/Users', {
      ...okta,
      body: {
        schemas: [USER_SCHEMA],
        userName: `okta.member.${tag}@example.com`,
        name: { givenName: 'A', familyName: 'B' },
      },
    });
    memberId = member.resource().id;
    const group = await sc.scim('POST', '/Groups', {
      ...okta,
      body: {
        schemas: [GROUP_SCHEMA],
        displayName: `Okta ${tag}`,
        members: [{ value: memberId, display: 'A B' }],
      },
    });
    groupId = group.resource().id;
    const rename = await sc.scim('PATCH', `/Groups/${groupId}`, {
      ...okta,
      body: patchOp({ op: 'replace', value: { id: groupId, displayName: `Okta renamed ${tag}` } }),
    });
    // Okta's group updates are answered 204, as its SCIM 2.0 guide shows them.
    expect(rename.status).toBe(204);
    expect((await team(groupId))?.name).toBe(`Okta renamed ${tag}`);
    const remove = await sc.scim('PATCH', `/Groups/${groupId}`, {
      ...okta,
      body: patchOp({ op: 'remove', path: `members[value eq "${memberId}"]` }),
    });
    expect(remove.status).toBe(204);
    expect((await team(groupId))?.member_ids).toEqual([]);
    const add = await sc.scim('PATCH', `/Groups/${groupId}`, {
      ...okta,
      body: patchOp({ op: 'add', path: 'members', value: [{ value: memberId, display: 'A B' }] }),
    });
    expect(add.status).toBe(204);
    expect((await team(groupId))?.member_ids).toEqual([(await account(memberId))?.id]);
  });
});
