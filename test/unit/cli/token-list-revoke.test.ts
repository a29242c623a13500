// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} is the config syntax under test
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listTokens, runTokenCommand, TokenCommandError, tokenListCommand } from '../../../src/cli/token.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { createAuthenticator } from '../../../src/http/authenticator.js';
import { hashToken } from '../../../src/security/credentials.js';
import { tempDir } from '../../helpers/security.js';

const NOW = new Date('2026-06-01T00:00:00Z');
const HASH_A = hashToken('token-a-secret');
const HASH_B = hashToken('token-b-secret');
const HASH_C = hashToken('token-c-secret');

const CONFIG = [
  '# scim-sidecar',
  'auth:',
  '  bearer:',
  '    tokens:',
  '      # rotated out in May',
  '      - name: entra-2025',
  `        hash: "${HASH_A}"`,
  '        expiresAt: 2026-05-01T00:00:00Z',
  '      - name: entra-2026 # the current one',
  `        hash: "${HASH_B}"`,
  '      - hash: ${EXTRA_TOKEN_HASH}',
  'upstream:',
  '  baseUrl: http://127.0.0.1:3000',
  'mapping: ./app.yaml',
  '',
].join('\n');

let dir: string;
let cleanup: () => void;
let file: string;

beforeEach(() => {
  ({ dir, cleanup } = tempDir('scim-token-cli-'));
  file = join(dir, 'config.yaml');
  writeFileSync(file, CONFIG);
});
afterEach(() => cleanup());

describe('token list', () => {
  it('shows each token’s name, hash prefix, expiry and status, never a whole hash', () => {
    const tokens = listTokens(file, { EXTRA_TOKEN_HASH: HASH_C }, NOW);
    expect(tokens).toEqual([
      {
        name: 'entra-2025',
        hashPrefix: `${HASH_A.slice(0, 15)}…`,
        expiresAt: '2026-05-01T00:00:00Z',
        status: 'expired',
      },
      { name: 'entra-2026', hashPrefix: `${HASH_B.slice(0, 15)}…`, expiresAt: undefined, status: 'active' },
      { name: 'token-3', hashPrefix: `${HASH_C.slice(0, 15)}…`, expiresAt: undefined, status: 'active' },
    ]);
    const table = tokenListCommand(file, { EXTRA_TOKEN_HASH: HASH_C }, NOW);
    expect(table.split('\n')[0]).toMatch(/^NAME\s+HASH\s+EXPIRES\s+STATUS$/);
    expect(table).toContain('entra-2025');
    expect(table).toMatch(/entra-2026\s+sha256:[0-9a-f]{8}…\s+-\s+active/);
    for (const hash of [HASH_A, HASH_B, HASH_C]) expect(table).not.toContain(hash);
  });

  it('says where a hash comes from when its variable is unset', () => {
    expect(listTokens(file, {}, NOW)[2]?.hashPrefix).toBe('(from ${EXTRA_TOKEN_HASH}, unset)');
  });

  it('works through the token command with --config', () => {
    expect(runTokenCommand({ positionals: ['list'], config: file })).toContain('entra-2026');
  });

  it('needs --config', () => {
    expect(() => runTokenCommand({ positionals: ['list'] })).toThrow(TokenCommandError);
  });

  it('reports a config without tokens', () => {
    writeFileSync(file, 'auth:\n  basic:\n    username: u\n    passwordHash: "scrypt:a:b"\n');
    expect(tokenListCommand(file)).toBe(`No bearer tokens in ${file} (auth.bearer.tokens).\n`);
  });
});

describe('token revoke', () => {
  it('prints the config without the token, comments and the other tokens kept, file untouched', () => {
    const output = runTokenCommand({ positionals: ['revoke', 'entra-2025'], config: file });
    expect(output).not.toContain('entra-2025');
    expect(output).not.toContain(HASH_A);
    expect(output).toContain('# scim-sidecar');
    expect(output).toContain('- name: entra-2026 # the current one');
    expect(output).toContain(HASH_B);
    expect(output).toContain('${EXTRA_TOKEN_HASH}');
    expect(readFileSync(file, 'utf8')).toBe(CONFIG);
    // What it prints is a config that loads, and the revoked token no longer authenticates.
    const config = loadConfig(file, { EXTRA_TOKEN_HASH: HASH_C }, output);
    const authenticate = createAuthenticator(config.auth);
    expect(authenticate('Bearer token-a-secret', new Date('2026-01-01T00:00:00Z'))).toBeUndefined();
    expect(authenticate('Bearer token-b-secret')).toEqual({ method: 'bearer', name: 'entra-2026' });
  });

  it('accepts the name as --name too, and a default name', () => {
    const output = runTokenCommand({ positionals: ['revoke'], name: 'token-3', config: file });
    expect(output).not.toContain('EXTRA_TOKEN_HASH');
  });

  it('--write edits the file in place, atomically, keeping its permissions', () => {
    chmodSync(file, 0o600);
    const message = runTokenCommand({ positionals: ['revoke', 'entra-2026'], config: file, write: true });
    expect(message).toContain("Revoked token 'entra-2026'");
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(HASH_B);
    expect(text).toContain(HASH_A);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['config.yaml']);
  });

  it('names the tokens there are when the name is unknown', () => {
    expect(() => runTokenCommand({ positionals: ['revoke', 'nope'], config: file })).toThrow(
      /No token named 'nope' .*\(tokens: entra-2025, entra-2026, token-3\)/,
    );
  });

  it('refuses to remove the last way in', () => {
    writeFileSync(file, `auth:\n  bearer:\n    tokens:\n      - name: only\n        hash: "${HASH_A}"\n`);
    expect(() => runTokenCommand({ positionals: ['revoke', 'only'], config: file })).toThrow(
      /only way to authenticate/,
    );
  });

  it('removes the bearer section with its last token when another method remains', () => {
    writeFileSync(
      file,
      `auth:\n  bearer:\n    tokens:\n      - name: only\n        hash: "${HASH_A}"\n  jwt:\n    issuer: https://sts.windows.net/t/\n    audience: api://x\n    jwksUri: https://login.microsoftonline.com/t/discovery/v2.0/keys\n`,
    );
    const output = runTokenCommand({ positionals: ['revoke', 'only'], config: file });
    expect(output).not.toContain('bearer');
    expect(output).toContain('jwt:');
  });
});

describe('token (unchanged behaviour)', () => {
  it('still prints a new token, or a basic hash', () => {
    expect(runTokenCommand({ positionals: [], name: 'x' })).toContain('  - name: x\n');
    expect(runTokenCommand({ positionals: [], basic: 'pw' })).toContain('passwordHash: "scrypt:');
  });

  it('refuses an unknown subcommand or extra arguments', () => {
    expect(() => runTokenCommand({ positionals: ['rotate'] })).toThrow('Unknown token command "rotate"');
    expect(() => runTokenCommand({ positionals: ['list', 'x'], config: file })).toThrow(TokenCommandError);
  });
});
