import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Account } from '../../src/demo/demo-store.js';
import {
  type DemoSidecar,
  demoMappingText,
  ENTERPRISE_SCHEMA,
  entraUser,
  LIST_RESPONSE_SCHEMA,
  patchOp,
  SCIM_BASE_URL,
  SCIM_ERROR_SCHEMA,
  SCIM_TOKEN,
  type ScimResource,
  startDemoSidecar,
  UPSTREAM_API_KEY,
  type UpstreamCall,
  USER_SCHEMA,
} from '../helpers/sidecar.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SCIM_JSON = /^application\/scim\+json/;

let sc: DemoSidecar;

beforeAll(async () => {
  sc = await startDemoSidecar();
});

afterAll(async () => {
  await sc.close();
});

beforeEach(() => {
  sc.calls.length = 0;
});

let seq = 0;
function uniqueUserName(prefix: string): string {
  seq += 1;
  return `${prefix}${seq}@contoso.com`;
}

async function createUser(userName: string, extra: Record<string, unknown> = {}): Promise<ScimResource> {
  const res = await sc.scim('POST', '/Users', { body: entraUser(userName, extra) });
  expect(res.status, res.text).toBe(201);
  return res.resource();
}

async function appIdOf(scimId: string): Promise<number> {
  const entry = await sc.idMap.get('User', scimId);
  expect(entry).toBeDefined();
  return Number(entry?.appId);
}

async function accountOf(scimId: string): Promise<Account> {
  const account = sc.demo.store.getAccount(await appIdOf(scimId));
  expect(account).toBeDefined();
  return account as Account;
}

function writes(calls: UpstreamCall[] = sc.calls): Array<{ method: string; path: string; body: unknown }> {
  return calls.filter((c) => c.method !== 'GET').map(({ method, path, body }) => ({ method, path, body }));
}

/**
 * PATCH as Entra sends it (no attributes parameter): 204 without a body, so the new state is read
 * back with a GET.
 */
async function patchUser(
  scimId: string,
  ...operations: Array<Record<string, unknown>>
): Promise<ScimResource> {
  const res = await sc.scim('PATCH', `/Users/${scimId}`, { body: patchOp(...operations) });
  expect(res.status, res.text).toBe(204);
  expect(res.text).toBe('');
  const get = await sc.scim('GET', `/Users/${scimId}`);
  expect(get.status, get.text).toBe(200);
  return get.resource();
}

function filterUrl(filter: string, extra = ''): string {
  return `/Users?filter=${encodeURIComponent(filter)}${extra}`;
}

