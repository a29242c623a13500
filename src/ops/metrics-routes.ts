import type { FastifyInstance, FastifyRequest } from 'fastify';
import { clientProfile } from '../scim/client-profile.js';
import { matchesStoredDigest, presentedDigest, storedDigest } from '../security/credentials.js';
import { type SidecarMetrics, scimRouteLabels } from './metrics.js';

export interface MetricsRouteOptions {
  /** The SCIM base path: requests under it are counted. */
  basePath: string;
  /** Serve the exposition at `path`; false: count, but serve nothing (the path reaches the app). */
  enabled: boolean;
  path: string;
  /** `sha256:<hex>` of the token a scraper must send; read per scrape, so a reload can change it. */
  bearerTokenHash: () => string | undefined;
}

/**
 * Counts every SCIM request when its answer has gone out, and serves the Prometheus exposition.
 * Registered on the root instance before the SCIM scope, so its hooks see every SCIM route.
 */
export function registerMetrics(
  app: FastifyInstance,
  metrics: SidecarMetrics,
  options: MetricsRouteOptions,
): void {
  const scimTypes = new WeakMap<FastifyRequest, string>();

  // The scimType is only in the error body; read it there, for error answers of SCIM routes only.
  // Callback-style hooks: they run on every request, and an async hook costs a promise each time.
  app.addHook('onSend', (request, reply, payload, done) => {
    if (reply.statusCode >= 400 && typeof payload === 'string' && payload.includes('scimType')) {
      if (scimRouteLabels(request.method, request.routeOptions.url, options.basePath)) {
        try {
          const scimType = (JSON.parse(payload) as { scimType?: unknown }).scimType;
          if (typeof scimType === 'string') scimTypes.set(request, scimType);
        } catch {
          // Not a JSON body: no scimType to count.
        }
      }
    }
    done(null, payload);
  });

  app.addHook('onResponse', (request, reply, done) => {
    const labels = scimRouteLabels(request.method, request.routeOptions.url, options.basePath);
    if (labels) {
      const scimType = scimTypes.get(request);
      metrics.recordRequest({
        ...labels,
        status: reply.statusCode,
        client: clientProfile(request),
        durationSeconds: reply.elapsedTime / 1000,
        ...(scimType ? { scimType } : {}),
      });
    }
    done();
  });

  if (!options.enabled) return;
  app.get(options.path, async (request, reply) => {
    const expected = options.bearerTokenHash();
    if (expected !== undefined) {
      const token = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
      if (token === undefined || !matchesStoredDigest(presentedDigest(token), storedDigest(expected))) {
        return reply
          .status(401)
          .header('www-authenticate', 'Bearer realm="metrics"')
          .type('text/plain; charset=utf-8')
          .send('Unauthorized\n');
      }
    }
    const { contentType, body } = await metrics.render();
    return reply.type(contentType).header('cache-control', 'no-store').send(body);
  });
}
