import { createHash } from 'node:crypto';

/**
 * The console's only stylesheet and script, shipped inside the package (in dist/, as code): no
 * CDN, nothing fetched at run time, so the console works on an air-gapped install. Pages work
 * without the script; it only adds the Activity page's automatic refresh.
 */
const CSS = `
:root { color-scheme: light; --fg: #1f2328; --muted: #57606a; --line: #d0d7de; --bg: #ffffff;
  --panel: #f6f8fa; --accent: #0b5cad; --ok: #116329; --bad: #a40e26; --warn: #7d4e00; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible,
summary:focus-visible, [tabindex]:focus-visible { outline: 3px solid #e16f24; outline-offset: 2px; }
.skip { position: absolute; left: -999px; top: 0; background: #fff; padding: .5rem; }
.skip:focus { left: .5rem; }
header.top { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1.5rem; padding: .6rem 1rem;
  background: #24292f; color: #fff; }
header.top .brand { font-weight: 600; color: #fff; text-decoration: none; }
header.top nav ul { display: flex; flex-wrap: wrap; gap: .25rem .9rem; list-style: none; margin: 0; padding: 0; }
header.top nav a { color: #e6edf3; text-decoration: none; padding: .15rem 0; border-bottom: 2px solid transparent; }
header.top nav a[aria-current="page"] { border-bottom-color: #fff; color: #fff; }
header.top form { margin-left: auto; }
header.top button { background: transparent; color: #fff; border: 1px solid #8c959f; }
header.top .muted { color: #d0d7de; }
main { max-width: 1200px; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.5rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.15rem; margin: 1.5rem 0 .5rem; }
.muted { color: var(--muted); }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: 1rem; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: .75rem 1rem; background: var(--panel); }
.card h2 { margin-top: 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.table-wrap { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--panel); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code, pre { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: .9em; }
pre { background: var(--panel); border: 1px solid var(--line); padding: .75rem; overflow: auto; max-height: 32rem;
  white-space: pre-wrap; overflow-wrap: anywhere; }
.badge { display: inline-block; padding: 0 .45rem; border-radius: 1rem; font-size: .85em; font-weight: 600;
  border: 1px solid currentColor; }
.badge.success, .badge.delivered, .badge.ready { color: var(--ok); }
.badge.failure, .badge.failed, .badge.notready { color: var(--bad); }
.badge.denied { color: var(--warn); }
form.filters { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: flex-end; margin-bottom: 1rem; }
form.filters label, form.stack label { display: flex; flex-direction: column; gap: .2rem; font-weight: 600; }
form.stack { display: flex; flex-direction: column; gap: .75rem; max-width: 48rem; }
input, select, textarea, button { font: inherit; }
input, select, textarea { padding: .35rem .5rem; border: 1px solid #8c959f; border-radius: 4px; background: #fff;
  color: var(--fg); max-width: 100%; }
textarea { width: 100%; min-height: 10rem; font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
button { padding: .4rem .9rem; border-radius: 4px; border: 1px solid var(--accent); background: var(--accent);
  color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: var(--accent); }
.notice { border-left: 4px solid var(--accent); background: var(--panel); padding: .5rem .75rem; margin: .75rem 0; }
.notice.error { border-left-color: var(--bad); }
.chips { display: flex; flex-wrap: wrap; gap: .4rem; margin: 0 0 1rem; padding: 0; list-style: none; }
.chips li { border: 1px solid var(--line); border-radius: 1rem; padding: 0 .6rem; background: var(--panel); }
.login { max-width: 26rem; margin: 3rem auto; }
.login fieldset { border: 1px solid var(--line); border-radius: 6px; padding: 1rem; margin: 0 0 1rem; }
.login legend { font-weight: 600; padding: 0 .3rem; }
figure.chart { margin: 0 0 1.5rem; }
figure.chart svg { width: 100%; height: auto; max-height: 240px; border: 1px solid var(--line); background: #fff; }
figcaption { font-weight: 600; margin-bottom: .3rem; }
.two { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
@media (max-width: 720px) {
  .two { grid-template-columns: 1fr; }
  header.top form { margin-left: 0; }
  main { padding: .75rem; }
  dl.facts { grid-template-columns: 1fr; }
  dl.facts dd { margin-bottom: .4rem; }
}
`;

const JS = `'use strict';
// Activity: refresh the list every 5 seconds while the box is ticked (remembered per tab).
(function () {
  var box = document.getElementById('auto-refresh');
  if (!box) return;
  box.checked = sessionStorage.getItem('scim-sidecar-refresh') === '1';
  var timer;
  function arm() {
    clearTimeout(timer);
    if (box.checked) timer = setTimeout(function () { location.reload(); }, 5000);
  }
  box.addEventListener('change', function () {
    sessionStorage.setItem('scim-sidecar-refresh', box.checked ? '1' : '0');
    arm();
  });
  arm();
})();
`;

export interface Asset {
  body: string;
  type: string;
  /** Part of the URL, so a new version is never served from a stale cache. */
  version: string;
}

function asset(body: string, type: string): Asset {
  return { body, type, version: createHash('sha256').update(body).digest('hex').slice(0, 12) };
}

export const ASSETS: Readonly<Record<string, Asset>> = {
  'admin.css': asset(CSS, 'text/css; charset=utf-8'),
  'admin.js': asset(JS, 'text/javascript; charset=utf-8'),
};
