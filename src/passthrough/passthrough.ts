import proxy from '@fastify/http-proxy';
import type { FastifyInstance } from 'fastify';

export interface PassthroughOptions {
  upstream: string;
}

/**
 * Every request that is not SCIM and not an ops endpoint goes to the app untouched, in its own
 * scope: @fastify/http-proxy registers catch-all body parsers that must not reach the SCIM scope.
 */
export async function passthroughPlugin(scope: FastifyInstance, options: PassthroughOptions): Promise<void> {
  await scope.register(proxy, {
    upstream: options.upstream,
    prefix: '/',
    rewritePrefix: '/',
    websocket: false,
  });
}
