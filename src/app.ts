import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import { DEFAULTS, type DeploymentConfig } from './config/deployment-config.js';
import { Connector, type UpstreamObserver } from './connector/connector.js';
import type { CompiledMapping, ResourceTypeName } from './connector/mapping-types.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './connector/retry-policy.js';
import { UpstreamClient } from './connector/upstream-client.js';
import { scimPlugin } from './http/scim-plugin.js';
import { FileIdMapStore } from './idmap/file-store.js';
import { IdMap } from './idmap/id-map.js';
import { MemoryIdMapStore } from './idmap/memory-store.js';
import { RedisResourceLock } from './idmap/redis-lock.js';
import { RedisIdMapStore, redactRedisUrl } from './idmap/redis-store.js';
import type { IdMapStore } from './idmap/types.js';
import { createLogger } from './ops/logger.js';
import { opsPlugin } from './ops/ops-routes.js';
import { passthroughPlugin } from './passthrough/passthrough.js';
import type { ResourceSchema } from './scim/schema-types.js';
import { groupResourceSchema, userResourceSchema } from './scim/schemas/resource-schema.js';
import { KeyedLock, type ResourceLock } from './service/keyed-lock.js';
import { ResourceService } from './service/resource-service.js';
import { DEFAULT_LIMITS, type ServiceDeps, type ServiceLimits } from './service/service-deps.js';

/** What tests (and embedders) may swap: the transport toward the app, the id map store, the logger. */
export interface AppDependencies {
  dispatcher?: Dispatcher;
  idMapStore?: IdMapStore;
  /** Per-resource write lock; replicas sharing one id map need a shared (Redis) lock. */
  lock?: ResourceLock;
  logger?: Logger;
  limits?: Partial<ServiceLimits>;
  /** Backoff settings (tests shorten the delays). */
  retry?: Partial<RetryPolicy>;
  observeUpstream?: UpstreamObserver;
  now?: () => Date;
}

/**
 * Builds the whole server from a validated config and mapping: ops routes, the SCIM scope,
 * and the passthrough for everything else, each in its own encapsulated scope.
 */
export async function buildApp(
  config: DeploymentConfig,
  mapping: CompiledMapping,
  dependencies: AppDependencies = {},
): Promise<FastifyInstance> {
  const logger = dependencies.logger ?? createLogger(config.logging.level);
  const client = new UpstreamClient({
    baseUrl: config.upstream.baseUrl,
    auth: config.upstream.auth,
    timeoutMs: config.upstream.timeoutMs,
    concurrency: config.upstream.concurrency,
    ...(dependencies.dispatcher ? { dispatcher: dependencies.dispatcher } : {}),
  });
  const connector = new Connector(mapping, client, dependencies.observeUpstream, {
    concurrency: config.upstream.concurrency,
    maxQueue: config.upstream.maxQueue,
    retry: { ...DEFAULT_RETRY_POLICY, maxAttempts: config.upstream.retries + 1, ...dependencies.retry },
  });
  const store = dependencies.idMapStore ?? (await openStore(config, logger));
  // A store shared by replicas is read through, never cached: the others write to it too.
  const shared = store instanceof RedisIdMapStore;
  const idMap = new IdMap(store, { cacheSize: shared ? 0 : config.idMap.cacheSize });
  const limits = { ...DEFAULT_LIMITS, ...dependencies.limits };

  const schemas = resourceSchemas(mapping, false);
  const deps: ServiceDeps = {
    connector,
    idMap,
    schemas: schemas as Record<ResourceTypeName, ResourceSchema>,
    locks: dependencies.lock ?? (shared ? redisLock(store, logger) : new KeyedLock()),
    log: logger,
    limits,
    ...(dependencies.now ? { now: dependencies.now } : {}),
  };
  const services: Partial<Record<ResourceTypeName, ResourceService>> = {};
  for (const type of Object.keys(mapping.resources) as ResourceTypeName[]) {
    services[type] = new ResourceService(type, deps);
  }

  let shuttingDown = false;
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: config.server.bodyLimit,
    trustProxy: config.server.trustProxy,
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true, ignoreDuplicateSlashes: true },
    requestIdHeader: false,
  });
  await app.register(opsPlugin, { connector, isShuttingDown: () => shuttingDown });
  await app.register(scimPlugin, {
    prefix: config.server.basePath,
    config,
    services,
    discoverySchemas: resourceSchemas(mapping, true),
    maxResults: limits.maxCount,
  });
  await app.register(passthroughPlugin, { upstream: config.upstream.baseUrl });
  app.addHook('preClose', async () => {
    shuttingDown = true;
  });
  app.addHook('onClose', async () => {
    await client.close();
    await idMap.close();
  });
  return app;
}

async function openStore(config: DeploymentConfig, logger: Logger): Promise<IdMapStore> {
  if (config.idMap.store === 'memory') return new MemoryIdMapStore();
  if (config.idMap.store === 'redis') {
    const url = config.idMap.redis?.url ?? DEFAULTS.redisUrl;
    const keyPrefix = config.idMap.redis?.keyPrefix ?? DEFAULTS.redisKeyPrefix;
    // Only the redacted URL is ever logged: the real one may carry the password.
    const redis = redactRedisUrl(url);
    const store = await RedisIdMapStore.open(url, {
      keyPrefix,
      connectionName: 'scim-sidecar',
      onConnectionChange: (error) => {
        if (error)
          logger.warn({ redis, reason: error.message }, 'lost the connection to Redis; reconnecting');
        else logger.info({ redis }, 'reconnected to Redis');
      },
    });
    logger.info({ redis, keyPrefix }, 'id map store: Redis');
    return store;
  }
  return FileIdMapStore.open(config.idMap.path);
}

/** The per-resource lock replicas sharing a Redis id map take, on the store's connection. */
function redisLock(store: RedisIdMapStore, logger: Logger): RedisResourceLock {
  return new RedisResourceLock(store.client, {
    keyPrefix: store.keyPrefix,
    onLeaseLost: (key) =>
      logger.warn(
        { key },
        'a resource lock lease expired while its write was running; writes may have overlapped',
      ),
    onError: (error, key) =>
      logger.warn(
        { key, reason: error instanceof Error ? error.message : String(error) },
        'resource lock renewal or release failed',
      ),
  });
}

/**
 * Full schemas drive filters, PATCH and validation; trimmed ones (only the attributes the
 * mapping declares) are what discovery advertises.
 */
function resourceSchemas(
  mapping: CompiledMapping,
  trimmed: boolean,
): Partial<Record<ResourceTypeName, ResourceSchema>> {
  const out: Partial<Record<ResourceTypeName, ResourceSchema>> = {};
  const user = mapping.resources.User;
  if (user) {
    const supported = trimmed && user.attributes ? supportedBy(user.attributes) : undefined;
    out.User = userResourceSchema({
      enterprise: user.enterpriseExtension,
      ...(supported ? { supported } : {}),
    });
  }
  const group = mapping.resources.Group;
  if (group) {
    const supported = trimmed && group.attributes ? supportedBy(group.attributes) : undefined;
    out.Group = groupResourceSchema(supported ? { supported } : {});
  }
  return out;
}

function supportedBy(attributes: string[]): (path: string) => boolean {
  const lower = attributes.map((a) => a.toLowerCase());
  return (path) => {
    const p = path.toLowerCase();
    return lower.some(
      (a) => a === p || p.startsWith(`${a}.`) || a.startsWith(`${p}.`) || a.endsWith(`:${p}`),
    );
  };
}
