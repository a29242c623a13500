/**
 * Two scim-sidecar replicas behind one load balancer: both in front of the same app, sharing one
 * Redis for the id map and the per-resource lock (`idMap.store: redis`). An IdP's requests land
 * on either replica; every answer must be the one a single instance would give.
 */

import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import type { DeploymentConfig } from '../../src/config/deployment-config.js';
import { type DemoApp, startDemoApp } from '../../src/demo/demo-app.js';
import { connectRedis } from '../../src/idmap/redis-store.js';
import type { IdMapEntry } from '../../src/idmap/types.js';
import { loadMapping } from '../../src/mapping/load-mapping.js';
import { describeWithRedis, type RedisServer, startRedisServer } from '../helpers/redis-server.js';
import {
  BASE_PATH,
  DEMO_MAPPING_FILE,
  deploymentConfig,
  entraUser,
  GROUP_SCHEMA,
  type HttpResult,
  patchOp,
  type ScimRequestOptions,
  send,
  UPSTREAM_API_KEY,
} from '../helpers/sidecar.js';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
type Replica = (method: Method, path: string, options?: ScimRequestOptions) => Promise<HttpResult>;

const KEY_PREFIX = `replicas-${randomUUID()}`;

let redis: RedisServer;
let demo: DemoApp;
let apps: FastifyInstance[] = [];
let raw: Redis;
let logLines: string[] = [];
let A: Replica;
let B: Replica;

function replicaConfig(): DeploymentConfig {
  const config = deploymentConfig(demo.url, DEMO_MAPPING_FILE);
  return {
    ...config,
    idMap: { ...config.idMap, store: 'redis', redis: { url: redis.url, keyPrefix: KEY_PREFIX } },
  };
}

async function startReplica(): Promise<Replica> {
  // Each replica opens its own Redis connection from the config, as in production.
  const logger = pino(
    { level: 'info' },
    {
      write: (line: string) => {
        logLines.push(line);
      },
    },
  );
  const app = await buildApp(replicaConfig(), loadMapping(DEMO_MAPPING_FILE), { logger });
  apps.push(app);
  await app.ready();
  return (method, path, options) => send(app, method, `${BASE_PATH}${path}`, options);
}

async function storedEntry(type: 'User' | 'Group', scimId: string): Promise<IdMapEntry | undefined> {
  const json = await raw.get(`${KEY_PREFIX}:${type}:scim:${scimId}`);
  return json === null ? undefined : (JSON.parse(json) as IdMapEntry);
}

function expectStatus(res: HttpResult, ...statuses: number[]): void {
  expect(statuses, `${res.status} ${res.text}`).toContain(res.status);
}

beforeAll(async () => {
  logLines = [];
  apps = [];
  // The password is in the URL, as `${REDIS_PASSWORD}` would put it there.
  redis = await startRedisServer({ password: 'replica-secret-9f2c' });
  demo = await startDemoApp({ apiKey: UPSTREAM_API_KEY });
  raw = await connectRedis(redis.url);
  A = await startReplica();
  B = await startReplica();
});

afterAll(async () => {
  for (const app of apps) await app.close();
  await raw?.quit();
  await demo?.close();
  await redis?.stop();
});

