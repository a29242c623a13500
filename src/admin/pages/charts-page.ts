import { lineChart } from '../charts.js';
import { type Html, html } from '../html.js';
import type { HistoryPoint } from '../metrics-history.js';

const HOUR_MS = 3_600_000;
const MIN_SPAN_MS = 2 * 60_000;

/** The last hour, or less while the console has not run that long (at least two minutes). */
export function chartsPage(
  points: readonly HistoryPoint[],
  now: number,
  intervalSec: number,
  since: number,
): Html {
  const span = Math.min(HOUR_MS, Math.max(MIN_SPAN_MS, now - since));
  return html`<p class="muted">The last ${Math.round(span / 60_000)} minutes of this process's metrics (the same counters as <code>/metrics</code>; at most the last hour), read every ${intervalSec} seconds since the console started: values are per interval.</p>
${lineChart({ id: 'requests', title: 'SCIM requests', unit: 'requests', points: points.map((p) => [p.at, p.requests]) }, now, span)}
${lineChart({ id: 'errors', title: 'SCIM error answers', unit: 'errors', points: points.map((p) => [p.at, p.errors]) }, now, span)}
${lineChart({ id: 'latency', title: 'App latency (mean per call)', unit: 'ms', points: points.map((p) => [p.at, p.appLatencyMs]) }, now, span)}`;
}
