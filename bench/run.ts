/**
 * `npm run bench`: scim-sidecar against a plain @fastify/http-proxy passthrough, both in front of
 * the same in-memory legacy app, for workloads W1–W7; then the p99 latency the sidecar adds at
 * half of its full load. See bench/RESULTS.md.
 *
 * The sidecar runs as users run it (bench/sidecar.ts): `serve`'s config path, the file id map
 * store, logging at `info` and the audit trail on its standard output, which goes to a file.
 * Every target's records are seeded directly (bench/seed.ts): in the app's store, and for a
 * sidecar in the id map log it opens at start.
 *
 * A third target, json-forward (bench/json-forward.ts), forwards the passthrough's calls but parses
 * and re-serialises their JSON: the floor for any proxy that reads what it forwards.
 *
 * Processes: the legacy app, the passthrough and the sidecar each run in their own process
 * (forked, driven over IPC); autocannon runs in this one. Only one proxy is under load at a time,
 * and the order rotates between rounds so no side always runs on a warmer or quieter machine.
 *
 *   npm run bench                         full run (about 20 minutes on 2 cores)
 *   npm run bench -- --quick              smoke test (about 20 s): every workload on every target, exits
 *                                         non-zero on errors or on app calls other than the fewest the
 *                                         demo mapping allows, never on speed
 *   npm run bench -- --only W1,W3         some workloads
 *   npm run bench -- --big-groups         one sidecar, big groups: a PATCH adding 15 000 members, GET of a
 *                                         100 000-member group, add-member latency at 10 vs 10 000
 *                                         members (bench/big-groups.ts)
 *   npm run bench -- --profile            proxies run with --cpu-prof (bench/dist/profiles)
 *   npm run bench -- --compare DIR        also a second sidecar built elsewhere (DIR/bench/sidecar.js,
 *                                         e.g. a copy of bench/dist made before a change), same run;
 *                                         --compare-name NAME labels it (default "compare"); its app
 *                                         calls may differ from the others' and are reported
 *   npm run bench -- --node PATH          run the proxies on another Node binary (e.g. 24, as in the
 *                                         Docker image); the app and autocannon stay on this one
 *   npm run bench -- --sidecar-flags "--max-semi-space-size=32"   Node flags for the sidecar(s)
 *   npm run bench -- --soak 10            sidecar RSS over 10 minutes of mixed load
 *   npm run bench -- --idmap-memory       RSS with 1 million id map entries (bench/idmap-memory.ts)
 *   sidecar setup: --log-level LEVEL (info) --audit stdout|off (stdout) --admin on|off (off), and for
 *                  the --compare sidecar --compare-log-level, --compare-audit, --compare-admin (default:
 *                  the same; with --compare bench/dist, the same build: what logging or the console costs)
 *                  --sidecar-log FILE|/dev/null (default: sidecar.log in the run's temp dir) --keep
 *   sizes: --users N --groups N (W4) --crowd N (W6, W7 members) --w6-groups N --w7-groups N
 *          --w7-size N (members per W7 group at the start)
 *   more: --duration S --warmup S --rounds N --connections N --latency-duration S --no-latency
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type BenchChild, type CallCounts, BenchChild as Child } from './ipc.js';
import { type LatencySummary, paced, runOps, saturate, type ThroughputResult } from './load.js';
import {
  benchScript,
  DEMO_MAPPING,
  OUT_DIR,
  preparePackageRoot,
  supportedNodeRange,
  unsupportedNode,
} from './paths.js';
import {
  IdMapLogWriter,
  type SeedSizes,
  type SidecarFiles,
  type SidecarSettings,
  seedTarget,
  sidecarFiles,
  writeSidecarConfig,
} from './seed.js';
import { runSoak } from './soak.js';
import {
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
  sizes: SeedSizes;
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
  bigGroups: boolean;
  settings: SidecarSettings;
  /** The `--compare` sidecar's (`--compare-log-level`, `--compare-audit`); default: `settings`. */
  compareSettings: SidecarSettings;
  /** Where the sidecar's standard output goes; undefined: sidecar.log in its temp dir. */
  sidecarLog: string | undefined;
  /** Keep the run's temp dir (configs, id map logs, sidecar logs). */
  keep: boolean;
}

