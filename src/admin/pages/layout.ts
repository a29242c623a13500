import { ASSETS } from '../assets.js';
import { type Html, html } from '../html.js';

export const PAGES = [
  ['status', 'Status'],
  ['activity', 'Activity'],
  ['errors', 'Errors'],
  ['lookup', 'Lookup'],
  ['playground', 'Playground'],
  ['charts', 'Charts'],
  ['notifications', 'Notifications'],
] as const;

export type PageName = (typeof PAGES)[number][0];

export interface PageContext {
  /** The console's path, e.g. `/admin`. */
  base: string;
  /** The signed-in session's CSRF token; absent for header credentials (no forms to protect). */
  csrf?: string;
  principal: string;
}

/** Every console page: one stylesheet, one script, a skip link, the navigation, sign-out. */
export function layout(page: PageName | 'detail', title: string, context: PageContext, content: Html): Html {
  const current = page === 'detail' ? 'activity' : page;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${title} · scim-sidecar admin</title>
<link rel="stylesheet" href="${assetUrl(context.base, 'admin.css')}">
<script src="${assetUrl(context.base, 'admin.js')}" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <a class="brand" href="${context.base}/status">scim-sidecar admin</a>
  <nav aria-label="Console pages">
    <ul>
      ${PAGES.map(
        ([name, label]) =>
          html`<li><a href="${context.base}/${name}"${name === current ? html` aria-current="page"` : ''}>${label}</a></li>`,
      )}
    </ul>
  </nav>
  ${
    context.csrf
      ? html`<form method="post" action="${context.base}/logout">
    <input type="hidden" name="_csrf" value="${context.csrf}">
    <button type="submit">Sign out <span class="muted">(${context.principal})</span></button>
  </form>`
      : ''
  }
</header>
<main id="main" tabindex="-1">
<h1>${title}</h1>
${content}
</main>
</body>
</html>
`;
}

export function assetUrl(base: string, name: string): string {
  return `${base}/assets/${ASSETS[name]?.version ?? '0'}/${name}`;
}

/** `2026-12-02 07:55:42 UTC` inside a machine-readable <time>. */
export function time(iso: string | number): Html {
  const date = new Date(iso);
  const text = Number.isNaN(date.getTime())
    ? String(iso)
    : `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
  return html`<time datetime="${Number.isNaN(date.getTime()) ? '' : date.toISOString()}">${text}</time>`;
}

/** A table that scrolls sideways on a narrow screen, reachable from the keyboard. */
export function tableWrap(label: string, table: Html): Html {
  return html`<div class="table-wrap" role="region" aria-label="${label}" tabindex="0">${table}</div>`;
}

export function badge(kind: string, text: string = kind): Html {
  return html`<span class="badge ${kind.replace(/[^a-z]/gi, '').toLowerCase()}">${text}</span>`;
}
