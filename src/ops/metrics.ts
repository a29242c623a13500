import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { UpstreamObserver } from '../connector/connector.js';
import type { IdMap } from '../idmap/id-map.js';
import type { ResourceTypeName } from '../mapping/mapping-types.js';
import type { ClientProfile } from '../scim/client-profile.js';

/** Where the gauges read their values when scraped. */
export interface MetricsSources {
  /** Calls to the app in flight and waiting for a slot (the current connector's gate). */
  upstreamLoad: () => { active: number; queued: number };
  idMap: IdMap;
  /** The resource types the current mapping provisions. */
  resourceTypes: () => ResourceTypeName[];
}

/** One SCIM request as the metrics see it: route labels only, never a value from the request. */
export interface ScimRequestSample {
  resource: string;
  operation: string;
  status: number;
  client: ClientProfile;
  durationSeconds: number;
  /** The SCIM error's scimType, when the answer was an error that has one. */
  scimType?: string;
}

export type ReloadResult = 'success' | 'failure';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The Prometheus metrics of one app instance, in a registry of its own (never prom-client's
 * global one, so several apps can live in one process). Labels hold route names, status codes
 * and client kinds: never a user name, an id or a credential.
 */
export class SidecarMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'resource' | 'operation' | 'status' | 'client'>;
  private readonly requestDuration: Histogram<'resource' | 'operation'>;
  private readonly errors: Counter<'type' | 'status'>;
  private readonly upstreamDuration: Histogram<'operation' | 'outcome'>;
  private readonly retries: Counter<'operation'>;
  private readonly reloads: Counter<'result'>;
  private readonly lastReload: Gauge;

  constructor(sources: MetricsSources, info: { version: string; app: () => string }) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'scim_sidecar_requests_total',
      help: 'SCIM requests answered, by resource, operation, HTTP status and client profile (entra, okta, generic).',
      labelNames: ['resource', 'operation', 'status', 'client'],
      registers,
    });
    this.requestDuration = new Histogram({
      name: 'scim_sidecar_request_duration_seconds',
      help: 'Time to answer a SCIM request, by resource and operation.',
      labelNames: ['resource', 'operation'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.errors = new Counter({
      name: 'scim_sidecar_errors_total',
      help: 'SCIM error answers, by type (the scimType, or the status class 4xx/5xx when there is none) and HTTP status.',
      labelNames: ['type', 'status'],
      registers,
    });
    this.upstreamDuration = new Histogram({
      name: 'scim_sidecar_upstream_request_duration_seconds',
      help: 'Duration of each call to the app, by mapped operation (User.get, Group.addMember, app.health) and outcome (2xx..5xx, or error when no answer came).',
      labelNames: ['operation', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.retries = new Counter({
      name: 'scim_sidecar_upstream_retries_total',
      help: 'Calls to the app that were retries (second attempt or later), by mapped operation.',
      labelNames: ['operation'],
      registers,
    });
    new Gauge({
      name: 'scim_sidecar_upstream_in_flight',
      help: 'Calls to the app in flight now.',
      registers,
      collect() {
        this.set(sources.upstreamLoad().active);
      },
    });
    new Gauge({
      name: 'scim_sidecar_upstream_queue_depth',
      help: 'Calls to the app waiting for a free slot (upstream.concurrency) now.',
      registers,
      collect() {
        this.set(sources.upstreamLoad().queued);
      },
    });
    new Gauge({
      name: 'scim_sidecar_idmap_entries',
      help: 'Resources in the id map, by resource type.',
      labelNames: ['resource_type'],
      registers,
      async collect() {
        this.reset();
        for (const type of sources.resourceTypes()) {
          // A store that cannot answer now (Redis down) leaves the series out rather than failing the scrape.
          const size = await sources.idMap.size(type).catch(() => undefined);
          if (size !== undefined) this.set({ resource_type: type }, size);
        }
      },
    });
    new Counter({
      name: 'scim_sidecar_idmap_cache_hits_total',
      help: 'Id map lookups answered from the in-process cache.',
      registers,
      collect() {
        this.reset();
        this.inc(sources.idMap.stats().hits);
      },
    });
    new Counter({
      name: 'scim_sidecar_idmap_cache_misses_total',
      help: 'Id map lookups that went to the store.',
      registers,
      collect() {
        this.reset();
        this.inc(sources.idMap.stats().misses);
      },
    });
    new Gauge({
      name: 'scim_sidecar_idmap_cache_hit_ratio',
      help: 'Share of id map lookups answered from the cache since start (0 before the first lookup).',
      registers,
      collect() {
        const { hits, misses } = sources.idMap.stats();
        this.set(hits + misses === 0 ? 0 : hits / (hits + misses));
      },
    });
    new Gauge({
      name: 'scim_sidecar_idmap_cache_entries',
      help: 'Id map entries held in the in-process cache.',
      registers,
      collect() {
        this.set(sources.idMap.stats().size);
      },
    });
    this.reloads = new Counter({
      name: 'scim_sidecar_config_reloads_total',
      help: 'Reloads of config.yaml and the mapping (SIGHUP or file change), by result.',
      labelNames: ['result'],
      registers,
    });
    this.lastReload = new Gauge({
      name: 'scim_sidecar_config_last_reload_success_timestamp_seconds',
      help: 'When the configuration in use was loaded (start-up or the last successful reload), in Unix seconds.',
      registers,
    });
    this.lastReload.set(Date.now() / 1000);
    new Gauge({
      name: 'scim_sidecar_info',
      help: 'Always 1; the labels say which version runs and which mapping (its app name) is in use.',
      labelNames: ['version', 'app'],
      registers,
      collect() {
        this.reset();
        this.set({ version: info.version, app: info.app() }, 1);
      },
    });
    // Both result series exist from the start, so alerts on increase() see the first failure.
    this.reloads.inc({ result: 'success' }, 0);
    this.reloads.inc({ result: 'failure' }, 0);
  }

  /** The connector's observer: one call per attempt toward the app. */
  readonly observeUpstream: UpstreamObserver = (event) => {
    const operation = `${event.resourceType}.${event.operation}`;
    const outcome = event.status === undefined ? 'error' : `${Math.floor(event.status / 100)}xx`;
    this.upstreamDuration.observe({ operation, outcome }, event.durationMs / 1000);
    if ((event.attempt ?? 1) > 1) this.retries.inc({ operation });
  };

  recordRequest(sample: ScimRequestSample): void {
    const { resource, operation, client } = sample;
    const status = String(sample.status);
    this.requests.inc({ resource, operation, status, client });
    this.requestDuration.observe({ resource, operation }, sample.durationSeconds);
    if (sample.status >= 400) {
      this.errors.inc({ type: sample.scimType ?? `${Math.floor(sample.status / 100)}xx`, status });
    }
  }

  recordReload(result: ReloadResult): void {
    this.reloads.inc({ result });
    if (result === 'success') this.lastReload.set(Date.now() / 1000);
  }

  /** The exposition text: this app's metrics, then the process's (CPU, memory, event loop). */
  async render(): Promise<{ contentType: string; body: string }> {
    const own = await this.registry.metrics();
    const process = await processRegistry().metrics();
    return { contentType: this.registry.contentType, body: `${own}\n${process}` };
  }
}

let processMetrics: Registry | undefined;

/**
 * Node's process metrics (CPU, memory, event loop lag, GC) describe the process, not an app
 * instance: collected once per process, in their own registry, the first time one is scraped.
 */
function processRegistry(): Registry {
  if (!processMetrics) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics });
  }
  return processMetrics;
}

const RESOURCE_PATHS: Record<string, ResourceTypeName> = { users: 'User', groups: 'Group' };
const DISCOVERY: Record<string, string> = {
  serviceproviderconfig: 'ServiceProviderConfig',
  resourcetypes: 'ResourceTypes',
  schemas: 'Schemas',
};

/**
 * The resource and operation of a SCIM route, from its registered pattern (`/scim/v2/Users/:id`),
 * never from the URL itself: the label set stays small and holds no id or filter value.
 * Undefined for a route outside the SCIM base path.
 */
export function scimRouteLabels(
  method: string,
  routePattern: string | undefined,
  basePath: string,
): { resource: string; operation: string } | undefined {
  if (!routePattern) return undefined;
  const lower = routePattern.toLowerCase();
  const base = basePath.toLowerCase();
  if (lower !== base && !lower.startsWith(`${base}/`)) return undefined;
  const [first = '', second] = lower.slice(base.length).split('/').filter(Boolean);
  const resource = RESOURCE_PATHS[first];
  if (resource) {
    if (second === undefined) return { resource, operation: method === 'POST' ? 'create' : 'query' };
    if (second === '.search') return { resource, operation: 'query' };
    const byMethod: Record<string, string> = { GET: 'get', PUT: 'replace', PATCH: 'patch', DELETE: 'delete' };
    return { resource, operation: byMethod[method] ?? 'other' };
  }
  const discovery = DISCOVERY[first];
  if (discovery) return { resource: discovery, operation: 'discovery' };
  return { resource: 'none', operation: 'unknown' };
}
