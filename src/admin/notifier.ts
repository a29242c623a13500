import { request } from 'undici';
import type { NotificationsConfig } from '../config/deployment-config.js';
import type { ProvisioningActivity } from '../ops/activity.js';

/** One notification the console lists. */
export interface SentNotification {
  /** When it went out (ISO 8601). */
  time: string;
  reason: 'threshold' | 'test';
  failures: number;
  /** `delivered` (2xx), or `failed` with the webhook's status or the transport error. */
  outcome: 'delivered' | 'failed';
  status?: number;
  error?: string;
}

/** What a notification says: counts and kinds only, never a user name or a credential. */
export interface FailureSummary {
  app: string;
  failures: number;
  windowSec: number;
  threshold: number;
  since: string;
  until: string;
  /** `409 uniqueness (User.create)` → count, the largest first. */
  groups: Array<{ label: string; count: number }>;
  /** The console's Errors page, when `server.publicUrl` says where it is. */
  consoleUrl?: string;
  test?: true;
}

export type WebhookSender = (url: string, body: string) => Promise<number>;

export interface NotifierOptions {
  app: () => string;
  consoleUrl?: string;
  send?: WebhookSender;
  clock?: () => number;
  log?: { info(details: object, message: string): void; warn(details: object, message: string): void };
}

const HISTORY = 50;
const WEBHOOK_TIMEOUT_MS = 5_000;

/**
 * Failure notifications: when `threshold` provisioning failures fall within `windowSec`, one
 * webhook call (generic JSON, Slack or Microsoft Teams), then none for `quietSec` however many
 * more follow. Every notification sent is listed for the console. The webhook URL is a secret
 * (Slack's and Teams' are): logs and the console name its host only.
 */
export class FailureNotifier {
  private recent: Array<{ at: number; label: string }> = [];
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private sending = false;
  private readonly sent: SentNotification[] = [];
  private readonly clock: () => number;
  private readonly send: WebhookSender;

  constructor(
    readonly config: NotificationsConfig,
    private readonly options: NotifierOptions,
  ) {
    this.clock = options.clock ?? Date.now;
    this.send = options.send ?? postJson;
  }

  /** The webhook's host, the only part of its URL ever shown. */
  get target(): string {
    return URL.canParse(this.config.webhook) ? new URL(this.config.webhook).host : '(invalid URL)';
  }

  /** Failures counted now, within the window. */
  get pending(): number {
    this.prune();
    return this.recent.length;
  }

  history(): readonly SentNotification[] {
    return this.sent;
  }

  /** Told of every provisioning operation; counts the failures (refusals of credentials are not counted). */
  observe(activity: ProvisioningActivity): void {
    if (activity.audit.outcome !== 'failure') return;
    const failedCall = activity.calls.find((call) => call.status === undefined || call.status >= 400);
    const label = `${activity.audit.status}${activity.scimType ? ` ${activity.scimType}` : ''} (${failedCall?.operation ?? `${activity.audit.resourceType ?? 'SCIM'}.${activity.audit.operation}`})`;
    this.recent.push({ at: this.clock(), label });
    this.prune();
    const now = this.clock();
    if (this.recent.length < this.config.threshold || this.sending) return;
    if (now - this.lastSentAt < this.config.quietSec * 1000) return;
    void this.notify('threshold');
  }

  /** Sends a notification now with what the window holds (the console's test button). */
  test(): Promise<SentNotification> {
    return this.notify('test');
  }

  /** The body for the configured format. */
  payload(summary: FailureSummary): unknown {
    return formatPayload(this.config.format, summary);
  }

