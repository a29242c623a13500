import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { looksLikeScimPath } from '../../src/passthrough/path-guard.js';
import { hashPassword, hashToken } from '../../src/security/credentials.js';
import {
  JwksServer,
  type RawResponse,
  type RecordingApp,
  rawRequest,
  type SecureSidecar,
  signToken,
  startRecordingApp,
  startSecureSidecar,
} from '../helpers/security.js';
import { SCIM_TOKEN } from '../helpers/sidecar.js';

const EXPIRED_TOKEN = 'expired-scim-token-passthrough-91c';
const BASIC_USER = 'scim-provisioner';
const BASIC_PASSWORD = 'hunter2-but-longer-and-better';
const basic = (pair: string) => `Basic ${Buffer.from(pair).toString('base64')}`;

let app: RecordingApp;
let jwks: JwksServer;
let signing: Awaited<ReturnType<JwksServer['newKey']>>;
let sc: SecureSidecar;

beforeAll(async () => {
  app = await startRecordingApp();
  jwks = await JwksServer.start();
  signing = await jwks.newKey('k1');
  sc = await startSecureSidecar({
    upstreamUrl: app.url,
    listen: true,
    auth: {
      bearer: {
        tokens: [
          { name: 'entra', hash: hashToken(SCIM_TOKEN) },
          { name: 'old', hash: hashToken(EXPIRED_TOKEN), expiresAt: new Date(Date.now() - 1000) },
        ],
      },
      basic: { username: BASIC_USER, passwordHash: hashPassword(BASIC_PASSWORD) },
      jwt: jwks.config(),
    },
  });
});

afterAll(async () => {
  await sc?.close();
  await jwks?.close();
  await app?.close();
});

beforeEach(() => {
  app.received.length = 0;
});

const SCIM_JSON = /^application\/scim\+json/;

/** Requests to the app whose path, however spelled, is the SCIM base path. */
function scimPathsAtApp(): string[] {
  return app.received.map((r) => r.url).filter((url) => looksLikeScimPath(url, '/scim/v2'));
}

describe('SCIM paths cannot be reached around authentication through the passthrough', () => {
  /** [request target, where it must end: 'scim' (the authenticated scope) or 'refused'] */
  const variants: Array<[string, 'scim' | 'refused']> = [
    ['/scim/v2/Users', 'scim'],
    ['/SCIM/V2/Users', 'scim'],
    ['/Scim/v2/uSeRs', 'scim'],
    ['/%73cim/v2/Users', 'scim'],
    ['/scim/%76%32/Users', 'scim'],
    ['/scim/v2/Users/', 'scim'],
    ['/scim/v2/', 'scim'],
    ['/scim/v2', 'scim'],
    ['//scim/v2/Users', 'scim'],
    ['/scim//v2/Users', 'scim'],
    ['/scim/v2//Users', 'scim'],
    ['http://app.example/scim/v2/Users', 'scim'],
    ['/scim%2Fv2/Users', 'refused'],
    ['/scim%2fv2%2fUsers', 'refused'],
    ['/scim/v2%2FUsers', 'refused'],
    ['/scim%252Fv2/Users', 'refused'],
    ['/scim%5Cv2/Users', 'refused'],
    ['/scim\\v2\\Users', 'refused'],
    ['/x/../scim/v2/Users', 'refused'],
    ['/x/%2e%2e/scim/v2/Users', 'refused'],
    ['/x/%2E%2E%2Fscim/v2/Users', 'refused'],
    ['/./scim/v2/Users', 'refused'],
    ['/scim/./v2/Users', 'refused'],
    ['/scim;jsessionid=1/v2/Users', 'refused'],
    ['/scim./v2/Users', 'refused'],
    ['/public/../scim/v2/Users?filter=userName%20eq%20%22x%22', 'refused'],
  ];

  function expectWhere(res: RawResponse, where: 'scim' | 'refused', authenticated: boolean): void {
    expect(res.headers['content-type']).toMatch(SCIM_JSON);
    if (where === 'refused') expect(res.status).toBe(400);
    else if (!authenticated) expect(res.status).toBe(401);
    else expect(res.status).not.toBe(401);
  }

  it.each(variants)('%s without credentials: %s, and the app receives nothing', async (target, where) => {
    for (const method of ['GET', 'POST', 'DELETE']) {
      const res = await rawRequest(
        sc.port,
        method,
        target,
        method === 'POST' ? { 'content-type': 'application/json' } : {},
        method === 'POST' ? '{}' : undefined,
      );
      expectWhere(res, where, false);
    }
    expect(app.received).toEqual([]);
  });

  it.each(variants)(
    '%s with the SCIM token: %s, and the app never sees a SCIM path',
    async (target, where) => {
      const res = await rawRequest(sc.port, 'GET', target, { authorization: `Bearer ${SCIM_TOKEN}` });
      expectWhere(res, where, true);
      // An authenticated SCIM request makes mapped calls to the app (its own API paths): fine.
      expect(scimPathsAtApp()).toEqual([]);
    },
  );

  it('still proxies ordinary paths, including ones that merely resemble the base path', async () => {
    for (const target of [
      '/',
      '/scimitar',
      '/scim/v20/Users',
      '/api/scim/v2/Users',
      '/a/../b',
      '/files/x%2Fy',
    ]) {
      app.received.length = 0;
      const res = await rawRequest(sc.port, 'GET', target);
      if (target === '/a/../b') {
        // @fastify/reply-from refuses dot segments itself; nothing is forwarded.
        expect(res.status).toBe(400);
        expect(app.received).toEqual([]);
        continue;
      }
      expect(res.status, target).toBe(200);
      expect(app.received.map((r) => r.url)).toEqual([target]);
    }
  });
});

