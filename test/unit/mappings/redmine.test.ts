/**
 * mappings/redmine.yaml and its lock-on-delete variant, without a Redmine: the expressions on
 * records shaped like Redmine 5's answers (../shared/legacy-apps/redmine/API.md), the requests
 * they render and the error rules. test/e2e/redmine.test.ts runs them against a real Redmine.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderRequest } from '../../../src/connector/render-request.js';
import { translateUpstreamError } from '../../../src/connector/translate-error.js';
import { loadMapping } from '../../../src/mapping/load-mapping.js';
import type { CompiledResourceMapping } from '../../../src/mapping/mapping-types.js';

const DEFAULT_FILE = fileURLToPath(new URL('../../../mappings/redmine.yaml', import.meta.url));
const LOCKING_FILE = fileURLToPath(new URL('../../../mappings/redmine-lock-on-delete.yaml', import.meta.url));
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

const mapping = loadMapping(DEFAULT_FILE);

function resource(type: 'User' | 'Group'): CompiledResourceMapping {
  const found = mapping.resources[type];
  if (!found) throw new Error(`redmine.yaml maps no ${type}`);
  return found;
}

/** GET /users/5.json as an admin sees it. */
const redmineUser = {
  id: 5,
  login: 'jdoe@contoso.com',
  admin: false,
  firstname: 'John',
  lastname: 'Doe',
  mail: 'john.doe@contoso.com',
  created_on: '2026-11-22T10:47:58Z',
  updated_on: '2026-11-22T10:48:10Z',
  last_login_on: null,
  passwd_changed_on: null,
  twofa_scheme: null,
  api_key: 'b41b0000000000000000000000000000000000aa',
  status: 1,
  custom_fields: [
    { id: 1, name: 'Department', value: 'R&D' },
    { id: 2, name: 'Employee number', value: '' },
    { id: 3, name: 'Job title', value: null },
  ],
};

describe('mappings/redmine.yaml: User', () => {
  const user = resource('User');

  it('reads a Redmine user into SCIM, custom fields "" and null being absent', async () => {
    expect(await user.toScim.evaluate(redmineUser)).toEqual({
      userName: 'jdoe@contoso.com',
      name: { givenName: 'John', familyName: 'Doe', formatted: 'John Doe' },
      displayName: 'John Doe',
      emails: [{ value: 'john.doe@contoso.com', type: 'work', primary: true }],
      active: true,
      [ENTERPRISE]: { department: 'R&D' },
      meta: { created: '2026-11-22T10:47:58Z', lastModified: '2026-11-22T10:48:10Z' },
    });
  });

  it('reads locked and registered users as inactive, and leaves active out of list items', async () => {
    expect(await user.toScim.evaluate({ ...redmineUser, status: 3 })).toMatchObject({ active: false });
    expect(await user.toScim.evaluate({ ...redmineUser, status: 2 })).toMatchObject({ active: false });
    const { status: _status, ...listItem } = redmineUser;
    expect(await user.toScim.evaluate(listItem)).not.toHaveProperty('active');
    expect(mapping.resources.User?.operations.list.itemsLack).toEqual(['active']);
  });

  it('writes every custom field, clearing those SCIM leaves out, and active as status', async () => {
    const app = await user.fromScim.evaluate({
      userName: 'jdoe@contoso.com',
      name: { givenName: 'John', familyName: 'Doe' },
      emails: [
        { value: 'home@example.com', type: 'home' },
        { value: 'john.doe@contoso.com', type: 'work', primary: true },
      ],
      title: 'Engineer',
      active: false,
      [ENTERPRISE]: { department: 'R&D' },
    });
    expect(app).toEqual({
      login: 'jdoe@contoso.com',
      firstname: 'John',
      lastname: 'Doe',
      mail: 'john.doe@contoso.com',
      status: 3,
      custom_fields: [
        { id: 1, value: 'R&D' },
        { id: 2, value: '' },
        { id: 3, value: 'Engineer' },
      ],
    });
  });

  it('keeps the displayName and name.formatted the IdP sent, since Redmine only joins first and last name', () => {
    // Without preserve a displayName change is answered 204 and lost, and Entra sends it again
    // every cycle.
    expect(user.preserve).toEqual(expect.arrayContaining(['displayName', 'name.formatted']));
    expect(user.attributes).toEqual(expect.arrayContaining(['displayName', 'name.formatted']));
  });

  it('fills the required first and last name from displayName, and is active unless told otherwise', async () => {
    const app = await user.fromScim.evaluate({ userName: 'x@contoso.com', displayName: 'Ada Lovelace' });
    expect(app).toMatchObject({ firstname: 'Ada', lastname: 'Lovelace', status: 1 });
  });

  it('searches users of every status, and a userName by Redmine substring search', async () => {
    const list = await renderRequest(user.operations.list, { offset: 100, limit: 100, page: 2 });
    expect(list).toMatchObject({
      method: 'GET',
      path: '/users.json',
      query: [
        ['offset', '100'],
        ['limit', '100'],
        ['status', ''],
      ],
    });
    const pushdown = user.filters.get('username');
    expect(pushdown).toBeDefined();
    const search = await renderRequest(
      user.operations.list,
      { value: 'jdoe@contoso.com', offset: 0, limit: 100 },
      pushdown?.query,
    );
    expect(search.query).toEqual(
      expect.arrayContaining([
        ['name', 'jdoe@contoso.com'],
        ['status', ''],
      ]),
    );
  });

  it('wraps bodies in "user" and puts the id in .json paths', async () => {
    const update = user.operations.update;
    expect(update).toBeDefined();
    if (!update) return;
    const request = await renderRequest(update, { appId: '5', app: { firstname: 'J' } });
    expect(request).toMatchObject({
      method: 'PUT',
      path: '/users/5.json',
      body: { user: { firstname: 'J' } },
    });
    const remove = user.operations.delete;
    expect(remove && (await renderRequest(remove, { appId: '5' }))).toMatchObject({
      method: 'DELETE',
      path: '/users/5.json',
      query: [],
    });
  });
});