describeWithRedis('two replicas sharing one Redis', () => {
  let userId: string;

  it('logs where the id map lives without the Redis password', () => {
    const opened = logLines.filter((line) => line.includes('id map store: Redis'));
    expect(opened).toHaveLength(2);
    expect(opened[0]).toContain(`"keyPrefix":"${KEY_PREFIX}"`);
    expect(opened[0]).toContain('redis://:***@127.0.0.1');
    for (const line of logLines) expect(line).not.toContain('replica-secret-9f2c');
  });

  it('finds on B, under the same SCIM id, a user created on A', async () => {
    const created = await A('POST', '/Users', { body: entraUser('alice@contoso.com') });
    expectStatus(created, 201);
    userId = created.resource().id;

    const byUserName = await B(
      'GET',
      `/Users?filter=${encodeURIComponent('userName eq "alice@contoso.com"')}`,
    );
    expectStatus(byUserName, 200);
    expect(byUserName.list().totalResults).toBe(1);
    expect(byUserName.list().Resources[0]?.id).toBe(userId);

    const byExternalId = await B('GET', `/Users?filter=${encodeURIComponent('externalId eq "ext-alice"')}`);
    expect(byExternalId.list().Resources.map((r) => r.id)).toEqual([userId]);

    const one = await B('GET', `/Users/${userId}`);
    expectStatus(one, 200);
    // What only the id map holds (the e-mail-style userName the app stores as a login) comes through.
    expect(one.resource()).toMatchObject({
      id: userId,
      userName: 'alice@contoso.com',
      externalId: 'ext-alice',
    });
    expect(one.resource().meta.version).toBe(created.resource().meta.version);
  });

  it('shows on A, at once, a PATCH made on B', async () => {
    const before = await A('GET', `/Users/${userId}`);
    const patched = await B('PATCH', `/Users/${userId}`, {
      body: patchOp(
        { op: 'replace', path: 'title', value: 'Staff Engineer' },
        { op: 'replace', path: 'externalId', value: 'ext-alice-2' },
      ),
    });
    expectStatus(patched, 200, 204);

    const after = await A('GET', `/Users/${userId}`);
    expectStatus(after, 200);
    expect(after.resource().title).toBe('Staff Engineer');
    expect(after.resource().externalId).toBe('ext-alice-2');
    expect(after.resource().meta.version).not.toBe(before.resource().meta.version);
    expect((await storedEntry('User', userId))?.version).toBe(2);

    const oldExternal = await A('GET', `/Users?filter=${encodeURIComponent('externalId eq "ext-alice"')}`);
    expect(oldExternal.list().totalResults).toBe(0);
    const newExternal = await A('GET', `/Users?filter=${encodeURIComponent('externalId eq "ext-alice-2"')}`);
    expect(newExternal.list().Resources.map((r) => r.id)).toEqual([userId]);
  });

  it('loses none of 20 concurrent member adds split across A and B', async () => {
    const members: Array<{ id: string; display: string }> = [];
    for (let i = 0; i < 20; i++) {
      const replica = i % 2 === 0 ? A : B;
      const res = await replica('POST', '/Users', { body: entraUser(`member${i}@contoso.com`) });
      expectStatus(res, 201);
      members.push({ id: res.resource().id, display: `Member ${i}` });
    }
    const group = await A('POST', '/Groups', {
      body: { schemas: [GROUP_SCHEMA], displayName: 'Replicated' },
    });
    expectStatus(group, 201);
    const groupId = group.resource().id;

    const results = await Promise.all(
      members.map((member, i) =>
        (i % 2 === 0 ? A : B)('PATCH', `/Groups/${groupId}`, {
          body: patchOp({
            op: 'Add',
            path: 'members',
            value: [{ value: member.id, display: member.display }],
          }),
        }),
      ),
    );
    for (const res of results) expectStatus(res, 200, 204);

    const expected = members.map((m) => m.id).sort();
    for (const replica of [A, B]) {
      const res = await replica('GET', `/Groups/${groupId}`);
      expectStatus(res, 200);
      const got = (res.resource().members as Array<{ value: string }>).map((m) => m.value).sort();
      expect(got).toEqual(expected);
    }
    const team = demo.store.listTeams().items.find((t) => t.name === 'Replicated');
    expect(demo.store.getTeam(team!.id)?.member_ids).toHaveLength(20);

    // The writes were serialised: each one read the entry the previous one wrote, so none of the
    // id map's own state (version, the display texts the app cannot keep) was overwritten.
    const entry = await storedEntry('Group', groupId);
    expect(entry?.version).toBe(21);
    expect(entry?.memberDisplays).toEqual(Object.fromEntries(members.map((m) => [m.id, m.display])));
  });

  it('gives both replicas one SCIM id for a record they adopt at the same time', async () => {
    const account = demo.store.createAccount({ login: 'outsider', first_name: 'Out', last_name: 'Sider' });
    const filter = `/Users?filter=${encodeURIComponent('userName eq "outsider"')}`;
    const answers = await Promise.all([
      A('GET', filter),
      B('GET', filter),
      A('GET', filter),
      B('GET', filter),
    ]);
    const ids = new Set(answers.map((res) => res.list().Resources[0]?.id));
    expect(ids.size).toBe(1);
    const [id] = [...ids];
    expect(id).toBeDefined();
    expect((await storedEntry('User', id!))?.appId).toBe(String(account.id));
  });

  it('answers 404 on B for a user deleted on A', async () => {
    const deleted = await A('DELETE', `/Users/${userId}`);
    expectStatus(deleted, 204);
    const res = await B('GET', `/Users/${userId}`);
    expectStatus(res, 404);
    expect(await storedEntry('User', userId)).toBeUndefined();
    const patch = await B('PATCH', `/Users/${userId}`, {
      body: patchOp({ op: 'replace', path: 'title', value: 'Ghost' }),
    });
    expectStatus(patch, 404);
  });

  it('leaves no lock keys behind', async () => {
    expect(await raw.keys(`${KEY_PREFIX}:lock:*`)).toEqual([]);
  });
});
