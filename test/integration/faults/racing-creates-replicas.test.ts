/**
 * Two replicas sharing one Redis (id map and lock), in front of an app slow to answer creates it
 * has already applied. The IdP's first POST lands on one replica, its duplicate on the other:
 * one account, one SCIM id, the loser 409 uniqueness (or the same resource when the client resent
 * its own create).
 */

import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { buildApp } from '../../../src/app.js';
import { loadMapping } from '../../../src/mapping/load-mapping.js';
import { type FaultSchedule, type FaultyApp, startFaultyApp } from '../../helpers/faulty-app.js';
import { describeWithRedis, type RedisServer, startRedisServer } from '../../helpers/redis-server.js';
import {
  BASE_PATH,
  DEMO_MAPPING_FILE,
  deploymentConfig,
  entraUser,
  type HttpResult,
  send,
  UPSTREAM_API_KEY,
} from '../../helpers/sidecar.js';

const SLOW_CREATE_MS = 2_500;
const KEY_PREFIX = `racing-${randomUUID()}`;

/** The next create of an account is answered late (applied at once). */
const slowNextCreate = (): FaultSchedule => {
  let done = false;
  return ({ method, url }) => {
    if (done || method !== 'POST' || url.split('?')[0] !== '/api/accounts') return undefined;
    done = true;
    return 'slowHeaders';
  };
};

let redis: RedisServer;
let upstream: FaultyApp;
const replicas: FastifyInstance[] = [];

async function startReplica(): Promise<FastifyInstance> {
  const base = deploymentConfig(upstream.url, DEMO_MAPPING_FILE, { timeoutMs: 5_000 });
  const app = await buildApp(
    {
      ...base,
      server: { ...base.server, requestDeadlineMs: 10_000 },
      idMap: { ...base.idMap, store: 'redis', redis: { url: redis.url, keyPrefix: KEY_PREFIX } },
    },
    loadMapping(DEMO_MAPPING_FILE),
    { logger: pino({ level: 'silent' }) },
  );
  replicas.push(app);
  await app.ready();
  return app;
}

beforeAll(async () => {
  redis = await startRedisServer();
  upstream = await startFaultyApp({ apiKey: UPSTREAM_API_KEY, slowMs: SLOW_CREATE_MS });
  await startReplica();
  await startReplica();
});

afterEach(() => upstream.setSchedule(undefined));

afterAll(async () => {
  for (const app of replicas) await app.close();
  await upstream?.close();
  await redis?.stop();
});

const post = (replica: number, body: unknown): Promise<HttpResult> =>
  send(replicas[replica] as FastifyInstance, 'POST', `${BASE_PATH}/Users`, { body });

const accountsWith = (login: string) =>
  [...upstream.accounts.values()].filter((a) => a.login.toLowerCase() === login.toLowerCase());

describeWithRedis('racing creates across replicas', () => {
  it('a duplicate POST on the other replica while the first is slow: one account, one id, 409', async () => {
    upstream.setSchedule(slowNextCreate());
    const first = post(0, entraUser('replica-race@contoso.test'));
    await new Promise((resolve) => setTimeout(resolve, 400));
    const second = post(1, entraUser('REPLICA-RACE@contoso.test'));
    const [a, b] = await Promise.all([first, second]);
    expect([a.status, b.status], `${a.text}\n${b.text}`).toEqual([201, 409]);
    expect(b.error().scimType).toBe('uniqueness');
    expect(accountsWith('replica-race@contoso.test')).toHaveLength(1);
    const read = await send(replicas[1] as FastifyInstance, 'GET', `${BASE_PATH}/Users/${a.resource().id}`);
    expect(read.status, read.text).toBe(200);
  });

  it('the client resends its own create to the other replica: both answers name the same resource', async () => {
    upstream.setSchedule(slowNextCreate());
    const body = entraUser('replica-resent@contoso.test', { externalId: 'ext-replica-resent' });
    const first = post(0, body);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const second = post(1, body);
    const [a, b] = await Promise.all([first, second]);
    expect([a.status, b.status], `${a.text}\n${b.text}`).toEqual([201, 201]);
    expect(b.resource().id).toBe(a.resource().id);
    expect(accountsWith('replica-resent@contoso.test')).toHaveLength(1);
  });
});
