import type { InboundAuthConfig } from '../config/deployment-config.js';
import {
  matchesStoredDigest,
  presentedDigest,
  safeEqual,
  storedDigest,
  verifyPassword,
} from './credentials.js';
import { createJwtVerifier, isJwtShaped, isTokenForScim, type JwtVerifierOptions } from './jwt-verifier.js';

/** Who called, for logs and the audit trail (never the credential itself). */
export interface Principal {
  method: 'bearer' | 'basic' | 'jwt';
  /** The token's name, the basic user name, or the JWT's client id (appid / azp). */
  name: string;
}

export type Authenticate = (authorization: string | undefined, now?: Date) => Principal | undefined;

/**
 * Checks the Authorization header against the configured credentials. Every configured token is
 * compared (no early exit), so timing does not reveal which one matched or how many exist.
 * Returns undefined for any failure: the caller answers one indistinct 401.
 */
export function createAuthenticator(config: InboundAuthConfig): Authenticate {
  const tokens = (config.bearer?.tokens ?? []).map((token) => ({
    ...token,
    digest: storedDigest(token.hash),
  }));
  const basic = config.basic;
  return (authorization, now = new Date()) => {
    if (!authorization) return undefined;
    const space = authorization.indexOf(' ');
    if (space === -1) return undefined;
    const scheme = authorization.slice(0, space).toLowerCase();
    const credential = authorization.slice(space + 1).trim();
    if (scheme === 'bearer' && tokens.length > 0) {
      const presented = presentedDigest(credential);
      let match: Principal | undefined;
      for (const token of tokens) {
        const equal = matchesStoredDigest(presented, token.digest);
        const live = token.expiresAt === undefined || token.expiresAt.getTime() > now.getTime();
        if (equal && live && !match) match = { method: 'bearer', name: token.name };
      }
      return match;
    }
    if (scheme === 'basic' && basic) {
      const decoded = Buffer.from(credential, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon === -1) return undefined;
      const userOk = safeEqual(decoded.slice(0, colon), basic.username);
      const passwordOk = verifyPassword(decoded.slice(colon + 1), basic.passwordHash);
      return userOk && passwordOk ? { method: 'basic', name: basic.username } : undefined;
    }
    return undefined;
  };
}

/** The result of checking one request's credentials. */
export interface AuthOutcome {
  principal?: Principal;
  /** Why it failed, for the operator's log: never sent to the client, never holding a secret. */
  reason?: string;
  /** False when the failure is the server's (the JWT key set is unreachable), not the caller's. */
  callerFault: boolean;
}

export type RequestAuthenticator = (authorization: string | undefined, now?: Date) => Promise<AuthOutcome>;

/**
 * Every configured method at once: a JWT-shaped bearer token is verified against the JWT
 * provider's keys when `auth.jwt` is configured; any other bearer token is compared with the
 * configured token hashes; basic credentials with the configured user. The caller answers every
 * failure with the same 401, whichever check failed.
 */
export function createRequestAuthenticator(
  config: InboundAuthConfig,
  options: JwtVerifierOptions = {},
): RequestAuthenticator {
  const opaque = createAuthenticator(config);
  const jwt = config.jwt ? createJwtVerifier(config.jwt, options) : undefined;
  return async (authorization, now = new Date()) => {
    if (!authorization) return { reason: 'no credentials', callerFault: true };
    const { scheme, credential } = splitAuthorization(authorization);
    if (jwt && scheme === 'bearer' && isJwtShaped(credential)) {
      const check = await jwt(credential, now);
      if (check.ok) return { principal: { method: 'jwt', name: check.clientId }, callerFault: true };
      return { reason: `jwt: ${check.reason}`, callerFault: !check.unavailable };
    }
    const principal = opaque(authorization, now);
    if (principal) return { principal, callerFault: true };
    return { reason: `${scheme || 'unknown'} credentials rejected`, callerFault: true };
  };
}

/**
 * True when an Authorization header carries a SCIM credential, valid or not: a configured token
 * (expired ones included), basic credentials naming the SCIM user, or a JWT issued for the SCIM
 * audience. Such a header is never forwarded to the app; any other is the app's business.
 * Cheap and synchronous: no scrypt, no key set fetch.
 */
export function scimCredentialMatcher(
  config: InboundAuthConfig,
): (authorization: string | undefined) => boolean {
  const digests = (config.bearer?.tokens ?? []).map((token) => storedDigest(token.hash));
  return (authorization) => {
    if (!authorization) return false;
    const { scheme, credential } = splitAuthorization(authorization);
    if (scheme === 'bearer') {
      if (config.jwt && isJwtShaped(credential) && isTokenForScim(config.jwt, credential)) return true;
      if (digests.length === 0) return false;
      const presented = presentedDigest(credential);
      let match = false;
      for (const digest of digests) match = matchesStoredDigest(presented, digest) || match;
      return match;
    }
    if (scheme === 'basic' && config.basic) {
      const decoded = Buffer.from(credential, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      return colon !== -1 && safeEqual(decoded.slice(0, colon), config.basic.username);
    }
    return false;
  };
}

function splitAuthorization(authorization: string): { scheme: string; credential: string } {
  const trimmed = authorization.trim();
  const space = trimmed.indexOf(' ');
  if (space === -1) return { scheme: '', credential: trimmed };
  return { scheme: trimmed.slice(0, space).toLowerCase(), credential: trimmed.slice(space + 1).trim() };
}

/** The WWW-Authenticate challenge for a 401 (RFC 7235 §4.1), one per configured scheme. */
export function challenge(config: InboundAuthConfig): string {
  const schemes: string[] = [];
  if (config.bearer || config.jwt) schemes.push('Bearer realm="scim-sidecar"');
  if (config.basic) schemes.push('Basic realm="scim-sidecar", charset="UTF-8"');
  return schemes.join(', ');
}
