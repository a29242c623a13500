import type { InboundAuthConfig } from '../config/deployment-config.js';
import {
  matchesStoredDigest,
  presentedDigest,
  safeEqual,
  storedDigest,
  verifyPassword,
} from '../security/credentials.js';
import type { CredentialKind } from './auth-throttle.js';
import { BasicVerifier, type BasicVerifierOptions } from './basic-verifier.js';
import { createJwtVerifier, isJwtShaped, isTokenForScim, type JwtVerifierOptions } from './jwt-verifier.js';

/** Who called, for logs and the audit trail (never the credential itself). */
export interface Principal {
  method: 'bearer' | 'basic' | 'jwt';
  /** The token's name, the basic user name, or the JWT's client id (appid / azp). */
  name: string;
}

export type Authenticate = (authorization: string | undefined, now?: Date) => Principal | undefined;

/**
 * Checks the Authorization header against the configured credentials, synchronously (tools and
 * tests; the server uses {@link createRequestAuthenticator}, which checks passwords off the event
 * loop). Every configured token is compared (no early exit), so timing does not reveal which one
 * matched or how many exist. Returns undefined for any failure: the caller answers one
 * indistinct 401.
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
  /** The credentials could not be checked now (too many password checks at once): try again. */
  busy?: boolean;
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
  options: JwtVerifierOptions & { basic?: BasicVerifierOptions } = {},
): RequestAuthenticator {
  const opaque = createAuthenticator(config.bearer ? { bearer: config.bearer } : {});
  const jwt = config.jwt ? createJwtVerifier(config.jwt, options) : undefined;
  // Basic passwords are checked off the event loop (scrypt), and remembered once verified.
  const basic = config.basic ? new BasicVerifier(config.basic, options.basic) : undefined;
  return async (authorization, now = new Date()) => {
    if (!authorization) return { reason: 'no credentials', callerFault: true };
    const { scheme, credential } = splitAuthorization(authorization);
    if (jwt && scheme === 'bearer' && isJwtShaped(credential)) {
      const check = await jwt(credential, now);
      if (check.ok) return { principal: { method: 'jwt', name: check.clientId }, callerFault: true };
      return { reason: `jwt: ${check.reason}`, callerFault: !check.unavailable };
    }
    if (scheme === 'basic' && basic && config.basic) {
      const check = await basic.check(credential);
      if (check === 'ok')
        return { principal: { method: 'basic', name: config.basic.username }, callerFault: true };
      if (check === 'busy')
        return { reason: 'basic: too many password checks at once', callerFault: false, busy: true };
      return { reason: 'basic credentials rejected', callerFault: true };
    }
    const principal = opaque(authorization, now);
    if (principal) return { principal, callerFault: true };
    return { reason: `${scheme || 'unknown'} credentials rejected`, callerFault: true };
  };
}

/**
 * True when an Authorization header carries a SCIM credential, valid or not, in any spelling: a
 * configured token (expired ones included), basic credentials naming the SCIM user, or a JWT
 * issued for the SCIM audience, under any scheme or none, separated by tabs or spaces, quoted,
 * as a `name=value` parameter or after another credential. Such a header is never forwarded to
 * the app; any other is the app's business. Cheap and synchronous: no scrypt, no key set fetch.
 */
export function scimCredentialMatcher(
  config: InboundAuthConfig,
): (authorization: string | undefined) => boolean {
  const digests = (config.bearer?.tokens ?? []).map((token) => storedDigest(token.hash));
  const jwt = config.jwt;
  const basicUser = config.basic?.username;
  return (authorization) => {
    if (!authorization) return false;
    const candidates = credentialCandidates(authorization);
    // More pieces than any credential has: not worth hashing them all, and not forwarded.
    if (candidates === undefined) return true;
    for (const candidate of candidates) {
      if (jwt && isJwtShaped(candidate) && isTokenForScim(jwt, candidate)) return true;
      if (digests.length > 0) {
        const presented = presentedDigest(candidate);
        let match = false;
        for (const digest of digests) match = matchesStoredDigest(presented, digest) || match;
        if (match) return true;
      }
      if (basicUser !== undefined && namesBasicUser(candidate, basicUser)) return true;
    }
    return false;
  };
}

const MAX_CREDENTIAL_PIECES = 32;

/**
 * Every piece of an Authorization value that could be a credential: the whole value, its words
 * (split on spaces, tabs and commas), each without quotes, and the value of a `name=value` word.
 * Undefined when there are more words than {@link MAX_CREDENTIAL_PIECES}.
 */
function credentialCandidates(authorization: string): Set<string> | undefined {
  const words = authorization.split(/[\s,]+/).filter((word) => word !== '');
  if (words.length > MAX_CREDENTIAL_PIECES) return undefined;
  const out = new Set<string>([authorization.trim()]);
  for (const word of words) {
    const unquoted = unquote(word);
    out.add(unquoted);
    const equals = unquoted.indexOf('=');
    if (equals > 0 && equals < unquoted.length - 1) out.add(unquote(unquoted.slice(equals + 1)));
  }
  out.delete('');
  return out;
}

function unquote(text: string): string {
  return text.length >= 2 && text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1) : text;
}

/** Whether `candidate` is base64 of `<basicUser>:<anything>`. */
function namesBasicUser(candidate: string, basicUser: string): boolean {
  const decoded = Buffer.from(candidate, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon !== -1 && safeEqual(decoded.slice(0, colon), basicUser);
}

/** What kind of credential an Authorization header presents (for the failure throttle). */
export function credentialKind(authorization: string | undefined): CredentialKind {
  if (authorization === undefined || authorization.trim() === '') return 'none';
  const { scheme } = splitAuthorization(authorization);
  return scheme === 'bearer' || scheme === 'basic' ? scheme : 'other';
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
