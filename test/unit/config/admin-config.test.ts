// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} is the config syntax under test
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/config-error.js';
import { loadConfig } from '../../../src/config/load-config.js';

const FILE = resolve('/virtual/deploy/config.yaml');
const SCIM_HASH = `sha256:${'ab'.repeat(32)}`;
const ADMIN_HASH = `sha256:${'cd'.repeat(32)}`;

function configText(admin: string[]): string {
  return [
    'auth:',
    '  bearer:',
    '    tokens:',
    `      - hash: "${SCIM_HASH}"`,
    'upstream:',
    '  baseUrl: http://127.0.0.1:3000',
    'mapping: ./app.yaml',
    ...admin,
  ].join('\n');
}

function problems(admin: string[]): string[] {
  try {
    loadConfig(FILE, {}, configText(admin));
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((i) => `${i.path}: ${i.message}`);
    throw error;
  }
  throw new Error('expected the config to be rejected');
}

describe('admin console settings', () => {
  it('are off when absent or not enabled: no admin section in the loaded config', () => {
    expect(loadConfig(FILE, {}, configText([])).admin).toBeUndefined();
    expect(loadConfig(FILE, {}, configText(['admin:', '  enabled: false'])).admin).toBeUndefined();
  });

  it('take their defaults when enabled with a token', () => {
    const config = loadConfig(
      FILE,
      {},
      configText(['admin:', '  enabled: true', `  tokenHash: "${ADMIN_HASH}"`]),
    );
    expect(config.admin).toEqual({
      enabled: true,
      path: '/admin',
      tokenHash: ADMIN_HASH,
      sessionMinutes: 480,
      activitySize: 1000,
    });
  });

  it('fill in the notification defaults', () => {
    const config = loadConfig(
      FILE,
      { HOOK: 'https://hooks.slack.test/services/x' },
      configText([
        'admin:',
        '  enabled: true',
        `  tokenHash: "${ADMIN_HASH}"`,
        '  notifications:',
        '    webhook: ${HOOK}',
      ]),
    );
    expect(config.admin?.notifications).toEqual({
      webhook: 'https://hooks.slack.test/services/x',
      format: 'json',
      threshold: 5,
      windowSec: 300,
      quietSec: 900,
    });
  });

  it('refuse an enabled console without a credential of its own', () => {
    expect(problems(['admin:', '  enabled: true'])).toEqual([
      'admin: the console is enabled without a credential',
    ]);
  });

  it('refuse a SCIM token as the console token: the IdP must not open the console', () => {
    expect(problems(['admin:', '  enabled: true', `  tokenHash: "${SCIM_HASH}"`])).toEqual([
      'admin.tokenHash: is the hash of a SCIM token: the IdP could open the console',
    ]);
  });

  it.each(['/scim/v2', '/scim', '/scim/v2/admin', '/metrics', '/healthz'])('refuse the path %s', (path) => {
    expect(
      problems(['admin:', '  enabled: true', `  tokenHash: "${ADMIN_HASH}"`, `  path: ${path}`]),
    ).toEqual(['admin.path: overlaps the SCIM base path, the metrics path or a health endpoint']);
  });

  it('refuse a webhook that is not http(s) and an unknown format', () => {
    const found = problems([
      'admin:',
      '  enabled: true',
      `  tokenHash: "${ADMIN_HASH}"`,
      '  notifications:',
      '    webhook: ftp://x.test/hook',
      '    format: email',
    ]);
    expect(found.some((p) => p.startsWith('admin.notifications.webhook'))).toBe(true);
    expect(found.some((p) => p.startsWith('admin.notifications.format'))).toBe(true);
  });
});
