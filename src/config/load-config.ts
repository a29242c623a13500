import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { adminConfig, adminIssues, type RawAdmin } from './admin-config.js';
import { ConfigError, type ConfigIssue } from './config-error.js';
import {
  DEFAULTS,
  type DeploymentConfig,
  type InboundAuthConfig,
  type MetricsConfig,
  type PassthroughConfig,
  type RedisConfig,
} from './deployment-config.js';
import { expandEnv } from './env-expand.js';
import { createSchemaValidator } from './schema-validate.js';
import {
  auditDestination,
  jwtAuth,
  type RawJwtAuth,
  type RawSecurityServer,
  securityIssues,
  serverSecurity,
} from './security-config.js';
import { readYamlSource, type YamlSource } from './yaml-source.js';

const require = createRequire(import.meta.url);
const validateConfigSchema = createSchemaValidator(require('../../schemas/config.schema.json') as object);

/** The raw shape accepted by config.schema.json (after the schema check passed). */
interface RawConfig {
  server?: Partial<Omit<DeploymentConfig['server'], keyof RawSecurityServer>> & RawSecurityServer;
  auth: {
    bearer?: { tokens: Array<{ name?: string; hash: string; expiresAt?: string }> };
    basic?: { username: string; passwordHash: string };
    jwt?: RawJwtAuth;
  };
  upstream: Partial<DeploymentConfig['upstream']> & { baseUrl: string };
  mapping: string;
  idMap?: Partial<Omit<DeploymentConfig['idMap'], 'redis'>> & { redis?: Partial<RedisConfig> };
  logging?: Partial<Omit<DeploymentConfig['logging'], 'audit'>> & { audit?: string };
  metrics?: Partial<MetricsConfig>;
  passthrough?: Partial<PassthroughConfig>;
  admin?: RawAdmin;
}

/**
 * Loads config.yaml: YAML syntax, `${ENV}` expansion, the JSON Schema, then the checks a schema
 * cannot express. Every problem is collected and thrown together as one ConfigError.
 */
