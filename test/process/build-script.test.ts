/**
 * scripts/build.mjs, which `npm ci` (prepare) and `npm start` (prestart) run: it says what it
 * does, builds only when src/ changed, and where no build can run (the image's dependency layer,
 * `npm ci --omit=dev`) it explains instead of failing the install.
 */

import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, start } from '../helpers/cli-process.js';

const dirs: string[] = [];

/** A package directory with scripts/build.mjs and what `files` names, nothing else. */
function project(files: Record<string, string>, options: { typescript?: boolean } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'scim-sidecar-build-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'scripts'));
  cpSync(join(ROOT, 'scripts/build.mjs'), join(dir, 'scripts/build.mjs'));
  writeFileSync(join(dir, 'package.json'), '{"name":"p","type":"module"}\n');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  if (options.typescript) symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

const SOURCES = {
  'tsconfig.json': JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'NodeNext', strict: true, types: ['node'], noEmit: true },
  }),
  'tsconfig.build.json': JSON.stringify({
    extends: './tsconfig.json',
    include: ['src/**/*.ts'],
    compilerOptions: { noEmit: false, rootDir: 'src', outDir: 'dist' },
  }),
  'src/cli/main.ts': "export const greeting: string = 'hello';\n",
};

async function build(dir: string, ...args: string[]) {
  const run = start(process.execPath, ['scripts/build.mjs', ...args], { cwd: dir });
  const { code } = await run.exited;
  return { code, output: run.stderr() + run.stdout() };
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('scripts/build.mjs', () => {
  it('says it builds, and how long it took; then builds only after a change to src/', async () => {
    const dir = project(SOURCES, { typescript: true });
    const first = await build(dir);
    expect(first.code, first.output).toBe(0);
    expect(first.output).toMatch(
      /^scim-sidecar: building dist\/ from src\/ \(tsc; about 10 s the first time\)\.\.\.$/m,
    );
    expect(first.output).toMatch(/^scim-sidecar: built dist\/ in [\d.]+ s$/m);

    const second = await build(dir);
    expect(second).toEqual({ code: 0, output: 'scim-sidecar: dist/ is up to date\n' });

    const later = new Date(Date.now() + 5_000);
    utimesSync(join(dir, 'src/cli/main.ts'), later, later);
    expect((await build(dir)).output).toContain('built dist/ in');
  }, 60_000);

  it('fails on a type error, and builds again next time', async () => {
    const dir = project(
      { ...SOURCES, 'src/cli/main.ts': 'export const n: number = "x";\n' },
      { typescript: true },
    );
    const first = await build(dir);
    expect(first.code).toBe(1);
    expect(first.output).toContain('build failed');
    expect((await build(dir)).output).toContain('building dist/');
  }, 60_000);

  it('--if-possible, before src/ is there (the image installs first): a note, exit 0', async () => {
    const result = await build(project({}), '--if-possible');
    expect(result.code).toBe(0);
    expect(result.output).toContain('build skipped (`npm run build` builds dist/ once they are)');
  });

  it('without TypeScript (npm ci --omit=dev): a note with --if-possible, otherwise exit 1 naming npm ci', async () => {
    const dir = project(SOURCES);
    const lenient = await build(dir, '--if-possible');
    expect(lenient.code).toBe(0);
    expect(lenient.output).toContain('TypeScript is not installed');
    const strict = await build(dir);
    expect(strict.code).toBe(1);
    expect(strict.output).toContain('run `npm ci` first');
  });

  it('is what npm ci and npm start run', () => {
    const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(scripts.prepare).toBe('node scripts/build.mjs --if-possible');
    expect(scripts.prestart).toBe('node scripts/build.mjs');
    // exec: npm's signals reach the server itself, not a shell in between.
    expect(scripts.start).toBe('exec node dist/cli/main.js demo');
  });
});