const LOG_LEVELS: SidecarSettings['level'][] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

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
  const settings = (prefix: string, fallback: SidecarSettings): SidecarSettings => {
    const level = (value(`--${prefix}log-level`) ?? fallback.level) as SidecarSettings['level'];
    if (!LOG_LEVELS.includes(level))
      throw new Error(`--${prefix}log-level must be one of ${LOG_LEVELS.join(', ')}`);
    const audit = (value(`--${prefix}audit`) ?? fallback.audit) as SidecarSettings['audit'];
    if (audit !== 'stdout' && audit !== 'off') throw new Error(`--${prefix}audit must be stdout or off`);
    const admin = value(`--${prefix}admin`) ?? (fallback.admin ? 'on' : 'off');
    if (admin !== 'on' && admin !== 'off') throw new Error(`--${prefix}admin must be on or off`);
    return { level, audit, admin: admin === 'on' };
  };
  const main = settings('', { level: 'info', audit: 'stdout', admin: false });
  return {
    quick,
    seconds: number('--duration', quick ? 0.3 : 10),
    warmup: number('--warmup', quick ? 0 : 2, true),
    rounds: number('--rounds', quick ? 1 : 3),
    connections: number('--connections', 32),
    sizes: {
      users: number('--users', quick ? 100 : 1000),
      groups: number('--groups', quick ? 50 : 2000),
      crowd: number('--crowd', quick ? 2000 : 40_000),
      growingGroups: number('--w6-groups', quick ? 2 : 4),
      bigGroups: number('--w7-groups', quick ? 2 : 16),
      bigGroupSize: number('--w7-size', quick ? 1000 : 10_000, true),
    },
    only: only as WorkloadId[],
    latency: !argv.includes('--no-latency'),
    latencySeconds: number('--latency-duration', quick ? 0.3 : 5),
    profile: argv.includes('--profile'),
    compare: compare === undefined ? undefined : resolve(compare),
    compareName: value('--compare-name') ?? 'compare',
    node: value('--node'),
    sidecarFlags: value('--sidecar-flags')?.split(/\s+/).filter(Boolean) ?? [],
    soakMinutes: soak === undefined ? undefined : number('--soak', 10),
    idmapMemory: argv.includes('--idmap-memory'),
    bigGroups: argv.includes('--big-groups'),
    settings: main,
    compareSettings: settings('compare-', main),
    sidecarLog: value('--sidecar-log'),
    keep: argv.includes('--keep'),
  };
}

/** A proxy under test: its process and the records seeded for it. */
interface Target {
  name: string;
  kind: Kind;
  child: BenchChild;
  pools: Pools;
  /** A sidecar built elsewhere (`--compare`): its app calls are reported, not checked. */
  compare: boolean;
  /** A sidecar's files; `log` is where its output goes, unless that is /dev/null. */
  files?: SidecarFiles;
  logToFile?: boolean;
}

/** A full-load run, with the CPU time the proxy under test spent per operation. */
interface Measured extends ThroughputResult {
  cpuMicrosPerOp: number;
  /** The kernel's part of it (socket writes, fsync). */
  cpuSystemMicrosPerOp: number;
  /** Bytes the sidecar logged per operation (log and audit trail), when it logs to a file. */
  logBytesPerOp?: number;
}

interface WorkloadResult {
  id: WorkloadId;
  title: string;
  /** The fewest app calls per operation on the demo mapping (what the baseline sends). */
  minCalls: number;
  /** Per target, where its stream got to (group sizes), when the workload says. */
  status: Record<string, string>;
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
  proxyNode = options.node;
  if (proxyNode) proxyVersion = execFileSync(proxyNode, ['--version'], { encoding: 'utf8' }).trim();
  const unsupported = unsupportedNode(proxyVersion, supportedNodeRange());
  if (unsupported) log(`warning: ${unsupported}`);
  runDir = mkdtempSync(join(tmpdir(), 'scim-sidecar-bench-'));
  keepRunDir = options.keep;

