import { describe, expect, it } from 'vitest';
import type { InboundAuthConfig } from '../../../src/config/deployment-config.js';
import { type Authenticate, challenge, createAuthenticator } from '../../../src/http/authenticator.js';
import {
  generateToken,
  hashPassword,
  hashToken,
  safeEqual,
  verifyPassword,
} from '../../../src/security/credentials.js';

const NOW = new Date('2026-06-01T12:00:00Z');
const ENTRA_TOKEN = 'entra-secret-token-0123456789';
const OKTA_TOKEN = 'okta-secret-token-9876543210';
const OLD_TOKEN = 'old-rotated-token';
const PASSWORD = 'correct horse: battery staple';

// Hashing with scrypt is slow on purpose: hash once for the whole file.
const PASSWORD_HASH = hashPassword(PASSWORD);

const bearerOnly: InboundAuthConfig = {
  bearer: {
    tokens: [
      { name: 'entra', hash: hashToken(ENTRA_TOKEN) },
      { name: 'okta', hash: hashToken(OKTA_TOKEN), expiresAt: new Date('2027-01-01T00:00:00Z') },
      { name: 'old', hash: hashToken(OLD_TOKEN), expiresAt: new Date('2026-05-01T00:00:00Z') },
    ],
  },
};
const basicOnly: InboundAuthConfig = {
  basic: { username: 'okta-provisioning', passwordHash: PASSWORD_HASH },
};
const both: InboundAuthConfig = { ...bearerOnly, ...basicOnly };

const basicHeader = (userAndPassword: string, scheme = 'Basic') =>
  `${scheme} ${Buffer.from(userAndPassword, 'utf8').toString('base64')}`;

describe('bearer tokens', () => {
  const authenticate: Authenticate = createAuthenticator(bearerOnly);

  it.each<[string, string, string]>([
    ['the first token', `Bearer ${ENTRA_TOKEN}`, 'entra'],
    ['a second token valid at the same time', `Bearer ${OKTA_TOKEN}`, 'okta'],
    ['a lower-case scheme', `bearer ${ENTRA_TOKEN}`, 'entra'],
    ['an upper-case scheme', `BEARER ${ENTRA_TOKEN}`, 'entra'],
    ['a mixed-case scheme', `BeArEr ${OKTA_TOKEN}`, 'okta'],
    ['extra spaces before the token', `Bearer    ${ENTRA_TOKEN}`, 'entra'],
    ['trailing spaces', `Bearer ${ENTRA_TOKEN}   `, 'entra'],
  ])('accepts %s', (_, header, name) => {
    expect(authenticate(header, NOW)).toEqual({ method: 'bearer', name });
  });

  it.each<[string, string | undefined]>([
    ['an expired token', `Bearer ${OLD_TOKEN}`],
    ['an unknown token', 'Bearer not-a-configured-token'],
    ['a configured hash presented as the token', `Bearer ${hashToken(ENTRA_TOKEN)}`],
    ['a token with one character changed', `Bearer ${ENTRA_TOKEN.slice(0, -1)}X`],
    ['a token differing in case', `Bearer ${ENTRA_TOKEN.toUpperCase()}`],
    ['an empty token', 'Bearer '],
    ['the scheme alone', 'Bearer'],
    ['the token without a scheme', ENTRA_TOKEN],
    ['another scheme carrying the token', `Token ${ENTRA_TOKEN}`],
    ['no header', undefined],
    ['an empty header', ''],
  ])('refuses %s', (_, header) => {
    expect(authenticate(header, NOW)).toBeUndefined();
  });

  it('refuses a token from the instant it expires', () => {
    const expiresAt = new Date('2026-05-01T00:00:00Z');
    expect(authenticate(`Bearer ${OLD_TOKEN}`, new Date(expiresAt.getTime() - 1))).toEqual({
      method: 'bearer',
      name: 'old',
    });
    expect(authenticate(`Bearer ${OLD_TOKEN}`, expiresAt)).toBeUndefined();
  });

  it('uses the current time when none is given', () => {
    const live = createAuthenticator({
      bearer: {
        tokens: [
          { name: 'past', hash: hashToken('p'), expiresAt: new Date(Date.now() - 60_000) },
          { name: 'future', hash: hashToken('f'), expiresAt: new Date(Date.now() + 60_000) },
        ],
      },
    });
    expect(live('Bearer p')).toBeUndefined();
    expect(live('Bearer f')).toEqual({ method: 'bearer', name: 'future' });
  });

  it('accepts a rotated token when an expired entry shares its hash', () => {
    const rotated = createAuthenticator({
      bearer: {
        tokens: [
          { name: 'before', hash: hashToken('same'), expiresAt: new Date('2026-01-01T00:00:00Z') },
          { name: 'after', hash: hashToken('same') },
        ],
      },
    });
    expect(rotated('Bearer same', NOW)).toEqual({ method: 'bearer', name: 'after' });
  });

  it('never matches a malformed stored hash, not even with the text it holds', () => {
    const malformed = ['sha256:ABC', `sha256:${'0'.repeat(63)}`, hashToken(ENTRA_TOKEN).toUpperCase(), ''];
    const auth = createAuthenticator({
      bearer: { tokens: malformed.map((hash) => ({ name: 'bad', hash })) },
    });
    for (const token of [ENTRA_TOKEN, 'ABC', '', ...malformed])
      expect(auth(`Bearer ${token}`, NOW)).toBeUndefined();
  });

  it('refuses basic credentials when only bearer is configured', () => {
    expect(authenticate(basicHeader(`okta-provisioning:${PASSWORD}`), NOW)).toBeUndefined();
  });
});

