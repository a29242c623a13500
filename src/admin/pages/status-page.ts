import type { ReloadRecord } from '../admin-deps.js';
import type { ConfigLine } from '../config-summary.js';
import { type Html, html } from '../html.js';
import { badge, tableWrap, time } from './layout.js';

export interface StatusData {
  version: string;
  app: string;
  startedAt: number;
  now: number;
  ready: boolean;
  shuttingDown: boolean;
  upstream: string;
  lastHealth?: { at: number; status: number | undefined; durationMs: number };
  /** Calls to the app over the last minutes: how many, the mean and the slowest. */
  appLatency: { calls: number; meanMs: number | null; maxMs: number | null; windowMin: number };
  inFlight: { active: number; queued: number };
  config: ConfigLine[];
  loadedAt: number;
  lastReload?: ReloadRecord;
  idMap: {
    store: string;
    sizes: Array<{ type: string; size: number | undefined }>;
    cache: { hits: number; misses: number; size: number };
  };
  activity: { kept: number; capacity: number };
}

export function statusPage(data: StatusData): Html {
  const readiness = data.shuttingDown ? 'shutting down' : data.ready ? 'ready' : 'not ready';
  return html`<div class="grid">
<section class="card" aria-labelledby="s-process"><h2 id="s-process">scim-sidecar</h2>
<dl class="facts">
  <dt>Version</dt><dd>${data.version}</dd>
  <dt>App (mapping)</dt><dd>${data.app}</dd>
  <dt>Up since</dt><dd>${time(data.startedAt)} (${duration(data.now - data.startedAt)})</dd>
  <dt>Readiness</dt><dd>${badge(data.ready && !data.shuttingDown ? 'ready' : 'notready', readiness)}</dd>
</dl></section>
<section class="card" aria-labelledby="s-app"><h2 id="s-app">The app</h2>
<dl class="facts">
  <dt>Base URL</dt><dd><code>${data.upstream}</code></dd>
  <dt>Reachable</dt><dd>${badge(data.ready ? 'ready' : 'notready', data.ready ? 'yes' : 'no')}</dd>
  <dt>Last health check</dt><dd>${
    data.lastHealth
      ? html`${time(data.lastHealth.at)}: ${data.lastHealth.status ?? 'no answer'} in ${data.lastHealth.durationMs} ms`
      : 'none yet'
  }</dd>
  <dt>Latency (${data.appLatency.windowMin} min)</dt><dd>${
    data.appLatency.calls === 0
      ? 'no calls'
      : `${data.appLatency.calls} calls, mean ${data.appLatency.meanMs} ms, slowest ${data.appLatency.maxMs} ms`
  }</dd>
  <dt>In flight / queued</dt><dd>${data.inFlight.active} / ${data.inFlight.queued}</dd>
</dl></section>
<section class="card" aria-labelledby="s-idmap"><h2 id="s-idmap">Id map</h2>
<dl class="facts">
  <dt>Store</dt><dd>${data.idMap.store}</dd>
  ${data.idMap.sizes.map((s) => html`<dt>${s.type}s</dt><dd>${s.size ?? 'unavailable'}</dd>`)}
  <dt>Cache</dt><dd>${data.idMap.cache.size} entries, ${data.idMap.cache.hits} hits, ${data.idMap.cache.misses} misses</dd>
  <dt>Activity kept</dt><dd>${data.activity.kept} of ${data.activity.capacity} operations</dd>
</dl></section>
<section class="card" aria-labelledby="s-reload"><h2 id="s-reload">Configuration</h2>
<dl class="facts">
  <dt>In force since</dt><dd>${time(data.loadedAt)}</dd>
  <dt>Last reload</dt><dd>${
    data.lastReload
      ? html`${time(data.lastReload.time)} (${data.lastReload.trigger}): ${
          data.lastReload.ok
            ? html`${badge('success', 'applied')} ${data.lastReload.applied.join(', ') || 'mapping re-read'}${
                data.lastReload.restartRequired.length > 0
                  ? html`; restart required for ${data.lastReload.restartRequired.join(', ')}`
                  : ''
              }`
            : html`${badge('failure', 'refused')} ${data.lastReload.problems} problem(s), listed in the log; the previous configuration stays`
        }`
      : 'none since start'
  }</dd>
</dl></section>
</div>
<h2 id="config">Configuration in force</h2>
<p class="muted">Secrets are never shown: hashes, the app's credentials and passwords in URLs are left out or redacted.</p>
${tableWrap(
  'Configuration in force',
  html`<table><thead><tr><th scope="col">Setting</th><th scope="col">Value</th></tr></thead><tbody>
${data.config.map((line) => html`<tr><th scope="row"><code>${line.setting}</code></th><td>${line.value}</td></tr>`)}
</tbody></table>`,
)}`;
}

function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min ${s % 60} s`;
  return `${s} s`;
}