  const app = await start('legacy app', benchScript('legacy-app.js'), ['--api-key', apiKey]);
  /** A sidecar started from its own config, id map and log, in `runDir`/`label`. */
  const sidecar = async (
    name: string,
    label: string,
    script: string,
    seed: (log: IdMapLogWriter) => Promise<void>,
    settings: SidecarSettings = options.settings,
  ): Promise<{ child: BenchChild; files: SidecarFiles; logToFile: boolean }> => {
    const files = sidecarFiles(runDir!, label);
    const idMapLog = new IdMapLogWriter(files.idMap);
    await seed(idMapLog);
    idMapLog.flush();
    writeSidecarConfig(files, {
      upstream: app.url,
      apiKey,
      token: scimToken,
      mapping: DEMO_MAPPING,
      settings,
    });
    const logPath = options.sidecarLog ?? files.log;
    const fd = openSync(logPath, 'a');
    try {
      const child = await start(
        name,
        script,
        ['--config', files.config],
        [...profileArgs, ...options.sidecarFlags],
        proxyNode,
        fd,
      );
      const logToFile = logPath !== '/dev/null';
      if (logToFile) files.log = logPath;
      return { child, files, logToFile };
    } finally {
      closeSync(fd);
    }
  };

  if (options.bigGroups) {
    const { runBigGroups } = await import('./big-groups.js');
    await runBigGroups(process.argv.slice(2), {
      app,
      runId,
      scimToken,
      sidecar,
      sidecarScript: benchScript('sidecar.js'),
      describe: machine,
    });
    return;
  }

  const base = { runId, scimToken, apiKey };
  const started = performance.now();
  /** A proxy that forwards the app's own calls, with records of its own seeded in the app. */
  const forwarder = async (name: string, script: string, label: string): Promise<Target> => {
    const child = await start(name, benchScript(script), ['--upstream', app.url], profileArgs, proxyNode);
    const pool = await seedTarget(app, `${label}.${runId}`, options.sizes);
    return { name, kind: 'passthrough', child, pools: { ...base, label, pool }, compare: false };
  };
  const passthrough = await forwarder('passthrough', 'passthrough.js', 'pt');
  const targets: Target[] = [passthrough];
  const sidecars: Array<[string, string, string]> = [['sidecar', 'sc', benchScript('sidecar.js')]];
  if (options.compare) sidecars.push([options.compareName, 'cmp', `${options.compare}/bench/sidecar.js`]);
  for (const [name, label, script] of sidecars) {
    let pool: Pools['pool'] | undefined;
    const { child, files, logToFile } = await sidecar(
      name,
      label,
      script,
      async (log) => {
        pool = await seedTarget(app, `${label}.${runId}`, options.sizes, log);
      },
      label === 'cmp' ? options.compareSettings : options.settings,
    );
    targets.push({
      name,
      kind: 'sidecar',
      child,
      pools: { ...base, label, pool: pool! },
      compare: label === 'cmp',
      files,
      logToFile,
    });
  }
  // Last, so the sidecar stays targets[1]: the floor for a proxy that parses and re-serialises.
  targets.push(await forwarder('json-forward', 'json-forward.js', 'jf'));
  log(
    `legacy app ${app.url} (pid ${app.pid}); ${targets.map((t) => `${t.name} ${t.child.url} (pid ${t.child.pid})`).join('; ')}`,
  );
  const { sizes } = options;
  log(
    `seeded per target in ${fmt((performance.now() - started) / 1000, 1)} s: ${sizes.users} users, ${sizes.groups} groups (W4), ${sizes.crowd} users to add as members (W6, W7), ${sizes.growingGroups} empty groups (W6), ${sizes.bigGroups} groups of ${Math.min(sizes.bigGroupSize, sizes.crowd)} members (W7)`,
  );
  log(
    `sidecar: file id map store, ${describeSettings(options.settings)}, output to ${options.sidecarLog ?? 'sidecar.log'} (run dir ${runDir})`,
  );
  if (options.compare) log(`${options.compareName}: ${describeSettings(options.compareSettings)}`);
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
    const workloadStarted = performance.now();
    log(`\n${id} ${workload.title}`);
    const streams = new Map<Target, OpStream>(targets.map((t) => [t, workload.stream(t.kind, t.pools)]));

