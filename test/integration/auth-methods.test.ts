import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTokenCommand } from '../../src/cli/token.js';
import type { InboundAuthConfig } from '../../src/config/deployment-config.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createJwtVerifier } from '../../src/http/jwt-verifier.js';
import { hashPassword, hashToken } from '../../src/security/credentials.js';
import {
  JWT_AUDIENCE,
  JWT_CLIENT_ID,
  JwksServer,
  type SecureSidecar,
  signToken,
  startSecureSidecar,
  tempDir,
} from '../helpers/security.js';
import { type HttpResult, SCIM_ERROR_SCHEMA, SCIM_TOKEN, send } from '../helpers/sidecar.js';

const EXPIRED_TOKEN = 'expired-scim-token-5d1e9c7a40';
const BASIC_USER = 'okta-provisioning';
const BASIC_PASSWORD = 'correct horse: battery staple';
const basic = (pair: string) => `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;

let jwks: JwksServer;
let signing: Awaited<ReturnType<JwksServer['newKey']>>;
let unpublished: Awaited<ReturnType<JwksServer['newKey']>>;
let sc: SecureSidecar;

beforeAll(async () => {
  jwks = await JwksServer.start();
  signing = await jwks.newKey('entra-key-1');
  unpublished = await jwks.newKey('rogue-key', false);
  const auth: InboundAuthConfig = {
    bearer: {
      tokens: [
        { name: 'rotated-out', hash: hashToken(EXPIRED_TOKEN), expiresAt: new Date(Date.now() - 60_000) },
        { name: 'entra-secret', hash: hashToken(SCIM_TOKEN) },
      ],
    },
    basic: { username: BASIC_USER, passwordHash: hashPassword(BASIC_PASSWORD) },
    jwt: jwks.config(),
  };
  sc = await startSecureSidecar({ auth });
});

afterAll(async () => {
  await sc?.close();
  await jwks?.close();
});

const get = (authorization: string | null) =>
  send(sc.app, 'GET', '/scim/v2/Users?count=1', authorization === null ? { token: null } : { authorization });

/** Every refusal looks the same: status, challenge and body, whatever failed. */
const refusals: HttpResult[] = [];

function expectRefused(res: HttpResult): void {
  expect(res.status).toBe(401);
  expect(res.header('www-authenticate')).toBe(
    'Bearer realm="scim-sidecar", Basic realm="scim-sidecar", charset="UTF-8"',
  );
  expect(res.error()).toEqual({
    schemas: [SCIM_ERROR_SCHEMA],
    status: '401',
    detail: 'Authentication failed: send a valid bearer token',
  });
  refusals.push(res);
}

describe('the three methods side by side', () => {
  it('accepts a configured bearer token', async () => {
    expect((await get(`Bearer ${SCIM_TOKEN}`)).status).toBe(200);
  });

  it('accepts basic credentials', async () => {
    expect((await get(basic(`${BASIC_USER}:${BASIC_PASSWORD}`))).status).toBe(200);
  });

  it('accepts an Entra access token and names its client in the audit trail', async () => {
    sc.audit.clear();
    const res = await get(`Bearer ${await signToken(signing)}`);
    expect(res.status).toBe(200);
    expect(sc.audit.records().at(-1)).toMatchObject({ principal: JWT_CLIENT_ID, authMethod: 'jwt' });
  });

  it('accepts a v1 token that names its client in appid only', async () => {
    const token = await signToken(signing, { claims: { azp: undefined, appid: 'v1-client' } });
    expect((await get(`Bearer ${token}`)).status).toBe(200);
  });

  it('advertises the bearer and basic schemes', async () => {
    const res = await send(sc.app, 'GET', '/scim/v2/ServiceProviderConfig');
    const schemes = (res.json as { authenticationSchemes: Array<{ type: string }> }).authenticationSchemes;
    expect(schemes.map((s) => s.type)).toEqual(['oauthbearertoken', 'httpbasic']);
  });
});

describe('bearer tokens: refusals', () => {
  it.each([
    ['an expired token', `Bearer ${EXPIRED_TOKEN}`],
    ['an unknown token', 'Bearer not-a-configured-token-000000000000000'],
    ['the token with one character changed', `Bearer ${SCIM_TOKEN.slice(0, -1)}X`],
    ['the configured hash instead of the token', `Bearer ${hashToken(SCIM_TOKEN)}`],
    ['no credentials at all', null],
  ])('refuses %s', async (_label, authorization) => {
    expectRefused(await get(authorization));
  });

  it('refuses a token once `token revoke` has removed it from the config', async () => {
    const { dir, cleanup } = tempDir('scim-revoke-');
    try {
      const file = join(dir, 'config.yaml');
      writeFileSync(
        file,
        [
          'auth:',
          '  bearer:',
          '    tokens:',
          '      - name: old',
          `        hash: "${hashToken('old-token-before-rotation')}"`,
          '      # the token Entra uses since the rotation',
          '      - name: new',
          `        hash: "${hashToken(SCIM_TOKEN)}"`,
          'upstream:',
          '  baseUrl: http://127.0.0.1:3000',
          'mapping: ./app.yaml',
          '',
        ].join('\n'),
      );
      const before = await startSecureSidecar({ auth: loadConfig(file, {}).auth });
      try {
        const old = await send(before.app, 'GET', '/scim/v2/Users', { token: 'old-token-before-rotation' });
        expect(old.status).toBe(200);
      } finally {
        await before.close();
      }
      runTokenCommand({ positionals: ['revoke', 'old'], config: file, write: true });
      const after = await startSecureSidecar({ auth: loadConfig(file, {}).auth });
      try {
        const old = await send(after.app, 'GET', '/scim/v2/Users', { token: 'old-token-before-rotation' });
        expect(old.status).toBe(401);
        expect((await send(after.app, 'GET', '/scim/v2/Users')).status).toBe(200);
      } finally {
        await after.close();
      }
    } finally {
      cleanup();
    }
  });
});

describe('basic credentials: refusals', () => {
  it.each([
    ['a wrong password', `${BASIC_USER}:correct horse battery staple`],
    ['an empty password', `${BASIC_USER}:`],
    ['a wrong user', `someone-else:${BASIC_PASSWORD}`],
    ['the user in another case', `${BASIC_USER.toUpperCase()}:${BASIC_PASSWORD}`],
    ['no colon', BASIC_USER],
  ])('refuses %s', async (_label, pair) => {
    expectRefused(await get(basic(pair)));
  });
});

describe('JWT access tokens: refusals', () => {
  const otherTenant = 'https://login.microsoftonline.com/99999999-0000-4000-8000-000000000009/v2.0';

  it.each<[string, () => Promise<string>]>([
    ['an expired token', () => signToken(signing, { expiresIn: -600 })],
    ['a token not valid yet (nbf)', () => signToken(signing, { notBefore: 600 })],
    ['a token for another audience', () => signToken(signing, { audience: 'api://some-other-app' })],
    ['a token from another issuer (tenant)', () => signToken(signing, { issuer: otherTenant })],
    ['a token without exp', () => signToken(signing, { expiresIn: null })],
    ['a token signed by a key the provider does not publish', () => signToken(unpublished)],
    [
      'a token signed by an unpublished key under a published key id',
      () => signToken(unpublished, { kid: signing.kid }),
    ],
    ['a token with an unknown key id', () => signToken(signing, { kid: 'no-such-kid' })],
  ])('refuses %s', async (_label, make) => {
    expectRefused(await get(`Bearer ${await make()}`));
  });

  it('refuses a token whose signature was tampered with', async () => {
    const [header, payload, signature] = (await signToken(signing)).split('.') as [string, string, string];
    const flipped = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;
    expectRefused(await get(`Bearer ${header}.${payload}.${flipped}`));
  });

  it('refuses a token whose claims were changed after signing', async () => {
    const [header, , signature] = (await signToken(signing)).split('.') as [string, string, string];
    const forged = Buffer.from(
      JSON.stringify({
        iss: 'https://login.microsoftonline.com/00000000-0000-4000-8000-000000000001/v2.0',
        aud: JWT_AUDIENCE,
        appid: 'attacker-app',
        exp: Math.floor(Date.now() / 1000) + 3600,
      }),
    ).toString('base64url');
    expectRefused(await get(`Bearer ${header}.${forged}.${signature}`));
  });

  it('refuses an unsigned token (alg none)', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const payload = Buffer.from(
      JSON.stringify({ iss: 'x', aud: JWT_AUDIENCE, exp: Math.floor(Date.now() / 1000) + 600 }),
    ).toString('base64url');
    expectRefused(await get(`Bearer ${header}.${payload}.`));
    expectRefused(await get(`Bearer ${header}.${payload}.x`));
  });

  it('refuses an HMAC token keyed with the public key (algorithm confusion)', async () => {
    const secret = new TextEncoder().encode(JSON.stringify(signing.jwk));
    const token = await new SignJWT({ appid: JWT_CLIENT_ID })
      .setProtectedHeader({ alg: 'HS256', kid: signing.kid })
      .setIssuer('https://login.microsoftonline.com/00000000-0000-4000-8000-000000000001/v2.0')
      .setAudience(JWT_AUDIENCE)
      .setExpirationTime('10m')
      .sign(secret);
    expectRefused(await get(`Bearer ${token}`));
  });

  it('does not refetch the key set for every unknown key id', async () => {
    const before = jwks.fetches;
    for (let i = 0; i < 5; i++) await get(`Bearer ${await signToken(signing, { kid: `unknown-${i}` })}`);
    // At most one refetch inside the cooldown window, however many unknown ids arrive.
    expect(jwks.fetches - before).toBeLessThanOrEqual(1);
  });

  it('answered every refusal above with the same status, challenge and body', () => {
    expect(refusals.length).toBeGreaterThan(15);
    const first = refusals[0] as HttpResult;
    for (const res of refusals) {
      expect(res.text).toBe(first.text);
      expect(res.header('www-authenticate')).toBe(first.header('www-authenticate'));
      expect(res.header('content-type')).toBe(first.header('content-type'));
    }
  });
});

describe('the JWT verifier on its own', () => {
  it('refuses a token from a client outside allowedClientIds', async () => {
    const verify = createJwtVerifier(jwks.config({ allowedClientIds: ['the-entra-provisioning-app'] }));
    expect(await verify(await signToken(signing))).toMatchObject({ ok: false, unavailable: false });
    const allowed = await signToken(signing, {
      claims: { appid: 'the-entra-provisioning-app', azp: 'the-entra-provisioning-app' },
    });
    expect(await verify(allowed)).toEqual({ ok: true, clientId: 'the-entra-provisioning-app' });
  });

  it('accepts one of several configured audiences and issuers', async () => {
    const verify = createJwtVerifier(
      jwks.config({
        audience: ['api://first', JWT_AUDIENCE],
        issuer: ['https://sts.windows.net/x/', jwks.config().issuer as string],
      }),
    );
    expect(await verify(await signToken(signing))).toMatchObject({ ok: true });
  });

  it('tolerates the configured clock skew and no more', async () => {
    const verify = createJwtVerifier(jwks.config({ clockToleranceSec: 60 }));
    expect(await verify(await signToken(signing, { expiresIn: -30 }))).toMatchObject({ ok: true });
    expect(await verify(await signToken(signing, { expiresIn: -90 }))).toMatchObject({
      ok: false,
      reason: 'token expired',
    });
  });

  it('reports an unreachable key set as an outage, not as the caller’s failure', async () => {
    const outage = await JwksServer.start();
    await outage.newKey('k');
    outage.available = false;
    try {
      const verify = createJwtVerifier(outage.config());
      const key = await outage.newKey('k2');
      expect(await verify(await signToken(key))).toMatchObject({ ok: false, unavailable: true });
    } finally {
      await outage.close();
    }
  });
});
