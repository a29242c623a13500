import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  entraUser,
  type FakeReply,
  MOCK_ORIGIN,
  type MockSidecar,
  patchOp,
  SCIM_ERROR_SCHEMA,
  SCIM_TOKEN,
  startMockSidecar,
  UPSTREAM_API_KEY,
  type UpstreamCall,
  USER_SCHEMA,
} from '../helpers/sidecar.js';

/**
 * A small legacy app unlike the demo: records wrapped in `user`, lists under `data` with page
 * numbers, a create call with its own header, one filter answered by a dedicated path.
 */
const MAPPING = `
app: mock-legacy
health:
  method: GET
  path: /v1/status
resources:
  User:
    id: userId
    toScim: |
      {
        "userName": username,
        "name": { "givenName": given, "familyName": family },
        "emails": email ? [{ "value": email, "type": "work", "primary": true }],
        "active": status = "ACTIVE"
      }
    fromScim: |
      {
        "username": userName,
        "given": name.givenName,
        "family": name.familyName,
        "email": emails[0].value,
        "status": active = false ? "INACTIVE" : "ACTIVE"
      }
    filters:
      userName:
        query: { username: value }
      emails.value:
        query: {}
        path: /v1/users/by-email/{value}
    operations:
      create:
        method: POST
        path: /v1/users
        headers: { X-Request-Source: '"scim-sidecar"' }
        body: '{ "user": app }'
        response: user
      get:
        method: GET
        path: /v1/users/{appId}
        response: user
      list:
        method: GET
        path: /v1/users
        query: { page: page, per_page: limit }
        items: data
        total: meta.total
        pageSize: 2
      update:
        method: PUT
        path: /v1/users/{appId}
        body: '{ "user": app }'
        response: user
      delete:
        method: DELETE
        path: /v1/users/{appId}
`;

interface AppUser {
  userId: string;
  username: string;
  given: string;
  family: string;
  email: string;
  status: 'ACTIVE' | 'INACTIVE';
}

function appUser(userId: string, username = 'jdoe@contoso.com'): AppUser {
  return { userId, username, given: 'Jane', family: 'Doe', email: username, status: 'ACTIVE' };
}

function found(user: AppUser): FakeReply {
  return { status: 200, json: { user } };
}

const EMPTY_LIST: FakeReply = { status: 200, json: { data: [], meta: { total: 0 } } };

let sc: MockSidecar;

beforeEach(async () => {
  sc = await startMockSidecar(MAPPING);
});

afterEach(async () => {
  await sc.close();
});

/** Maps a SCIM id straight to an app id, as if the user had been created earlier. */
async function seed(appId: string, scimId = crypto.randomUUID()): Promise<string> {
  const now = new Date().toISOString();
  await sc.idMap.put({ resourceType: 'User', scimId, appId, created: now, lastModified: now, version: 1 });
  return scimId;
}

function summary(calls: UpstreamCall[]): string[] {
  return calls.map((c) => `${c.method} ${c.path}${c.search ? `?${c.search}` : ''}`);
}

function filterUrl(filter: string): string {
  return `/Users?filter=${encodeURIComponent(filter)}`;
}