    // Calibration: what each target makes the app receive per operation.
    const calls: Record<string, Record<string, number>> = {};
    const calibrationOps = options.quick ? 10 : 40;
    for (const target of targets) {
      const before = await settled(app, options.quick ? 50 : 100);
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
    const checked = targets.filter((t) => !t.compare);
    const signatures = new Set(checked.map((t) => JSON.stringify(sorted(calls[t.name]!))));
    const sameCalls = signatures.size === 1;
    if (!sameCalls) {
      failed = true;
      log(
        `  MISMATCH: the targets do not make the same upstream calls (the fewest on the demo mapping: ${workload.minCalls} per operation)`,
      );
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
        const cpuBefore = await target.child.ask({ type: 'memory' });
        const logBefore = logSize(target);
        const run = await saturate(target.child.url, stream, {
          seconds: options.seconds,
          connections: options.connections,
        });
        const cpuAfter = await target.child.ask({ type: 'memory' });
        const ops = Math.max(1, run.ops);
        const result: Measured = {
          ...run,
          cpuMicrosPerOp: (cpuAfter.cpuMicros - cpuBefore.cpuMicros) / ops,
          cpuSystemMicrosPerOp: (cpuAfter.cpuSystemMicros - cpuBefore.cpuSystemMicros) / ops,
        };
        if (logBefore !== undefined) result.logBytesPerOp = (logSize(target)! - logBefore) / ops;
        runs[target.name]!.push(result);
        const logText =
          result.logBytesPerOp === undefined ? '' : `  log ${fmt(result.logBytesPerOp, 0)} B/op`;
        log(
          `  round ${round + 1} ${target.name.padEnd(11)} ${fmt(result.opsPerSec, 0).padStart(7)} ops/s  p50 ${fmt(result.p50)} ms  p99 ${fmt(result.p99)} ms  proxy CPU ${fmt(result.cpuMicrosPerOp, 0)} µs/op (kernel ${fmt(result.cpuSystemMicrosPerOp, 0)})${logText}${errorsText(result)}`,
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
    const status: Record<string, string> = {};
    for (const target of targets) {
      const text = streams.get(target)!.status?.();
      if (text === undefined) continue;
      status[target.name] = text;
      log(`  ${target.name}: ${text}`);
    }
    log(
      `  (${fmt((performance.now() - workloadStarted) / 1000, 1)} s; load average ${fmt(loadavg()[0]!)} over the last minute)`,
    );
    // Unless --keep, the sidecar's log is emptied after each workload: a full run writes gigabytes.
    if (!options.keep) for (const target of targets) if (target.logToFile) truncateSync(target.files!.log, 0);
    results.push({
      id,
      title: workload.title,
      minCalls: workload.minCalls,
      status,
      calls,
      sameCalls,
      runs,
      median: medians,
      half,
    });
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
/** This run's temp dir: each sidecar's config, id map log and output. */
let runDir: string | undefined;
let keepRunDir = false;

async function start(
  name: string,
  script: string,
  args: string[],
  execArgv: string[] = [],
  node?: string,
  stdout?: number,
): Promise<BenchChild> {
  const child = await Child.start(name, script, args, {
    execArgv,
    ...(node ? { execPath: node } : {}),
    ...(stdout === undefined ? {} : { stdout }),
  });
  children.push(child);
  return child;
}

function describeSettings(settings: SidecarSettings): string {
  return `logging at ${settings.level}, audit trail ${settings.audit === 'off' ? 'off' : 'on standard output'}, admin console ${settings.admin ? 'on' : 'off'}`;
}

/** Bytes in the target's log file so far; undefined when it does not log to a file. */
function logSize(target: Target): number | undefined {
  return target.logToFile ? statSync(target.files!.log).size : undefined;
}

/**
 * The app's counts once nothing is in flight: a proxy still finishes the operations of a run that
 * autocannon has stopped, and those calls must not be charged to the next calibration.
 */
async function settled(app: BenchChild, quietMs: number): Promise<CallCounts> {
  let previous = await app.ask({ type: 'counts' });
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, quietMs));
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
    loadAverage: loadavg()
      .map((n) => n.toFixed(2))
      .join(' '),
  };
}

function printTables(results: WorkloadResult[], targets: Target[], options: Options): void {
  const m = machine();
  const compared = targets.filter((t) => t.name !== 'passthrough');
  log(
    `\nscim-sidecar vs @fastify/http-proxy passthrough — ${m.cpus} x ${m.cpuModel}, node ${m.node}, ${m.date}, load average ${m.loadAverage}`,
  );
  log(
    `full load: ${options.connections} connections, ${options.rounds} round(s) of ${options.seconds} s per target (median shown).`,
  );
  const unsupported = unsupportedNode(proxyVersion, supportedNodeRange());
  if (unsupported) log(`warning: ${unsupported}.`);
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
      'log B/op',
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
        s.logBytesPerOp === undefined ? '' : fmt(s.logBytesPerOp, 0),
        `${fmt(ratio)}x`,
        verdict,
      ]);
    }
  }
  printRows(rows);
  printSummary(results, targets);
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

