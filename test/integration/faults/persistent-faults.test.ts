/**
 * One fault on every call to the app, kind by kind: what the IdP gets once the sidecar has used
 * up its retries. Always a SCIM error (never the app's HTML page, never a stack trace), with the
 * status that tells the IdP what to do: 502 for an answer that went wrong, 504 for no answer in
 * time, 429 and 503 with a Retry-After. A Retry-After longer than the request deadline is passed
 * on at once rather than slept through.
 */

import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/app.js';
import { MemoryIdMapStore } from '../../../src/idmap/memory-store.js';
import { loadMapping } from '../../../src/mapping/load-mapping.js';
import {
  type FAULT_KINDS,
  type FaultKind,
  type FaultyApp,
  startFaultyApp,
} from '../../helpers/faulty-app.js';
import { scimErrorViolation } from '../../helpers/scim-invariants.js';
import {
  BASE_PATH,
  DEMO_MAPPING_FILE,
  deploymentConfig,
  entraUser,
  type HttpResult,
  patchOp,
  type ScimResource,
  send,
  UPSTREAM_API_KEY,
} from '../../helpers/sidecar.js';

type FastifyApp = Awaited<ReturnType<typeof buildApp>>;

async function rig(retryAfter?: string): Promise<{ upstream: FaultyApp; sidecar: FastifyApp }> {
  const upstream = await startFaultyApp({
    apiKey: UPSTREAM_API_KEY,
    slowMs: 700,
    ...(retryAfter ? { retryAfter } : {}),
  });
  const base = deploymentConfig(upstream.url, DEMO_MAPPING_FILE, { timeoutMs: 300 });
  const sidecar = await buildApp(
    { ...base, server: { ...base.server, requestDeadlineMs: 5_000 } },
    loadMapping(DEMO_MAPPING_FILE),
    {
      idMapStore: new MemoryIdMapStore(),
      logger: pino({ level: 'silent' }),
      retry: { baseDelayMs: 5, maxDelayMs: 50 },
    },
  );
  await sidecar.ready();
  return { upstream, sidecar };
}

/** What the IdP must get when every call to the app fails this way. */
const EXPECTED: Record<(typeof FAULT_KINDS)[number], number> = {
  reset: 502,
  slowHeaders: 504,
  json500: 502,
  tooMany: 429,
  html500: 502,
  truncated: 502,
  unavailable: 503,
  appliedLost: 502,
};

const report: string[] = [];

afterAll(() => {
  console.log(report.map((line) => `[persistent] ${line}`).join('\n'));
});

describe('every call to the app fails the same way', () => {
  let upstream: FaultyApp;
  let sidecar: FastifyApp;
  let userId: string;

  beforeAll(async () => {
    ({ upstream, sidecar } = await rig());
    const created = await send(sidecar, 'POST', `${BASE_PATH}/Users`, {
      body: entraUser('steady@contoso.test'),
    });
    expect(created.status, created.text).toBe(201);
    userId = (created.json as ScimResource).id;
  });

  afterAll(async () => {
    await sidecar?.close();
    await upstream?.close();
  });

  it.each(Object.entries(EXPECTED) as Array<[FaultKind, number]>)(
    '%s: the IdP gets a SCIM %i',
    async (kind, status) => {
      upstream.setSchedule(() => kind);
      const requests: Array<[string, () => Promise<HttpResult>]> = [
        ['GET /Users/:id', () => send(sidecar, 'GET', `${BASE_PATH}/Users/${userId}`)],
        [
          'GET /Users?filter',
          () =>
            send(
              sidecar,
              'GET',
              `${BASE_PATH}/Users?filter=${encodeURIComponent('userName eq "steady@contoso.test"')}`,
            ),
        ],
      ];
      // Writes too, except where each attempt costs a full Retry-After.
      if (kind !== 'tooMany' && kind !== 'unavailable') {
        requests.push(
          [
            'POST /Users',
            () =>
              send(sidecar, 'POST', `${BASE_PATH}/Users`, { body: entraUser(`new-${kind}@contoso.test`) }),
          ],
          [
            'PATCH /Users/:id',
            () =>
              send(sidecar, 'PATCH', `${BASE_PATH}/Users/${userId}`, {
                body: patchOp({ op: 'replace', path: 'title', value: `t-${kind}` }),
              }),
          ],
        );
      }
      try {
        for (const [label, request] of requests) {
          const started = performance.now();
          const before = upstream.requests.length;
          const answer = await request();
          const ms = performance.now() - started;
          const attempts = upstream.requests.length - before;
          report.push(
            `${kind} ${label} → ${answer.status} retry-after=${answer.header('retry-after') ?? '-'} after ${attempts} app call(s) in ${ms.toFixed(0)} ms`,
          );
          expect(scimErrorViolation(answer), `${kind} ${label}: ${answer.text}`).toBeUndefined();
          expect(answer.status, `${kind} ${label}: ${answer.text}`).toBe(status);
          // A read is safe to repeat: the sidecar uses all its attempts (retries: 2) before giving up.
          if (label.startsWith('GET')) expect(attempts, `${kind} ${label}: app calls made`).toBe(3);
        }
      } finally {
        upstream.setSchedule(undefined);
      }
    },
  );
});

describe('an app asking for more time than the IdP will wait', () => {
  it.each<[FaultKind, number]>([
    ['tooMany', 429],
    ['unavailable', 503],
  ])('%s with Retry-After: 120 is passed on at once as a SCIM %i', async (kind, status) => {
    const { upstream, sidecar } = await rig('120');
    try {
      upstream.setSchedule(() => kind);
      const started = performance.now();
      const answer = await send(sidecar, 'GET', `${BASE_PATH}/Users?count=1`);
      const ms = performance.now() - started;
      report.push(
        `${kind} with Retry-After: 120 → ${answer.status} retry-after=${answer.header('retry-after')} in ${ms.toFixed(0)} ms`,
      );
      expect(answer.status, answer.text).toBe(status);
      expect(scimErrorViolation(answer), answer.text).toBeUndefined();
      expect(Number(answer.header('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(ms, 'answered without sleeping through the Retry-After').toBeLessThan(2_000);
    } finally {
      await sidecar.close();
      await upstream.close();
    }
  });
});