describe('the exact requests sent to the app', () => {
  it('create: POST with the mapped body, the mapping header and the app credentials only', async () => {
    sc.fake.once('POST', '/v1/users', { status: 201, json: { user: appUser('u-100') } });
    const res = await sc.scim('POST', '/Users', {
      body: {
        schemas: [USER_SCHEMA],
        externalId: 'ext-jdoe',
        userName: 'jdoe@contoso.com',
        name: { givenName: 'Jane', familyName: 'Doe' },
        emails: [{ value: 'jdoe@contoso.com', type: 'work', primary: true }],
        active: true,
      },
    });
    expect(res.status, res.text).toBe(201);
    expect(sc.fake.unmatched).toEqual([]);
    expect(sc.calls).toHaveLength(1);
    const [call] = sc.calls;
    expect(call).toEqual({
      method: 'POST',
      path: '/v1/users',
      search: '',
      query: [],
      headers: expect.objectContaining({
        accept: 'application/json',
        'content-type': 'application/json',
        'x-api-key': UPSTREAM_API_KEY,
        'x-request-source': 'scim-sidecar',
      }),
      body: {
        user: {
          username: 'jdoe@contoso.com',
          given: 'Jane',
          family: 'Doe',
          email: 'jdoe@contoso.com',
          status: 'ACTIVE',
        },
      },
    });
    expect(call?.headers.authorization).toBeUndefined();
    expect(JSON.stringify(sc.calls)).not.toContain(SCIM_TOKEN);
    expect(JSON.stringify(sc.calls)).not.toContain('ext-jdoe');

    const entry = await sc.idMap.get('User', res.resource().id);
    expect(entry).toMatchObject({ appId: 'u-100', externalId: 'ext-jdoe' });
  });

  it('get: one GET on the record path, without a body', async () => {
    const scimId = await seed('u-200');
    sc.fake.once('GET', '/v1/users/u-200', found(appUser('u-200')));
    const res = await sc.scim('GET', `/Users/${scimId}`);
    expect(res.status, res.text).toBe(200);
    expect(res.resource()).toMatchObject({ id: scimId, userName: 'jdoe@contoso.com', active: true });
    expect(sc.calls).toEqual([
      {
        method: 'GET',
        path: '/v1/users/u-200',
        search: '',
        query: [],
        headers: expect.objectContaining({ accept: 'application/json', 'x-api-key': UPSTREAM_API_KEY }),
        body: undefined,
      },
    ]);
    expect(sc.calls[0]?.headers['content-type']).toBeUndefined();
  });

  it('filter push-down: userName eq becomes the mapped query parameter on the list call', async () => {
    sc.fake.once('GET', '/v1/users', {
      status: 200,
      json: { data: [appUser('u-300', 'jdoe@contoso.com')], meta: { total: 1 } },
    });
    const res = await sc.scim('GET', filterUrl('userName eq "jdoe@contoso.com"'));
    expect(res.status, res.text).toBe(200);
    expect(res.list().totalResults).toBe(1);
    expect(sc.calls).toHaveLength(1);
    expect(sc.calls[0]?.method).toBe('GET');
    expect(sc.calls[0]?.path).toBe('/v1/users');
    expect(sc.calls[0]?.query).toEqual([
      ['page', '1'],
      ['per_page', '2'],
      ['username', 'jdoe@contoso.com'],
    ]);
    expect(sc.calls[0]?.headers['x-api-key']).toBe(UPSTREAM_API_KEY);
  });

  it('filter push-down with a path: emails.value eq goes to the mapped path', async () => {
    sc.fake.once('GET', '/v1/users/by-email/jdoe%40contoso.com', {
      status: 200,
      json: { data: [appUser('u-301')], meta: { total: 1 } },
    });
    const res = await sc.scim('GET', filterUrl('emails.value eq "jdoe@contoso.com"'));
    expect(res.status, res.text).toBe(200);
    expect(res.list().totalResults).toBe(1);
    expect(summary(sc.calls)).toEqual(['GET /v1/users/by-email/jdoe%40contoso.com?page=1&per_page=2']);
  });

  it('list: the page the client asks for becomes page/per_page', async () => {
    sc.fake.once('GET', '/v1/users', {
      status: 200,
      json: { data: [appUser('u-1', 'a@contoso.com'), appUser('u-2', 'b@contoso.com')], meta: { total: 7 } },
    });
    const res = await sc.scim('GET', '/Users?startIndex=1&count=2');
    expect(res.status, res.text).toBe(200);
    expect(res.list()).toMatchObject({ totalResults: 7, itemsPerPage: 2 });
    expect(summary(sc.calls)).toEqual(['GET /v1/users?page=1&per_page=2']);
  });

  it('update: PATCH reads the record, then PUTs the whole mapped record', async () => {
    const scimId = await seed('u-400');
    sc.fake.once('GET', '/v1/users/u-400', found(appUser('u-400')));
    sc.fake.once('PUT', '/v1/users/u-400', (call) => {
      const sent = (call.body as { user: Omit<AppUser, 'userId'> }).user;
      return found({ ...sent, userId: 'u-400' });
    });
    const res = await sc.scim('PATCH', `/Users/${scimId}`, {
      body: patchOp({ op: 'Replace', path: 'name.familyName', value: 'Smith' }),
    });
    expect(res.status, res.text).toBe(204);
    expect(sc.fake.unmatched).toEqual([]);
    expect(summary(sc.calls)).toEqual(['GET /v1/users/u-400', 'PUT /v1/users/u-400']);
    const put = sc.calls[1];
    expect(put?.headers).toMatchObject({ 'content-type': 'application/json', 'x-api-key': UPSTREAM_API_KEY });
    expect(put?.body).toEqual({
      user: {
        username: 'jdoe@contoso.com',
        given: 'Jane',
        family: 'Smith',
        email: 'jdoe@contoso.com',
        status: 'ACTIVE',
      },
    });
  });

  it('delete: one DELETE on the record path; the mapping is forgotten', async () => {
    const scimId = await seed('u-500');
    sc.fake.once('DELETE', '/v1/users/u-500', { status: 204 });
    const res = await sc.scim('DELETE', `/Users/${scimId}`);
    expect(res.status).toBe(204);
    expect(sc.calls).toEqual([
      {
        method: 'DELETE',
        path: '/v1/users/u-500',
        search: '',
        query: [],
        headers: expect.objectContaining({ 'x-api-key': UPSTREAM_API_KEY }),
        body: undefined,
      },
    ]);
    expect(await sc.idMap.get('User', scimId)).toBeUndefined();
  });
});

