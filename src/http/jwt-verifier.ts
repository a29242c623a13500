import { createRemoteJWKSet, decodeJwt, errors, type JWTVerifyGetKey, jwtVerify } from 'jose';
import type { JwtAuthConfig } from '../config/deployment-config.js';

/** A compact JWS: three base64url segments (header.payload.signature). */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export function isJwtShaped(token: string): boolean {
  return JWT_SHAPE.test(token);
}

export type JwtCheck =
  | { ok: true; clientId: string }
  /**
   * `reason` is for the operator's log only (never for the response, never holding the token);
   * `unavailable` marks a failure of the key set, not of the caller (it does not count toward
   * the failure throttle).
   */
  | { ok: false; reason: string; unavailable: boolean };

export type JwtVerifier = (token: string, now?: Date) => Promise<JwtCheck>;

export interface JwtVerifierOptions {
  /** Key resolver to use instead of fetching `jwksUri` (tests). */
  keys?: JWTVerifyGetKey;
}

/** How long fetched keys are kept before the key set is read again (jose's own default). */
const JWKS_CACHE_MAX_AGE_MS = 10 * 60_000;
/** An unknown key id refetches the key set at most this often. */
const JWKS_COOLDOWN_MS = 30_000;
const JWKS_TIMEOUT_MS = 5_000;

/**
 * Verifies OAuth 2.0 access tokens issued by Microsoft Entra ID (or any OpenID provider): the
 * signature against the provider's key set (fetched from `jwksUri` and cached; an unknown key id
 * refetches it, rate-limited), the algorithm against the allowed list (never `none` or HMAC),
 * the issuer, the audience, `exp` (required) and `nbf`, with a small clock tolerance.
 */
export function createJwtVerifier(config: JwtAuthConfig, options: JwtVerifierOptions = {}): JwtVerifier {
  const keys =
    options.keys ??
    createRemoteJWKSet(new URL(config.jwksUri), {
      cacheMaxAge: JWKS_CACHE_MAX_AGE_MS,
      cooldownDuration: JWKS_COOLDOWN_MS,
      timeoutDuration: JWKS_TIMEOUT_MS,
    });
  const allowedClients = config.allowedClientIds ? new Set(config.allowedClientIds) : undefined;
  return async (token, now = new Date()) => {
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer: config.issuer,
        audience: config.audience,
        algorithms: config.algorithms,
        clockTolerance: config.clockToleranceSec,
        currentDate: now,
        requiredClaims: ['exp'],
      });
      // Entra puts the calling application in `appid` (v1 tokens) or `azp` (v2 tokens).
      const clientId = stringClaim(payload.appid) ?? stringClaim(payload.azp) ?? stringClaim(payload.sub);
      if (!clientId)
        return { ok: false, reason: 'token names no client (appid, azp or sub)', unavailable: false };
      if (allowedClients && !allowedClients.has(clientId)) {
        return { ok: false, reason: 'client is not in auth.jwt.allowedClientIds', unavailable: false };
      }
      return { ok: true, clientId };
    } catch (error) {
      return describeFailure(error);
    }
  };
}

/**
 * True when the token is meant for this SCIM endpoint (its unverified `iss` and `aud` are the
 * configured ones), whether or not it is still valid: such a token is never forwarded to the app.
 */
export function isTokenForScim(config: JwtAuthConfig, token: string): boolean {
  try {
    const claims = decodeJwt(token);
    const issuers = toList(config.issuer);
    const audiences = toList(config.audience);
    const tokenAudiences = toList(claims.aud ?? []);
    return (
      typeof claims.iss === 'string' &&
      issuers.includes(claims.iss) &&
      tokenAudiences.some((aud) => audiences.includes(aud))
    );
  } catch {
    return false;
  }
}

function describeFailure(error: unknown): Extract<JwtCheck, { ok: false }> {
  if (error instanceof errors.JWTExpired) return { ok: false, reason: 'token expired', unavailable: false };
  if (error instanceof errors.JWTClaimValidationFailed) {
    return { ok: false, reason: `claim ${error.claim} rejected (${error.reason})`, unavailable: false };
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return { ok: false, reason: 'no key in the key set matches the token', unavailable: false };
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return { ok: false, reason: 'signature verification failed', unavailable: false };
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return { ok: false, reason: 'signing algorithm not allowed', unavailable: false };
  }
  if (error instanceof errors.JWKSTimeout) {
    return { ok: false, reason: 'the key set did not arrive in time', unavailable: true };
  }
  if (error instanceof errors.JWKSInvalid) {
    return { ok: false, reason: 'the key set is not valid', unavailable: true };
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    return { ok: false, reason: 'malformed token', unavailable: false };
  }
  if (error instanceof errors.JOSEError && error.code === 'ERR_JOSE_GENERIC') {
    // jose's wording for a key set answered with a status other than 200, or not JSON.
    return { ok: false, reason: 'the key set could not be read', unavailable: true };
  }
  if (error instanceof errors.JOSEError) return { ok: false, reason: error.code, unavailable: false };
  // fetch() itself failed: the key set is unreachable. Anything else is the token's fault, so a
  // crafted token cannot pass for an outage and escape the failure throttle.
  if (error instanceof TypeError && error.message === 'fetch failed') {
    return { ok: false, reason: 'the key set is unreachable', unavailable: true };
  }
  return { ok: false, reason: 'token rejected', unavailable: false };
}

function stringClaim(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function toList(value: string | string[]): string[] {
  return Array.isArray(value) ? value : [value];
}
