/**
 * `scim-sidecar demo-app`: the bundled demo app alone, standing in for "your app" where
 * config.example.yaml expects one, with its API key printed.
 */

import { afterEach, describe, expect, it } from 'vitest';
import { freePort, listening, runCli, startCli, stopAll } from '../helpers/cli-process.js';

afterEach(stopAll);

async function demoApp(args: string[], env: NodeJS.ProcessEnv = {}) {
  const app = startCli(['demo-app', ...args], { env });
  const [, url] = await app.waitFor(/Acme Directory \(demo app\): (http:\/\/\S+)/);
  const [, key] = await app.waitFor(/export APP_API_KEY=(\S+)/);
  return { app, url: url as string, key: key as string };
}

describe('scim-sidecar demo-app', () => {
  it('listens on 127.0.0.1 at the port asked for and prints the API key to use', async () => {
    const port = await freePort();
    const { url, key } = await demoApp(['--port', String(port)]);
    expect(url).toBe(`http://127.0.0.1:${port}`);
    expect(key).toMatch(/^[\w-]{20,}$/);
    const withKey = await fetch(`${url}/api/accounts`, { headers: { 'X-Api-Key': key } });
    expect(withKey.status).toBe(200);
    const withoutKey = await fetch(`${url}/api/accounts`);
    expect(withoutKey.status).toBe(401);
  });

  it('uses APP_API_KEY when it is set, so the same shell can run serve', async () => {
    const { key } = await demoApp(['--port', '0'], { APP_API_KEY: 'chosen-key-123' });
    expect(key).toBe('chosen-key-123');
  });

  it('says in its usage that it listens on 127.0.0.1:3000 by default', async () => {
    const result = await runCli(['help']);
    expect(result.stdout).toMatch(/demo-app \[--port <n>\] \[--host <address>\]/);
    expect(result.stdout).toContain('default 127.0.0.1:3000');
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('stops on %s with exit code 0', async (signal) => {
    const { app, url } = await demoApp(['--port', '0']);
    const port = Number(new URL(url).port);
    process.kill(app.pid, signal);
    expect(await app.exited).toEqual({ code: 0, signal: null });
    expect(await listening(port)).toBe(false);
  });

  it('exits 1 with the reason for a bad port or a taken one', async () => {
    const bad = await runCli(['demo-app', '--port', 'eighty']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--port must be a port number');
    const { url } = await demoApp(['--port', '0']);
    const taken = await runCli(['demo-app', '--port', new URL(url).port]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain('EADDRINUSE');
  });
});
