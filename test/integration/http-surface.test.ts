import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hashPassword, hashToken } from '../../src/security/credentials.js';
import {
  type DemoSidecar,
  ENTERPRISE_SCHEMA,
  entraUser,
  GROUP_SCHEMA,
  LIST_RESPONSE_SCHEMA,
  patchOp,
  SCIM_BASE_URL,
  SCIM_ERROR_SCHEMA,
  SCIM_TOKEN,
  send,
  startDemoSidecar,
  UPSTREAM_API_KEY,
  USER_SCHEMA,
} from '../helpers/sidecar.js';

const SCIM_JSON = /^application\/scim\+json/;
const BEARER_CHALLENGE = 'Bearer realm="scim-sidecar"';

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

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

const SCIM_ROUTES: Array<[Method, string]> = [
  ['GET', '/Users'],
  ['POST', '/Users'],
  ['POST', '/Users/.search'],
  ['GET', '/Users/8f0c1a52-1f0e-4c1e-9d55-000000000001'],
  ['PUT', '/Users/8f0c1a52-1f0e-4c1e-9d55-000000000001'],
  ['PATCH', '/Users/8f0c1a52-1f0e-4c1e-9d55-000000000001'],
  ['DELETE', '/Users/8f0c1a52-1f0e-4c1e-9d55-000000000001'],
  ['GET', '/Groups'],
  ['POST', '/Groups'],
  ['POST', '/Groups/.search'],
  ['GET', '/Groups/8f0c1a52-1f0e-4c1e-9d55-000000000002'],
  ['PUT', '/Groups/8f0c1a52-1f0e-4c1e-9d55-000000000002'],
  ['PATCH', '/Groups/8f0c1a52-1f0e-4c1e-9d55-000000000002'],
  ['DELETE', '/Groups/8f0c1a52-1f0e-4c1e-9d55-000000000002'],
  ['GET', '/ServiceProviderConfig'],
  ['GET', '/ResourceTypes'],
  ['GET', '/ResourceTypes/User'],
  ['GET', '/Schemas'],
  ['GET', `/Schemas/${USER_SCHEMA}`],
  ['GET', '/NoSuchEndpoint'],
  ['GET', ''],
];

function bodyFor(method: Method): unknown {
  if (method === 'PATCH') return patchOp({ op: 'Replace', path: 'displayName', value: 'x' });
  if (method === 'POST' || method === 'PUT') return entraUser('intruder@contoso.com');
  return undefined;
}

function expectUnauthorized(res: Awaited<ReturnType<typeof send>>, challenge = BEARER_CHALLENGE): void {
  expect(res.status).toBe(401);
  expect(res.header('content-type')).toMatch(SCIM_JSON);
  expect(res.header('www-authenticate')).toBe(challenge);
  const error = res.error();
  expect(error.schemas).toEqual([SCIM_ERROR_SCHEMA]);
  expect(error.status).toBe('401');
  expect(typeof error.detail).toBe('string');
}

describe('authentication on every SCIM route', () => {
  const wrongCredentials: Array<[string, { token?: string | null; authorization?: string }]> = [
    ['no Authorization header', { token: null }],
    ['a wrong bearer token', { token: 'not-the-token' }],
    ['the token with one character changed', { token: `${SCIM_TOKEN.slice(0, -1)}X` }],
    ['an empty bearer token', { authorization: 'Bearer ' }],
    ['the token without a scheme', { authorization: SCIM_TOKEN }],
    [
      'the token under the Basic scheme',
      { authorization: `Basic ${Buffer.from(`x:${SCIM_TOKEN}`).toString('base64')}` },
    ],
  ];

  for (const [label, credentials] of wrongCredentials) {
    it.each(SCIM_ROUTES)(`401 for %s %s with ${label}`, async (method, path) => {
      const body = bodyFor(method);
      const res = await sc.scim(method, path, { ...credentials, ...(body !== undefined ? { body } : {}) });
      expectUnauthorized(res);
      expect(sc.calls).toEqual([]);
    });
  }

  it('never creates anything in the app for an unauthenticated create', async () => {
    await sc.scim('POST', '/Users', { token: null, body: entraUser('sneaky@contoso.com') });
    expect(sc.demo.store.listAccounts({ login: 'sneaky@contoso.com' }).total).toBe(0);
  });

  it('accepts the scheme name in any case', async () => {
    const res = await sc.scim('GET', '/Users', { authorization: `bEaReR ${SCIM_TOKEN}` });
    expect(res.status).toBe(200);
  });

  it.each([
    '/SCIM/V2/users',
    '/scim/v2/USERS',
    '/Scim/V2/Groups',
    '/scim/v2/Users/',
    '//scim/v2/Users',
    '/scim//v2/Users',
    '/scim/v2/ServiceProviderConfig/',
  ])('%s still requires authentication and is not proxied', async (url) => {
    const res = await send(sc.app, 'GET', url, { token: null });
    expectUnauthorized(res);
  });

  it('/SCIM/V2/users with the token is the Users endpoint', async () => {
    const res = await send(sc.app, 'GET', '/SCIM/V2/users?count=1');
    expect(res.status).toBe(200);
    expect(res.list().schemas).toEqual([LIST_RESPONSE_SCHEMA]);
  });
});

