/**
 * Follow-up calls (`then`), `lookups` and `$randomSecret`, through SCIM against a scripted app:
 * the calls made and their order, what a failing follow-up does to the answer and to the id map,
 * how often a lookup is made, and what dry-run shows for both.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dryRun } from '../../src/cli/dry-run.js';
import {
  entraUser,
  type FakeApp,
  type MockSidecar,
  patchOp,
  startMockSidecar,
  USER_SCHEMA,
  writeCliConfig,
} from '../helpers/sidecar.js';

const MAPPING = `app: locked-out
lookups:
  owner:
    path: /api/me
    query: { fields: '"id"' }
    value: id
errors:
  - status: 200
    when: 'ok = false'
    scimStatus: 409
    scimType: uniqueness
    detail: '"The app refused: " & message'
  - status: 500
    when: 'code = "token_store_down"'
    scimStatus: 503
    detail: '"The token store is down"'
resources:
  User:
    id: id
    toScim: '{ "userName": login, "active": enabled }'
    fromScim: '{ "login": userName }'
    filters:
      userName:
        query: { login: value }
    operations:
      create: { method: POST, path: /api/users, body: app, omits: [active] }
      get: { method: GET, path: '/api/users/{appId}' }
      list: { method: GET, path: /api/users, items: users }
      update: { method: PUT, path: '/api/users/{appId}', body: app, omits: [active] }
      deactivate:
        method: POST
        path: '/api/users/{appId}/disable'
        body: '{ "password": $randomSecret() }'
        then:
          - { method: DELETE, path: '/api/users/{appId}/tokens' }
          - method: POST
            path: '/api/users/{appId}/sessions/revoke'
            body: '{ "by": $lookups.owner }'
      activate: { method: POST, path: '/api/users/{appId}/enable' }
      delete:
        method: DELETE
        path: '/api/users/{appId}'
        query: { reassign: $lookups.owner }
`;

/** The app's users by id, as the fake app answers them. */
type Users = Map<string, { id: number; login: string; enabled: boolean }>;

/** Routes of an app that keeps users, with the follow-ups' endpoints answering `followUp`. */
function scriptApp(fake: FakeApp, users: Users): void {
  let next = 100;
  const id = (path: string) => path.split('/')[3] ?? '';
  fake
    .on('GET', /^\/api\/users\/\d+$/, (call) => {
      const user = users.get(id(call.path));
      return user ? { status: 200, json: user } : { status: 404, json: { message: 'no such user' } };
    })
    .on('GET', '/api/users', (call) => ({
      status: 200,
      json: { users: [...users.values()].filter((u) => u.login === new Map(call.query).get('login')) },
    }))
    .on('POST', '/api/users', (call) => {
      const body = call.body as { login: string };
      const user = { id: next++, login: body.login, enabled: true };
      users.set(String(user.id), user);
      return { status: 201, json: user };
    })
    .on('POST', /^\/api\/users\/\d+\/disable$/, (call) => {
      const user = users.get(id(call.path));
      if (user) user.enabled = false;
      return { status: 200, json: { ok: true } };
    })
    .on('POST', /^\/api\/users\/\d+\/enable$/, (call) => {
      const user = users.get(id(call.path));
      if (user) user.enabled = true;
      return { status: 200, json: { ok: true } };
    })
    .on('DELETE', /^\/api\/users\/\d+$/, (call) => {
      users.delete(id(call.path));
      return { status: 200, json: { deleted: true } };
    });
}

