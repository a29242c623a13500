import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { redisSuitePolicy } from '../../helpers/redis-policy.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('Redis suites on a machine without redis-server', () => {
  it('run where redis-server answers', () => {
    expect(redisSuitePolicy({ installed: true, probe: 'Redis server v=7.0.15', env: {} })).toEqual({
      mode: 'run',
    });
  });

  it('are skipped with one line naming what to install and how to make it an error', () => {
    const policy = redisSuitePolicy({ installed: false, probe: 'spawnSync redis-server ENOENT', env: {} });
    expect(policy.mode).toBe('skip');
    const line = policy.mode === 'skip' ? policy.message : '';
    expect(line).not.toContain('\n');
    expect(line).toContain('redis-server');
    expect(line).toContain('apt-get install redis-server');
    expect(line).toContain('REDIS_SERVER_BIN');
    expect(line).toContain('REQUIRE_REDIS=1');
  });

  it('fail instead when REQUIRE_REDIS=1 (CI), saying what to install', () => {
    const policy = redisSuitePolicy({
      installed: false,
      probe: 'spawnSync redis-server ENOENT',
      env: { REQUIRE_REDIS: '1' },
    });
    expect(policy.mode).toBe('fail');
    expect(policy.mode === 'fail' ? policy.message : '').toContain('apt-get install redis-server');
  });

  it('every suite that starts a redis-server goes through describeWithRedis', () => {
    const startsRedis =
      /import\s*\{[^}]*\bstartRedisServer\b[^}]*\}\s*from\s*'[./]*helpers\/redis-server\.js'/;
    const users = testFiles(join(ROOT, 'test')).filter((file) =>
      startsRedis.test(readFileSync(file, 'utf8')),
    );
    expect(users.length).toBeGreaterThanOrEqual(4);
    for (const file of users) {
      const source = readFileSync(file, 'utf8');
      const name = relative(ROOT, file);
      expect(source, `${name} declares its suites with describeWithRedis`).toMatch(/describeWithRedis\b/);
      expect(source, `${name}: a plain describe( would fail without redis-server`).not.toMatch(
        /(^|[^.\w])describe(\.each|\.skip|\.only)?\(/m,
      );
    }
  });
});
