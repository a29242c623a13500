import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/app.js';
import { demoConfig } from '../../../src/cli/demo.js';
import { DEFAULTS } from '../../../src/config/deployment-config.js';
import { type DemoApp, startDemoApp } from '../../../src/demo/demo-app.js';
import { loadMapping } from '../../../src/mapping/load-mapping.js';
import { hashPassword, hashToken } from '../../../src/security/credentials.js';
import { type SecureSidecar, startSecureSidecar } from '../../helpers/security.js';
import { DEMO_MAPPING_FILE, SCIM_TOKEN } from '../../helpers/sidecar.js';

const BASIC_USER = 'provisioning';
const BASIC_PASSWORD = 'a-long-and-unguessable-password-41';
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

async function call(app: FastifyInstance, from: string, authorization?: string) {
  const res = await app.inject({
    method: 'GET',
    url: '/scim/v2/Users?count=1',
    headers: authorization ? { authorization } : {},
    remoteAddress: from,
  });
  return { status: res.statusCode, retryAfter: res.headers['retry-after'] };
}

describe('the failure throttle, with two clients behind one address (an ingress, a NAT)', () => {
  let sc: SecureSidecar;

  beforeAll(async () => {
    sc = await startSecureSidecar({
      auth: {
        bearer: { tokens: [{ name: 'entra', hash: hashToken(SCIM_TOKEN) }] },
        basic: { username: BASIC_USER, passwordHash: hashPassword(BASIC_PASSWORD) },
      },
      server: { authThrottle: { ...DEFAULTS.authThrottle } },
    });
  });
  afterAll(async () => {
    await sc.close();
  });

  it("never refuses the IdP's valid token, however long a neighbour guesses", async () => {
    const from = '10.0.0.5';
    const neighbour: number[] = [];
    for (let i = 0; i < 30; i++) {
      neighbour.push((await call(sc.app, from, `Bearer guess-${i}`)).status);
      expect((await call(sc.app, from, `Bearer ${SCIM_TOKEN}`)).status).toBe(200);
    }
    expect(neighbour.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(neighbour.slice(10)).toEqual(Array(20).fill(429));
    expect(Number((await call(sc.app, from, 'Bearer guess-again')).retryAfter)).toBeGreaterThan(0);
  });

  it('counts requests without credentials, and still lets the valid token in', async () => {
    const from = '10.0.0.6';
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await call(sc.app, from)).status);
    expect(statuses).toEqual([...Array(10).fill(401), 429, 429]);
    expect((await call(sc.app, from, `Bearer ${SCIM_TOKEN}`)).status).toBe(200);
  });

  it('never refuses a basic credential that has succeeded while a neighbour guesses its password', async () => {
    const from = '10.0.0.7';
    const idp = basic(BASIC_USER, BASIC_PASSWORD);
    expect((await call(sc.app, from, idp)).status).toBe(200);
    const guesses: number[] = [];
    for (let i = 0; i < 12; i++) {
      guesses.push((await call(sc.app, from, basic(BASIC_USER, `guess-${i}`))).status);
      expect((await call(sc.app, from, idp)).status).toBe(200);
    }
    // Blocked guesses are answered 429 without being checked: the guesser learns nothing more.
    expect(guesses).toEqual([...Array(10).fill(401), 429, 429]);
  });

  it('leaves other addresses alone', async () => {
    for (let i = 0; i < 12; i++) await call(sc.app, '10.0.0.8', 'Bearer guess');
    expect((await call(sc.app, '10.0.0.9', 'Bearer guess')).status).toBe(401);
  });
});

describe('the demo (npm start)', () => {
  let demo: DemoApp;
  let app: FastifyInstance;
  const token = 'demo-token-for-the-throttle-test';

  beforeAll(async () => {
    const apiKey = 'demo-api-key-for-the-throttle-test';
    demo = await startDemoApp({ apiKey });
    const config = demoConfig({
      host: '127.0.0.1',
      port: 0,
      token,
      upstreamUrl: demo.url,
      apiKey,
      mappingFile: DEMO_MAPPING_FILE,
      level: 'silent',
    });
    app = await buildApp(config, loadMapping(DEMO_MAPPING_FILE));
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await demo?.close();
  });

  it('throttles failed authentications with the defaults serve uses', async () => {
    const statuses: number[] = [];
    for (let i = 0; i <= DEFAULTS.authThrottle.maxFailures; i++)
      statuses.push((await call(app, '192.0.2.10', `Bearer guess-${i}`)).status);
    expect(statuses.at(-2)).toBe(401);
    expect(statuses.at(-1)).toBe(429);
    expect((await call(app, '192.0.2.10', `Bearer ${token}`)).status).toBe(200);
  });
});