describe('follow-up calls, lookups and $randomSecret', () => {
  let sc: MockSidecar;
  let users: Users;

  beforeEach(async () => {
    sc = await startMockSidecar(MAPPING);
    users = new Map();
  });
  afterEach(async () => {
    await sc.close();
  });

  /** A user made through SCIM; the app's calls are forgotten afterwards. */
  async function provision(login: string): Promise<{ scimId: string; appId: string }> {
    const res = await sc.scim('POST', '/Users', { body: entraUser(login) });
    expect(res.status, res.text).toBe(201);
    const appId = [...users.values()].find((u) => u.login === login)?.id;
    sc.fake.calls.length = 0;
    return { scimId: String(res.resource().id), appId: String(appId) };
  }

  const calls = () => sc.fake.calls.map((c) => `${c.method} ${c.path}`);
  const disable = (scimId: string) =>
    sc.scim('PATCH', `/Users/${scimId}`, {
      body: patchOp({ op: 'Replace', path: 'active', value: 'False' }),
    });

  describe('then', () => {
    it('makes the follow-ups in order after the main call, with its context and the lookups', async () => {
      // Routes are matched in the order declared: the follow-ups' come first.
      sc.fake
        .on('DELETE', /\/tokens$/, { status: 204 })
        .on('POST', /\/sessions\/revoke$/, { status: 200, json: { revoked: 2 } })
        .on('GET', '/api/me', { status: 200, json: { id: 1 } });
      scriptApp(sc.fake, users);
      const { scimId, appId } = await provision('ada');

      const res = await disable(scimId);
      expect(res.status, res.text).toBe(204);
      expect(calls()).toEqual([
        `GET /api/users/${appId}`,
        `POST /api/users/${appId}/disable`,
        `DELETE /api/users/${appId}/tokens`,
        'GET /api/me',
        `POST /api/users/${appId}/sessions/revoke`,
      ]);
      expect(sc.fake.calls.at(-1)?.body).toEqual({ by: 1 });
      expect((await sc.scim('GET', `/Users/${scimId}`)).resource().active).toBe(false);
    });

    it('makes them after a create that must disable the new user too', async () => {
      sc.fake
        .on('DELETE', /\/tokens$/, { status: 204 })
        .on('POST', /\/sessions\/revoke$/, { status: 200, json: {} })
        .on('GET', '/api/me', { status: 200, json: { id: 1 } });
      scriptApp(sc.fake, users);
      const res = await sc.scim('POST', '/Users', { body: entraUser('bob', { active: false }) });
      expect(res.status, res.text).toBe(201);
      expect(calls().map((c) => c.replace(/\d+/, 'N'))).toEqual([
        'POST /api/users',
        'POST /api/users/N/disable',
        'DELETE /api/users/N/tokens',
        'GET /api/me',
        'POST /api/users/N/sessions/revoke',
      ]);
    });

    it('fails the request with the translated error when one fails; the rest are not made and the disable is noted as unfinished', async () => {
      sc.fake
        .on('DELETE', /\/tokens$/, { status: 500, json: { code: 'token_store_down' } })
        .on('POST', /\/sessions\/revoke$/, { status: 200, json: {} })
        .on('GET', '/api/me', { status: 200, json: { id: 1 } });
      scriptApp(sc.fake, users);
      const { scimId, appId } = await provision('carol');
      const before = await sc.idMap.get('User', scimId);

      const res = await disable(scimId);
      expect(res.status, res.text).toBe(503);
      expect(res.error()).toMatchObject({ detail: 'The token store is down' });
      expect(calls()).toEqual([
        `GET /api/users/${appId}`,
        `POST /api/users/${appId}/disable`,
        `DELETE /api/users/${appId}/tokens`,
      ]);
      // Nothing recorded as done: only the unfinished disable is noted, to be made again.
      expect(await sc.idMap.get('User', scimId)).toEqual({ ...before, pendingActive: false });
    });

    it('makes a disable whose follow-up failed again, follow-ups and all, when the IdP retries it', async () => {
      let tokenCalls = 0;
      sc.fake
        .on('DELETE', /\/tokens$/, () =>
          ++tokenCalls === 1 ? { status: 500, json: { code: 'token_store_down' } } : { status: 204 },
        )
        .on('POST', /\/sessions\/revoke$/, { status: 200, json: {} })
        .on('GET', '/api/me', { status: 200, json: { id: 1 } });
      scriptApp(sc.fake, users);
      const { scimId, appId } = await provision('frank');

      expect((await disable(scimId)).status).toBe(503);
      expect(await sc.idMap.get('User', scimId)).toMatchObject({ pendingActive: false });
      // The app shows the user disabled, but its tokens were not revoked: the retry does it all again.
      expect(users.get(appId)?.enabled).toBe(false);
      sc.fake.calls.length = 0;
      const retried = await disable(scimId);
      expect(retried.status, retried.text).toBe(204);
      expect(calls()).toEqual([
        `GET /api/users/${appId}`,
        `POST /api/users/${appId}/disable`,
        `DELETE /api/users/${appId}/tokens`,
        'GET /api/me',
        `POST /api/users/${appId}/sessions/revoke`,
      ]);
      // Done now: the next disable finds nothing to do.
      sc.fake.calls.length = 0;
      expect((await disable(scimId)).status).toBe(204);
      expect(calls()).toEqual([`GET /api/users/${appId}`]);
    });

    it('fails the request when a follow-up is answered 2xx with a failure an error rule matches', async () => {
      sc.fake
        .on('DELETE', /\/tokens$/, { status: 200, json: { ok: false, message: 'tokens are locked' } })
        .on('GET', '/api/me', { status: 200, json: { id: 1 } });
      scriptApp(sc.fake, users);
      const { scimId } = await provision('dave');
      const before = await sc.idMap.get('User', scimId);

      const res = await disable(scimId);
      expect(res.status, res.text).toBe(409);
      expect(res.error()).toMatchObject({ detail: 'The app refused: tokens are locked' });
      expect(calls()).not.toContainEqual(expect.stringMatching(/sessions/));
      // Nothing recorded as done: only the unfinished disable is noted, to be made again.
      expect(await sc.idMap.get('User', scimId)).toEqual({ ...before, pendingActive: false });
    });

    it('answers a follow-up 404 as the app failing (502), not as the user being gone', async () => {
      sc.fake.on('DELETE', /\/tokens$/, { status: 404, json: { message: 'no route' } });
      scriptApp(sc.fake, users);
      const { scimId } = await provision('erin');

      const res = await disable(scimId);
      expect(res.status, res.text).toBe(502);
      expect(res.error()).toMatchObject({ detail: expect.stringContaining('User.deactivate.then[0]') });
      expect(await sc.idMap.get('User', scimId)).toBeDefined();
    });
  });

  describe('lookups', () => {
    it('are made once, the first time a request needs one, and kept', async () => {
      sc.fake.on('GET', '/api/me', { status: 200, json: { id: 7 } });
      scriptApp(sc.fake, users);
      const made = [await provision('u1'), await provision('u2'), await provision('u3')];
      expect(calls()).toEqual([]);
      for (const { scimId } of made) expect((await sc.scim('DELETE', `/Users/${scimId}`)).status).toBe(204);

      expect(calls().filter((c) => c.startsWith('GET /api/me'))).toEqual(['GET /api/me']);
      const deletes = sc.fake.calls.filter((c) => c.method === 'DELETE');
      expect(deletes).toHaveLength(3);
      for (const call of deletes) expect(call.query).toEqual([['reassign', '7']]);
      expect(sc.fake.calls.find((c) => c.path === '/api/me')?.query).toEqual([['fields', 'id']]);
    });

    it('are made once for requests that need them at the same time', async () => {
      sc.fake.on('GET', '/api/me', { status: 200, json: { id: 7 } });
      scriptApp(sc.fake, users);
      const made = [];
      for (const login of ['c1', 'c2', 'c3', 'c4', 'c5']) made.push(await provision(login));
      const answers = await Promise.all(made.map(({ scimId }) => sc.scim('DELETE', `/Users/${scimId}`)));
      expect(answers.map((a) => a.status)).toEqual([204, 204, 204, 204, 204]);
      expect(calls().filter((c) => c === 'GET /api/me')).toHaveLength(1);
    });

    it('fail with a 502 naming the lookup, are not kept, and are asked again by the next request', async () => {
      sc.fake
        .once('GET', '/api/me', { status: 400, json: { message: 'database restarting' } })
        .on('GET', '/api/me', { status: 200, json: { id: 7 } });
      scriptApp(sc.fake, users);
      const { scimId, appId } = await provision('f1');

      const failed = await sc.scim('DELETE', `/Users/${scimId}`);
      expect(failed.status, failed.text).toBe(502);
      expect(failed.error()).toMatchObject({
        detail: expect.stringMatching(/lookup owner \(lookups\.owner in the mapping\).*database restarting/),
      });
      // The delete was never sent, and the resource is still there.
      expect(calls().filter((c) => c.startsWith('DELETE'))).toEqual([]);
      expect((await sc.scim('GET', `/Users/${scimId}`)).status).toBe(200);

      sc.fake.calls.length = 0;
      expect((await sc.scim('DELETE', `/Users/${scimId}`)).status).toBe(204);
      expect(calls()).toEqual(['GET /api/me', `DELETE /api/users/${appId}`]);
    });
  });

  it('$randomSecret gives each disable a new secret of 24 letters and digits', async () => {
    sc.fake
      .on('DELETE', /\/tokens$/, { status: 204 })
      .on('POST', /\/sessions\/revoke$/, { status: 200, json: {} })
      .on('GET', '/api/me', { status: 200, json: { id: 1 } });
    scriptApp(sc.fake, users);
    const passwords: string[] = [];
    for (const login of ['r1', 'r2', 'r3']) {
      const { scimId } = await provision(login);
      expect((await disable(scimId)).status).toBe(204);
      const body = sc.fake.calls.find((c) => c.path.endsWith('/disable'))?.body as
        | { password: string }
        | undefined;
      passwords.push(body?.password ?? '');
    }
    for (const password of passwords) expect(password).toMatch(/^[A-HJ-NP-Za-km-z2-9]{24}$/);
    expect(new Set(passwords).size).toBe(3);
  });
});

