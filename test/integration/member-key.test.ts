/**
 * Group members known by another key than the app id (`members.key`), read from an endpoint of
 * their own (a sub-read). The ticketing app lists a group's members by login and adds and removes
 * them by login; its users have numeric ids. Using the login as the app id, the only way before,
 * broke on renames and on logins with `/` or only digits.
 */

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  entraUser,
  type FakeReply,
  GROUP_SCHEMA,
  type MockSidecar,
  patchOp,
  startMockSidecar,
  type UpstreamCall,
} from '../helpers/sidecar.js';

const MAPPING = `app: ticketing
resources:
  User:
    id: id
    toScim: '{ "userName": login, "displayName": name }'
    fromScim: '{ "login": userName, "name": displayName }'
    filters:
      userName:
        query: { login: value }
    operations:
      create: { method: POST, path: /users, body: app, response: user }
      get: { method: GET, path: '/users/{appId}', response: user }
      list: { method: GET, path: /users, items: users }
      update: { method: PUT, path: '/users/{appId}', body: app, response: user }
  Group:
    id: id
    members:
      key: userName
    toScim: '{ "displayName": name, "members": [member_logins.{ "value": $ }] }'
    fromScim: '{ "name": displayName }'
    filters:
      displayName:
        query: { name: value }
    operations:
      create: { method: POST, path: /groups, body: app, response: group, omits: [members] }
      get:
        method: GET
        path: '/groups/{appId}'
        response: group
        subReads:
          member_logins:
            method: GET
            path: '/groups/{appId}/members'
            query: { page: page, per_page: limit }
            paging: page
            pageSize: 2
            items: members.login
            total: '$headers.\`x-total-count\`'
            for: members
      list: { method: GET, path: /groups, items: groups, itemsLack: [members] }
      update: { method: PUT, path: '/groups/{appId}', body: app, response: group, omits: [members] }
      addMember: { method: POST, path: '/groups/{appId}/members', body: '{ "login": memberKey }' }
      removeMember: { method: DELETE, path: '/groups/{appId}/members/{memberKey}' }
`;

interface User {
  id: number;
  login: string;
  name: string;
}

/** The ticketing app's data and REST surface, on the fake. */
class Ticketing {
  users = new Map<number, User>();
  groups = new Map<number, { id: number; name: string; logins: string[] }>();
  private next = 1;

  constructor(readonly sc: MockSidecar) {
    const json = (call: UpstreamCall) => call.body as Record<string, unknown>;
    const param = (call: UpstreamCall, name: string) => call.query.find(([k]) => k === name)?.[1];
    sc.fake
      .on('POST', '/users', (call) => {
        const user = {
          id: this.next++,
          login: String(json(call).login),
          name: String(json(call).name ?? ''),
        };
        this.users.set(user.id, user);
        return { status: 201, json: { user } };
      })
      .on('GET', '/users', (call) => {
        const login = param(call, 'login')?.toLowerCase();
        const users = [...this.users.values()].filter(
          (u) => login === undefined || u.login.toLowerCase() === login,
        );
        return { status: 200, json: { users } };
      })
      .on('GET', /^\/users\/\d+$/, (call) => {
        const user = this.users.get(Number(call.path.split('/')[2]));
        return user ? { status: 200, json: { user } } : { status: 404, json: { error: 'not found' } };
      })
      .on('PUT', /^\/users\/\d+$/, (call) => {
        const user = this.users.get(Number(call.path.split('/')[2]));
        if (!user) return { status: 404 };
        const before = user.login;
        Object.assign(user, { login: String(json(call).login), name: String(json(call).name ?? '') });
        for (const group of this.groups.values())
          group.logins = group.logins.map((l) => (l === before ? user.login : l));
        return { status: 200, json: { user } };
      })
      .on('POST', '/groups', (call) => {
        const group = { id: 100 + this.next++, name: String(json(call).name), logins: [] as string[] };
        this.groups.set(group.id, group);
        return { status: 201, json: { group: { id: group.id, name: group.name } } };
      })
      .on('GET', '/groups', (call) => {
        const name = param(call, 'name')?.toLowerCase();
        const groups = [...this.groups.values()]
          .filter((g) => name === undefined || g.name.toLowerCase() === name)
          .map((g) => ({ id: g.id, name: g.name }));
        return { status: 200, json: { groups } };
      })
      .on('GET', /^\/groups\/\d+$/, (call) => {
        const group = this.groups.get(Number(call.path.split('/')[2]));
        return group ? { status: 200, json: { group: { id: group.id, name: group.name } } } : { status: 404 };
      })
      .on('GET', /^\/groups\/\d+\/members$/, (call) => this.members(call))
      .on('POST', /^\/groups\/\d+\/members$/, (call) => {
        const group = this.groups.get(Number(call.path.split('/')[2]));
        const login = String(json(call).login);
        if (!group) return { status: 404 };
        if (![...this.users.values()].some((u) => u.login === login))
          return { status: 422, json: { message: `no user ${login}` } };
        if (!group.logins.includes(login)) group.logins.push(login);
        return { status: 204 };
      })
      .on('DELETE', /^\/groups\/\d+\/members\/[^/]+$/, (call) => {
        const [, , id, , login] = call.path.split('/');
        const group = this.groups.get(Number(id));
        if (!group) return { status: 404 };
        group.logins = group.logins.filter((l) => l !== decodeURIComponent(login ?? ''));
        return { status: 204 };
      });
  }

