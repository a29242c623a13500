/**
 * A 2xx to the IdP is a promise that the app holds the change. These cases used to answer
 * success, or lose track of a resource, when the app misbehaved once:
 *
 * - one 404 to a read made the sidecar forget the user for good (the account stayed active in the
 *   app, and a later filter adopted it under a new SCIM id without its externalId);
 * - a DELETE whose app call answered 404 while the record still existed answered 204;
 * - two racing POSTs of one identity, the first slow to answer, made two SCIM ids.
 *
 * The app is a fault-injecting copy of the demo app on port 0; the id map is the durable file
 * store users run.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FileIdMapStore } from '../../../src/idmap/file-store.js';
import type { FaultKind, FaultSchedule, FaultyApp } from '../../helpers/faulty-app.js';
import { type FaultySidecar, startFaultySidecar } from '../../helpers/faulty-sidecar.js';
import { scimErrorViolation } from '../../helpers/scim-invariants.js';
import {
  BASE_PATH,
  entraUser,
  type HttpResult,
  patchOp,
  type ScimRequestOptions,
  send,
} from '../../helpers/sidecar.js';

type FastifyApp = FaultySidecar['sidecar'];
type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** How long the app holds back the answer to a create it has already applied. */
const SLOW_CREATE_MS = 2_500;

/** Faults the next `times` requests matching `method` and `path`, and nothing else. */
function next(method: string, path: RegExp, kind: FaultKind, times = 1): FaultSchedule {
  let left = times;
  return (request) => {
    if (left === 0 || request.method !== method || !path.test(request.url.split('?')[0] ?? ''))
      return undefined;
    left--;
    return kind;
  };
}

let upstream: FaultyApp;
let sidecar: FastifyApp;
let faulty: FaultySidecar;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'false-success-'));
  faulty = await startFaultySidecar({
    slowMs: SLOW_CREATE_MS,
    timeoutMs: 5_000,
    deadlineMs: 10_000,
    idMapStore: await FileIdMapStore.open(join(dir, 'idmap.log')),
  });
  ({ upstream, sidecar } = faulty);
});

afterEach(() => {
  upstream.setSchedule(undefined);
});