/**
 * The issue's table: per workload, each sidecar's throughput as a multiple of the passthrough's
 * (which makes the fewest app calls the demo mapping allows) and the app calls it made per
 * operation. Then the add-member PATCH's median at 10 000 members against small groups.
 */
function printSummary(results: WorkloadResult[], targets: Target[]): void {
  const sidecars = targets.filter((t) => t.kind === 'sidecar');
  log(
    '\nsummary: throughput as a multiple of the passthrough making the fewest app calls, and app calls per SCIM operation\n',
  );
  const header = ['workload', 'fewest calls'];
  for (const t of sidecars) header.push(`${t.name} x passthrough`, `${t.name} app calls/op`);
  const rows: string[][] = [header];
  for (const r of results) {
    const pass = r.median.passthrough!;
    const row = [`${r.id} ${r.title}`, String(r.minCalls)];
    for (const t of sidecars) {
      row.push(`${fmt(r.median[t.name]!.opsPerSec / pass.opsPerSec)}x`, fmt(totalCalls(r.calls[t.name]), 2));
    }
    rows.push(row);
  }
  printRows(rows);
  const small = results.find((r) => r.id === 'W4');
  const big = results.find((r) => r.id === 'W7');
  if (!small || !big) return;
  for (const t of sidecars) {
    const full = `full load ${fmt(big.median[t.name]!.p50)} ms vs ${fmt(small.median[t.name]!.p50)} ms (${fmt(big.median[t.name]!.p50 / small.median[t.name]!.p50)}x)`;
    const bigHalf = big.half?.latency[t.name];
    const smallHalf = small.half?.latency[t.name];
    const half =
      bigHalf && smallHalf
        ? `; half load ${fmt(bigHalf.p50)} ms vs ${fmt(smallHalf.p50)} ms (${fmt(bigHalf.p50 / smallHalf.p50)}x)`
        : '';
    log(`\n${t.name}: add-member PATCH p50, W7 (10 000-member groups) vs W4 (small groups): ${full}${half}`);
  }
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
  if (runDir === undefined) return;
  if (keepRunDir) log(`kept ${runDir} (configs, id map logs, sidecar logs)`);
  else rmSync(runDir, { recursive: true, force: true });
}

process.on('SIGINT', () => {
  for (const child of children) child.kill();
  if (runDir !== undefined && !keepRunDir) rmSync(runDir, { recursive: true, force: true });
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
