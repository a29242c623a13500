import { describe, expect, it } from 'vitest';
import { ConcurrencyGate } from '../../../src/connector/concurrency-gate.js';
import { type HealthCheck, ReadinessProbe } from '../../../src/ops/readiness-probe.js';

function counting(answer: () => HealthCheck, delayMs = 0) {
  const calls = { total: 0 };
  const check = async () => {
    calls.total++;
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    return answer();
  };
  return { calls, check };
}

describe('ReadinessProbe', () => {
  it('shares one check among callers arriving while it runs', async () => {
    const { calls, check } = counting(() => ({ ok: true, status: 200 }), 20);
    const probe = new ReadinessProbe({ check });
    expect(await Promise.all(Array.from({ length: 50 }, () => probe.ready()))).toEqual(Array(50).fill(true));
    expect(calls.total).toBe(1);
  });

  it('reuses a result for cacheMs, then checks again', async () => {
    const clock = { now: 0 };
    let ok = true;
    const { calls, check } = counting(() => ({ ok }));
    const probe = new ReadinessProbe({ check, cacheMs: 5_000, clock: () => clock.now });
    expect(await probe.ready()).toBe(true);
    ok = false;
    clock.now = 4_999;
    expect(await probe.ready()).toBe(true);
    clock.now = 5_000;
    expect(await probe.ready()).toBe(false);
    expect(calls.total).toBe(2);
  });

  it('drops a cached "ready" when a call to the app gets no answer', async () => {
    let ok = true;
    const { calls, check } = counting(() => ({ ok }));
    const probe = new ReadinessProbe({ check });
    expect(await probe.ready()).toBe(true);
    probe.observe({ status: 500 });
    expect(await probe.ready()).toBe(true);
    ok = false;
    probe.observe({ status: undefined });
    expect(await probe.ready()).toBe(false);
    expect(calls.total).toBe(2);
  });

  it('waits for a slot at the gate, and is not ready when none comes in time', async () => {
    const gate = new ConcurrencyGate(1, 10);
    let release: () => void = () => {};
    const busy = gate.run(
      Number.POSITIVE_INFINITY,
      () => new Promise<void>((resolve) => (release = resolve)),
    );
    const { calls, check } = counting(() => ({ ok: true }));
    const warnings: unknown[] = [];
    const probe = new ReadinessProbe({ check, gate, maxWaitMs: 20, log: { warn: (d) => warnings.push(d) } });
    expect(await probe.ready()).toBe(false);
    expect(calls.total).toBe(0);
    expect(warnings).toHaveLength(1);
    release();
    await busy;
  });

  it('turns a check that throws into "not ready", the reason logged', async () => {
    const warnings: Array<Record<string, unknown>> = [];
    const probe = new ReadinessProbe({
      check: async () => {
        throw new Error('connect ECONNREFUSED 10.0.0.7:8080');
      },
      log: { warn: (details) => warnings.push(details as Record<string, unknown>) },
    });
    expect(await probe.ready()).toBe(false);
    expect(warnings[0]?.reason).toBe('connect ECONNREFUSED 10.0.0.7:8080');
  });
});
