import { describe, expect, it } from 'vitest';
import { AuthThrottle } from '../../../src/http/auth-throttle.js';

function throttle(
  options: { maxFailures?: number; windowSec?: number; blockSec?: number; maxClients?: number } = {},
) {
  const clock = { now: 1_000_000 };
  const t = new AuthThrottle({ maxFailures: 3, windowSec: 60, blockSec: 300, ...options }, () => clock.now);
  return { t, clock };
}

describe('AuthThrottle', () => {
  it('blocks on the maxFailures-th failure within the window', () => {
    const { t } = throttle();
    expect(t.fail('a', 'bearer')).toBe(false);
    expect(t.fail('a', 'bearer')).toBe(false);
    expect(t.retryAfter('a', 'bearer')).toBe(0);
    expect(t.fail('a', 'bearer')).toBe(true);
    expect(t.retryAfter('a', 'bearer')).toBe(300);
  });

  it('forgets failures older than the window', () => {
    const { t, clock } = throttle();
    t.fail('a', 'bearer');
    t.fail('a', 'bearer');
    clock.now += 61_000;
    expect(t.fail('a', 'bearer')).toBe(false);
    expect(t.retryAfter('a', 'bearer')).toBe(0);
  });

  it('counts down the block and lifts it, starting afresh', () => {
    const { t, clock } = throttle();
    for (let i = 0; i < 3; i++) t.fail('a', 'bearer');
    clock.now += 299_500;
    expect(t.retryAfter('a', 'bearer')).toBe(1);
    clock.now += 500;
    expect(t.retryAfter('a', 'bearer')).toBe(0);
    expect(t.fail('a', 'bearer')).toBe(false);
  });

  it('keeps addresses apart', () => {
    const { t } = throttle();
    for (let i = 0; i < 3; i++) t.fail('a', 'bearer');
    expect(t.retryAfter('b', 'bearer')).toBe(0);
  });

  it('keeps kinds of credentials apart', () => {
    const { t } = throttle();
    for (let i = 0; i < 3; i++) t.fail('a', 'none');
    expect(t.retryAfter('a', 'none')).toBe(300);
    expect(t.retryAfter('a', 'basic')).toBe(0);
    expect(t.retryAfter('a', 'bearer')).toBe(0);
  });

  it('admits bearer tokens while blocked, and basic credentials only once they have authenticated', () => {
    const { t } = throttle();
    expect(t.admits('bearer', undefined)).toBe(true);
    expect(t.admits('basic', 'fp-1')).toBe(false);
    expect(t.admits('none', undefined)).toBe(false);
    expect(t.admits('other', 'fp-1')).toBe(false);
    t.succeed('fp-1');
    expect(t.admits('basic', 'fp-1')).toBe(true);
    expect(t.admits('basic', 'fp-2')).toBe(false);
  });

  it('is off with maxFailures 0', () => {
    const { t } = throttle({ maxFailures: 0 });
    for (let i = 0; i < 100; i++) expect(t.fail('a', 'bearer')).toBe(false);
    expect(t.retryAfter('a', 'bearer')).toBe(0);
    expect(t.enabled).toBe(false);
  });

  it('remembers a bounded number of addresses', () => {
    const { t } = throttle({ maxClients: 100 });
    for (let i = 0; i < 10_000; i++) t.fail(`10.0.${Math.floor(i / 256)}.${i % 256}`, 'none');
    expect(t.size).toBeLessThanOrEqual(100);
  });
});
