import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/load-config.js';
import { MemoryIdMapStore } from '../../src/idmap/memory-store.js';
import { loadMapping } from '../../src/mapping/load-mapping.js';
import { enableReloadTriggers } from '../../src/runtime/reload.js';
import { hashToken } from '../../src/security/credentials.js';
import { SCIM_TOKEN, send } from '../helpers/sidecar.js';

/** A tiny legacy app: one account, whose reads can be held open to make them slow. */
class FakeApp {
  readonly seen: Array<{ path: string; apiKey: string | undefined }> = [];
  private server: Server | undefined;
  private holding: { release: () => void; arrived: Promise<void> } | undefined;
  private arrived: (() => void) | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The next read waits until `release()`; `arrived` resolves once it has reached the app. */
  holdNextRead(): { release: () => void; arrived: Promise<void> } {
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const arrived = new Promise<void>((resolve) => {
      this.arrived = resolve;
    });
    this.holding = { release, arrived };
    this.gate = gate;
    return this.holding;
  }

  private gate: Promise<void> | undefined;

  private async handle(request: IncomingMessage, response: import('node:http').ServerResponse) {
    const path = (request.url ?? '').split('?')[0] ?? '';
    const apiKey = request.headers['x-api-key'];
    this.seen.push({ path, apiKey: typeof apiKey === 'string' ? apiKey : undefined });
    const gate = this.gate;
    if (gate) {
      this.gate = undefined;
      this.arrived?.();
      await gate;
    }
    response.setHeader('content-type', 'application/json');
    if (/^\/(v2\/)?users\/1$/.test(path)) {
      response.end(JSON.stringify({ id: 1, login: 'alice', fullName: 'Alice Liddell' }));
      return;
    }
    response.statusCode = 404;
    response.end('{"error":"not found"}');
  }

  async close(): Promise<void> {
    this.holding?.release();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

/** Mapping v1 reads /users/{appId} and shows the full name as is. */
const MAPPING_V1 = mapping('/users/{appId}', 'fullName');
/** Mapping v2 reads /v2/users/{appId} and shows the full name in capitals. */
const MAPPING_V2 = mapping('/v2/users/{appId}', '$uppercase(fullName)');

function mapping(getPath: string, displayName: string): string {
  return [
    '# yaml-language-server: $schema=../../schemas/mapping.schema.json',
    'app: reloadable',
    'resources:',
    '  User:',
    '    id: id',
    `    toScim: '{ "userName": login, "displayName": ${displayName} }'`,
    `    fromScim: '{ "login": userName }'`,
    '    operations:',
    '      create: { method: POST, path: /users, body: app }',
    `      get: { method: GET, path: "${getPath}" }`,
    '      list: { method: GET, path: /users }',
    '',
  ].join('\n');
}

function config(appUrl: string, overrides: { apiKey?: string; port?: number; level?: string } = {}): string {
  return [
    'server:',
    '  host: 127.0.0.1',
    `  port: ${overrides.port ?? 0}`,
    'auth:',
    '  bearer:',
    '    tokens:',
    `      - name: test`,
    `        hash: "${hashToken(SCIM_TOKEN)}"`,
    'upstream:',
    `  baseUrl: ${appUrl}`,
    '  auth:',
    `    header: { name: X-Api-Key, value: ${overrides.apiKey ?? 'key-one'} }`,
    '  timeoutMs: 5000',
    'mapping: ./mapping.yaml',
    'idMap:',
    '  store: memory',
    'logging:',
    `  level: ${overrides.level ?? 'info'}`,
    '  audit: off',
    '',
  ].join('\n');
}

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

let dir: string;
let fake: FakeApp;
let app: FastifyInstance | undefined;
let logs: LogLine[];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scim-sidecar-reload-'));
  fake = new FakeApp();
  await fake.start();
  logs = [];
});

