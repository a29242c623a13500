import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isScimError, type ScimError, scimErrors } from '../scim/errors.js';
import { drainBodyAfterEarlyAnswer } from './drain-body.js';

export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';

/**
 * The one error handler of the SCIM scope: every failure becomes an RFC 7644 §3.12 error body.
 * Input problems are 4xx; only a bug in the adapter is a 500, and its detail is generic.
 *
 * A detail can quote personal data (the app's "login jdoe@… is taken", a value that failed
 * validation), so it is logged at debug level only; info and error lines carry the status and
 * scimType. An unexpected exception (a bug) keeps its stack at error level.
 */
export function scimErrorHandler(
  error: FastifyError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const scimError = toScimError(error);
  const summary = { status: scimError.status, scimType: scimError.scimType };
  if (scimError.status >= 500) {
    if (isScimError(error)) request.log.error(summary, 'SCIM request failed');
    else request.log.error({ ...summary, err: error }, 'SCIM request failed');
  } else {
    request.log.info(summary, 'SCIM request rejected');
  }
  request.log.debug({ ...summary, detail: scimError.message }, 'SCIM error detail');
  if ((error as Partial<FastifyError>).code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    drainBodyAfterEarlyAnswer(request.raw, reply);
  sendScimError(reply, scimError);
}

export function sendScimError(reply: FastifyReply, error: ScimError): void {
  if (error.retryAfter !== undefined) reply.header('retry-after', String(error.retryAfter));
  reply.status(error.status).type(SCIM_CONTENT_TYPE).send(error.toBody());
}

const STORE_OUTAGE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
]);

export function toScimError(error: unknown): ScimError {
  if (isScimError(error)) return error;
  const fastifyError = error as Partial<FastifyError>;
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return scimErrors.payloadTooLarge('The request body is larger than the server accepts');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return scimErrors.unsupportedMediaType('Send application/scim+json or application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return scimErrors.invalidSyntax('The request body is empty');
    // Fastify's message names application/json whatever the client sent.
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return scimErrors.invalidSyntax('The request body is not valid JSON');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return scimErrors.invalidSyntax('Content-Length does not match the body');
    default:
      break;
  }
  if (error instanceof SyntaxError)
    return scimErrors.invalidSyntax(`The request body is not valid JSON: ${error.message}`);
  // The id map store (Redis) being unreachable is an outage to wait out, not a bug.
  if (
    STORE_OUTAGE_CODES.has(String(fastifyError.code)) ||
    (error as Error).name === 'MaxRetriesPerRequestError'
  ) {
    return scimErrors.unavailable('The id map store is not reachable; try again shortly', 5);
  }
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return status === 400
      ? scimErrors.invalidSyntax(fastifyError.message ?? 'Bad request')
      : errorWithStatus(status);
  }
  return scimErrors.internal('The server could not process the request');
}

function errorWithStatus(status: number): ScimError {
  if (status === 404) return scimErrors.notFound('Not found');
  if (status === 405) return scimErrors.methodNotAllowed('Method not allowed');
  if (status === 413) return scimErrors.payloadTooLarge('The request body is too large');
  if (status === 415)
    return scimErrors.unsupportedMediaType('Send application/scim+json or application/json');
  return scimErrors.invalidSyntax('Bad request');
}
