import type { FastifyInstance } from 'fastify';
import type { DeploymentConfig, InboundAuthConfig } from '../config/deployment-config.js';
import { scimErrors } from '../scim/errors.js';
import { AuthThrottle } from './auth-throttle.js';
import { challenge, createRequestAuthenticator } from './authenticator.js';
import { sendScimError } from './error-handler.js';
import { AddressSet, clientAddress } from './ip-rules.js';

/** The one 401 detail, whichever method was tried and whichever check failed. */
export const UNAUTHORIZED_DETAIL = 'Authentication failed: send a valid bearer token';

export interface AccessControlOptions {
  /** Clock for the failure throttle (tests). */
  clock?: () => number;
  /** The credentials in effect now, when a reload may change them; default: `config.auth`. */
  currentAuth?: () => InboundAuthConfig;
}

/**
 * Guards every route of the SCIM scope, in this order: the client address must be in
 * `server.allowList` (403 otherwise); an address blocked after repeated failures gets 429 with
 * Retry-After, its credentials not even looked at; then the credentials must authenticate
 * (401, one body for every failure). The client address is the socket peer, or the
 * X-Forwarded-For entry added by the nearest proxy listed in `server.trustedProxies`.
 */
export function registerAccessControl(
  scope: FastifyInstance,
  config: DeploymentConfig,
  options: AccessControlOptions = {},
): void {
  const { server } = config;
  const allowList = server.allowList?.length ? new AddressSet(server.allowList) : undefined;
  const trustedProxies = server.trustedProxies?.length ? new AddressSet(server.trustedProxies) : undefined;
  const throttle = server.authThrottle ? new AuthThrottle(server.authThrottle, options.clock) : undefined;
  // One authenticator per credentials object: rebuilt only when a reload brings new credentials.
  const authenticatorFor = (auth: InboundAuthConfig) => ({
    authenticate: createRequestAuthenticator(auth),
    wwwAuthenticate: challenge(auth),
  });
  const built = new WeakMap<InboundAuthConfig, ReturnType<typeof authenticatorFor>>();
  const current = () => {
    const auth = options.currentAuth?.() ?? config.auth;
    let found = built.get(auth);
    if (!found) {
      found = authenticatorFor(auth);
      built.set(auth, found);
    }
    return found;
  };

  scope.addHook('onRequest', async (request, reply) => {
    const ip = clientAddress(
      request.socket.remoteAddress,
      request.headers['x-forwarded-for'],
      trustedProxies,
    );
    request.clientIp = ip;
    if (allowList && !allowList.has(ip)) {
      request.log.info({ clientIp: ip }, 'SCIM request from an address outside server.allowList');
      sendScimError(reply, scimErrors.forbidden('This address may not call the SCIM endpoint'));
      return reply;
    }
    const wait = throttle?.retryAfter(ip) ?? 0;
    if (wait > 0) {
      sendScimError(
        reply,
        scimErrors.tooManyRequests('Too many failed authentication attempts; try again later', wait),
      );
      return reply;
    }
    const { authenticate, wwwAuthenticate } = current();
    const outcome = await authenticate(request.headers.authorization);
    if (!outcome.principal) {
      // A request without credentials guesses nothing; a key set outage is not the caller's doing.
      const guessed = outcome.callerFault && request.headers.authorization !== undefined;
      const blocked = guessed && throttle ? throttle.fail(ip) : false;
      if (outcome.callerFault) {
        request.log.info({ clientIp: ip, reason: outcome.reason }, 'SCIM authentication failed');
      } else {
        request.log.warn(
          { clientIp: ip, reason: outcome.reason },
          'SCIM authentication could not be checked',
        );
      }
      if (blocked) {
        request.log.warn(
          { clientIp: ip, blockSec: server.authThrottle?.blockSec },
          'too many failed authentications: blocking the address for a while',
        );
      }
      reply.header('www-authenticate', wwwAuthenticate);
      sendScimError(reply, scimErrors.unauthorized(UNAUTHORIZED_DETAIL));
      return reply;
    }
    request.principal = outcome.principal;
    return undefined;
  });
}
