import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { RedisScript } from '../idmap/redis-store.js';
import { scimErrors } from '../scim/errors.js';
import type { LockGrant, ResourceLock } from './keyed-lock.js';

export interface RedisResourceLockOptions {
  /** Lock keys are `<keyPrefix>:lock:<key>`. Default `scim-sidecar`. */
  keyPrefix?: string;
  /**
   * How long a lock outlives a holder that stopped renewing it (crashed, lost its connection).
   * Default 15 000 ms.
   */
  leaseMs?: number;
  /** How often the holder extends its lease while its work runs. Default a third of `leaseMs`. */
  renewEveryMs?: number;
  /** Longest wait for a lock before giving up with 503. Default 10 000 ms. */
  maxWaitMs?: number;
  /** The Retry-After (seconds) of that 503. Default 2. */
  retryAfterSeconds?: number;
  /** Polling backoff while waiting: starts at `minBackoffMs`, doubles up to `maxBackoffMs`, jittered. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /**
   * Told when a holder finds its lease gone while its work still runs (a renewal came too late,
   * e.g. Redis was unreachable for longer than the lease): another replica may have run
   * concurrently.
   */
  onLeaseLost?: (key: string) => void;
  /** Told about renewals and releases that failed (the lease then simply expires). */
  onError?: (error: unknown, key: string) => void;
}

/** Extends the lease if the caller still holds it. KEYS lock; ARGV token, lease ms. */
const RENEW_SCRIPT = new RedisScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`);

/** Deletes the lock only if the caller still holds it. KEYS lock; ARGV token. */
const RELEASE_SCRIPT = new RedisScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

/**
 * A per-resource lock shared by replicas through Redis: a lease (`SET NX PX` of a random token)
 * that the holder renews while its work runs and releases with a compare-and-delete, so a holder
 * whose lease expired never frees a lock someone else took since. Waiters poll with a short
 * jittered backoff; one that waits longer than `maxWaitMs` gets a SCIM 503 with Retry-After, as
 * does every caller while Redis is unreachable.
 *
 * Mutual exclusion holds as long as each holder renews in time; a lease that lapses anyway is
 * reported through `onLeaseLost`.
 */
export class RedisResourceLock implements ResourceLock {
  private readonly prefix: string;
  private readonly leaseMs: number;
  private readonly renewEveryMs: number;
  private readonly maxWaitMs: number;
  private readonly retryAfterSeconds: number;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;

  constructor(
    private readonly client: Redis,
    private readonly options: RedisResourceLockOptions = {},
  ) {
    this.prefix = options.keyPrefix ?? 'scim-sidecar';
    this.leaseMs = options.leaseMs ?? 15_000;
    this.renewEveryMs = options.renewEveryMs ?? Math.max(1, Math.floor(this.leaseMs / 3));
    this.maxWaitMs = options.maxWaitMs ?? 10_000;
    this.retryAfterSeconds = options.retryAfterSeconds ?? 2;
    this.minBackoffMs = options.minBackoffMs ?? 5;
    this.maxBackoffMs = Math.max(this.minBackoffMs, options.maxBackoffMs ?? 100);
  }

  async run<T>(key: string, work: (grant: LockGrant) => Promise<T>): Promise<T> {
    const lockKey = `${this.prefix}:lock:${key}`;
    const token = randomUUID();
    const waited = await this.acquire(lockKey, token);
    const lease = this.keepRenewing(lockKey, token, key);
    try {
      return await work({ waited });
    } finally {
      lease.stop();
      await this.release(lockKey, token, key);
    }
  }

  /** Resolves once the lock is held: true when someone else held it first. */
  private async acquire(lockKey: string, token: string): Promise<boolean> {
    const deadline = Date.now() + this.maxWaitMs;
    let backoff = this.minBackoffMs;
    for (let attempt = 0; ; attempt++) {
      let acquired: string | null;
      try {
        acquired = await this.client.set(lockKey, token, 'PX', this.leaseMs, 'NX');
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw scimErrors.unavailable(
          `The shared lock store (Redis) is unavailable: ${reason}`,
          this.retryAfterSeconds,
        );
      }
      if (acquired === 'OK') return attempt > 0;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw scimErrors.unavailable(
          'Another request is still changing this resource; retry shortly',
          this.retryAfterSeconds,
        );
      }
      // Equal jitter: half the backoff fixed, half random, so waiters spread out.
      await sleep(Math.min(left, backoff / 2 + Math.random() * (backoff / 2)));
      backoff = Math.min(this.maxBackoffMs, backoff * 2);
    }
  }

  private keepRenewing(lockKey: string, token: string, key: string): { stop: () => void } {
    let stopped = false;
    let renewing = false;
    const timer = setInterval(() => {
      if (renewing) return;
      renewing = true;
      RENEW_SCRIPT.run(this.client, [lockKey], [token, this.leaseMs])
        .then((renewed) => {
          if (renewed === 1 || stopped) return;
          stopped = true;
          clearInterval(timer);
          this.options.onLeaseLost?.(key);
        })
        .catch((error: unknown) => this.options.onError?.(error, key))
        .finally(() => {
          renewing = false;
        });
    }, this.renewEveryMs);
    timer.unref();
    return {
      stop: () => {
        stopped = true;
        clearInterval(timer);
      },
    };
  }

  /** Never throws: the work's outcome stands, and a lock not released expires with its lease. */
  private async release(lockKey: string, token: string, key: string): Promise<void> {
    try {
      await RELEASE_SCRIPT.run(this.client, [lockKey], [token]);
    } catch (error) {
      this.options.onError?.(error, key);
    }
  }
}