export function loadConfig(
  file: string,
  env: NodeJS.ProcessEnv = process.env,
  text?: string,
): DeploymentConfig {
  const absolute = resolve(file);
  const source = readYamlSource(absolute, text);
  const { data, issues, expanded } = expandEnv(source, env);
  // A value whose variable is unset is reported once, as unset, not again as an invalid value.
  const unset = new Set(issues.map((i) => i.path));
  issues.push(...validateConfigSchema(source, data, expanded).filter((i) => !unset.has(i.path)));
  if (issues.length > 0) throw new ConfigError(issues);
  const raw = data as RawConfig;
  const semanticIssues: ConfigIssue[] = [];
  const tokenNames = new Set<string>();
  for (const [index, token] of (raw.auth.bearer?.tokens ?? []).entries()) {
    const name = token.name ?? `token-${index + 1}`;
    if (tokenNames.has(name)) {
      semanticIssues.push(
        source.issue(
          ['auth', 'bearer', 'tokens', index, 'name'],
          `duplicate token name '${name}'`,
          'give each token its own name',
        ),
      );
    }
    tokenNames.add(name);
  }
  const upstreamAuth = raw.upstream.auth ?? {};
  if (Object.keys(upstreamAuth).length > 1) {
    semanticIssues.push(
      source.issue(['upstream', 'auth'], 'choose one of header, bearer or basic', 'keep a single method'),
    );
  }
  const redisUrl = raw.idMap?.redis?.url;
  if (redisUrl !== undefined && !URL.canParse(redisUrl)) {
    // The value is not echoed: it may hold a password.
    semanticIssues.push(
      source.issue(
        ['idMap', 'redis', 'url'],
        'is not a valid URL',
        'write redis://[:password@]host[:port][/db]; percent-encode reserved characters in the password',
      ),
    );
  }
  semanticIssues.push(...securityIssues(source, raw.server, raw.auth.jwt));
  semanticIssues.push(...metricsIssues(source, raw));
  semanticIssues.push(
    ...adminIssues(source, raw.admin, {
      ...(raw.server?.basePath ? { basePath: raw.server.basePath } : {}),
      ...(raw.metrics?.enabled !== false && raw.metrics?.path ? { metricsPath: raw.metrics.path } : {}),
      scimTokenHashes: (raw.auth.bearer?.tokens ?? []).map((token) => token.hash),
      ...(raw.auth.basic ? { scimPasswordHash: raw.auth.basic.passwordHash } : {}),
    }),
  );
  if (semanticIssues.length > 0) throw new ConfigError(semanticIssues);
  const baseDir = dirname(absolute);
  return {
    file: absolute,
    server: {
      host: raw.server?.host ?? DEFAULTS.host,
      port: raw.server?.port ?? DEFAULTS.port,
      basePath: raw.server?.basePath ?? DEFAULTS.basePath,
      ...(raw.server?.publicUrl ? { publicUrl: raw.server.publicUrl.replace(/\/+$/, '') } : {}),
      bodyLimit: raw.server?.bodyLimit ?? DEFAULTS.bodyLimit,
      trustProxy: raw.server?.trustProxy ?? false,
      requestDeadlineMs: raw.server?.requestDeadlineMs ?? DEFAULTS.requestDeadlineMs,
      clientProfile: raw.server?.clientProfile ?? 'auto',
      ...serverSecurity(raw.server, baseDir),
      ...(raw.server?.watch ? { watch: true } : {}),
      strictAttributes: raw.server?.strictAttributes ?? false,
    },
    auth: toInboundAuth(raw.auth),
    upstream: {
      baseUrl: raw.upstream.baseUrl.replace(/\/+$/, ''),
      auth: upstreamAuth,
      timeoutMs: raw.upstream.timeoutMs ?? DEFAULTS.upstreamTimeoutMs,
      concurrency: raw.upstream.concurrency ?? DEFAULTS.upstreamConcurrency,
      maxQueue: raw.upstream.maxQueue ?? DEFAULTS.upstreamMaxQueue,
      retries: raw.upstream.retries ?? DEFAULTS.upstreamRetries,
    },
    mapping: resolve(baseDir, raw.mapping),
    idMap: {
      store: raw.idMap?.store ?? 'file',
      path: resolve(baseDir, raw.idMap?.path ?? DEFAULTS.idMapPath),
      cacheSize: raw.idMap?.cacheSize ?? DEFAULTS.idMapCacheSize,
      ...(raw.idMap?.store === 'redis'
        ? {
            redis: {
              url: raw.idMap.redis?.url ?? DEFAULTS.redisUrl,
              keyPrefix: raw.idMap.redis?.keyPrefix ?? DEFAULTS.redisKeyPrefix,
            },
          }
        : {}),
    },
    logging: {
      level: raw.logging?.level ?? DEFAULTS.logLevel,
      audit: auditDestination(raw.logging?.audit, baseDir),
    },
    metrics: {
      enabled: raw.metrics?.enabled ?? true,
      path: raw.metrics?.path ?? DEFAULTS.metricsPath,
      ...(raw.metrics?.bearerTokenHash ? { bearerTokenHash: raw.metrics.bearerTokenHash } : {}),
    },
    passthrough: {
      forwardedHeaders: raw.passthrough?.forwardedHeaders ?? 'set',
      ...(raw.passthrough?.bodyLimit !== undefined ? { bodyLimit: raw.passthrough.bodyLimit } : {}),
    },
    ...(raw.admin?.enabled ? { admin: adminConfig(raw.admin) } : {}),
  };
}

/** The metrics path must not shadow the SCIM base path or the health endpoints. */
function metricsIssues(source: YamlSource, raw: RawConfig): ConfigIssue[] {
  const path = (raw.metrics?.path ?? DEFAULTS.metricsPath).toLowerCase();
  const basePath = (raw.server?.basePath ?? DEFAULTS.basePath).toLowerCase();
  const taken =
    path === basePath || path.startsWith(`${basePath}/`) || path === '/healthz' || path === '/readyz';
  if (!taken) return [];
  return [
    source.issue(
      ['metrics', 'path'],
      'collides with the SCIM base path or a health endpoint',
      'use a path of its own, e.g. /metrics',
    ),
  ];
}

function toInboundAuth(raw: RawConfig['auth']): InboundAuthConfig {
  const auth: InboundAuthConfig = {};
  if (raw.bearer) {
    auth.bearer = {
      tokens: raw.bearer.tokens.map((t, i) => ({
        name: t.name ?? `token-${i + 1}`,
        hash: t.hash,
        ...(t.expiresAt ? { expiresAt: new Date(t.expiresAt) } : {}),
      })),
    };
  }
  if (raw.basic) auth.basic = { ...raw.basic };
  if (raw.jwt) auth.jwt = jwtAuth(raw.jwt);
  return auth;
}
