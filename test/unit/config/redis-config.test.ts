// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} is the config syntax under test
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, formatIssue } from '../../../src/config/config-error.js';
import { loadConfig } from '../../../src/config/load-config.js';

const VIRTUAL = resolve('/virtual/deploy/config.yaml');
const HASH = 'sha256:75c5c10f256c75b650c6ffc2e83c6588af02766efd2de28f4de34547006e8d1a';

function configWith(idMap: string): string {
  return [
    'auth:',
    '  bearer:',
    '    tokens:',
    `      - hash: "${HASH}"`,
    'upstream:',
    '  baseUrl: http://127.0.0.1:3000',
    'mapping: ./app.yaml',
    'idMap:',
    idMap,
  ].join('\n');
}

function rejection(text: string, env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    loadConfig(VIRTUAL, env, text);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected the config to be rejected');
}

describe('idMap.store: redis', () => {
  it('defaults the server to redis://127.0.0.1:6379 and the key prefix to scim-sidecar', () => {
    const config = loadConfig(VIRTUAL, {}, configWith('  store: redis'));
    expect(config.idMap.store).toBe('redis');
    expect(config.idMap.redis).toEqual({ url: 'redis://127.0.0.1:6379', keyPrefix: 'scim-sidecar' });
  });

  it('takes the password from the environment', () => {
    const text = configWith(
      [
        '  store: redis',
        '  redis:',
        '    url: redis://:${REDIS_PASSWORD}@redis.internal:6380/2',
        '    keyPrefix: tenant-a',
      ].join('\n'),
    );
    const config = loadConfig(VIRTUAL, { REDIS_PASSWORD: 'pa55word' }, text);
    expect(config.idMap.redis).toEqual({
      url: 'redis://:pa55word@redis.internal:6380/2',
      keyPrefix: 'tenant-a',
    });
  });

  it('has no redis settings for the other stores', () => {
    expect(loadConfig(VIRTUAL, {}, configWith('  store: memory')).idMap.redis).toBeUndefined();
    expect(loadConfig(VIRTUAL, {}, configWith('  store: file')).idMap.redis).toBeUndefined();
  });

  it('refuses a URL that is not redis:// or rediss://', () => {
    const error = rejection(configWith('  store: redis\n  redis:\n    url: http://127.0.0.1:6379'));
    expect(error.issues.map((i) => i.path)).toEqual(['idMap.redis.url']);
    expect(error.issues[0]?.fix).toMatch(/redis:\/\//);
  });

  it('refuses an unparsable URL without echoing it (it may hold the password)', () => {
    const error = rejection(
      configWith('  store: redis\n  redis:\n    url: "redis://:${REDIS_PASSWORD}@host:port-is-not-a-number"'),
      { REDIS_PASSWORD: 'topsecret' },
    );
    expect(error.issues.map((i) => i.path)).toEqual(['idMap.redis.url']);
    for (const issue of error.issues) expect(formatIssue(issue)).not.toContain('topsecret');
    expect(error.message).not.toContain('topsecret');
  });

  it('reports an unset REDIS_PASSWORD', () => {
    const error = rejection(
      configWith('  store: redis\n  redis:\n    url: redis://:${REDIS_PASSWORD}@redis:6379'),
    );
    expect(error.issues.map((i) => i.message)).toEqual(['environment variable REDIS_PASSWORD is not set']);
  });

  it('refuses unknown redis settings and an empty key prefix', () => {
    const error = rejection(configWith('  store: redis\n  redis:\n    host: redis\n    keyPrefix: ""'));
    expect([...new Set(error.issues.map((i) => i.path))].sort()).toEqual([
      'idMap.redis.host',
      'idMap.redis.keyPrefix',
    ]);
  });
});
