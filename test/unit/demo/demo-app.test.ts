import { request } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type DemoApp, MAX_BODY_BYTES, startDemoApp } from '../../../src/demo/demo-app.js';
import { type Account, DemoStore, DemoStoreError, FIRST_ID } from '../../../src/demo/demo-store.js';

const API_KEY = 'test-key-0123456789';

let app: DemoApp;

beforeAll(async () => {
  app = await startDemoApp({ apiKey: API_KEY, port: 0 });
});

afterAll(async () => {
  await app.close();
});

interface CallOptions {
  method?: string;
  body?: unknown;
  rawBody?: string;
  key?: string | null;
  headers?: Record<string, string>;
}

async function call(path: string, options: CallOptions = {}) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key !== null) headers['X-Api-Key'] = options.key ?? API_KEY;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${app.url}${path}`, { method: options.method ?? 'GET', headers, body });
  const text = await res.text();
  const json: unknown = res.headers.get('content-type')?.startsWith('application/json')
    ? JSON.parse(text)
    : undefined;
  return { status: res.status, headers: res.headers, text, json };
}

// Unique per test so the shared app never sees accidental duplicates between tests.
let seq = 0;
function uniq(prefix: string): string {
  seq += 1;
  return `${prefix}${seq}`;
}

async function createAccount(overrides: Record<string, unknown> = {}): Promise<Account> {
  const login = uniq('user');
  const res = await call('/api/accounts', {
    method: 'POST',
    body: { account: { login, first_name: 'Ada', last_name: 'Lovelace', ...overrides } },
  });
  expect(res.status).toBe(201);
  return (res.json as { account: Account }).account;
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('startDemoApp', () => {
  it('listens on 127.0.0.1 on a free port and reports its url', () => {
    expect(app.port).toBeGreaterThan(0);
    expect(app.url).toBe(`http://127.0.0.1:${app.port}`);
  });

  it('refuses an empty api key', async () => {
    await expect(startDemoApp({ apiKey: '' })).rejects.toThrow(TypeError);
  });

  it('adds the configured latency to every request', async () => {
    const slow = await startDemoApp({ apiKey: 'k', latencyMs: 150 });
    try {
      const started = performance.now();
      const res = await fetch(`${slow.url}/public/hello.txt`);
      await res.text();
      expect(res.status).toBe(200);
      expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    } finally {
      await slow.close();
    }
  });

  it('close() can be called twice', async () => {
    const other = await startDemoApp({ apiKey: 'k' });
    await other.close();
    await expect(other.close()).resolves.toBeUndefined();
  });
});

describe('auth', () => {
  it('rejects /api requests without a key', async () => {
    const res = await call('/api/health', { key: null });
    expect(res.status).toBe(401);
    expect(res.json).toEqual({ error: 'unauthorized' });
  });

  it('rejects a wrong key, including one of a different length', async () => {
    for (const key of ['test-key-0123456788', 'short', `${API_KEY}x`]) {
      const res = await call('/api/accounts', { key });
      expect(res.status).toBe(401);
      expect(res.json).toEqual({ error: 'unauthorized' });
    }
  });

  it('rejects unknown /api routes without a key before routing', async () => {
    const res = await call('/api/nope', { key: null });
    expect(res.status).toBe(401);
  });

  it('answers /api/health with the key', async () => {
    const res = await call('/api/health');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: 'ok' });
  });
});