  private members(call: UpstreamCall): FakeReply {
    const group = this.groups.get(Number(call.path.split('/')[2]));
    if (!group) return { status: 404 };
    const page = Number(call.query.find(([k]) => k === 'page')?.[1] ?? 1);
    const perPage = Number(call.query.find(([k]) => k === 'per_page')?.[1] ?? 10);
    const logins = group.logins.slice((page - 1) * perPage, page * perPage);
    return {
      status: 200,
      json: { members: logins.map((login) => ({ login })) },
      headers: { 'X-Total-Count': String(group.logins.length) },
    };
  }
}

let sc: MockSidecar;
let app: Ticketing;
beforeEach(async () => {
  sc = await startMockSidecar(MAPPING);
  app = new Ticketing(sc);
});
afterEach(async () => {
  await sc.close();
});

function trace(): string[] {
  return sc.calls.map((c) => `${c.method} ${decodeURIComponent(c.path)}${c.search ? `?${c.search}` : ''}`);
}

async function user(login: string): Promise<string> {
  const res = await sc.scim('POST', '/Users', { body: entraUser(login) });
  expect(res.status, res.text).toBe(201);
  return res.resource().id;
}

async function group(name: string, members: string[]): Promise<{ id: string; appId: number }> {
  const res = await sc.scim('POST', '/Groups', {
    body: { schemas: [GROUP_SCHEMA], displayName: name, members: members.map((value) => ({ value })) },
  });
  expect(res.status, res.text).toBe(201);
  return { id: res.resource().id, appId: Number((await sc.idMap.get('Group', res.resource().id))?.appId) };
}

async function memberIds(groupId: string): Promise<string[]> {
  const res = await sc.scim('GET', `/Groups/${groupId}`);
  expect(res.status, res.text).toBe(200);
  return ((res.resource().members as Array<{ value: string }> | undefined) ?? []).map((m) => m.value).sort();
}

