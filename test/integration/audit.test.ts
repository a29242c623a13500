import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { startDemoApp } from '../../src/demo/demo-app.js';
import { MemoryIdMapStore } from '../../src/idmap/memory-store.js';
import { loadMapping } from '../../src/mapping/load-mapping.js';
import { createAuditLogger } from '../../src/ops/audit.js';
import { type SecureSidecar, startSecureSidecar, tempDir } from '../helpers/security.js';
import {
  DEMO_MAPPING_FILE,
  deploymentConfig,
  entraUser,
  GROUP_SCHEMA,
  patchOp,
  send,
  UPSTREAM_API_KEY,
} from '../helpers/sidecar.js';

let sc: SecureSidecar;

beforeAll(async () => {
  sc = await startSecureSidecar();
});
afterAll(async () => {
  await sc.close();
});
beforeEach(() => {
  sc.audit.clear();
});

const scim = (
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  options: Parameters<typeof send>[3] = {},
) => send(sc.app, method, `/scim/v2${path}`, options);

function lastAudit(): Record<string, unknown> {
  const records = sc.audit.records();
  expect(records).toHaveLength(1);
  return records[0] as Record<string, unknown>;
}

describe('one audit line per provisioning operation', () => {
  it('records a create with the ids on both sides', async () => {
    const res = await scim('POST', '/Users', { body: entraUser('audit.create@contoso.com') });
    expect(res.status).toBe(201);
    const appId = String(sc.demo?.store.listAccounts({ login: 'audit.create@contoso.com' }).items[0]?.id);
    const line = lastAudit();
    expect(line).toEqual({
      level: 30,
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      log: 'audit',
      service: 'scim-sidecar',
      requestId: expect.any(String),
      principal: 'test',
      authMethod: 'bearer',
      clientIp: '127.0.0.1',
      operation: 'create',
      resourceType: 'User',
      scimId: res.resource().id,
      appId,
      app: 'acme-directory',
      outcome: 'success',
      status: 201,
      upstreamStatus: expect.any(Number),
      upstreamCalls: expect.any(Number),
      durationMs: expect.any(Number),
      msg: 'provisioning operation',
    });
    expect(line.upstreamStatus).toBeGreaterThanOrEqual(200);
    expect(line.upstreamStatus).toBeLessThan(300);
    expect(line.upstreamCalls).toBeGreaterThanOrEqual(1);
    expect(line.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('names each operation and keeps the app id through a delete', async () => {
    const created = await scim('POST', '/Users', { body: entraUser('audit.ops@contoso.com') });
    const id = created.resource().id;
    const appId = String(sc.demo?.store.listAccounts({ login: 'audit.ops@contoso.com' }).items[0]?.id);
    sc.audit.clear();
    await scim('GET', `/Users/${id}`);
    await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "audit.ops@contoso.com"')}`);
    await scim('POST', '/Users/.search', { body: { filter: 'userName eq "audit.ops@contoso.com"' } });
    await scim('PATCH', `/Users/${id}`, {
      body: patchOp({ op: 'Replace', path: 'title', value: 'Auditor' }),
    });
    await scim('PUT', `/Users/${id}`, { body: entraUser('audit.ops@contoso.com') });
    await scim('DELETE', `/Users/${id}`);
    const lines = sc.audit.records();
    expect(lines.map((l) => [l.operation, l.resourceType, l.status, l.outcome])).toEqual([
      ['get', 'User', 200, 'success'],
      ['list', 'User', 200, 'success'],
      ['search', 'User', 200, 'success'],
      ['patch', 'User', 204, 'success'],
      ['replace', 'User', 200, 'success'],
      ['delete', 'User', 204, 'success'],
    ]);
    for (const line of [lines[0], lines[3], lines[4], lines[5]]) {
      expect(line).toMatchObject({ scimId: id, appId });
    }
    // A list has no single resource.
    expect(lines[1]).toMatchObject({ scimId: null, appId: null });
  });

  it('records groups too', async () => {
    const res = await scim('POST', '/Groups', {
      body: { schemas: [GROUP_SCHEMA], displayName: 'Audit Team', externalId: 'ext-audit-team' },
    });
    expect(res.status).toBe(201);
    expect(lastAudit()).toMatchObject({
      operation: 'create',
      resourceType: 'Group',
      scimId: res.resource().id,
    });
  });

  it('records a failure with the app’s status', async () => {
    await scim('POST', '/Users', { body: entraUser('audit.twice@contoso.com') });
    sc.audit.clear();
    const again = await scim('POST', '/Users', { body: entraUser('audit.twice@contoso.com') });
    expect(again.status).toBe(409);
    expect(lastAudit()).toMatchObject({
      operation: 'create',
      outcome: 'failure',
      status: 409,
      upstreamStatus: 409,
      scimId: null,
    });
  });

  it('records a failure that never reached the app', async () => {
    const res = await scim('GET', '/Users/8f0c1a52-0000-4000-8000-00000000dead');
    expect(res.status).toBe(404);
    expect(lastAudit()).toMatchObject({
      operation: 'get',
      outcome: 'failure',
      status: 404,
      scimId: '8f0c1a52-0000-4000-8000-00000000dead',
      appId: null,
      upstreamStatus: null,
      upstreamCalls: 0,
    });
  });

  it('records refused requests without a principal', async () => {
    await scim('DELETE', '/Users/some-id', { token: 'wrong' });
    expect(lastAudit()).toMatchObject({
      operation: 'delete',
      resourceType: 'User',
      outcome: 'denied',
      status: 401,
      principal: null,
      authMethod: null,
      upstreamCalls: 0,
    });
  });

  it('does not record successful discovery reads', async () => {
    await scim('GET', '/ServiceProviderConfig');
    await scim('GET', '/Schemas');
    expect(sc.audit.lines).toEqual([]);
  });

  it('writes the trail even when the debug log is silent', () => {
    expect(sc.config.logging.level).toBe('silent');
    expect(sc.logs.lines).toEqual([]);
  });
});

describe('logging.audit destinations', () => {
  it('off: no logger at all', () => {
    expect(createAuditLogger('off')).toBeUndefined();
  });

  it('a file: one JSON line per operation, appended', async () => {
    const { dir, cleanup } = tempDir('scim-audit-');
    const demo = await startDemoApp({ apiKey: UPSTREAM_API_KEY });
    try {
      const file = join(dir, 'nested', 'audit.jsonl');
      const config = deploymentConfig(demo.url, DEMO_MAPPING_FILE);
      config.logging.audit = { file };
      const app = await buildApp(config, loadMapping(DEMO_MAPPING_FILE), {
        idMapStore: new MemoryIdMapStore(),
        logger: pino({ level: 'silent' }),
      });
      try {
        const res = await send(app, 'POST', '/scim/v2/Users', { body: entraUser('audit.file@contoso.com') });
        expect(res.status).toBe(201);
        await send(app, 'GET', `/scim/v2/Users/${res.resource().id}`);
      } finally {
        await app.close();
      }
      // close() flushed the destination.
      await new Promise((resolve) => setTimeout(resolve, 100));
      const lines = readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.map((l) => [l.log, l.operation, l.outcome])).toEqual([
        ['audit', 'create', 'success'],
        ['audit', 'get', 'success'],
      ]);
    } finally {
      await demo.close();
      cleanup();
    }
  });
});
