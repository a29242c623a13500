import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

/**
 * One line per request at `info`, when its answer has gone out, where fastify writes two
 * ("incoming request", then "request completed"): the first only repeats what the second says,
 * and the pair doubled what logging costs each request. At `debug` the first line is written
 * too (it shows requests that never complete). The request's serializer keeps the query string
 * out (see createLogger).
 */
export class AccessLog extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    if (this.isLogDisabled(request)) return;
    request.log.debug({ req: request }, 'incoming request');
  }

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
