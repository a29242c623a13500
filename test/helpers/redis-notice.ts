/**
 * Global setup of the integration tests: where the Redis suites will be skipped (or fail, under
 * REQUIRE_REDIS=1), one line, once per run, says why and what to install.
 */

import { probeRedisServer, redisSuitePolicy } from './redis-policy.js';

export default function setup(): void {
  const policy = redisSuitePolicy({ ...probeRedisServer(), env: process.env });
  if (policy.mode !== 'run') console.warn(policy.message);
}