describe('token lifetime and basic auth', () => {
  let multi: DemoSidecar;
  const past = new Date(Date.now() - 60_000);
  const future = new Date(Date.now() + 3_600_000);

  beforeAll(async () => {
    multi = await startDemoSidecar({
      auth: {
        bearer: {
          tokens: [
            { name: 'rotated-out', hash: hashToken('expired-token-1234'), expiresAt: past },
            { name: 'current', hash: hashToken(SCIM_TOKEN), expiresAt: future },
          ],
        },
        basic: { username: 'entra', passwordHash: hashPassword('correct horse battery staple') },
      },
    });
  });

  afterAll(async () => {
    await multi.close();
  });

  const bothChallenges = `${BEARER_CHALLENGE}, Basic realm="scim-sidecar", charset="UTF-8"`;

  it('refuses an expired token with 401', async () => {
    const res = await multi.scim('GET', '/Users', { token: 'expired-token-1234' });
    expectUnauthorized(res, bothChallenges);
  });

  it('accepts a token that has not expired yet', async () => {
    expect((await multi.scim('GET', '/Users')).status).toBe(200);
  });

  it('accepts basic auth when configured', async () => {
    const credentials = Buffer.from('entra:correct horse battery staple').toString('base64');
    const res = await multi.scim('GET', '/ServiceProviderConfig', { authorization: `Basic ${credentials}` });
    expect(res.status).toBe(200);
    const schemes = (res.json as { authenticationSchemes: Array<{ type: string }> }).authenticationSchemes;
    expect(schemes.map((s) => s.type)).toEqual(['oauthbearertoken', 'httpbasic']);
  });

  it.each([
    ['a wrong password', 'entra:correct horse battery'],
    ['a wrong user', 'okta:correct horse battery staple'],
    ['no colon', 'entra'],
  ])('refuses basic auth with %s', async (_label, pair) => {
    const res = await multi.scim('GET', '/Users', {
      authorization: `Basic ${Buffer.from(pair).toString('base64')}`,
    });
    expectUnauthorized(res, bothChallenges);
  });

  it('refuses basic auth when only bearer tokens are configured', async () => {
    const res = await sc.scim('GET', '/Users', {
      authorization: `Basic ${Buffer.from('entra:correct horse battery staple').toString('base64')}`,
    });
    expectUnauthorized(res);
  });
});

