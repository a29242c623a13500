/**
 * `scim-sidecar serve` as a process: start-up with config.example.yaml, the address it listens
 * on, SIGTERM and SIGINT, and the exit codes of the commands.
 */

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type DemoApp, startDemoApp } from '../../src/demo/demo-app.js';
import { hashToken } from '../../src/security/credentials.js';
import { freePort, listening, ROOT, runCli, startCli, stopAll } from '../helpers/cli-process.js';

const OTHER_ADDRESS = Object.values(networkInterfaces())
  .flat()
  .find((address) => address?.family === 'IPv4' && !address.internal)?.address;

const APP_KEY = 'serve-test-app-key-41c2';
const TOKEN = 'serve-test-scim-token-7e19';

let app: DemoApp;
/** A directory of its own for each server: the embedded id map is locked by one process. */
const dirs: string[] = [];

/** config.example.yaml copied to config.yaml, with the mappings beside it, as in a checkout. */
function checkout(): string {
  const dir = mkdtempSync(join(tmpdir(), 'scim-sidecar-serve-'));
  dirs.push(dir);
  cpSync(join(ROOT, 'config.example.yaml'), join(dir, 'config.yaml'));
  cpSync(join(ROOT, 'mappings'), join(dir, 'mappings'), { recursive: true });
  return dir;
}

/** The environment config.example.yaml reads, pointing at the demo app. */
function exampleEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { APP_URL: app.url, APP_API_KEY: APP_KEY, SCIM_TOKEN_HASH: hashToken(TOKEN), ...extra };
}

beforeAll(async () => {
  app = await startDemoApp({ apiKey: APP_KEY });
});

afterEach(stopAll);

afterAll(async () => {
  await app?.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Starts serve on port 0 and resolves with the process and the SCIM base URL it logged. */
async function serve(env: NodeJS.ProcessEnv = {}) {
  const server = startCli(['serve', '--config', 'config.yaml'], {
    cwd: checkout(),
    env: exampleEnv({ PORT: '0', ...env }),
  });
  const [, scim] = await server.waitFor(/"scim":"(http:\/\/[^"]+)"[^\n]*scim-sidecar is serving/);
  const url = new URL(scim as string);
  return { server, scim: scim as string, port: Number(url.port), host: url.hostname };
}

describe('scim-sidecar serve --config config.yaml (from config.example.yaml)', () => {
  it('serves SCIM in front of the app', async () => {
    const { scim } = await serve();
    const res = await fetch(`${scim}/Users?count=1`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({ totalResults: expect.any(Number) });
  });

  // Reachable from other hosts only when HOST says so (checked where this machine has an address
  // other than loopback).
  it.skipIf(OTHER_ADDRESS === undefined)('listens on 127.0.0.1 unless HOST says otherwise', async () => {
    const local = await serve();
    expect(await listening(local.port, OTHER_ADDRESS)).toBe(false);
    expect(await listening(local.port)).toBe(true);
    const everywhere = await serve({ HOST: '0.0.0.0' });
    expect(await listening(everywhere.port, OTHER_ADDRESS)).toBe(true);
  });

  it('answers 503 with Retry-After while the app is down, as the README troubleshooting says', async () => {
    const { scim } = await serve({ APP_URL: `http://127.0.0.1:${await freePort()}` });
    const res = await fetch(`${scim}/Users?count=1`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await res.json()) as { detail: string }).detail).toContain(
      'The app is not reachable (ECONNREFUSED)',
    );
    expect((await fetch(scim.replace(/\/scim\/v2$/, '/readyz'))).status).toBe(503);
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('stops on %s: port released, exit code 0', async (signal) => {
    const { server, port } = await serve();
    expect(await listening(port)).toBe(true);
    process.kill(server.pid, signal);
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(await listening(port)).toBe(false);
    expect(server.stdout()).toContain(`"signal":"${signal}"`);
  });

  it('exits 1 naming the variable when the environment lacks one the file needs', async () => {
    const result = await runCli(['serve', '--config', 'config.yaml'], {
      cwd: checkout(),
      env: { APP_URL: app.url, APP_API_KEY: APP_KEY, PORT: '0' },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('SCIM_TOKEN_HASH');
  });

  it('exits 1 with the reason when the port is taken', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const result = await runCli(['serve', '--config', 'config.yaml'], {
        cwd: checkout(),
        env: exampleEnv({ PORT: String(port) }),
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('EADDRINUSE');
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  });

  it('exits 1 with one line naming the reason when the audit file cannot be created', async () => {
    const dir = checkout();
    // A directory under a regular file: mkdir fails with ENOTDIR whoever runs the test.
    const audit = join(dir, 'config.yaml', 'audit', 'audit.jsonl');
    const config = readFileSync(join(dir, 'config.yaml'), 'utf8');
    writeFileSync(
      join(dir, 'config.yaml'),
      config.replace('# audit: /var/log/scim-sidecar/audit.jsonl', `audit: ${JSON.stringify(audit)}`),
    );
    const result = await runCli(['serve', '--config', 'config.yaml'], {
      cwd: dir,
      env: exampleEnv({ PORT: '0' }),
    });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^scim-sidecar: ENOTDIR.*config\.yaml/),
    ]);
  });
});

describe('exit codes of the commands', () => {
  it('help: usage on stdout, 0; no command: usage, 1; an unknown one: 1', async () => {
    const help = await runCli(['help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: scim-sidecar <command>');
    expect((await runCli([])).code).toBe(1);
    const unknown = await runCli(['serv']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('Unknown command "serv"');
  });

  it('serve without --config: 1, naming the option', async () => {
    const result = await runCli(['serve']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--config <file> is required');
  });

  it('validate: 0 for a good file, 1 with the problem for a bad one', async () => {
    const good = await runCli(['validate', '--config', 'config.yaml'], {
      cwd: checkout(),
      env: exampleEnv(),
    });
    expect(good.code, good.stderr).toBe(0);
    const bad = await runCli(['validate', '--config', 'config.yaml'], {
      cwd: checkout(),
      env: exampleEnv({ PORT: 'eighty' }),
    });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('config.yaml:');
  });
});
