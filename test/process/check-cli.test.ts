/**
 * `scim-sidecar check` as a user runs it: live against `scim-sidecar demo-app` with
 * config.example.yaml, and replayed from the recorded demo cycle; the exit status says whether
 * every write read back as written.
 */

import { afterEach, describe, expect, it } from 'vitest';
import { runCli, startCli, stopAll } from '../helpers/cli-process.js';

afterEach(stopAll);

const TOKEN_HASH = `sha256:${'0'.repeat(64)}`;

describe('scim-sidecar check', () => {
  it('runs its cycle against the demo app, cleans up, and exits 0', async () => {
    const app = startCli(['demo-app', '--port', '0'], { env: { APP_API_KEY: 'check-cli-key' } });
    const [, url] = await app.waitFor(/Acme Directory \(demo app\): (http:\/\/\S+)/);
    const env = { APP_URL: url as string, APP_API_KEY: 'check-cli-key', SCIM_TOKEN_HASH: TOKEN_HASH };
    const result = await runCli(['check', '--config', 'config.example.yaml'], { env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('live: these calls reach the app');
    expect(result.stdout).toContain('OK: 7 steps run, every write read back as written');
    const left = await fetch(`${url}/api/accounts`, { headers: { 'X-Api-Key': 'check-cli-key' } });
    expect(await left.json()).toMatchObject({ total: 0 });
  });

  it('replays the recorded demo cycle with no app running', async () => {
    const result = await runCli(
      ['check', '--config', 'config.example.yaml', '--replay', 'test/fixtures/check/demo.json'],
      { env: { APP_API_KEY: 'unused', SCIM_TOKEN_HASH: TOKEN_HASH } },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('no call reaches the app');
  });

  it('takes --record or --replay, not both; says so in its usage', async () => {
    const both = await runCli(['check', '--config', 'c.yaml', '--record', 'a.json', '--replay', 'b.json']);
    expect(both.code).toBe(1);
    expect(both.stderr).toContain('check takes --record or --replay, not both');
    const help = await runCli(['help']);
    expect(help.stdout).toContain('check --config <file> [--record <file> | --replay <file>]');
  });
});
