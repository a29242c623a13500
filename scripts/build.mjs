#!/usr/bin/env node
// Builds dist/ from src/ (tsc -p tsconfig.build.json) when src/ changed since the last build,
// saying what it does: `npm start` (prestart) and `npm ci` (prepare) run it.
//
//   node scripts/build.mjs                 build if needed; fails when it cannot
//   node scripts/build.mjs --if-possible   the same, but only a note, exit 0, where no build can
//                                          run: no src/ yet (the image's dependency layer) or no
//                                          TypeScript (npm ci --omit=dev)
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, statSync, utimesSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUTPUT = join(ROOT, 'dist', 'cli', 'main.js');
const INPUTS = ['src', 'tsconfig.json', 'tsconfig.build.json'];
const ifPossible = process.argv.includes('--if-possible');

const say = (line) => process.stderr.write(`scim-sidecar: ${line}\n`);

function newestMtime(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

function findTsc() {
  try {
    return createRequire(join(ROOT, 'package.json')).resolve('typescript/bin/tsc');
  } catch {
    return undefined;
  }
}

const missing = INPUTS.filter((input) => !existsSync(join(ROOT, input)));
if (missing.length > 0) {
  if (!ifPossible) {
    say(`cannot build: ${missing.join(', ')} missing`);
    process.exit(1);
  }
  say(`no ${missing.join(', ')} here yet: build skipped (\`npm run build\` builds dist/ once they are)`);
  process.exit(0);
}

const builtAt = existsSync(OUTPUT) ? statSync(OUTPUT).mtimeMs : 0;
// npm links the bin before `prepare` builds it, and only marks it executable if it was there:
// tsc writes 0644, so `npx scim-sidecar` would be refused.
const makeExecutable = () => chmodSync(OUTPUT, 0o755);

if (builtAt > 0 && builtAt >= Math.max(...INPUTS.map((input) => newestMtime(join(ROOT, input))))) {
  makeExecutable();
  say('dist/ is up to date');
  process.exit(0);
}

const tsc = findTsc();
if (tsc === undefined) {
  const hint = 'TypeScript is not installed (dev dependencies left out?)';
  if (!ifPossible) {
    say(`cannot build dist/: ${hint}; run \`npm ci\` first`);
    process.exit(1);
  }
  say(
    existsSync(OUTPUT)
      ? `${hint}: keeping the dist/ already built`
      : `${hint}: dist/ not built; \`npm ci && npm run build\` builds it`,
  );
  process.exit(0);
}

const started = Date.now();
say('building dist/ from src/ (tsc; about 10 s the first time)...');
const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
  cwd: ROOT,
  stdio: 'inherit',
});
if (result.status !== 0) {
  // tsc writes its output even with type errors: make sure the next run builds again.
  if (existsSync(OUTPUT)) utimesSync(OUTPUT, 0, 0);
  say(`build failed (tsc exit ${result.status ?? result.signal})`);
  process.exit(1);
}
makeExecutable();
say(`built dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s`);
