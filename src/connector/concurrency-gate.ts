import { scimErrors } from '../scim/errors.js';

/**
 * Bounded concurrency toward the app with a small waiting queue: a legacy app that handles one
 * request at a time must not see a burst of 200. A full queue, or a wait longer than the time
 * left, is answered with 503 + Retry-After rather than piling up work the IdP has given up on.
 */
export class ConcurrencyGate {
  private active = 0;
  private readonly waiting: Array<{
    grant: () => void;
    reject: (error: Error) => void;
    timer: NodeJS.Timeout | undefined;
  }> = [];

  constructor(
    private readonly limit: number,
    private readonly maxQueue: number,
  ) {}

  /** Calls in flight and calls waiting (for metrics). */
  get stats(): { active: number; queued: number } {
    return { active: this.active, queued: this.waiting.length };
  }

  async run<T>(maxWaitMs: number, work: () => Promise<T>): Promise<T> {
    await this.acquire(maxWaitMs);
    try {
      return await work();
    } finally {
      this.release();
    }
  }

  private acquire(maxWaitMs: number): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.maxQueue) {
      return Promise.reject(scimErrors.unavailable('The app is saturated; try again shortly', 5));
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        grant: () => {
          if (waiter.timer) clearTimeout(waiter.timer);
          resolve();
        },
        reject,
        timer: undefined as NodeJS.Timeout | undefined,
      };
      if (Number.isFinite(maxWaitMs)) {
        waiter.timer = setTimeout(
          () => {
            const index = this.waiting.indexOf(waiter);
            if (index !== -1) this.waiting.splice(index, 1);
            reject(scimErrors.unavailable('The app is too busy to answer in time; try again shortly', 5));
          },
          Math.max(0, maxWaitMs),
        );
      }
      this.waiting.push(waiter);
    });
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next.grant();
    else this.active--;
  }
}
