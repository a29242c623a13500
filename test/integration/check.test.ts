/**
 * `scim-sidecar check`: the scripted cycle through the real adapter, live against the bundled
 * demo app, and replayed from recordings with no app at all: the demo app's, and one made
 * against a real WordPress 6.1 (mappings/wordpress.yaml), so both mappings keep a regression
 * test without their apps.
 *
 * The recordings are remade with the command itself, against the app:
 *   scim-sidecar demo-app --port 3000 &   # with APP_API_KEY set for both commands
 *   scim-sidecar check --config config.example.yaml --record test/fixtures/check/demo.json
 *   scim-sidecar check --config examples/wordpress/config.yaml --record test/fixtures/check/wordpress.json
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CheckResult, runCheck } from '../../src/cli/check.js';
import { loadConfig } from '../../src/config/load-config.js';
import { type DemoApp, startDemoApp } from '../../src/demo/demo-app.js';
import { loadMapping } from '../../src/mapping/load-mapping.js';

const file = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const DEMO_CONFIG = file('config.example.yaml');
const WORDPRESS_CONFIG = file('examples/wordpress/config.yaml');
const DEMO_RECORDING = file('test/fixtures/check/demo.json');
const WORDPRESS_RECORDING = file('test/fixtures/check/wordpress.json');
const TOKEN_HASH = `sha256:${'0'.repeat(64)}`;
const API_KEY = 'check-test-api-key-4c1d';

/** Every step of a cycle on a mapping with groups, as written. */
const ALL_AS_WRITTEN = Array(7).fill('as written');

async function check(
  configFile: string,
  env: NodeJS.ProcessEnv,
  options: { replay?: string; record?: string; mappingText?: string } = {},
): Promise<CheckResult & { output: string }> {
  const config = loadConfig(configFile, { SCIM_TOKEN_HASH: TOKEN_HASH, ...env });
  const mapping = loadMapping(config.mapping, options.mappingText);
  let output = '';
  const result = await runCheck(config, mapping, {
    ...(options.replay ? { replay: options.replay } : {}),
    ...(options.record ? { record: options.record } : {}),
    write: (text) => {
      output += text;
    },
  });
  return { ...result, output };
}

const DEMO_MAPPING_TEXT = readFileSync(file('mappings/demo.yaml'), 'utf8');

/** mappings/demo.yaml with one edit (which must change something). */
function demoMapping(edit: (text: string) => string): string {
  const text = edit(DEMO_MAPPING_TEXT);
  if (text === DEMO_MAPPING_TEXT) throw new Error('the edit changed nothing in mappings/demo.yaml');
  return text;
}

describe('replaying a recorded cycle (no app)', () => {
  it("replays the demo app's cycle: every step as written, every call answered from the recording", async () => {
    const result = await check(DEMO_CONFIG, { APP_API_KEY: API_KEY }, { replay: DEMO_RECORDING });
    expect(result.ok, result.output).toBe(true);
    expect(result.steps.map((s) => s.outcome)).toEqual(ALL_AS_WRITTEN);
    expect(result.output).toContain('no call reaches the app');
    expect(result.output).toContain('OK: 7 steps run, every write read back as written');
  });

  it('replays the cycle recorded against WordPress 6.1 through mappings/wordpress.yaml', async () => {
    const result = await check(
      WORDPRESS_CONFIG,
      {
        WORDPRESS_URL: 'http://wordpress.invalid',
        WORDPRESS_USER: 'admin',
        WORDPRESS_APP_PASSWORD: 'replay',
      },
      { replay: WORDPRESS_RECORDING },
    );
    expect(result.ok, result.output).toBe(true);
    expect(result.steps.map((s) => s.outcome)).toEqual([
      'as written',
      'as written',
      'as written',
      'skipped',
      'skipped',
      'skipped',
      'as written',
    ]);
    expect(result.output).toContain('the mapping has no Group');
  });

  it('fails when the mapping sends the app something else than was recorded, naming the call', async () => {
    const mappingText = demoMapping((t) =>
      // fromScim's title (toScim's comes first in the file)
      t.replace(/"title": title,(\s+"department")/, '"title": $$uppercase(title),$1'),
    );
    const result = await check(
      DEMO_CONFIG,
      { APP_API_KEY: API_KEY },
      { replay: DEMO_RECORDING, mappingText },
    );
    expect(result.ok).toBe(false);
    expect(result.output).toContain('The replay does not match the recording:');
    expect(result.output).toContain(
      'step 1: POST /api/accounts was sent with another body than recorded: account.title is "TESTER", the recording has "Tester"',
    );
    expect(result.steps[0]?.outcome).toBe('failed');
  });
});

describe('live against the demo app', () => {
  let demo: DemoApp;
  let dir: string;
  const env = () => ({ APP_URL: demo.url, APP_API_KEY: API_KEY });

  beforeAll(async () => {
    demo = await startDemoApp({ apiKey: API_KEY });
    dir = await mkdtemp(join(tmpdir(), 'scim-sidecar-check-'));
  });

  afterAll(async () => {
    await demo.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('records the app calls and answers without credentials, and the recording replays', async () => {
    const recording = join(dir, 'cycle.json');
    const live = await check(DEMO_CONFIG, env(), { record: recording });
    expect(live.ok, live.output).toBe(true);
    expect(live.output).toContain('live: these calls reach the app');
    // Each SCIM request is printed with the app calls it made and the app's answers.
    expect(live.output).toMatch(/SCIM POST \/scim\/v2\/Users\n/);
    expect(live.output).toMatch(/app {2}POST http:\/\/127\.0\.0\.1:\d+\/api\/accounts/);
    expect(live.output).toMatch(/→ 201 {2}location: \/api\/accounts\/\d+/);
    expect(live.output).toContain('app  POST');
    expect(await readFile(recording, 'utf8')).not.toContain(API_KEY);
    // It cleaned up: the demo app holds nothing.
    expect(
      (await fetch(`${demo.url}/api/accounts`, { headers: { 'x-api-key': API_KEY } }).then((r) =>
        r.json(),
      )) as unknown,
    ).toMatchObject({ total: 0 });

    const replayed = await check(DEMO_CONFIG, { APP_API_KEY: 'not-needed' }, { replay: recording });
    expect(replayed.ok, replayed.output).toBe(true);
  });

  it('flags a step whose read back differs from what was written, with the attribute', async () => {
    const mappingText = demoMapping((t) => t.replace('"title": title,', '"title": department,'));
    const result = await check(DEMO_CONFIG, env(), { mappingText });
    expect(result.ok).toBe(false);
    expect(result.steps[0]).toMatchObject({ outcome: 'differs' });
    expect(result.steps[0]?.findings).toContain('read back: title: wrote "Tester", read "Quality"');
    expect(result.output).toContain('DIFFERS: 1. Create a user (POST /Users)');
  });

  it('says what it could not delete when the mapping cannot delete users', async () => {
    const mappingText = demoMapping((t) =>
      t.replace('      delete:\n        method: DELETE\n        path: /api/accounts/{appId}\n', ''),
    );
    const result = await check(DEMO_CONFIG, env(), { mappingText });
    expect(result.ok).toBe(false);
    expect(result.steps.find((s) => s.number === 7)?.findings[0]).toContain('answered 501');
    const cleanup = result.steps.at(-1);
    expect(cleanup?.title).toContain('Cleanup');
    expect(cleanup?.findings[0]).toMatch(
      /could not delete \/Users\/[0-9a-f-]+ \(HTTP 501\): delete it in the app by hand/,
    );
  });
});
