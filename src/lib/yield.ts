export { setImmediate as yieldToEventLoop } from 'node:timers/promises';

/**
 * Loops over members and records yield to the event loop this often, and a value holding an
 * array longer than this is big enough to get a turn of its own for each pass over it: a group
 * of 100 000 members must not stall /healthz and every other request while it is mapped.
 */
export const YIELD_EVERY = 1_000;

/** Whether `value` holds, at its top level, an array longer than {@link YIELD_EVERY}. */
export function holdsLongArray(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  // Asked of every resource read and sent: no array of values made for it.
  for (const key in value) {
    const item: unknown = (value as Record<string, unknown>)[key];
    if (Object.hasOwn(value, key) && Array.isArray(item) && item.length > YIELD_EVERY) return true;
  }
  return false;
}
