import { describe, expect, it } from 'vitest';
import { DEFAULTS, type DeploymentConfig } from '../../../src/config/deployment-config.js';
import { applyReloadable, diffConfig, isReloadable } from '../../../src/runtime/config-diff.js';

function config(): DeploymentConfig {
  return {
    file: '/etc/scim-sidecar/config.yaml',
    server: {
      host: '0.0.0.0',
      port: 8080,
      basePath: '/scim/v2',
      bodyLimit: DEFAULTS.bodyLimit,
      trustProxy: false,
      requestDeadlineMs: DEFAULTS.requestDeadlineMs,
    },
    auth: {
      bearer: {
        tokens: [{ name: 'entra', hash: `sha256:${'a'.repeat(64)}`, expiresAt: new Date('2030-01-01') }],
      },
    },
    upstream: {
      baseUrl: 'http://app:3000',
      auth: { header: { name: 'X-Api-Key', value: 'one' } },
      timeoutMs: 15000,
      concurrency: 16,
      maxQueue: 256,
      retries: 2,
    },
    mapping: '/etc/scim-sidecar/mapping.yaml',
    idMap: { store: 'file', path: '/data/idmap.jsonl', cacheSize: 10000 },
    logging: { level: 'info', audit: 'stdout' },
    metrics: { enabled: true, path: '/metrics' },
  };
}

describe('diffConfig', () => {
  it('finds nothing between equal configurations (dates and arrays compared by value)', () => {
    expect(diffConfig(config(), config())).toEqual([]);
  });

  it('names each changed leaf, added and removed settings, never the values', () => {
    const next = config();
    next.server.port = 9090;
    next.upstream.auth = { bearer: 'secret-value' };
    next.server.publicUrl = 'https://scim.example.com';
    delete next.metrics;
    const paths = diffConfig(config(), next);
    expect(paths.sort()).toEqual(
      ['metrics', 'server.port', 'server.publicUrl', 'upstream.auth.bearer', 'upstream.auth.header'].sort(),
    );
    expect(paths.join()).not.toContain('secret-value');
  });

  it('treats a change inside an array item as a change of the array', () => {
    const next = config();
    next.auth.bearer = {
      tokens: [{ name: 'entra', hash: `sha256:${'b'.repeat(64)}`, expiresAt: new Date('2030-01-01') }],
    };
    expect(diffConfig(config(), next)).toEqual(['auth.bearer.tokens']);
  });

  it('ignores where the file was read from', () => {
    const next = config();
    next.file = '/elsewhere/config.yaml';
    expect(diffConfig(config(), next)).toEqual([]);
  });
});

describe('isReloadable', () => {
  it.each([
    ['mapping', true],
    ['upstream.auth.header.value', true],
    ['upstream.timeoutMs', true],
    ['upstream.retries', true],
    ['logging.level', true],
    ['metrics.bearerTokenHash', true],
    ['server.strictAttributes', true],
    ['upstream.baseUrl', false],
    ['server.port', false],
    ['server.basePath', false],
    ['auth.bearer.tokens', true],
    ['auth.jwt.audience', true],
    ['idMap.store', false],
    ['logging.audit', false],
    ['metrics.path', false],
    ['mappingX', false],
  ])('%s: %s', (path, reloadable) => {
    expect(isReloadable(path)).toBe(reloadable);
  });
});

describe('applyReloadable', () => {
  it('takes the reloadable settings from the new file and keeps the others', () => {
    const running = config();
    const next = config();
    next.mapping = '/etc/scim-sidecar/other.yaml';
    next.upstream.auth = { bearer: 'new' };
    next.upstream.retries = 5;
    next.upstream.baseUrl = 'http://elsewhere:3000';
    next.server.port = 9999;
    next.logging.level = 'debug';
    next.metrics = { enabled: false, path: '/m', bearerTokenHash: `sha256:${'c'.repeat(64)}` };
    const effective = applyReloadable(running, next);
    expect(effective.mapping).toBe('/etc/scim-sidecar/other.yaml');
    expect(effective.upstream).toEqual({ ...running.upstream, auth: { bearer: 'new' }, retries: 5 });
    expect(effective.server).toEqual(running.server);
    expect(effective.logging).toEqual({ level: 'debug', audit: 'stdout' });
    expect(effective.metrics).toEqual({
      enabled: true,
      path: '/metrics',
      bearerTokenHash: `sha256:${'c'.repeat(64)}`,
    });
    // The running configuration itself is untouched.
    expect(running.upstream.auth).toEqual({ header: { name: 'X-Api-Key', value: 'one' } });
  });

  it('drops a reloadable setting the new file no longer has', () => {
    const running = config();
    running.metrics = { enabled: true, path: '/metrics', bearerTokenHash: `sha256:${'c'.repeat(64)}` };
    const next = config();
    expect(applyReloadable(running, next).metrics).toEqual({ enabled: true, path: '/metrics' });
    delete next.metrics;
    const withoutSection = applyReloadable(running, next);
    expect(withoutSection.metrics).toEqual({ enabled: true, path: '/metrics' });
  });
});
