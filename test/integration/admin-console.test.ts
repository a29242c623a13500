import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SECURITY_HEADERS } from '../../src/admin/admin-plugin.js';
import { dryRun } from '../../src/cli/dry-run.js';
import { hashToken } from '../../src/security/credentials.js';
import {
  ADMIN_PASSWORD,
  ADMIN_TOKEN,
  ADMIN_USER,
  type AdminSidecar,
  adminSection,
  startAdminSidecar,
} from '../helpers/admin-sidecar.js';
import {
  DEMO_MAPPING_FILE,
  PATCH_OP_SCHEMA,
  SCIM_TOKEN,
  send,
  startDemoSidecar,
  UPSTREAM_API_KEY,
  USER_SCHEMA,
} from '../helpers/sidecar.js';

const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}` };

function user(userName: string, externalId: string) {
  return {
    schemas: [USER_SCHEMA],
    userName,
    externalId,
    active: true,
    password: 'never-shown-Pa55',
    name: { givenName: 'Ada', familyName: 'Lovelace' },
    emails: [{ value: userName, type: 'work', primary: true }],
  };
}

/** The text of an element by id in a page, entities decoded. */
function textOf(page: string, id: string): string {
  const match = new RegExp(`<pre[^>]*\\bid="${id}"[^>]*>([\\s\\S]*?)</pre>`).exec(page);
  return decode(match?.[1] ?? '');
}

function decode(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

async function get(sidecar: AdminSidecar, url: string, headers: Record<string, string> = ADMIN) {
  return sidecar.app.inject({ method: 'GET', url, headers });
}

function expectSecurityHeaders(response: LightMyRequestResponse) {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(response.headers[name]).toBe(value);
  expect(response.headers['content-security-policy']).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
}

describe('admin console: off by default', () => {
  it('registers nothing when admin is absent: the path reaches the app', async () => {
    const sidecar = await startDemoSidecar();
    try {
      expect(sidecar.app.printRoutes()).not.toContain('admin');
      const response = await sidecar.app.inject({ method: 'GET', url: '/admin/status' });
      expect(response.headers['content-security-policy']).toBeUndefined();
      // The demo app's own answer to a path it does not serve.
      expect(response.statusCode).toBe(404);
      expect(response.body).not.toContain('scim-sidecar admin');
    } finally {
      await sidecar.close();
    }
  });
});

describe('admin console over HTTP', () => {
  let sidecar: AdminSidecar;
  const webhooks: Array<{ url: string; body: unknown }> = [];

  beforeAll(async () => {
    sidecar = await startAdminSidecar({
      admin: {
        notifications: {
          webhook: 'https://hooks.example.test/services/T000/B000/secret-webhook-path',
          format: 'slack',
          threshold: 2,
          windowSec: 300,
          quietSec: 900,
        },
      },
      sendWebhook: async (url, body) => {
        webhooks.push({ url, body: JSON.parse(body) });
        return 200;
      },
    });
  });

  afterAll(async () => {
    await sidecar.close();
  });

  it('answers 401 with the sign-in page to a request without the console credential', async () => {
    const response = await sidecar.app.inject({ method: 'GET', url: '/admin/status' });
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="scim-sidecar admin"');
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.body).toContain('name="token"');
    expect(response.body).not.toContain('Configuration in force');
    expectSecurityHeaders(response);
  });

  it('refuses the SCIM token, in the Authorization header and in the sign-in form', async () => {
    const header = await get(sidecar, '/admin/status', { authorization: `Bearer ${SCIM_TOKEN}` });
    expect(header.statusCode).toBe(401);
    const form = await sidecar.app.inject({
      method: 'POST',
      url: '/admin/login',
      payload: new URLSearchParams({ token: SCIM_TOKEN, next: '/admin/status' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.statusCode).toBe(401);
    expect(form.headers['set-cookie']).toBeUndefined();
  });

  it('keeps everything under its path: an unknown console path never reaches the app', async () => {
    expect((await sidecar.app.inject({ method: 'GET', url: '/admin/anything' })).statusCode).toBe(401);
    expect((await get(sidecar, '/admin/anything')).statusCode).toBe(404);
    expect(sidecar.demo.store.listAccounts({}).total).toBe(0);
  });

  it('serves every page with a strict CSP, its own assets only, and no inline script or style', async () => {
    for (const page of ['status', 'activity', 'errors', 'lookup', 'playground', 'charts', 'notifications']) {
      const response = await get(sidecar, `/admin/${page}`);
      expect(response.statusCode, page).toBe(200);
      expectSecurityHeaders(response);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.body).not.toMatch(/<script(?![^>]*\bsrc="\/admin\/assets\/)/);
      expect(response.body).not.toMatch(/\sstyle=|<style|\son[a-z]+=/i);
      expect(response.body).not.toMatch(/(src|href)="(https?:)?\/\//);
    }
    const css = await sidecar.app.inject({ method: 'GET', url: '/admin/assets/x/admin.css' });
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it('signs in with the token into a session cookie kept to the console path; POSTs need its CSRF token', async () => {
    const login = await sidecar.app.inject({
      method: 'POST',
      url: '/admin/login',
      payload: new URLSearchParams({ token: ADMIN_TOKEN, next: '/admin/lookup' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost:80' },
    });
    expect(login.statusCode).toBe(303);
    expect(login.headers.location).toBe('/admin/lookup');
    const cookie = String(login.headers['set-cookie']);
    expect(cookie).toMatch(
      /^scim-sidecar-admin=[\w-]{43}; Path=\/admin; HttpOnly; SameSite=Strict; Max-Age=3600; Secure$/,
    );
    const session = cookie.split(';')[0] as string;
    const page = await get(sidecar, '/admin/playground', { cookie: session });
    expect(page.statusCode).toBe(200);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] as string;
    expect(csrf).toBeTruthy();
    const post = (form: Record<string, string>, headers: Record<string, string> = {}) =>
      sidecar.app.inject({
        method: 'POST',
        url: '/admin/playground',
        payload: new URLSearchParams({ mode: 'scim', method: 'GET', path: '/Users', ...form }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: session, ...headers },
      });
    expect((await post({})).statusCode).toBe(403);
    expect((await post({ _csrf: 'wrong' })).statusCode).toBe(403);
    expect((await post({ _csrf: csrf }, { origin: 'https://evil.example' })).statusCode).toBe(403);
    expect((await post({ _csrf: csrf }, { 'sec-fetch-site': 'cross-site' })).statusCode).toBe(403);
    expect((await post({ _csrf: csrf })).statusCode).toBe(200);
    // Signing out ends the session.
    await sidecar.app.inject({
      method: 'POST',
      url: '/admin/logout',
      payload: `_csrf=${csrf}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: session },
    });
    expect((await get(sidecar, '/admin/status', { cookie: session })).statusCode).toBe(401);
  });

  it('signs in with the user name and password; never redirects off the console', async () => {
    const login = await sidecar.app.inject({
      method: 'POST',
      url: '/admin/login',
      payload: new URLSearchParams({
        username: ADMIN_USER,
        password: ADMIN_PASSWORD,
        next: 'https://evil.example/steal',
      }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(login.statusCode).toBe(303);
    expect(login.headers.location).toBe('/admin/status');
    const basic = `Basic ${Buffer.from(`${ADMIN_USER}:${ADMIN_PASSWORD}`).toString('base64')}`;
    expect((await get(sidecar, '/admin/status', { authorization: basic })).statusCode).toBe(200);
    const wrong = `Basic ${Buffer.from(`${ADMIN_USER}:nope`).toString('base64')}`;
    expect((await get(sidecar, '/admin/status', { authorization: wrong })).statusCode).toBe(401);
  });

  it('shows a SCIM create in Activity with the app calls it became; bodies redacted below debug', async () => {
    const created = await send(sidecar.app, 'POST', '/scim/v2/Users', {
      body: user('ada@contoso.com', 'ext-ada'),
    });
    expect(created.status).toBe(201);
    const scimId = created.resource().id;
    const list = await get(sidecar, '/admin/activity?outcome=success&resourceType=User');
    expect(list.body).toContain(scimId);
    const seq = new RegExp(
      `href="/admin/activity/(\\d+)">create User</a><br><code class="muted">${scimId}`,
    ).exec(list.body)?.[1];
    expect(seq).toBeTruthy();
    const detail = await get(sidecar, `/admin/activity/${seq}`);
    expect(detail.body).toContain('<code>POST /scim/v2/Users</code>');
    expect(detail.body).toContain('User.create');
    expect(detail.body).toContain('<code>POST /api/accounts</code>');
    expect(detail.body).toContain('<td class="num">201</td>');
    expect(detail.body).toContain('The body is not kept');
    expect(detail.body).not.toContain('ada@contoso.com');
  });

  it('shows why an operation failed: the app answering 409 and its message', async () => {
    await send(sidecar.app, 'POST', '/scim/v2/Users', { body: user('bob@contoso.com', 'ext-bob') });
    const again = await send(sidecar.app, 'POST', '/scim/v2/Users', {
      body: user('bob@contoso.com', 'ext-bob-2'),
    });
    expect(again.status).toBe(409);
    const list = await get(sidecar, '/admin/activity?outcome=failure');
    const seq = /href="\/admin\/activity\/(\d+)">create User<\/a>/.exec(list.body)?.[1];
    const detail = await get(sidecar, `/admin/activity/${seq}`);
    expect(detail.body).toContain('uniqueness');
    expect(detail.body).toContain('<td class="num">409</td>');
    expect(detail.body).toContain('login already exists');
  });

  it('groups failures on the Errors page, each group linking to its operations', async () => {
    const page = await get(sidecar, '/admin/errors');
    expect(page.body).toContain(
      'href="/admin/activity?status=409&amp;scimType=uniqueness">409 uniqueness</a>',
    );
    expect(page.body).toContain('href="/admin/activity?appStatus=409">app 409</a>');
    const filtered = await get(sidecar, '/admin/activity?status=409&scimType=uniqueness');
    expect(filtered.body).toContain('1 shown');
  });

  it('notified the webhook once the failures crossed the threshold, and lists it', async () => {
    await send(sidecar.app, 'POST', '/scim/v2/Users', { body: user('bob@contoso.com', 'ext-bob-3') });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(webhooks).toHaveLength(1);
    const body = webhooks[0]?.body as { text: string; blocks: unknown[] };
    expect(body.text).toContain('2 provisioning failures');
    expect(JSON.stringify(body)).toContain('409 uniqueness (User.create)');
    expect(JSON.stringify(body)).not.toContain('bob@contoso.com');
    const page = await get(sidecar, '/admin/notifications');
    expect(page.body).toContain('threshold crossed');
    expect(page.body).toContain('hooks.example.test');
    expect(page.body).not.toContain('secret-webhook-path');
  });

  it('looks a user up by externalId: the id map entry beside the live SCIM view', async () => {
    const page = await get(sidecar, '/admin/lookup?by=externalId&value=ext-ada');
    expect(page.body).toContain('&quot;externalId&quot;: &quot;ext-ada&quot;');
    expect(page.body).toContain('aria-label="Live SCIM view"');
    expect(page.body).toContain('&quot;userName&quot;: &quot;ada@contoso.com&quot;');
    const byName = await get(sidecar, '/admin/lookup?by=name&value=ada%40contoso.com&type=User');
    expect(byName.body).toContain('aria-label="Live SCIM view"');
    const none = await get(sidecar, '/admin/lookup?by=scimId&value=nope');
    expect(none.body).toContain('Nothing found.');
  });

  it('plans a PATCH in the playground exactly as dry-run does, sending no write', async () => {
    const account = sidecar.demo.store.listAccounts({ login: 'ada@contoso.com' }).items[0];
    expect(account).toBeDefined();
    const before = JSON.stringify(sidecar.demo.store.getAccount(account?.id as number));
    const patch = {
      schemas: [PATCH_OP_SCHEMA],
      Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
    };
    const response = await sidecar.app.inject({
      method: 'POST',
      url: '/admin/playground',
      headers: { ...ADMIN, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        mode: 'scim',
        method: 'PATCH',
        path: `/Users/${account?.id}`,
        body: JSON.stringify(patch),
        current: '',
      }).toString(),
    });
    expect(response.statusCode).toBe(200);
    const shown = textOf(response.body, 'plan');
    const dir = mkdtempSync(join(tmpdir(), 'admin-playground-'));
    try {
      const configFile = join(dir, 'config.yaml');
      writeFileSync(
        configFile,
        [
          'auth:',
          '  bearer:',
          `    tokens: [{ name: t, hash: "${hashToken('x')}" }]`,
          'upstream:',
          `  baseUrl: ${sidecar.demo.url}`,
          '  auth:',
          `    header: { name: X-Api-Key, value: "${UPSTREAM_API_KEY}" }`,
          `mapping: ${DEMO_MAPPING_FILE}`,
          'idMap: { store: memory }',
        ].join('\n'),
      );
      const expected = await dryRun(configFile, {
        method: 'PATCH',
        path: `/Users/${account?.id}`,
        body: patch,
      });
      expect(shown).toBe(expected);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(shown).toContain('x-api-key: [redacted]');
    expect(JSON.stringify(sidecar.demo.store.getAccount(account?.id as number))).toBe(before);
  });

  it('accepts a SCIM id in the playground path, and turns an app record into its SCIM view', async () => {
    const entry = (await get(sidecar, '/admin/lookup?by=externalId&value=ext-ada')).body;
    const scimId = /"r-0">User <code>([^<]+)<\/code>/.exec(entry)?.[1] as string;
    const form = (fields: Record<string, string>) =>
      sidecar.app.inject({
        method: 'POST',
        url: '/admin/playground',
        headers: { ...ADMIN, 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams(fields).toString(),
      });
    const planned = await form({
      mode: 'scim',
      method: 'DELETE',
      path: `/Users/${scimId}`,
      body: '',
      current: '',
    });
    expect(planned.body).toContain(`SCIM id ${scimId} is User`);
    expect(textOf(planned.body, 'plan')).toMatch(
      /^# User\.delete\nDELETE http:\/\/127\.0\.0\.1:\d+\/api\/accounts\/\d+\n/,
    );
    const view = await form({
      mode: 'app',
      type: 'User',
      record: JSON.stringify({
        id: 7,
        login: 'grace',
        first_name: 'Grace',
        last_name: 'Hopper',
        email: 'g@x.test',
        enabled: true,
      }),
    });
    const scim = JSON.parse(textOf(view.body, 'scim-view')) as Record<string, unknown>;
    expect(scim.userName).toBe('grace');
    const bad = await form({ mode: 'app', type: 'User', record: '{nope' });
    expect(bad.body).toContain('not valid JSON');
  });

  it('shows the last reload and its outcome on the Status page', async () => {
    const before = await get(sidecar, '/admin/status');
    expect(before.body).toContain('none since start');
    const outcome = await sidecar.app.reloader.reload('SIGHUP');
    expect(outcome.ok).toBe(true);
    const after = await get(sidecar, '/admin/status');
    expect(after.body).toMatch(/\(SIGHUP\): <span class="badge success">applied<\/span>/);
  });

  it('never renders a secret on any page', async () => {
    const secrets = [
      ADMIN_TOKEN,
      ADMIN_PASSWORD,
      SCIM_TOKEN,
      UPSTREAM_API_KEY,
      hashToken(ADMIN_TOKEN),
      hashToken(SCIM_TOKEN),
      adminSection().basic?.passwordHash as string,
      'secret-webhook-path',
      'never-shown-Pa55',
    ];
    const pages = [
      'status',
      'activity',
      'errors',
      'lookup?by=externalId&value=ext-ada',
      'playground',
      'charts',
      'notifications',
    ];
    for (let seq = 1; seq <= 10; seq++) pages.push(`activity/${seq}`);
    for (const page of pages) {
      const response = await get(sidecar, `/admin/${page}`);
      for (const secret of secrets) expect(response.body, `${page} shows a secret`).not.toContain(secret);
    }
    const status = await get(sidecar, '/admin/status');
    expect(status.body).toContain('header X-Api-Key: [redacted]');
    expect(status.body).toContain('Configuration in force');
  });
});

describe('admin console at debug level', () => {
  let sidecar: AdminSidecar | undefined;
  afterEach(async () => {
    await sidecar?.close();
    sidecar = undefined;
  });

  it('keeps request bodies when the log level allows personal data, passwords removed', async () => {
    sidecar = await startAdminSidecar({ level: 'debug' });
    await send(sidecar.app, 'POST', '/scim/v2/Users', { body: user('cy@contoso.com', 'ext-cy') });
    const detail = await get(sidecar, '/admin/activity/1');
    expect(detail.body).toContain('&quot;userName&quot;: &quot;cy@contoso.com&quot;');
    expect(detail.body).toContain('&quot;password&quot;: &quot;[removed]&quot;');
    expect(detail.body).not.toContain('never-shown-Pa55');
  });
});
