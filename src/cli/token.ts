import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { type Document, isMap, isSeq, parseDocument, type YAMLMap } from 'yaml';
import { generateToken, hashPassword, hashToken } from '../security/credentials.js';

/**
 * `scim-sidecar token`: a new random bearer token and the hash to paste into config.yaml;
 * `--basic <password>` hashes a password for HTTP basic instead.
 */
export function tokenCommand(options: { name?: string; basicPassword?: string }): string {
  if (options.basicPassword !== undefined) {
    return [
      'Paste under auth.basic in config.yaml:',
      `  passwordHash: "${hashPassword(options.basicPassword)}"`,
      '',
    ].join('\n');
  }
  const token = generateToken();
  const hash = hashToken(token);
  const name = options.name ?? `token-${new Date().toISOString().slice(0, 10)}`;
  return [
    'Secret token (give it to the identity provider; it is not stored anywhere):',
    `  ${token}`,
    '',
    'For a config.yaml that reads the hash from the environment (config.example.yaml does):',
    `  export SCIM_TOKEN_HASH=${hash}`,
    '',
    'Or paste under auth.bearer.tokens in config.yaml:',
    `  - name: ${name}`,
    `    hash: "${hash}"`,
    '',
  ].join('\n');
}

/** One entry of `auth.bearer.tokens` as `token list` shows it: never more than a hash prefix. */
export interface ListedToken {
  name: string;
  /** `sha256:` and the first 8 hex digits, or where the hash comes from (`${VAR}`). */
  hashPrefix: string;
  expiresAt: string | undefined;
  status: 'active' | 'expired';
}

/** The bearer tokens of a config file, read without needing the rest of its environment. */
export function listTokens(
  configFile: string,
  env: NodeJS.ProcessEnv = process.env,
  now = new Date(),
): ListedToken[] {
  const doc = readConfigDocument(configFile);
  return tokenItems(doc).map(({ item, index }) => {
    const raw = item.toJSON() as { name?: unknown; hash?: unknown; expiresAt?: unknown };
    const expiresAt = raw.expiresAt === undefined ? undefined : String(raw.expiresAt);
    const expired = expiresAt !== undefined && new Date(expiresAt).getTime() <= now.getTime();
    return {
      name: typeof raw.name === 'string' ? raw.name : `token-${index + 1}`,
      hashPrefix: hashPrefix(typeof raw.hash === 'string' ? raw.hash : '', env),
      expiresAt,
      status: expired ? 'expired' : 'active',
    };
  });
}