describe('dry-run of follow-ups and lookups', () => {
  let dir: string;
  let config: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'follow-ups-dry-run-'));
    // Nothing listens there: dry-run must send nothing, the lookup included.
    config = writeCliConfig(dir, 'http://127.0.0.1:9');
    writeFileSync(join(dir, 'mapping.yaml'), MAPPING);
    writeFileSync(
      config,
      readFileSync(config, 'utf8').replace(/^mapping: .*$/m, `mapping: ${join(dir, 'mapping.yaml')}`),
    );
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('plans the follow-ups after their operation, and shows a lookup without making it', async () => {
    const out = await dryRun(config, {
      method: 'PATCH',
      path: '/Users/42',
      body: patchOp({ op: 'Replace', path: 'active', value: 'False' }),
      current: { schemas: [USER_SCHEMA], userName: 'ada', active: true },
    });
    const labels = [...out.matchAll(/^# (.*)$/gm)].map((m) => m[1]);
    expect(labels).toEqual([
      'User.deactivate',
      'User.deactivate.then[0]',
      'User.deactivate.then[1] ({lookups.owner} is looked up once, with GET /api/me, not by dry-run)',
    ]);
    expect(out).toContain('POST http://127.0.0.1:9/api/users/42/disable\n');
    expect(out).toContain('DELETE http://127.0.0.1:9/api/users/42/tokens\n');
    expect(out).toContain('"by": "{lookups.owner}"');
    expect(out).toMatch(/"password": "[A-Za-z0-9]{24}"/);
  });

  it('shows the lookup in a DELETE', async () => {
    const out = await dryRun(config, { method: 'DELETE', path: '/Users/42' });
    expect(out).toContain(
      '# User.delete ({lookups.owner} is looked up once, with GET /api/me, not by dry-run)\n' +
        'DELETE http://127.0.0.1:9/api/users/42?reassign=%7Blookups.owner%7D\n',
    );
  });
});

