import { createHash, randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { AdminConfig } from '../config/deployment-config.js';
import { AuthThrottle } from '../http/auth-throttle.js';
import {
  matchesStoredDigest,
  presentedDigest,
  safeEqual,
  storedDigest,
  verifyPasswordAsync,
} from '../security/credentials.js';

/** Who is signed in to the console (never the credential itself). */
export interface AdminPrincipal {
  method: 'token' | 'password';
  name: string;
}

export interface AdminSession {
  principal: AdminPrincipal;
  /** Sent back in every form; a POST without it is refused (CSRF). */
  csrf: string;
  expiresAt: number;
}

export type SignInResult =
  | { ok: true; sessionId: string; session: AdminSession }
  | { ok: false; retryAfterSec?: number };

/** Signed-in sessions kept at once; the least recently used go first. */
const MAX_SESSIONS = 100;

/**
 * The console's own credential: a token (only its hash is configured) or a user name and
 * password (scrypt hash), never a SCIM credential. A sign-in opens a session held in memory; the
 * browser keeps only a random id. Failed sign-ins are throttled per client address like SCIM's.
 */
export class AdminAuth {
  private readonly tokenDigest: Buffer | undefined;
  private readonly sessions: LRUCache<string, AdminSession>;
  private readonly throttle: AuthThrottle;

  constructor(
    private readonly config: AdminConfig,
    private readonly clock: () => number = Date.now,
  ) {
    this.tokenDigest = config.tokenHash ? storedDigest(config.tokenHash) : undefined;
    this.sessions = new LRUCache({ max: MAX_SESSIONS });
    this.throttle = new AuthThrottle({ maxFailures: 10, windowSec: 60, blockSec: 300 }, clock);
  }

  get ttlMs(): number {
    return this.config.sessionMinutes * 60_000;
  }

  /** Checks a token or a user name and password; opens a session when it is right. */
  async signIn(
    clientIp: string,
    credential: { token: string } | { username: string; password: string },
  ): Promise<SignInResult> {
    const kind = 'token' in credential ? 'bearer' : 'basic';
    const wait = this.throttle.retryAfter(clientIp, kind);
    if (wait > 0 && kind === 'basic') return { ok: false, retryAfterSec: wait };
    const principal = await this.check(credential);
    if (!principal) {
      this.throttle.fail(clientIp, kind);
      const blocked = this.throttle.retryAfter(clientIp, kind);
      return blocked > 0 ? { ok: false, retryAfterSec: blocked } : { ok: false };
    }
    const sessionId = randomBytes(32).toString('base64url');
    const session: AdminSession = {
      principal,
      csrf: randomBytes(24).toString('base64url'),
      expiresAt: this.clock() + this.ttlMs,
    };
    this.sessions.set(sessionKey(sessionId), session);
    return { ok: true, sessionId, session };
  }

  /** The session a cookie names, while it lasts. */
  session(sessionId: string | undefined): AdminSession | undefined {
    if (!sessionId) return undefined;
    const key = sessionKey(sessionId);
    const session = this.sessions.get(key);
    if (!session) return undefined;
    if (session.expiresAt <= this.clock()) {
      this.sessions.delete(key);
      return undefined;
    }
    return session;
  }

  signOut(sessionId: string | undefined): void {
    if (sessionId) this.sessions.delete(sessionKey(sessionId));
  }

  /**
   * A console credential in an Authorization header (scripts, health tooling): `Bearer <console
   * token>` or `Basic` with the console user. No session and no CSRF token: a browser never
   * adds such a header by itself, as the console never asks it to (no Basic challenge).
   */
  async fromHeader(clientIp: string, authorization: string | undefined): Promise<AdminPrincipal | undefined> {
    if (!authorization) return undefined;
    const space = authorization.indexOf(' ');
    const scheme = authorization.slice(0, space).toLowerCase();
    const value = authorization.slice(space + 1).trim();
    if (scheme === 'bearer') return this.checkThrottled(clientIp, { token: value });
    if (scheme === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon === -1) return undefined;
      return this.checkThrottled(clientIp, {
        username: decoded.slice(0, colon),
        password: decoded.slice(colon + 1),
      });
    }
    return undefined;
  }

  /** A credential checked under the failure throttle, without opening a session. */
  private async checkThrottled(
    clientIp: string,
    credential: { token: string } | { username: string; password: string },
  ): Promise<AdminPrincipal | undefined> {
    const kind = 'token' in credential ? 'bearer' : 'basic';
    if (kind === 'basic' && this.throttle.retryAfter(clientIp, kind) > 0) return undefined;
    const principal = await this.check(credential);
    if (!principal) this.throttle.fail(clientIp, kind);
    return principal;
  }

  private async check(
    credential: { token: string } | { username: string; password: string },
  ): Promise<AdminPrincipal | undefined> {
    if ('token' in credential) {
      if (!this.tokenDigest || credential.token === '') return undefined;
      return matchesStoredDigest(presentedDigest(credential.token), this.tokenDigest)
        ? { method: 'token', name: 'token' }
        : undefined;
    }
    const basic = this.config.basic;
    if (!basic) return undefined;
    const userOk = safeEqual(credential.username, basic.username);
    const passwordOk = await verifyPasswordAsync(credential.password, basic.passwordHash);
    return userOk && passwordOk ? { method: 'password', name: basic.username } : undefined;
  }
}

/** Sessions are kept under a hash of their id: what is in memory does not open the console by itself. */
function sessionKey(sessionId: string): string {
  return createHash('sha256').update(sessionId).digest('base64url');
}
