import { LRUCache } from 'lru-cache';
import { credentialFingerprint, safeEqual, verifyPasswordAsync } from '../security/credentials.js';

export interface BasicVerifierOptions {
  /** Password checks running at once; default 2 (libuv's pool of 4 also serves files and DNS). */
  maxConcurrent?: number;
  /** Checks waiting for a turn; beyond that, `busy` at once. Default 64. */
  maxQueue?: number;
  /** How long a verified credential is remembered; default 5 minutes. */
  rememberMs?: number;
}

/** `busy`: too many checks at once to take this one (not the caller's fault, not counted). */
export type BasicCheck = 'ok' | 'wrong' | 'busy';

const DEFAULTS = { maxConcurrent: 2, maxQueue: 64, rememberMs: 5 * 60 * 1000 } as const;

/**
 * Checks basic credentials against the configured user without blocking the event loop. scrypt
 * is slow on purpose (about 65 ms of CPU), so it runs asynchronously on the thread pool, a
 * bounded number at a time, the rest waiting in a bounded queue. A verified credential is
 * remembered briefly under a keyed hash of it ({@link credentialFingerprint}), so the identity
 * provider, which sends the same header on every request, pays for scrypt once, and password
 * guessers cannot delay it. The memory belongs to this verifier: new credentials (a reload) start
 * afresh.
 */
export class BasicVerifier {
  private readonly verified: LRUCache<string, true>;
  private readonly maxConcurrent: number;
  private readonly maxQueue: number;
  /** Checks running or waiting for a turn. */
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly basic: { username: string; passwordHash: string },
    options: BasicVerifierOptions = {},
  ) {
    this.maxConcurrent = options.maxConcurrent ?? DEFAULTS.maxConcurrent;
    this.maxQueue = options.maxQueue ?? DEFAULTS.maxQueue;
    this.verified = new LRUCache({ max: 64, ttl: options.rememberMs ?? DEFAULTS.rememberMs });
  }

  /** Checks the base64 part of a `Basic` Authorization header. */
  async check(credential: string): Promise<BasicCheck> {
    const fingerprint = credentialFingerprint(credential);
    if (this.verified.has(fingerprint)) return 'ok';
    const decoded = Buffer.from(credential, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon === -1) return 'wrong';
    const userOk = safeEqual(decoded.slice(0, colon), this.basic.username);
    if (!this.enter()) return 'busy';
    let passwordOk: boolean;
    try {
      await this.turn();
      // Checked whatever the user name, so timing does not tell a wrong user from a wrong password.
      passwordOk = await verifyPasswordAsync(decoded.slice(colon + 1), this.basic.passwordHash);
    } finally {
      this.leave();
    }
    if (!userOk || !passwordOk) return 'wrong';
    this.verified.set(fingerprint, true);
    return 'ok';
  }

  /** Takes a place: running or in the queue; false when the queue is full. */
  private enter(): boolean {
    if (this.running >= this.maxConcurrent + this.maxQueue) return false;
    this.running++;
    return true;
  }

  private turn(): Promise<void> {
    if (this.running <= this.maxConcurrent) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private leave(): void {
    this.running--;
    this.waiting.shift()?.();
  }
}
