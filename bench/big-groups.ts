/**
 * `npm run bench -- --big-groups`: one sidecar (set up as in the main run: `serve`'s config, the
 * file id map store, logging at info, the audit trail on) in front of the legacy app, with groups
 * far bigger than the main run's, each request sent alone:
 *
 * - a PATCH adding 15 000 members (`--add`) to an empty group, by SCIM ids of known users, and
 *   the same with ids the id map does not know; its duration, its app calls, and the slowest
 *   /healthz answer while it runs (polled every 10 ms from this process, one request at a time);
 * - GET /Groups/{id} of a 100 000-member group (`--huge`), and the same with
 *   `excludedAttributes=members`: duration, bytes, app calls, slowest /healthz;
 * - the add-member PATCH (Entra's, one member) into groups of 10 members and of 10 000 members,
 *   one request at a time, in alternating rounds: its median in both.
 *
 * Users and groups are seeded directly (bench/seed.ts): in the app's store and in the id map log
 * the sidecar opens at start. Each measurement runs `--repeats` times (default 3).
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Pool } from 'undici';
import type { BenchChild, CallCounts } from './ipc.js';
import { OpRecorder } from './load.js';
import { OUT_DIR } from './paths.js';
import type { IdMapLogWriter, SidecarFiles } from './seed.js';
import { seedGroups, seedUsers } from './seed.js';

export interface BigGroupsContext {
  app: BenchChild;
  runId: string;
  scimToken: string;
  /** Starts a sidecar after `seed` has written what its id map log should hold. */
  sidecar(
    name: string,
    label: string,
    script: string,
    seed: (log: IdMapLogWriter) => Promise<void>,
  ): Promise<{ child: BenchChild; files: SidecarFiles }>;
  sidecarScript: string;
  describe(): Record<string, string | number>;
}

const SCIM = '/scim/v2';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
/** The poll interval of /healthz while a big request runs. */
const HEALTH_EVERY_MS = 10;
/** Groups the add-member latency is measured on: many, so each grows by only a few members. */
const SMALL_GROUPS = 300;
const SMALL_SIZE = 10;
const TEN_K_GROUPS = 20;
const TEN_K_SIZE = 10_000;

interface Health {
  polls: number;
  p50: number;
  max: number;
}

interface Timed {
  ms: number;
  status: number;
  bytes: number;
  /** App calls the request caused, by route. */
  calls: Record<string, number>;
  health: Health;
  /** Members in the answer (GET). */
  members?: number;
}