describe('request bodies', () => {
  it.each(['application/json', 'application/json; charset=utf-8', 'application/scim+json'])(
    'accepts %s',
    async (contentType) => {
      const userName = `ct.${contentType.replace(/[^a-z]/g, '')}@contoso.com`;
      const res = await sc.scim('POST', '/Users', { body: entraUser(userName), contentType });
      expect(res.status, res.text).toBe(201);
      expect(res.header('content-type')).toMatch(SCIM_JSON);
      const patch = await sc.scim('PATCH', `/Users/${res.resource().id}`, {
        body: patchOp({ op: 'Replace', path: 'title', value: 'Tester' }),
        contentType,
      });
      expect(patch.status, patch.text).toBe(204);
      expect(sc.demo.store.listAccounts({ login: userName }).items[0]?.title).toBe('Tester');
    },
  );

  it.each([
    ['truncated', '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":'],
    ['not JSON at all', 'userName=jdoe'],
    ['trailing comma', '{"userName":"jdoe@contoso.com",}'],
  ])('answers 400 invalidSyntax for a %s body', async (_label, rawBody) => {
    const res = await sc.scim('POST', '/Users', { rawBody });
    expect(res.status).toBe(400);
    expect(res.header('content-type')).toMatch(SCIM_JSON);
    expect(res.error()).toMatchObject({
      schemas: [SCIM_ERROR_SCHEMA],
      status: '400',
      scimType: 'invalidSyntax',
    });
    expect(sc.calls).toEqual([]);
  });

  it.each([
    ['top-level __proto__', '{"userName":"proto@contoso.com","__proto__":{"admin":true}}'],
    ['nested __proto__', '{"userName":"proto@contoso.com","name":{"__proto__":{"givenName":"x"}}}'],
    ['constructor.prototype', '{"userName":"proto@contoso.com","constructor":{"prototype":{"admin":true}}}'],
  ])('answers 400 for a body with %s', async (_label, rawBody) => {
    const res = await sc.scim('POST', '/Users', { rawBody });
    expect(res.status).toBe(400);
    expect(res.error()).toMatchObject({ schemas: [SCIM_ERROR_SCHEMA], status: '400' });
    expect(sc.calls).toEqual([]);
    expect(sc.demo.store.listAccounts({ login: 'proto@contoso.com' }).total).toBe(0);
  });

  it('answers 413 for a body over the configured limit', async () => {
    const small = await startDemoSidecar({ bodyLimit: 2048 });
    try {
      const res = await small.scim('POST', '/Users', {
        body: entraUser('big@contoso.com', { title: 'x'.repeat(4096) }),
      });
      expect(res.status).toBe(413);
      expect(res.header('content-type')).toMatch(SCIM_JSON);
      expect(res.error()).toMatchObject({ schemas: [SCIM_ERROR_SCHEMA], status: '413' });
      expect(small.calls).toEqual([]);
      // Just under the limit is fine.
      const ok = await small.scim('POST', '/Users', { body: entraUser('small@contoso.com') });
      expect(ok.status, ok.text).toBe(201);
    } finally {
      await small.close();
    }
  });
});

describe('query parameters', () => {
  it.each([
    'userName eq',
    'userName zz "a"',
    '(userName eq "a"',
    'userName eq "a" and',
    'emails[type eq "work"',
  ])('answers 400 invalidFilter for %j', async (filter) => {
    const res = await sc.scim('GET', `/Users?filter=${encodeURIComponent(filter)}`);
    expect(res.status).toBe(400);
    expect(res.header('content-type')).toMatch(SCIM_JSON);
    expect(res.error()).toMatchObject({
      schemas: [SCIM_ERROR_SCHEMA],
      status: '400',
      scimType: 'invalidFilter',
    });
    expect(sc.calls).toEqual([]);
  });

  it('answers 400 invalidFilter for a bad filter in POST .search', async () => {
    const res = await sc.scim('POST', '/Groups/.search', { body: { filter: 'displayName eq' } });
    expect(res.status).toBe(400);
    expect(res.error().scimType).toBe('invalidFilter');
  });

  it.each(['startIndex=abc', 'startIndex=1.5', 'count=ten', 'startIndex=1&startIndex=2'])(
    'answers 400 for %s',
    async (query) => {
      const res = await sc.scim('GET', `/Users?${query}`);
      expect(res.status).toBe(400);
      expect(res.header('content-type')).toMatch(SCIM_JSON);
      expect(res.error()).toMatchObject({ schemas: [SCIM_ERROR_SCHEMA], status: '400' });
      expect(sc.calls).toEqual([]);
    },
  );

  it('treats a negative count as 0', async () => {
    const res = await sc.scim('GET', '/Users?count=-5');
    expect(res.status).toBe(200);
    expect(res.list()).toMatchObject({ itemsPerPage: 0, Resources: [] });
  });
});

describe('paths under the SCIM base path that are not SCIM endpoints', () => {
  it.each([
    ['GET', '/NoSuchEndpoint'],
    ['GET', '/Users/a/b'],
    ['GET', ''],
    // /Me and /Bulk answer 501 (RFC 7644 §3.2): see protocol-edges.test.ts.
    ['GET', '/api/accounts'],
  ] as Array<[Method, string]>)('%s %s answers a SCIM 404, not the proxied app', async (method, path) => {
    const res = await sc.scim(method, path, method === 'POST' ? { body: {} } : {});
    expect(res.status).toBe(404);
    expect(res.header('content-type')).toMatch(SCIM_JSON);
    expect(res.error()).toMatchObject({ schemas: [SCIM_ERROR_SCHEMA], status: '404' });
    expect(res.text).not.toContain('not_found');
  });
});

