import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { JwksServer, type SecureSidecar, signToken, startSecureSidecar } from '../helpers/security.js';
import { bearerAuth, SCIM_ERROR_SCHEMA, SCIM_TOKEN } from '../helpers/sidecar.js';

interface Call {
  from: string;
  token?: string | null;
  authorization?: string;
  forwardedFor?: string;
  url?: string;
}

async function call(app: FastifyInstance, c: Call) {
  const headers: Record<string, string> = {};
  if (c.authorization) headers.authorization = c.authorization;
  else if (c.token !== null) headers.authorization = `Bearer ${c.token ?? SCIM_TOKEN}`;
  if (c.forwardedFor) headers['x-forwarded-for'] = c.forwardedFor;
  const res = await app.inject({
    method: 'GET',
    url: c.url ?? '/scim/v2/Users?count=1',
    headers,
    remoteAddress: c.from,
  });
  const json = /json/.test(String(res.headers['content-type']))
    ? (JSON.parse(res.body) as unknown)
    : undefined;
  return { status: res.statusCode, headers: res.headers, json, body: res.body };
}

describe('server.allowList', () => {
  let sc: SecureSidecar;

  beforeAll(async () => {
    sc = await startSecureSidecar({
      server: {
        allowList: ['10.1.0.0/16', '2001:db8::/32', '192.0.2.7'],
        trustedProxies: ['127.0.0.1', '10.9.0.0/16'],
      },
    });
  });
  afterAll(async () => {
    await sc.close();
  });

  it.each(['10.1.2.3', '10.1.255.254', '2001:db8::1', '::ffff:10.1.2.3', '192.0.2.7'])(
    'lets %s in',
    async (from) => {
      expect((await call(sc.app, { from })).status).toBe(200);
    },
  );

  it.each(['10.2.0.1', '192.0.2.8', '2001:db9::1', '::1', '::ffff:10.2.0.1'])(
    'answers 403 to %s, as a SCIM error',
    async (from) => {
      const res = await call(sc.app, { from });
      expect(res.status).toBe(403);
      expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
      expect(res.json).toMatchObject({ schemas: [SCIM_ERROR_SCHEMA], status: '403' });
    },
  );

  it('answers 403 before looking at credentials, so it reveals nothing about them', async () => {
    expect((await call(sc.app, { from: '10.2.0.1', token: null })).status).toBe(403);
    expect((await call(sc.app, { from: '10.2.0.1', token: 'wrong' })).status).toBe(403);
    expect(
      (await call(sc.app, { from: '10.2.0.1', token: null })).headers['www-authenticate'],
    ).toBeUndefined();
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    expect((await call(sc.app, { from: '10.2.0.1', forwardedFor: '10.1.2.3' })).status).toBe(403);
    // …and the header cannot lock out an allowed peer either.
    expect((await call(sc.app, { from: '10.1.2.3', forwardedFor: '10.2.0.1' })).status).toBe(200);
  });

  it('believes the entry a trusted proxy appended', async () => {
    expect((await call(sc.app, { from: '127.0.0.1', forwardedFor: '10.1.2.3' })).status).toBe(200);
    expect((await call(sc.app, { from: '127.0.0.1', forwardedFor: '10.2.0.1' })).status).toBe(403);
  });

  it('never believes entries the client wrote itself, left of the proxy’s', async () => {
    // The client sent "X-Forwarded-For: 10.1.2.3"; the proxy appended the real address.
    const res = await call(sc.app, { from: '127.0.0.1', forwardedFor: '10.1.2.3, 10.2.0.1' });
    expect(res.status).toBe(403);
  });

  it('walks past every trusted proxy in a chain', async () => {
    expect((await call(sc.app, { from: '127.0.0.1', forwardedFor: '10.1.2.3, 10.9.0.4' })).status).toBe(200);
    expect((await call(sc.app, { from: '127.0.0.1', forwardedFor: '10.2.0.1, 10.9.0.4' })).status).toBe(403);
  });

  it('treats a malformed forwarded entry as the end of what can be believed', async () => {
    const res = await call(sc.app, { from: '127.0.0.1', forwardedFor: '10.1.2.3, not-an-ip' });
    // The proxy itself (127.0.0.1) is the last believable address, and it is not allowed.
    expect(res.status).toBe(403);
  });

  it('does not apply to the passthrough or the ops endpoints', async () => {
    expect((await call(sc.app, { from: '10.2.0.1', token: null, url: '/' })).status).toBe(200);
    expect((await call(sc.app, { from: '10.2.0.1', token: null, url: '/healthz' })).status).toBe(200);
  });

  it('records refusals in the audit trail with the resolved client address', async () => {
    sc.audit.clear();
    await call(sc.app, { from: '127.0.0.1', forwardedFor: '10.2.0.99' });
    expect(sc.audit.records()).toEqual([
      expect.objectContaining({
        log: 'audit',
        outcome: 'denied',
        status: 403,
        clientIp: '10.2.0.99',
        principal: null,
      }),
    ]);
  });
});

