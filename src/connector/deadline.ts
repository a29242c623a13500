import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The time by which the current SCIM request must be answered. Entra waits about 60 s for a
 * SCIM answer; every call to the app, its retries and its queueing fit inside this deadline,
 * so the adapter answers (with a clear error if it must) before the IdP gives up.
 */
const deadlines = new AsyncLocalStorage<{ deadline: number }>();

/** Runs `fn` (and everything it starts) under a deadline `ms` from now. */
export function runWithDeadline<T>(ms: number, fn: () => T): T {
  return deadlines.run({ deadline: Date.now() + ms }, fn);
}

/** Milliseconds left for the current request; Infinity outside a request (CLI, start-up checks). */
export function remainingMs(): number {
  const store = deadlines.getStore();
  return store ? store.deadline - Date.now() : Number.POSITIVE_INFINITY;
}
