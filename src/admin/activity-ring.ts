import type { ProvisioningActivity } from '../ops/activity.js';

/** An operation in the ring, with the sequence number its console page is addressed by. */
export interface ActivityItem extends ProvisioningActivity {
  seq: number;
}

/** What the Activity page filters on; every field optional. */
export interface ActivityFilter {
  outcome?: string;
  resourceType?: string;
  clientProfile?: string;
  /** Only operations answered at or after this time (epoch ms). */
  since?: number;
  /** SCIM status answered, and scimType (`none` for an error without one). */
  status?: number;
  scimType?: string;
  /** The app's status (`none`: no call answered). */
  appStatus?: string;
}

/**
 * The latest provisioning operations, in memory, bounded: once full, each new operation
 * replaces the oldest. Newest first when listed.
 */
export class ActivityRing {
  private readonly items: (ActivityItem | undefined)[];
  private next = 0;
  private seq = 0;

  constructor(readonly capacity: number) {
    this.items = new Array(capacity);
  }

  add(activity: ProvisioningActivity): ActivityItem {
    const item: ActivityItem = { ...activity, seq: ++this.seq };
    this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
    return item;
  }

  /** Newest first, at most `limit`. */
  list(filter: ActivityFilter = {}, limit = 200): ActivityItem[] {
    const out: ActivityItem[] = [];
    for (let i = 1; i <= this.capacity && out.length < limit; i++) {
      const item = this.items[(this.next - i + this.capacity) % this.capacity];
      if (!item) break;
      if (matches(item, filter)) out.push(item);
    }
    return out;
  }

  get(seq: number): ActivityItem | undefined {
    if (!Number.isInteger(seq) || seq <= 0 || seq > this.seq || seq <= this.seq - this.capacity)
      return undefined;
    const item = this.items[(seq - 1) % this.capacity];
    return item?.seq === seq ? item : undefined;
  }

  get size(): number {
    return Math.min(this.seq, this.capacity);
  }
}

function matches(item: ActivityItem, filter: ActivityFilter): boolean {
  const { audit } = item;
  if (filter.outcome && audit.outcome !== filter.outcome) return false;
  if (filter.resourceType && (audit.resourceType ?? 'none') !== filter.resourceType) return false;
  if (filter.clientProfile && item.clientProfile !== filter.clientProfile) return false;
  if (filter.since !== undefined && Date.parse(item.time) < filter.since) return false;
  if (filter.status !== undefined && audit.status !== filter.status) return false;
  if (filter.scimType && (item.scimType ?? 'none') !== filter.scimType) return false;
  if (filter.appStatus && String(audit.upstreamStatus ?? 'none') !== filter.appStatus) return false;
  return true;
}