describe('mappings/redmine.yaml: Group', () => {
  const group = resource('Group');

  it('keeps a lone member in an array, and leaves members out when Redmine sent none', async () => {
    expect(
      await group.toScim.evaluate({ id: 12, name: 'Sales', users: [{ id: 5, name: 'John Doe' }] }),
    ).toEqual({ displayName: 'Sales', members: [{ value: '5', display: 'John Doe' }] });
    const bare = (await group.toScim.evaluate({ id: 12, name: 'Sales' })) as Record<string, unknown>;
    expect(bare.displayName).toBe('Sales');
    expect(bare.members ?? []).toEqual([]);
  });

  it('asks Redmine for members only when the request needs them', async () => {
    const get = group.operations.get;
    expect((await renderRequest(get, { appId: '12', withMembers: false })).query).toEqual([]);
    expect((await renderRequest(get, { appId: '12', withMembers: true })).query).toEqual([
      ['include', 'users'],
    ]);
  });

  it('adds and removes members one by one', async () => {
    const add = group.operations.addMember;
    const remove = group.operations.removeMember;
    expect(add && (await renderRequest(add, { appId: '12', memberAppId: '5' }))).toMatchObject({
      method: 'POST',
      path: '/groups/12/users.json',
      body: { user_id: 5 },
    });
    expect(remove && (await renderRequest(remove, { appId: '12', memberAppId: '5' }))).toMatchObject({
      method: 'DELETE',
      path: '/groups/12/users/5.json',
    });
  });
});

describe('mappings/redmine.yaml: errors', () => {
  const translate = (body: unknown) =>
    translateUpstreamError(
      { status: 422, headers: {}, body, unparsable: false },
      mapping.errors,
      'User.create',
    );

  it('turns "has already been taken" into 409 uniqueness with every message', async () => {
    const error = await translate({
      errors: ['Email has already been taken', 'Login has already been taken'],
    });
    expect(error).toMatchObject({
      status: 409,
      scimType: 'uniqueness',
      message: 'Email has already been taken; Login has already been taken',
    });
  });

  it("turns other validation failures into 400 invalidValue with Redmine's messages", async () => {
    const error = await translate({ errors: ['Login is invalid', 'First name cannot be blank'] });
    expect(error).toMatchObject({
      status: 400,
      scimType: 'invalidValue',
      message: 'Login is invalid; First name cannot be blank',
    });
  });

  it('still answers 400 when the 422 has no body', async () => {
    expect(await translate(undefined)).toMatchObject({ status: 400, scimType: 'invalidValue' });
  });
});

describe('mappings/redmine-lock-on-delete.yaml', () => {
  it('differs from redmine.yaml only in its name and in how a User is deleted', () => {
    const read = (file: string) => {
      const data = parse(readFileSync(file, 'utf8')) as {
        app: string;
        resources: { User: { operations: Record<string, unknown> } };
      };
      const { delete: _delete, ...operations } = data.resources.User.operations;
      return {
        ...data,
        app: undefined,
        resources: { ...data.resources, User: { ...data.resources.User, operations } },
      };
    };
    expect(read(LOCKING_FILE)).toEqual(read(DEFAULT_FILE));
  });

  it('locks the user and takes it out of every group instead of deleting it', async () => {
    const locking = loadMapping(LOCKING_FILE);
    const remove = locking.resources.User?.operations.delete;
    expect(remove).toBeDefined();
    if (!remove) return;
    expect(await renderRequest(remove, { appId: '5' })).toMatchObject({
      method: 'PUT',
      path: '/users/5.json',
      body: { user: { status: 3, group_ids: [] } },
    });
  });
});
