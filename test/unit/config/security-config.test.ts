import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/config-error.js';
import { loadConfig } from '../../../src/config/load-config.js';

const FILE = resolve('/virtual/deploy/config.yaml');
const HASH = 'sha256:75c5c10f256c75b650c6ffc2e83c6588af02766efd2de28f4de34547006e8d1a';

function text(
  extra: string[],
  auth: string[] = ['  bearer:', '    tokens:', `      - hash: "${HASH}"`],
): string {
  return [
    'auth:',
    ...auth,
    'upstream:',
    '  baseUrl: http://127.0.0.1:3000',
    'mapping: ./app.yaml',
    ...extra,
  ].join('\n');
}

function problems(source: string): string[] {
  try {
    loadConfig(FILE, {}, source);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((i) => `${i.path}: ${i.message}`);
    throw error;
  }
  throw new Error('expected the config to be rejected');
}

describe('security settings in config.yaml', () => {
  it('defaults: throttle on, audit to stdout, no TLS, no allow-list', () => {
    const config = loadConfig(FILE, {}, text([]));
    expect(config.server.authThrottle).toEqual({ maxFailures: 10, windowSec: 60, blockSec: 300 });
    expect(config.logging.audit).toBe('stdout');
    expect(config.server).not.toHaveProperty('tls');
    expect(config.server).not.toHaveProperty('allowList');
    expect(config.server).not.toHaveProperty('trustedProxies');
    expect(config.auth).not.toHaveProperty('jwt');
  });

  it('reads every setting, resolving file paths against the config file', () => {
    const config = loadConfig(
      FILE,
      {},
      text(
        [
          'server:',
          '  tls:',
          '    certFile: ./tls/cert.pem',
          '    keyFile: /etc/ssl/private/key.pem',
          '    minVersion: TLSv1.3',
          '  allowList: [10.0.0.0/8, "2001:db8::/32", 192.0.2.7]',
          '  trustedProxies: [127.0.0.1]',
          '  authThrottle: { maxFailures: 0 }',
          'logging:',
          '  audit: ./logs/audit.jsonl',
        ],
        [
          '  jwt:',
          '    issuer: https://sts.windows.net/tenant/',
          '    audience: [api://scim, 8d0c2c7e-0000-4000-8000-000000000001]',
          '    jwksUri: https://login.microsoftonline.com/tenant/discovery/v2.0/keys',
          '    allowedClientIds: [entra-provisioning]',
        ],
      ),
    );
    expect(config.server.tls).toEqual({
      certFile: join('/virtual/deploy', 'tls', 'cert.pem'),
      keyFile: '/etc/ssl/private/key.pem',
      minVersion: 'TLSv1.3',
    });
    expect(config.server.allowList).toEqual(['10.0.0.0/8', '2001:db8::/32', '192.0.2.7']);
    expect(config.server.trustedProxies).toEqual(['127.0.0.1']);
    expect(config.server.authThrottle).toEqual({ maxFailures: 0, windowSec: 60, blockSec: 300 });
    expect(config.logging.audit).toEqual({ file: join('/virtual/deploy', 'logs', 'audit.jsonl') });
    expect(config.auth.jwt).toEqual({
      issuer: 'https://sts.windows.net/tenant/',
      audience: ['api://scim', '8d0c2c7e-0000-4000-8000-000000000001'],
      jwksUri: 'https://login.microsoftonline.com/tenant/discovery/v2.0/keys',
      algorithms: ['RS256'],
      clockToleranceSec: 60,
      allowedClientIds: ['entra-provisioning'],
    });
  });

  it('accepts JWT as the only method, and audit off', () => {
    const config = loadConfig(
      FILE,
      {},
      text(
        ['logging:', '  audit: "off"'],
        ['  jwt:', '    issuer: i', '    audience: a', '    jwksUri: http://127.0.0.1:8080/keys'],
      ),
    );
    expect(config.auth.bearer).toBeUndefined();
    expect(config.logging.audit).toBe('off');
  });

  it('refuses malformed CIDR ranges, each at its own entry', () => {
    expect(problems(text(['server:', '  allowList: [10.0.0.0/8, 10.0.0.0/40, intranet]']))).toEqual([
      "server.allowList[1]: '10.0.0.0/40' is not an IP address or CIDR range",
      "server.allowList[2]: 'intranet' is not an IP address or CIDR range",
    ]);
    expect(problems(text(['server:', '  trustedProxies: [proxy.local]']))).toEqual([
      "server.trustedProxies[0]: 'proxy.local' is not an IP address or CIDR range",
    ]);
  });

  it('refuses a key set fetched over plain http from another host', () => {
    const jwt = (uri: string) => ['  jwt:', '    issuer: i', '    audience: a', `    jwksUri: ${uri}`];
    expect(problems(text([], jwt('http://login.example.com/keys')))).toEqual([
      'auth.jwt.jwksUri: the signing keys must be fetched over https (plain http only on the loopback interface)',
    ]);
    for (const uri of ['http://localhost:9/keys', 'http://127.0.0.1/keys', 'http://[::1]:8/keys']) {
      expect(loadConfig(FILE, {}, text([], jwt(uri))).auth.jwt?.jwksUri).toBe(uri);
    }
  });

  it('refuses symmetric or unsigned algorithms and TLS older than 1.2', () => {
    const issues = problems(
      text(
        ['server:', '  tls: { certFile: c, keyFile: k, minVersion: TLSv1.1 }'],
        [
          '  jwt:',
          '    issuer: i',
          '    audience: a',
          '    jwksUri: https://x/keys',
          '    algorithms: [HS256, none]',
        ],
      ),
    );
    expect(issues.some((i) => i.startsWith('server.tls.minVersion'))).toBe(true);
    expect(issues.some((i) => i.startsWith('auth.jwt.algorithms[0]'))).toBe(true);
    expect(issues.some((i) => i.startsWith('auth.jwt.algorithms[1]'))).toBe(true);
  });

  it('requires both TLS files', () => {
    expect(problems(text(['server:', '  tls: { certFile: c }'])).join('\n')).toContain('server.tls');
  });
});