describe('everything else goes to the app untouched', () => {
  it('proxies the home page', async () => {
    const res = await send(sc.app, 'GET', '/', { token: null });
    expect(res.status).toBe(200);
    expect(res.header('content-type')).toBe('text/html; charset=utf-8');
    expect(res.text).toContain('<h1>Acme Directory</h1>');
  });

  it('proxies a static file', async () => {
    const res = await send(sc.app, 'GET', '/public/hello.txt', { token: null });
    expect(res.status).toBe(200);
    expect(res.header('content-type')).toBe('text/plain; charset=utf-8');
    expect(res.text).toBe('hello from Acme Directory');
  });

  it("does not add the sidecar's app credentials to proxied calls", async () => {
    const res = await send(sc.app, 'GET', '/api/accounts', { token: null });
    expect(res.status).toBe(401);
    expect(res.json).toEqual({ error: 'unauthorized' });
    expect(res.header('www-authenticate')).toBeUndefined();
  });

  it('proxies the app API with the caller’s own key, query and body', async () => {
    const created = await send(sc.app, 'POST', '/api/accounts', {
      token: null,
      headers: { 'x-api-key': UPSTREAM_API_KEY },
      contentType: 'application/json',
      body: { account: { login: 'proxied.user', first_name: 'Pro', last_name: 'Xied' } },
    });
    expect(created.status, created.text).toBe(201);
    expect(sc.demo.store.listAccounts({ login: 'proxied.user' }).total).toBe(1);
    const listed = await send(sc.app, 'GET', '/api/accounts?login=proxied.user', {
      token: null,
      headers: { 'x-api-key': UPSTREAM_API_KEY },
    });
    expect(listed.status).toBe(200);
    expect(listed.json).toMatchObject({ total: 1, items: [{ login: 'proxied.user' }] });
    // Proxied traffic is not a mapped call.
    expect(sc.calls).toEqual([]);
  });

  it('passes the app’s own 404 through', async () => {
    const res = await send(sc.app, 'GET', '/no/such/page', { token: null });
    expect(res.status).toBe(404);
    expect(res.json).toEqual({ error: 'not_found' });
  });
});

describe('health endpoints', () => {
  it('/healthz answers 200 without credentials', async () => {
    const res = await send(sc.app, 'GET', '/healthz', { token: null });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: 'ok' });
  });

  it('/readyz answers 200 while the app is up', async () => {
    const res = await send(sc.app, 'GET', '/readyz', { token: null });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: 'ready' });
  });

  it('/readyz answers 503 when the app refuses the sidecar’s key', async () => {
    const wrongKey = await startDemoSidecar({
      upstreamAuth: { header: { name: 'X-Api-Key', value: 'wrong-key' } },
    });
    try {
      const ready = await send(wrongKey.app, 'GET', '/readyz', { token: null });
      expect(ready.status).toBe(503);
      expect(ready.json).toEqual({ status: 'not ready' });
      // And a SCIM call is a gateway failure, never a 401 the IdP would read as a bad token.
      const users = await wrongKey.scim('GET', '/Users');
      expect(users.status).toBe(502);
      expect(users.header('www-authenticate')).toBeUndefined();
    } finally {
      await wrongKey.close();
    }
  });

  it('/readyz answers 503 and SCIM calls 503 once the app is down', async () => {
    const down = await startDemoSidecar();
    try {
      expect((await send(down.app, 'GET', '/readyz', { token: null })).status).toBe(200);
      await down.demo.close();
      const users = await down.scim('GET', '/Users');
      expect(users.status).toBe(503);
      expect(users.header('content-type')).toMatch(SCIM_JSON);
      expect(users.error()).toMatchObject({ schemas: [SCIM_ERROR_SCHEMA], status: '503' });
      expect(Number(users.header('retry-after'))).toBeGreaterThan(0);

      // The cached "ready" goes as soon as a call to the app gets no answer.
      const ready = await send(down.app, 'GET', '/readyz', { token: null });
      expect(ready.status).toBe(503);
      expect(ready.json).toEqual({ status: 'not ready' });
      expect((await send(down.app, 'GET', '/healthz', { token: null })).status).toBe(200);
    } finally {
      await down.close();
    }
  });
});