describe('basic credentials', () => {
  const authenticate = createAuthenticator(basicOnly);

  it.each<[string, string]>([
    ['the right user and password', basicHeader(`okta-provisioning:${PASSWORD}`)],
    ['a lower-case scheme', basicHeader(`okta-provisioning:${PASSWORD}`, 'basic')],
    ['an upper-case scheme', basicHeader(`okta-provisioning:${PASSWORD}`, 'BASIC')],
    ['extra spaces', `Basic   ${Buffer.from(`okta-provisioning:${PASSWORD}`).toString('base64')}  `],
  ])('accepts %s', (_, header) => {
    expect(authenticate(header, NOW)).toEqual({ method: 'basic', name: 'okta-provisioning' });
  });

  it.each<[string, string]>([
    ['a wrong password', basicHeader('okta-provisioning:wrong')],
    ['the password with a different case', basicHeader(`okta-provisioning:${PASSWORD.toUpperCase()}`)],
    ['an empty password', basicHeader('okta-provisioning:')],
    ['a wrong user', basicHeader(`someone-else:${PASSWORD}`)],
    ['the user in another case', basicHeader(`OKTA-PROVISIONING:${PASSWORD}`)],
    ['no colon', basicHeader(`okta-provisioning${PASSWORD}`)],
    ['the user alone', basicHeader('okta-provisioning')],
    ['malformed base64', 'Basic %%%not*base64%%%'],
    ['base64 of random bytes', `Basic ${Buffer.from([0xff, 0xfe, 0x00, 0x3a, 0x01]).toString('base64')}`],
    ['the credentials unencoded', `Basic okta-provisioning:${PASSWORD}`],
    ['an empty credential', 'Basic '],
  ])('refuses %s', (_, header) => {
    expect(authenticate(header, NOW)).toBeUndefined();
  });

  it('refuses a bearer token when only basic is configured', () => {
    expect(authenticate(`Bearer ${ENTRA_TOKEN}`, NOW)).toBeUndefined();
  });

  it('keeps colons in the password', () => {
    expect(PASSWORD).toContain(':');
    const withColon = createAuthenticator({ basic: { username: 'u', passwordHash: hashPassword('a:b:c') } });
    expect(withColon(basicHeader('u:a:b:c'), NOW)).toEqual({ method: 'basic', name: 'u' });
    expect(withColon(basicHeader('u:a:b'), NOW)).toBeUndefined();
  });
});

describe('both methods configured', () => {
  const authenticate = createAuthenticator(both);

  it('accepts either', () => {
    expect(authenticate(`Bearer ${OKTA_TOKEN}`, NOW)).toEqual({ method: 'bearer', name: 'okta' });
    expect(authenticate(basicHeader(`okta-provisioning:${PASSWORD}`), NOW)).toEqual({
      method: 'basic',
      name: 'okta-provisioning',
    });
  });

  it.each(['Digest username="x"', 'Negotiate abc', 'ApiKey abc'])(
    'refuses the unconfigured scheme in %s',
    (h) => {
      expect(authenticate(h, NOW)).toBeUndefined();
    },
  );
});

describe('nothing configured', () => {
  const authenticate = createAuthenticator({});

  it.each([`Bearer ${ENTRA_TOKEN}`, basicHeader(`okta-provisioning:${PASSWORD}`), 'Bearer ', ''])(
    'refuses %j',
    (header) => {
      expect(authenticate(header, NOW)).toBeUndefined();
    },
  );

  it('refuses a bearer token when the token list is empty', () => {
    expect(createAuthenticator({ bearer: { tokens: [] } })(`Bearer ${ENTRA_TOKEN}`, NOW)).toBeUndefined();
  });
});

