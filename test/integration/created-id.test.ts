/**
 * Where the app id of a record a create (or an update) wrote comes from: the record in the
 * answer, a bare id, the `Location` header, or a header of the app's own. An answer that is a
 * small object without the id (`{"status": "created", "href": …, "message": …}`) used to be taken
 * for the record and failed with 502 "check the mapping's id expression", though the account was
 * created; the message never named the setting that fixes it.
 */

import { afterEach, describe, expect, it } from 'vitest';
import { entraUser, type MockSidecar, patchOp, startMockSidecar } from '../helpers/sidecar.js';

function mapping(create: string, update = ''): string {
  return `app: ticketing
resources:
  User:
    id: id
    toScim: '{ "userName": login, "name": { "givenName": first, "familyName": last } }'
    fromScim: '{ "login": userName, "first": name.givenName, "last": name.familyName }'
    operations:
      create:
        method: POST
        path: /users
        body: app
${create}
      get: { method: GET, path: '/users/{appId}', response: user }
      list: { method: GET, path: /users, items: users }
      update:
        method: PUT
        path: '/users/{appId}'
        body: app
${update}`;
}

const JDOE = { user: { id: 42, login: 'jdoe', first: 'John', last: 'Doe' } };

let sc: MockSidecar | undefined;
afterEach(async () => {
  await sc?.close();
  sc = undefined;
});

async function start(create: string, update = ''): Promise<MockSidecar> {
  sc = await startMockSidecar(mapping(create, update));
  sc.fake.on('GET', '/users/42', { status: 200, json: JDOE });
  return sc;
}

function trace(app: MockSidecar): string[] {
  return app.calls.map((c) => `${c.method} ${c.path}`);
}

describe('create', () => {
  it("a small answer without the id, and a Location: the id is the Location's (no idFrom needed)", async () => {
    const app = await start('');
    app.fake.once('POST', '/users', {
      status: 201,
      json: { status: 'created', href: '/users/42', message: 'User created' },
      headers: { Location: '/users/42' },
    });
    const res = await app.scim('POST', '/Users', { body: entraUser('jdoe') });
    expect(res.status, res.text).toBe(201);
    expect(res.resource().userName).toBe('jdoe');
    expect(trace(app)).toEqual(['POST /users', 'GET /users/42']);
    expect((await app.idMap.get('User', res.resource().id))?.appId).toBe('42');
  });

  it('idFrom: location ignores an answer that only looks like a record (a job)', async () => {
    const app = await start('        idFrom: location');
    app.fake.once('POST', '/users', {
      status: 202,
      json: { id: 'job-17', state: 'queued' },
      headers: { Location: 'http://legacy.example.test/users/42' },
    });
    const res = await app.scim('POST', '/Users', { body: entraUser('jdoe') });
    expect(res.status, res.text).toBe(201);
    expect((await app.idMap.get('User', res.resource().id))?.appId).toBe('42');
  });

  it("idFrom: { header: X-User-Id } reads the id from the app's own header", async () => {
    const app = await start('        idFrom: { header: X-User-Id }');
    app.fake.once('POST', '/users', { status: 201, headers: { 'X-User-Id': '42' } });
    const res = await app.scim('POST', '/Users', { body: entraUser('jdoe') });
    expect(res.status, res.text).toBe(201);
    expect(trace(app)).toEqual(['POST /users', 'GET /users/42']);
  });

  it('idFrom: response takes what `response` picks out as the id', async () => {
    const app = await start('        response: data.id\n        idFrom: response');
    app.fake.once('POST', '/users', { status: 201, json: { data: { id: 42, type: 'user' }, meta: {} } });
    const res = await app.scim('POST', '/Users', { body: entraUser('jdoe') });
    expect(res.status, res.text).toBe(201);
    expect(trace(app)).toEqual(['POST /users', 'GET /users/42']);
  });

  it('an answer naming no id at all: 502 that names idFrom and says the record may exist', async () => {
    const app = await start('');
    app.fake.once('POST', '/users', { status: 201, json: { status: 'created', message: 'User created' } });
    const res = await app.scim('POST', '/Users', { body: entraUser('jdoe') });
    expect(res.status, res.text).toBe(502);
    expect(res.error().detail).toContain('operations.create.idFrom');
    expect(res.error().detail).toContain('may have created');
    expect(res.error().detail).not.toContain("check the mapping's id expression");
  });

  it('idFrom: location without a Location header: 502 that says so', async () => {
    const app = await start('        idFrom: location');
    app.fake.once('POST', '/users', { status: 201, json: JDOE });
    const res = await app.scim('POST', '/Users', { body: entraUser('jdoe') });
    expect(res.status, res.text).toBe(502);
    expect(res.error().detail).toContain('no Location header');
    expect(res.error().detail).toContain('operations.create.idFrom');
  });
});

describe('update', () => {
  it('a small answer and a Location naming another id: the id map follows it', async () => {
    const app = await start('        response: user');
    app.fake.once('POST', '/users', { status: 201, json: JDOE });
    const created = await app.scim('POST', '/Users', { body: entraUser('jdoe') });
    expect(created.status, created.text).toBe(201);
    app.fake.on('PUT', '/users/42', {
      status: 200,
      json: { result: 'ok', changed: ['login'] },
      headers: { Location: '/users/43' },
    });
    app.fake.on('GET', '/users/43', { status: 200, json: { user: { ...JDOE.user, id: 43, login: 'john' } } });
    const res = await app.scim('PATCH', `/Users/${created.resource().id}`, {
      body: patchOp({ op: 'Replace', path: 'userName', value: 'john' }),
    });
    expect(res.status, res.text).toBe(204);
    expect((await app.idMap.get('User', created.resource().id))?.appId).toBe('43');
  });

  it('idFrom: { header } on update: the header names the new id', async () => {
    const app = await start('        response: user', '        idFrom: { header: X-User-Id }');
    app.fake.once('POST', '/users', { status: 201, json: JDOE });
    const created = await app.scim('POST', '/Users', { body: entraUser('jdoe') });
    app.fake.on('PUT', '/users/42', { status: 204, headers: { 'X-User-Id': '44' } });
    const res = await app.scim('PATCH', `/Users/${created.resource().id}`, {
      body: patchOp({ op: 'Replace', path: 'userName', value: 'john' }),
    });
    expect(res.status, res.text).toBe(204);
    expect((await app.idMap.get('User', created.resource().id))?.appId).toBe('44');
  });
});
