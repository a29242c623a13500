import type { ActivityFilter, ActivityItem } from '../activity-ring.js';
import { type Html, html, json } from '../html.js';
import { badge, tableWrap, time } from './layout.js';

export const SINCE_CHOICES = [
  ['', 'any time'],
  ['15m', 'last 15 minutes'],
  ['1h', 'last hour'],
  ['24h', 'last day'],
] as const;

export interface ActivityQuery {
  outcome: string;
  resourceType: string;
  clientProfile: string;
  since: string;
  status: string;
  scimType: string;
  appStatus: string;
}

/** The query string's filters as the ring applies them. */
export function toFilter(query: ActivityQuery, now: number): ActivityFilter {
  const sinceMs = { '15m': 15 * 60_000, '1h': 3_600_000, '24h': 86_400_000 }[query.since];
  const status = Number(query.status);
  return {
    ...(query.outcome ? { outcome: query.outcome } : {}),
    ...(query.resourceType ? { resourceType: query.resourceType } : {}),
    ...(query.clientProfile ? { clientProfile: query.clientProfile } : {}),
    ...(sinceMs ? { since: now - sinceMs } : {}),
    ...(query.status && Number.isInteger(status) ? { status } : {}),
    ...(query.scimType ? { scimType: query.scimType } : {}),
    ...(query.appStatus ? { appStatus: query.appStatus } : {}),
  };
}

export function activityPage(base: string, query: ActivityQuery, items: ActivityItem[], kept: number): Html {
  const select = (
    name: keyof ActivityQuery,
    label: string,
    choices: ReadonlyArray<readonly [string, string]>,
  ) =>
    html`<label>${label}<select name="${name}">${choices.map(
      ([value, text]) =>
        html`<option value="${value}"${query[name] === value ? html` selected` : ''}>${text}</option>`,
    )}</select></label>`;
  const extra = (['status', 'scimType', 'appStatus'] as const).filter((k) => query[k] !== '');
  return html`<form class="filters" method="get" action="${base}/activity" aria-label="Filter operations">
  ${select('outcome', 'Outcome', [
    ['', 'all'],
    ['success', 'success'],
    ['failure', 'failure'],
    ['denied', 'denied'],
  ])}
  ${select('resourceType', 'Resource type', [
    ['', 'all'],
    ['User', 'User'],
    ['Group', 'Group'],
    ['none', 'none (refused)'],
  ])}
  ${select('clientProfile', 'Client', [
    ['', 'all'],
    ['entra', 'Entra ID'],
    ['okta', 'Okta'],
    ['generic', 'generic'],
  ])}
  ${select('since', 'Time', SINCE_CHOICES)}
  ${extra.map((k) => html`<input type="hidden" name="${k}" value="${query[k]}">`)}
  <button type="submit">Filter</button>
  <label class="inline"><span><input type="checkbox" id="auto-refresh"> Refresh every 5 s</span></label>
</form>
${
  extra.length > 0
    ? html`<ul class="chips" aria-label="Also filtered on">${extra.map(
        (k) => html`<li>${k} = ${query[k]}</li>`,
      )}<li><a href="${base}/activity">clear all filters</a></li></ul>`
    : ''
}
<p class="muted">${items.length} shown, newest first; ${kept} kept in memory (the latest operations only).</p>
${
  items.length === 0
    ? html`<p class="notice">No provisioning operation matches yet.</p>`
    : tableWrap(
        'Provisioning operations',
        html`<table>
<thead><tr><th scope="col">Time</th><th scope="col">Operation</th><th scope="col">Outcome</th><th scope="col" class="num">Status</th><th scope="col" class="num">App status</th><th scope="col" class="num">App calls</th><th scope="col" class="num">ms</th><th scope="col">Client</th><th scope="col">Principal</th></tr></thead>
<tbody>
${items.map(
  (item) => html`<tr>
  <td>${time(item.time)}</td>
  <td><a href="${base}/activity/${item.seq}">${item.audit.operation} ${item.audit.resourceType ?? ''}</a>${
    item.audit.scimId ? html`<br><code class="muted">${item.audit.scimId}</code>` : ''
  }</td>
  <td>${badge(item.audit.outcome)}</td>
  <td class="num">${item.audit.status}${item.scimType ? html`<br><span class="muted">${item.scimType}</span>` : ''}</td>
  <td class="num">${item.audit.upstreamStatus ?? '–'}</td>
  <td class="num">${item.audit.upstreamCalls}</td>
  <td class="num">${item.audit.durationMs}</td>
  <td>${item.clientProfile}</td>
  <td>${item.audit.principal ?? '–'}</td>
</tr>`,
)}
</tbody></table>`,
      )
}`;
}