describe('the principal', () => {
  const authenticate = createAuthenticator(both);

  it.each<[string, string, string[]]>([
    ['bearer', `Bearer ${ENTRA_TOKEN}`, [ENTRA_TOKEN, hashToken(ENTRA_TOKEN)]],
    [
      'basic',
      basicHeader(`okta-provisioning:${PASSWORD}`),
      [PASSWORD, PASSWORD_HASH, Buffer.from(`okta-provisioning:${PASSWORD}`).toString('base64')],
    ],
  ])('never contains the %s credential', (_, header, secrets) => {
    const principal = authenticate(header, NOW);
    expect(principal).toBeDefined();
    expect(Object.keys(principal ?? {}).sort()).toEqual(['method', 'name']);
    const serialised = JSON.stringify(principal);
    for (const secret of secrets) expect(serialised).not.toContain(secret);
  });
});

describe('challenge', () => {
  it.each<[string, InboundAuthConfig, string]>([
    ['bearer', bearerOnly, 'Bearer realm="scim-sidecar"'],
    ['basic', basicOnly, 'Basic realm="scim-sidecar", charset="UTF-8"'],
    ['both', both, 'Bearer realm="scim-sidecar", Basic realm="scim-sidecar", charset="UTF-8"'],
    ['nothing', {}, ''],
  ])('names the configured schemes: %s', (_, config, expected) => {
    expect(challenge(config)).toBe(expected);
  });
});

describe('credentials', () => {
  it('hashToken is sha256:<64 hex> and stable', () => {
    expect(hashToken('abc')).toBe('sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hashToken('abc')).toBe(hashToken('abc'));
    expect(hashToken('abd')).not.toBe(hashToken('abc'));
    expect(hashToken(generateToken())).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('generateToken gives 32 random bytes in base64url', () => {
    const token = generateToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(generateToken()).not.toBe(token);
  });

  it('hashPassword and verifyPassword round-trip', () => {
    expect(PASSWORD_HASH).toMatch(/^scrypt:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
    expect(verifyPassword(PASSWORD, PASSWORD_HASH)).toBe(true);
    expect(verifyPassword(`${PASSWORD} `, PASSWORD_HASH)).toBe(false);
    expect(verifyPassword('', PASSWORD_HASH)).toBe(false);
  });

  it('salts every password hash', () => {
    const again = hashPassword(PASSWORD);
    expect(again).not.toBe(PASSWORD_HASH);
    expect(verifyPassword(PASSWORD, again)).toBe(true);
    expect(again).not.toContain(PASSWORD);
  });

  it('round-trips an empty and a non-ASCII password', () => {
    for (const password of ['', 'pässwörd-密码-🔑']) {
      const stored = hashPassword(password);
      expect(verifyPassword(password, stored)).toBe(true);
      expect(verifyPassword(`${password}x`, stored)).toBe(false);
    }
  });

  it.each([
    ['no parts', 'scrypt'],
    ['no hash', 'scrypt:c2FsdA=='],
    ['an empty hash', 'scrypt:c2FsdA==:'],
    ['an empty string', ''],
  ])('verifyPassword refuses a stored hash with %s', (_, stored) => {
    expect(verifyPassword(PASSWORD, stored)).toBe(false);
  });

  // The config schema accepts these (`^scrypt:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$`): a hash that
  // decodes to too few bytes must not let a password in. 'guess-497' happens to be a password
  // whose one-byte scrypt output (salt "salt") is 0x00, i.e. "AA==".
  it.each([
    ['a hash decoding to zero bytes', 'any password', 'scrypt:c2FsdA==:='],
    ['a one-byte hash', 'guess-497', 'scrypt:c2FsdA==:AA=='],
  ])('verifyPassword refuses %s', (_, password, stored) => {
    expect(verifyPassword(password, stored)).toBe(false);
  });

  it('the basic authenticator refuses any password against a zero-byte stored hash', () => {
    const authenticate = createAuthenticator({ basic: { username: 'u', passwordHash: 'scrypt:c2FsdA==:=' } });
    expect(authenticate(basicHeader('u:anything at all'), NOW)).toBeUndefined();
  });

  it('safeEqual compares strings of any length', () => {
    expect(safeEqual('a', 'a')).toBe(true);
    expect(safeEqual('a', 'ab')).toBe(false);
    expect(safeEqual('', '')).toBe(true);
  });
});
