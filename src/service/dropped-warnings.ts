import type { ResourceTypeName } from '../idmap/types.js';
import type { ServiceLog } from './service-deps.js';

/** How long the same attributes dropped on the same resource type go without a new warning. */
export const DROPPED_WARNING_INTERVAL_MS = 10 * 60_000;
/** Attribute sets remembered at most; past it the memory starts again (and each warns once more). */
const MAX_REMEMBERED = 1_000;

/**
 * The warning for attributes a write carried and the mapping cannot store. An IdP's attribute
 * mapping sends the same extra attributes with every user, so an initial sync of 50 000 users
 * would log 50 000 identical warnings: each resource type and set of names is warned once per
 * interval, and the next warning counts the writes in between (`repeatedSince`). Every request's
 * audit line still lists its own `droppedAttributes`.
 */
export class DroppedAttributeWarnings {
  private readonly seen = new Map<string, { at: number; repeats: number }>();

  constructor(
    private readonly log: ServiceLog,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  report(resourceType: ResourceTypeName, dropped: readonly string[]): void {
    const key = `${resourceType}\n${[...dropped].sort().join('\n')}`;
    const now = this.clock().getTime();
    const last = this.seen.get(key);
    if (last && now - last.at < DROPPED_WARNING_INTERVAL_MS) {
      last.repeats++;
      return;
    }
    if (!last && this.seen.size >= MAX_REMEMBERED) this.seen.clear();
    this.seen.set(key, { at: now, repeats: 0 });
    this.log.warn(
      {
        resourceType,
        droppedAttributes: dropped,
        ...(last && last.repeats > 0 ? { repeatedSince: last.repeats } : {}),
      },
      'accepted a write with attributes the mapping cannot store; they are not kept',
    );
  }
}