describe('follow-ups of member calls', () => {
  const GROUPS = `app: teams
resources:
  User:
    id: id
    toScim: '{ "userName": login }'
    fromScim: '{ "login": userName }'
    operations:
      create: { method: POST, path: /api/users, body: app }
      get: { method: GET, path: '/api/users/{appId}' }
      list: { method: GET, path: /api/users, items: users }
  Group:
    id: id
    toScim: '{ "displayName": name, "members": [member_ids.{ "value": $string($) }] }'
    fromScim: '{ "name": displayName }'
    operations:
      create: { method: POST, path: /api/teams, body: app, omits: [members] }
      get: { method: GET, path: '/api/teams/{appId}' }
      list: { method: GET, path: /api/teams, items: teams }
      update: { method: PUT, path: '/api/teams/{appId}', body: app, omits: [members] }
      addMember:
        method: POST
        path: '/api/teams/{appId}/members'
        body: '{ "id": memberAppId }'
        then:
          - { method: PUT, path: '/api/teams/{appId}/licences/{memberAppId}' }
      removeMember:
        method: DELETE
        path: '/api/teams/{appId}/members/{memberAppId}'
`;
  let sc: MockSidecar;
  beforeEach(async () => {
    sc = await startMockSidecar(GROUPS);
  });
  afterEach(async () => {
    await sc.close();
  });

  it('are made after each member added, also when the app answers that the user is already a member', async () => {
    let nextUser = 1;
    sc.fake
      .on('POST', '/api/users', (call) => ({
        status: 201,
        json: { id: nextUser++, login: (call.body as { login: string }).login },
      }))
      .on('POST', '/api/teams', { status: 201, json: { id: 50, name: 'Support', member_ids: [] } })
      // The retry of a PATCH whose follow-up failed: user 1 is already a member.
      .on('POST', '/api/teams/50/members', (call) =>
        (call.body as { id: string }).id === '1'
          ? { status: 409, json: { message: 'already a member' } }
          : { status: 201, json: {} },
      )
      .on('PUT', /^\/api\/teams\/50\/licences\/\d+$/, { status: 204 });
    const ids: string[] = [];
    for (const login of ['m1', 'm2']) {
      const res = await sc.scim('POST', '/Users', { body: { schemas: [USER_SCHEMA], userName: login } });
      expect(res.status, res.text).toBe(201);
      ids.push(String(res.resource().id));
    }
    const group = await sc.scim('POST', '/Groups', {
      body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Support' },
    });
    expect(group.status, group.text).toBe(201);
    sc.fake.calls.length = 0;

    const res = await sc.scim('PATCH', `/Groups/${group.resource().id}`, {
      body: patchOp({ op: 'Add', path: 'members', value: ids.map((value) => ({ value })) }),
    });
    expect(res.status, res.text).toBe(204);
    expect(sc.fake.calls.map((c) => `${c.method} ${c.path}`).sort()).toEqual([
      'POST /api/teams/50/members',
      'POST /api/teams/50/members',
      'PUT /api/teams/50/licences/1',
      'PUT /api/teams/50/licences/2',
    ]);
  });
});