afterEach(async () => {
  await app?.close();
  app = undefined;
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Writes config.yaml and mapping.yaml, then builds the app from them as `serve` does. */
async function start(mappingText = MAPPING_V1, configText = config(fake.url)): Promise<FastifyInstance> {
  writeFileSync(join(dir, 'mapping.yaml'), mappingText);
  writeFileSync(join(dir, 'config.yaml'), configText);
  const loaded = loadConfig(join(dir, 'config.yaml'), {});
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logs.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  const store = new MemoryIdMapStore();
  const now = new Date().toISOString();
  await store.put({
    resourceType: 'User',
    scimId: 'u-1',
    appId: '1',
    created: now,
    lastModified: now,
    version: 1,
  });
  app = await buildApp(loaded, loadMapping(loaded.mapping), {
    idMapStore: store,
    logger: pino({ level: loaded.logging.level }, sink),
  });
  return app;
}

async function getUser(target: FastifyInstance) {
  const response = await send(target, 'GET', '/scim/v2/Users/u-1');
  expect(response.status).toBe(200);
  return response.resource();
}

describe('reload', () => {
  it('a changed mapping changes what the next request does', async () => {
    const target = await start();
    expect((await getUser(target)).displayName).toBe('Alice Liddell');
    expect(fake.seen.at(-1)?.path).toBe('/users/1');

    writeFileSync(join(dir, 'mapping.yaml'), MAPPING_V2);
    const outcome = await target.reloader.reload();
    expect(outcome).toEqual({ ok: true, applied: [], restartRequired: [], problems: [] });

    expect((await getUser(target)).displayName).toBe('ALICE LIDDELL');
    expect(fake.seen.at(-1)?.path).toBe('/v2/users/1');
    expect(logs.some((l) => l.msg === 'configuration reloaded' && l.app === 'reloadable')).toBe(true);
  });

  it('an invalid mapping keeps the old one, and every problem is logged', async () => {
    const target = await start();
    const broken = MAPPING_V2.replace('$uppercase(fullName)', '$uppercase(fullName').replace(
      '    id: id',
      '    id: id\n    colour: blue',
    );
    writeFileSync(join(dir, 'mapping.yaml'), broken);
    const outcome = await target.reloader.reload();
    expect(outcome.ok).toBe(false);
    expect(outcome.problems.length).toBeGreaterThanOrEqual(1);
    expect(outcome.problems.join('\n')).toContain(`${join(dir, 'mapping.yaml')}:`);
    expect(outcome.problems.join('\n')).toContain("unknown setting 'colour'");

    // Still the first mapping.
    expect((await getUser(target)).displayName).toBe('Alice Liddell');
    expect(fake.seen.at(-1)?.path).toBe('/users/1');
    const failure = logs.find((l) => l.msg.startsWith('configuration reload failed'));
    expect(failure?.problems).toEqual(outcome.problems);
    expect(failure?.level).toBe(50);

    // A JSONata error alone (the schema passes) is caught too.
    writeFileSync(
      join(dir, 'mapping.yaml'),
      MAPPING_V2.replace('$uppercase(fullName)', '$uppercase(fullName'),
    );
    const second = await target.reloader.reload();
    expect(second.ok).toBe(false);
    expect(second.problems.join('\n')).toContain('JSONata error');
    expect((await getUser(target)).displayName).toBe('Alice Liddell');

    const metrics = await target.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain('scim_sidecar_config_reloads_total{result="failure"} 2');
  });

  it('an invalid config.yaml keeps everything as it was, and its problems are listed with the mapping ones', async () => {
    const target = await start();
    writeFileSync(join(dir, 'config.yaml'), config(fake.url).replace('timeoutMs: 5000', 'timeoutMs: soon'));
    writeFileSync(
      join(dir, 'mapping.yaml'),
      MAPPING_V2.replace('    id: id', '    id: id\n    colour: blue'),
    );
    const outcome = await target.reloader.reload();
    expect(outcome.ok).toBe(false);
    expect(outcome.problems.some((p) => p.includes('config.yaml') && p.includes('upstream.timeoutMs'))).toBe(
      true,
    );
    expect(outcome.problems.some((p) => p.includes("unknown setting 'colour'"))).toBe(true);
    expect((await getUser(target)).displayName).toBe('Alice Liddell');
  });

  it('a request in flight completes on the mapping and client it started with', async () => {
    const target = await start();
    const held = fake.holdNextRead();
    const slow = send(target, 'GET', '/scim/v2/Users/u-1');
    await held.arrived;

    // A new mapping and a new credential toward the app (a new client) while the read waits.
    writeFileSync(join(dir, 'mapping.yaml'), MAPPING_V2);
    writeFileSync(join(dir, 'config.yaml'), config(fake.url, { apiKey: 'key-two' }));
    const outcome = await target.reloader.reload();
    expect(outcome.ok).toBe(true);
    expect(outcome.applied).toEqual(['upstream.auth.header.value']);

    held.release();
    const finished = await slow;
    expect(finished.status).toBe(200);
    expect(finished.resource().displayName).toBe('Alice Liddell');
    expect(fake.seen[0]).toEqual({ path: '/users/1', apiKey: 'key-one' });

    expect((await getUser(target)).displayName).toBe('ALICE LIDDELL');
    expect(fake.seen.at(-1)).toEqual({ path: '/v2/users/1', apiKey: 'key-two' });
    // The key is a secret: the log names the setting, never its value.
    expect(JSON.stringify(logs)).not.toContain('key-two');
  });

  it('reports settings that need a restart and keeps running with their old values', async () => {
    const target = await start();
    const changed = config(fake.url, { port: 18443 })
      .replace('host: 127.0.0.1', 'host: 0.0.0.0\n  basePath: /scim')
      .replace('store: memory', 'store: file');
    writeFileSync(join(dir, 'config.yaml'), changed);
    const outcome = await target.reloader.reload();
    expect(outcome.ok).toBe(true);
    expect(outcome.restartRequired).toEqual(
      expect.arrayContaining(['server.host', 'server.port', 'server.basePath', 'idMap.store']),
    );
    expect(outcome.applied).toEqual([]);
    // Still served under the old base path.
    expect((await getUser(target)).displayName).toBe('Alice Liddell');
    const warning = logs.find((l) => l.msg.startsWith('restart required'));
    expect(warning?.settings).toEqual(outcome.restartRequired);
  });

  it('rotates the SCIM tokens without a restart', async () => {
    const target = await start();
    const newToken = 'rotated-scim-token-8e2f4a';
    writeFileSync(
      join(dir, 'config.yaml'),
      config(fake.url).replace(hashToken(SCIM_TOKEN), hashToken(newToken)),
    );
    const outcome = await target.reloader.reload();
    expect(outcome.applied).toEqual(['auth.bearer.tokens']);
    expect((await send(target, 'GET', '/scim/v2/Users/u-1')).status).toBe(401);
    expect((await send(target, 'GET', '/scim/v2/Users/u-1', { token: newToken })).status).toBe(200);
  });

  it('applies a new log level', async () => {
    const target = await start();
    writeFileSync(join(dir, 'config.yaml'), config(fake.url, { level: 'warn' }));
    const outcome = await target.reloader.reload();
    expect(outcome.applied).toEqual(['logging.level']);
    expect(target.log.level).toBe('warn');
  });

  it('reloads on SIGHUP while listening, and stops listening for it on close', async () => {
    const target = await start();
    enableReloadTriggers(target, { watch: false });
    await target.listen({ host: '127.0.0.1', port: 0 });
    const before = process.listenerCount('SIGHUP');
    writeFileSync(join(dir, 'mapping.yaml'), MAPPING_V2);
    process.emit('SIGHUP', 'SIGHUP');
    await expect
      .poll(async () => (await getUser(target)).displayName, { timeout: 5_000 })
      .toBe('ALICE LIDDELL');
    await target.close();
    app = undefined;
    expect(process.listenerCount('SIGHUP')).toBe(before - 1);
  });

  it('with server.watch, reloads when a file changes', async () => {
    const target = await start();
    enableReloadTriggers(target, { watch: true });
    await target.listen({ host: '127.0.0.1', port: 0 });
    writeFileSync(join(dir, 'mapping.yaml'), MAPPING_V2);
    await expect
      .poll(async () => (await getUser(target)).displayName, { timeout: 10_000, interval: 200 })
      .toBe('ALICE LIDDELL');
  });
});
