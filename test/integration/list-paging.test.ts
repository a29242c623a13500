/**
 * Paging as the mapping declares it, per list call: offset/limit, page/per-page (1-based), a next
 * link (body field or `Link` header), a cursor (body field or header), or none; totals and items
 * read from the body or from headers (`X-Total-Count`, `X-WP-Total`). Each mode is run at page
 * boundaries, with startIndex/count windows that start mid-page and straddle pages.
 *
 * The app is a scripted directory of users behind a MockAgent; every call it receives is checked.
 */

import { afterEach, describe, expect, it } from 'vitest';
import {
  type FakeReply,
  MOCK_ORIGIN,
  type MockSidecar,
  startMockSidecar,
  type UpstreamCall,
} from '../helpers/sidecar.js';

/** `count` users: ids 101, 102, …, logins user1, user2, … */
function directory(count: number): Array<{ id: number; login: string }> {
  return Array.from({ length: count }, (_, i) => ({ id: 101 + i, login: `user${i + 1}` }));
}

/** A User mapping whose list call is `list` (YAML lines indented by 8). */
function mappingWith(list: string): string {
  return `app: paged
resources:
  User:
    id: id
    toScim: '{ "userName": login }'
    fromScim: '{ "login": userName }'
    operations:
      create: { method: POST, path: /users, body: app }
      get: { method: GET, path: '/users/{appId}' }
      list:
        method: GET
        path: /users
${list}`;
}

function param(call: UpstreamCall, name: string): string | undefined {
  return call.query.find(([key]) => key === name)?.[1];
}

function int(call: UpstreamCall, name: string, fallback: number): number {
  const value = param(call, name);
  return value === undefined ? fallback : Number(value);
}

/** `/users?…` as the app saw it, decoded. */
function seen(sc: MockSidecar): string[] {
  return sc.calls.map((c) => `${c.path}${c.search === '' ? '' : `?${decodeURIComponent(c.search)}`}`);
}

async function userNames(sc: MockSidecar, query = ''): Promise<{ names: string[]; total: number }> {
  const res = await sc.scim('GET', `/Users${query}`);
  expect(res.status, res.text).toBe(200);
  const list = res.list();
  return { names: list.Resources.map((u) => u.userName as string), total: list.totalResults };
}

function users(from: number, to: number): string[] {
  return Array.from({ length: to - from + 1 }, (_, i) => `user${from + i}`);
}

let sc: MockSidecar | undefined;
afterEach(async () => {
  await sc?.close();
  sc = undefined;
});

async function start(list: string, answer: (call: UpstreamCall) => FakeReply): Promise<MockSidecar> {
  sc = await startMockSidecar(mappingWith(list));
  sc.fake.on('GET', '/users', answer);
  return sc;
}

/** A WordPress-like app: `page`/`per_page`, a bare array, totals in headers, 400 past the last page. */
function pageNumberApp(people: Array<{ id: number; login: string }>) {
  return (call: UpstreamCall): FakeReply => {
    const perPage = int(call, 'per_page', 10);
    const page = int(call, 'page', 1);
    const pages = Math.max(1, Math.ceil(people.length / perPage));
    if (page > pages)
      return { status: 400, json: { code: 'rest_post_invalid_page_number', message: 'Invalid page' } };
    return {
      status: 200,
      json: people.slice((page - 1) * perPage, page * perPage),
      headers: { 'X-WP-Total': String(people.length), 'X-WP-TotalPages': String(pages) },
    };
  };
}