describe('POST /Users', () => {
  it('creates the account in the app and answers 201 with Location, meta and the externalId', async () => {
    const res = await sc.scim('POST', '/Users', {
      body: entraUser('jdoe@contoso.com', {
        externalId: '6f1b2c3d-entra-object-id',
        title: 'Engineer',
        phoneNumbers: [{ type: 'work', value: '+1 555 0100' }],
        [ENTERPRISE_SCHEMA]: { department: 'R&D' },
      }),
    });

    expect(res.status, res.text).toBe(201);
    expect(res.header('content-type')).toMatch(SCIM_JSON);
    const user = res.resource();
    expect(user.id).toMatch(UUID);
    expect(res.header('location')).toBe(`${SCIM_BASE_URL}/Users/${user.id}`);

    const account = await accountOf(user.id);
    expect(account).toEqual({
      id: account.id,
      login: 'jdoe@contoso.com',
      first_name: 'Given',
      last_name: 'jdoe',
      email: 'jdoe@contoso.com',
      phone: '+1 555 0100',
      department: 'R&D',
      title: 'Engineer',
      enabled: true,
      created_at: account.created_at,
      updated_at: account.updated_at,
    });
    // The app has no field for externalId: it lives in the sidecar's id map only.
    expect(JSON.stringify(account)).not.toContain('6f1b2c3d-entra-object-id');

    expect(user).toEqual({
      schemas: [USER_SCHEMA, ENTERPRISE_SCHEMA],
      id: user.id,
      externalId: '6f1b2c3d-entra-object-id',
      userName: 'jdoe@contoso.com',
      name: { givenName: 'Given', familyName: 'jdoe', formatted: 'Given jdoe' },
      displayName: 'Given jdoe',
      emails: [{ value: 'jdoe@contoso.com', type: 'work', primary: true }],
      phoneNumbers: [{ value: '+1 555 0100', type: 'work' }],
      title: 'Engineer',
      active: true,
      [ENTERPRISE_SCHEMA]: { department: 'R&D' },
      meta: {
        resourceType: 'User',
        created: account.created_at,
        lastModified: account.updated_at,
        location: `${SCIM_BASE_URL}/Users/${user.id}`,
        version: user.meta.version,
      },
    });
    expect(user.meta.version).toMatch(/^W\/".+"$/);
    expect(res.header('etag')).toBe(user.meta.version);
  });

  it('sends the app exactly one create, with the app key and never the IdP token', async () => {
    const user = await createUser(uniqueUserName('upstream'));
    const creates = sc.calls.filter((c) => c.method === 'POST');
    expect(creates).toHaveLength(1);
    const [create] = creates;
    expect(create?.path).toBe('/api/accounts');
    expect(create?.headers['x-api-key']).toBe(UPSTREAM_API_KEY);
    expect(create?.headers.authorization).toBeUndefined();
    expect(create?.body).toEqual({
      account: {
        login: user.userName,
        first_name: 'Given',
        last_name: String(user.userName).split('@')[0],
        email: user.userName,
        enabled: true,
      },
    });
    expect(JSON.stringify(sc.calls)).not.toContain(SCIM_TOKEN);
  });

  it('answers 409 uniqueness for a userName the app already has, and keeps one account', async () => {
    const userName = uniqueUserName('dup');
    await createUser(userName);
    const entriesBefore = await sc.idMap.size('User');
    const res = await sc.scim('POST', '/Users', { body: entraUser(userName.toUpperCase()) });
    expect(res.status).toBe(409);
    expect(res.error()).toMatchObject({
      schemas: [SCIM_ERROR_SCHEMA],
      status: '409',
      scimType: 'uniqueness',
    });
    expect(sc.demo.store.listAccounts({ login: userName }).total).toBe(1);
    expect(await sc.idMap.size('User')).toBe(entriesBefore);
  });

  it('answers 400 without calling the app when userName is missing', async () => {
    const body = entraUser('x@contoso.com');
    delete body.userName;
    const res = await sc.scim('POST', '/Users', { body });
    expect(res.status).toBe(400);
    expect(res.error()).toMatchObject({ schemas: [SCIM_ERROR_SCHEMA], status: '400' });
    expect(sc.calls).toEqual([]);
  });

  it("answers 400 invalidValue with the app's own reason when the app rejects the record", async () => {
    const res = await sc.scim('POST', '/Users', { body: entraUser('has space@contoso.com') });
    expect(res.status).toBe(400);
    const error = res.error();
    expect(error.scimType).toBe('invalidValue');
    expect(error.detail).toContain('login');
    expect(error.detail).toContain('may only contain letters');
  });
});

describe('GET /Users/:id', () => {
  it('returns the same resource the create returned', async () => {
    const created = await createUser(uniqueUserName('get'));
    sc.calls.length = 0;
    const res = await sc.scim('GET', `/Users/${created.id}`);
    expect(res.status).toBe(200);
    expect(res.header('content-type')).toMatch(SCIM_JSON);
    expect(res.resource()).toEqual(created);
    expect(res.header('etag')).toBe(created.meta.version);
    const appId = await appIdOf(created.id);
    expect(sc.calls.map((c) => `${c.method} ${c.path}`)).toEqual([`GET /api/accounts/${appId}`]);
  });

  it('answers 404 with a SCIM error for an unknown id, without calling the app', async () => {
    const res = await sc.scim('GET', '/Users/00000000-0000-4000-8000-000000000000');
    expect(res.status).toBe(404);
    expect(res.error()).toMatchObject({ schemas: [SCIM_ERROR_SCHEMA], status: '404' });
    expect(sc.calls).toEqual([]);
  });

  it('answers 404 once the account was deleted in the app behind the sidecar', async () => {
    const created = await createUser(uniqueUserName('gone'));
    sc.demo.store.deleteAccount(await appIdOf(created.id));
    const res = await sc.scim('GET', `/Users/${created.id}`);
    expect(res.status).toBe(404);
    expect(res.error().status).toBe('404');
  });

  it('honours attributes and excludedAttributes', async () => {
    const created = await createUser(uniqueUserName('proj'), { title: 'Architect' });
    const only = await sc.scim('GET', `/Users/${created.id}?attributes=userName`);
    expect(only.status).toBe(200);
    expect(Object.keys(only.resource()).sort()).toEqual(['id', 'schemas', 'userName']);
    const without = await sc.scim('GET', `/Users/${created.id}?excludedAttributes=title,emails`);
    expect(without.status).toBe(200);
    expect(without.resource().title).toBeUndefined();
    expect(without.resource().emails).toBeUndefined();
    expect(without.resource().userName).toBe(created.userName);
  });
});

