import type { FastifyInstance } from 'fastify';
import type { Connector } from '../connector/connector.js';

export interface OpsOptions {
  /** The connector of the current generation (it changes on reload). */
  connector: () => Connector;
  isShuttingDown: () => boolean;
}

/** /healthz (the process is alive) and /readyz (the app is reachable with the adapter's credentials). */
export async function opsPlugin(scope: FastifyInstance, options: OpsOptions): Promise<void> {
  scope.get('/healthz', async () => ({ status: 'ok' }));
  scope.get('/readyz', async (_request, reply) => {
    if (options.isShuttingDown()) return reply.status(503).send({ status: 'shutting down' });
    const health = await options.connector().checkHealth();
    if (!health.ok) {
      return reply
        .status(503)
        .send({ status: 'unavailable', upstreamStatus: health.status, detail: health.detail });
    }
    return { status: 'ready', upstreamStatus: health.status };
  });
}
