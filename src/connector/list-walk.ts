import type { CompiledOperation } from '../mapping/mapping-types.js';
import { isScimError, scimErrors } from '../scim/errors.js';
import type { RenderInput } from './render-request.js';
import type { UpstreamRequest, UpstreamResponse } from './upstream-client.js';

/** One page of a list-like call, as the mapping reads it. */
export interface ListPage {
  items: unknown[];
  /** Total across all pages when the app reports it. */
  total: number | undefined;
  /** The next page's link or cursor (`paging: { next }` / `{ cursor }`); undefined on the last page. */
  next: string | undefined;
}

/** One page: the call rendered with `input`, or, for a next link, sent to the app's `link`. */
export type PageFetch = (input: RenderInput, link: string | undefined) => Promise<ListPage>;

/** Which records of the whole list are wanted: indexes `from` (0-based) up to, not including, `to`. */
export interface ListWindow {
  from: number;
  to: number;
  /** Most records to read in all; beyond it, `overBudget()` is thrown. */
  max?: { records: number; overBudget: () => Error };
}

/** Page size used to walk an app's list when the mapping does not state one. */
export const DEFAULT_APP_PAGE = 100;

/** Paging values for request expressions: 0-based offset, page size, 1-based page. */
export function pagingValues(offset: number, limit: number): { offset: number; limit: number; page: number } {
  return { offset, limit, page: Math.floor(offset / limit) + 1 };
}

/**
 * Reads the records `window.from` to `window.to` of a list-like call, page by page in the way the
 * mapping declares (`paging`), and the app's total when it gives one. Offset apps are asked for
 * exactly the window; page-number apps for the whole pages that hold it (the window is cut out of
 * them); link and cursor apps are walked from the start, as they can only be.
 */
export async function walkPages(
  operation: CompiledOperation,
  fetch: PageFetch,
  base: RenderInput,
  window: ListWindow,
  label: string,
): Promise<{ items: unknown[]; total: number | undefined }> {
  const walk = new Walk(window);
  const pageSize = operation.pageSize ?? DEFAULT_APP_PAGE;
  switch (operation.paging.mode) {
    case 'none':
      walk.take(await fetch({ ...base, ...pagingValues(0, pageSize) }, undefined), 0);
      break;
    case 'offset':
      await byOffset(fetch, base, pageSize, walk);
      break;
    case 'page':
      await byPage(fetch, base, pageSize, walk);
      break;
    default:
      await byNext(fetch, base, pageSize, walk, operation.paging.mode === 'cursor', label);
  }
  return { items: walk.items, total: walk.total };
}

/** What a walk has gathered so far. */
class Walk {
  readonly items: unknown[] = [];
  total: number | undefined;
  private read = 0;

  constructor(readonly window: ListWindow) {}

  /** Keeps the items of `page` that fall in the window; `at` is the index of its first item. */
  take(page: ListPage, at: number): void {
    this.total = page.total ?? this.total;
    this.read += page.items.length;
    const { max } = this.window;
    if (max && this.read > max.records) throw max.overBudget();
    const first = Math.max(0, this.window.from - at);
    const last = Math.min(page.items.length, this.window.to - at);
    for (let i = first; i < last; i++) this.items.push(page.items[i]);
  }

  /** Whether records from index `next` on are still wanted and may exist. */
  wants(next: number): boolean {
    return next < this.window.to && (this.total === undefined || next < this.total);
  }
}

async function byOffset(fetch: PageFetch, base: RenderInput, pageSize: number, walk: Walk): Promise<void> {
  const { from, to } = walk.window;
  let at = from;
  for (;;) {
    const limit = Math.min(pageSize, Math.max(to - at, 1));
    const page = await fetch({ ...base, offset: at, limit, page: Math.floor(at / pageSize) + 1 }, undefined);
    walk.take(page, at);
    at += page.items.length;
    if (page.items.length < limit || page.items.length === 0 || !walk.wants(at)) return;
  }
}