function option(argv: string[], name: string, fallback: number): number {
  const index = argv.indexOf(name);
  if (index === -1) return fallback;
  const value = Number(argv[index + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} needs a positive integer`);
  return value;
}

/** Polls /healthz one request at a time, every 10 ms, until stopped. */
function watchHealth(origin: string): { stop(): Promise<Health> } {
  const client = new Client(origin);
  const latencies: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      const response = await client.request({ method: 'GET', path: '/healthz' });
      await response.body.text();
      const took = performance.now() - started;
      latencies.push(took);
      if (took < HEALTH_EVERY_MS) await sleep(HEALTH_EVERY_MS - took);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      await client.close();
      const sorted = [...latencies].sort((a, b) => a - b);
      return {
        polls: sorted.length,
        p50: sorted[Math.floor(sorted.length / 2)] ?? Number.NaN,
        max: sorted[sorted.length - 1] ?? Number.NaN,
      };
    },
  };
}

function delta(before: CallCounts, after: CallCounts): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, count] of Object.entries(after.counts)) {
    const d = count - (before.counts[key] ?? 0);
    if (d > 0) out[key] = d;
  }
  return out;
}

function callsText(calls: Record<string, number>): string {
  const total = Object.values(calls).reduce((a, b) => a + b, 0);
  const parts = Object.entries(calls).map(([key, n]) => `${n}x ${key}`);
  return parts.length === 0 ? '0' : `${total} (${parts.join(', ')})`;
}

function fmt(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '-';
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

export async function runBigGroups(argv: string[], ctx: BigGroupsContext): Promise<void> {
  const hugeSize = option(argv, '--huge', 100_000);
  const addSize = option(argv, '--add', 15_000);
  const repeats = option(argv, '--repeats', 3);
  const latencyOps = option(argv, '--latency-ops', 300);
  const { app, runId } = ctx;
  const crowdSize = Math.max(hugeSize, addSize, TEN_K_SIZE + latencyOps * repeats);

  const started = performance.now();
  let crowd: string[] = [];
  let huge = '';
  let addGroups: string[] = [];
  let unknownGroup = '';
  let small: string[] = [];
  let tenK: string[] = [];
  const { child: sidecar } = await ctx.sidecar('sidecar', 'bg', ctx.sidecarScript, async (idMap) => {
    const users = await seedUsers(app, `bg.${runId}.crowd`, crowdSize, idMap);
    crowd = users.ids;
    [huge] = (await seedGroups(app, `bg-${runId}-huge`, 1, users.appIds.slice(0, hugeSize), idMap)) as [
      string,
    ];
    addGroups = await seedGroups(app, `bg-${runId}-add`, repeats, [], idMap);
    [unknownGroup] = (await seedGroups(app, `bg-${runId}-unknown`, 1, [], idMap)) as [string];
    small = await seedGroups(
      app,
      `bg-${runId}-small`,
      SMALL_GROUPS,
      users.appIds.slice(0, SMALL_SIZE),
      idMap,
    );
    tenK = await seedGroups(app, `bg-${runId}-10k`, TEN_K_GROUPS, users.appIds.slice(0, TEN_K_SIZE), idMap);
  });
  const origin = sidecar.url;
  log(
    `seeded and started in ${fmt((performance.now() - started) / 1000)} s: ${crowdSize} users; groups of ${hugeSize}, ${SMALL_SIZE} (${SMALL_GROUPS}) and ${TEN_K_SIZE} (${TEN_K_GROUPS}) members; ${repeats + 1} empty groups. Sidecar pid ${sidecar.pid}, ${origin}`,
  );
  const headers = { authorization: `Bearer ${ctx.scimToken}`, 'content-type': 'application/scim+json' };
  const pool = new Pool(origin, { connections: 1 });

  /** One request, alone, with /healthz polled while it runs. */
  const timed = async (method: 'GET' | 'PATCH', path: string, body?: string): Promise<Timed> => {
    const before = await app.ask({ type: 'counts' });
    const health = watchHealth(origin);
    await sleep(30);
    const t0 = performance.now();
    const response = await pool.request({
      method,
      path,
      headers: body === undefined ? { authorization: headers.authorization } : headers,
      body: body ?? null,
    });
    const text = await response.body.text();
    const ms = performance.now() - t0;
    await sleep(30);
    const healthSummary = await health.stop();
    const after = await app.ask({ type: 'counts' });
    const result: Timed = {
      ms,
      status: response.statusCode,
      bytes: Buffer.byteLength(text),
      calls: delta(before, after),
      health: healthSummary,
    };
    if (method === 'GET' && response.statusCode === 200) {
      const members = (JSON.parse(text) as { members?: unknown[] }).members;
      result.members = members?.length ?? 0;
    }
    return result;
  };
  const addBody = (values: string[]) =>
    JSON.stringify({
      schemas: [PATCH_OP],
      Operations: [{ op: 'Add', path: 'members', value: values.map((value) => ({ value })) }],
    });
  let failed = false;
  const check = (what: string, result: Timed, status: number) => {
    if (result.status === status) return;
    failed = true;
    log(`  ${what}: expected ${status}, got ${result.status}`);
  };
  const show = (what: string, r: Timed) =>
    log(
      `  ${what.padEnd(44)} ${fmt(r.ms, 0).padStart(6)} ms  status ${r.status}  ${fmt(r.bytes / 1024, 0).padStart(5)} KB${r.members === undefined ? '' : `  ${r.members} members`}  /healthz max ${fmt(r.health.max)} ms (p50 ${fmt(r.health.p50)}, ${r.health.polls} polls)  app calls ${callsText(r.calls)}`,
    );

  const idle = watchHealth(origin);
  await sleep(1000);
  const idleHealth = await idle.stop();
  log(
    `\n/healthz with nothing else running: p50 ${fmt(idleHealth.p50, 2)} ms, max ${fmt(idleHealth.max, 2)} ms`,
  );

  log(`\nPATCH adding ${addSize} members to an empty group (one request)`);
  const known: Timed[] = [];
  const unknown: Timed[] = [];
  const knownBody = addBody(crowd.slice(0, addSize));
  for (let r = 0; r < repeats; r++) {
    const k = await timed('PATCH', `${SCIM}/Groups/${addGroups[r]}`, knownBody);
    check('PATCH known members', k, 204);
    show(`known users (group ${r + 1})`, k);
    known.push(k);
    const u = await timed(
      'PATCH',
      `${SCIM}/Groups/${unknownGroup}`,
      addBody(Array.from({ length: addSize }, () => randomUUID())),
    );
    check('PATCH unknown ids', u, 204);
    show('ids the id map does not know', u);
    unknown.push(u);
  }

  log(`\nGET /Groups/{id} of a group of ${hugeSize} members (one request)`);
  const full: Timed[] = [];
  const excluded: Timed[] = [];
  for (let r = 0; r < repeats; r++) {
    const f = await timed('GET', `${SCIM}/Groups/${huge}`);
    check('GET', f, 200);
    show('GET', f);
    full.push(f);
    const e = await timed('GET', `${SCIM}/Groups/${huge}?excludedAttributes=members`);
    check('GET excludedAttributes=members', e, 200);
    show('GET ?excludedAttributes=members', e);
    excluded.push(e);
  }
  const memory = await sidecar.ask({ type: 'memory' });
  log(`sidecar RSS after the GETs: ${fmt(memory.rss / 1024 / 1024)} MB`);

  log(
    `\nadd-member PATCH (one member, Entra's body), one request at a time, ${latencyOps} per round into groups of ${SMALL_SIZE} and of ${TEN_K_SIZE} members, ${repeats} rounds, alternating`,
  );
  const recorders = { small: new OpRecorder(), tenK: new OpRecorder() };
  let added = 0;
  const addOne = async (group: string, recorder: OpRecorder) => {
    const member = crowd[TEN_K_SIZE + added++]!;
    const t0 = performance.now();
    const response = await pool.request({
      method: 'PATCH',
      path: `${SCIM}/Groups/${group}`,
      headers,
      body: addBody([member]),
    });
    await response.body.text();
    if (response.statusCode === 204) recorder.record(performance.now() - t0);
    else recorder.fail(response.statusCode);
  };
  const rounds: Array<{ small: number; tenK: number }> = [];
  for (let r = 0; r < repeats; r++) {
    const order: Array<'small' | 'tenK'> = r % 2 === 0 ? ['small', 'tenK'] : ['tenK', 'small'];
    const round = { small: 0, tenK: 0 };
    for (const which of order) {
      const recorder = new OpRecorder();
      const groups = which === 'small' ? small : tenK;
      for (let i = 0; i < latencyOps; i++) await addOne(groups[i % groups.length]!, recorder);
      const summary = recorder.summary();
      round[which] = summary.p50;
      for (const ms of recorder.values()) recorders[which].record(ms);
      for (let e = 0; e < summary.errors; e++) recorders[which].fail('error');
    }
    rounds.push(round);
    log(
      `  round ${r + 1}: p50 ${fmt(round.small, 2)} ms at ${SMALL_SIZE} members, ${fmt(round.tenK, 2)} ms at ${TEN_K_SIZE} members (${fmt(round.tenK / round.small, 2)}x)`,
    );
  }
  const s = recorders.small.summary();
  const t = recorders.tenK.summary();
  if (s.errors + t.errors > 0) {
    failed = true;
    log(`  errors: ${JSON.stringify(recorders.small.statuses)} ${JSON.stringify(recorders.tenK.statuses)}`);
  }
  await pool.close();

  const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor((list.length - 1) / 2)]!;
  const worst = (list: Timed[]) => Math.max(...list.map((r) => r.health.max));
  const ms = (list: Timed[]) => list.map((r) => r.ms);
  log('\nbig groups: summary (median of the repeats; /healthz: the slowest answer over all of them)\n');
  const rows: Array<[string, string, string, string, string]> = [
    ['measurement', 'result', 'target', 'met', 'app calls'],
    [
      `PATCH add ${addSize} known members`,
      `${fmt(median(ms(known)), 0)} ms (max ${fmt(Math.max(...ms(known)), 0)})`,
      '< 2000 ms',
      Math.max(...ms(known)) < 2000 ? 'met' : 'NOT met',
      callsText(known[0]!.calls),
    ],
    [
      '  /healthz during it',
      `${fmt(worst(known))} ms`,
      '< 100 ms',
      worst(known) < 100 ? 'met' : 'NOT met',
      '',
    ],
    [
      `PATCH add ${addSize} unknown ids`,
      `${fmt(median(ms(unknown)), 0)} ms (max ${fmt(Math.max(...ms(unknown)), 0)})`,
      '< 2000 ms',
      Math.max(...ms(unknown)) < 2000 ? 'met' : 'NOT met',
      callsText(unknown[0]!.calls),
    ],
    [
      '  /healthz during it',
      `${fmt(worst(unknown))} ms`,
      '< 100 ms',
      worst(unknown) < 100 ? 'met' : 'NOT met',
      '',
    ],
    [
      `GET group of ${hugeSize} members`,
      `${fmt(median(ms(full)), 0)} ms (max ${fmt(Math.max(...ms(full)), 0)})`,
      '< 1000 ms',
      Math.max(...ms(full)) < 1000 ? 'met' : 'NOT met',
      callsText(full[0]!.calls),
    ],
    ['  /healthz during it', `${fmt(worst(full))} ms`, '', '', ''],
    [
      '  excludedAttributes=members',
      `${fmt(median(ms(excluded)), 0)} ms (max ${fmt(Math.max(...ms(excluded)), 0)})`,
      'reads no members',
      '',
      callsText(excluded[0]!.calls),
    ],
    ['  /healthz during it', `${fmt(worst(excluded))} ms`, '', '', ''],
    [
      `add-member p50 at ${TEN_K_SIZE} vs ${SMALL_SIZE} members`,
      `${fmt(t.p50, 2)} vs ${fmt(s.p50, 2)} ms (${fmt(t.p50 / s.p50, 2)}x)`,
      '<= 1.5x',
      t.p50 / s.p50 <= 1.5 ? 'met' : 'NOT met',
      '1 per PATCH',
    ],
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  for (const row of rows) log(row.map((cell, c) => cell.padEnd(widths[c]!)).join('  '));
  log(
    `add-member p90 / p99: ${fmt(t.p90, 2)} / ${fmt(t.p99, 2)} ms at ${TEN_K_SIZE} members, ${fmt(s.p90, 2)} / ${fmt(s.p99, 2)} ms at ${SMALL_SIZE}`,
  );

  const file = `${OUT_DIR}big-groups-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        machine: ctx.describe(),
        sizes: { hugeSize, addSize, repeats, latencyOps, crowdSize },
        idleHealth,
        known,
        unknown,
        full,
        excluded,
        addMember: { small: s, tenK: t, rounds },
        rssAfterGets: memory.rss,
      },
      null,
      2,
    )}\n`,
  );
  log(`\nraw results: ${file}`);
  if (failed) {
    log('\nFAILED: unexpected statuses (see above)');
    process.exitCode = 1;
  }
}
