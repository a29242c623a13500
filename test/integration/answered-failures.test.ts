/**
 * Answers of 200 that are failures (`{"ok": false, "errors": [...]}`), matched by error rules
 * guarded by `when`. The app answered: it is not asked again (a retried write would be half-done
 * a second time); a member call that failed is never counted as done because the rule chose 409
 * or 404, statuses that mean "already so" when the app itself answers them; and a write that
 * failed is never recorded as done.
 */

import { afterEach, describe, expect, it } from 'vitest';
import { entraUser, GROUP_SCHEMA, type MockSidecar, patchOp, startMockSidecar } from '../helpers/sidecar.js';

const RULES = `errors:
  # A 200 is a failure only when the body says so: the guard never fires on a record, a list
  # page or an empty body.
  - status: 200
    when: 'ok = false'
    detail: '$join(errors, "; ")'
`;

function mapping(rules = RULES): string {
  return `app: rpc-style
${rules}
resources:
  User:
    id: id
    toScim: '{ "userName": login, "title": title }'
    fromScim: '{ "login": userName, "title": title }'
    operations:
      create: { method: POST, path: /users, body: app, response: user }
      get: { method: GET, path: '/users/{appId}', response: user }
      list: { method: GET, path: /users, items: users }
      update:
        method: PUT
        path: '/users/{appId}'
        body: app
        response: user
        retry: true
  Group:
    id: id
    toScim: '{ "displayName": name, "members": [member_ids.{ "value": $string($) }] }'
    fromScim: '{ "name": displayName }'
    operations:
      create: { method: POST, path: /groups, body: app, response: group }
      get: { method: GET, path: '/groups/{appId}', response: group }
      list: { method: GET, path: /groups, items: groups }
      update: { method: PUT, path: '/groups/{appId}', body: app, response: group, omits: [members] }
      addMember: { method: POST, path: '/groups/{appId}/members', body: '{ "id": memberAppId }' }
      removeMember: { method: DELETE, path: '/groups/{appId}/members/{memberAppId}' }
`;
}

let sc: MockSidecar | undefined;
afterEach(async () => {
  await sc?.close();
  sc = undefined;
});

async function withUser(rules?: string): Promise<{ app: MockSidecar; scimId: string }> {
  const app = await startMockSidecar(mapping(rules));
  sc = app;
  app.fake.once('POST', '/users', { status: 200, json: { ok: true, user: { id: 7, login: 'jdoe' } } });
  const res = await app.scim('POST', '/Users', { body: entraUser('jdoe', { externalId: 'ext-1' }) });
  expect(res.status, res.text).toBe(201);
  return { app, scimId: res.resource().id };
}

function writes(app: MockSidecar): string[] {
  return app.calls.filter((c) => c.method !== 'GET').map((c) => `${c.method} ${c.path}`);
}

