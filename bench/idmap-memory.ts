/**
 * RSS of a process holding 1 million id map entries through `IdMap` (default 10 000-entry
 * cache), once per store, each in a fresh process:
 *   memory       MemoryIdMapStore, entries put one by one
 *   file         FileIdMapStore, entries put in concurrent batches (group commit), as a live
 *                sidecar would write them
 *   file-reopen  FileIdMapStore opened from that log: what a restarted sidecar holds
 *
 *   npm run bench -- --idmap-memory [--entries N]
 *   node --expose-gc bench/dist/bench/idmap-memory.js [--entries N]   (after tsc -p bench/tsconfig.json)
 *
 * Entries look like Entra's: a random UUID SCIM id, a numeric app id, a GUID externalId, two
 * timestamps.
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FileIdMapStore } from '../src/idmap/file-store.js';
import { IdMap } from '../src/idmap/id-map.js';
import { MemoryIdMapStore } from '../src/idmap/memory-store.js';
import type { IdMapEntry, IdMapStore } from '../src/idmap/types.js';
import { benchScript } from './paths.js';

type Case = 'memory' | 'file' | 'file-reopen';
const CASES: Case[] = ['memory', 'file', 'file-reopen'];
const LIMIT_MB = 300;

interface CaseResult {
  case: Case;
  entries: number;
  baselineRss: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  seconds: number;
  logBytes?: number;
}

function option(argv: string[], name: string): string | undefined {
  const index = argv.indexOf(name);
  return index === -1 ? undefined : argv[index + 1];
}

function entryFor(i: number, base: number): IdMapEntry {
  const at = new Date(base + i * 1000).toISOString();
  return {
    resourceType: 'User',
    scimId: randomUUID(),
    appId: String(100_000 + i),
    externalId: randomUUID(),
    created: at,
    lastModified: at,
    version: 1,
  };
}

function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  gc();
  gc();
}

async function measure(which: Case, entries: number, path: string): Promise<CaseResult> {
  collect();
  const baselineRss = process.memoryUsage().rss;
  const started = performance.now();
  let store: IdMapStore;
  if (which === 'memory') store = new MemoryIdMapStore();
  else store = await FileIdMapStore.open(path, { onWarning: () => undefined });
  const idMap = new IdMap(store);
  const base = Date.UTC(2024, 0, 1);
  if (which === 'memory') {
    for (let i = 0; i < entries; i++) await idMap.put(entryFor(i, base));
  } else if (which === 'file') {
    const batch = 5000;
    for (let i = 0; i < entries; i += batch) {
      const puts: Array<Promise<void>> = [];
      for (let j = i; j < Math.min(entries, i + batch); j++) puts.push(idMap.put(entryFor(j, base)));
      await Promise.all(puts);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const size = await idMap.size('User');
  if (size !== entries) throw new Error(`expected ${entries} entries, the store holds ${size}`);
  if (!(await idMap.findByAppId('User', String(100_000 + Math.floor(entries / 2))))) {
    throw new Error('lookup by app id failed');
  }
  // Let V8 give back the pages the load's garbage used, as it does in a process left running.
  collect();
  await new Promise((resolve) => setTimeout(resolve, 3000));
  collect();
  const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
  await idMap.close();
  const result: CaseResult = {
    case: which,
    entries,
    baselineRss,
    rss,
    heapUsed,
    heapTotal,
    external,
    seconds,
  };
  if (which !== 'memory') result.logBytes = statSync(path).size;
  return result;
}

function runCase(which: Case, entries: number, path: string): Promise<CaseResult> {
  const child = fork(
    benchScript('idmap-memory.js'),
    ['--case', which, '--entries', String(entries), '--path', path],
    {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  return new Promise((resolve, reject) => {
    child.once('message', (message: CaseResult) => resolve(message));
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`${which}: exited with ${code}`));
    });
  });
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

export async function runIdMapMemory(argv: string[]): Promise<void> {
  const entries = Number(option(argv, '--entries') ?? 1_000_000);
  const dir = mkdtempSync(join(tmpdir(), 'scim-sidecar-idmap-'));
  const path = join(dir, 'idmap.jsonl');
  let failed = false;
  try {
    process.stdout.write(
      `id map RSS with ${entries.toLocaleString('en-US')} User entries (target <= ${LIMIT_MB} MB)\n\n`,
    );
    process.stdout.write(
      'store        load s   RSS MB  (baseline)  heapUsed MB  heapTotal MB  bytes/entry  log MB  target\n',
    );
    for (const which of CASES) {
      const r = await runCase(which, entries, path);
      const perEntry = (r.rss - r.baselineRss) / r.entries;
      const met = r.rss / 1024 / 1024 <= LIMIT_MB;
      if (!met) failed = true;
      process.stdout.write(
        `${which.padEnd(11)}  ${r.seconds.toFixed(1).padStart(6)}  ${mb(r.rss).padStart(7)}  (${mb(r.baselineRss).padStart(6)})  ${mb(r.heapUsed).padStart(11)}  ${mb(r.heapTotal).padStart(12)}  ${perEntry.toFixed(0).padStart(11)}  ${(r.logBytes === undefined ? '-' : mb(r.logBytes)).padStart(6)}  ${met ? 'met' : 'NOT met'}\n`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (failed) process.exitCode = 1;
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const argv = process.argv.slice(2);
  const which = option(argv, '--case') as Case | undefined;
  if (which) {
    const result = await measure(which, Number(option(argv, '--entries')), option(argv, '--path') ?? '');
    process.send?.(result, () => process.exit(0));
  } else {
    await runIdMapMemory(argv);
  }
}
