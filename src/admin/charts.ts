import { type Html, html } from './html.js';

export interface ChartSeries {
  id: string;
  title: string;
  unit: string;
  /** [epoch ms, value]; null: no data for that interval. */
  points: Array<[number, number | null]>;
}

const WIDTH = 640;
const HEIGHT = 180;
const LEFT = 48;
const RIGHT = 12;
const TOP = 12;
const BOTTOM = 28;

/**
 * A line chart drawn on the server as SVG: no script, no style attribute (the console's CSP
 * allows neither inline), nothing fetched. Its figure caption says what it shows, and a table
 * under it gives the same numbers to screen readers and to anyone who wants them.
 */
export function lineChart(series: ChartSeries, now: number, spanMs: number): Html {
  const start = now - spanMs;
  const values = series.points.map(([, v]) => v).filter((v): v is number => v !== null);
  const max = niceMax(Math.max(1, ...values));
  const x = (t: number) => LEFT + ((t - start) / spanMs) * (WIDTH - LEFT - RIGHT);
  const y = (v: number) => TOP + (1 - v / max) * (HEIGHT - TOP - BOTTOM);
  const segments: string[][] = [[]];
  for (const [t, v] of series.points) {
    if (t < start) continue;
    if (v === null) segments.push([]);
    else segments[segments.length - 1]?.push(`${x(t).toFixed(1)},${y(v).toFixed(1)}`);
  }
  const lines = segments.filter((s) => s.length > 0);
  const ticks = [0, max / 2, max];
  const minutes = [1, 0.75, 0.5, 0.25, 0].map((share) => ({
    m: Math.round((share * spanMs) / 6_000) / 10,
    at: now - share * spanMs,
  }));
  const titleId = `${series.id}-title`;
  const total = values.reduce((a, b) => a + b, 0);
  const summary =
    values.length === 0
      ? 'no data yet'
      : series.unit === 'ms'
        ? `latest ${values[values.length - 1]} ms, highest ${Math.max(...values)} ms`
        : `${total} in all, at most ${Math.max(...values)} per interval`;
  return html`<figure class="chart">
  <figcaption id="${titleId}">${series.title} <span class="muted">(${summary})</span></figcaption>
  <svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="${titleId}" preserveAspectRatio="xMidYMid meet">
    ${ticks.map(
      (
        v,
      ) => html`<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#d0d7de" stroke-width="1"/>
    <text x="${LEFT - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" font-size="11" fill="#444">${formatTick(v)}</text>`,
    )}
    ${minutes.map(
      ({ m, at }) =>
        html`<text x="${x(at).toFixed(1)}" y="${HEIGHT - 8}" text-anchor="middle" font-size="11" fill="#444">${m === 0 ? 'now' : `-${m} min`}</text>`,
    )}
    ${lines.map(
      (points) =>
        html`<polyline points="${points.join(' ')}" fill="none" stroke="#0b5cad" stroke-width="2" stroke-linejoin="round"/>`,
    )}
    ${lines
      .filter((p) => p.length === 1)
      .map((p) => {
        const [cx, cy] = (p[0] as string).split(',');
        return html`<circle cx="${cx}" cy="${cy}" r="2.5" fill="#0b5cad"/>`;
      })}
  </svg>
  <details>
    <summary>${series.title}: the numbers</summary>
    <div class="table-wrap" role="region" aria-label="${series.title} numbers" tabindex="0">
    <table>
      <thead><tr><th scope="col">Interval ending</th><th scope="col">${series.unit}</th></tr></thead>
      <tbody>
        ${series.points
          .filter(([t]) => t >= start)
          .slice(-40)
          .reverse()
          .map(
            ([t, v]) =>
              html`<tr><td><time datetime="${new Date(t).toISOString()}">${new Date(t).toISOString().slice(11, 19)}</time></td><td>${v ?? '–'}</td></tr>`,
          )}
      </tbody>
    </table>
    </div>
  </details>
</figure>`;
}

function niceMax(value: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * magnitude) return step * magnitude;
  return 10 * magnitude;
}

function formatTick(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}