describe('a 200 whose body says it failed', () => {
  it("fails the request with the app's message, and is not retried though the call is safe to retry", async () => {
    const { app, scimId } = await withUser();
    app.fake.on('GET', '/users/7', { status: 200, json: { ok: true, user: { id: 7, login: 'jdoe' } } });
    app.fake.on('PUT', '/users/7', { status: 200, json: { ok: false, errors: ['title is too long'] } });
    app.calls.length = 0;
    const res = await app.scim('PATCH', `/Users/${scimId}`, {
      body: patchOp({ op: 'Replace', path: 'title', value: 'x'.repeat(300) }),
    });
    expect(res.status, res.text).toBe(502);
    expect(res.error().detail).toBe('title is too long');
    expect(writes(app)).toEqual(['PUT /users/7']);
  });

  it('is never recorded as done: the id map keeps the state before the write', async () => {
    const { app, scimId } = await withUser(`${RULES}    scimStatus: 400\n`);
    const before = await app.idMap.get('User', scimId);
    // The app applies the fields it accepts (the title) and refuses the rest (the login).
    app.fake.on('GET', '/users/7', {
      status: 200,
      json: { ok: true, user: { id: 7, login: 'jdoe', title: 'CTO' } },
    });
    app.fake.on('PUT', '/users/7', { status: 200, json: { ok: false, errors: ['login is taken'] } });
    const res = await app.scim('PATCH', `/Users/${scimId}`, {
      body: patchOp(
        { op: 'Replace', path: 'title', value: 'CTO' },
        { op: 'Replace', path: 'userName', value: 'root' },
        { op: 'Replace', path: 'externalId', value: 'ext-2' },
      ),
    });
    expect(res.status, res.text).toBe(400);
    expect(res.error()).toMatchObject({ scimType: 'invalidValue', detail: 'login is taken' });
    expect(await app.idMap.get('User', scimId)).toEqual(before);
    // What the app holds is read from the app: the half-done change shows, the IdP's retry fixes it.
    const read = await app.scim('GET', `/Users/${scimId}`);
    expect(read.resource()).toMatchObject({ userName: 'jdoe', title: 'CTO', externalId: 'ext-1' });
  });

  it('a guard can read the headers too ($headers, $status)', async () => {
    const { app, scimId } = await withUser(`errors:
  - status: 200
    when: '$headers.\`x-result\` = "failed"'
    scimStatus: 400
`);
    app.fake.on('GET', '/users/7', { status: 200, json: { ok: true, user: { id: 7, login: 'jdoe' } } });
    app.fake.on('PUT', '/users/7', { status: 200, json: {}, headers: { 'X-Result': 'failed' } });
    const res = await app.scim('PATCH', `/Users/${scimId}`, {
      body: patchOp({ op: 'Replace', path: 'title', value: 'CTO' }),
    });
    expect(res.status, res.text).toBe(400);
  });
});

describe('member calls answered 200 with a failure', () => {
  const TO_409 = `errors:
  - status: 200
    when: 'ok = false and code = "missing"'
    scimStatus: 404
  - status: 200
    when: 'ok = false'
    scimStatus: 409
    scimType: uniqueness
`;

  async function withGroup(): Promise<{ app: MockSidecar; groupId: string; userId: string }> {
    const { app, scimId } = await withUser(TO_409);
    app.fake.once('POST', '/groups', {
      status: 200,
      json: { ok: true, group: { id: 70, name: 'Ops', member_ids: [] } },
    });
    const res = await app.scim('POST', '/Groups', { body: { schemas: [GROUP_SCHEMA], displayName: 'Ops' } });
    expect(res.status, res.text).toBe(201);
    return { app, groupId: res.resource().id, userId: scimId };
  }

  it('an addMember the rule turns into 409 fails: the member is not in the group', async () => {
    const { app, groupId, userId } = await withGroup();
    app.fake.on('POST', '/groups/70/members', {
      status: 200,
      json: { ok: false, errors: ['member quota reached'] },
    });
    const res = await app.scim('PATCH', `/Groups/${groupId}`, {
      body: patchOp({ op: 'Add', path: 'members', value: [{ value: userId }] }),
    });
    expect(res.status, res.text).toBe(409);
  });

  it('a removeMember the rule turns into 404 fails: the member is still in the group', async () => {
    const { app, groupId, userId } = await withGroup();
    app.fake.on('DELETE', '/groups/70/members/7', {
      status: 200,
      json: { ok: false, code: 'missing', errors: ['membership record locked'] },
    });
    app.fake.on('GET', '/groups/70', {
      status: 200,
      json: { ok: true, group: { id: 70, name: 'Ops', member_ids: [7] } },
    });
    const res = await app.scim('PATCH', `/Groups/${groupId}`, {
      body: patchOp({ op: 'Remove', path: 'members', value: [{ value: userId }] }),
    });
    expect(res.status, res.text).not.toBe(204);
    expect(res.status).toBeGreaterThanOrEqual(400);
  });
});
