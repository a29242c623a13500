import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../../src/security/credentials.js';
import { rawRequest, type SecureSidecar, startSecureSidecar } from '../../helpers/security.js';

const USER = 'provisioning';
const PASSWORD = 'the-right-password-for-the-event-loop-test';
const basic = (password: string) => `Basic ${Buffer.from(`${USER}:${password}`).toString('base64')}`;

let sc: SecureSidecar;

beforeAll(async () => {
  sc = await startSecureSidecar({
    listen: true,
    auth: { basic: { username: USER, passwordHash: hashPassword(PASSWORD) } },
    // Off, as the worst case: nothing stops the guessers but the cost of checking.
    server: { authThrottle: { maxFailures: 0, windowSec: 60, blockSec: 300 } },
  });
});

afterAll(async () => {
  await sc?.close();
});

const get = (authorization: string) =>
  rawRequest(sc.port, 'GET', '/scim/v2/Users?count=1', { authorization });

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

describe('basic authentication under a burst of wrong passwords', () => {
  it('never blocks the event loop: password checks run off it', async () => {
    const resolutionMs = 5;
    const delay = monitorEventLoopDelay({ resolution: resolutionMs });
    delay.enable();
    const answers = await Promise.all(Array.from({ length: 24 }, (_, i) => get(basic(`guess-${i}`))));
    delay.disable();
    expect(answers.map((a) => a.status)).toEqual(Array(24).fill(401));
    // Each scrypt takes tens of milliseconds of CPU: run on the event loop, every one of them
    // shows as a stall (the samples are intervals between ticks, so the resolution is their floor).
    expect(delay.max / 1e6).toBeLessThan(50);
    expect(delay.mean / 1e6).toBeLessThan(resolutionMs + 10);
  });

  it("keeps the IdP's requests fast while four guessers keep trying: a verified password is remembered", async () => {
    expect((await get(basic(PASSWORD))).status).toBe(200);
    let guessing = true;
    const guesser = async (n: number) => {
      for (let i = 0; guessing; i++) await get(basic(`guesser-${n}-${i}`));
    };
    const guessers = [0, 1, 2, 3].map(guesser);
    const latencies: number[] = [];
    try {
      for (let i = 0; i < 20; i++) {
        const started = performance.now();
        expect((await get(basic(PASSWORD))).status).toBe(200);
        latencies.push(performance.now() - started);
      }
    } finally {
      guessing = false;
      await Promise.all(guessers);
    }
    expect(median(latencies)).toBeLessThan(50);
  });
});
