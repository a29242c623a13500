import type { FastifyInstance } from 'fastify';
import type { ReadinessProbe } from './readiness-probe.js';

export interface OpsOptions {
  /** Whether the app passes its health check (cached, one check at a time). */
  readiness: Pick<ReadinessProbe, 'ready'>;
  isShuttingDown: () => boolean;
}

/**
 * /healthz (the process is alive) and /readyz (the app is reachable with the adapter's
 * credentials). Neither needs credentials, so neither says more than ready or not: the reason
 * is in the log.
 */
export async function opsPlugin(scope: FastifyInstance, options: OpsOptions): Promise<void> {
  scope.get('/healthz', async () => ({ status: 'ok' }));
  scope.get('/readyz', async (_request, reply) => {
    if (options.isShuttingDown()) return reply.status(503).send({ status: 'shutting down' });
    if (!(await options.readiness.ready())) return reply.status(503).send({ status: 'not ready' });
    return { status: 'ready' };
  });
}
