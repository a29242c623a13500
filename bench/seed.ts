/**
 * What every target starts from, created directly rather than through HTTP so that groups of
 * 100 000 members take seconds: accounts and teams in the legacy app's store (over IPC), and for
 * a sidecar the id map entries naming them, written in the file store's log format
 * (src/idmap/log-format.ts) before the sidecar starts, as a restarted sidecar finds its own log.
 * An entry holds what the sidecar records for a create of the same Entra body (bench/workloads.ts):
 * a random SCIM id, the app id, the externalId, the timestamps and version 1.
 *
 * Also the config file a sidecar is started with: what `scim-sidecar serve --config` reads.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodePut } from '../src/idmap/log-format.js';
import type { ResourceTypeName } from '../src/idmap/types.js';
import { hashToken } from '../src/security/credentials.js';
import { type BenchChild, type SeededAccount, seededAccount } from './ipc.js';

/** How many records of each kind a target gets. */
export interface SeedSizes {
  /** W1, W3, W4, W5: users. */
  users: number;
  /** W4: groups, empty at the start. */
  groups: number;
  /** W6, W7: the users added as members. */
  crowd: number;
  /** W6: groups, empty at the start, that grow by one member per operation. */
  growingGroups: number;
  /** W7: groups holding `crowd[0, bigGroupSize)` at the start. */
  bigGroups: number;
  bigGroupSize: number;
}

/** A target's records, named as the target names them: SCIM ids for a sidecar, app ids otherwise. */
export interface TargetPool {
  users: string[];
  /** The app records behind `users`, in the same order. */
  accounts: SeededAccount[];
  groups: string[];
  crowd: string[];
  growingGroups: string[];
  bigGroups: string[];
  bigGroupSize: number;
}

/** Lines of an id map log, appended in batches. */
export class IdMapLogWriter {
  private lines: string[] = [];
  private readonly at = new Date().toISOString();
  entries = 0;

  constructor(readonly path: string) {
    writeFileSync(path, '');
  }

  /** Records the resource under a new SCIM id, returned. */
  add(resourceType: ResourceTypeName, appId: number, externalId: string): string {
    const scimId = randomUUID();
    this.lines.push(
      encodePut({
        resourceType,
        scimId,
        appId: String(appId),
        externalId,
        created: this.at,
        lastModified: this.at,
        version: 1,
      }),
    );
    this.entries++;
    if (this.lines.length >= 10_000) this.flush();
    return scimId;
  }

  flush(): void {
    if (this.lines.length === 0) return;
    appendFileSync(this.path, this.lines.join(''));
    this.lines = [];
  }
}

/** Accounts in the app; with `log`, their id map entries too. Returns the target's ids. */
export async function seedUsers(
  app: BenchChild,
  prefix: string,
  count: number,
  log?: IdMapLogWriter,
): Promise<{ ids: string[]; appIds: number[] }> {
  const { ids: appIds } = await app.ask({ type: 'seedAccounts', prefix, count });
  const ids = appIds.map((appId, i) =>
    log ? log.add('User', appId, `ext-${seededAccount(prefix, i).login}`) : String(appId),
  );
  return { ids, appIds };
}

/** Teams in the app holding `members` (app ids); with `log`, their id map entries too. */
export async function seedGroups(
  app: BenchChild,
  prefix: string,
  count: number,
  members: number[],
  log?: IdMapLogWriter,
): Promise<string[]> {
  if (count === 0) return [];
  const { ids } = await app.ask({ type: 'seedTeams', prefix, count, members });
  return ids.map((appId, i) => (log ? log.add('Group', appId, `ext-${prefix}-${i}`) : String(appId)));
}

/** The records of one target under `prefix`; with `log` (a sidecar), named by SCIM ids. */
export async function seedTarget(
  app: BenchChild,
  prefix: string,
  sizes: SeedSizes,
  log?: IdMapLogWriter,
): Promise<TargetPool> {
  const users = await seedUsers(app, prefix, sizes.users, log);
  const crowd = await seedUsers(app, `${prefix}.crowd`, sizes.crowd, log);
  const bigGroupSize = Math.min(sizes.bigGroupSize, sizes.crowd);
  const pool: TargetPool = {
    users: users.ids,
    accounts: users.appIds.map((id, i) => ({ id, ...seededAccount(prefix, i) })),
    groups: await seedGroups(app, `${prefix}-team`, sizes.groups, [], log),
    crowd: crowd.ids,
    growingGroups: await seedGroups(app, `${prefix}-grow`, sizes.growingGroups, [], log),
    bigGroups: await seedGroups(
      app,
      `${prefix}-big`,
      sizes.bigGroups,
      crowd.appIds.slice(0, bigGroupSize),
      log,
    ),
    bigGroupSize,
  };
  log?.flush();
  return pool;
}

/** How the sidecar under test logs (`--log-level`, `--audit`); its id map store is always the file store. */
export interface SidecarSettings {
  level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  audit: 'stdout' | 'off';
  /** The admin console (`--admin on`): off by default, as in `serve`. */
  admin: boolean;
}

/** A sidecar's own directory: its config, its id map log and the file its output goes to. */
export interface SidecarFiles {
  dir: string;
  config: string;
  idMap: string;
  log: string;
}

export function sidecarFiles(root: string, label: string): SidecarFiles {
  const dir = join(root, label);
  mkdirSync(dir, { recursive: true });
  return {
    dir,
    config: join(dir, 'config.yaml'),
    idMap: join(dir, 'idmap.jsonl'),
    log: join(dir, 'sidecar.log'),
  };
}

/**
 * The config file the sidecar is started with: only what config.example.yaml asks to fill in
 * (the token hash, the app's URL and API key, the mapping, the id map) and the settings; every
 * other value is `serve`'s default. Strings are written JSON-quoted, which YAML reads as is.
 */
export function writeSidecarConfig(
  files: SidecarFiles,
  options: { upstream: string; apiKey: string; token: string; mapping: string; settings: SidecarSettings },
): void {
  const q = JSON.stringify;
  const { settings } = options;
  const lines = [
    '# Written by bench/seed.ts for one bench run: scim-sidecar as `serve` runs it, on a free port.',
    'server:',
    '  host: 127.0.0.1',
    '  port: 0',
    'auth:',
    '  bearer:',
    '    tokens:',
    '      - name: bench',
    `        hash: ${q(hashToken(options.token))}`,
    'upstream:',
    `  baseUrl: ${q(options.upstream)}`,
    '  auth:',
    '    header:',
    '      name: X-Api-Key',
    `      value: ${q(options.apiKey)}`,
    `mapping: ${q(options.mapping)}`,
    'idMap:',
    '  store: file',
    `  path: ${q(files.idMap)}`,
    'logging:',
    `  level: ${settings.level}`,
    // Left out, `serve` writes the audit trail to standard output.
    ...(settings.audit === 'off' ? ['  audit: "off"'] : []),
    // The console keeps each operation in its activity ring; nobody opens it during the run.
    ...(settings.admin
      ? [
          'admin:',
          '  enabled: true',
          '  path: /admin',
          `  tokenHash: ${q(hashToken(`${options.token}-admin`))}`,
        ]
      : []),
  ];
  writeFileSync(files.config, `${lines.join('\n')}\n`);
}

/** Opens the sidecar's log for appending: the descriptor its standard output is given. */
export function openLog(path: string): number {
  return openSync(path, 'a');
}
