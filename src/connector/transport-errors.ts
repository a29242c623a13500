import { ScimError, scimErrors } from '../scim/errors.js';

/**
 * Transport failures toward the app, named and mapped to a SCIM status in one place
 * (the shape of @fastify/reply-from's error ladder). The detail names the operation, never
 * the URL's query string or any header.
 */
export function transportFailure(error: unknown, method: string, path: string): ScimError {
  if (error instanceof ScimError) return error;
  const code = errorCode(error);
  const target = `${method} ${path}`;
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'ABORT_ERR':
    case 'TimeoutError':
    case 'UND_ERR_ABORTED':
      return scimErrors.gatewayTimeout(`The app did not answer ${target} in time`);
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EHOSTUNREACH':
      return scimErrors.unavailable(`The app is not reachable (${code})`, 30);
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return scimErrors.badGateway(`The app closed the connection during ${target}`);
    case 'SCIM_SIDECAR_RESPONSE_TOO_LARGE':
      return scimErrors.badGateway(`The app's answer to ${target} was too large`);
    default:
      return scimErrors.badGateway(`Calling the app failed during ${target}`);
  }
}

export function errorCode(error: unknown): string {
  if (typeof error !== 'object' || error === null) return 'UNKNOWN';
  const record = error as { code?: unknown; name?: unknown; cause?: unknown };
  if (typeof record.code === 'string') return record.code;
  if (record.name === 'TimeoutError' || record.name === 'AbortError') return 'TimeoutError';
  if (record.cause) return errorCode(record.cause);
  return 'UNKNOWN';
}
