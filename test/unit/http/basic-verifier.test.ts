import { describe, expect, it } from 'vitest';
import { BasicVerifier } from '../../../src/http/basic-verifier.js';
import { hashPassword } from '../../../src/security/credentials.js';

const USER = 'provisioning';
const PASSWORD = 'a-password-for-the-verifier';
const HASH = hashPassword(PASSWORD);
const encode = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString('base64');

describe('BasicVerifier', () => {
  it('accepts the configured user and password, and nothing else', async () => {
    const verifier = new BasicVerifier({ username: USER, passwordHash: HASH });
    expect(await verifier.check(encode(USER, PASSWORD))).toBe('ok');
    expect(await verifier.check(encode(USER, `${PASSWORD}x`))).toBe('wrong');
    expect(await verifier.check(encode('someone', PASSWORD))).toBe('wrong');
    expect(await verifier.check('not base64 without a colon')).toBe('wrong');
  });

  it('remembers a verified credential, so the next check costs no scrypt', async () => {
    const verifier = new BasicVerifier({ username: USER, passwordHash: HASH });
    expect(await verifier.check(encode(USER, PASSWORD))).toBe('ok');
    const started = performance.now();
    for (let i = 0; i < 100; i++) expect(await verifier.check(encode(USER, PASSWORD))).toBe('ok');
    expect(performance.now() - started).toBeLessThan(100);
  });

  it('forgets it after rememberMs', async () => {
    const verifier = new BasicVerifier({ username: USER, passwordHash: HASH }, { rememberMs: 1 });
    expect(await verifier.check(encode(USER, PASSWORD))).toBe('ok');
    await new Promise((resolve) => setTimeout(resolve, 5));
    const started = performance.now();
    expect(await verifier.check(encode(USER, PASSWORD))).toBe('ok');
    expect(performance.now() - started).toBeGreaterThan(5);
  });

  it('runs a bounded number of checks at once and answers busy when its queue is full', async () => {
    const verifier = new BasicVerifier(
      { username: USER, passwordHash: HASH },
      { maxConcurrent: 1, maxQueue: 2 },
    );
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) => verifier.check(encode(USER, `g${i}`))),
    );
    expect(results).toEqual(['wrong', 'wrong', 'wrong', 'busy', 'busy']);
    expect(await verifier.check(encode(USER, PASSWORD))).toBe('ok');
  });
});