async function byPage(fetch: PageFetch, base: RenderInput, pageSize: number, walk: Walk): Promise<void> {
  const { from } = walk.window;
  let number = Math.floor(from / pageSize) + 1;
  const values = (n: number) => ({ ...base, offset: (n - 1) * pageSize, limit: pageSize, page: n });
  for (let first = true; ; first = false) {
    let page: ListPage;
    try {
      page = await fetch(values(number), undefined);
    } catch (error) {
      // A window past the last page: some apps refuse the page (WordPress answers 400). The
      // first page tells the total, and the window is empty when it lies beyond it.
      if (!first || number === 1 || !isScimError(error) || (error.status !== 400 && error.status !== 404))
        throw error;
      const head = await fetch(values(1), undefined);
      const total = head.total ?? (head.items.length < pageSize ? head.items.length : undefined);
      if (total === undefined || from < total) throw error;
      walk.total = total;
      return;
    }
    const at = (number - 1) * pageSize;
    walk.take(page, at);
    if (page.items.length < pageSize || !walk.wants(at + page.items.length)) return;
    number++;
  }
}

async function byNext(
  fetch: PageFetch,
  base: RenderInput,
  pageSize: number,
  walk: Walk,
  cursor: boolean,
  label: string,
): Promise<void> {
  const seen = new Set<string>();
  let at = 0;
  let next: string | undefined;
  for (let number = 1; ; number++) {
    const input: RenderInput = { ...base, ...pagingValues(at, pageSize), page: number };
    if (cursor && next !== undefined) input.cursor = next;
    const page = await fetch(input, cursor ? undefined : next);
    walk.take(page, at);
    at += page.items.length;
    if (page.next === undefined || page.items.length === 0 || !walk.wants(at)) return;
    if (seen.has(page.next))
      throw scimErrors.badGateway(`The app answered ${label} with the same next page twice`);
    seen.add(page.next);
    next = page.next;
  }
}

/**
 * The next page's link or cursor from an answer, as `paging` says where it is; undefined when
 * the mode has none or the answer names no next page.
 */
export async function nextOf(
  operation: CompiledOperation,
  response: UpstreamResponse,
): Promise<string | undefined> {
  const paging = operation.paging;
  if (paging.mode !== 'next' && paging.mode !== 'cursor') return undefined;
  const expression = paging.mode === 'next' ? paging.next : paging.cursor;
  const value = await expression.evaluate(response.body, answerBindings(response));
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** What expressions reading an answer see besides its body: `$status`, `$headers` and `$links`. */
export function answerBindings(response: UpstreamResponse): Record<string, unknown> {
  return {
    status: response.status,
    headers: response.headers,
    links: parseLinkHeader(response.headers.link),
  };
}

/** RFC 8288 Link header → URL by relation: `<…?page=2>; rel="next"` gives `{ next: "…?page=2" }`. */
export function parseLinkHeader(header: string | undefined): Record<string, string> {
  const links: Record<string, string> = {};
  if (!header) return links;
  for (const match of header.matchAll(/<([^>]*)>((?:\s*;\s*[^;,]+)*)/g)) {
    const rel = /;\s*rel\s*=\s*"?([^";]+)"?/i.exec(match[2] ?? '')?.[1];
    if (!rel || match[1] === undefined) continue;
    for (const name of rel.trim().toLowerCase().split(/\s+/)) links[name] ??= match[1];
  }
  return links;
}

/**
 * The request for a next link: the same call sent to the URL the app gave (relative to the current
 * request), which must lie below the base URL: the adapter's credentials never go anywhere else.
 */
export function followLink(
  request: UpstreamRequest,
  link: string,
  baseUrl: string,
  label: string,
): UpstreamRequest {
  const base = new URL(baseUrl);
  const basePath = base.pathname.replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(link, `${baseUrl}${request.path}`);
  } catch {
    throw scimErrors.badGateway(`The app's next page link for ${label} is not a URL`);
  }
  const below = url.pathname === basePath || url.pathname.startsWith(`${basePath}/`);
  if (url.origin !== base.origin || !below) {
    throw scimErrors.badGateway(
      `The app's next page link for ${label} leaves upstream.baseUrl (${url.origin}${url.pathname}); it is not followed`,
    );
  }
  return { ...request, path: url.pathname.slice(basePath.length) || '/', query: [...url.searchParams] };
}