describe('SCIM credentials are never forwarded to the app', () => {
  async function forwardedAuthorization(authorization: string): Promise<string | undefined> {
    app.received.length = 0;
    const res = await rawRequest(sc.port, 'GET', '/api/profile', { authorization });
    expect(res.status).toBe(200);
    expect(app.received).toHaveLength(1);
    return app.received[0]?.headers.authorization;
  }

  it.each<[string, () => Promise<string> | string]>([
    ['the SCIM bearer token', () => `Bearer ${SCIM_TOKEN}`],
    ['the SCIM bearer token with a lower-case scheme', () => `bearer ${SCIM_TOKEN}`],
    ['an expired SCIM token', () => `Bearer ${EXPIRED_TOKEN}`],
    ['the SCIM basic credentials', () => basic(`${BASIC_USER}:${BASIC_PASSWORD}`)],
    ['the SCIM basic user with a wrong password', () => basic(`${BASIC_USER}:not-the-password`)],
    ['a JWT issued for the SCIM audience', () => signToken(signing)],
    ['an expired JWT issued for the SCIM audience', () => signToken(signing, { expiresIn: -3600 })],
  ])('strips %s', async (_label, make) => {
    const value = await make();
    const authorization = value.startsWith('ey') ? `Bearer ${value}` : value;
    expect(await forwardedAuthorization(authorization)).toBeUndefined();
  });

  it.each<[string, () => Promise<string> | string]>([
    ['the app’s own bearer token', () => 'Bearer app-user-session-token-123'],
    ['an app user’s basic credentials', () => basic('alice:wonderland')],
    [
      'a JWT for another audience',
      async () => `Bearer ${await signToken(signing, { audience: 'api://the-app' })}`,
    ],
    ['another scheme', () => 'Digest username="alice", realm="app"'],
  ])('keeps %s', async (_label, make) => {
    const authorization = await make();
    expect(await forwardedAuthorization(authorization)).toBe(authorization);
  });
});

describe('hop-by-hop headers', () => {
  it('are not forwarded to the app; end-to-end headers are', async () => {
    const res = await rawRequest(sc.port, 'GET', '/api/hop', {
      connection: 'keep-alive, x-hop-secret',
      'x-hop-secret': 'for-the-next-hop-only',
      'keep-alive': 'timeout=5',
      'proxy-authorization': basic('proxy-user:proxy-pass'),
      'proxy-connection': 'keep-alive',
      te: 'gzip',
      upgrade: 'h2c',
      'x-request-id': 'abc-123',
      cookie: 'app_session=s1',
      accept: 'application/json',
    });
    expect(res.status).toBe(200);
    const headers = app.received[0]?.headers ?? {};
    for (const name of [
      'x-hop-secret',
      'keep-alive',
      'proxy-authorization',
      'proxy-connection',
      'te',
      'upgrade',
    ]) {
      expect(headers, name).not.toHaveProperty(name);
    }
    expect(headers['x-request-id']).toBe('abc-123');
    expect(headers.cookie).toBe('app_session=s1');
    expect(headers.accept).toBe('application/json');
  });

  it('keeps TE: trailers, the one value a hop may pass on', async () => {
    await rawRequest(sc.port, 'GET', '/api/te', { te: 'trailers' });
    expect(app.received[0]?.headers.te).toBe('trailers');
  });

  it('are not passed back from the app to the client', async () => {
    app.responseHeaders['x-app-hop'] = 'internal';
    app.responseHeaders['proxy-authenticate'] = 'Basic realm="internal-proxy"';
    app.responseHeaders['keep-alive'] = 'timeout=30';
    app.responseHeaders.connection = 'x-app-hop';
    app.responseHeaders['x-app-visible'] = 'yes';
    try {
      const res = await rawRequest(sc.port, 'GET', '/api/hop-back');
      expect(res.status).toBe(200);
      expect(res.headers).not.toHaveProperty('x-app-hop');
      expect(res.headers).not.toHaveProperty('proxy-authenticate');
      expect(res.headers['keep-alive']).not.toBe('timeout=30');
      expect(res.headers['x-app-visible']).toBe('yes');
    } finally {
      for (const name of ['x-app-hop', 'proxy-authenticate', 'keep-alive', 'connection', 'x-app-visible']) {
        delete app.responseHeaders[name];
      }
    }
  });
});
