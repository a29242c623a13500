/**
 * The README's "Using it with your app", step by step as a newcomer follows it: the commands
 * are read from README.md, checked against the list below, and run in that order in a copy of
 * the files a checkout has, with the lines the commands print pasted into the environment.
 * `npx scim-sidecar` is `node dist/cli/main.js` here (the test below checks that npx finds it);
 * ports are free ones instead of 3000 and 8080.
 */

import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config/deployment-config.js';
import {
  freePort,
  listening,
  ROOT,
  runCli,
  type Started,
  startCli,
  startNpm,
  stopAll,
} from '../helpers/cli-process.js';
import { CURL_CLIENTS, runShell, section, shellBlocks } from '../helpers/readme.js';

const STEPS = [
  'npm ci',
  'npx scim-sidecar demo-app --port 3000',
  'cp config.example.yaml config.yaml',
  'npx scim-sidecar token --name entra',
  'npx scim-sidecar dry-run --config config.yaml POST /Users --body @examples/user.json',
  'npx scim-sidecar validate --config config.yaml',
  'npx scim-sidecar serve --config config.yaml',
  `curl -s http://127.0.0.1:${DEFAULTS.port}/scim/v2/Users -H "Authorization: Bearer <token>"`,
];
const commands = shellBlocks(section('## Using it with your app')).flatMap((block) => block.split('\n'));

/** `npx scim-sidecar <args>` → its arguments. */
const cliArgs = (step: number) => (STEPS[step] as string).replace(/^npx scim-sidecar /, '').split(' ');
/** Lines the user pastes: `export NAME=value` printed by a command. */
const exports = (output: string) =>
  Object.fromEntries([...output.matchAll(/^ *export (\w+)=(\S+)$/gm)].map((m) => [m[1], m[2]]));

let dir: string;
const env: NodeJS.ProcessEnv = {};
let appPort: number;
let demoApp: Started;
let serve: Started;
let token: string;

beforeAll(async () => {
  // What a checkout has beside config.example.yaml that the steps use.
  dir = mkdtempSync(join(tmpdir(), 'scim-sidecar-readme-'));
  cpSync(join(ROOT, 'config.example.yaml'), join(dir, 'config.example.yaml'));
  cpSync(join(ROOT, 'mappings'), join(dir, 'mappings'), { recursive: true });
  mkdirSync(join(dir, 'examples'));
  cpSync(join(ROOT, 'examples/user.json'), join(dir, 'examples/user.json'));
  appPort = await freePort();
  env.APP_URL = `http://127.0.0.1:${appPort}`;
  env.PORT = String(await freePort());
});

afterAll(async () => {
  await stopAll();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('README: Using it with your app', () => {
  it('has these steps, in this order', () => {
    expect(commands).toEqual(STEPS);
  });

  it('finds the scim-sidecar command with npx once installed', async () => {
    const npx = startNpm(['exec', '--', 'scim-sidecar', 'help']);
    expect((await npx.exited).code, npx.stderr()).toBe(0);
    expect(npx.stdout()).toContain('Usage: scim-sidecar <command>');
  });

  it('2. demo-app: the app, with the key to paste', async () => {
    demoApp = startCli([...cliArgs(1).slice(0, -1), String(appPort)], { cwd: dir });
    await demoApp.waitFor(/export APP_API_KEY=\S+/);
    Object.assign(env, exports(demoApp.stdout()));
    expect(env.APP_API_KEY).toBeDefined();
  });

  it('3. cp config.example.yaml config.yaml', () => {
    execFileSync('sh', ['-c', STEPS[2] as string], { cwd: dir });
    expect(existsSync(join(dir, 'config.yaml'))).toBe(true);
  });

  it('4. token: a token, and the hash line to paste', async () => {
    const result = await runCli(cliArgs(3), { cwd: dir });
    expect(result.code).toBe(0);
    token = /^ {2}([\w-]{43})$/m.exec(result.stdout)?.[1] as string;
    Object.assign(env, exports(result.stdout));
    expect(env.SCIM_TOKEN_HASH).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(token).toBeDefined();
  });

  it('5. dry-run: the request the app would receive, credentials redacted', async () => {
    const result = await runCli(cliArgs(4), { cwd: dir, env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`POST http://127.0.0.1:${appPort}/api/accounts`);
    expect(result.stdout).toContain('x-api-key: [redacted]');
    expect(result.stdout).toContain('"login": "jdoe@contoso.com"');
  });

  it('6. validate: OK', async () => {
    const result = await runCli(cliArgs(5), { cwd: dir, env });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^OK: /);
  });

  it('7. serve, then a SCIM call with the token answers from the app', async () => {
    serve = startCli(cliArgs(6), { cwd: dir, env });
    await serve.waitFor(/scim-sidecar is serving/);
    for (const [client, shim] of CURL_CLIENTS) {
      const curl = (STEPS[7] as string)
        .replace(`:${DEFAULTS.port}/`, `:${env.PORT}/`)
        .replace('<token>', token);
      const run = runShell(curl, shim);
      expect(run.status, `${client}: ${run.stderr}`).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({
        schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
        totalResults: 0,
      });
    }
  });

  it('both stop on SIGTERM with exit code 0', async () => {
    process.kill(serve.pid, 'SIGTERM');
    process.kill(demoApp.pid, 'SIGTERM');
    expect((await serve.exited).code).toBe(0);
    expect((await demoApp.exited).code).toBe(0);
    expect(await listening(appPort)).toBe(false);
    expect(await listening(Number(env.PORT))).toBe(false);
  });
});