describe('GET /Users?filter', () => {
  let jdoe: ScimResource;

  beforeAll(async () => {
    jdoe = await createUser('filter.jdoe@contoso.com', { externalId: 'filter-ext-1' });
    await createUser('filter.other@contoso.com', { externalId: 'filter-ext-2' });
  });

  it('matches userName case-insensitively, pushing the lookup down to the app', async () => {
    sc.calls.length = 0;
    const res = await sc.scim('GET', filterUrl('userName eq "FILTER.JDOE@contoso.com"'));
    expect(res.status).toBe(200);
    expect(res.header('content-type')).toMatch(SCIM_JSON);
    const list = res.list();
    expect(list).toEqual({
      schemas: [LIST_RESPONSE_SCHEMA],
      totalResults: 1,
      startIndex: 1,
      itemsPerPage: 1,
      Resources: [jdoe],
    });
    expect(sc.calls).toHaveLength(1);
    expect(sc.calls[0]?.path).toBe('/api/accounts');
    expect(sc.calls[0]?.query).toContainEqual(['login', 'FILTER.JDOE@contoso.com']);
  });

  it('finds by externalId from the id map', async () => {
    const list = (await sc.scim('GET', filterUrl('externalId eq "filter-ext-1"'))).list();
    expect(list.totalResults).toBe(1);
    expect(list.Resources.map((r) => r.id)).toEqual([jdoe.id]);
    expect(list.Resources[0]?.externalId).toBe('filter-ext-1');
  });

  it('finds by id', async () => {
    const list = (await sc.scim('GET', filterUrl(`id eq "${jdoe.id}"`))).list();
    expect(list.totalResults).toBe(1);
    expect(list.Resources[0]).toEqual(jdoe);
  });

  it('combines a pushed-down equality with other conditions', async () => {
    const hit = (
      await sc.scim('GET', filterUrl('userName eq "filter.jdoe@contoso.com" and active eq true'))
    ).list();
    expect(hit.Resources.map((r) => r.id)).toEqual([jdoe.id]);
    const miss = (
      await sc.scim('GET', filterUrl('userName eq "filter.jdoe@contoso.com" and active eq false'))
    ).list();
    expect(miss.totalResults).toBe(0);
  });

  it.each([
    ['userName eq "nobody@contoso.com"'],
    ['externalId eq "no-such-external-id"'],
    ['id eq "00000000-0000-4000-8000-000000000000"'],
    ['title eq "No Such Title"'],
    ['emails[type eq "work" and value eq "nobody@contoso.com"]'],
  ])('answers 200 with totalResults 0 for %s', async (filter) => {
    const res = await sc.scim('GET', filterUrl(filter));
    expect(res.status).toBe(200);
    expect(res.list()).toEqual({
      schemas: [LIST_RESPONSE_SCHEMA],
      totalResults: 0,
      startIndex: 1,
      itemsPerPage: 0,
      Resources: [],
    });
  });

  it('answers POST /Users/.search like the GET form', async () => {
    const res = await sc.scim('POST', '/Users/.search', {
      body: {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
        filter: 'userName eq "filter.jdoe@contoso.com"',
        startIndex: 1,
        count: 10,
      },
    });
    expect(res.status).toBe(200);
    expect(res.list().Resources).toEqual([jdoe]);
  });
});