describe('throttling repeated authentication failures', () => {
  let sc: SecureSidecar;

  beforeAll(async () => {
    sc = await startSecureSidecar({
      server: {
        authThrottle: { maxFailures: 3, windowSec: 60, blockSec: 120 },
        trustedProxies: ['10.9.0.1'],
      },
    });
  });
  afterAll(async () => {
    await sc.close();
  });

  it('blocks failing credentials from an address after maxFailures failures, never the valid token', async () => {
    const from = '198.51.100.1';
    expect((await call(sc.app, { from, token: 'guess-1' })).status).toBe(401);
    expect((await call(sc.app, { from, token: 'guess-2' })).status).toBe(401);
    expect((await call(sc.app, { from, token: 'guess-3' })).status).toBe(401);
    expect((await call(sc.app, { from, token: SCIM_TOKEN })).status).toBe(200);
    for (const token of ['guess-4', 'guess-5']) {
      const res = await call(sc.app, { from, token });
      expect(res.status).toBe(429);
      const retryAfter = Number(res.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(110);
      expect(retryAfter).toBeLessThanOrEqual(120);
      expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
      expect(res.json).toMatchObject({ schemas: [SCIM_ERROR_SCHEMA], status: '429' });
    }
  });

  it('does not count successes, nor let them reset the count', async () => {
    const from = '198.51.100.2';
    expect((await call(sc.app, { from, token: 'guess-1' })).status).toBe(401);
    for (let i = 0; i < 20; i++) expect((await call(sc.app, { from })).status).toBe(200);
    expect((await call(sc.app, { from, token: 'guess-2' })).status).toBe(401);
    expect((await call(sc.app, { from })).status).toBe(200);
    expect((await call(sc.app, { from, token: 'guess-3' })).status).toBe(401);
    expect((await call(sc.app, { from, token: 'guess-4' })).status).toBe(429);
    expect((await call(sc.app, { from })).status).toBe(200);
  });

  it('keeps other addresses out of it', async () => {
    expect((await call(sc.app, { from: '198.51.100.3' })).status).toBe(200);
  });

  it('counts requests that carry no credentials', async () => {
    const from = '198.51.100.4';
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await call(sc.app, { from, token: null })).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    expect((await call(sc.app, { from })).status).toBe(200);
  });

  it('cannot be dodged by a forged X-Forwarded-For', async () => {
    const from = '198.51.100.5';
    for (let i = 0; i < 3; i++) {
      const forwardedFor = `203.0.113.${i}`;
      expect((await call(sc.app, { from, token: 'guess', forwardedFor })).status).toBe(401);
    }
    expect((await call(sc.app, { from, token: 'guess', forwardedFor: '203.0.113.200' })).status).toBe(429);
  });

  it('throttles the client behind a trusted proxy, not the proxy', async () => {
    const proxy = '10.9.0.1';
    for (let i = 0; i < 3; i++) {
      await call(sc.app, { from: proxy, token: 'guess', forwardedFor: '203.0.113.50' });
    }
    const guess = (forwardedFor: string) => call(sc.app, { from: proxy, token: 'guess', forwardedFor });
    expect((await guess('203.0.113.50')).status).toBe(429);
    expect((await guess('203.0.113.51')).status).toBe(401);
  });

  it('records the refusals as denied in the audit trail', async () => {
    sc.audit.clear();
    const from = '198.51.100.6';
    for (let i = 0; i < 4; i++) await call(sc.app, { from, token: 'guess' });
    expect(sc.audit.records().map((r) => [r.outcome, r.status])).toEqual([
      ['denied', 401],
      ['denied', 401],
      ['denied', 401],
      ['denied', 429],
    ]);
  });
});

describe('throttling and an unreachable JWT key set', () => {
  let jwks: JwksServer;
  let sc: SecureSidecar | undefined;

  beforeAll(async () => {
    jwks = await JwksServer.start();
  });
  afterEach(async () => {
    await sc?.close();
    sc = undefined;
  });
  afterAll(async () => {
    await jwks.close();
  });

  it('does not count an outage of the identity provider against the caller', async () => {
    const key = await jwks.newKey('k1');
    jwks.available = false;
    sc = await startSecureSidecar({
      auth: { ...bearerAuth(), jwt: jwks.config() },
      server: { authThrottle: { maxFailures: 2, windowSec: 60, blockSec: 60 } },
      logLevel: 'warn',
    });
    const token = await signToken(key);
    for (let i = 0; i < 4; i++) {
      expect((await call(sc.app, { from: '198.51.100.20', authorization: `Bearer ${token}` })).status).toBe(
        401,
      );
    }
    expect(sc.logs.records().some((r) => r.msg === 'SCIM authentication could not be checked')).toBe(true);
    jwks.available = true;
    expect((await call(sc.app, { from: '198.51.100.20' })).status).toBe(200);
  });
});