  private async notify(reason: SentNotification['reason']): Promise<SentNotification> {
    this.sending = true;
    const now = this.clock();
    if (reason === 'threshold') this.lastSentAt = now;
    const summary = this.summary(now, reason === 'test');
    const entry: SentNotification = {
      time: new Date(now).toISOString(),
      reason,
      failures: summary.failures,
      outcome: 'failed',
    };
    try {
      const status = await this.send(this.config.webhook, JSON.stringify(this.payload(summary)));
      entry.status = status;
      entry.outcome = status >= 200 && status < 300 ? 'delivered' : 'failed';
    } catch (error) {
      // Never the URL itself: the path of a Slack or Teams webhook is its secret.
      const message = error instanceof Error ? error.message : String(error);
      entry.error = message.split(this.config.webhook).join(this.target);
    } finally {
      this.sending = false;
    }
    this.sent.unshift(entry);
    if (this.sent.length > HISTORY) this.sent.pop();
    const details = { webhook: this.target, failures: entry.failures, status: entry.status, reason };
    if (entry.outcome === 'delivered') this.options.log?.info(details, 'failure notification sent');
    else this.options.log?.warn({ ...details, error: entry.error }, 'failure notification not delivered');
    return entry;
  }

  private summary(now: number, test: boolean): FailureSummary {
    this.prune();
    const counts = new Map<string, number>();
    for (const { label } of this.recent) counts.set(label, (counts.get(label) ?? 0) + 1);
    return {
      app: this.options.app(),
      failures: this.recent.length,
      windowSec: this.config.windowSec,
      threshold: this.config.threshold,
      since: new Date(now - this.config.windowSec * 1000).toISOString(),
      until: new Date(now).toISOString(),
      groups: [...counts].map(([label, count]) => ({ label, count })).sort((a, b) => b.count - a.count),
      ...(this.options.consoleUrl ? { consoleUrl: this.options.consoleUrl } : {}),
      ...(test ? { test: true as const } : {}),
    };
  }

  private prune(): void {
    const start = this.clock() - this.config.windowSec * 1000;
    const first = this.recent.findIndex((failure) => failure.at >= start);
    this.recent = first === -1 ? [] : this.recent.slice(first);
  }
}

/** The webhook body: generic JSON, a Slack message, or a Teams (Workflows) Adaptive Card. */
export function formatPayload(format: NotificationsConfig['format'], summary: FailureSummary): unknown {
  const minutes = Math.round(summary.windowSec / 60) || 1;
  const title = `${summary.test ? '[test] ' : ''}scim-sidecar (${summary.app}): ${summary.failures} provisioning failure${summary.failures === 1 ? '' : 's'} in the last ${minutes} min`;
  const lines = summary.groups.slice(0, 10).map((group) => `${group.count} × ${group.label}`);
  if (format === 'json') {
    return {
      source: 'scim-sidecar',
      event: summary.test ? 'test' : 'provisioning-failures',
      title,
      ...summary,
    };
  }
  if (format === 'slack') {
    const link = summary.consoleUrl ? `\n<${summary.consoleUrl}|Open the admin console>` : '';
    return {
      text: title,
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: title.slice(0, 150) } },
        ...(lines.length > 0
          ? [
              {
                type: 'section',
                text: { type: 'mrkdwn', text: lines.map((l) => `• ${l}`).join('\n') + link },
              },
            ]
          : []),
      ],
    };
  }
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            { type: 'TextBlock', size: 'Medium', weight: 'Bolder', wrap: true, text: title },
            {
              type: 'FactSet',
              facts: summary.groups.slice(0, 10).map((g) => ({ title: String(g.count), value: g.label })),
            },
          ],
          ...(summary.consoleUrl
            ? {
                actions: [
                  { type: 'Action.OpenUrl', title: 'Open the admin console', url: summary.consoleUrl },
                ],
              }
            : {}),
        },
      },
    ],
  };
}

async function postJson(url: string, body: string): Promise<number> {
  const response = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    headersTimeout: WEBHOOK_TIMEOUT_MS,
    bodyTimeout: WEBHOOK_TIMEOUT_MS,
    signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
  });
  await response.body.dump();
  return response.statusCode;
}