afterAll(async () => {
  await faulty?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const scim = (method: Method, path: string, options?: ScimRequestOptions): Promise<HttpResult> =>
  send(sidecar, method, `${BASE_PATH}${path}`, options);

async function createUser(userName: string, extra: Record<string, unknown> = {}) {
  const res = await scim('POST', '/Users', { body: entraUser(userName, extra) });
  expect(res.status, res.text).toBe(201);
  const user = res.resource();
  const account = [...upstream.accounts.values()].find((a) => a.login === userName);
  if (!account) throw new Error(`no account for ${userName}`);
  return { user, account };
}

describe('one 404 from the app never forgets a resource by itself', () => {
  it('a transient 404 to a GET: the user is still served, and a later deactivation reaches the app', async () => {
    const { user, account } = await createUser('transient-get@contoso.test', {
      externalId: 'ext-transient-get',
    });
    upstream.setSchedule(next('GET', /^\/api\/accounts\/\d+$/, 'notFound'));
    const read = await scim('GET', `/Users/${user.id}`);
    expect(read.status, read.text).toBe(200);
    expect(read.resource().id).toBe(user.id);

    const again = await scim('GET', `/Users/${user.id}`);
    expect(again.status, again.text).toBe(200);
    expect(again.resource().externalId).toBe('ext-transient-get');

    const off = await scim('PATCH', `/Users/${user.id}`, {
      body: patchOp({ op: 'Replace', path: 'active', value: 'False' }),
    });
    expect(off.status, off.text).toBe(204);
    expect(upstream.accounts.get(account.id)?.enabled, 'the account is disabled in the app').toBe(false);

    const byFilter = await scim(
      'GET',
      `/Users?filter=${encodeURIComponent('userName eq "transient-get@contoso.test"')}`,
    );
    expect(byFilter.list().Resources.map((r) => r.id)).toEqual([user.id]);
    expect(byFilter.list().Resources[0]?.externalId).toBe('ext-transient-get');
  });

  it('404s that outlast the re-check answer 404, and the link survives until the app answers again', async () => {
    const { user, account } = await createUser('outage-404@contoso.test', { externalId: 'ext-outage-404' });
    upstream.setSchedule(next('GET', /^\/api\/accounts\/\d+$/, 'notFound', 2));
    const read = await scim('GET', `/Users/${user.id}`);
    expect(read.status, read.text).toBe(404);
    expect(scimErrorViolation(read)).toBeUndefined();

    const off = await scim('PATCH', `/Users/${user.id}`, {
      body: patchOp({ op: 'Replace', path: 'active', value: 'False' }),
    });
    expect(off.status, off.text).toBe(204);
    expect(upstream.accounts.get(account.id)?.enabled).toBe(false);
    const back = await scim('GET', `/Users/${user.id}`);
    expect(back.status, back.text).toBe(200);
    expect(back.resource().externalId).toBe('ext-outage-404');
    expect(back.resource().active).toBe(false);
  });

  it('a transient 404 to the read of a PATCH: the PATCH is carried out', async () => {
    const { user, account } = await createUser('transient-patch@contoso.test');
    upstream.setSchedule(next('GET', /^\/api\/accounts\/\d+$/, 'notFound'));
    const res = await scim('PATCH', `/Users/${user.id}`, {
      body: patchOp({ op: 'replace', path: 'title', value: 'Engineer' }),
    });
    expect(res.status, res.text).toBe(204);
    expect(upstream.accounts.get(account.id)?.title).toBe('Engineer');
  });

  it('a transient 404 to the read behind a filter by externalId: the user is still found', async () => {
    const { user } = await createUser('transient-filter@contoso.test', {
      externalId: 'ext-transient-filter',
    });
    upstream.setSchedule(next('GET', /^\/api\/accounts\/\d+$/, 'notFound'));
    const res = await scim(
      'GET',
      `/Users?filter=${encodeURIComponent('externalId eq "ext-transient-filter"')}`,
    );
    expect(res.status, res.text).toBe(200);
    expect(res.list().Resources.map((r) => r.id)).toEqual([user.id]);
  });

  it('a user deleted in the app: 404, then a SCIM DELETE answers 204 and forgets it', async () => {
    const { user, account } = await createUser('deleted-in-app@contoso.test');
    upstream.accounts.delete(account.id);
    const read = await scim('GET', `/Users/${user.id}`);
    expect(read.status, read.text).toBe(404);
    const removed = await scim('DELETE', `/Users/${user.id}`);
    expect(removed.status, removed.text).toBe(204);
    const after = await scim('DELETE', `/Users/${user.id}`);
    expect(after.status, after.text).toBe(404);
  });
});

describe('a DELETE answers 204 only when the app no longer has the record', () => {
  it('the app answers 404 to the delete but still has the account: an error to retry, never 204', async () => {
    const { user, account } = await createUser('delete-404@contoso.test');
    upstream.setSchedule(next('DELETE', /^\/api\/accounts\/\d+$/, 'notFound'));
    const first = await scim('DELETE', `/Users/${user.id}`);
    expect(first.status, first.text).toBeGreaterThanOrEqual(500);
    expect(first.header('retry-after')).toBeDefined();
    expect(scimErrorViolation(first)).toBeUndefined();
    expect(upstream.accounts.has(account.id), 'the account is still there').toBe(true);

    const retried = await scim('DELETE', `/Users/${user.id}`);
    expect(retried.status, retried.text).toBe(204);
    expect(upstream.accounts.has(account.id), 'the account is gone').toBe(false);
  });

  it('the app answers 404 to the delete and the account is really gone: 204', async () => {
    const { user, account } = await createUser('delete-gone@contoso.test');
    upstream.accounts.delete(account.id);
    const res = await scim('DELETE', `/Users/${user.id}`);
    expect(res.status, res.text).toBe(204);
  });
});

describe('one create per identity', () => {
  it('a second POST of the same userName while the first is still being answered: one SCIM id, the loser 409', async () => {
    upstream.setSchedule(next('POST', /^\/api\/accounts$/, 'slowHeaders'));
    const first = scim('POST', '/Users', { body: entraUser('racing@contoso.test') });
    await new Promise((resolve) => setTimeout(resolve, 400));
    const second = scim('POST', '/Users', { body: entraUser('Racing@Contoso.test') });
    const results = await Promise.all([first, second]);
    const statuses = results.map((r) => r.status);
    expect(statuses, results.map((r) => r.text).join('\n')).toEqual([201, 409]);
    expect(results[1]?.error().scimType).toBe('uniqueness');
    const accounts = [...upstream.accounts.values()].filter(
      (a) => a.login.toLowerCase() === 'racing@contoso.test',
    );
    expect(accounts).toHaveLength(1);
    const id = results[0]?.resource().id as string;
    const read = await scim('GET', `/Users/${id}`);
    expect(read.status, read.text).toBe(200);
  });

  it('the client resends its own create (same externalId) while the first is slow: the same resource', async () => {
    upstream.setSchedule(next('POST', /^\/api\/accounts$/, 'slowHeaders'));
    const body = entraUser('resent@contoso.test', { externalId: 'ext-resent' });
    const first = scim('POST', '/Users', { body });
    await new Promise((resolve) => setTimeout(resolve, 400));
    const second = scim('POST', '/Users', { body });
    const [a, b] = await Promise.all([first, second]);
    expect(a?.status, a?.text).toBe(201);
    expect(b?.status, b?.text).toBe(201);
    expect(b?.resource().id).toBe(a?.resource().id);
    expect([...upstream.accounts.values()].filter((x) => x.login === 'resent@contoso.test')).toHaveLength(1);
  });

  it('an app that does not refuse duplicate logins still gets one account', async () => {
    const laxDir = await mkdtemp(join(tmpdir(), 'false-success-lax-'));
    const {
      upstream: lax,
      sidecar: app,
      close,
    } = await startFaultySidecar({
      slowMs: SLOW_CREATE_MS,
      uniqueLogins: false,
      timeoutMs: 5_000,
      deadlineMs: 10_000,
      idMapStore: await FileIdMapStore.open(join(laxDir, 'idmap.log')),
    });
    try {
      lax.setSchedule(next('POST', /^\/api\/accounts$/, 'slowHeaders'));
      const first = send(app, 'POST', `${BASE_PATH}/Users`, { body: entraUser('lax@contoso.test') });
      await new Promise((resolve) => setTimeout(resolve, 400));
      const other = entraUser('lax@contoso.test', { externalId: 'ext-another-object' });
      const second = send(app, 'POST', `${BASE_PATH}/Users`, { body: other });
      const results = await Promise.all([first, second]);
      expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
      expect([...lax.accounts.values()].filter((a) => a.login === 'lax@contoso.test')).toHaveLength(1);
    } finally {
      await close();
      await rm(laxDir, { recursive: true, force: true });
    }
  });
});
