import type { Logger } from 'pino';
import type { AdminConfig } from '../config/deployment-config.js';
import type { UpstreamCallEvent } from '../connector/connector.js';
import type { IdMap } from '../idmap/id-map.js';
import type { ActivitySink, ProvisioningActivity } from '../ops/activity.js';
import type { SidecarMetrics } from '../ops/metrics.js';
import { ActivityRing } from './activity-ring.js';
import { AdminAuth } from './admin-auth.js';
import type { LiveParts, ReloadRecord } from './admin-deps.js';
import { FailureStats } from './failure-stats.js';
import { MetricsHistory } from './metrics-history.js';
import { FailureNotifier, type WebhookSender } from './notifier.js';

export interface AdminConsoleOptions {
  config: AdminConfig;
  version: string;
  /** The generation in force (config, mapping, connector, services). */
  live: () => LiveParts;
  idMap: IdMap;
  metrics: SidecarMetrics;
  readiness: { ready(): Promise<boolean> };
  isShuttingDown: () => boolean;
  log: Logger;
  /** `server.publicUrl`: notifications link to the console when it is known. */
  publicUrl?: string;
  /** Replaces the webhook transport (tests). */
  sendWebhook?: WebhookSender;
  clock?: () => number;
}

/** Calls to the app remembered for the Status page's latency line. */
const RECENT_CALLS = 500;
const LATENCY_WINDOW_MS = 5 * 60_000;

/**
 * Everything the admin console keeps while it is on: the activity ring and failure counts fed
 * by the audit hooks, the metrics history, the last health check and calls to the app, the last
 * reload, the notifier and the sign-in sessions. Created only when `admin.enabled` is true:
 * with the console off, none of it exists and the SCIM path does no work for it.
 */
export class AdminConsole {
  readonly ring: ActivityRing;
  readonly failures: FailureStats;
  readonly history: MetricsHistory;
  readonly notifier: FailureNotifier | undefined;
  readonly auth: AdminAuth;
  readonly startedAt: number;
  loadedAt: number;
  lastReload: ReloadRecord | undefined;
  lastHealth: { at: number; status: number | undefined; durationMs: number } | undefined;
  private readonly recentCalls: Array<{ at: number; durationMs: number }> = [];
  private readonly clock: () => number;

  constructor(readonly options: AdminConsoleOptions) {
    this.clock = options.clock ?? Date.now;
    this.startedAt = this.clock();
    this.loadedAt = this.startedAt;
    this.ring = new ActivityRing(options.config.activitySize);
    this.failures = new FailureStats(20_000, this.clock);
    this.history = new MetricsHistory(options.metrics.registry, this.clock);
    this.auth = new AdminAuth(options.config, this.clock);
    const notifications = options.config.notifications;
    const publicUrl = options.publicUrl;
    this.notifier = notifications
      ? new FailureNotifier(notifications, {
          app: () => options.live().mapping.app,
          ...(publicUrl ? { consoleUrl: `${publicUrl}${options.config.path}/errors` } : {}),
          ...(options.sendWebhook ? { send: options.sendWebhook } : {}),
          clock: this.clock,
          log: options.log,
        })
      : undefined;
  }

  get path(): string {
    return this.options.config.path;
  }

  /** Handed to the audit hooks of the SCIM scope. */
  readonly activity: ActivitySink = {
    record: (activity: ProvisioningActivity) => {
      this.ring.add(activity);
      this.failures.record(activity);
      this.notifier?.observe(activity);
    },
    personalData: () => {
      const level = this.options.live().config.logging.level;
      return level === 'debug' || level === 'trace';
    },
  };

  /** Told of every call to the app (with the metrics' observer). */
  readonly observeUpstream = (event: UpstreamCallEvent): void => {
    const at = this.clock();
    const durationMs = Math.round(event.durationMs * 10) / 10;
    if (event.resourceType === 'app' && event.operation === 'health') {
      this.lastHealth = { at, status: event.status, durationMs };
    }
    this.recentCalls.push({ at, durationMs });
    if (this.recentCalls.length > RECENT_CALLS) this.recentCalls.shift();
  };

  /** Calls to the app in the last minutes: count, mean and slowest. */
  appLatency(): { calls: number; meanMs: number | null; maxMs: number | null; windowMin: number } {
    const since = this.clock() - LATENCY_WINDOW_MS;
    const recent = this.recentCalls.filter((call) => call.at >= since).map((call) => call.durationMs);
    const windowMin = LATENCY_WINDOW_MS / 60_000;
    if (recent.length === 0) return { calls: 0, meanMs: null, maxMs: null, windowMin };
    const mean = recent.reduce((a, b) => a + b, 0) / recent.length;
    return {
      calls: recent.length,
      meanMs: Math.round(mean * 10) / 10,
      maxMs: Math.max(...recent),
      windowMin,
    };
  }

  recordReload(
    trigger: string,
    outcome: { ok: boolean; applied: string[]; restartRequired: string[]; problems: string[] },
  ): void {
    const at = this.clock();
    if (outcome.ok) this.loadedAt = at;
    this.lastReload = {
      time: new Date(at).toISOString(),
      trigger,
      ok: outcome.ok,
      applied: outcome.applied,
      restartRequired: outcome.restartRequired,
      problems: outcome.problems.length,
    };
  }

  start(sampleIntervalMs?: number): void {
    this.history.start(sampleIntervalMs);
  }

  close(): void {
    this.history.stop();
  }
}
