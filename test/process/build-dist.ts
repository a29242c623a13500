/**
 * Global setup of the `process` tests, which start the built CLI (`dist/cli/main.js`) as a child
 * process: builds dist/ first when src/ changed since the last build, as `npm start` does.
 */

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export default function setup(): void {
  const build = spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) {
    throw new Error(`building dist/ for the process tests failed:\n${build.stdout}${build.stderr}`);
  }
}