describe('discovery', () => {
  it('GET /ServiceProviderConfig advertises PATCH and filtering', async () => {
    const res = await sc.scim('GET', '/ServiceProviderConfig');
    expect(res.status).toBe(200);
    expect(res.header('content-type')).toMatch(SCIM_JSON);
    expect(res.json).toMatchObject({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
      patch: { supported: true },
      bulk: { supported: false },
      filter: { supported: true, maxResults: 1000 },
      changePassword: { supported: false },
      sort: { supported: true },
      authenticationSchemes: [expect.objectContaining({ type: 'oauthbearertoken' })],
      meta: expect.objectContaining({ resourceType: 'ServiceProviderConfig' }),
    });
  });

  it('GET /ResourceTypes lists User with the enterprise extension, and Group', async () => {
    const res = await sc.scim('GET', '/ResourceTypes');
    expect(res.status).toBe(200);
    expect(res.header('content-type')).toMatch(SCIM_JSON);
    const body = res.json as {
      schemas: string[];
      totalResults: number;
      Resources: Array<Record<string, unknown>>;
    };
    expect(body.schemas).toEqual([LIST_RESPONSE_SCHEMA]);
    expect(body.totalResults).toBe(2);
    const byId = new Map(body.Resources.map((r) => [r.id, r]));
    expect(byId.get('User')).toMatchObject({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      schema: USER_SCHEMA,
      schemaExtensions: [{ schema: ENTERPRISE_SCHEMA, required: false }],
      meta: { resourceType: 'ResourceType', location: `${SCIM_BASE_URL}/ResourceTypes/User` },
    });
    expect(byId.get('Group')).toMatchObject({
      id: 'Group',
      name: 'Group',
      endpoint: '/Groups',
      schema: GROUP_SCHEMA,
    });
    expect(byId.get('Group')?.schemaExtensions).toBeUndefined();

    const one = await sc.scim('GET', '/ResourceTypes/User');
    expect(one.status).toBe(200);
    expect(one.json).toEqual(byId.get('User'));
  });

  it('GET /Schemas lists the User, enterprise and Group schemas', async () => {
    const res = await sc.scim('GET', '/Schemas');
    expect(res.status).toBe(200);
    expect(res.header('content-type')).toMatch(SCIM_JSON);
    const body = res.json as {
      totalResults: number;
      Resources: Array<{ id: string; schemas: string[]; attributes: Array<{ name: string }> }>;
    };
    expect(body.Resources.map((s) => s.id).sort()).toEqual(
      [ENTERPRISE_SCHEMA, GROUP_SCHEMA, USER_SCHEMA].sort(),
    );
    expect(body.totalResults).toBe(3);
    const user = body.Resources.find((s) => s.id === USER_SCHEMA);
    expect(user?.schemas).toEqual(['urn:ietf:params:scim:schemas:core:2.0:Schema']);
    expect(user?.attributes.map((a) => a.name)).toEqual(
      expect.arrayContaining(['userName', 'name', 'emails', 'active']),
    );
    const group = body.Resources.find((s) => s.id === GROUP_SCHEMA);
    expect(group?.attributes.map((a) => a.name)).toEqual(expect.arrayContaining(['displayName', 'members']));

    const one = await sc.scim('GET', `/Schemas/${ENTERPRISE_SCHEMA}`);
    expect(one.status).toBe(200);
    expect((one.json as { id: string }).id).toBe(ENTERPRISE_SCHEMA);

    const missing = await sc.scim('GET', '/Schemas/urn:example:no-such-schema');
    expect(missing.status).toBe(404);
    expect(missing.error()).toMatchObject({ schemas: [SCIM_ERROR_SCHEMA], status: '404' });
  });
});

describe('content type of SCIM responses', () => {
  it('is application/scim+json for lists, resources, errors and 201s', async () => {
    const created = await sc.scim('POST', '/Users', { body: entraUser('ctype@contoso.com') });
    expect(created.status).toBe(201);
    const id = created.resource().id;
    const responses = [
      created,
      await sc.scim('GET', '/Users'),
      await sc.scim('GET', `/Users/${id}`),
      await sc.scim('PUT', `/Users/${id}`, { body: entraUser('ctype@contoso.com') }),
      await sc.scim('GET', '/Groups'),
      await sc.scim('GET', '/Users/unknown'),
      await sc.scim('GET', '/Users', { token: null }),
    ];
    for (const res of responses)
      expect(res.header('content-type')).toBe('application/scim+json; charset=utf-8');
  });
});
