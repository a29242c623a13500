import type { ProvisioningActivity } from '../ops/activity.js';

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

/** One group of failures on the Errors page. */
export interface FailureGroup {
  /** `409 uniqueness`, `401`, `app 409`, `app: no answer`. */
  label: string;
  /** What the Activity page filters on to list this group's operations. */
  filter: { status?: number; scimType?: string; appStatus?: string };
  lastHour: number;
  lastDay: number;
  /** When the latest one was answered (epoch ms). */
  latest: number;
}

interface Failure {
  at: number;
  status: number;
  scimType: string;
  appStatus: string;
}

/**
 * Failed and refused operations of the last day, grouped by what the IdP was answered (status
 * and scimType) and by what the app answered. Kept apart from the activity ring, which holds
 * only the latest operations, and bounded too: past `max` failures in a day, the oldest go.
 */
export class FailureStats {
  private failures: Failure[] = [];

  constructor(
    private readonly max = 20_000,
    private readonly clock: () => number = Date.now,
  ) {}

  record(activity: ProvisioningActivity): void {
    if (activity.audit.outcome === 'success') return;
    this.failures.push({
      at: Date.parse(activity.time),
      status: activity.audit.status,
      scimType: activity.scimType ?? 'none',
      appStatus:
        activity.audit.upstreamCalls === 0 ? 'none' : String(activity.audit.upstreamStatus ?? 'none'),
    });
    if (this.failures.length > this.max * 1.25) this.prune();
  }

  /** Groups by SCIM answer and by the app's answer, the largest first. */
  groups(): { byScim: FailureGroup[]; byApp: FailureGroup[] } {
    this.prune();
    const now = this.clock();
    const byScim = new Map<string, FailureGroup>();
    const byApp = new Map<string, FailureGroup>();
    for (const failure of this.failures) {
      const scimLabel =
        failure.scimType === 'none' ? String(failure.status) : `${failure.status} ${failure.scimType}`;
      count(byScim, scimLabel, { status: failure.status, scimType: failure.scimType }, failure, now);
      // Refusals before any call to the app say nothing about the app.
      if (failure.appStatus !== 'none') {
        count(byApp, `app ${failure.appStatus}`, { appStatus: failure.appStatus }, failure, now);
      }
    }
    const order = (a: FailureGroup, b: FailureGroup) => b.lastDay - a.lastDay || b.latest - a.latest;
    return { byScim: [...byScim.values()].sort(order), byApp: [...byApp.values()].sort(order) };
  }

  private prune(): void {
    const dayAgo = this.clock() - DAY_MS;
    let first = this.failures.findIndex((f) => f.at >= dayAgo);
    if (first === -1) first = this.failures.length;
    first = Math.max(first, this.failures.length - this.max);
    if (first > 0) this.failures = this.failures.slice(first);
  }
}

function count(
  groups: Map<string, FailureGroup>,
  label: string,
  filter: FailureGroup['filter'],
  failure: Failure,
  now: number,
): void {
  let group = groups.get(label);
  if (!group) {
    group = { label, filter, lastHour: 0, lastDay: 0, latest: 0 };
    groups.set(label, group);
  }
  group.lastDay++;
  if (failure.at >= now - HOUR_MS) group.lastHour++;
  group.latest = Math.max(group.latest, failure.at);
}
