import { createHash, createHmac, hash, randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';

/** scrypt cost for basic-auth passwords: passwords can be guessable, unlike generated tokens. */
const SCRYPT_KEYLEN = 32;

/** A new bearer token: 32 random bytes, base64url. */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * `sha256:<hex>`. A plain hash is enough for generated tokens (256 bits of entropy: nothing to
 * brute-force) and keeps verification cheap on every request.
 */
export function hashToken(token: string): string {
  return `sha256:${createHash('sha256').update(token, 'utf8').digest('hex')}`;
}

/**
 * Whether a presented token matches a stored `sha256:<hex>` hash, in constant time. The stored
 * side is decoded once (`storedDigest`), so each request hashes the presented token once.
 */
export function matchesStoredDigest(presented: Buffer, stored: Buffer): boolean {
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}

/** The raw SHA-256 of a presented token, for {@link matchesStoredDigest}. */
export function presentedDigest(token: string): Buffer {
  return hash('sha256', token, 'buffer');
}

/** The digest inside a stored `sha256:<hex>` hash; empty (never matching) if it is malformed. */
export function storedDigest(stored: string): Buffer {
  const match = /^sha256:([0-9a-f]{64})$/.exec(stored);
  return match ? Buffer.from(match[1] as string, 'hex') : Buffer.alloc(0);
}

export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, SCRYPT_KEYLEN);
  return `scrypt:${salt.toString('base64')}:${hash.toString('base64')}`;
}

/** Synchronous: for tools and tests. The server uses {@link verifyPasswordAsync}. */
export function verifyPassword(password: string, stored: string): boolean {
  const parsed = parseStoredPassword(stored);
  if (!parsed) return false;
  return timingSafeEqual(scryptSync(password, parsed.salt, SCRYPT_KEYLEN), parsed.expected);
}

/**
 * The same check as {@link verifyPassword} on libuv's thread pool: scrypt takes tens of
 * milliseconds of CPU by design, which must not stall the event loop.
 */
export function verifyPasswordAsync(password: string, stored: string): Promise<boolean> {
  const parsed = parseStoredPassword(stored);
  if (!parsed) return Promise.resolve(false);
  return new Promise((resolve, reject) => {
    scrypt(password, parsed.salt, SCRYPT_KEYLEN, (error, actual) => {
      if (error) reject(error);
      else resolve(timingSafeEqual(actual, parsed.expected));
    });
  });
}

function parseStoredPassword(stored: string): { salt: Buffer; expected: Buffer } | undefined {
  const [, saltText, hashText] = stored.split(':');
  if (!saltText || !hashText) return undefined;
  const expected = Buffer.from(hashText, 'base64');
  const salt = Buffer.from(saltText, 'base64');
  // A truncated or hand-edited hash must never make guessing easier (or an empty hash match).
  if (expected.length !== SCRYPT_KEYLEN || salt.length < 16) return undefined;
  return { salt, expected };
}

const FINGERPRINT_KEY = randomBytes(32);

/**
 * A keyed SHA-256 of a presented credential: fast, and of no use without this process's random
 * key. It is what is remembered of a credential that authenticated, never the credential itself.
 */
export function credentialFingerprint(credential: string): string {
  return createHmac('sha256', FINGERPRINT_KEY).update(credential, 'utf8').digest('base64url');
}

/** Constant-time comparison of two strings of any length (both hashed to equal length first). */
export function safeEqual(a: string, b: string): boolean {
  const left = createHash('sha256').update(a, 'utf8').digest();
  const right = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(left, right);
}
