/**
 * `protect`: the app's own records (system and admin accounts, the admins' group) are never
 * listed, matched, adopted, written or deleted through SCIM. A SCIM DELETE of the admin account
 * would lock everyone out of the app; an unfiltered list would hand the IdP accounts it must not
 * manage.
 */

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Account } from '../../src/demo/demo-store.js';
import {
  type DemoSidecar,
  demoMappingText,
  entraUser,
  GROUP_SCHEMA,
  patchOp,
  startDemoSidecar,
} from '../helpers/sidecar.js';

const USER_ANCHOR = '  User:\n    enterpriseExtension: true\n';
const GROUP_ANCHOR = '  Group:\n    id: id\n';

function protectedMapping(): string {
  const text = demoMappingText();
  expect(text).toContain(USER_ANCHOR);
  expect(text).toContain(GROUP_ANCHOR);
  return text
    .replace(USER_ANCHOR, `${USER_ANCHOR}    protect: 'login in ["admin", "system"]'\n`)
    .replace(GROUP_ANCHOR, `${GROUP_ANCHOR}    protect: 'name = "Administrators"'\n`);
}

function trace(sc: DemoSidecar): string[] {
  return sc.calls.map((c) => `${c.method} ${c.path}`);
}

describe('protect', () => {
  let sc: DemoSidecar;
  let admin: Account;
  let system: Account;
  let staff: Account;
  beforeAll(async () => {
    sc = await startDemoSidecar({ clientProfile: 'entra', mappingText: protectedMapping() });
    admin = sc.demo.store.createAccount({ login: 'admin', first_name: 'App', last_name: 'Admin' });
    system = sc.demo.store.createAccount({ login: 'system', first_name: 'App', last_name: 'System' });
    staff = sc.demo.store.createAccount({ login: 'staff', first_name: 'Some', last_name: 'One' });
  });
  afterAll(async () => {
    await sc.close();
  });
  beforeEach(() => {
    sc.calls.length = 0;
  });

  async function listed(query = ''): Promise<string[]> {
    const res = await sc.scim('GET', `/Users${query}`);
    expect(res.status, res.text).toBe(200);
    return res.list().Resources.map((u) => u.userName as string);
  }

  it('pages over unprotected accounts only: windows and totals count what the IdP may see', async () => {
    const res = await sc.scim('GET', '/Users?startIndex=1&count=1');
    expect(res.status, res.text).toBe(200);
    const page = res.list();
    expect(page.Resources.map((u) => u.userName)).toEqual([staff.login]);
    expect(page.itemsPerPage).toBe(1);
    expect(page.totalResults).toBe((await listed()).length);
  });

  it('leaves protected accounts out of unfiltered lists', async () => {
    expect(await listed()).toEqual(['staff']);
  });

  it('does not match them: a search finds nothing, and nothing is adopted', async () => {
    expect(await listed(`?filter=${encodeURIComponent('userName eq "admin"')}`)).toEqual([]);
    expect(await listed(`?filter=${encodeURIComponent('name.familyName co "Adm"')}`)).toEqual([]);
    expect(await sc.idMap.size('User')).toBe(1);
    expect(await sc.idMap.findByAppId('User', String(admin.id))).toBeUndefined();
  });

  it('refuses a create of a protected account with 409, without calling the app', async () => {
    const res = await sc.scim('POST', '/Users', { body: entraUser('admin') });
    expect(res.status, res.text).toBe(409);
    expect(res.error().scimType).toBe('uniqueness');
    expect(trace(sc).filter((c) => c.startsWith('POST'))).toEqual([]);
  });

  it('answers 409 to a create the app refuses as a duplicate of a protected account, adopting nothing', async () => {
    const res = await sc.scim('POST', '/Users', { body: entraUser('SYSTEM') });
    expect(res.status, res.text).toBe(409);
    expect(await sc.idMap.findByAppId('User', String(system.id))).toBeUndefined();
    expect(sc.demo.store.getAccount(system.id)).toMatchObject({ login: 'system', first_name: 'App' });
  });

  describe('a SCIM id that names a protected account (mapped before protect was declared)', () => {
    const scimId = '6c1f4a52-9a8e-4f0e-8d7e-0d7b1b2f9a10';
    beforeAll(async () => {
      const now = new Date().toISOString();
      await sc.idMap.put({
        resourceType: 'User',
        scimId,
        appId: String(admin.id),
        created: now,
        lastModified: now,
        version: 1,
      });
    });

    it('answers 404 to GET, PATCH and PUT, and writes nothing', async () => {
      expect((await sc.scim('GET', `/Users/${scimId}`)).status).toBe(404);
      const patch = await sc.scim('PATCH', `/Users/${scimId}`, {
        body: patchOp({ op: 'Replace', path: 'active', value: 'False' }),
      });
      expect(patch.status, patch.text).toBe(404);
      const put = await sc.scim('PUT', `/Users/${scimId}`, { body: entraUser('admin') });
      expect(put.status, put.text).toBe(404);
      expect(trace(sc).filter((c) => !c.startsWith('GET'))).toEqual([]);
      expect(sc.demo.store.getAccount(admin.id)).toMatchObject({ enabled: true, first_name: 'App' });
    });

    it('answers 404 to DELETE, and the account stays', async () => {
      const res = await sc.scim('DELETE', `/Users/${scimId}`);
      expect(res.status, res.text).toBe(404);
      expect(trace(sc)).toEqual([`GET /api/accounts/${admin.id}`]);
      expect(sc.demo.store.getAccount(admin.id)).toBeDefined();
    });

    it('is not found by id or externalId either, and is never marked missing', async () => {
      expect(await listed(`?filter=${encodeURIComponent(`id eq "${scimId}"`)}`)).toEqual([]);
      expect((await sc.idMap.get('User', scimId))?.missingSince).toBeUndefined();
    });
  });

  it('keeps the admins group out of SCIM, and its members untouched', async () => {
    const team = sc.demo.store.createTeam({ name: 'Administrators', member_ids: [admin.id] });
    const groups = await sc.scim('GET', '/Groups');
    expect(groups.list().Resources).toEqual([]);
    const scimId = '0b0f9f3e-5d0a-4c4e-9b59-6a3f7f6e2c11';
    const now = new Date().toISOString();
    await sc.idMap.put({
      resourceType: 'Group',
      scimId,
      appId: String(team.id),
      created: now,
      lastModified: now,
      version: 1,
    });
    const [user] = (await sc.scim('GET', `/Users?filter=${encodeURIComponent('userName eq "staff"')}`)).list()
      .Resources;
    sc.calls.length = 0;
    const res = await sc.scim('PATCH', `/Groups/${scimId}`, {
      body: patchOp({ op: 'Add', path: 'members', value: [{ value: user?.id }] }),
    });
    expect(res.status, res.text).toBe(404);
    expect(trace(sc)).toEqual([`GET /api/teams/${team.id}`]);
    expect(sc.demo.store.getTeam(team.id)?.member_ids).toEqual([admin.id]);
    expect(staff.id).toBeGreaterThan(0);
    const created = await sc.scim('POST', '/Groups', {
      body: { schemas: [GROUP_SCHEMA], displayName: 'Administrators' },
    });
    expect(created.status, created.text).toBe(409);
  });
});
