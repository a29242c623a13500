/**
 * `npm run bench`: scim-sidecar against a plain @fastify/http-proxy passthrough, both in front of
 * the same in-memory legacy app, for workloads W1–W5; then the p99 latency the sidecar adds at
 * half of its full load. See bench/RESULTS.md.
 *
 * A third target, json-forward (bench/json-forward.ts), forwards the passthrough's calls but parses
 * and re-serialises their JSON: the floor for any proxy that reads what it forwards.
 *
 * Processes: the legacy app, the passthrough and the sidecar each run in their own process
 * (forked, driven over IPC); autocannon runs in this one. Only one proxy is under load at a time,
 * and the order rotates between rounds so no side always runs on a warmer or quieter machine.
 *
 *   npm run bench                         full run (about 10 minutes on 2 cores)
 *   npm run bench -- --quick              smoke test (about 15 s): every workload on every target, exits
 *                                         non-zero on errors or mismatched upstream calls, never on speed
 *   npm run bench -- --only W1,W3         some workloads
 *   npm run bench -- --profile            proxies run with --cpu-prof (bench/dist/profiles)
 *   npm run bench -- --compare DIR        also a second sidecar built elsewhere (DIR/bench/sidecar.js,
 *                                         e.g. a copy of bench/dist made before a change), same run;
 *                                         --compare-name NAME labels it (default "compare")
 *   npm run bench -- --node PATH          run the proxies on another Node binary (e.g. 24, as in the
 *                                         Docker image); the app and autocannon stay on this one
 *   npm run bench -- --sidecar-flags "--max-semi-space-size=32"   Node flags for the sidecar(s)
 *   npm run bench -- --soak 10            sidecar RSS over 10 minutes of mixed load
 *   npm run bench -- --idmap-memory       RSS with 1 million id map entries (bench/idmap-memory.ts)
 *   more: --duration S --warmup S --rounds N --connections N --users N --groups N
 *         --latency-duration S --no-latency
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { type BenchChild, type CallCounts, BenchChild as Child } from './ipc.js';
import { createAll, type LatencySummary, paced, runOps, saturate, type ThroughputResult } from './load.js';
import { benchScript, DEMO_MAPPING, OUT_DIR, preparePackageRoot } from './paths.js';
import { runSoak } from './soak.js';
import {
  entraGroup,
  entraUser,
  type Kind,
  MAIN_WORKLOADS,
  type OpStream,
  type Pools,
  WORKLOADS,
  type WorkloadId,
} from './workloads.js';

interface Options {
  quick: boolean;
  seconds: number;
  warmup: number;
  rounds: number;
  connections: number;
  users: number;
  groups: number;
  only: WorkloadId[];
  latency: boolean;
  latencySeconds: number;
  profile: boolean;
  compare: string | undefined;
  compareName: string;
  node: string | undefined;
  sidecarFlags: string[];
  soakMinutes: number | undefined;
  idmapMemory: boolean;
}

function parseOptions(argv: string[]): Options {
  const value = (name: string): string | undefined => {
    const index = argv.indexOf(name);
    return index === -1 ? undefined : argv[index + 1];
  };
  /** A positive number, or with `zeroOk` also 0. */
  const number = (name: string, fallback: number, zeroOk = false): number => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    const parsed = Number(raw);
    if (!Number.isFinite(parsed) || parsed < 0 || (parsed === 0 && !zeroOk)) {
      throw new Error(`${name} needs a ${zeroOk ? 'non-negative' : 'positive'} number`);
    }
    return parsed;
  };
  const quick = argv.includes('--quick');
  const only = (value('--only')?.split(',') ?? MAIN_WORKLOADS).map((w) => w.trim().toUpperCase());
  for (const id of only) {
    if (!MAIN_WORKLOADS.includes(id as WorkloadId)) throw new Error(`unknown workload ${id}`);
  }
  const compare = value('--compare');
  const soak = value('--soak');
  return {
    quick,
    seconds: number('--duration', quick ? 0.5 : 10),
    warmup: number('--warmup', quick ? 0 : 2, true),
    rounds: number('--rounds', quick ? 1 : 3),
    connections: number('--connections', 32),
    users: number('--users', quick ? 100 : 1000),
    groups: number('--groups', quick ? 50 : 2000),
    only: only as WorkloadId[],
    latency: !argv.includes('--no-latency'),
    latencySeconds: number('--latency-duration', quick ? 0.5 : 5),
    profile: argv.includes('--profile'),
    compare: compare === undefined ? undefined : resolve(compare),
    compareName: value('--compare-name') ?? 'compare',
    node: value('--node'),
    sidecarFlags: value('--sidecar-flags')?.split(/\s+/).filter(Boolean) ?? [],
    soakMinutes: soak === undefined ? undefined : number('--soak', 10),
    idmapMemory: argv.includes('--idmap-memory'),
  };
}

