/**
 * Whether the admin console's browser suite runs here: Chromium installed, or skipped with one
 * line saying what to install, or (REQUIRE_BROWSER=1, as in CI) a failure. Mirrors the Redis
 * policy. No vitest import: the browser project's global setup uses it too.
 */

import { spawnSync } from 'node:child_process';

export const CHROMIUM_BIN = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

export const BROWSER_INSTALL_HINT =
  "install Debian's Chromium (`apt-get install chromium`) or set CHROMIUM_BIN to a Chromium or Chrome executable";

export type BrowserSuitePolicy =
  | { mode: 'run' }
  | { mode: 'skip'; message: string }
  | { mode: 'fail'; message: string };

export function browserSuitePolicy(options: {
  installed: boolean;
  probe: string;
  env: NodeJS.ProcessEnv;
}): BrowserSuitePolicy {
  if (options.installed) return { mode: 'run' };
  const why = `"${CHROMIUM_BIN} --version" failed (${options.probe.trim().split('\n')[0]})`;
  if (options.env.REQUIRE_BROWSER === '1') {
    return {
      mode: 'fail',
      message: `REQUIRE_BROWSER=1 but Chromium cannot run: ${why}. The admin console's browser suite needs it: ${BROWSER_INSTALL_HINT}.`,
    };
  }
  return {
    mode: 'skip',
    message:
      `Admin console browser suite skipped: Chromium is not installed, ${why}. To run it, ${BROWSER_INSTALL_HINT}; ` +
      'REQUIRE_BROWSER=1 turns this skip into a failure.',
  };
}

let probed: { installed: boolean; probe: string } | undefined;

/** Runs `chromium --version` once per process. */
export function probeChromium(): { installed: boolean; probe: string } {
  if (probed) return probed;
  const run = spawnSync(CHROMIUM_BIN, ['--version'], { encoding: 'utf8' });
  const installed = run.error === undefined && run.status === 0;
  probed = { installed, probe: run.error?.message ?? (installed ? run.stdout : run.stderr || run.stdout) };
  return probed;
}