describe('upstream credentials', () => {
  it.each([
    [{ bearer: 'app-bearer-token' }, 'Bearer app-bearer-token'],
    [
      { basic: { username: 'svc', password: 'p@ss:word' } },
      `Basic ${Buffer.from('svc:p@ss:word').toString('base64')}`,
    ],
  ])('sends %j as the Authorization header to the app', async (upstreamAuth, expected) => {
    const other = await startMockSidecar(MAPPING, { upstreamAuth });
    try {
      const scimId = crypto.randomUUID();
      const now = new Date().toISOString();
      await other.idMap.put({
        resourceType: 'User',
        scimId,
        appId: 'u-1',
        created: now,
        lastModified: now,
        version: 1,
      });
      other.fake.once('GET', '/v1/users/u-1', found(appUser('u-1')));
      const res = await other.scim('GET', `/Users/${scimId}`);
      expect(res.status, res.text).toBe(200);
      expect(other.calls[0]?.headers.authorization).toBe(expected);
      expect(other.calls[0]?.headers['x-api-key']).toBeUndefined();
    } finally {
      await other.close();
    }
  });
});

describe('values from outside never leave the mapped path', () => {
  const hostileIds = ['../etc', 'a/b', 'x?y', '%2F', 'a\r\nb', 'x#y', '..', '.'];

  it.each(hostileIds)('app id %j never reaches a path other than /v1/users/<one segment>', async (appId) => {
    const scimId = await seed(appId);
    sc.fake.on('GET', /.*/, found(appUser(appId)));
    sc.fake.on('DELETE', /.*/, { status: 204 });

    const get = await sc.scim('GET', `/Users/${scimId}`);
    const del = await sc.scim('DELETE', `/Users/${scimId}`);

    // Every call stayed on /v1/users/<one segment> and that segment decodes to the app id.
    for (const call of sc.calls) {
      expect(call.path).toMatch(/^\/v1\/users\/[^/?#]+$/);
      expect(decodeURIComponent(call.path.slice('/v1/users/'.length))).toBe(appId);
      expect(call.search).toBe('');
    }
    if (/^\.+$/.test(appId)) {
      // No encoding keeps a dot segment in place (URL parsers read %2E%2E as ..): nothing is sent.
      expect(sc.calls).toEqual([]);
      expect(get.status).toBeGreaterThanOrEqual(400);
      expect(get.error().schemas).toEqual([SCIM_ERROR_SCHEMA]);
    } else {
      const encoded = encodeURIComponent(appId);
      expect(summary(sc.calls)).toEqual([`GET /v1/users/${encoded}`, `DELETE /v1/users/${encoded}`]);
      expect(get.status, get.text).toBe(200);
      expect(get.resource().id).toBe(scimId);
      expect(del.status).toBe(204);
    }
  });

  it.each([
    ['a&per_page=1000', 'a%26per_page%3D1000'],
    ['../etc', '..%2Fetc'],
    ['x?y#z', 'x%3Fy%23z'],
    ['%2F', '%252F'],
    ['a\r\nb', 'a%0D%0Ab'],
  ])('filter value %j becomes one encoded query value', async (value, encoded) => {
    sc.fake.on('GET', /.*/, EMPTY_LIST);
    const res = await sc.scim('GET', filterUrl(`userName eq ${JSON.stringify(value)}`));
    expect(res.status, res.text).toBe(200);
    expect(res.list().totalResults).toBe(0);
    expect(sc.calls).toHaveLength(1);
    expect(sc.calls[0]?.path).toBe('/v1/users');
    expect(sc.calls[0]?.search).toBe(`page=1&per_page=2&username=${encoded}`);
    expect(sc.calls[0]?.query).toEqual([
      ['page', '1'],
      ['per_page', '2'],
      ['username', value],
    ]);
  });

  it.each(['../../admin', 'a/b', '..', '.', '%2e%2e'])(
    'filter value %j in a push-down path never leaves that path',
    async (value) => {
      sc.fake.on('GET', /.*/, EMPTY_LIST);
      await sc.scim('GET', filterUrl(`emails.value eq ${JSON.stringify(value)}`));
      for (const call of sc.calls) {
        expect(call.path).toMatch(/^\/v1\/users\/by-email\/[^/?#]+$/);
        expect(decodeURIComponent(call.path.slice('/v1/users/by-email/'.length))).toBe(value);
      }
      expect(sc.fake.unmatched).toEqual([]);
    },
  );

  it.each(['../../admin', '..', '.'])(
    'a filter on %j that the app cannot be asked about matches nothing: 200 with totalResults 0',
    async (value) => {
      sc.fake.on('GET', /.*/, EMPTY_LIST);
      const res = await sc.scim('GET', filterUrl(`emails.value eq ${JSON.stringify(value)}`));
      expect(res.status, res.text).toBe(200);
      expect(res.list()).toMatchObject({ totalResults: 0, Resources: [] });
    },
  );
});

describe('app failures, as the IdP sees them', () => {
  function createBody(): Record<string, unknown> {
    return entraUser('jdoe@contoso.com');
  }

  function expectScimError(
    res: { status: number; json: unknown; header(name: string): string | undefined },
    status: number,
  ) {
    expect(res.status).toBe(status);
    expect(res.header('content-type')).toMatch(/^application\/scim\+json/);
    expect(res.json).toMatchObject({ schemas: [SCIM_ERROR_SCHEMA], status: String(status) });
    const text = JSON.stringify(res.json);
    expect(text).not.toContain(UPSTREAM_API_KEY);
    expect(text).not.toContain(new URL(MOCK_ORIGIN).host);
  }

  it('409 → 409 uniqueness with the app message', async () => {
    sc.fake.once('POST', '/v1/users', {
      status: 409,
      json: { error: 'conflict', message: 'username already exists' },
    });
    // The sidecar may look the user up to tell a lost create from a real conflict: the holder of
    // the name is not visible by that name here, so the conflict stands.
    sc.fake.on('GET', '/v1/users', EMPTY_LIST);
    const res = await sc.scim('POST', '/Users', { body: createBody() });
    expectScimError(res, 409);
    expect(res.error().scimType).toBe('uniqueness');
    expect(res.error().detail).toContain('username already exists');
  });

  it.each([400, 422])('%i → 400 invalidValue with the app message', async (status) => {
    sc.fake.once('POST', '/v1/users', { status, json: { errors: ['Email is not a valid address'] } });
    const res = await sc.scim('POST', '/Users', { body: createBody() });
    expectScimError(res, 400);
    expect(res.error().scimType).toBe('invalidValue');
    expect(res.error().detail).toContain('Email is not a valid address');
  });

  it('404 on get, asked twice → 404', async () => {
    const scimId = await seed('u-gone');
    sc.fake.once('GET', '/v1/users/u-gone', { status: 404, json: { error: 'not_found' } });
    sc.fake.once('GET', '/v1/users/u-gone', { status: 404, json: { error: 'not_found' } });
    const res = await sc.scim('GET', `/Users/${scimId}`);
    expectScimError(res, 404);
  });

  it('500 with an HTML page → 502 whose detail holds no HTML', async () => {
    sc.fake.once('POST', '/v1/users', {
      status: 500,
      text: '<!DOCTYPE html><html><body><h1>Internal Server Error</h1><pre>at Foo.bar (app.rb:12)</pre></body></html>',
      headers: { 'content-type': 'text/html' },
    });
    const res = await sc.scim('POST', '/Users', { body: createBody() });
    expectScimError(res, 502);
    expect(res.error().detail).not.toMatch(/<|html|Foo\.bar/i);
  });

  // Retry-After values beyond what the IdP waits for: the sidecar passes them on instead of waiting.
  it('503 with Retry-After → 503 with Retry-After', async () => {
    sc.fake.on('POST', '/v1/users', {
      status: 503,
      json: { message: 'maintenance' },
      headers: { 'retry-after': '120' },
    });
    const res = await sc.scim('POST', '/Users', { body: createBody() });
    expectScimError(res, 503);
    expect(res.header('retry-after')).toBe('120');
  });

  it('429 with Retry-After → 429 with Retry-After', async () => {
    sc.fake.on('GET', '/v1/users', {
      status: 429,
      json: { message: 'slow down' },
      headers: { 'retry-after': '300' },
    });
    const res = await sc.scim('GET', filterUrl('userName eq "jdoe@contoso.com"'));
    expectScimError(res, 429);
    expect(res.header('retry-after')).toBe('300');
  });

  it.each([401, 403])('%i from the app → 502, never an auth failure toward the IdP', async (status) => {
    sc.fake.once('POST', '/v1/users', { status, json: { error: 'unauthorized' } });
    const res = await sc.scim('POST', '/Users', { body: createBody() });
    expectScimError(res, 502);
    expect(res.header('www-authenticate')).toBeUndefined();
  });

  it('truncated JSON on get → 502', async () => {
    const scimId = await seed('u-trunc');
    sc.fake.once('GET', '/v1/users/u-trunc', {
      status: 200,
      text: '{"user": {"userId": "u-trunc", "usern',
      headers: { 'content-type': 'application/json' },
    });
    const res = await sc.scim('GET', `/Users/${scimId}`);
    expectScimError(res, 502);
    // A broken answer is not a reason to forget the user.
    expect(await sc.idMap.get('User', scimId)).toBeDefined();
  });

  it('garbage on create → 502', async () => {
    sc.fake.once('POST', '/v1/users', {
      status: 201,
      text: 'OK!!',
      headers: { 'content-type': 'application/json' },
    });
    const res = await sc.scim('POST', '/Users', { body: createBody() });
    expectScimError(res, 502);
  });

  it('garbage on a filtered list → 502, not an empty result the IdP would act on', async () => {
    sc.fake.once('GET', '/v1/users', {
      status: 200,
      text: '<html><body>Login required</body></html>',
      headers: { 'content-type': 'text/html' },
    });
    const res = await sc.scim('GET', filterUrl('userName eq "jdoe@contoso.com"'));
    expectScimError(res, 502);
  });

  it('a rejected create leaves the id map untouched; the retry creates exactly one', async () => {
    sc.fake.once('POST', '/v1/users', { status: 500, text: '<html>boom</html>' });
    sc.fake.once('POST', '/v1/users', { status: 201, json: { user: appUser('u-600') } });

    const failed = await sc.scim('POST', '/Users', { body: createBody() });
    expect(failed.status).toBe(502);
    expect(await sc.idMap.size('User')).toBe(0);
    expect(await sc.idMap.findByExternalId('User', 'ext-jdoe')).toBeUndefined();

    const retried = await sc.scim('POST', '/Users', { body: createBody() });
    expect(retried.status, retried.text).toBe(201);
    expect(await sc.idMap.size('User')).toBe(1);
    expect(await sc.idMap.findByAppId('User', 'u-600')).toMatchObject({
      scimId: retried.resource().id,
      externalId: 'ext-jdoe',
    });
    expect(summary(sc.calls)).toEqual(['POST /v1/users', 'POST /v1/users']);
  });
});
