/**
 * `npm test` on a machine without redis-server: the Redis suites are skipped with one line
 * saying what to install, and the run passes; REQUIRE_REDIS=1 (CI) makes the same run fail.
 * vitest runs one Redis suite here as a child process, with a redis-server that does not exist.
 */

import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { start } from '../helpers/cli-process.js';

const VITEST = fileURLToPath(new URL('../../node_modules/vitest/vitest.mjs', import.meta.url));
const SUITE = 'test/integration/redis-lock.test.ts';

async function vitestWithoutRedis(env: NodeJS.ProcessEnv) {
  const run = start(process.execPath, [VITEST, 'run', '--project', 'integration', SUITE], {
    env: { REDIS_SERVER_BIN: '/nonexistent/redis-server', CI: '1', NO_COLOR: '1', ...env },
  });
  const { code } = await run.exited;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: colour codes, should any remain
  const output = `${run.stdout()}\n${run.stderr()}`.replace(/\u001b\[[0-9;]*m/g, '');
  return { code, output };
}

describe('Redis suites without redis-server', () => {
  it('are skipped with one line naming what to install; the run passes', async () => {
    const { code, output } = await vitestWithoutRedis({ REQUIRE_REDIS: '' });
    expect(code, output).toBe(0);
    const lines = output.split('\n').filter((line) => line.startsWith('Redis suites skipped'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('apt-get install redis-server');
    expect(output).toMatch(/Tests\s+\d+ skipped/);
  }, 60_000);

  it('fail under REQUIRE_REDIS=1, saying what is missing', async () => {
    const { code, output } = await vitestWithoutRedis({ REQUIRE_REDIS: '1' });
    expect(code).toBe(1);
    expect(output).toContain('REQUIRE_REDIS=1 but redis-server cannot run');
  }, 60_000);
});
