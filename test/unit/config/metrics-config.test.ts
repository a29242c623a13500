import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/config-error.js';
import { loadConfig } from '../../../src/config/load-config.js';

const FILE = resolve('/virtual/deploy/config.yaml');
const HASH = `sha256:${'ab'.repeat(32)}`;

function configText(extra: string): string {
  return [
    'auth:',
    '  bearer:',
    '    tokens:',
    `      - hash: "${HASH}"`,
    'upstream:',
    '  baseUrl: http://127.0.0.1:3000',
    'mapping: ./app.yaml',
    extra,
  ].join('\n');
}

function problems(text: string): string[] {
  try {
    loadConfig(FILE, {}, text);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((i) => `${i.path}: ${i.message}`);
    throw error;
  }
  throw new Error('expected the config to be rejected');
}

describe('metrics and server.watch settings', () => {
  it('serve /metrics openly by default, and do not watch the files', () => {
    const config = loadConfig(FILE, {}, configText(''));
    expect(config.metrics).toEqual({ enabled: true, path: '/metrics' });
    expect(config.server.watch).toBeUndefined();
  });

  it('take an explicit path, a scraper token hash and server.watch', () => {
    const config = loadConfig(
      FILE,
      {},
      configText(
        [
          'server:',
          '  watch: true',
          'metrics:',
          '  path: /internal/metrics',
          `  bearerTokenHash: "${HASH}"`,
        ].join('\n'),
      ),
    );
    expect(config.metrics).toEqual({ enabled: true, path: '/internal/metrics', bearerTokenHash: HASH });
    expect(config.server.watch).toBe(true);
  });

  it('can be turned off', () => {
    expect(loadConfig(FILE, {}, configText('metrics: { enabled: false }')).metrics?.enabled).toBe(false);
  });

  it('refuse a path that would shadow SCIM or the health endpoints', () => {
    expect(problems(configText('metrics: { path: /scim/v2/metrics }'))).toEqual([
      'metrics.path: collides with the SCIM base path or a health endpoint',
    ]);
    expect(problems(configText('metrics: { path: /healthz }'))).toHaveLength(1);
    expect(
      problems(configText(['server:', '  basePath: /api/scim', 'metrics:', '  path: /API/SCIM'].join('\n'))),
    ).toHaveLength(1);
  });

  it('refuse a token in place of its hash, and unknown keys', () => {
    expect(problems(configText('metrics: { bearerTokenHash: my-token }'))[0]).toMatch(
      /^metrics\.bearerTokenHash: must match pattern/,
    );
    expect(problems(configText('metrics: { token: x }'))).toEqual(["metrics.token: unknown setting 'token'"]);
  });
});