describe('non-API pages', () => {
  it('serves the home page without a key', async () => {
    const res = await call('/', { key: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.text).toContain('<title>Acme Directory</title>');
  });

  it('serves /public/hello.txt without a key', async () => {
    const res = await call('/public/hello.txt', { key: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(res.text).toBe('hello from Acme Directory');
  });

  it('answers HEAD like GET without a body', async () => {
    const res = await call('/public/hello.txt', { method: 'HEAD', key: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe('25');
    expect(res.text).toBe('');
  });
});

describe('routing errors', () => {
  it('answers 404 for unknown routes, with or without /api', async () => {
    for (const path of ['/nope', '/api/nope', '/api/accounts/1001/nope', '//api/accounts']) {
      const res = await call(path);
      expect(res.status, path).toBe(404);
      expect(res.json, path).toEqual({ error: 'not_found' });
    }
  });

  it('answers 405 with Allow for a wrong method on a known path', async () => {
    const cases: Array<[string, string, string]> = [
      ['DELETE', '/api/accounts', 'GET, POST, HEAD'],
      ['POST', '/api/accounts/1001', 'GET, PUT, PATCH, DELETE, HEAD'],
      ['GET', '/api/accounts/1001/disable', 'POST'],
      ['PATCH', '/api/teams/1001', 'GET, PUT, DELETE, HEAD'],
      ['GET', '/api/teams/1001/members', 'POST'],
      ['GET', '/api/teams/1001/members/1002', 'DELETE'],
      ['POST', '/api/health', 'GET, HEAD'],
    ];
    for (const [method, path, allow] of cases) {
      const res = await call(path, { method });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.json).toEqual({ error: 'method_not_allowed' });
      expect(res.headers.get('allow')).toBe(allow);
    }
  });

  it('answers 400 invalid_json for a malformed body', async () => {
    for (const rawBody of ['{"account": ', '', 'not json']) {
      const res = await call('/api/accounts', { method: 'POST', rawBody });
      expect(res.status).toBe(400);
      expect(res.json).toEqual({ error: 'invalid_json' });
    }
  });

  it('answers 413 for a body over 1 MB', async () => {
    const rawBody = JSON.stringify({
      account: { login: 'big', first_name: 'x'.repeat(MAX_BODY_BYTES), last_name: 'y' },
    });
    const res = await call('/api/accounts', { method: 'POST', rawBody });
    expect(res.status).toBe(413);
    expect(res.json).toEqual({ error: 'payload_too_large' });
    expect((await call('/api/accounts?login=big')).json).toMatchObject({ total: 0 });
  });

  it('answers 413 for a chunked body over 1 MB with no Content-Length', async () => {
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${app.url}/api/accounts`, {
        method: 'POST',
        headers: { 'X-Api-Key': API_KEY, 'Content-Type': 'application/json' },
      });
      req.on('response', (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          data += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
      });
      req.on('error', reject);
      const chunk = 'x'.repeat(64 * 1024);
      for (let sent = 0; sent <= MAX_BODY_BYTES; sent += chunk.length) req.write(chunk);
      req.end();
    });
    expect(status).toBe(413);
    expect(JSON.parse(body)).toEqual({ error: 'payload_too_large' });
  });
});

describe('accounts', () => {
  it('creates an account with defaults, Location and timestamps', async () => {
    const login = uniq('jdoe');
    const res = await call('/api/accounts', {
      method: 'POST',
      body: { account: { login, first_name: 'John', last_name: 'Doe', email: `${login}@acme.test` } },
    });
    expect(res.status).toBe(201);
    const account = (res.json as { account: Account }).account;
    expect(account).toEqual({
      id: expect.any(Number),
      login,
      first_name: 'John',
      last_name: 'Doe',
      email: `${login}@acme.test`,
      phone: null,
      department: null,
      title: null,
      enabled: true,
      created_at: expect.stringMatching(ISO),
      updated_at: account.created_at,
    });
    expect(account.id).toBeGreaterThanOrEqual(FIRST_ID);
    expect(res.headers.get('location')).toBe(`/api/accounts/${account.id}`);

    const fetched = await call(`/api/accounts/${account.id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.json).toEqual({ account });
  });

  it('answers a receipt instead of the record to Prefer: return=minimal', async () => {
    const login = uniq('minimal');
    const res = await call('/api/accounts', {
      method: 'POST',
      headers: { Prefer: 'return=minimal' },
      body: { account: { login, first_name: 'Min', last_name: 'Imal' } },
    });
    expect(res.status).toBe(201);
    const id = Number(res.headers.get('x-account-id'));
    expect(res.json).toEqual({ status: 'created', href: `/api/accounts/${id}`, message: 'Account created' });
    expect(res.headers.get('location')).toBe(`/api/accounts/${id}`);
    expect((await call(`/api/accounts/${id}`)).json).toMatchObject({ account: { login } });
  });

  it('hands out sequential ids that are never reused', async () => {
    const a = await createAccount();
    const b = await createAccount();
    expect(b.id).toBe(a.id + 1);
    expect((await call(`/api/accounts/${b.id}`, { method: 'DELETE' })).status).toBe(204);
    const c = await createAccount();
    expect(c.id).toBe(b.id + 1);
  });

  it('honours enabled: false on create', async () => {
    const account = await createAccount({ enabled: false });
    expect(account.enabled).toBe(false);
  });

  it('refuses a duplicate login in a different case with 409, but lets accounts share an e-mail', async () => {
    const login = uniq('Dup.User');
    await createAccount({ login, email: `${login}@Acme.test` });

    const sameLogin = await call('/api/accounts', {
      method: 'POST',
      body: { account: { login: login.toUpperCase(), first_name: 'A', last_name: 'B' } },
    });
    expect(sameLogin.status).toBe(409);
    expect(sameLogin.json).toEqual({ error: 'conflict', message: 'login already exists' });

    const sharedEmail = `${login.toLowerCase()}@acme.TEST`;
    const sameEmail = await call('/api/accounts', {
      method: 'POST',
      body: { account: { login: uniq('other'), first_name: 'A', last_name: 'B', email: sharedEmail } },
    });
    expect(sameEmail.status).toBe(201);
    const byEmail = await call(`/api/accounts?email=${encodeURIComponent(sharedEmail)}`);
    expect((byEmail.json as { total: number }).total).toBe(2);
  });

  it('reports every invalid field at once', async () => {
    const res = await call('/api/accounts', {
      method: 'POST',
      body: { account: { first_name: '', last_name: 42, email: 7, enabled: 'yes', phone: 5 } },
    });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      error: 'validation_failed',
      fields: {
        login: 'is required',
        first_name: 'is required',
        last_name: 'must be a string',
        email: 'must be a string',
        phone: 'must be a string',
        enabled: 'must be a boolean',
      },
    });
  });

  it('validates the login length and characters', async () => {
    const tooLong = await call('/api/accounts', {
      method: 'POST',
      body: { account: { login: 'a'.repeat(65), first_name: 'A', last_name: 'B' } },
    });
    expect(tooLong.json).toEqual({
      error: 'validation_failed',
      fields: { login: 'must be at most 64 characters' },
    });

    const badChars = await call('/api/accounts', {
      method: 'POST',
      body: { account: { login: 'john doe!', first_name: 'A', last_name: 'B' } },
    });
    expect(badChars.status).toBe(400);
    expect(badChars.json).toEqual({
      error: 'validation_failed',
      fields: { login: 'may only contain letters, digits, ".", "_", "@" and "-"' },
    });

    const exactly64 = await createAccount({ login: `x${uniq('')}`.padEnd(64, 'z') });
    expect(exactly64.login).toHaveLength(64);
    const allChars = await createAccount({ login: uniq('A-z_0.9@') });
    expect(allChars.login).toMatch(/^A-z_0\.9@\d+$/);
  });

  it('refuses a body without the account wrapper', async () => {
    for (const body of [{ login: 'flat', first_name: 'A', last_name: 'B' }, [], 'text', null]) {
      const res = await call('/api/accounts', { method: 'POST', body });
      expect(res.status).toBe(400);
      expect(res.json).toEqual({ error: 'validation_failed', fields: { account: 'is required' } });
    }
  });

  it('answers 404 for unknown and non-numeric ids', async () => {
    for (const path of [
      '/api/accounts/999999',
      '/api/accounts/abc',
      '/api/accounts/-1',
      '/api/accounts/1e3',
    ]) {
      const res = await call(path);
      expect(res.status, path).toBe(404);
      expect(res.json).toEqual({ error: 'not_found' });
    }
    expect((await call('/api/accounts/999999', { method: 'DELETE' })).status).toBe(404);
    expect((await call('/api/accounts/999999/disable', { method: 'POST' })).status).toBe(404);
    const put = await call('/api/accounts/999999', {
      method: 'PUT',
      body: { account: { login: 'x', first_name: 'A', last_name: 'B' } },
    });
    expect(put.status).toBe(404);
  });

  it('PATCH applies the valid fields, refuses the others, and answers 200 saying so in the body', async () => {
    const taken = await createAccount();
    const account = await createAccount({ title: 'Dev' });
    const ok = await call(`/api/accounts/${account.id}`, {
      method: 'PATCH',
      body: { account: { title: 'Lead' } },
    });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({
      ok: true,
      account: { id: account.id, title: 'Lead', first_name: 'Ada' },
    });
    const half = await call(`/api/accounts/${account.id}`, {
      method: 'PATCH',
      body: { account: { login: taken.login, title: 'CTO', nickname: 'ignored' } },
    });
    expect(half.status).toBe(200);
    expect(half.json).toMatchObject({
      ok: false,
      errors: ['login already exists'],
      account: { login: account.login, title: 'CTO' },
    });
    expect((await call(`/api/accounts/999999`, { method: 'PATCH', body: { account: {} } })).status).toBe(404);
  });

  it('PUT replaces every writable field, nulling omitted ones', async () => {
    const original = await createAccount({
      email: `${uniq('full')}@acme.test`,
      phone: '+1 555 0100',
      department: 'R&D',
      title: 'Engineer',
      enabled: false,
    });
    const newLogin = uniq('renamed');
    const res = await call(`/api/accounts/${original.id}`, {
      method: 'PUT',
      body: {
        account: { login: newLogin, first_name: 'Grace', last_name: 'Hopper', title: 'Admiral', id: 1 },
      },
    });
    expect(res.status).toBe(200);
    const updated = (res.json as { account: Account }).account;
    expect(updated).toEqual({
      id: original.id,
      login: newLogin,
      first_name: 'Grace',
      last_name: 'Hopper',
      email: null,
      phone: null,
      department: null,
      title: 'Admiral',
      enabled: true,
      created_at: original.created_at,
      updated_at: expect.stringMatching(ISO),
    });
    expect(Date.parse(updated.updated_at)).toBeGreaterThan(Date.parse(original.updated_at));
    expect((await call(`/api/accounts/${original.id}`)).json).toEqual({ account: updated });

    // The old login is free again; the new one is taken.
    expect((await call(`/api/accounts?login=${original.login}`)).json).toMatchObject({ total: 0 });
    expect((await call(`/api/accounts?login=${newLogin}`)).json).toMatchObject({ total: 1 });
  });

  it('PUT requires the required fields and keeps the record on failure', async () => {
    const original = await createAccount();
    const res = await call(`/api/accounts/${original.id}`, {
      method: 'PUT',
      body: { account: { first_name: 'Only' } },
    });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      error: 'validation_failed',
      fields: { login: 'is required', last_name: 'is required' },
    });
    expect((await call(`/api/accounts/${original.id}`)).json).toEqual({ account: original });
  });

  it('PUT may change the case of its own login but not take another one', async () => {
    const mine = await createAccount();
    const theirs = await createAccount();
    const recased = await call(`/api/accounts/${mine.id}`, {
      method: 'PUT',
      body: { account: { login: mine.login.toUpperCase(), first_name: 'A', last_name: 'B' } },
    });
    expect(recased.status).toBe(200);
    const taken = await call(`/api/accounts/${mine.id}`, {
      method: 'PUT',
      body: { account: { login: theirs.login, first_name: 'A', last_name: 'B' } },
    });
    expect(taken.status).toBe(409);
    expect(taken.json).toEqual({ error: 'conflict', message: 'login already exists' });
  });

  it('disables and enables idempotently', async () => {
    const account = await createAccount();
    for (const [action, enabled] of [
      ['disable', false],
      ['disable', false],
      ['enable', true],
      ['enable', true],
    ] as const) {
      const res = await call(`/api/accounts/${account.id}/${action}`, { method: 'POST' });
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      const fetched = (await call(`/api/accounts/${account.id}`)).json as { account: Account };
      expect(fetched.account.enabled).toBe(enabled);
    }
  });

  it('deletes an account', async () => {
    const account = await createAccount();
    const res = await call(`/api/accounts/${account.id}`, { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect((await call(`/api/accounts/${account.id}`)).status).toBe(404);
    expect((await call(`/api/accounts/${account.id}`, { method: 'DELETE' })).status).toBe(404);
  });
});

describe('account search', () => {
  let alice: Account;
  let bob: Account;
  let carol: Account;
  const tag = `srch${Date.now()}`;

  beforeAll(async () => {
    alice = await createAccount({
      login: `${tag}.Alice`,
      first_name: 'Alice',
      last_name: 'Zed',
      email: `Alice@${tag}.test`,
    });
    bob = await createAccount({
      login: `${tag}.bob`,
      first_name: 'Bob',
      last_name: 'Marley',
      enabled: false,
    });
    carol = await createAccount({
      login: `${tag}.carol`,
      first_name: 'Carol',
      last_name: 'Alison',
      email: null,
    });
  });

  it('finds by login exactly and case-insensitively', async () => {
    const res = await call(`/api/accounts?login=${tag.toUpperCase()}.ALICE`);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ items: [alice], total: 1, offset: 0, limit: 50 });
    expect((await call(`/api/accounts?login=${tag}.Ali`)).json).toEqual({
      items: [],
      total: 0,
      offset: 0,
      limit: 50,
    });
  });

  it('finds by email exactly and case-insensitively', async () => {
    const res = await call(`/api/accounts?email=${encodeURIComponent(`alice@${tag.toUpperCase()}.TEST`)}`);
    expect(res.json).toEqual({ items: [alice], total: 1, offset: 0, limit: 50 });
  });

  it('searches q as a substring over login, email and names', async () => {
    const byTag = await call(`/api/accounts?q=${tag}&limit=200`);
    expect((byTag.json as { items: Account[] }).items.map((a) => a.id)).toEqual([alice.id, bob.id, carol.id]);

    // "ALI" hits Alice's login and first name and Carol's last name, case-insensitively.
    const res = await call(`/api/accounts?q=ALI&limit=200`);
    const ids = (res.json as { items: Account[] }).items.map((a) => a.id);
    expect(ids).toContain(alice.id);
    expect(ids).toContain(carol.id);
    expect(ids).not.toContain(bob.id);
  });

  it('filters by enabled and combines filters', async () => {
    const disabled = await call(`/api/accounts?q=${tag}&enabled=false`);
    expect(disabled.json).toEqual({ items: [bob], total: 1, offset: 0, limit: 50 });
    const enabled = await call(`/api/accounts?q=${tag}&enabled=true`);
    expect(enabled.json).toEqual({ items: [alice, carol], total: 2, offset: 0, limit: 50 });
    const none = await call(`/api/accounts?login=${tag}.bob&enabled=true`);
    expect(none.json).toEqual({ items: [], total: 0, offset: 0, limit: 50 });
  });

  it('treats empty filters as absent', async () => {
    const res = await call(`/api/accounts?login=&email=&q=${tag}&enabled=`);
    expect((res.json as { total: number }).total).toBe(3);
  });

  it('pages by offset and limit, sorted by id, with total after filtering', async () => {
    const first = await call(`/api/accounts?q=${tag}&offset=0&limit=2`);
    expect(first.json).toEqual({ items: [alice, bob], total: 3, offset: 0, limit: 2 });
    const second = await call(`/api/accounts?q=${tag}&offset=2&limit=2`);
    expect(second.json).toEqual({ items: [carol], total: 3, offset: 2, limit: 2 });
    const past = await call(`/api/accounts?q=${tag}&offset=10`);
    expect(past.json).toEqual({ items: [], total: 3, offset: 10, limit: 50 });
  });

  it('pages by page number too, with the total in X-Total-Count and a Link to the next page', async () => {
    const first = await call(`/api/accounts?q=${tag}&page=1&per_page=2`);
    expect(first.json).toEqual({ items: [alice, bob], total: 3, offset: 0, limit: 2 });
    expect(first.headers.get('x-total-count')).toBe('3');
    expect(first.headers.get('link')).toBe(
      `<${app.url}/api/accounts?q=${tag}&page=2&per_page=2>; rel="next"`,
    );
    const second = await call(`/api/accounts?q=${tag}&page=2&per_page=2`);
    expect(second.json).toEqual({ items: [carol], total: 3, offset: 2, limit: 2 });
    expect(second.headers.get('link')).toBeNull();
    const byOffset = await call(`/api/accounts?q=${tag}&offset=0&limit=2`);
    expect(byOffset.headers.get('link')).toBe(
      `<${app.url}/api/accounts?q=${tag}&offset=2&limit=2>; rel="next"`,
    );
  });

  it('refuses a page number past the last page, as WordPress does', async () => {
    const past = await call(`/api/accounts?q=${tag}&page=3&per_page=2`);
    expect(past.status).toBe(400);
    expect(past.json).toEqual({ error: 'invalid_page', message: 'page is past the last page' });
    expect((await call(`/api/accounts?q=nobody-${tag}&page=1`)).status).toBe(200);
    expect((await call('/api/accounts?page=0')).status).toBe(400);
  });

  it('caps limit at 200 and defaults it to 50', async () => {
    expect((await call('/api/accounts?limit=5000')).json).toMatchObject({ limit: 200 });
    expect((await call('/api/accounts')).json).toMatchObject({ offset: 0, limit: 50 });
  });

  it('refuses malformed paging and enabled values', async () => {
    const paging = await call('/api/accounts?offset=-1&limit=ten');
    expect(paging.status).toBe(400);
    expect(paging.json).toEqual({
      error: 'validation_failed',
      fields: { offset: 'must be a non-negative integer', limit: 'must be a non-negative integer' },
    });
    const enabled = await call('/api/accounts?enabled=yes');
    expect(enabled.status).toBe(400);
    expect(enabled.json).toEqual({
      error: 'validation_failed',
      fields: { enabled: 'must be true or false' },
    });
  });
});

