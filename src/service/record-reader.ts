import { setTimeout as sleep } from 'node:timers/promises';
import type { AppGateway, AppView } from '../connector/gateway.js';
import { type RequestContext, remainingMs } from '../connector/request-context.js';
import type { IdMapEntry } from '../idmap/types.js';
import type { ServiceDeps } from './service-deps.js';

/** Time kept back from the request's deadline for the calls that follow a re-check. */
const RESERVE_AFTER_RECHECK_MS = 1_000;

/**
 * Reads app records for id map entries. A 404 from the app breaks no link by itself: the record
 * is asked for again after a short pause, and when the app still says it has none, the entry is
 * kept and marked missing (never deleted), so the SCIM id, externalId and preserved values are
 * all still there when the app answers again.
 */
export class RecordReader {
  constructor(
    private readonly gateway: AppGateway,
    private readonly deps: ServiceDeps,
  ) {}

  /**
   * The app's record for `entry`, or undefined once its absence is confirmed or when the record is
   * one the mapping protects. `entry` is updated in place (and stored) when its missing mark is
   * set or cleared.
   */
  async recordOf(
    context: RequestContext,
    entry: IdMapEntry,
    withMembers: boolean,
  ): Promise<AppView | undefined> {
    let record = await this.gateway.readIfPresent(context, entry.appId, withMembers);
    // The app's own record (`protect`): there for the app, never for SCIM; not missing either.
    if (record?.protected) return undefined;
    // An entry already marked missing had its absence confirmed once: one read is its re-check.
    if (record === undefined && entry.missingSince === undefined) {
      await this.pauseBeforeRecheck(context);
      record = await this.gateway.readIfPresent(context, entry.appId, withMembers);
    }
    if (record === undefined) {
      if (entry.missingSince === undefined) await this.markMissing(entry);
      return undefined;
    }
    if (entry.missingSince !== undefined) await this.clearMissing(entry);
    return record;
  }

  private async pauseBeforeRecheck(context: RequestContext): Promise<void> {
    const pause = Math.min(this.deps.limits.recheckAfterMs, remainingMs(context) - RESERVE_AFTER_RECHECK_MS);
    if (pause > 0) await sleep(pause);
  }

  private async markMissing(entry: IdMapEntry): Promise<void> {
    entry.missingSince = this.now();
    await this.deps.idMap.put(entry);
    this.deps.log.warn(
      { resourceType: this.gateway.type, scimId: entry.scimId, appId: entry.appId },
      'the app no longer has this record (asked twice); its mapping is kept, marked missing',
    );
  }

  private async clearMissing(entry: IdMapEntry): Promise<void> {
    delete entry.missingSince;
    await this.deps.idMap.put(entry);
    this.deps.log.info(
      { resourceType: this.gateway.type, scimId: entry.scimId, appId: entry.appId },
      'the app has a record marked missing again',
    );
  }

  private now(): string {
    return (this.deps.now?.() ?? new Date()).toISOString();
  }
}