/** `scim-sidecar token list --config <file>`: names, expiry and hash prefixes, as a table. */
export function tokenListCommand(
  configFile: string,
  env: NodeJS.ProcessEnv = process.env,
  now = new Date(),
): string {
  const tokens = listTokens(configFile, env, now);
  if (tokens.length === 0) return `No bearer tokens in ${configFile} (auth.bearer.tokens).\n`;
  const rows = [
    ['NAME', 'HASH', 'EXPIRES', 'STATUS'],
    ...tokens.map((t) => [t.name, t.hashPrefix, t.expiresAt ?? '-', t.status]),
  ];
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((row) => (row[col] ?? '').length))) ?? [];
  return `${rows
    .map((row) =>
      row
        .map((cell, col) => cell.padEnd(widths[col] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

export class TokenCommandError extends Error {}

/**
 * `scim-sidecar token revoke <name> --config <file> [--write]`: the config without that token,
 * comments and layout kept. Printed by default; with `write`, the file is replaced (atomically,
 * its permissions kept) and a one-line confirmation is returned. Refuses to remove the last way
 * in: the last token goes only when basic or JWT authentication remains.
 */
export function tokenRevokeCommand(
  configFile: string,
  name: string,
  options: { write?: boolean } = {},
): string {
  const doc = readConfigDocument(configFile);
  const items = tokenItems(doc);
  const found = items.find(({ item, index }) => {
    const itemName = item.get('name');
    return (typeof itemName === 'string' ? itemName : `token-${index + 1}`) === name;
  });
  if (!found) {
    const names = items.map(({ item, index }) => {
      const itemName = item.get('name');
      return typeof itemName === 'string' ? itemName : `token-${index + 1}`;
    });
    throw new TokenCommandError(
      `No token named '${name}' in ${configFile}${names.length > 0 ? ` (tokens: ${names.join(', ')})` : ''}`,
    );
  }
  if (items.length === 1) {
    if (!doc.hasIn(['auth', 'basic']) && !doc.hasIn(['auth', 'jwt'])) {
      throw new TokenCommandError(
        `'${name}' is the only way to authenticate in ${configFile}: add its replacement first (scim-sidecar token)`,
      );
    }
    doc.deleteIn(['auth', 'bearer']);
  } else {
    doc.deleteIn(['auth', 'bearer', 'tokens', found.index]);
  }
  const text = doc.toString();
  if (!options.write) return text;
  const temporary = join(dirname(configFile), `.${basename(configFile)}.${process.pid}.tmp`);
  const mode = statSync(configFile).mode & 0o7777;
  writeFileSync(temporary, text, { mode });
  renameSync(temporary, configFile);
  return `Revoked token '${name}': removed from ${configFile}. Send SIGHUP to scim-sidecar (every replica) or restart it to apply.\n`;
}

function readConfigDocument(configFile: string): Document {
  let text: string;
  try {
    text = readFileSync(configFile, 'utf8');
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
    throw new TokenCommandError(`Cannot read ${configFile} (${reason})`);
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    throw new TokenCommandError(
      `${configFile} is not valid YAML: ${doc.errors[0]?.message.split('\n')[0] ?? ''}`,
    );
  }
  return doc;
}

function tokenItems(doc: Document): Array<{ item: YAMLMap; index: number }> {
  const tokens = doc.getIn(['auth', 'bearer', 'tokens']);
  if (!isSeq(tokens)) return [];
  const out: Array<{ item: YAMLMap; index: number }> = [];
  tokens.items.forEach((item, index) => {
    if (isMap(item)) out.push({ item, index });
  });
  return out;
}

const ENV_REFERENCE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}$/;

function hashPrefix(hash: string, env: NodeJS.ProcessEnv): string {
  let value = hash;
  const reference = ENV_REFERENCE.exec(hash);
  if (reference) {
    const fromEnv = env[reference[1] as string] || reference[2];
    if (!fromEnv) return `(from \${${reference[1]}}, unset)`;
    value = fromEnv;
  }
  const match = /^sha256:([0-9a-f]{8})[0-9a-f]*$/.exec(value);
  return match ? `sha256:${match[1]}…` : '(not a sha256 hash)';
}

export interface TokenArguments {
  /** `[]`, `['list']` or `['revoke', name?]`. */
  positionals: string[];
  name?: string;
  basic?: string;
  config?: string;
  write?: boolean;
}

/** Dispatches `scim-sidecar token …`: new token, `--basic`, `list` or `revoke`. */
export function runTokenCommand(args: TokenArguments): string {
  const [subcommand, argument, ...extra] = args.positionals;
  const config = () => {
    if (!args.config) throw new TokenCommandError(`token ${subcommand} needs --config <file>`);
    return args.config;
  };
  if (extra.length > 0 || (subcommand !== 'revoke' && argument !== undefined)) {
    throw new TokenCommandError(`Unexpected argument "${[argument, ...extra].filter(Boolean).join(' ')}"`);
  }
  if (subcommand === 'list') return tokenListCommand(config());
  if (subcommand === 'revoke') {
    const name = argument ?? args.name;
    if (!name)
      throw new TokenCommandError('token revoke needs the token name: token revoke <name> --config <file>');
    return tokenRevokeCommand(config(), name, { write: args.write === true });
  }
  if (subcommand !== undefined) throw new TokenCommandError(`Unknown token command "${subcommand}"`);
  return tokenCommand({
    ...(args.name ? { name: args.name } : {}),
    ...(args.basic !== undefined ? { basicPassword: args.basic } : {}),
  });
}