describe('paging across several app pages', () => {
  let paged: DemoSidecar;
  const created: ScimResource[] = [];
  const names = Array.from({ length: 30 }, (_, i) => `page${String(i + 1).padStart(2, '0')}@contoso.com`);

  beforeAll(async () => {
    // The app answers at most 5 records per call, so every SCIM page spans several app pages.
    paged = await startDemoSidecar({
      mappingText: demoMappingText().replaceAll('pageSize: 200', 'pageSize: 5'),
    });
    for (const [i, userName] of names.entries()) {
      const res = await paged.scim('POST', '/Users', {
        body: entraUser(userName, { title: i % 2 === 0 ? 'Odd' : 'Even' }),
      });
      expect(res.status, res.text).toBe(201);
      created.push(res.resource());
    }
  });

  afterAll(async () => {
    await paged.close();
  });

  beforeEach(() => {
    paged.calls.length = 0;
  });

  async function page(query: string) {
    const res = await paged.scim('GET', `/Users?${query}`);
    expect(res.status, res.text).toBe(200);
    return res.list();
  }

  it('returns the first page', async () => {
    const list = await page('startIndex=1&count=10');
    expect(list.totalResults).toBe(30);
    expect(list.startIndex).toBe(1);
    expect(list.itemsPerPage).toBe(10);
    expect(list.Resources.map((r) => r.userName)).toEqual(names.slice(0, 10));
    for (const call of paged.calls) {
      expect(Number(new URLSearchParams(call.search).get('limit'))).toBeLessThanOrEqual(5);
    }
    expect(paged.calls.length).toBeGreaterThanOrEqual(2);
  });

  it('returns a page that starts and ends inside app pages', async () => {
    const list = await page('startIndex=8&count=12');
    expect(list.totalResults).toBe(30);
    expect(list.startIndex).toBe(8);
    expect(list.itemsPerPage).toBe(12);
    expect(list.Resources.map((r) => r.userName)).toEqual(names.slice(7, 19));
    expect(list.Resources.map((r) => r.id)).toEqual(created.slice(7, 19).map((r) => r.id));
  });

  it('returns a short last page', async () => {
    const list = await page('startIndex=26&count=10');
    expect(list.totalResults).toBe(30);
    expect(list.itemsPerPage).toBe(5);
    expect(list.Resources.map((r) => r.userName)).toEqual(names.slice(25));
  });

  it('returns no resources past the end, with the total', async () => {
    const list = await page('startIndex=31&count=10');
    expect(list).toMatchObject({ totalResults: 30, startIndex: 31, itemsPerPage: 0, Resources: [] });
  });

  it('returns only the total for count=0', async () => {
    const list = await page('count=0');
    expect(list).toMatchObject({ totalResults: 30, itemsPerPage: 0, Resources: [] });
  });

  it('treats startIndex below 1 as 1', async () => {
    const list = await page('startIndex=0&count=3');
    expect(list.startIndex).toBe(1);
    expect(list.Resources.map((r) => r.userName)).toEqual(names.slice(0, 3));
  });

  it('walks every user exactly once page by page', async () => {
    const seen: string[] = [];
    for (let start = 1; start <= 30; start += 7) {
      const list = await page(`startIndex=${start}&count=7`);
      expect(list.totalResults).toBe(30);
      seen.push(...list.Resources.map((r) => r.id));
    }
    expect(seen).toEqual(created.map((r) => r.id));
  });

  it('evaluates a filter the app cannot search over every app page, then pages the matches', async () => {
    const odd = names.filter((_, i) => i % 2 === 0);
    const all = await page(`filter=${encodeURIComponent('title eq "Odd"')}&count=100`);
    expect(all.totalResults).toBe(15);
    expect(all.Resources.map((r) => r.userName)).toEqual(odd);
    const middle = await page(`filter=${encodeURIComponent('title eq "Odd"')}&startIndex=3&count=4`);
    expect(middle.totalResults).toBe(15);
    expect(middle.itemsPerPage).toBe(4);
    expect(middle.Resources.map((r) => r.userName)).toEqual(odd.slice(2, 6));
  });
});

