import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tokenCommand } from '../../../src/cli/token.js';
import { validateCommand } from '../../../src/cli/validate.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { createAuthenticator } from '../../../src/http/authenticator.js';
import { hashToken, verifyPassword } from '../../../src/security/credentials.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** The value on the line after `label`, or the capture of `pattern`, failing loudly when absent. */
function capture(text: string, pattern: RegExp): string {
  const match = pattern.exec(text);
  if (!match?.[1]) throw new Error(`no ${pattern} in:\n${text}`);
  return match[1];
}

describe('tokenCommand', () => {
  it('prints a token and the hash of that very token', () => {
    const output = tokenCommand({ name: 'entra-2026' });
    const lines = output.split('\n');
    expect(lines[0]).toBe('Secret token (give it to the identity provider; it is not stored anywhere):');
    const token = capture(output, /^ {2}([A-Za-z0-9_-]{43})$/m);
    const hash = capture(output, /^ {4}hash: "(sha256:[0-9a-f]{64})"$/m);
    expect(hashToken(token)).toBe(hash);
    expect(output).toContain('Or paste under auth.bearer.tokens in config.yaml:\n  - name: entra-2026\n');
    expect(output.endsWith('\n')).toBe(true);
  });

  it('prints the export line for a config.yaml that reads the hash from SCIM_TOKEN_HASH, as config.example.yaml does', () => {
    const output = tokenCommand({ name: 'entra' });
    const hash = capture(output, /^ {4}hash: "(sha256:[0-9a-f]{64})"$/m);
    expect(output).toContain(`\n  export SCIM_TOKEN_HASH=${hash}\n`);
  });

  it('names the token after today when no name is given', () => {
    const output = tokenCommand({});
    const today = new Date().toISOString().slice(0, 10);
    expect(output).toContain(`  - name: token-${today}\n`);
  });

  it('prints a different token every time', () => {
    const first = capture(tokenCommand({}), /^ {2}([A-Za-z0-9_-]{43})$/m);
    const second = capture(tokenCommand({}), /^ {2}([A-Za-z0-9_-]{43})$/m);
    expect(first).not.toBe(second);
  });

  it('prints YAML that loads as a config and whose token then authenticates', () => {
    const output = tokenCommand({ name: 'idp' });
    const token = capture(output, /^ {2}([A-Za-z0-9_-]{43})$/m);
    const snippet = output.slice(output.indexOf('  - name:')).trimEnd();
    const text = [
      'auth:',
      '  bearer:',
      '    tokens:',
      snippet.replace(/^/gm, '  '),
      'upstream:',
      '  baseUrl: http://127.0.0.1:3000',
      'mapping: ./app.yaml',
    ].join('\n');
    const config = loadConfig('/virtual/config.yaml', {}, text);
    const authenticate = createAuthenticator(config.auth);
    expect(authenticate(`Bearer ${token}`)).toEqual({ method: 'bearer', name: 'idp' });
  });

  it('--basic prints a password hash that verifies', () => {
    const output = tokenCommand({ basicPassword: 's3cret: with colon' });
    expect(output.split('\n')[0]).toBe('Paste under auth.basic in config.yaml:');
    const stored = capture(output, /^ {2}passwordHash: "(scrypt:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+)"$/m);
    expect(verifyPassword('s3cret: with colon', stored)).toBe(true);
    expect(verifyPassword('s3cret', stored)).toBe(false);
    expect(output).not.toContain('s3cret');
  });

  it('--basic with an empty password still hashes it', () => {
    const stored = capture(tokenCommand({ basicPassword: '' }), /passwordHash: "([^"]+)"/);
    expect(verifyPassword('', stored)).toBe(true);
  });
});

