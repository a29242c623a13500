import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

/**
 * One line per request, when its answer has gone out, in place of fastify's two ("incoming
 * request", then "request completed"): the first only repeated what the second says, and the
 * pair doubled what logging at `info` costs each request. The request's serializer keeps the
 * query string out (see createLogger).
 */
export class AccessLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (this.isLogDisabled(request)) return;
    const line = { req: request, res: reply, responseTime: reply.elapsedTime };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request completed');
  }
}
