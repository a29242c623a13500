import { type Html, html, json } from '../html.js';
import type { LookupKey, LookupResult } from '../lookup.js';

export const LOOKUP_KEYS: ReadonlyArray<readonly [LookupKey, string]> = [
  ['externalId', 'externalId'],
  ['scimId', 'SCIM id'],
  ['appId', 'app id'],
  ['name', 'userName / Group displayName'],
];

export function lookupPage(
  base: string,
  query: { by: string; value: string; type: string },
  results: LookupResult[] | undefined,
  error?: string,
): Html {
  return html`<form class="filters" method="get" action="${base}/lookup" aria-label="Find a resource">
  <label>Find by<select name="by">${LOOKUP_KEYS.map(
    ([value, text]) =>
      html`<option value="${value}"${query.by === value ? html` selected` : ''}>${text}</option>`,
  )}</select></label>
  <label>Value<input name="value" value="${query.value}" required size="36"></label>
  <label>Type<select name="type">${[
    ['', 'User and Group'],
    ['User', 'User'],
    ['Group', 'Group'],
  ].map(
    ([value, text]) =>
      html`<option value="${value}"${query.type === value ? html` selected` : ''}>${text}</option>`,
  )}</select></label>
  <button type="submit">Look up</button>
</form>
<p class="muted">Ids and externalId are found in the id map; a userName or displayName is asked of the app, as an IdP's filter would be. Each resource is then read from the app through the mapping, as a SCIM GET.</p>
${error ? html`<p class="notice error" role="alert">${error}</p>` : ''}
${
  results === undefined
    ? ''
    : results.length === 0
      ? html`<p class="notice" role="status">Nothing found.</p>`
      : results.map(
          (result, index) => html`<section aria-labelledby="r-${index}">
<h2 id="r-${index}">${result.type} <code>${result.entry.scimId}</code></h2>
<ul class="chips" aria-label="State of the id map entry">
  <li>app id <code>${result.entry.appId}</code></li>
  ${result.entry.externalId !== undefined ? html`<li>externalId <code>${result.entry.externalId}</code></li>` : ''}
  ${result.entry.deleted ? html`<li>tombstone (deleted, kept by the app)</li>` : ''}
  ${result.entry.missingSince ? html`<li>missing in the app since ${result.entry.missingSince}</li>` : ''}
  ${result.entry.incomplete ? html`<li>create not completed</li>` : ''}
  <li>version ${result.entry.version}</li>
</ul>
<div class="two">
  <div><h3>Id map entry</h3><pre tabindex="0" aria-label="Id map entry">${json(result.entry)}</pre></div>
  <div><h3>Live SCIM view</h3>${
    result.live
      ? html`<pre tabindex="0" aria-label="Live SCIM view">${json(result.live)}</pre>`
      : html`<p class="notice error">${result.liveError ?? 'Not read.'}</p>`
  }</div>
</div>
</section>`,
        )
}`;
}
