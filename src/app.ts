import { createRequire } from 'node:module';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import { AdminConsole } from './admin/admin-console.js';
import { adminPlugin } from './admin/admin-plugin.js';
import type { WebhookSender } from './admin/notifier.js';
import { DEFAULTS, type DeploymentConfig } from './config/deployment-config.js';
import type { UpstreamObserver } from './connector/connector.js';
import type { RetryPolicy } from './connector/retry-policy.js';
import { sendScimError } from './http/error-handler.js';
import { scimPlugin } from './http/scim-plugin.js';
import { enableCertificateReload, httpsOption } from './http/tls.js';
import { FileIdMapStore } from './idmap/file-store.js';
import { IdMap } from './idmap/id-map.js';
import { MemoryIdMapStore } from './idmap/memory-store.js';
import { RedisIdMapStore, redactRedisUrl } from './idmap/redis-store.js';
import type { IdMapStore } from './idmap/types.js';
import { KeyedLock, type ResourceLock } from './locks/keyed-lock.js';
import { RedisResourceLock } from './locks/redis-lock.js';
import type { CompiledMapping, ResourceTypeName } from './mapping/mapping-types.js';
import { AccessLog } from './ops/access-log.js';
import { createAuditLogger } from './ops/audit.js';
import { createLogger } from './ops/logger.js';
import { SidecarMetrics } from './ops/metrics.js';
import { registerMetrics } from './ops/metrics-routes.js';
import { opsPlugin } from './ops/ops-routes.js';
import { ReadinessProbe } from './ops/readiness-probe.js';
import { passthroughPlugin } from './passthrough/passthrough.js';
import { createGeneration, type SharedParts } from './runtime/generation.js';
import { Reloader } from './runtime/reload.js';
import { RuntimeHolder } from './runtime/runtime-holder.js';
import { scimErrors } from './scim/errors.js';
import { DEFAULT_LIMITS, type ServiceLimits } from './service/service-deps.js';

