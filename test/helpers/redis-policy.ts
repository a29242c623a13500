/**
 * Whether the Redis suites run here: redis-server installed, or skipped with one line saying
 * what to install, or (REQUIRE_REDIS=1, as in CI) a failure. No vitest import: the integration
 * tests' global setup uses it too.
 */

import { spawnSync } from 'node:child_process';

export const REDIS_SERVER_BIN = process.env.REDIS_SERVER_BIN ?? 'redis-server';

export const INSTALL_HINT =
  'install Redis (`apt-get install redis-server`, `brew install redis`) or set REDIS_SERVER_BIN to its path';

export type RedisSuitePolicy =
  | { mode: 'run' }
  | { mode: 'skip'; message: string }
  | { mode: 'fail'; message: string };

/**
 * What a Redis suite does here: run; be skipped, with one line naming what to install; or fail
 * with the same advice when REQUIRE_REDIS=1 says that Redis must be there.
 */
export function redisSuitePolicy(options: {
  installed: boolean;
  /** What `redis-server --version` printed or the error it gave. */
  probe: string;
  env: NodeJS.ProcessEnv;
}): RedisSuitePolicy {
  if (options.installed) return { mode: 'run' };
  const why = `"${REDIS_SERVER_BIN} --version" failed (${options.probe.trim().split('\n')[0]})`;
  if (options.env.REQUIRE_REDIS === '1') {
    return {
      mode: 'fail',
      message: `REQUIRE_REDIS=1 but redis-server cannot run: ${why}. The Redis suites need it: ${INSTALL_HINT}.`,
    };
  }
  return {
    mode: 'skip',
    message:
      `Redis suites skipped: redis-server is not installed, ${why}. To run them, ${INSTALL_HINT}; ` +
      'REQUIRE_REDIS=1 turns this skip into a failure.',
  };
}

let probed: { installed: boolean; probe: string } | undefined;

/** Runs `redis-server --version` once per process. */
export function probeRedisServer(): { installed: boolean; probe: string } {
  if (probed) return probed;
  const run = spawnSync(REDIS_SERVER_BIN, ['--version'], { encoding: 'utf8' });
  const installed = run.error === undefined && run.status === 0;
  probed = { installed, probe: run.error?.message ?? (installed ? run.stdout : run.stderr || run.stdout) };
  return probed;
}