describe('page numbers: page/per_page, total in a header', () => {
  const PAGE_MODE = `        query: { page: page, per_page: limit }
        paging: page
        pageSize: 3
        items: $
        total: '$headers.\`x-wp-total\`'
`;

  it('a window that starts mid-page reads the whole page and cuts the window out of it', async () => {
    const app = await start(PAGE_MODE, pageNumberApp(directory(8)));
    expect(await userNames(app, '?startIndex=2&count=2')).toEqual({ names: users(2, 3), total: 8 });
    expect(seen(app)).toEqual(['/users?page=1&per_page=3']);
  });

  it('a window that straddles two pages reads both', async () => {
    const app = await start(PAGE_MODE, pageNumberApp(directory(8)));
    expect(await userNames(app, '?startIndex=3&count=3')).toEqual({ names: users(3, 5), total: 8 });
    expect(seen(app)).toEqual(['/users?page=1&per_page=3', '/users?page=2&per_page=3']);
  });

  it('a window that is exactly one page later on reads that page alone', async () => {
    const app = await start(PAGE_MODE, pageNumberApp(directory(8)));
    expect(await userNames(app, '?startIndex=4&count=3')).toEqual({ names: users(4, 6), total: 8 });
    expect(seen(app)).toEqual(['/users?page=2&per_page=3']);
  });

  it('the last, short page ends the window', async () => {
    const app = await start(PAGE_MODE, pageNumberApp(directory(8)));
    expect(await userNames(app, '?startIndex=7&count=5')).toEqual({ names: users(7, 8), total: 8 });
    expect(seen(app)).toEqual(['/users?page=3&per_page=3']);
  });

  it('a window past the end is empty, though the app refuses the page (400)', async () => {
    const app = await start(PAGE_MODE, pageNumberApp(directory(8)));
    expect(await userNames(app, '?startIndex=10&count=3')).toEqual({ names: [], total: 8 });
    expect(seen(app)).toEqual(['/users?page=4&per_page=3', '/users?page=1&per_page=3']);
  });

  it('reading everything stops at the total and never asks for a page past the last', async () => {
    const app = await start(PAGE_MODE, pageNumberApp(directory(9)));
    const found = await userNames(app, `?filter=${encodeURIComponent('userName sw "user"')}`);
    expect(found).toEqual({ names: users(1, 9), total: 9 });
    expect(seen(app)).toEqual([
      '/users?page=1&per_page=3',
      '/users?page=2&per_page=3',
      '/users?page=3&per_page=3',
    ]);
  });

  it('without `paging`, a list query of page numbers is read as page numbers (startIndex=2&count=2)', async () => {
    const legacy = `        query: { page: page, per_page: limit }
        pageSize: 3
        items: items
        total: total
`;
    const people = directory(8);
    const app = await start(legacy, (call) => {
      const perPage = int(call, 'per_page', 10);
      const page = int(call, 'page', 1);
      return {
        status: 200,
        json: { items: people.slice((page - 1) * perPage, page * perPage), total: people.length },
      };
    });
    expect(await userNames(app, '?startIndex=2&count=2')).toEqual({ names: users(2, 3), total: 8 });
  });
});

describe('offset/limit, total in X-Total-Count', () => {
  const OFFSET_MODE = `        query: { offset: offset, limit: limit }
        paging: offset
        pageSize: 3
        items: items
        total: '$number($headers.\`x-total-count\`)'
`;
  function offsetApp(people: Array<{ id: number; login: string }>) {
    return (call: UpstreamCall): FakeReply => {
      const offset = int(call, 'offset', 0);
      const limit = Math.min(int(call, 'limit', 3), 3);
      return {
        status: 200,
        json: { items: people.slice(offset, offset + limit) },
        headers: { 'X-Total-Count': String(people.length) },
      };
    };
  }

  it('asks for exactly the window, across pages', async () => {
    const app = await start(OFFSET_MODE, offsetApp(directory(8)));
    expect(await userNames(app, '?startIndex=2&count=2')).toEqual({ names: users(2, 3), total: 8 });
    expect(await userNames(app, '?startIndex=3&count=5')).toEqual({ names: users(3, 7), total: 8 });
    expect(seen(app)).toEqual([
      '/users?offset=1&limit=2',
      '/users?offset=2&limit=3',
      '/users?offset=5&limit=2',
    ]);
  });

  it('reading everything stops at the total', async () => {
    const app = await start(OFFSET_MODE, offsetApp(directory(6)));
    const found = await userNames(app, `?filter=${encodeURIComponent('userName sw "user"')}`);
    expect(found.names).toEqual(users(1, 6));
    expect(seen(app)).toEqual(['/users?offset=0&limit=3', '/users?offset=3&limit=3']);
  });
});

