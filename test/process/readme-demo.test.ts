/**
 * The README's quick start, as a newcomer runs it: `SCIM_TOKEN=demo-secret npm start`, then the
 * curl session of "A SCIM session against the demo" exactly as written (read from README.md),
 * then SIGTERM to npm, which must stop the server.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config/deployment-config.js';
import { freePort, listening, type Started, startNpm, stopAll } from '../helpers/cli-process.js';
import { CURL_CLIENTS, runShell, section, shellBlocks } from '../helpers/readme.js';

const [startBlock = '', sessionBlock = ''] = shellBlocks(section('### A SCIM session against the demo'));

let npm: Started;
let port: number;
let demoAppPort: number;

/** What `npm start`'s command line sets: `SCIM_TOKEN=demo-secret npm start`. */
function startCommand(): { env: Record<string, string>; args: string[] } {
  const match = /^((?:\w+=\S+ )*)npm (start)$/.exec(startBlock.trim());
  if (!match) throw new Error(`the README's first block is not "VAR=value npm start": ${startBlock}`);
  const env = Object.fromEntries(
    (match[1] as string)
      .trim()
      .split(' ')
      .filter(Boolean)
      .map((pair) => pair.split('=') as [string, string]),
  );
  return { env, args: [match[2] as string] };
}

/** Splits what the session printed into its JSON bodies and its other lines. */
function printed(text: string): unknown[] {
  const items: unknown[] = [];
  let i = 0;
  while (i < text.length) {
    if (/\s/.test(text[i] as string)) {
      i++;
    } else if (text[i] === '{') {
      let depth = 0;
      let inString = false;
      let j = i;
      for (; j < text.length; j++) {
        const c = text[j];
        if (inString) {
          if (c === '\\') j++;
          else if (c === '"') inString = false;
        } else if (c === '"') inString = true;
        else if (c === '{') depth++;
        else if (c === '}' && --depth === 0) break;
      }
      items.push(JSON.parse(text.slice(i, j + 1)));
      i = j + 1;
    } else {
      const end = text.indexOf('\n', i);
      items.push(text.slice(i, end === -1 ? undefined : end));
      i = end === -1 ? text.length : end + 1;
    }
  }
  return items;
}

beforeAll(async () => {
  port = await freePort();
  const { env, args } = startCommand();
  npm = startNpm(args, { env: { ...env, PORT: String(port) } });
  // prestart builds dist/ when src/ changed: allow for a build.
  const [, appPort] = await npm.waitFor(
    /Demo app behind it \(Acme Directory\): http:\/\/127\.0\.0\.1:(\d+)/,
    90_000,
  );
  demoAppPort = Number(appPort);
}, 120_000);

afterAll(stopAll);

describe('README quick start: npm start and the curl session', () => {
  it('says what it does while it builds', () => {
    expect(npm.stderr()).toMatch(/scim-sidecar: (dist\/ is up to date|built dist\/ in [\d.]+ s)/);
  });

  it('starts with the documented command and the default port the session uses', () => {
    expect(startBlock).toBe('SCIM_TOKEN=demo-secret npm start');
    expect(sessionBlock).toContain(`http://127.0.0.1:${DEFAULTS.port}/`);
    expect(npm.stdout()).toContain(`SCIM endpoint (Tenant URL): http://127.0.0.1:${port}/scim/v2`);
  });

  it.each(CURL_CLIENTS)('runs as written with %s', (_client, shim) => {
    const run = runShell(sessionBlock.replaceAll(`127.0.0.1:${DEFAULTS.port}`, `127.0.0.1:${port}`), shim);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const [user, userPatch, groupPatch, group, groupDelete, userDelete, hello, ...rest] = printed(run.stdout);
    expect(user).toMatchObject({ userName: 'jdoe@contoso.com', externalId: '7b2a', active: true });
    expect([userPatch, groupPatch, groupDelete, userDelete]).toEqual(['204', '204', '204', '204']);
    expect(group).toMatchObject({ displayName: 'Sales' });
    expect((group as { members?: unknown[] }).members ?? []).toEqual([]);
    expect(hello).toBe('hello from Acme Directory');
    expect(rest).toEqual([]);
  });

  it('stops on SIGTERM to npm: both servers closed, exit code 0', async () => {
    process.kill(npm.pid, 'SIGTERM');
    expect(await npm.exited).toEqual({ code: 0, signal: null });
    expect(await listening(port)).toBe(false);
    expect(await listening(demoAppPort)).toBe(false);
  });
});