describe('teams', () => {
  interface TeamBody {
    team: { id: number; name: string; member_ids: number[] };
  }

  it('creates a team with members and lists it without member ids', async () => {
    const a = await createAccount();
    const b = await createAccount();
    const name = uniq('Engineering ');
    const res = await call('/api/teams', {
      method: 'POST',
      body: { team: { name, member_ids: [b.id, a.id, b.id] } },
    });
    expect(res.status).toBe(201);
    const { team } = res.json as TeamBody;
    expect(team).toEqual({ id: expect.any(Number), name, member_ids: [b.id, a.id] });
    expect(res.headers.get('location')).toBe(`/api/teams/${team.id}`);

    expect((await call(`/api/teams/${team.id}`)).json).toEqual({ team });

    const list = await call(`/api/teams?name=${encodeURIComponent(name.toUpperCase())}`);
    expect(list.status).toBe(200);
    expect(list.json).toEqual({ items: [{ id: team.id, name, member_count: 2 }], total: 1 });
  });

  it('creates a team without members', async () => {
    const name = uniq('Empty');
    const res = await call('/api/teams', { method: 'POST', body: { team: { name } } });
    expect(res.status).toBe(201);
    expect((res.json as TeamBody).team.member_ids).toEqual([]);
  });

  it('shares the id sequence with accounts', async () => {
    const account = await createAccount();
    const res = await call('/api/teams', { method: 'POST', body: { team: { name: uniq('Seq') } } });
    expect((res.json as TeamBody).team.id).toBe(account.id + 1);
  });

  it('refuses a duplicate name in a different case, a missing name and unknown members', async () => {
    const name = uniq('Sales');
    expect((await call('/api/teams', { method: 'POST', body: { team: { name } } })).status).toBe(201);

    const dup = await call('/api/teams', { method: 'POST', body: { team: { name: name.toLowerCase() } } });
    expect(dup.status).toBe(409);
    expect(dup.json).toEqual({ error: 'conflict', message: 'name already exists' });

    const noName = await call('/api/teams', { method: 'POST', body: { team: { member_ids: [] } } });
    expect(noName.status).toBe(400);
    expect(noName.json).toEqual({ error: 'validation_failed', fields: { name: 'is required' } });

    const unknown = await call('/api/teams', {
      method: 'POST',
      body: { team: { name: uniq('X'), member_ids: [42] } },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.json).toEqual({
      error: 'validation_failed',
      fields: { member_ids: 'unknown account 42' },
    });

    const notIds = await call('/api/teams', {
      method: 'POST',
      body: { team: { name: uniq('X'), member_ids: ['1001'] } },
    });
    expect(notIds.json).toEqual({
      error: 'validation_failed',
      fields: { member_ids: 'must be an array of account ids' },
    });

    const noWrapper = await call('/api/teams', { method: 'POST', body: { name: uniq('X') } });
    expect(noWrapper.json).toEqual({ error: 'validation_failed', fields: { team: 'is required' } });
  });

  it('PUT replaces name and members', async () => {
    const a = await createAccount();
    const b = await createAccount();
    const created = (
      await call('/api/teams', { method: 'POST', body: { team: { name: uniq('Ops'), member_ids: [a.id] } } })
    ).json as TeamBody;
    const name = uniq('Platform');
    const res = await call(`/api/teams/${created.team.id}`, {
      method: 'PUT',
      body: { team: { name, member_ids: [b.id] } },
    });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ team: { id: created.team.id, name, member_ids: [b.id] } });

    const cleared = await call(`/api/teams/${created.team.id}`, { method: 'PUT', body: { team: { name } } });
    expect(cleared.json).toEqual({ team: { id: created.team.id, name, member_ids: [] } });

    expect((await call(`/api/teams?name=${created.team.name}`)).json).toEqual({ items: [], total: 0 });
    const missing = await call('/api/teams/999999', { method: 'PUT', body: { team: { name: uniq('Y') } } });
    expect(missing.status).toBe(404);
  });

  it('adds members idempotently and removes them idempotently', async () => {
    const a = await createAccount();
    const created = (await call('/api/teams', { method: 'POST', body: { team: { name: uniq('Support') } } }))
      .json as TeamBody;
    const teamId = created.team.id;

    for (let i = 0; i < 2; i++) {
      const res = await call(`/api/teams/${teamId}/members`, { method: 'POST', body: { account_id: a.id } });
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
    }
    expect((await call(`/api/teams/${teamId}`)).json).toEqual({
      team: { id: teamId, name: created.team.name, member_ids: [a.id] },
    });

    for (let i = 0; i < 2; i++) {
      const res = await call(`/api/teams/${teamId}/members/${a.id}`, { method: 'DELETE' });
      expect(res.status).toBe(204);
    }
    expect(((await call(`/api/teams/${teamId}`)).json as TeamBody).team.member_ids).toEqual([]);
  });

  it('lists, adds and removes members by login too', async () => {
    const ada = await createAccount();
    const bob = await createAccount();
    const created = await call('/api/teams', {
      method: 'POST',
      body: { team: { name: uniq('by-login'), member_ids: [ada.id] } },
    });
    const teamId = (created.json as TeamBody).team.id;
    const add = await call(`/api/teams/${teamId}/logins`, {
      method: 'POST',
      body: { login: bob.login.toUpperCase() },
    });
    expect(add.status).toBe(204);
    const page1 = await call(`/api/teams/${teamId}/logins?page=1&per_page=1`);
    expect(page1.json).toEqual({ logins: [ada.login] });
    expect(page1.headers.get('x-total-count')).toBe('2');
    expect((await call(`/api/teams/${teamId}/logins?page=2&per_page=1`)).json).toEqual({
      logins: [bob.login],
    });
    expect(
      (await call(`/api/teams/${teamId}/logins/${encodeURIComponent(ada.login)}`, { method: 'DELETE' }))
        .status,
    ).toBe(204);
    expect((await call(`/api/teams/${teamId}`)).json).toMatchObject({ team: { member_ids: [bob.id] } });
    const unknown = await call(`/api/teams/${teamId}/logins`, {
      method: 'POST',
      body: { login: 'nobody-here' },
    });
    expect(unknown.status).toBe(400);
    expect((await call('/api/teams/999999/logins')).status).toBe(404);
  });

  it('refuses unknown or malformed member additions', async () => {
    const created = (await call('/api/teams', { method: 'POST', body: { team: { name: uniq('Legal') } } }))
      .json as TeamBody;
    const teamId = created.team.id;

    const unknown = await call(`/api/teams/${teamId}/members`, { method: 'POST', body: { account_id: 42 } });
    expect(unknown.status).toBe(400);
    expect(unknown.json).toEqual({
      error: 'validation_failed',
      fields: { member_ids: 'unknown account 42' },
    });

    const missing = await call(`/api/teams/${teamId}/members`, { method: 'POST', body: {} });
    expect(missing.json).toEqual({ error: 'validation_failed', fields: { account_id: 'is required' } });

    const wrongType = await call(`/api/teams/${teamId}/members`, {
      method: 'POST',
      body: { account_id: '1001' },
    });
    expect(wrongType.json).toEqual({
      error: 'validation_failed',
      fields: { account_id: 'must be an account id' },
    });

    const badJson = await call(`/api/teams/${teamId}/members`, { method: 'POST', rawBody: '{' });
    expect(badJson.json).toEqual({ error: 'invalid_json' });

    const noTeam = await call('/api/teams/999999/members', { method: 'POST', body: { account_id: 42 } });
    expect(noTeam.status).toBe(404);
    expect((await call('/api/teams/999999/members/1001', { method: 'DELETE' })).status).toBe(404);
  });

  it('deleting an account removes it from every team', async () => {
    const a = await createAccount();
    const b = await createAccount();
    const t1 = (
      (
        await call('/api/teams', {
          method: 'POST',
          body: { team: { name: uniq('T'), member_ids: [a.id, b.id] } },
        })
      ).json as TeamBody
    ).team;
    const t2 = (
      (await call('/api/teams', { method: 'POST', body: { team: { name: uniq('T'), member_ids: [a.id] } } }))
        .json as TeamBody
    ).team;

    expect((await call(`/api/accounts/${a.id}`, { method: 'DELETE' })).status).toBe(204);

    expect(((await call(`/api/teams/${t1.id}`)).json as TeamBody).team.member_ids).toEqual([b.id]);
    expect(((await call(`/api/teams/${t2.id}`)).json as TeamBody).team.member_ids).toEqual([]);
    expect((await call(`/api/teams?name=${t2.name}`)).json).toEqual({
      items: [{ id: t2.id, name: t2.name, member_count: 0 }],
      total: 1,
    });
  });

  it('deletes a team and frees its name', async () => {
    const name = uniq('Gone');
    const { team } = (await call('/api/teams', { method: 'POST', body: { team: { name } } }))
      .json as TeamBody;
    expect((await call(`/api/teams/${team.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await call(`/api/teams/${team.id}`)).json).toEqual({ error: 'not_found' });
    expect((await call(`/api/teams/${team.id}`, { method: 'DELETE' })).status).toBe(404);
    expect((await call('/api/teams', { method: 'POST', body: { team: { name } } })).status).toBe(201);
  });

  it('pages teams and caps the limit', async () => {
    const res = await call('/api/teams?offset=0&limit=1');
    const body = res.json as { items: unknown[]; total: number };
    expect(res.status).toBe(200);
    expect(Object.keys(body).sort()).toEqual(['items', 'total']);
    expect(body.items).toHaveLength(1);
    expect(body.total).toBeGreaterThan(1);
    expect((await call('/api/teams?limit=x')).status).toBe(400);
  });
});

describe('DemoStore', () => {
  let clock: number;
  let store: DemoStore;

  beforeEach(() => {
    clock = Date.UTC(2024, 0, 1);
    store = new DemoStore({ now: () => new Date(clock) });
  });

  it('starts ids at 1001 and stamps times from the injected clock', () => {
    const account = store.createAccount({ login: 'a', first_name: 'A', last_name: 'B' });
    expect(account.id).toBe(1001);
    expect(account.created_at).toBe('2024-01-01T00:00:00.000Z');
  });

  it('moves updated_at forward even within the same millisecond', () => {
    const account = store.createAccount({ login: 'a', first_name: 'A', last_name: 'B' });
    const replaced = store.replaceAccount(account.id, { login: 'a', first_name: 'A2', last_name: 'B' });
    expect(replaced.updated_at).toBe('2024-01-01T00:00:00.001Z');
    const disabled = store.setAccountEnabled(account.id, false);
    expect(disabled.updated_at).toBe('2024-01-01T00:00:00.002Z');
    expect(store.setAccountEnabled(account.id, false).updated_at).toBe('2024-01-01T00:00:00.002Z');
    clock += 60_000;
    expect(store.setAccountEnabled(account.id, true).updated_at).toBe('2024-01-01T00:01:00.000Z');
  });

  it('returns copies that cannot change the store', () => {
    const account = store.createAccount({ login: 'a', first_name: 'A', last_name: 'B' });
    account.login = 'hacked';
    const team = store.createTeam({ name: 'T', member_ids: [account.id] });
    team.member_ids.push(9999);
    expect(store.getAccount(account.id)?.login).toBe('a');
    expect(store.getTeam(team.id)?.member_ids).toEqual([account.id]);
  });

  it('throws typed errors', () => {
    expect(() => store.deleteAccount(1)).toThrow(expect.objectContaining({ code: 'not_found' }));
    expect(() => store.createAccount({ login: 'a' })).toThrow(
      expect.objectContaining({
        name: 'DemoStoreError',
        code: 'validation_failed',
        fields: { first_name: 'is required', last_name: 'is required' },
      }),
    );
    store.createTeam({ name: 'T' });
    expect(() => store.createTeam({ name: 't' })).toThrow(
      new DemoStoreError('conflict', 'name already exists'),
    );
  });

  it('frees the email of a deleted account', () => {
    const account = store.createAccount({ login: 'a', first_name: 'A', last_name: 'B', email: 'a@x.test' });
    store.deleteAccount(account.id);
    expect(store.createAccount({ login: 'b', first_name: 'A', last_name: 'B', email: 'A@X.test' }).id).toBe(
      1002,
    );
  });
});