describe('a next link in the Link header', () => {
  const LINK_MODE = `        query: { page: page, per_page: limit }
        paging: { next: '$links.next' }
        pageSize: 3
        items: $
        total: '$headers.\`x-total-count\`'
`;
  function linkApp(people: Array<{ id: number; login: string }>, origin = MOCK_ORIGIN) {
    return (call: UpstreamCall): FakeReply => {
      const perPage = int(call, 'per_page', 3);
      const page = int(call, 'page', 1);
      const headers: Record<string, string> = { 'X-Total-Count': String(people.length) };
      if (page * perPage < people.length)
        headers.Link = `<${origin}/users?page=${page + 1}&per_page=${perPage}>; rel="next", <${origin}/users?page=1&per_page=${perPage}>; rel="first"`;
      return { status: 200, json: people.slice((page - 1) * perPage, page * perPage), headers };
    };
  }

  it('follows the links to the end', async () => {
    const app = await start(LINK_MODE, linkApp(directory(7)));
    const found = await userNames(app, `?filter=${encodeURIComponent('userName sw "user"')}`);
    expect(found.names).toEqual(users(1, 7));
    expect(seen(app)).toEqual([
      '/users?page=1&per_page=3',
      '/users?page=2&per_page=3',
      '/users?page=3&per_page=3',
    ]);
  });

  it('a window later in the list walks the links from the start and stops once it is filled', async () => {
    const app = await start(LINK_MODE, linkApp(directory(9)));
    expect(await userNames(app, '?startIndex=3&count=3')).toEqual({ names: users(3, 5), total: 9 });
    expect(seen(app)).toEqual(['/users?page=1&per_page=3', '/users?page=2&per_page=3']);
  });

  it('refuses a link that leaves upstream.baseUrl (502), never sending the credentials elsewhere', async () => {
    const app = await start(LINK_MODE, linkApp(directory(7), 'https://elsewhere.example.test'));
    const res = await app.scim('GET', `/Users?filter=${encodeURIComponent('userName sw "user"')}`);
    expect(res.status, res.text).toBe(502);
    expect(res.error().detail).toContain('upstream.baseUrl');
    expect(seen(app)).toEqual(['/users?page=1&per_page=3']);
  });
});

describe('a next link in the body', () => {
  it('follows relative links', async () => {
    const people = directory(5);
    const app = await start(
      `        query: { per_page: limit }
        paging: { next: links.next }
        pageSize: 2
        items: data
`,
      (call) => {
        const after = int(call, 'after', 0);
        const rest = people.filter((p) => p.id > after).slice(0, 2);
        const last = rest[rest.length - 1];
        const more = last !== undefined && last.id < 105;
        return {
          status: 200,
          json: { data: rest, links: more ? { next: `/users?per_page=2&after=${last.id}` } : {} },
        };
      },
    );
    expect((await userNames(app)).names).toEqual(users(1, 5));
    expect(seen(app)).toEqual([
      '/users?per_page=2',
      '/users?per_page=2&after=102',
      '/users?per_page=2&after=104',
    ]);
  });
});

describe('a cursor', () => {
  function cursorApp(people: Array<{ id: number; login: string }>, where: 'body' | 'header') {
    return (call: UpstreamCall): FakeReply => {
      const at = Number(param(call, 'cursor')?.replace('c', '') ?? 0);
      const items = people.slice(at, at + 2);
      const next = at + 2 < people.length ? `c${at + 2}` : undefined;
      if (where === 'header')
        return { status: 200, json: items, headers: next ? { 'X-Next-Cursor': next } : {} };
      return { status: 200, json: { items, meta: { next_cursor: next ?? null } } };
    };
  }

  it('in the body: asks for the next page with it until there is none', async () => {
    const app = await start(
      `        query: { cursor: cursor, limit: limit }
        paging: { cursor: meta.next_cursor }
        pageSize: 2
        items: items
`,
      cursorApp(directory(5), 'body'),
    );
    expect((await userNames(app)).names).toEqual(users(1, 5));
    expect(seen(app)).toEqual(['/users?limit=2', '/users?cursor=c2&limit=2', '/users?cursor=c4&limit=2']);
  });

  it('in a header: a window is cut from the whole list when the app gives no total', async () => {
    const app = await start(
      `        query: { cursor: cursor }
        paging: { cursor: '$headers.\`x-next-cursor\`' }
        items: $
`,
      cursorApp(directory(6), 'header'),
    );
    expect(await userNames(app, '?startIndex=2&count=3')).toEqual({ names: users(2, 4), total: 6 });
  });

  it('a cursor that comes back again is a fault of the app (502), not an endless loop', async () => {
    const app = await start(
      `        query: { cursor: cursor }
        paging: { cursor: next }
        items: items
`,
      () => ({ status: 200, json: { items: directory(2), next: 'same' } }),
    );
    const res = await app.scim('GET', '/Users');
    expect(res.status, res.text).toBe(502);
    expect(app.calls.length).toBe(2);
  });
});

describe('no paging', () => {
  it('one call, whatever the app answers', async () => {
    const app = await start(
      `        paging: none
        items: items
`,
      () => ({ status: 200, json: { items: directory(4) } }),
    );
    expect(await userNames(app, '?startIndex=2&count=2')).toEqual({ names: users(2, 3), total: 4 });
    expect(seen(app)).toEqual(['/users']);
  });
});
