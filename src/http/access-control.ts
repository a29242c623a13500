import type { FastifyInstance } from 'fastify';
import { DEFAULTS, type DeploymentConfig, type InboundAuthConfig } from '../config/deployment-config.js';
import { scimErrors } from '../scim/errors.js';
import { credentialFingerprint } from '../security/credentials.js';
import { AddressSet, clientAddress } from '../security/ip-rules.js';
import { AuthThrottle } from './auth-throttle.js';
import { challenge, createRequestAuthenticator, credentialKind } from './authenticator.js';
import { sendScimError } from './error-handler.js';

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
 * `server.allowList` (403 otherwise); credentials of a kind blocked for that address after
 * repeated failures get 429 with Retry-After, not even looked at unless they cannot be guessed
 * or have authenticated before (see AuthThrottle: a valid credential is never refused); then
 * the credentials must authenticate (401, one body for every failure). The client address is
 * the socket peer, or the X-Forwarded-For entry added by the nearest proxy listed in
 * `server.trustedProxies`.
 */
export function registerAccessControl(
  scope: FastifyInstance,
  config: DeploymentConfig,
  options: AccessControlOptions = {},
): void {
  const { server } = config;
  const allowList = server.allowList?.length ? new AddressSet(server.allowList) : undefined;
  const trustedProxies = server.trustedProxies?.length ? new AddressSet(server.trustedProxies) : undefined;
  // Absent from a config built in code (the demo, an embedder): the defaults, as for a config file.
  const throttleOptions = server.authThrottle ?? DEFAULTS.authThrottle;
  const throttle = new AuthThrottle(throttleOptions, options.clock);
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
    const authorization = request.headers.authorization;
    const kind = credentialKind(authorization);
    const fingerprint =
      throttle.enabled && kind === 'basic' && authorization
        ? credentialFingerprint(authorization)
        : undefined;
    // Blocked credentials are not even looked at, unless checking them can reveal nothing.
    const wait = throttle.retryAfter(ip, kind);
    if (wait > 0 && !throttle.admits(kind, fingerprint)) {
      sendScimError(reply, tooManyFailures(wait));
      return reply;
    }
    const { authenticate, wwwAuthenticate } = current();
    const outcome = await authenticate(authorization);
    if (outcome.principal) {
      if (fingerprint) throttle.succeed(fingerprint);
      request.principal = outcome.principal;
      return undefined;
    }
    if (outcome.busy) {
      request.log.warn({ clientIp: ip, reason: outcome.reason }, 'SCIM authentication could not be checked');
      sendScimError(
        reply,
        scimErrors.unavailable('Too many authentication checks at once; try again shortly', 1),
      );
      return reply;
    }
    // Checked while blocked and wrong: still blocked (a key set outage is not the caller's doing).
    if (wait > 0 && outcome.callerFault) {
      sendScimError(reply, tooManyFailures(wait));
      return reply;
    }
    // A key set outage is not the caller's doing; a request without credentials is.
    const blocked = outcome.callerFault ? throttle.fail(ip, kind) : false;
    if (outcome.callerFault) {
      request.log.info({ clientIp: ip, reason: outcome.reason }, 'SCIM authentication failed');
    } else {
      request.log.warn({ clientIp: ip, reason: outcome.reason }, 'SCIM authentication could not be checked');
    }
    if (blocked) {
      request.log.warn(
        { clientIp: ip, credentials: kind, blockSec: throttleOptions.blockSec },
        'too many failed authentications: blocking such credentials from the address for a while',
      );
    }
    reply.header('www-authenticate', wwwAuthenticate);
    sendScimError(reply, scimErrors.unauthorized(UNAUTHORIZED_DETAIL));
    return reply;
  });
}

function tooManyFailures(retryAfterSec: number) {
  return scimErrors.tooManyRequests(
    'Too many failed authentication attempts; try again later',
    retryAfterSec,
  );
}
