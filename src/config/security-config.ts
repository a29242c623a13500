import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { parseCidr } from '../security/ip-rules.js';
import type { ConfigIssue } from './config-error.js';
import {
  type AuditDestination,
  type AuthThrottleConfig,
  DEFAULTS,
  type DeploymentConfig,
  type JwtAuthConfig,
  type TlsConfig,
} from './deployment-config.js';
import type { YamlSource } from './yaml-source.js';

/** The security settings as config.schema.json accepts them (after the schema check). */
export interface RawSecurityServer {
  tls?: { certFile: string; keyFile: string; minVersion?: TlsConfig['minVersion'] };
  allowList?: string[];
  trustedProxies?: string[];
  authThrottle?: Partial<AuthThrottleConfig>;
}

export interface RawJwtAuth {
  issuer: string | string[];
  audience: string | string[];
  jwksUri: string;
  algorithms?: string[];
  clockToleranceSec?: number;
  allowedClientIds?: string[];
}

/** The checks config.schema.json cannot express: CIDR syntax and a JWKS fetched over TLS. */
export function securityIssues(
  source: YamlSource,
  server: RawSecurityServer | undefined,
  jwt: RawJwtAuth | undefined,
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const key of ['allowList', 'trustedProxies'] as const) {
    for (const [index, entry] of (server?.[key] ?? []).entries()) {
      if (!parseCidr(entry)) {
        issues.push(
          source.issue(
            ['server', key, index],
            `'${entry}' is not an IP address or CIDR range`,
            'write an address (10.1.2.3) or a range (10.0.0.0/8, 2001:db8::/32)',
          ),
        );
      }
    }
  }
  if (jwt && URL.canParse(jwt.jwksUri)) {
    const url = new URL(jwt.jwksUri);
    if (url.protocol !== 'https:' && !isLoopback(url.hostname)) {
      issues.push(
        source.issue(
          ['auth', 'jwt', 'jwksUri'],
          'the signing keys must be fetched over https (plain http only on the loopback interface)',
          'use the https:// URL the provider publishes',
        ),
      );
    }
  } else if (jwt) {
    issues.push(source.issue(['auth', 'jwt', 'jwksUri'], 'is not a valid URL', 'use an https:// URL'));
  }
  return issues;
}

/** The security part of `server`, with defaults applied and file paths resolved. */
export function serverSecurity(
  server: RawSecurityServer | undefined,
  baseDir: string,
): Pick<DeploymentConfig['server'], 'tls' | 'allowList' | 'trustedProxies' | 'authThrottle'> {
  const throttle = server?.authThrottle;
  return {
    ...(server?.tls
      ? {
          tls: {
            certFile: resolve(baseDir, server.tls.certFile),
            keyFile: resolve(baseDir, server.tls.keyFile),
            minVersion: server.tls.minVersion ?? DEFAULTS.tlsMinVersion,
          },
        }
      : {}),
    ...(server?.allowList?.length ? { allowList: [...server.allowList] } : {}),
    ...(server?.trustedProxies?.length ? { trustedProxies: [...server.trustedProxies] } : {}),
    authThrottle: {
      maxFailures: throttle?.maxFailures ?? DEFAULTS.authThrottle.maxFailures,
      windowSec: throttle?.windowSec ?? DEFAULTS.authThrottle.windowSec,
      blockSec: throttle?.blockSec ?? DEFAULTS.authThrottle.blockSec,
    },
  };
}

export function jwtAuth(raw: RawJwtAuth): JwtAuthConfig {
  return {
    issuer: raw.issuer,
    audience: raw.audience,
    jwksUri: raw.jwksUri,
    algorithms: raw.algorithms ?? [...DEFAULTS.jwtAlgorithms],
    clockToleranceSec: raw.clockToleranceSec ?? DEFAULTS.jwtClockToleranceSec,
    ...(raw.allowedClientIds ? { allowedClientIds: raw.allowedClientIds } : {}),
  };
}

/** `stdout`, `off`, or a file path relative to the config file. */
export function auditDestination(raw: string | undefined, baseDir: string): AuditDestination {
  const value = raw ?? DEFAULTS.audit;
  if (value === 'stdout' || value === 'off') return value;
  return { file: resolve(baseDir, value) };
}

function isLoopback(hostname: string): boolean {
  const host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}