describe('validateCommand', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'scim-sidecar-validate-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Copies a fixture folder (config.yaml + mappings/app.yaml) into the temp dir. */
  function stage(name: 'good' | 'broken'): { config: string; mapping: string } {
    cpSync(join(FIXTURES, name), dir, { recursive: true });
    return { config: join(dir, 'config.yaml'), mapping: join(dir, 'mappings', 'app.yaml') };
  }

  it('passes a good config and mapping with a one-line summary', () => {
    const { config, mapping } = stage('good');
    const result = validateCommand(config, { APP_API_KEY: 'k' });
    expect(result).toEqual({ ok: true, report: `OK: ${config} and ${mapping} (legacy-hr: User, Group)\n` });
  });

  it('fails a good config whose environment variable is unset', () => {
    const { config } = stage('good');
    const result = validateCommand(config, {});
    expect(result.ok).toBe(false);
    expect(result.report).toContain(
      `${config}:11:14 upstream.auth.header.value: environment variable APP_API_KEY is not set`,
    );
  });

  it('lists the problems of a broken mapping behind a good config', () => {
    const { config, mapping } = stage('good');
    cpSync(join(FIXTURES, 'broken', 'mappings', 'app.yaml'), mapping);
    const result = validateCommand(config, { APP_API_KEY: 'k' });
    expect(result.ok).toBe(false);
    expect(result.report).toMatch(/^2 problems found:\n/);
    expect(result.report).toContain(`  ${mapping}:5:13 resources.User.toScim: JSONata error at character `);
    expect(result.report).toContain(
      `  ${mapping}:13:15 resources.User.operations.get.path: unknown placeholder {userId} in path`,
    );
    expect(result.report.endsWith('\n')).toBe(true);
  });

  it('passes, with a warning, a push-down that sets a parameter the list call sets too', () => {
    const { config, mapping } = stage('good');
    const text = readFileSync(mapping, 'utf8').replace(
      '        path: /api/users\n        items: users\n',
      [
        '        path: /api/users',
        '        query: { query: \'""\', page: page }',
        '        items: users',
        '    filters:',
        '      userName:',
        '        query: { query: value }',
        '',
      ].join('\n'),
    );
    writeFileSync(mapping, text);
    const result = validateCommand(config, { APP_API_KEY: 'k' });
    expect(result.ok).toBe(true);
    expect(result.report).toBe(
      [
        `OK: ${config} and ${mapping} (legacy-hr: User, Group)`,
        '1 warning:',
        `  ${mapping}:22:18 resources.User.filters.userName.query.query: the list call sets 'query' too; a search sends the push-down's value in its place (fix: remove 'query' from operations.list.query if the list call should not send it either)`,
        '',
      ].join('\n'),
    );
  });

  it('reports one unquoted {appId} in a compact YAML map as one problem, with the fix', () => {
    const { config, mapping } = stage('good');
    const text = readFileSync(mapping, 'utf8').replace(
      '      get:\n        method: GET\n        path: /api/users/{appId}\n',
      '      get: { method: GET, path: /api/users/{appId}, response: user }\n',
    );
    writeFileSync(mapping, text);
    const result = validateCommand(config, { APP_API_KEY: 'k' });
    expect(result.ok).toBe(false);
    const lines = result.report.trimEnd().split('\n');
    expect(lines.length, result.report).toBeLessThanOrEqual(3);
    expect(lines[0]).toBe('1 problem found:');
    expect(lines[1]).toContain(`${mapping}:12:`);
    expect(lines[1]).toContain("quote the value: path: '/api/users/{appId}'");
  });

  it('reports a mapping file that does not exist', () => {
    const { config, mapping } = stage('good');
    rmSync(mapping);
    const result = validateCommand(config, { APP_API_KEY: 'k' });
    expect(result).toEqual({
      ok: false,
      report: `1 problem found:\n  ${mapping}:1:1 cannot read the file (ENOENT) (fix: check the path)\n`,
    });
  });

  it('reports an unreadable config file', () => {
    const missing = join(dir, 'nope.yaml');
    const result = validateCommand(missing, {});
    expect(result.ok).toBe(false);
    expect(result.report).toContain(`${missing}:1:1 cannot read the file (ENOENT)`);
  });

  it('lists the problems of a broken config and of its broken mapping together', () => {
    const { config, mapping } = stage('broken');
    const result = validateCommand(config, {});
    expect(result.ok).toBe(false);
    // The config's own problems...
    expect(result.report).toContain(`  ${config}:8:14 upstream.timeoutMs: must be >= 100`);
    expect(result.report).toContain(`  ${config}:11:10 idMap.store: must be one of "file", "memory"`);
    // ...and the mapping's, found in the same run.
    expect(result.report).toContain(`  ${mapping}:5:13 resources.User.toScim: JSONata error at character `);
    expect(result.report).toContain(
      `  ${mapping}:13:15 resources.User.operations.get.path: unknown placeholder {userId} in path`,
    );
  });

  it('treats a config file written after staging like any other', () => {
    const { config } = stage('good');
    writeFileSync(config, 'auth: {}\nupstream:\n  baseUrl: nope\nmapping: ./mappings/app.yaml\n');
    const result = validateCommand(config, {});
    expect(result.ok).toBe(false);
    expect(result.report).toContain(`${config}:1:7 auth: must NOT have fewer than 1 properties`);
    expect(result.report).toContain(`${config}:3:12 upstream.baseUrl: must match pattern "^https?://"`);
  });
});
