/**
 * kill -9 durability. The writer must be a separate process that dies for real, and it must run
 * the same code: the test transpiles src/idmap (and src/lib, which it imports) to plain ESM JavaScript with the TypeScript
 * compiler already in devDependencies (no type checking, a few milliseconds per file) and runs
 * fixtures/crash-writer.mjs on it with plain `node`. That works on every Node version without a
 * TypeScript loader. The in-process torn-line tests in file-store.test.ts cover the byte-level
 * cases; this one covers the promise: whatever put() or delete() resolved survives the kill.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileIdMapStore } from '../../../src/idmap/file-store.js';
import type { IdMapEntry } from '../../../src/idmap/types.js';
import { makeTempDir } from './helpers.js';

const sourceRoot = fileURLToPath(new URL('../../../src/', import.meta.url));
const writerScript = fileURLToPath(new URL('./fixtures/crash-writer.mjs', import.meta.url));
/** The folders the id map's modules come from, laid out as in src/ so relative imports resolve. */
const MODULE_DIRS = ['idmap', 'lib'];

async function transpileIdMapModules(outDir: string): Promise<void> {
  await writeFile(join(outDir, 'package.json'), '{ "type": "module" }\n');
  for (const folder of MODULE_DIRS) {
    await mkdir(join(outDir, folder));
    for (const file of await readdir(join(sourceRoot, folder))) {
      if (!file.endsWith('.ts')) continue;
      const source = await readFile(join(sourceRoot, folder, file), 'utf8');
      const { outputText } = ts.transpileModule(source, {
        fileName: file,
        compilerOptions: {
          module: ts.ModuleKind.ESNext,
          target: ts.ScriptTarget.ES2022,
          verbatimModuleSyntax: true,
        },
      });
      await writeFile(join(outDir, folder, file.replace(/\.ts$/, '.js')), outputText);
    }
  }
}

interface Observed {
  puts: Map<string, IdMapEntry>;
  deleteStarted: Set<string>;
  deleted: Set<string>;
}

/** Runs the writer until it has acknowledged `acks` writes, then SIGKILLs it. */
async function runAndKill(child: ChildProcess, acks: number): Promise<Observed> {
  const observed: Observed = { puts: new Map(), deleteStarted: new Set(), deleted: new Set() };
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('exit', (_code, signal) => resolve(signal)),
  );
  let count = 0;
  for await (const line of createInterface({ input: child.stdout! })) {
    const space = line.indexOf(' ');
    const [kind, rest] = [line.slice(0, space), line.slice(space + 1)];
    if (kind === 'put') {
      const entry = JSON.parse(rest) as IdMapEntry;
      observed.puts.set(entry.scimId, entry);
      count++;
    } else if (kind === 'del-start') observed.deleteStarted.add(rest);
    else if (kind === 'del') {
      observed.deleted.add(rest);
      count++;
    }
    if (count >= acks && child.exitCode === null) child.kill('SIGKILL');
  }
  const signal = await exited;
  if (signal !== 'SIGKILL') throw new Error(`writer exited on its own (${signal}): ${stderr}`);
  return observed;
}

describe('FileIdMapStore under kill -9', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let child: ChildProcess | undefined;

  beforeEach(async () => {
    ({ dir, cleanup } = await makeTempDir());
    await transpileIdMapModules(dir);
  });

  afterEach(async () => {
    if (child?.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await cleanup();
  });

  it('keeps every write whose promise resolved before the process was killed', async () => {
    const logPath = join(dir, 'data', 'idmap.jsonl');
    let observed: Observed | undefined;
    // Several rounds on the same log: each restart replays what the previous kill left behind.
    for (let round = 0; round < 3; round++) {
      child = spawn(process.execPath, [writerScript, join(dir, 'idmap'), logPath], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const round_ = await runAndKill(child, 400);
      observed = merge(observed, round_);

      // The dead writer's lock is stale, so this open takes it over.
      const store = await FileIdMapStore.open(logPath, { onWarning: () => {} });
      try {
        let checked = 0;
        for (const [scimId, entry] of observed.puts) {
          const found = await store.get('User', scimId);
          if (observed.deleted.has(scimId)) expect(found).toBeUndefined();
          else if (!observed.deleteStarted.has(scimId)) {
            expect(found).toEqual(entry);
            expect(await store.findByExternalId('User', entry.externalId!)).toEqual(entry);
            checked++;
          }
        }
        expect(checked).toBeGreaterThan(100);
        expect(observed.deleted.size).toBeGreaterThan(10);
      } finally {
        await store.close();
      }
    }
  }, 60_000);
});

function merge(previous: Observed | undefined, next: Observed): Observed {
  if (!previous) return next;
  return {
    puts: new Map([...previous.puts, ...next.puts]),
    deleteStarted: new Set([...previous.deleteStarted, ...next.deleteStarted]),
    deleted: new Set([...previous.deleted, ...next.deleted]),
  };
}