describe('members known by login', () => {
  it('a create adds the members by their login, with no read of the users', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    sc.calls.length = 0;
    const { appId } = await group('Support', [alice, bob]);
    expect(trace()).toEqual([
      'POST /groups',
      `POST /groups/${appId}/members`,
      `POST /groups/${appId}/members`,
    ]);
    expect(sc.calls.slice(1).map((c) => c.body)).toEqual([{ login: 'alice' }, { login: 'bob' }]);
    expect(app.groups.get(appId)?.logins).toEqual(['alice', 'bob']);
  });

  it('a read pages through the members and answers their SCIM ids, through the id map', async () => {
    const ids = [await user('alice'), await user('bob'), await user('carol')];
    const { id, appId } = await group('Support', ids);
    sc.calls.length = 0;
    expect(await memberIds(id)).toEqual([...ids].sort());
    expect(trace()).toEqual([
      `GET /groups/${appId}`,
      `GET /groups/${appId}/members?page=1&per_page=2`,
      `GET /groups/${appId}/members?page=2&per_page=2`,
    ]);
  });

  it('a member the adapter does not know is found with one search, then known', async () => {
    const alice = await user('alice');
    const { id, appId } = await group('Support', [alice]);
    // dave is added in the app itself.
    app.users.set(50, { id: 50, login: 'dave', name: 'Dave' });
    app.groups.get(appId)?.logins.push('dave');
    sc.calls.length = 0;
    const members = await memberIds(id);
    expect(members).toHaveLength(2);
    expect(trace().filter((c) => c.startsWith('GET /users'))).toEqual(['GET /users?login=dave']);
    expect((await sc.idMap.findByAppId('User', '50'))?.scimId).toBeDefined();
    sc.calls.length = 0;
    await memberIds(id);
    expect(trace().filter((c) => c.startsWith('GET /users'))).toEqual([]);
  });

  it('a login no user has is searched once per request, and left out', async () => {
    const alice = await user('alice');
    const a = await group('Support', [alice]);
    const b = await group('Ops', [alice]);
    app.groups.get(a.appId)?.logins.push('ghost');
    app.groups.get(b.appId)?.logins.push('ghost');
    sc.calls.length = 0;
    const res = await sc.scim('GET', '/Groups');
    expect(res.status, res.text).toBe(200);
    for (const listed of res.list().Resources)
      expect((listed.members as Array<{ value: string }>).map((m) => m.value)).toEqual([alice]);
    expect(trace().filter((c) => c.startsWith('GET /users'))).toEqual(['GET /users?login=ghost']);
  });

  it('a GET without members makes no member sub-read (excludedAttributes=members)', async () => {
    const { id, appId } = await group('Support', [await user('alice')]);
    sc.calls.length = 0;
    const res = await sc.scim('GET', `/Groups/${id}?excludedAttributes=members`);
    expect(res.status, res.text).toBe(200);
    expect(trace()).toEqual([`GET /groups/${appId}`]);
    sc.calls.length = 0;
    const filtered = await sc.scim(
      'GET',
      `/Groups?filter=${encodeURIComponent('displayName eq "Support"')}&excludedAttributes=members`,
    );
    expect(filtered.list().Resources).toHaveLength(1);
    expect(trace()).toEqual(['GET /groups?name=Support']);
  });

  it('PATCH remove sends the login; a rename in SCIM follows the user to its new login', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const { id, appId } = await group('Support', [alice, bob]);
    const renamed = await sc.scim('PATCH', `/Users/${alice}`, {
      body: patchOp({ op: 'Replace', path: 'userName', value: 'alice.smith' }),
    });
    expect(renamed.status, renamed.text).toBe(204);
    expect(app.groups.get(appId)?.logins).toEqual(['alice.smith', 'bob']);
    sc.calls.length = 0;
    const res = await sc.scim('PATCH', `/Groups/${id}`, {
      body: patchOp({ op: 'Remove', path: 'members', value: [{ value: alice }] }),
    });
    expect(res.status, res.text).toBe(204);
    expect(trace()).toEqual([`DELETE /groups/${appId}/members/alice.smith`]);
    expect(await memberIds(id)).toEqual([bob]);
  });

  it('logins with a slash or only digits are members like any other', async () => {
    const slash = await user('ops/oncall');
    const digits = await user('12345');
    const { id, appId } = await group('Support', [slash, digits]);
    expect(app.groups.get(appId)?.logins).toEqual(['ops/oncall', '12345']);
    expect(await memberIds(id)).toEqual([slash, digits].sort());
    const res = await sc.scim('PATCH', `/Groups/${id}`, {
      body: patchOp({ op: 'Remove', path: 'members', value: [{ value: slash }] }),
    });
    expect(res.status, res.text).toBe(204);
    expect(sc.calls.at(-1)?.path).toBe(`/groups/${appId}/members/ops%2Foncall`);
    expect(app.groups.get(appId)?.logins).toEqual(['12345']);
  });

  it('a user renamed in the app itself keeps its membership and its SCIM id', async () => {
    const alice = await user('alice');
    const { id, appId } = await group('Support', [alice]);
    const stored = app.users.get(Number((await sc.idMap.get('User', alice))?.appId));
    if (!stored) throw new Error('no alice');
    stored.login = 'alice.jones';
    const members = app.groups.get(appId);
    if (members) members.logins = ['alice.jones'];
    expect(await memberIds(id)).toEqual([alice]);
  });

  it('a PUT of the whole member list computes the difference by login', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const carol = await user('carol');
    const { id, appId } = await group('Support', [alice, bob]);
    sc.calls.length = 0;
    const res = await sc.scim('PUT', `/Groups/${id}`, {
      body: { schemas: [GROUP_SCHEMA], displayName: 'Support', members: [{ value: bob }, { value: carol }] },
    });
    expect(res.status, res.text).toBe(200);
    expect(trace().filter((c) => !c.startsWith('GET'))).toEqual([
      `POST /groups/${appId}/members`,
      `DELETE /groups/${appId}/members/alice`,
    ]);
    expect(app.groups.get(appId)?.logins).toEqual(['bob', 'carol']);
  });
});
