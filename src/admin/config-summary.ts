import { isAbsolute, relative } from 'node:path';
import type { DeploymentConfig } from '../config/deployment-config.js';
import { redactRedisUrl } from '../idmap/redis-store.js';
import { redactUrlCredentials } from '../ops/logger.js';

/** One line of the Status page's configuration table. */
export interface ConfigLine {
  setting: string;
  value: string;
}

/**
 * The configuration in force as the Status page shows it. Built from an allow-list of settings,
 * never by walking the object: token and password hashes, the app's credentials, a password in
 * a URL and the webhook's address are never part of it (their presence is, by name or kind).
 */
export function configSummary(config: DeploymentConfig, app: string): ConfigLine[] {
  const { server, auth, upstream, idMap, logging, metrics, passthrough, admin } = config;
  const lines: Array<[string, string | number | boolean | undefined]> = [
    ['config file', shortPath(config.file)],
    ['mapping', `${shortPath(config.mapping)} (app: ${app})`],
    ['server.host : port', `${server.host}:${server.port}`],
    ['server.basePath', server.basePath],
    ['server.publicUrl', server.publicUrl],
    ['server.tls', server.tls ? `on (min ${server.tls.minVersion})` : 'off'],
    ['server.allowList', server.allowList?.join(', ') || 'any address'],
    ['server.trustedProxies', server.trustedProxies?.join(', ') || 'none'],
    ['server.requestDeadlineMs', server.requestDeadlineMs],
    ['server.clientProfile', server.clientProfile ?? 'auto'],
    ['server.strictAttributes', server.strictAttributes ?? false],
    [
      'auth.bearer',
      auth.bearer
        ? auth.bearer.tokens
            .map((t) => `${t.name}${t.expiresAt ? ` (expires ${t.expiresAt.toISOString()})` : ''}`)
            .join(', ')
        : undefined,
    ],
    ['auth.basic', auth.basic ? `user ${auth.basic.username}` : undefined],
    [
      'auth.jwt',
      auth.jwt
        ? `issuer ${[auth.jwt.issuer].flat().join(', ')}; audience ${[auth.jwt.audience].flat().join(', ')}`
        : undefined,
    ],
    ['upstream.baseUrl', redactUrlCredentials(upstream.baseUrl)],
    ['upstream.auth', upstreamAuthKind(upstream.auth)],
    ['upstream.timeoutMs', upstream.timeoutMs],
    ['upstream.concurrency / maxQueue', `${upstream.concurrency} / ${upstream.maxQueue}`],
    ['upstream.retries', upstream.retries],
    ['idMap.store', idMap.store],
    ['idMap.path', idMap.store === 'file' ? shortPath(idMap.path) : undefined],
    ['idMap.redis.url', idMap.redis ? redactRedisUrl(idMap.redis.url) : undefined],
    ['idMap.cacheSize', idMap.store === 'redis' ? undefined : idMap.cacheSize],
    ['logging.level', logging.level],
    [
      'logging.audit',
      typeof logging.audit === 'object' ? shortPath(logging.audit.file) : (logging.audit ?? 'off'),
    ],
    [
      'metrics',
      metrics?.enabled === false
        ? 'off'
        : `${metrics?.path ?? '/metrics'}${metrics?.bearerTokenHash ? ' (token required)' : ' (open)'}`,
    ],
    ['passthrough.forwardedHeaders', passthrough?.forwardedHeaders ?? 'set'],
    ['passthrough.bodyLimit', passthrough?.bodyLimit],
    ['admin.path', admin?.path],
    [
      'admin sign-in',
      admin
        ? [admin.tokenHash ? 'token' : '', admin.basic ? `user ${admin.basic.username}` : '']
            .filter(Boolean)
            .join(', ')
        : undefined,
    ],
    [
      'admin.notifications',
      admin?.notifications
        ? `${admin.notifications.format} webhook to ${hostOf(admin.notifications.webhook)}; ${admin.notifications.threshold} failures in ${admin.notifications.windowSec} s`
        : 'off',
    ],
  ];
  return lines
    .filter(([, value]) => value !== undefined && value !== '')
    .map(([setting, value]) => ({ setting, value: String(value) }));
}

function upstreamAuthKind(auth: DeploymentConfig['upstream']['auth']): string {
  if (auth.header) return `header ${auth.header.name}: [redacted]`;
  if (auth.bearer) return 'bearer [redacted]';
  if (auth.basic) return `basic, user ${auth.basic.username}, password [redacted]`;
  return 'none';
}

/** A path under the working directory as `./…`, others as they are. */
function shortPath(path: string): string {
  if (!isAbsolute(path)) return path;
  const inside = relative(process.cwd(), path);
  return inside === '' || inside.startsWith('..') || isAbsolute(inside) ? path : `./${inside}`;
}

function hostOf(url: string): string {
  return URL.canParse(url) ? new URL(url).host : '(invalid URL)';
}
