import type { NotificationsConfig } from '../../config/deployment-config.js';
import { type Html, html } from '../html.js';
import type { SentNotification } from '../notifier.js';
import { badge, tableWrap, time } from './layout.js';

export interface NotificationsView {
  config?: NotificationsConfig;
  target?: string;
  pending: number;
  sent: readonly SentNotification[];
  csrf?: string;
  message?: string;
}

export function notificationsPage(base: string, view: NotificationsView): Html {
  const { config } = view;
  if (!config) {
    return html`<p class="notice">Failure notifications are off. Set <code>admin.notifications.webhook</code> (a generic JSON, Slack or Microsoft Teams webhook) to be told when provisioning failures cross a threshold; see docs/operations.md.</p>`;
  }
  return html`${view.message ? html`<p class="notice" role="status">${view.message}</p>` : ''}
<section class="card" aria-labelledby="n-rule"><h2 id="n-rule">Rule</h2>
<dl class="facts">
  <dt>Webhook</dt><dd>${config.format} to <code>${view.target}</code> <span class="muted">(the rest of the URL is a secret and is not shown)</span></dd>
  <dt>When</dt><dd>${config.threshold} or more provisioning failures within ${config.windowSec} s</dd>
  <dt>Then quiet for</dt><dd>${config.quietSec} s</dd>
  <dt>Failures in the window now</dt><dd>${view.pending}</dd>
</dl>
<form method="post" action="${base}/notifications/test">
  ${view.csrf ? html`<input type="hidden" name="_csrf" value="${view.csrf}">` : ''}
  <p><button type="submit" class="secondary">Send a test notification</button></p>
</form>
</section>
<h2 id="n-sent">Notifications sent</h2>
${
  view.sent.length === 0
    ? html`<p class="muted">None since start.</p>`
    : tableWrap(
        'Notifications sent',
        html`<table><thead><tr><th scope="col">Time</th><th scope="col">Why</th><th scope="col" class="num">Failures</th><th scope="col">Delivery</th></tr></thead><tbody>
${view.sent.map(
  (n) =>
    html`<tr><td>${time(n.time)}</td><td>${n.reason === 'test' ? 'test' : 'threshold crossed'}</td><td class="num">${n.failures}</td><td>${badge(n.outcome)} ${n.status ?? ''} ${n.error ?? ''}</td></tr>`,
)}
</tbody></table>`,
      )
}`;
}