const require = createRequire(import.meta.url);
const VERSION = (require('../package.json') as { version: string }).version;

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
  /** The audit trail's logger; null: no audit trail. Default: per `logging.audit`. */
  auditLogger?: Logger | null;
  now?: () => Date;
  /** The admin console's webhook transport (tests). */
  sendWebhook?: WebhookSender;
  /** How often the admin console's charts read the metrics (tests shorten it). */
  adminSampleIntervalMs?: number;
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
  const audit =
    dependencies.auditLogger === undefined
      ? createAuditLogger(config.logging.audit ?? 'off')
      : (dependencies.auditLogger ?? undefined);
  const store = dependencies.idMapStore ?? (await openStore(config, logger));
  // A store shared by replicas is read through, never cached: the others write to it too.
  const shared = store instanceof RedisIdMapStore;
  const idMap = new IdMap(store, { cacheSize: shared ? 0 : config.idMap.cacheSize });
  const limits = { ...DEFAULT_LIMITS, ...dependencies.limits };

  // Gauges read the current generation when scraped; `runtime` is set before any scrape.
  const metrics = new SidecarMetrics(
    {
      upstreamLoad: () => runtime.current.connector.load,
      idMap,
      resourceTypes: () => Object.keys(runtime.current.mapping.resources) as ResourceTypeName[],
    },
    { version: VERSION, app: () => runtime.current.mapping.app },
  );
  // /readyz: one health check every few seconds at most, whoever asks and how often.
  const readiness = new ReadinessProbe({
    check: () => runtime.current.connector.checkHealth(),
    log: logger,
  });
  const external = dependencies.observeUpstream;
  let shuttingDown = false;
  // Off (the default): no console object, no activity ring, no hook, no observer: nothing.
  const admin = config.admin?.enabled
    ? new AdminConsole({
        config: config.admin,
        version: VERSION,
        live: () => runtime.current,
        idMap,
        metrics,
        readiness,
        isShuttingDown: () => shuttingDown,
        log: logger,
        ...(config.server.publicUrl ? { publicUrl: config.server.publicUrl } : {}),
        ...(dependencies.sendWebhook ? { sendWebhook: dependencies.sendWebhook } : {}),
      })
    : undefined;
  const adminObserve = admin?.observeUpstream;
  const observe: UpstreamObserver = (event) => {
    metrics.observeUpstream(event);
    readiness.observe(event);
    adminObserve?.(event);
    external?.(event);
  };
  // What a reload keeps; the generation (mapping, connector, services) is what it replaces.
  const parts: SharedParts = {
    idMap,
    locks: dependencies.lock ?? (shared ? redisLock(store, logger) : new KeyedLock()),
    log: logger,
    limits,
    observe,
    ...(dependencies.retry ? { retry: dependencies.retry } : {}),
    ...(dependencies.dispatcher ? { dispatcher: dependencies.dispatcher } : {}),
    ...(dependencies.now ? { now: dependencies.now } : {}),
  };
  const runtime = new RuntimeHolder(createGeneration(config, mapping, parts));

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: config.server.bodyLimit,
    trustProxy: config.server.trustProxy,
    https: httpsOption(config.server.tls),
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true, ignoreDuplicateSlashes: true },
    requestIdHeader: false,
    logController: new AccessLog(),
    // Requests that arrive while closing get a SCIM 503 with Retry-After (below), not fastify's.
    return503OnClosing: false,
    // Malformed URLs (`/scim/v2/Users/%zz`) never reach a route: answer them in SCIM terms too.
    frameworkErrors: (error, request, reply) => {
      const scimError = scimErrors.invalidSyntax(`The request URL is malformed (${error.code || 'bad URL'})`);
      if (isUnderBasePath(request.url, config.server.basePath)) {
        sendScimError(reply, scimError);
        return;
      }
      void (reply as FastifyReply).code(400).send({ error: 'Bad Request', message: scimError.message });
    },
  });
  // While shutting down: finish what is in flight, refuse what is new, and close each kept-alive
  // connection after its answer so close() does not wait for idle sockets to time out.
  // (Callback style: these run on every request, and an async hook costs a promise each time.)
  app.addHook('onRequest', (request, reply, done) => {
    if (!shuttingDown) return done();
    reply.header('connection', 'close');
    const unavailable = scimErrors.unavailable('The server is shutting down; try again shortly', 5);
    if (isUnderBasePath(request.url, config.server.basePath)) sendScimError(reply, unavailable);
    else reply.status(503).header('retry-after', '5').send({ error: 'Service Unavailable' });
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (shuttingDown) reply.header('connection', 'close');
    done(null, payload);
  });
  // Before the scopes below, so that its hooks see every SCIM request.
  registerMetrics(app, metrics, {
    basePath: config.server.basePath,
    enabled: config.metrics?.enabled ?? true,
    path: config.metrics?.path ?? DEFAULTS.metricsPath,
    bearerTokenHash: () => runtime.current.config.metrics?.bearerTokenHash,
  });
  await app.register(opsPlugin, {
    readiness,
    isShuttingDown: () => shuttingDown,
  });
  await app.register(scimPlugin, {
    prefix: config.server.basePath,
    config,
    services: runtime.liveServices(),
    discoverySchemas: () => runtime.current.discoverySchemas,
    maxResults: limits.maxCount,
    ...(audit || admin
      ? {
          audit: {
            ...(audit ? { logger: audit } : {}),
            ...(admin ? { activity: admin.activity } : {}),
            app: mapping.app,
          },
        }
      : {}),
    // Tokens rotate with a reload (SIGHUP), without a restart.
    accessControl: { currentAuth: () => runtime.current.config.auth },
  });
  // Before the passthrough, so that the console's path never reaches the app.
  if (admin) await app.register(adminPlugin, { prefix: admin.path, console: admin });
  await app.register(passthroughPlugin, {
    upstream: config.upstream.baseUrl,
    auth: () => runtime.current.config.auth,
    basePath: config.server.basePath,
    ...(config.server.trustedProxies ? { trustedProxies: config.server.trustedProxies } : {}),
    forwardedHeaders: config.passthrough?.forwardedHeaders ?? 'set',
    ...(config.passthrough?.bodyLimit !== undefined ? { bodyLimit: config.passthrough.bodyLimit } : {}),
  });
  if (config.server.tls) enableCertificateReload(app, config.server.tls);
  app.addHook('preClose', async () => {
    shuttingDown = true;
  });
  const reloader = new Reloader({
    holder: runtime,
    shared: parts,
    log: logger,
    metrics,
    setLogLevel: (level) => {
      logger.level = level;
      app.log.level = level;
    },
  });
  if (admin) {
    // The console's Status page shows the last reload, whatever triggered it.
    const reload = reloader.reload.bind(reloader);
    reloader.reload = async (trigger) => {
      const outcome = await reload(trigger);
      admin.recordReload(trigger ?? 'request', outcome);
      return outcome;
    };
    admin.start(dependencies.adminSampleIntervalMs);
  }
  app.decorate('reloader', reloader);
  app.addHook('onClose', async () => {
    admin?.close();
    await runtime.close();
    await idMap.close();
    audit?.flush();
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
  // Into the JSON log, not stderr: what the store survived (a torn tail, an empty file) matters.
  return FileIdMapStore.open(config.idMap.path, {
    onWarning: (warning) =>
      logger.warn(warning.cause instanceof Error ? { reason: warning.cause.message } : {}, warning.message),
  });
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

function isUnderBasePath(url: string, basePath: string): boolean {
  const path =
    url
      .split('?')[0]
      ?.toLowerCase()
      .replace(/\/{2,}/g, '/') ?? '';
  const base = basePath.toLowerCase();
  return path === base || path.startsWith(`${base}/`);
}