/** A proxy under test: its process and the records seeded for it. */
interface Target {
  name: string;
  kind: Kind;
  child: BenchChild;
  pools: Pools;
}

/** A full-load run, with the CPU time the proxy under test spent per operation. */
interface Measured extends ThroughputResult {
  cpuMicrosPerOp: number;
}

interface WorkloadResult {
  id: WorkloadId;
  title: string;
  /** Upstream calls per operation, by route, per target. */
  calls: Record<string, Record<string, number>>;
  sameCalls: boolean;
  runs: Record<string, Measured[]>;
  median: Record<string, Measured>;
  /** `latency`: per target, the round with the median p99; `slices`: every round. */
  half?: { rate: number; latency: Record<string, LatencySummary>; slices: Record<string, LatencySummary[]> };
}

const children: BenchChild[] = [];

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  preparePackageRoot();
  if (options.idmapMemory) {
    const { runIdMapMemory } = await import('./idmap-memory.js');
    await runIdMapMemory(process.argv.slice(2));
    return;
  }
  const apiKey = randomBytes(16).toString('hex');
  const scimToken = randomBytes(32).toString('base64url');
  const runId = randomBytes(3).toString('hex');
  const profileDir = `${OUT_DIR}profiles`;
  if (options.profile) mkdirSync(profileDir, { recursive: true });
  const profileArgs = options.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];

  const app = await start('legacy app', benchScript('legacy-app.js'), ['--api-key', apiKey]);
  const sidecarArgs = [
    '--upstream',
    app.url,
    '--api-key',
    apiKey,
    '--token',
    scimToken,
    '--mapping',
    DEMO_MAPPING,
  ];
  const base = { runId, scimToken, apiKey };
  const started = performance.now();
  proxyNode = options.node;
  if (proxyNode) proxyVersion = execFileSync(proxyNode, ['--version'], { encoding: 'utf8' }).trim();
  /** A proxy that forwards the app's own calls, with records of its own seeded in the app. */
  const forwarder = async (name: string, script: string, label: string): Promise<Target> => {
    const child = await start(name, benchScript(script), ['--upstream', app.url], profileArgs, proxyNode);
    const seeded = await app.ask({
      type: 'seed',
      prefix: `${label}.${runId}`,
      accounts: options.users,
      teams: options.groups,
    });
    const empty = { users: [], groups: [] };
    return {
      name,
      kind: 'passthrough',
      child,
      pools: { ...base, label, sidecar: empty, passthrough: seeded },
    };
  };
  const passthrough = await forwarder('passthrough', 'passthrough.js', 'pt');
  const targets: Target[] = [passthrough];
  const sidecars: Array<[string, string, string]> = [['sidecar', 'sc', benchScript('sidecar.js')]];
  if (options.compare) sidecars.push([options.compareName, 'cmp', `${options.compare}/bench/sidecar.js`]);
  for (const [name, label, script] of sidecars) {
    const child = await start(
      name,
      script,
      sidecarArgs,
      [...profileArgs, ...options.sidecarFlags],
      proxyNode,
    );
    const pool = await seedSidecar(child.url, options, runId, label, scimToken);
    targets.push({
      name,
      kind: 'sidecar',
      child,
      pools: { ...base, label, sidecar: pool, passthrough: passthrough.pools.passthrough },
    });
  }
  // Last, so the sidecar stays targets[1]: the floor for a proxy that parses and re-serialises.
  targets.push(await forwarder('json-forward', 'json-forward.js', 'jf'));
  log(
    `legacy app ${app.url} (pid ${app.pid}); ${targets.map((t) => `${t.name} ${t.child.url} (pid ${t.child.pid})`).join('; ')}`,
  );
  log(
    `seeded ${options.users} users and ${options.groups} groups per target in ${fmt((performance.now() - started) / 1000, 1)} s`,
  );
  const primary = targets[1]!;

  if (options.soakMinutes !== undefined) {
    await runSoak(primary.child, primary.pools, {
      minutes: options.soakMinutes,
      connections: options.connections,
    });
    return;
  }

  const results: WorkloadResult[] = [];
  let failed = false;
  for (const id of options.only) {
    const workload = WORKLOADS[id];
    log(`\n${id} ${workload.title}`);
    const streams = new Map<Target, OpStream>(targets.map((t) => [t, workload.stream(t.kind, t.pools)]));

    // Calibration: what each target makes the app receive per operation.
    const calls: Record<string, Record<string, number>> = {};
    const calibrationOps = options.quick ? 10 : 40;
    for (const target of targets) {
      const before = await settled(app);
      const run = await runOps(target.child.url, streams.get(target)!, calibrationOps, 1);
      const after = await app.ask({ type: 'counts' });
      if (run.errors > 0) {
        failed = true;
        log(`  calibration on ${target.name}: ${run.errors} errors ${JSON.stringify(run.statuses)}`);
      }
      calls[target.name] = perOp(before, after, calibrationOps);
      log(`  upstream calls per operation, ${target.name}: ${describeCalls(calls[target.name]!)}`);
      for (const [key, sample] of Object.entries(after.samples))
        log(`    e.g. ${key}: ${sample.slice(0, 200)}`);
    }
    const signatures = new Set(Object.values(calls).map((c) => JSON.stringify(sorted(c))));
    const sameCalls = signatures.size === 1;
    if (!sameCalls) {
      failed = true;
      log('  MISMATCH: the targets do not make the same upstream calls');
    }

    // Full load, rotating which target goes first.
    const runs: Record<string, Measured[]> = Object.fromEntries(targets.map((t) => [t.name, []]));
    for (let round = 0; round < options.rounds; round++) {
      const order = targets.map((_, i) => targets[(i + round) % targets.length]!);
      for (const target of order) {
        const stream = streams.get(target)!;
        if (options.warmup > 0)
          await saturate(target.child.url, stream, {
            seconds: options.warmup,
            connections: options.connections,
          });
        const cpuBefore = (await target.child.ask({ type: 'memory' })).cpuMicros;
        const run = await saturate(target.child.url, stream, {
          seconds: options.seconds,
          connections: options.connections,
        });
        const cpuAfter = (await target.child.ask({ type: 'memory' })).cpuMicros;
        const result: Measured = { ...run, cpuMicrosPerOp: (cpuAfter - cpuBefore) / Math.max(1, run.ops) };
        runs[target.name]!.push(result);
        log(
          `  round ${round + 1} ${target.name.padEnd(11)} ${fmt(result.opsPerSec, 0).padStart(7)} ops/s  p50 ${fmt(result.p50)} ms  p99 ${fmt(result.p99)} ms  proxy CPU ${fmt(result.cpuMicrosPerOp, 0)} µs/op${errorsText(result)}`,
        );
        if (result.errors > 0) failed = true;
      }
    }
    const medians = Object.fromEntries(Object.entries(runs).map(([name, list]) => [name, median(list)]));

    // Latency at half of the sidecar's full load: the same operation rate on every target, in
    // rounds with a rotating order; the round with the median p99 is reported, so a burst of
    // other work on the machine during one slice does not decide the result.
    let half: WorkloadResult['half'];
    if (options.latency) {
      const rate = Math.max(10, Math.round(medians[primary.name]!.opsPerSec / 2));
      const slices: Record<string, LatencySummary[]> = Object.fromEntries(targets.map((t) => [t.name, []]));
      for (let round = 0; round < options.rounds; round++) {
        const shift = round + options.only.indexOf(id);
        for (const target of targets.map((_, i) => targets[(i + shift) % targets.length]!)) {
          const summary = await paced(target.child.url, streams.get(target)!, {
            opsPerSec: rate,
            seconds: options.latencySeconds,
            connections: 64,
          });
          slices[target.name]!.push(summary);
          if (summary.errors > 0) failed = true;
          log(
            `  half load ${rate} ops/s ${target.name.padEnd(11)} p50 ${fmt(summary.p50)} ms  p90 ${fmt(summary.p90)} ms  p99 ${fmt(summary.p99)} ms${errorsText(summary)}`,
          );
        }
      }
      const latency = Object.fromEntries(
        Object.entries(slices).map(([name, list]) => {
          const byP99 = [...list].sort((a, b) => a.p99 - b.p99);
          return [name, byP99[Math.floor((byP99.length - 1) / 2)]!];
        }),
      );
      half = { rate, latency, slices };
    }
    results.push({ id, title: workload.title, calls, sameCalls, runs, median: medians, half });
  }

  printTables(results, targets, options);
  if (options.quick) log('\n--quick: a smoke test; its numbers are too short to mean anything.');
  const file = `${OUT_DIR}results-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, `${JSON.stringify({ options, machine: machine(), results }, null, 2)}\n`);
  log(`\nraw results: ${file}`);
  if (options.profile) {
    log(
      `profiles in ${profileDir}: ${targets.map((t) => `CPU.*.${t.child.pid}.*.cpuprofile (${t.name})`).join(', ')}`,
    );
    log('summarise with: node bench/dist/bench/profile-summary.js <file>');
  }
  if (failed) {
    log('\nFAILED: errors or mismatched upstream calls (see above)');
    process.exitCode = 1;
  }
}

/** The Node binary for the proxies (`--node`); the app and autocannon keep this one. */
let proxyNode: string | undefined;
let proxyVersion = process.version;

async function start(
  name: string,
  script: string,
  args: string[],
  execArgv: string[] = [],
  node?: string,
): Promise<BenchChild> {
  const child = await Child.start(name, script, args, { execArgv, ...(node ? { execPath: node } : {}) });
  children.push(child);
  return child;
}

/** Users and groups created through SCIM, so the sidecar's id map knows them. */
async function seedSidecar(
  url: string,
  options: Options,
  runId: string,
  label: string,
  scimToken: string,
): Promise<Pools['sidecar']> {
  const headers = { authorization: `Bearer ${scimToken}`, 'content-type': 'application/scim+json' };
  const userNames = Array.from({ length: options.users }, (_, i) => `${label}.${runId}.${i}@contoso.example`);
  const users = await createAll(
    url,
    '/scim/v2/Users',
    headers,
    userNames.map((name, i) => JSON.stringify(entraUser(name, i))),
    16,
  );
  const groups = await createAll(
    url,
    '/scim/v2/Groups',
    headers,
    Array.from({ length: options.groups }, (_, i) =>
      JSON.stringify(entraGroup(`${label}-${runId}-team-${i}`)),
    ),
    16,
  );
  return {
    users: users.map((u, i) => ({ id: String(u.id), userName: userNames[i]! })),
    groups: groups.map((g) => String(g.id)),
  };
}

/**
 * The app's counts once nothing is in flight: a proxy still finishes the operations of a run that
 * autocannon has stopped, and those calls must not be charged to the next calibration.
 */
async function settled(app: BenchChild): Promise<CallCounts> {
  let previous = await app.ask({ type: 'counts' });
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const current = await app.ask({ type: 'counts' });
    if (totalCalls(current.counts) === totalCalls(previous.counts)) return current;
    previous = current;
  }
}

function perOp(before: CallCounts, after: CallCounts, ops: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, count] of Object.entries(after.counts)) {
    const delta = count - (before.counts[key] ?? 0);
    if (delta > 0) out[key] = Math.round((delta / ops) * 100) / 100;
  }
  return out;
}

function sorted(record: Record<string, number>): Array<[string, number]> {
  return Object.entries(record).sort(([a], [b]) => a.localeCompare(b));
}

function totalCalls(calls: Record<string, number> | undefined): number {
  return Object.values(calls ?? {}).reduce((sum, n) => sum + n, 0);
}

function describeCalls(calls: Record<string, number>): string {
  return `${fmt(totalCalls(calls), 2)} (${sorted(calls)
    .map(([key, n]) => `${n}x ${key}`)
    .join(', ')})`;
}

function median(runs: Measured[]): Measured {
  const byRate = [...runs].sort((a, b) => a.opsPerSec - b.opsPerSec);
  return byRate[Math.floor((byRate.length - 1) / 2)]!;
}

function errorsText(result: LatencySummary): string {
  return result.errors > 0 ? `  ERRORS ${result.errors} ${JSON.stringify(result.statuses)}` : '';
}

function fmt(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '-';
}

function machine(): Record<string, string | number> {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    node: proxyNode ? `${proxyVersion} (proxies), ${process.version} (app, load)` : process.version,
    date: new Date().toISOString(),
  };
}

function printTables(results: WorkloadResult[], targets: Target[], options: Options): void {
  const m = machine();
  const compared = targets.filter((t) => t.name !== 'passthrough');
  log(
    `\nscim-sidecar vs @fastify/http-proxy passthrough — ${m.cpus} x ${m.cpuModel}, node ${m.node}, ${m.date}`,
  );
  log(
    `full load: ${options.connections} connections, ${options.rounds} round(s) of ${options.seconds} s per target (median shown).`,
  );
  log(
    'ops: SCIM requests to the sidecar; for the passthrough, the same upstream calls sent through it one after the other.',
  );
  log('CPU µs/op: CPU time of the proxy process per operation; ratio = ops/s / passthrough ops/s.');
  log(
    'json-forward: Fastify + undici forwarding the same calls, parsing and re-serialising the JSON: the floor for any proxy that reads what it forwards.\n',
  );
  const rows: string[][] = [
    [
      'workload',
      'target',
      'upstream calls/op',
      'ops/s',
      'p50 ms',
      'p99 ms',
      'CPU µs/op',
      'ratio',
      '>= 0.85x',
    ],
  ];
  for (const r of results) {
    const pass = r.median.passthrough!;
    rows.push([
      `${r.id} ${r.title}`,
      'passthrough',
      fmt(totalCalls(r.calls.passthrough)),
      fmt(pass.opsPerSec, 0),
      fmt(pass.p50),
      fmt(pass.p99),
      fmt(pass.cpuMicrosPerOp, 0),
      '',
      '',
    ]);
    for (const t of compared) {
      const s = r.median[t.name]!;
      const ratio = s.opsPerSec / pass.opsPerSec;
      const verdict = t.kind === 'sidecar' ? (ratio >= 0.85 ? 'met' : 'NOT met') : '(floor)';
      rows.push([
        '',
        t.name,
        fmt(totalCalls(r.calls[t.name])),
        fmt(s.opsPerSec, 0),
        fmt(s.p50),
        fmt(s.p99),
        fmt(s.cpuMicrosPerOp, 0),
        `${fmt(ratio)}x`,
        verdict,
      ]);
    }
  }
  printRows(rows);
  if (!options.latency) return;
  log(
    `\nlatency at half of the sidecar's full load (open loop, the same ops/s on every target; ${options.rounds} round(s) of ${options.latencySeconds} s, the round with the median p99 shown), ms\n`,
  );
  const latencyRows: string[][] = [
    ['workload', 'ops/s', 'target', 'p50', 'p90', 'p99', 'added p50', 'added p99', '< 2 ms'],
  ];
  for (const r of results) {
    if (!r.half) continue;
    const pass = r.half.latency.passthrough!;
    latencyRows.push([
      r.id,
      String(r.half.rate),
      'passthrough',
      fmt(pass.p50),
      fmt(pass.p90),
      fmt(pass.p99),
      '',
      '',
      '',
    ]);
    for (const t of compared) {
      const s = r.half.latency[t.name]!;
      const added = s.p99 - pass.p99;
      const verdict = t.kind === 'sidecar' ? (added < 2 ? 'met' : 'NOT met') : '(floor)';
      latencyRows.push([
        '',
        '',
        t.name,
        fmt(s.p50),
        fmt(s.p90),
        fmt(s.p99),
        fmt(s.p50 - pass.p50),
        fmt(added),
        verdict,
      ]);
    }
  }
  printRows(latencyRows);
}

function printRows(rows: string[][]): void {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length)));
  for (const row of rows) {
    log(row.map((cell, c) => (c <= 1 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
  }
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Proxies first, the app last, so nothing in flight fails on a vanished app. */
async function stopAll(): Promise<void> {
  for (const child of [...children].reverse()) await child.stop().catch(() => child.kill());
}

process.on('SIGINT', () => {
  for (const child of children) child.kill();
  process.exit(130);
});

try {
  await main();
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  await stopAll();
}