describe('PUT /Users/:id', () => {
  it('replaces every attribute the app stores; omitted ones are cleared', async () => {
    const userName = uniqueUserName('put');
    const created = await createUser(userName, {
      title: 'Engineer',
      phoneNumbers: [{ type: 'work', value: '+1 555 0101' }],
      [ENTERPRISE_SCHEMA]: { department: 'R&D' },
    });
    const res = await sc.scim('PUT', `/Users/${created.id}`, {
      body: {
        schemas: [USER_SCHEMA],
        id: created.id,
        externalId: 'put-ext-new',
        userName,
        name: { givenName: 'Janet', familyName: 'Replaced' },
        emails: [{ value: `new.${userName}`, type: 'work', primary: true }],
        title: 'Manager',
        active: true,
      },
    });
    expect(res.status, res.text).toBe(200);
    const account = await accountOf(created.id);
    expect(account).toMatchObject({
      login: userName,
      first_name: 'Janet',
      last_name: 'Replaced',
      email: `new.${userName}`,
      phone: null,
      department: null,
      title: 'Manager',
      enabled: true,
    });
    const user = res.resource();
    expect(user.externalId).toBe('put-ext-new');
    expect(user.name).toEqual({ givenName: 'Janet', familyName: 'Replaced', formatted: 'Janet Replaced' });
    expect(user.phoneNumbers).toBeUndefined();
    expect(user[ENTERPRISE_SCHEMA]).toBeUndefined();
    expect(user.schemas).toEqual([USER_SCHEMA]);
    expect(user.meta.lastModified).toBe(account.updated_at);
    expect((await sc.scim('GET', `/Users/${created.id}`)).resource()).toEqual(user);
  });

  it('disables the account through its dedicated call when active becomes false', async () => {
    const userName = uniqueUserName('putoff');
    const created = await createUser(userName);
    const appId = await appIdOf(created.id);
    sc.calls.length = 0;
    const body = { ...entraUser(userName), active: false };
    const res = await sc.scim('PUT', `/Users/${created.id}`, { body });
    expect(res.status, res.text).toBe(200);
    expect(res.resource().active).toBe(false);
    expect((await accountOf(created.id)).enabled).toBe(false);
    expect(writes()).toEqual([{ method: 'POST', path: `/api/accounts/${appId}/disable`, body: undefined }]);
  });

  it('ignores an id in the body that differs from the URL (RFC 7644 §3.5.1)', async () => {
    const userName = uniqueUserName('putid');
    const created = await createUser(userName);
    const other = '00000000-0000-4000-8000-00000000abcd';
    const res = await sc.scim('PUT', `/Users/${created.id}`, {
      body: { ...entraUser(userName), id: other, title: 'Kept under its own id' },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.resource().id).toBe(created.id);
    expect((await accountOf(created.id)).title).toBe('Kept under its own id');
    expect((await sc.scim('GET', `/Users/${other}`)).status).toBe(404);
  });

  it('answers 404 for an unknown id', async () => {
    const res = await sc.scim('PUT', '/Users/00000000-0000-4000-8000-000000000000', {
      body: entraUser(uniqueUserName('ghost')),
    });
    expect(res.status).toBe(404);
    expect(writes()).toEqual([]);
  });
});

describe('PATCH /Users/:id as Microsoft Entra ID sends it', () => {
  it('answers 204 without a body, and 200 with the resource when attributes are asked for', async () => {
    const created = await createUser(uniqueUserName('status'));
    const bare = await sc.scim('PATCH', `/Users/${created.id}`, {
      body: patchOp({ op: 'Replace', path: 'title', value: 'Analyst' }),
    });
    expect(bare.status, bare.text).toBe(204);
    expect(bare.text).toBe('');

    const asked = await sc.scim('PATCH', `/Users/${created.id}?attributes=title,userName`, {
      body: patchOp({ op: 'Replace', path: 'title', value: 'Lead Analyst' }),
    });
    expect(asked.status, asked.text).toBe(200);
    expect(asked.header('content-type')).toMatch(SCIM_JSON);
    expect(asked.resource()).toEqual({
      schemas: [USER_SCHEMA],
      id: created.id,
      userName: created.userName,
      title: 'Lead Analyst',
    });
  });

  it('disables and re-enables with "Replace" and string booleans, through the dedicated calls', async () => {
    const created = await createUser(uniqueUserName('toggle'));
    const appId = await appIdOf(created.id);
    sc.calls.length = 0;

    const off = await patchUser(created.id, { op: 'Replace', path: 'active', value: 'False' });
    expect(off.active).toBe(false);
    expect((await accountOf(created.id)).enabled).toBe(false);
    expect(writes()).toEqual([{ method: 'POST', path: `/api/accounts/${appId}/disable`, body: undefined }]);

    sc.calls.length = 0;
    const on = await patchUser(created.id, { op: 'Replace', path: 'active', value: 'True' });
    expect(on.active).toBe(true);
    expect((await accountOf(created.id)).enabled).toBe(true);
    expect(writes()).toEqual([{ method: 'POST', path: `/api/accounts/${appId}/enable`, body: undefined }]);
  });

  it('replaces the work email through a value-filter path', async () => {
    const userName = uniqueUserName('mail');
    const created = await createUser(userName);
    const user = await patchUser(created.id, {
      op: 'Replace',
      path: 'emails[type eq "work"].value',
      value: `changed.${userName}`,
    });
    expect(user.emails).toEqual([{ value: `changed.${userName}`, type: 'work', primary: true }]);
    expect((await accountOf(created.id)).email).toBe(`changed.${userName}`);
  });

  it('adds a work phone number through a value-filter path', async () => {
    const created = await createUser(uniqueUserName('phone'));
    const user = await patchUser(created.id, {
      op: 'Add',
      path: 'phoneNumbers[type eq "work"].value',
      value: '+44 20 7946 0000',
    });
    expect(user.phoneNumbers).toEqual([{ value: '+44 20 7946 0000', type: 'work' }]);
    expect((await accountOf(created.id)).phone).toBe('+44 20 7946 0000');
  });

  it('applies a path-less Replace with dotted keys and enterprise URN keys', async () => {
    const created = await createUser(uniqueUserName('pathless'));
    const user = await patchUser(created.id, {
      op: 'Replace',
      value: {
        'name.givenName': 'Grace',
        'name.familyName': 'Hopper',
        title: 'Rear Admiral',
        [`${ENTERPRISE_SCHEMA}:department`]: 'Navy',
      },
    });
    expect(await accountOf(created.id)).toMatchObject({
      first_name: 'Grace',
      last_name: 'Hopper',
      title: 'Rear Admiral',
      department: 'Navy',
    });
    expect(user.name).toMatchObject({ givenName: 'Grace', familyName: 'Hopper' });
    expect(user.title).toBe('Rear Admiral');
    expect(user[ENTERPRISE_SCHEMA]).toEqual({ department: 'Navy' });
    expect(user.schemas).toEqual([USER_SCHEMA, ENTERPRISE_SCHEMA]);

    await patchUser(created.id, { op: 'Add', value: { [ENTERPRISE_SCHEMA]: { department: 'Research' } } });
    expect((await accountOf(created.id)).department).toBe('Research');
  });

  it('removes an attribute', async () => {
    const created = await createUser(uniqueUserName('rm'), { title: 'Temp' });
    const user = await patchUser(created.id, { op: 'Remove', path: 'title' });
    expect(user.title).toBeUndefined();
    expect((await accountOf(created.id)).title).toBeNull();
  });

  it('keeps a new externalId in the id map without writing to the app', async () => {
    const created = await createUser(uniqueUserName('ext'));
    const before = await accountOf(created.id);
    sc.calls.length = 0;
    const user = await patchUser(created.id, { op: 'Replace', path: 'externalId', value: 'ext-moved' });
    expect(user.externalId).toBe('ext-moved');
    expect(writes()).toEqual([]);
    expect(await accountOf(created.id)).toEqual(before);
    const found = (await sc.scim('GET', filterUrl('externalId eq "ext-moved"'))).list();
    expect(found.Resources.map((r) => r.id)).toEqual([created.id]);
  });

  it('makes no upstream write for a PATCH that changes nothing', async () => {
    const created = await createUser(uniqueUserName('noop'), { title: 'Same' });
    const before = await accountOf(created.id);
    sc.calls.length = 0;
    const user = await patchUser(
      created.id,
      { op: 'Replace', path: 'title', value: 'Same' },
      { op: 'Replace', path: 'active', value: 'True' },
      { op: 'Replace', path: 'userName', value: created.userName },
    );
    expect(user).toEqual(created);
    expect(writes()).toEqual([]);
    const after = await accountOf(created.id);
    expect(after.updated_at).toBe(before.updated_at);
    expect(after).toEqual(before);
  });

  it('answers 404 for an unknown id', async () => {
    const res = await sc.scim('PATCH', '/Users/00000000-0000-4000-8000-000000000000', {
      body: patchOp({ op: 'Replace', path: 'title', value: 'x' }),
    });
    expect(res.status).toBe(404);
    expect(res.error()).toMatchObject({ schemas: [SCIM_ERROR_SCHEMA], status: '404' });
  });
});

describe('DELETE /Users/:id', () => {
  it('answers 204, then GET answers 404 and the app no longer has the account', async () => {
    const userName = uniqueUserName('del');
    const created = await createUser(userName);
    const appId = await appIdOf(created.id);
    sc.calls.length = 0;

    const res = await sc.scim('DELETE', `/Users/${created.id}`);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect(writes()).toEqual([{ method: 'DELETE', path: `/api/accounts/${appId}`, body: undefined }]);
    expect(sc.demo.store.getAccount(appId)).toBeUndefined();

    const get = await sc.scim('GET', `/Users/${created.id}`);
    expect(get.status).toBe(404);
    expect(get.error()).toMatchObject({ schemas: [SCIM_ERROR_SCHEMA], status: '404' });
    expect((await sc.scim('GET', filterUrl(`userName eq "${userName}"`))).list().totalResults).toBe(0);
    expect((await sc.scim('DELETE', `/Users/${created.id}`)).status).toBe(404);
  });
});

describe('accounts the app already had', () => {
  it('are listed with a SCIM id that stays the same across reads, even read in parallel', async () => {
    const account = sc.demo.store.createAccount({
      login: 'preexisting@contoso.com',
      first_name: 'Pre',
      last_name: 'Existing',
      email: 'preexisting@contoso.com',
    });
    const url = filterUrl('userName eq "preexisting@contoso.com"');
    const lists = await Promise.all(Array.from({ length: 5 }, () => sc.scim('GET', url)));
    const ids = new Set<string>();
    for (const res of lists) {
      expect(res.status, res.text).toBe(200);
      expect(res.list().totalResults).toBe(1);
      ids.add(res.list().Resources[0]?.id ?? '');
    }
    expect(ids.size).toBe(1);
    const [id = ''] = [...ids];
    expect(id).toMatch(UUID);
    expect((await sc.idMap.findByAppId('User', String(account.id)))?.scimId).toBe(id);
    const get = await sc.scim('GET', `/Users/${id}`);
    expect(get.status).toBe(200);
    expect(get.resource()).toMatchObject({ id, userName: 'preexisting@contoso.com', active: true });
  });
});

describe('concurrent PATCHes to one user', () => {
  it('keeps every change when each PATCH changes a different attribute', async () => {
    const userName = uniqueUserName('race');
    const created = await createUser(userName);
    const patches: Array<Record<string, unknown>> = [
      { op: 'Replace', path: 'userName', value: `renamed.${userName}` },
      { op: 'Replace', path: 'externalId', value: 'race-ext' },
      { op: 'Replace', path: 'name.givenName', value: 'Katherine' },
      { op: 'Replace', path: 'name.familyName', value: 'Johnson' },
      { op: 'Add', path: 'title', value: 'Mathematician' },
      { op: 'Add', path: `${ENTERPRISE_SCHEMA}:department`, value: 'Flight Research' },
      { op: 'Add', path: 'phoneNumbers[type eq "work"].value', value: '+1 757 555 0199' },
      { op: 'Replace', path: 'emails[type eq "work"].value', value: `kj.${userName}` },
      { op: 'Replace', path: 'active', value: 'False' },
      // Entra repeats the path-less form for the same change; it must not undo the others.
      { op: 'Replace', value: { 'name.givenName': 'Katherine' } },
    ];
    const results = await Promise.all(
      patches.map((op) => sc.scim('PATCH', `/Users/${created.id}`, { body: patchOp(op) })),
    );
    for (const res of results) expect(res.status, res.text).toBe(204);

    expect(await accountOf(created.id)).toMatchObject({
      login: `renamed.${userName}`,
      first_name: 'Katherine',
      last_name: 'Johnson',
      title: 'Mathematician',
      department: 'Flight Research',
      phone: '+1 757 555 0199',
      email: `kj.${userName}`,
      enabled: false,
    });
    const user = (await sc.scim('GET', `/Users/${created.id}`)).resource();
    expect(user).toMatchObject({
      userName: `renamed.${userName}`,
      externalId: 'race-ext',
      name: { givenName: 'Katherine', familyName: 'Johnson' },
      title: 'Mathematician',
      [ENTERPRISE_SCHEMA]: { department: 'Flight Research' },
      phoneNumbers: [{ value: '+1 757 555 0199', type: 'work' }],
      emails: [{ value: `kj.${userName}`, type: 'work', primary: true }],
      active: false,
    });
  });
});
