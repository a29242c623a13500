import type { FailureGroup } from '../failure-stats.js';
import { type Html, html } from '../html.js';
import { tableWrap, time } from './layout.js';

export function errorsPage(base: string, groups: { byScim: FailureGroup[]; byApp: FailureGroup[] }): Html {
  const table = (label: string, rows: FailureGroup[]) =>
    rows.length === 0
      ? html`<p class="notice">None in the last day.</p>`
      : tableWrap(
          label,
          html`<table>
<thead><tr><th scope="col">Group</th><th scope="col" class="num">Last hour</th><th scope="col" class="num">Last day</th><th scope="col">Latest</th></tr></thead>
<tbody>${rows.map(
            (group) => html`<tr>
  <th scope="row"><a href="${base}/activity?${new URLSearchParams(
    Object.entries(group.filter).map(([k, v]): [string, string] => [k, String(v)]),
  ).toString()}">${group.label}</a></th>
  <td class="num">${group.lastHour}</td>
  <td class="num">${group.lastDay}</td>
  <td>${time(group.latest)}</td>
</tr>`,
          )}</tbody></table>`,
        );
  return html`<p class="muted">Failed and refused provisioning operations of the last day (counted apart from the Activity page, which keeps only the latest operations). Each group opens its operations, as far as the Activity page still holds them.</p>
<h2 id="by-scim">By the answer to the IdP (status and scimType)</h2>
${table('Failures by SCIM answer', groups.byScim)}
<h2 id="by-app">By the app's answer</h2>
${table("Failures by the app's answer", groups.byApp)}`;
}
