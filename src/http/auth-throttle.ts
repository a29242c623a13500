import { LRUCache } from 'lru-cache';

export interface AuthThrottleOptions {
  /** Failed authentications of one kind from one address within `windowSec` that block it; 0 disables. */
  maxFailures: number;
  windowSec: number;
  /** How long blocked credentials from that address are answered 429. */
  blockSec: number;
  /** Most (address, kind) pairs remembered; the least recently seen are forgotten first. */
  maxClients?: number;
}

export const DEFAULT_AUTH_THROTTLE = { maxFailures: 10, windowSec: 60, blockSec: 300 } as const;

/**
 * What a request presented, as far as the throttle cares: `none`, a `bearer` token (an opaque
 * token or a JWT: neither can be guessed), `basic` credentials (a password can be), or `other`.
 */
export type CredentialKind = 'none' | 'bearer' | 'basic' | 'other';

const DEFAULT_MAX_CLIENTS = 10_000;
/** Credentials that authenticated are remembered this long, so a block never refuses them. */
const REMEMBER_SUCCESS_MS = 24 * 60 * 60 * 1000;
const MAX_REMEMBERED_SUCCESSES = 1_000;

interface ClientState {
  /** Times (ms) of the failures still inside the window, oldest first. */
  failures: number[];
  blockedUntil: number;
}

/**
 * Slows down credential guessing without ever locking out the identity provider. Failures are
 * counted per client address and kind of credential presented (requests without credentials
 * included): after `maxFailures` within `windowSec`, that address's credentials of that kind
 * are blocked for `blockSec`. A block never refuses a valid credential: bearer tokens and JWTs
 * cannot be guessed, so they are still checked (a valid one passes; a wrong one gets 429), and a
 * basic credential is let through if it has authenticated before (see {@link admits}). So a
 * noisy neighbour behind the IdP's address (an ingress, a NAT) slows only itself. Successes
 * neither count nor reset anything. State is in memory and bounded.
 */
export class AuthThrottle {
  private readonly clients: LRUCache<string, ClientState>;
  private readonly succeeded = new LRUCache<string, true>({
    max: MAX_REMEMBERED_SUCCESSES,
    ttl: REMEMBER_SUCCESS_MS,
  });

  constructor(
    private readonly options: AuthThrottleOptions,
    private readonly clock: () => number = Date.now,
  ) {
    const ttl = Math.max(options.windowSec, options.blockSec) * 1000;
    this.clients = new LRUCache<string, ClientState>({
      max: options.maxClients ?? DEFAULT_MAX_CLIENTS,
      ttl,
      ttlAutopurge: false,
    });
  }

  get enabled(): boolean {
    return this.options.maxFailures > 0;
  }

  /** Seconds until `kind` credentials from `address` are unblocked, or 0 when they are not blocked. */
  retryAfter(address: string, kind: CredentialKind): number {
    if (!this.enabled) return 0;
    const state = this.clients.get(key(address, kind), { updateAgeOnGet: false });
    if (!state) return 0;
    const left = state.blockedUntil - this.clock();
    return left > 0 ? Math.ceil(left / 1000) : 0;
  }

  /**
   * Whether a credential of a blocked kind may still be checked: one that cannot be guessed
   * (bearer), or one that authenticated before (`fingerprint` as given to {@link succeed}).
   * Anything else is answered 429 without a look, so a blocked guesser learns nothing.
   */
  admits(kind: CredentialKind, fingerprint: string | undefined): boolean {
    if (kind === 'bearer') return true;
    return fingerprint !== undefined && this.succeeded.has(fingerprint);
  }

  /** Records a credential that authenticated, by a keyed hash of it (never the credential). */
  succeed(fingerprint: string): void {
    if (this.enabled) this.succeeded.set(fingerprint, true);
  }

  /** Records a failed authentication; true when it has just blocked the address's `kind` credentials. */
  fail(address: string, kind: CredentialKind): boolean {
    if (!this.enabled) return false;
    const now = this.clock();
    const id = key(address, kind);
    const state = this.clients.get(id) ?? { failures: [], blockedUntil: 0 };
    const windowStart = now - this.options.windowSec * 1000;
    state.failures = state.failures.filter((t) => t > windowStart);
    state.failures.push(now);
    let blocked = false;
    if (state.failures.length >= this.options.maxFailures) {
      state.blockedUntil = now + this.options.blockSec * 1000;
      state.failures = [];
      blocked = true;
    }
    this.clients.set(id, state);
    return blocked;
  }

  /** (address, kind) pairs currently remembered (for tests). */
  get size(): number {
    return this.clients.size;
  }
}

function key(address: string, kind: CredentialKind): string {
  return `${kind} ${address}`;
}
