import type { FastifyInstance } from 'fastify';

const SHUTDOWN_TIMEOUT_MS = 25_000;

/**
 * Listens and stops gracefully: on SIGTERM/SIGINT the server stops accepting connections,
 * lets in-flight requests finish, then closes the app (upstream pool, id map store).
 */
export async function runServer(
  app: FastifyInstance,
  host: string,
  port: number,
  onStop?: () => Promise<void>,
): Promise<string> {
  const address = await app.listen({ host, port });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    // Kubernetes sends SIGKILL 30 s after SIGTERM by default: leave before that, cleanly.
    const deadline = setTimeout(() => {
      app.log.error({ afterMs: SHUTDOWN_TIMEOUT_MS }, 'shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    deadline.unref();
    try {
      await app.close();
      await onStop?.();
      process.exit(0);
    } catch (error) {
      app.log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  return address;
}
