import { type Html, html, json } from '../html.js';
import type { PlaygroundRequest, PlaygroundResult } from '../playground.js';

export interface PlaygroundView {
  scim: PlaygroundRequest;
  scimResult?: PlaygroundResult;
  app: { type: string; record: string };
  appResult?: { scim?: unknown; appId?: string; error?: string };
  csrf?: string;
}

export function playgroundPage(base: string, view: PlaygroundView): Html {
  const csrf = view.csrf ? html`<input type="hidden" name="_csrf" value="${view.csrf}">` : '';
  const methods = ['POST', 'PATCH', 'PUT', 'GET', 'DELETE'];
  return html`<p class="muted">Try the mapping in force without changing anything in the app. A SCIM request becomes the calls the app would receive (the same planner and text as <code>scim-sidecar dry-run</code>; credentials redacted). Only PUT and PATCH without a current state read the resource from the app, with one GET. An app record becomes the SCIM resource the IdP would see.</p>
<div class="two">
<section aria-labelledby="p-scim">
<h2 id="p-scim">SCIM request → app calls</h2>
<form method="post" action="${base}/playground" class="stack">
  ${csrf}
  <input type="hidden" name="mode" value="scim">
  <label for="p-method">Method</label>
  <select id="p-method" name="method">${methods.map(
    (m) => html`<option${view.scim.method === m ? html` selected` : ''}>${m}</option>`,
  )}</select>
  <label for="p-path">Path below the SCIM base path (a SCIM id or the app's id)</label>
  <input id="p-path" name="path" value="${view.scim.path}" required>
  <label for="p-body">Body (JSON)</label>
  <textarea id="p-body" name="body" spellcheck="false">${view.scim.body}</textarea>
  <label for="p-current">Current state for PUT and PATCH (JSON, optional: read from the app when empty)</label>
  <textarea id="p-current" name="current" spellcheck="false">${view.scim.current}</textarea>
  <p><button type="submit">Show the app calls</button></p>
</form>
${
  view.scimResult
    ? html`<div role="status" aria-live="polite">${
        view.scimResult.note ? html`<p class="notice">${view.scimResult.note}</p>` : ''
      }${
        view.scimResult.error
          ? html`<p class="notice error">${view.scimResult.error}</p>`
          : html`<h3>The app would receive</h3><pre tabindex="0" id="plan" aria-label="Planned app calls">${view.scimResult.text}</pre>`
      }</div>`
    : ''
}
</section>
<section aria-labelledby="p-app">
<h2 id="p-app">App record → SCIM view</h2>
<form method="post" action="${base}/playground" class="stack">
  ${csrf}
  <input type="hidden" name="mode" value="app">
  <label for="p-type">Resource type</label>
  <select id="p-type" name="type">${['User', 'Group'].map(
    (t) => html`<option${view.app.type === t ? html` selected` : ''}>${t}</option>`,
  )}</select>
  <label for="p-record">App record (JSON, as the app answers a read)</label>
  <textarea id="p-record" name="record" spellcheck="false" required>${view.app.record}</textarea>
  <p><button type="submit">Show the SCIM view</button></p>
</form>
${
  view.appResult
    ? html`<div role="status" aria-live="polite">${
        view.appResult.error
          ? html`<p class="notice error">${view.appResult.error}</p>`
          : html`<h3>toScim (app id <code>${view.appResult.appId}</code>)</h3><pre tabindex="0" id="scim-view" aria-label="SCIM view">${json(view.appResult.scim)}</pre>`
      }</div>`
    : ''
}
</section>
</div>`;
}
