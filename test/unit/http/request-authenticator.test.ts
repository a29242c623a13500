import { describe, expect, it } from 'vitest';
import type { InboundAuthConfig } from '../../../src/config/deployment-config.js';
import {
  challenge,
  createRequestAuthenticator,
  scimCredentialMatcher,
} from '../../../src/http/authenticator.js';
import { hashPassword, hashToken } from '../../../src/security/credentials.js';

const config: InboundAuthConfig = {
  bearer: {
    tokens: [
      { name: 'live', hash: hashToken('live-token') },
      { name: 'old', hash: hashToken('old-token'), expiresAt: new Date('2020-01-01T00:00:00Z') },
    ],
  },
  basic: { username: 'scim', passwordHash: hashPassword('pw') },
  jwt: {
    issuer: 'https://issuer.example/',
    audience: 'api://scim',
    jwksUri: 'http://127.0.0.1:9/keys',
    algorithms: ['RS256'],
    clockToleranceSec: 0,
  },
};
const basic = (pair: string) => `Basic ${Buffer.from(pair).toString('base64')}`;
const unsignedJwt = (claims: Record<string, unknown>) =>
  `${Buffer.from('{"alg":"RS256","kid":"k"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2ln`;

describe('createRequestAuthenticator', () => {
  const authenticate = createRequestAuthenticator({ bearer: config.bearer, basic: config.basic });

  it('accepts opaque tokens and basic credentials', async () => {
    expect(await authenticate('Bearer live-token')).toEqual({
      principal: { method: 'bearer', name: 'live' },
      callerFault: true,
    });
    expect((await authenticate(basic('scim:pw'))).principal).toEqual({ method: 'basic', name: 'scim' });
  });

  it('gives a reason for the log, never the credential', async () => {
    const outcome = await authenticate('Bearer wrong-token');
    expect(outcome).toEqual({ reason: 'bearer credentials rejected', callerFault: true });
    expect(JSON.stringify(outcome)).not.toContain('wrong-token');
    expect(await authenticate(undefined)).toEqual({ reason: 'no credentials', callerFault: true });
  });

  it('compares a JWT-shaped token with the hashes when no JWT provider is configured', async () => {
    const jwtShaped = unsignedJwt({ iss: 'x' });
    const withHash = createRequestAuthenticator({
      bearer: { tokens: [{ name: 'odd', hash: hashToken(jwtShaped) }] },
    });
    expect((await withHash(`Bearer ${jwtShaped}`)).principal).toEqual({ method: 'bearer', name: 'odd' });
  });
});

describe('scimCredentialMatcher', () => {
  const isScim = scimCredentialMatcher(config);

  it.each([
    ['a live token', 'Bearer live-token'],
    ['an expired token', 'Bearer old-token'],
    ['the SCIM basic user, any password', basic('scim:whatever')],
    [
      'a JWT for the SCIM audience and issuer',
      `Bearer ${unsignedJwt({ iss: 'https://issuer.example/', aud: 'api://scim' })}`,
    ],
    [
      'a JWT listing the SCIM audience among others',
      `Bearer ${unsignedJwt({ iss: 'https://issuer.example/', aud: ['x', 'api://scim'] })}`,
    ],
  ])('recognises %s', (_label, header) => {
    expect(isScim(header)).toBe(true);
  });

  it.each([
    ['no header', undefined],
    ['an app token', 'Bearer app-session'],
    ['an app user', basic('alice:pw')],
    [
      'a JWT for another audience',
      `Bearer ${unsignedJwt({ iss: 'https://issuer.example/', aud: 'api://app' })}`,
    ],
    ['a JWT from another issuer', `Bearer ${unsignedJwt({ iss: 'https://other/', aud: 'api://scim' })}`],
    ['garbage', 'Bearer a.b.c'],
    ['another scheme', 'Negotiate abc'],
  ])('leaves %s alone', (_label, header) => {
    expect(isScim(header)).toBe(false);
  });
});

describe('challenge', () => {
  it('offers Bearer for JWT-only configurations', () => {
    expect(challenge({ jwt: config.jwt as NonNullable<InboundAuthConfig['jwt']> })).toBe(
      'Bearer realm="scim-sidecar"',
    );
  });
});
