// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} is the config syntax under test
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, type ConfigIssue, formatIssue } from '../../../src/config/config-error.js';
import { DEFAULTS } from '../../../src/config/deployment-config.js';
import { loadConfig } from '../../../src/config/load-config.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const fixture = (name: string): string => join(FIXTURES, name);

const HASH_ONE = 'sha256:75c5c10f256c75b650c6ffc2e83c6588af02766efd2de28f4de34547006e8d1a';
const HASH_TWO = 'sha256:adb97ffd599d30b788077856502e55d9ef5543386cd60a5106e034ebbc3acb0c';

/** A config file that does not exist on disk: its text is passed in. */
const VIRTUAL = resolve('/virtual/deploy/config.yaml');

/** Loads and returns the ConfigError, failing the test when the load succeeds or throws something else. */
function configError(file: string, env: NodeJS.ProcessEnv = {}, text?: string): ConfigError {
  try {
    loadConfig(file, env, text);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected ${file} to be rejected`);
}

/** Minimal valid config text with `extra` appended (top-level keys). */
function minimalWith(extra: string): string {
  return [
    'auth:',
    '  bearer:',
    '    tokens:',
    `      - hash: "${HASH_ONE}"`,
    'upstream:',
    '  baseUrl: http://127.0.0.1:3000',
    'mapping: ./app.yaml',
    extra,
  ].join('\n');
}

const SYNTAX_ERROR = [
  'server:',
  '  host: 127.0.0.1',
  '  port: 8080',
  'upstream:',
  '  baseUrl: http://127.0.0.1:3000',
  ' timeoutMs: 5000',
  'mapping: ./mappings/app.yaml',
].join('\n');

const DUPLICATE_TOKENS = [
  'auth:',
  '  bearer:',
  '    tokens:',
  '      - name: entra',
  `        hash: "${HASH_ONE}"`,
  '      - name: entra',
  `        hash: "${HASH_TWO}"`,
  'upstream:',
  '  baseUrl: http://127.0.0.1:3000',
  'mapping: ./app.yaml',
].join('\n');

describe('loadConfig: a valid file', () => {
  it('applies every default to a minimal config', () => {
    const file = fixture('minimal.yaml');
    const config = loadConfig(file, {});
    // toMatchObject: settings added later bring their own defaults and their own tests.
    expect(config).toMatchObject({
      file,
      server: {
        host: DEFAULTS.host,
        port: DEFAULTS.port,
        basePath: DEFAULTS.basePath,
        bodyLimit: DEFAULTS.bodyLimit,
        trustProxy: false,
      },
      auth: { bearer: { tokens: [{ name: 'token-1', hash: HASH_ONE }] } },
      upstream: {
        baseUrl: 'http://127.0.0.1:3000',
        auth: {},
        timeoutMs: DEFAULTS.upstreamTimeoutMs,
        concurrency: DEFAULTS.upstreamConcurrency,
      },
      mapping: join(FIXTURES, 'mappings', 'app.yaml'),
      idMap: {
        store: 'file',
        path: join(FIXTURES, 'data', 'idmap.jsonl'),
        cacheSize: DEFAULTS.idMapCacheSize,
      },
      logging: { level: 'info' },
    });
    expect(config.server).not.toHaveProperty('publicUrl');
    expect(config.upstream.auth).toEqual({});
    expect(config.auth).toEqual({ bearer: { tokens: [{ name: 'token-1', hash: HASH_ONE }] } });
  });

  it('keeps explicit values, resolves paths relative to the file and expands the environment', () => {
    const file = fixture('full.yaml');
    const config = loadConfig(file, { APP_API_KEY: 'k-123' });
    expect(config.server).toMatchObject({
      host: '0.0.0.0',
      port: 9443,
      basePath: '/webapi/scim/v2',
      publicUrl: 'https://scim.example.com',
      bodyLimit: 2048,
      trustProxy: true,
    });
    expect(config.auth.bearer?.tokens).toEqual([
      { name: 'entra-2026', hash: HASH_ONE, expiresAt: new Date('2026-12-31T00:00:00Z') },
      { name: 'token-2', hash: HASH_TWO },
    ]);
    expect(config.auth.bearer?.tokens[0]?.expiresAt).toBeInstanceOf(Date);
    expect(config.auth.basic?.username).toBe('okta');
    expect(config.upstream).toMatchObject({
      baseUrl: 'http://legacy.internal:8080',
      auth: { header: { name: 'X-Api-Key', value: 'k-123' } },
      timeoutMs: 5000,
      concurrency: 4,
    });
    expect(config.mapping).toBe(resolve(FIXTURES, '..', 'mappings', 'app.yaml'));
    expect(config.idMap).toEqual({
      store: 'memory',
      path: join(FIXTURES, 'state', 'ids.jsonl'),
      cacheSize: 50,
    });
    expect(config.logging.level).toBe('debug');
  });

  it('resolves a relative config path against the working directory, and the mapping against the file', () => {
    const config = loadConfig('some/dir/config.yaml', {}, minimalWith(''));
    expect(config.file).toBe(resolve('some/dir/config.yaml'));
    expect(config.mapping).toBe(resolve('some/dir/app.yaml'));
    expect(config.idMap.path).toBe(resolve('some/dir/data/idmap.jsonl'));
  });

  it('server.strictAttributes: false unless set, so writes of unstorable attributes are reported, not refused', () => {
    expect(loadConfig(VIRTUAL, {}, minimalWith('')).server.strictAttributes).toBe(false);
    const strict = minimalWith('server:\n  strictAttributes: true');
    expect(loadConfig(VIRTUAL, {}, strict).server.strictAttributes).toBe(true);
  });

  it('keeps an absolute mapping path as it is', () => {
    const absolute = resolve('/etc/scim/app.yaml');
    const text = minimalWith('').replace('mapping: ./app.yaml', `mapping: ${absolute}`);
    expect(loadConfig(VIRTUAL, {}, text).mapping).toBe(absolute);
  });
});

describe('loadConfig: ${ENV} expansion', () => {
  const withLevel = (value: string) => minimalWith(`logging:\n  level: "${value}"`);

  it.each<[string, string, NodeJS.ProcessEnv, string]>([
    ['a set variable', '${LEVEL}', { LEVEL: 'warn' }, 'warn'],
    ['the default when unset', '${LEVEL:-error}', {}, 'error'],
    ['the environment over the default', '${LEVEL:-error}', { LEVEL: 'trace' }, 'trace'],
    ['the default when set to the empty string', '${LEVEL:-silent}', { LEVEL: '' }, 'silent'],
    ['several references in one value', '${A}${B}', { A: 'de', B: 'bug' }, 'debug'],
  ])('uses %s', (_, reference, env, expected) => {
    expect(loadConfig(VIRTUAL, env, withLevel(reference)).logging.level).toBe(expected);
  });

  it('expands inside longer strings and leaves $${ as a literal ${', () => {
    const text = minimalWith(
      ['idMap:', '  path: "${STATE_DIR:-/var/lib/scim}/ids-$${NOT_EXPANDED}.jsonl"'].join('\n'),
    ).replace('baseUrl: http://127.0.0.1:3000', 'baseUrl: "http://${APP_HOST}:${APP_PORT:-3000}/api"');
    const config = loadConfig(VIRTUAL, { APP_HOST: 'legacy.local' }, text);
    expect(config.upstream.baseUrl).toBe('http://legacy.local:3000/api');
    expect(config.idMap.path).toBe(resolve('/var/lib/scim/ids-${NOT_EXPANDED}.jsonl'));
  });

  it('never reads variables that are not referenced', () => {
    const config = loadConfig(VIRTUAL, { SECRET: 'must-not-appear' }, minimalWith(''));
    expect(JSON.stringify(config)).not.toContain('must-not-appear');
  });

  it('reports every unset variable, each at its own line', () => {
    const text = [
      'auth:',
      '  bearer:',
      '    tokens:',
      `      - hash: "${HASH_ONE}"`,
      'upstream:',
      '  baseUrl: http://127.0.0.1:3000',
      '  auth:',
      '    bearer: ${APP_TOKEN}',
      '# a comment line',
      'mapping: ${MAPPING_FILE}',
    ].join('\n');
    const error = configError(VIRTUAL, {}, text);
    // Only the expansion problems: what the empty strings then break is a separate concern (below).
    const unset = error.issues.filter((i) => i.message.startsWith('environment variable '));
    expect(unset).toEqual([
      {
        file: VIRTUAL,
        line: 8,
        column: 13,
        path: 'upstream.auth.bearer',
        message: 'environment variable APP_TOKEN is not set',
        fix: 'export APP_TOKEN=... before starting',
      },
      {
        file: VIRTUAL,
        line: 10,
        column: 10,
        path: 'mapping',
        message: 'environment variable MAPPING_FILE is not set',
        fix: 'export MAPPING_FILE=... before starting',
      },
    ]);
  });

  // A number setting taken from the environment is the usual way to pick a port in containers.
  it('accepts a number from the environment for a numeric setting', () => {
    const text = minimalWith('server:\n  port: ${PORT:-9090}\n  bodyLimit: ${BODY_LIMIT}');
    const config = loadConfig(VIRTUAL, { BODY_LIMIT: '4096' }, text);
    expect(config.server.port).toBe(9090);
    expect(config.server.bodyLimit).toBe(4096);
  });

  // Numbers from the environment arrive as strings; that must not turn a value left blank in the
  // file (YAML null) into port 0 (a random port) or host '' (every interface).
  it('still refuses settings left blank instead of reading them as 0, "" or false', () => {
    const error = configError(VIRTUAL, {}, minimalWith('server:\n  host:\n  port:\n  trustProxy:'));
    expect(error.issues.map((i) => `${i.line} ${i.path}`)).toEqual([
      '9 server.host',
      '10 server.port',
      '11 server.trustProxy',
    ]);
  });

  it('reports an unset variable once, not again as a bad value of the empty string', () => {
    const error = configError(VIRTUAL, {}, withLevel('${LOG_LEVEL}'));
    expect(error.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      'logging.level: environment variable LOG_LEVEL is not set',
    ]);
  });
});

describe('loadConfig: many problems in one file', () => {
  const file = fixture('many-problems.yaml');
  const error = configError(file);

  const expected: Array<
    Omit<ConfigIssue, 'file' | 'fix' | 'message'> & { message: string | RegExp; fix?: string }
  > = [
    {
      line: 15,
      column: 9,
      path: 'idMap.path',
      message: 'environment variable IDMAP_DIR is not set',
      fix: 'export IDMAP_DIR=... before starting',
    },
    {
      line: 1,
      column: 1,
      path: 'upstrem',
      message: "unknown setting 'upstrem'",
      fix: "did you mean 'upstream'?",
    },
    {
      line: 4,
      column: 3,
      path: 'server.basePth',
      message: "unknown setting 'basePth'",
      fix: "did you mean 'basePath'?",
    },
    {
      line: 9,
      column: 15,
      path: 'auth.bearer.tokens[0].hash',
      message: 'must match pattern "^sha256:[0-9a-f]{64}$"',
      fix: 'run `scim-sidecar token` and paste the printed hash (sha256:<64 hex digits>)',
    },
    { line: 11, column: 3, path: 'upstream', message: "'baseUrl' is required here", fix: "add 'baseUrl:'" },
    { line: 14, column: 10, path: 'idMap.store', message: /^must be one of "file", "memory"/ },
  ];

  it('reports all of them at once, in one ConfigError', () => {
    expect(error.name).toBe('ConfigError');
    expect(error.issues).toHaveLength(expected.length);
    expect(error.message.split('\n')[0]).toBe(`${expected.length} problems found:`);
  });

  it.each(expected)('locates $path at line $line, column $column', (want) => {
    const issue = error.issues.find(
      (i) =>
        i.path === want.path &&
        (typeof want.message === 'string' ? i.message === want.message : want.message.test(i.message)),
    );
    expect(issue).toBeDefined();
    expect(issue?.file).toBe(file);
    expect({ line: issue?.line, column: issue?.column }).toEqual({ line: want.line, column: want.column });
    if (want.fix) expect(issue?.fix).toBe(want.fix);
  });

  it('formats each problem as file:line:col path: message (fix: ...)', () => {
    const lines = error.message.split('\n').slice(1);
    expect(lines).toContain(
      `  ${file}:1:1 upstrem: unknown setting 'upstrem' (fix: did you mean 'upstream'?)`,
    );
    expect(lines).toContain(
      `  ${file}:4:3 server.basePth: unknown setting 'basePth' (fix: did you mean 'basePath'?)`,
    );
    expect(lines).toContain(`  ${file}:11:3 upstream: 'baseUrl' is required here (fix: add 'baseUrl:')`);
    expect(lines).toContain(
      `  ${file}:9:15 auth.bearer.tokens[0].hash: must match pattern "^sha256:[0-9a-f]{64}$" ` +
        '(fix: run `scim-sidecar token` and paste the printed hash (sha256:<64 hex digits>))',
    );
    expect(lines).toContain(
      `  ${file}:15:9 idMap.path: environment variable IDMAP_DIR is not set (fix: export IDMAP_DIR=... before starting)`,
    );
    expect(lines.every((l) => l.startsWith(`  ${file}:`))).toBe(true);
  });
});

describe('loadConfig: single problems', () => {
  it.each<[string, string, Partial<ConfigIssue>]>([
    [
      'an unknown top-level key far from every known one',
      minimalWith('colour: blue'),
      {
        line: 8,
        column: 1,
        path: 'colour',
        message: "unknown setting 'colour'",
        fix: 'allowed here: server, auth, upstream, mapping, idMap, logging, metrics, passthrough, admin',
      },
    ],
    [
      'a missing top-level section',
      minimalWith('').replace('upstream:\n  baseUrl: http://127.0.0.1:3000\n', ''),
      { line: 1, column: 1, path: '', message: "'upstream' is required here", fix: "add 'upstream:'" },
    ],
    [
      'an empty auth section',
      minimalWith('').replace(/auth:\n {2}bearer:\n {4}tokens:\n {6}- hash: "[^"]+"/, 'auth: {}'),
      {
        line: 1,
        column: 7,
        path: 'auth',
        message: 'must NOT have fewer than 1 properties',
        fix: 'add a bearer token hash (run `scim-sidecar token`) under auth.bearer.tokens, or configure auth.basic or auth.jwt',
      },
    ],
    [
      'a non-http upstream URL',
      minimalWith('').replace('http://127.0.0.1:3000', 'ftp://legacy'),
      {
        line: 6,
        column: 12,
        path: 'upstream.baseUrl',
        message: 'must match pattern "^https?://"',
        fix: 'use an absolute http:// or https:// URL',
      },
    ],
    [
      'a base path ending in a slash',
      minimalWith('server:\n  basePath: /scim/v2/'),
      {
        line: 9,
        column: 13,
        path: 'server.basePath',
        message: 'must match pattern "^/[A-Za-z0-9._~/-]*[A-Za-z0-9._~-]$"',
        fix: "start with '/' and do not end with '/', e.g. /scim/v2",
      },
    ],
    [
      'a misspelt key inside a token entry',
      minimalWith('').replace(
        `- hash: "${HASH_ONE}"`,
        `- hash: "${HASH_ONE}"\n        expires: "2030-01-01T00:00:00Z"`,
      ),
      {
        line: 5,
        column: 9,
        path: 'auth.bearer.tokens[0].expires',
        message: "unknown setting 'expires'",
        fix: "did you mean 'expiresAt'?",
      },
    ],
  ])('reports %s', (_, text, want) => {
    const error = configError(VIRTUAL, {}, text);
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]).toEqual({ file: VIRTUAL, ...want });
  });

  it('reports a YAML syntax error with its line, and nothing else', () => {
    // Inline rather than a fixture file: the linter parses YAML files and would refuse it.
    const file = VIRTUAL;
    const error = configError(file, {}, SYNTAX_ERROR);
    expect(error.issues).toEqual([
      {
        file,
        line: 6,
        column: 1,
        path: '',
        message: 'YAML syntax: All mapping items must start at the same column',
      },
    ]);
    expect(error.message).toBe(
      `1 problem found:\n  ${file}:6:1 YAML syntax: All mapping items must start at the same column`,
    );
  });

  it('reports a duplicate key as a YAML problem at the second occurrence', () => {
    const text = minimalWith('mapping: ./other.yaml');
    const error = configError(VIRTUAL, {}, text);
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]?.line).toBe(8);
    expect(error.issues[0]?.message).toMatch(/^YAML syntax: .*unique/i);
  });

  it('reports a missing file at line 1 with the reason', () => {
    const missing = fixture('does-not-exist.yaml');
    const error = configError(missing);
    expect(error.issues).toEqual([
      {
        file: missing,
        line: 1,
        column: 1,
        path: '',
        message: 'cannot read the file (ENOENT)',
        fix: 'check the path',
      },
    ]);
    expect(error.message).toBe(
      `1 problem found:\n  ${missing}:1:1 cannot read the file (ENOENT) (fix: check the path)`,
    );
  });
});

describe('loadConfig: checks beyond the schema', () => {
  it('refuses duplicate token names, pointing at the second one', () => {
    const file = fixture('duplicate-tokens.yaml');
    const error = configError(file);
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]).toMatchObject({
      file,
      line: 8,
      column: 15,
      path: 'auth.bearer.tokens[2].name',
      message: "duplicate token name 'entra'",
    });
  });

  it('counts a default token name as taken', () => {
    const text = minimalWith('').replace(
      `- hash: "${HASH_ONE}"`,
      `- hash: "${HASH_ONE}"\n      - name: token-1\n        hash: "${HASH_TWO}"`,
    );
    const error = configError(VIRTUAL, {}, text);
    expect(error.issues.map((i) => `${i.line}:${i.column} ${i.path}: ${i.message}`)).toEqual([
      "5:15 auth.bearer.tokens[1].name: duplicate token name 'token-1'",
    ]);
  });

  it('refuses two upstream auth methods at once', () => {
    const file = fixture('two-upstream-auth.yaml');
    const error = configError(file);
    expect(error.issues).toHaveLength(1);
    expect(error.message).toBe(
      `1 problem found:\n  ${file}:8:5 upstream.auth: choose one of header, bearer or basic (fix: keep a single method)`,
    );
  });

  it('accepts one upstream auth method of each kind', () => {
    for (const auth of [
      '    bearer: t',
      '    header:\n      name: X-Key\n      value: v',
      '    basic:\n      username: u\n      password: p',
    ]) {
      const text = minimalWith('').replace(
        'baseUrl: http://127.0.0.1:3000',
        `baseUrl: http://127.0.0.1:3000\n  auth:\n${auth}`,
      );
      expect(Object.keys(loadConfig(VIRTUAL, {}, text).upstream.auth)).toHaveLength(1);
    }
  });

  it.each<[string, string]>([
    ['a bad enum value', minimalWith('idMap:\n  store: mongodb')],
    ['a duplicate token name', DUPLICATE_TOKENS],
    ['a number of the wrong type', minimalWith('server:\n  port: eighty')],
  ])('gives a fix for %s', (_, text) => {
    const error = configError(VIRTUAL, {}, text);
    expect(error.issues.length).toBeGreaterThan(0);
    for (const issue of error.issues) expect(issue.fix, formatIssue(issue)).toBeTruthy();
  });
});