export function activityDetailPage(base: string, item: ActivityItem, personalData: boolean): Html {
  const { audit } = item;
  return html`<p><a href="${base}/activity">← All operations</a></p>
<div class="two">
<section class="card" aria-labelledby="d-op"><h2 id="d-op">Operation</h2>
<dl class="facts">
  <dt>Time</dt><dd>${time(item.time)}</dd>
  <dt>Outcome</dt><dd>${badge(audit.outcome)}</dd>
  <dt>Operation</dt><dd>${audit.operation} ${audit.resourceType ?? ''}</dd>
  <dt>SCIM id</dt><dd><code>${audit.scimId ?? '–'}</code></dd>
  <dt>App id</dt><dd><code>${audit.appId ?? '–'}</code></dd>
  <dt>Principal</dt><dd>${audit.principal ?? '–'} ${audit.authMethod ? html`<span class="muted">(${audit.authMethod})</span>` : ''}</dd>
  <dt>Client</dt><dd>${item.clientProfile}, ${audit.clientIp}</dd>
  <dt>Request id</dt><dd><code>${audit.requestId}</code></dd>
  <dt>Duration</dt><dd>${audit.durationMs} ms</dd>
  ${audit.droppedAttributes ? html`<dt>Not stored</dt><dd>${audit.droppedAttributes.join(', ')}</dd>` : ''}
</dl></section>
<section class="card" aria-labelledby="d-answer"><h2 id="d-answer">Answer to the IdP</h2>
<dl class="facts">
  <dt>Status</dt><dd>${audit.status}</dd>
  ${item.scimType ? html`<dt>scimType</dt><dd>${item.scimType}</dd>` : ''}
  ${item.detail ? html`<dt>Detail</dt><dd>${item.detail}</dd>` : ''}
</dl></section>
</div>
<h2 id="d-request">SCIM request</h2>
<p><code>${item.method} ${item.path}${item.query ? `?${item.query}` : ''}</code></p>
${
  item.requestBody !== undefined
    ? html`<pre tabindex="0" aria-label="Request body">${json(item.requestBody)}</pre>`
    : item.bodyRedacted
      ? html`<p class="notice">The body is not kept: it holds personal data, kept only when <code>logging.level</code> is <code>debug</code> or <code>trace</code>${personalData ? ' (it is now; this operation predates that)' : ''}.</p>`
      : html`<p class="muted">No body.</p>`
}
<h2 id="d-calls">Calls to the app</h2>
${
  item.calls.length === 0
    ? html`<p class="muted">None: the operation was answered without calling the app.</p>`
    : tableWrap(
        'Calls to the app',
        html`<table>
<thead><tr><th scope="col">#</th><th scope="col">Operation</th><th scope="col">Request</th><th scope="col" class="num">Status</th><th scope="col" class="num">ms</th><th scope="col" class="num">Attempt</th><th scope="col">App's error</th></tr></thead>
<tbody>
${item.calls.map(
  (call, index) => html`<tr>
  <td>${index + 1}</td>
  <td>${call.operation}</td>
  <td><code>${call.method} ${call.path}</code></td>
  <td class="num">${call.status ?? 'no answer'}</td>
  <td class="num">${call.durationMs}</td>
  <td class="num">${call.attempt > 1 ? html`${call.attempt} <span class="muted">(retry)</span>` : call.attempt}</td>
  <td>${call.detail ?? ''}</td>
</tr>`,
)}
</tbody></table>`,
      )
}
${item.callsOmitted > 0 ? html`<p class="muted">${item.callsOmitted} more calls not kept.</p>` : ''}`;
}
