/**
 * The request deadline (server.requestDeadlineMs) bounds everything a SCIM request does toward the
 * app, through the whole HTTP path: an app far slower than the deadline, with an upstream timeout
 * longer still, is cut off so the IdP gets its answer in time. And the audit line of each request
 * counts that request's own calls to the app, retries included.
 */

import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/app.js';
import { MemoryIdMapStore } from '../../../src/idmap/memory-store.js';
import { loadMapping } from '../../../src/mapping/load-mapping.js';
import { auditLoggerOptions } from '../../../src/ops/audit.js';
import { type FaultKind, type FaultyApp, startFaultyApp } from '../../helpers/faulty-app.js';
import { scimErrorViolation } from '../../helpers/scim-invariants.js';
import { LogCapture } from '../../helpers/security.js';
import {
  BASE_PATH,
  DEMO_MAPPING_FILE,
  deploymentConfig,
  entraUser,
  patchOp,
  type ScimResource,
  send,
  UPSTREAM_API_KEY,
} from '../../helpers/sidecar.js';

type FastifyApp = Awaited<ReturnType<typeof buildApp>>;

/** The request deadline; the sidecar keeps 1 s of it in reserve to answer the IdP. */
const DEADLINE_MS = 2_000;
/** How long the slow app holds its answers back: far beyond the deadline. */
const SLOW_MS = 15_000;

let upstream: FaultyApp;
let sidecar: FastifyApp;
const audit = new LogCapture();
let userId: string;

beforeAll(async () => {
  upstream = await startFaultyApp({ apiKey: UPSTREAM_API_KEY, slowMs: SLOW_MS });
  // An upstream timeout longer than the slow app's delay: only the deadline can cut the call short.
  const base = deploymentConfig(upstream.url, DEMO_MAPPING_FILE, { timeoutMs: 30_000 });
  sidecar = await buildApp(
    { ...base, server: { ...base.server, requestDeadlineMs: DEADLINE_MS } },
    loadMapping(DEMO_MAPPING_FILE),
    {
      idMapStore: new MemoryIdMapStore(),
      logger: pino({ level: 'silent' }),
      auditLogger: pino(auditLoggerOptions(), audit.stream),
      retry: { baseDelayMs: 5, maxDelayMs: 20 },
    },
  );
  await sidecar.ready();
  const created = await send(sidecar, 'POST', `${BASE_PATH}/Users`, {
    body: entraUser('deadline@contoso.test'),
  });
  expect(created.status, created.text).toBe(201);
  userId = (created.json as ScimResource).id;
});

afterAll(async () => {
  await sidecar?.close();
  await upstream?.close();
});

beforeEach(() => {
  upstream.setSchedule(undefined);
  audit.clear();
});

function onlyAuditLine(): Record<string, unknown> {
  const records = audit.records();
  expect(records).toHaveLength(1);
  return records[0] as Record<string, unknown>;
}

/** Faults for the reads of one account, in order; answered normally once they run out. */
function accountReads(...faults: Array<FaultKind | undefined>): void {
  const queue = [...faults];
  upstream.setSchedule(({ method, url }) =>
    method === 'GET' && url.startsWith('/api/accounts/') ? queue.shift() : undefined,
  );
}

describe('an app slower than the request deadline', () => {
  it.each([
    ['GET /Users/:id', () => send(sidecar, 'GET', `${BASE_PATH}/Users/${userId}`)],
    [
      'PATCH /Users/:id',
      () =>
        send(sidecar, 'PATCH', `${BASE_PATH}/Users/${userId}`, {
          body: patchOp({ op: 'replace', path: 'title', value: 'Late' }),
        }),
    ],
  ])('%s: the IdP gets a SCIM 504 within the deadline', async (_label, request) => {
    upstream.setSchedule(() => 'slowHeaders');
    const before = upstream.requests.length;
    const started = performance.now();
    const answer = await request();
    const ms = performance.now() - started;
    expect(answer.status, answer.text).toBe(504);
    expect(scimErrorViolation(answer), answer.text).toBeUndefined();
    // The one attempt had the deadline less the reserve (1 s); no time was left for a retry.
    expect(ms, 'answered within the request deadline').toBeLessThan(DEADLINE_MS);
    expect(ms, 'the attempt was given the time the deadline allowed').toBeGreaterThanOrEqual(800);
    expect(upstream.requests.length - before, 'calls to the app').toBe(1);
    expect(onlyAuditLine()).toMatchObject({
      outcome: 'failure',
      status: 504,
      upstreamStatus: null,
      upstreamCalls: 1,
    });
  });
});

describe('the audit line counts the request’s own calls to the app', () => {
  it('a read retried after a 500: both attempts, the last status', async () => {
    accountReads('json500');
    const answer = await send(sidecar, 'GET', `${BASE_PATH}/Users/${userId}`);
    expect(answer.status, answer.text).toBe(200);
    expect(onlyAuditLine()).toMatchObject({ outcome: 'success', upstreamStatus: 200, upstreamCalls: 2 });
  });

  it('a read that fails every attempt: the status of the first failure', async () => {
    accountReads('json500', 'reset', 'reset');
    const answer = await send(sidecar, 'GET', `${BASE_PATH}/Users/${userId}`);
    expect(answer.status, answer.text).toBe(502);
    expect(onlyAuditLine()).toMatchObject({ outcome: 'failure', upstreamStatus: 500, upstreamCalls: 3 });
  });

  it('requests running at the same time each count their own', async () => {
    accountReads('json500', 'json500');
    const answers = await Promise.all([
      send(sidecar, 'GET', `${BASE_PATH}/Users/${userId}`),
      send(sidecar, 'GET', `${BASE_PATH}/ServiceProviderConfig`),
      send(sidecar, 'GET', `${BASE_PATH}/Users?count=1`),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    const lines = audit.records();
    expect(lines.map((l) => [l.operation, l.upstreamCalls, l.upstreamStatus]).sort()).toEqual([
      ['get', 3, 200],
      ['list', 1, 200],
    ]);
  });
});
