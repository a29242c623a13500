import type { FastifyInstance } from 'fastify';

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
