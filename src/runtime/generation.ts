import type { Dispatcher } from 'undici';
import type { DeploymentConfig } from '../config/deployment-config.js';
import { Connector, type UpstreamObserver } from '../connector/connector.js';
import { ResourceGateway } from '../connector/gateway.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../connector/retry-policy.js';
import { UpstreamClient } from '../connector/upstream-client.js';
import type { IdMap } from '../idmap/id-map.js';
import type { ResourceLock } from '../locks/keyed-lock.js';
import type { CompiledMapping, ResourceTypeName } from '../mapping/mapping-types.js';
import type { ResourceSchema } from '../scim/schema-types.js';
import { groupResourceSchema, userResourceSchema } from '../scim/schemas/resource-schema.js';
import { ResourceService } from '../service/resource-service.js';
import type { ServiceDeps, ServiceLimits, ServiceLog } from '../service/service-deps.js';

/** What every generation shares: replaced only by a restart. */
export interface SharedParts {
  idMap: IdMap;
  /** Per-resource write locks: shared, so writes stay serialised across a reload. */
  locks: ResourceLock;
  log: ServiceLog;
  limits: ServiceLimits;
  observe: UpstreamObserver;
  /** Overrides of the backoff settings (tests shorten the delays). */
  retry?: Partial<RetryPolicy>;
  /** The transport toward the app, when injected (tests). */
  dispatcher?: Dispatcher;
  now?: () => Date;
}

/**
 * Everything a SCIM request needs that a reload may replace: the configuration in effect, the
 * compiled mapping, the connector (and its client) and the services built on them. A request
 * uses the generation that was current when it started, from start to end.
 */
export interface Generation {
  readonly config: DeploymentConfig;
  readonly mapping: CompiledMapping;
  readonly client: UpstreamClient;
  readonly connector: Connector;
  readonly services: Partial<Record<ResourceTypeName, ResourceService>>;
  /** Schemas trimmed to what round-trips through the mapping: advertised, and what writes are checked against. */
  readonly discoverySchemas: Partial<Record<ResourceTypeName, ResourceSchema>>;
}

/**
 * Builds a generation. Given the previous one, its client is kept when the settings it was built
 * from are unchanged, and its limit on concurrent calls to the app is shared when the limits are.
 */
export function createGeneration(
  config: DeploymentConfig,
  mapping: CompiledMapping,
  shared: SharedParts,
  previous?: Generation,
): Generation {
  const { upstream } = config;
  const client =
    previous && sameClientSettings(previous.config, config)
      ? previous.client
      : new UpstreamClient({
          baseUrl: upstream.baseUrl,
          auth: upstream.auth,
          timeoutMs: upstream.timeoutMs,
          concurrency: upstream.concurrency,
          ...(shared.dispatcher ? { dispatcher: shared.dispatcher } : {}),
        });
  const retry = { ...DEFAULT_RETRY_POLICY, maxAttempts: upstream.retries + 1, ...shared.retry };
  const limits = { concurrency: upstream.concurrency, maxQueue: upstream.maxQueue };
  const connector =
    previous?.connector.hasLimits(limits) === true
      ? previous.connector.derive(mapping, client, retry)
      : new Connector(mapping, client, shared.observe, { ...limits, retry });
  const discoverySchemas = resourceSchemas(mapping, true);
  const deps: ServiceDeps = {
    idMap: shared.idMap,
    schemas: resourceSchemas(mapping, false) as Record<ResourceTypeName, ResourceSchema>,
    advertisedSchemas: discoverySchemas as Record<ResourceTypeName, ResourceSchema>,
    strictAttributes: config.server.strictAttributes ?? false,
    locks: shared.locks,
    log: shared.log,
    limits: shared.limits,
    ...(shared.now ? { now: shared.now } : {}),
  };
  const services: Partial<Record<ResourceTypeName, ResourceService>> = {};
  for (const type of Object.keys(mapping.resources) as ResourceTypeName[]) {
    services[type] = new ResourceService(new ResourceGateway(connector, type), deps);
  }
  return { config, mapping, client, connector, services, discoverySchemas };
}

function sameClientSettings(a: DeploymentConfig, b: DeploymentConfig): boolean {
  return (
    a.upstream.baseUrl === b.upstream.baseUrl &&
    a.upstream.timeoutMs === b.upstream.timeoutMs &&
    a.upstream.concurrency === b.upstream.concurrency &&
    JSON.stringify(a.upstream.auth) === JSON.stringify(b.upstream.auth)
  );
}

/**
 * Full schemas drive filters, PATCH and validation; trimmed ones (only the attributes the
 * mapping declares, by default those that survive a write and a read) are what discovery
 * advertises and what writes are checked against for attributes the app would not keep.
 */
export function resourceSchemas(
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
