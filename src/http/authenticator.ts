import type { InboundAuthConfig } from '../config/deployment-config.js';
import { hashToken, safeEqual, verifyPassword } from './credentials.js';

/** Who called, for logs and the audit trail (never the credential itself). */
export interface Principal {
  method: 'bearer' | 'basic';
  name: string;
}

export type Authenticate = (authorization: string | undefined, now?: Date) => Principal | undefined;

/**
 * Checks the Authorization header against the configured credentials. Every configured token is
 * compared (no early exit), so timing does not reveal which one matched or how many exist.
 * Returns undefined for any failure: the caller answers one indistinct 401.
 */
export function createAuthenticator(config: InboundAuthConfig): Authenticate {
  const tokens = config.bearer?.tokens ?? [];
  const basic = config.basic;
  return (authorization, now = new Date()) => {
    if (!authorization) return undefined;
    const space = authorization.indexOf(' ');
    if (space === -1) return undefined;
    const scheme = authorization.slice(0, space).toLowerCase();
    const credential = authorization.slice(space + 1).trim();
    if (scheme === 'bearer' && tokens.length > 0) {
      const presented = hashToken(credential);
      let match: Principal | undefined;
      for (const token of tokens) {
        const equal = safeEqual(presented, token.hash);
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

/** The WWW-Authenticate challenge for a 401 (RFC 7235 §4.1), one per configured scheme. */
export function challenge(config: InboundAuthConfig): string {
  const schemes: string[] = [];
  if (config.bearer) schemes.push('Bearer realm="scim-sidecar"');
  if (config.basic) schemes.push('Basic realm="scim-sidecar", charset="UTF-8"');
  return schemes.join(', ');
}
