/** What the work learns about how it got the lock. */
export interface LockGrant {
  /**
   * Another holder had the key when this one asked: whatever that holder did (a create of the
   * same identity, say) may have landed meanwhile.
   */
  waited: boolean;
}

/**
 * Serialises read-apply-write per resource. The in-process KeyedLock serves one replica; a
 * distributed implementation (Redis) serves several replicas sharing one id map.
 */
export interface ResourceLock {
  run<T>(key: string, work: (grant: LockGrant) => Promise<T>): Promise<T>;
}

/**
 * Serialises work per key inside one process: read-apply-write on one resource must not
 * interleave with another, or concurrent PATCHes lose updates. Keys with no waiters are dropped.
 */
export class KeyedLock implements ResourceLock {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, work: (grant: LockGrant) => Promise<T>): Promise<T> {
    const held = this.tails.get(key);
    const previous = held ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => current);
    this.tails.set(key, tail);
    await previous;
    try {
      return await work({ waited: held !== undefined });
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Keys currently held or waited for (for tests and metrics). */
  get size(): number {
    return this.tails.size;
  }
}
