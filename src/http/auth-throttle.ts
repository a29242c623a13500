import { LRUCache } from 'lru-cache';

export interface AuthThrottleOptions {
  /** Failed authentications from one address within `windowSec` that block it; 0 disables. */
  maxFailures: number;
  windowSec: number;
  /** How long a blocked address is answered 429 without its credentials being looked at. */
  blockSec: number;
  /** Most addresses remembered; the least recently seen are forgotten first. */
  maxClients?: number;
}

export const DEFAULT_AUTH_THROTTLE = { maxFailures: 10, windowSec: 60, blockSec: 300 } as const;

const DEFAULT_MAX_CLIENTS = 10_000;

interface ClientState {
  /** Times (ms) of the failures still inside the window, oldest first. */
  failures: number[];
  blockedUntil: number;
}

/**
 * Slows down credential guessing: after `maxFailures` failed authentications from one client
 * address within `windowSec`, that address is answered 429 for `blockSec`, whatever it sends.
 * Successful requests neither count nor reset anything. State is in memory and bounded: an
 * attacker spraying addresses evicts old entries rather than exhausting memory.
 */
export class AuthThrottle {
  private readonly clients: LRUCache<string, ClientState>;

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

  /** Seconds until `address` may try again, or 0 when it is not blocked. */
  retryAfter(address: string): number {
    if (!this.enabled) return 0;
    const state = this.clients.get(address, { updateAgeOnGet: false });
    if (!state) return 0;
    const left = state.blockedUntil - this.clock();
    return left > 0 ? Math.ceil(left / 1000) : 0;
  }

  /** Records a failed authentication; true when it has just blocked the address. */
  fail(address: string): boolean {
    if (!this.enabled) return false;
    const now = this.clock();
    const state = this.clients.get(address) ?? { failures: [], blockedUntil: 0 };
    const windowStart = now - this.options.windowSec * 1000;
    state.failures = state.failures.filter((t) => t > windowStart);
    state.failures.push(now);
    let blocked = false;
    if (state.failures.length >= this.options.maxFailures) {
      state.blockedUntil = now + this.options.blockSec * 1000;
      state.failures = [];
      blocked = true;
    }
    this.clients.set(address, state);
    return blocked;
  }

  /** Addresses currently remembered (for tests). */
  get size(): number {
    return this.clients.size;
  }
}
