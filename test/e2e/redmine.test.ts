/**
 * scim-sidecar in front of a real Redmine 5, replaying what Microsoft Entra and Okta send.
 * Every step is checked through Redmine's own REST API, so a bug that the adapter would report
 * back consistently (write one thing, read the same wrong thing) still fails here.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck } from '../../src/cli/check.js';
import { loadConfig } from '../../src/config/load-config.js';
import { loadMapping } from '../../src/mapping/load-mapping.js';
import { customField, RedmineApi } from './redmine-api.js';
import { type RedmineInstance, startRedmine } from './redmine-server.js';
import {
  EXAMPLE_CONFIG,
  expectStatus,
  filterQuery,
  idOf,
  OKTA,
  patchOp,
  resourcesOf,
  SCHEMA,
  type ScimObject,
  type Sidecar,
  startSidecar,
} from './sidecar.js';

/** Installing Redmine's Debian packages on a bare machine takes minutes; a reset takes seconds. */
const START_TIMEOUT_MS = 15 * 60_000;

let workDir: string | undefined;
let instance: RedmineInstance;
let redmine: RedmineApi;
let sidecar: Sidecar | undefined;

function scim(): Sidecar {
  if (!sidecar) throw new Error('scim-sidecar did not start');
  return sidecar;
}

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'scim-sidecar-e2e-'));
  instance = await startRedmine(workDir);
  redmine = new RedmineApi(instance);
  sidecar = await startSidecar({ redmine: instance, dataDir: join(workDir, 'data') });
}, START_TIMEOUT_MS);

// Redmine keeps running: .ci/run stops it (and a developer may want to look at what is left).
afterAll(async () => {
  await sidecar?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('deployment', () => {
  it('is ready: the health call reaches Redmine with the configured API key', async () => {
    const response = await fetch(scim().baseUrl.replace(/\/scim\/v2$/, '/readyz'));
    expect(response.status).toBe(200);
  });

  it('advertises the enterprise extension attributes the mapping stores', async () => {
    const answer = await scim().request('GET', `/Schemas/${SCHEMA.enterprise}`);
    expectStatus(answer, 200);
    const names = (answer.body.attributes as Array<{ name: string }>).map((a) => a.name);
    expect(names).toEqual(expect.arrayContaining(['department', 'employeeNumber']));
  });
});

/** How one Microsoft Entra PATCH dialect writes each change. */
interface EntraDialect {
  name: string;
  /** Keeps the users and groups of the two cycles apart. */
  tag: string;
  updateUser(change: {
    givenName: string;
    displayName: string;
    email: string;
    title: string;
    department: string;
  }): ScimObject[];
  setActive(active: boolean): ScimObject[];
  renameGroup(name: string): ScimObject[];
}

const ENTRA_DEFAULT: EntraDialect = {
  name: 'default (path-ed ops, "True"/"False" strings)',
  tag: 'std',
  updateUser: (c) => [
    { op: 'Replace', path: 'displayName', value: c.displayName },
    { op: 'Replace', path: 'name.givenName', value: c.givenName },
    { op: 'Replace', path: 'emails[type eq "work"].value', value: c.email },
    { op: 'Replace', path: 'title', value: c.title },
    { op: 'Replace', path: `${SCHEMA.enterprise}:department`, value: c.department },
  ],
  setActive: (active) => [{ op: 'Replace', path: 'active', value: active ? 'True' : 'False' }],
  renameGroup: (name) => [{ op: 'Replace', path: 'displayName', value: name }],
};

const ENTRA_AAD_OPT: EntraDialect = {
  name: 'aadOptscim062020 (path-less replace with dotted keys)',
  tag: 'opt',
  updateUser: (c) => [
    {
      op: 'replace',
      value: {
        displayName: c.displayName,
        'name.givenName': c.givenName,
        'emails[type eq "work"].value': c.email,
        title: c.title,
        [`${SCHEMA.enterprise}:department`]: c.department,
      },
    },
  ],
  setActive: (active) => [{ op: 'replace', value: { active } }],
  renameGroup: (name) => [{ op: 'replace', value: { displayName: name } }],
};

describe.each([ENTRA_DEFAULT, ENTRA_AAD_OPT])('Microsoft Entra cycle, $name', (dialect) => {
  const userName = `dave.jones.${dialect.tag}@contoso.com`;
  const groupName = `Engineering ${dialect.tag}`;
  let userId: string;
  let redmineUserId: number;
  let groupId: string;
  let redmineGroupId: number;

  it('Test Connection: a filter on a random userName answers an empty list', async () => {
    const answer = await scim().request('GET', `/Users${filterQuery(`userName eq "${randomUUID()}"`)}`);
    expectStatus(answer, 200);
    expect(answer.body).toMatchObject({ schemas: [SCHEMA.listResponse], totalResults: 0, Resources: [] });
  });

  it('creates the user', async () => {
    const answer = await scim().request('POST', '/Users', {
      schemas: [SCHEMA.user, SCHEMA.enterprise],
      externalId: `dave-${dialect.tag}`,
      userName,
      active: true,
      displayName: 'Dave Jones',
      title: 'Engineer',
      emails: [{ primary: true, type: 'work', value: userName }],
      meta: { resourceType: 'User' },
      name: { formatted: 'Dave Jones', familyName: 'Jones', givenName: 'Dave' },
      [SCHEMA.enterprise]: { department: 'R&D', employeeNumber: `10${dialect.tag.length}` },
    });
    expectStatus(answer, 201);
    userId = idOf(answer);
    expect(answer.body).toMatchObject({ userName, active: true, externalId: `dave-${dialect.tag}` });

    const user = await redmine.userByLogin(userName);
    redmineUserId = user.id;
    expect(user).toMatchObject({ login: userName, firstname: 'Dave', lastname: 'Jones', mail: userName });
    expect(user.status).toBe(1);
    expect(customField(user, 1)).toBe('R&D');
    expect(customField(user, 2)).toBe(`10${dialect.tag.length}`);
    expect(customField(user, 3)).toBe('Engineer');
  });

  it('finds the user by the userName filter it matches on', async () => {
    const resources = resourcesOf(
      await scim().request('GET', `/Users${filterQuery(`userName eq "${userName}"`)}`),
    );
    expect(resources).toHaveLength(1);
    expect(resources[0]).toMatchObject({
      id: userId,
      userName,
      active: true,
      externalId: `dave-${dialect.tag}`,
      displayName: 'Dave Jones',
      emails: [{ value: userName, type: 'work', primary: true }],
      [SCHEMA.enterprise]: { department: 'R&D' },
    });
  });

  it('updates attributes with PATCH', async () => {
    const email = `davey.jones.${dialect.tag}@contoso.com`;
    const answer = await scim().request(
      'PATCH',
      `/Users/${userId}`,
      patchOp(
        ...dialect.updateUser({
          givenName: 'Davey',
          displayName: 'Davey Jones',
          email,
          title: 'Lead Engineer',
          department: 'Sales',
        }),
      ),
    );
    expectStatus(answer, 200, 204);
    const read = await scim().request('GET', `/Users/${userId}`);
    expect(read.body).toMatchObject({ name: { givenName: 'Davey' }, displayName: 'Davey Jones' });

    const user = await redmine.user(redmineUserId);
    expect(user).toMatchObject({ login: userName, firstname: 'Davey', lastname: 'Jones', mail: email });
    expect(user?.status).toBe(1);
    expect(customField(user!, 1)).toBe('Sales');
    expect(customField(user!, 2)).toBe(`10${dialect.tag.length}`);
    expect(customField(user!, 3)).toBe('Lead Engineer');
  });

  it('disables the user (Redmine locks it) and finds it still, inactive', async () => {
    const answer = await scim().request('PATCH', `/Users/${userId}`, patchOp(...dialect.setActive(false)));
    expectStatus(answer, 200, 204);
    expect((await redmine.user(redmineUserId))?.status).toBe(3);

    // Entra looks users up by userName before every change: a locked user must not look absent.
    const resources = resourcesOf(
      await scim().request('GET', `/Users${filterQuery(`userName eq "${userName}"`)}`),
    );
    expect(resources).toMatchObject([{ id: userId, active: false }]);
  });

  it('re-enables the user', async () => {
    const answer = await scim().request('PATCH', `/Users/${userId}`, patchOp(...dialect.setActive(true)));
    expectStatus(answer, 200, 204);
    const user = await redmine.user(redmineUserId);
    expect(user?.status).toBe(1);
    expect(user?.firstname).toBe('Davey');
  });

  it('creates a group after finding no group of that name', async () => {
    const lookup = await scim().request('GET', `/Groups${filterQuery(`displayName eq "${groupName}"`)}`);
    expect(resourcesOf(lookup)).toEqual([]);

    const answer = await scim().request('POST', '/Groups', {
      schemas: [SCHEMA.group],
      externalId: `grp-${dialect.tag}`,
      displayName: groupName,
      meta: { resourceType: 'Group' },
      members: [],
    });
    expectStatus(answer, 201);
    groupId = idOf(answer);

    const [group, ...others] = await redmine.groupsByName(groupName);
    expect(others).toEqual([]);
    redmineGroupId = group!.id;
    expect((await redmine.group(redmineGroupId))?.users).toEqual([]);
  });

  it('adds the user as a member', async () => {
    const answer = await scim().request(
      'PATCH',
      `/Groups/${groupId}`,
      patchOp({ op: 'Add', path: 'members', value: [{ value: userId }] }),
    );
    expectStatus(answer, 200, 204);

    const group = await redmine.group(redmineGroupId);
    expect(group?.users?.map((u) => u.id)).toEqual([redmineUserId]);
    const user = await redmine.user(redmineUserId);
    expect(user?.groups?.map((g) => g.id)).toEqual([redmineGroupId]);
  });

  it("removes the member in Entra's form (remove members with a value)", async () => {
    const answer = await scim().request(
      'PATCH',
      `/Groups/${groupId}`,
      patchOp({ op: 'Remove', path: 'members', value: [{ value: userId }] }),
    );
    expectStatus(answer, 200, 204);
    expect((await redmine.group(redmineGroupId))?.users).toEqual([]);
    expect((await redmine.user(redmineUserId))?.groups).toEqual([]);
  });

  it('renames the group', async () => {
    const renamed = `${groupName} (renamed)`;
    const answer = await scim().request(
      'PATCH',
      `/Groups/${groupId}`,
      patchOp(...dialect.renameGroup(renamed)),
    );
    expectStatus(answer, 200, 204);
    expect((await redmine.group(redmineGroupId))?.name).toBe(renamed);
  });

  it('deletes the user and the group', async () => {
    expect((await scim().request('DELETE', `/Users/${userId}`)).status).toBe(204);
    expect(await redmine.user(redmineUserId)).toBeUndefined();
    expect((await scim().request('GET', `/Users/${userId}`)).status).toBe(404);

    expect((await scim().request('DELETE', `/Groups/${groupId}`)).status).toBe(204);
    expect(await redmine.group(redmineGroupId)).toBeUndefined();
    expect((await scim().request('GET', `/Groups/${groupId}`)).status).toBe(404);
  });
});

describe('Okta cycle', () => {
  const userName = 'alice.smith@contoso.com';
  let userId: string;
  let redmineUserId: number;
  let groupId: string;
  let redmineGroupId: number;
  const okta = (method: string, path: string, body?: unknown) => scim().request(method, path, body, OKTA);

  /** Okta's full user representation, as it sends it on create and on every PUT. */
  const oktaUser = (changes: { familyName: string; email: string; active: boolean }): ScimObject => ({
    schemas: [SCHEMA.user],
    userName,
    name: { givenName: 'Alice', familyName: changes.familyName },
    emails: [{ primary: true, value: changes.email, type: 'work' }],
    displayName: `Alice ${changes.familyName}`,
    locale: 'en-US',
    externalId: '00u1a2b3c4d5e6f7g8h9',
    groups: [],
    password: 'Okta-Generated-1!',
    active: changes.active,
  });

  it('looks the userName up before creating and finds nobody', async () => {
    const answer = await okta(
      'GET',
      `/Users${filterQuery(`userName eq "${userName}"`)}&startIndex=1&count=100`,
    );
    expect(resourcesOf(answer)).toEqual([]);
  });

  it('creates the user', async () => {
    const answer = await okta(
      'POST',
      '/Users',
      oktaUser({ familyName: 'Smith', email: userName, active: true }),
    );
    expectStatus(answer, 201);
    userId = idOf(answer);
    const user = await redmine.userByLogin(userName);
    redmineUserId = user.id;
    expect(user).toMatchObject({ firstname: 'Alice', lastname: 'Smith', mail: userName, status: 1 });
  });

  it('reads the user back by id', async () => {
    const answer = await okta('GET', `/Users/${userId}`);
    expectStatus(answer, 200);
    expect(answer.body).toMatchObject({
      id: userId,
      userName,
      name: { givenName: 'Alice', familyName: 'Smith' },
      emails: [{ value: userName, primary: true }],
      active: true,
      externalId: '00u1a2b3c4d5e6f7g8h9',
    });
    expect(answer.body).not.toHaveProperty('password');
  });

  it('updates the user with a full PUT', async () => {
    const email = 'alice.smith-jones@contoso.com';
    const answer = await okta('PUT', `/Users/${userId}`, {
      id: userId,
      ...oktaUser({ familyName: 'Smith-Jones', email, active: true }),
    });
    expectStatus(answer, 200);
    const user = await redmine.user(redmineUserId);
    expect(user).toMatchObject({ login: userName, lastname: 'Smith-Jones', mail: email, status: 1 });
  });

  it('deactivates the user with a full PUT (active false)', async () => {
    const answer = await okta('PUT', `/Users/${userId}`, {
      id: userId,
      ...oktaUser({ familyName: 'Smith-Jones', email: 'alice.smith-jones@contoso.com', active: false }),
    });
    expectStatus(answer, 200);
    expect(answer.body.active).toBe(false);
    const user = await redmine.user(redmineUserId);
    expect(user).toMatchObject({ status: 3, lastname: 'Smith-Jones' });
  });

  it('pushes a group with its member', async () => {
    const answer = await okta('POST', '/Groups', {
      schemas: [SCHEMA.group],
      displayName: 'Okta Marketing',
      members: [{ value: userId, display: userName }],
    });
    expectStatus(answer, 201);
    groupId = idOf(answer);
    expect(answer.body.members).toMatchObject([{ value: userId }]);
    const [group] = await redmine.groupsByName('Okta Marketing');
    redmineGroupId = group!.id;
    expect((await redmine.group(redmineGroupId))?.users?.map((u) => u.id)).toEqual([redmineUserId]);
  });

  it('renames the group with a path-less replace that echoes the id', async () => {
    const answer = await okta(
      'PATCH',
      `/Groups/${groupId}`,
      patchOp({ op: 'replace', value: { id: groupId, displayName: 'Okta Marketing EMEA' } }),
    );
    // Okta's group updates are answered 204 (its SCIM 2.0 guide); a read shows the rename.
    expectStatus(answer, 204);
    expect((await okta('GET', `/Groups/${groupId}`)).body).toMatchObject({
      id: groupId,
      displayName: 'Okta Marketing EMEA',
    });
    const group = await redmine.group(redmineGroupId);
    expect(group?.name).toBe('Okta Marketing EMEA');
    expect(group?.users?.map((u) => u.id)).toEqual([redmineUserId]);
  });

  it('removes the member with a value filter, then adds it back', async () => {
    const removed = await okta(
      'PATCH',
      `/Groups/${groupId}`,
      patchOp({ op: 'remove', path: `members[value eq "${userId}"]` }),
    );
    expectStatus(removed, 204);
    expect((await okta('GET', `/Groups/${groupId}`)).body).not.toHaveProperty('members');
    expect((await redmine.group(redmineGroupId))?.users).toEqual([]);

    const added = await okta(
      'PATCH',
      `/Groups/${groupId}`,
      patchOp({ op: 'add', path: 'members', value: [{ value: userId, display: userName }] }),
    );
    expectStatus(added, 204);
    expect((await okta('GET', `/Groups/${groupId}`)).body.members).toMatchObject([{ value: userId }]);
    expect((await redmine.group(redmineGroupId))?.users?.map((u) => u.id)).toEqual([redmineUserId]);
    expect((await redmine.user(redmineUserId))?.groups?.map((g) => g.id)).toEqual([redmineGroupId]);
  });

  it('deletes the pushed group, leaving the (deactivated) user', async () => {
    expect((await okta('DELETE', `/Groups/${groupId}`)).status).toBe(204);
    expect(await redmine.group(redmineGroupId)).toBeUndefined();
    const user = await redmine.user(redmineUserId);
    expect(user).toMatchObject({ status: 3, groups: [] });
  });
});

describe('a PATCH is read back as sent', () => {
  const userName = 'erin.black@contoso.com';
  const renamed = 'erin.gray@contoso.com';
  let userId: string;
  let redmineUserId: number;

  const lookUp = async (name: string) =>
    resourcesOf(await scim().request('GET', `/Users${filterQuery(`userName eq "${name}"`)}`));

  it('creates the user', async () => {
    const answer = await scim().request('POST', '/Users', {
      schemas: [SCHEMA.user],
      externalId: 'erin',
      userName,
      active: true,
      displayName: 'Erin Black',
      name: { givenName: 'Erin', familyName: 'Black', formatted: 'Erin Black' },
      emails: [{ primary: true, type: 'work', value: userName }],
    });
    expectStatus(answer, 201);
    userId = idOf(answer);
    redmineUserId = (await redmine.userByLogin(userName)).id;
  });

  it('a displayName that is not "first last" (Redmine has no field for it) is kept, not lost', async () => {
    const answer = await scim().request(
      'PATCH',
      `/Users/${userId}`,
      patchOp(
        { op: 'Replace', path: 'displayName', value: 'Erin B. (Sales)' },
        { op: 'Replace', path: 'name.formatted', value: 'Ms Erin Black' },
      ),
    );
    expectStatus(answer, 200, 204);
    const read = await scim().request('GET', `/Users/${userId}`);
    expect(read.body).toMatchObject({
      displayName: 'Erin B. (Sales)',
      name: { givenName: 'Erin', familyName: 'Black', formatted: 'Ms Erin Black' },
    });
    expect(await lookUp(userName)).toMatchObject([{ id: userId, displayName: 'Erin B. (Sales)' }]);
    expect(await redmine.user(redmineUserId)).toMatchObject({ firstname: 'Erin', lastname: 'Black' });
  });

  it('renames the user: the login changes in Redmine and the userName filters follow', async () => {
    const answer = await scim().request(
      'PATCH',
      `/Users/${userId}`,
      patchOp({ op: 'Replace', path: 'userName', value: renamed }),
    );
    expectStatus(answer, 200, 204);
    const read = await scim().request('GET', `/Users/${userId}`);
    expect(read.body).toMatchObject({ id: userId, userName: renamed, displayName: 'Erin B. (Sales)' });
    expect((await lookUp(renamed)).map((r) => r.id)).toEqual([userId]);
    // Redmine's search still finds the old name in the e-mail address; the filter does not match it.
    expect(await lookUp(userName)).toEqual([]);
    expect((await redmine.user(redmineUserId))?.login).toBe(renamed);
    expect(await redmine.usersByLogin(userName)).toEqual([]);
  });

  it('deletes the renamed user', async () => {
    expect((await scim().request('DELETE', `/Users/${userId}`)).status).toBe(204);
    expect(await redmine.user(redmineUserId)).toBeUndefined();
  });
});

describe('bad input loses nothing', () => {
  const newUser = (userName: string, email: string): ScimObject => ({
    schemas: [SCHEMA.user],
    userName,
    name: { givenName: 'Carol', familyName: 'White' },
    emails: [{ primary: true, type: 'work', value: email }],
    active: true,
  });

  it("refuses a userName Redmine cannot take as a login with 400 and Redmine's message", async () => {
    const before = await redmine.userCount();
    const answer = await scim().request('POST', '/Users', newUser('eve+tag@contoso.com', 'eve@contoso.com'));
    expectStatus(answer, 400);
    expect(answer.body).toMatchObject({ schemas: [SCHEMA.error], status: '400', scimType: 'invalidValue' });
    expect(answer.body.detail).toContain('Login is invalid');
    expect(await redmine.usersByLogin('eve+tag@contoso.com')).toEqual([]);
    expect(await redmine.userCount()).toBe(before);
  });

  it('refuses a duplicate userName in another case with 409, keeping the first user', async () => {
    const created = await scim().request(
      'POST',
      '/Users',
      newUser('carol.white@contoso.com', 'carol.white@contoso.com'),
    );
    expectStatus(created, 201);
    const before = await redmine.userCount();

    const answer = await scim().request(
      'POST',
      '/Users',
      newUser('CAROL.WHITE@contoso.com', 'carol.white.2@contoso.com'),
    );
    expectStatus(answer, 409);
    expect(answer.body).toMatchObject({ status: '409', scimType: 'uniqueness' });
    expect(answer.body.detail).toContain('Login has already been taken');
    expect(await redmine.userCount()).toBe(before);
    const [user, ...others] = await redmine.usersByLogin('carol.white@contoso.com');
    expect(others).toEqual([]);
    expect(user).toMatchObject({ login: 'carol.white@contoso.com', mail: 'carol.white@contoso.com' });
  });

  it('answers 400 to a change Redmine refuses, leaving the user as it was', async () => {
    const [found] = resourcesOf(
      await scim().request('GET', `/Users${filterQuery('userName eq "carol.white@contoso.com"')}`),
    );
    const answer = await scim().request(
      'PATCH',
      `/Users/${String(found?.id)}`,
      patchOp(
        { op: 'Replace', path: 'name.familyName', value: 'W'.repeat(31) },
        { op: 'Replace', path: 'title', value: 'Should not stick' },
      ),
    );
    expectStatus(answer, 400);
    expect(answer.body.detail).toContain('Last name is too long');
    const user = await redmine.userByLogin('carol.white@contoso.com');
    expect(user.lastname).toBe('White');
    expect(customField(user, 3) ?? '').toBe('');
  });
});

describe('mappings/redmine-lock-on-delete.yaml: DELETE locks the user', () => {
  const userName = 'frank.lock@contoso.com';
  let locking: Sidecar | undefined;
  let userId: string;
  let redmineUserId: number;

  function lockingScim(): Sidecar {
    if (!locking) throw new Error('the lock-on-delete scim-sidecar did not start');
    return locking;
  }

  beforeAll(async () => {
    if (!workDir) throw new Error('no work directory');
    locking = await startSidecar({
      redmine: instance,
      dataDir: join(workDir, 'data-lock'),
      mapping: '../../mappings/redmine-lock-on-delete.yaml',
    });
  });

  afterAll(async () => {
    await locking?.close();
  });

  it('locks the Redmine user and takes it out of its groups; the SCIM id is gone', async () => {
    const created = await lockingScim().request('POST', '/Users', {
      schemas: [SCHEMA.user],
      userName,
      externalId: 'frank-ext',
      name: { givenName: 'Frank', familyName: 'Lock' },
      emails: [{ primary: true, type: 'work', value: userName }],
    });
    expectStatus(created, 201);
    userId = idOf(created);
    redmineUserId = (await redmine.userByLogin(userName)).id;
    const group = await lockingScim().request('POST', '/Groups', {
      schemas: [SCHEMA.group],
      displayName: 'Lockers',
      members: [{ value: userId }],
    });
    expectStatus(group, 201);
    expect((await redmine.user(redmineUserId))?.groups).toHaveLength(1);

    expect((await lockingScim().request('DELETE', `/Users/${userId}`)).status).toBe(204);
    expect(await redmine.user(redmineUserId)).toMatchObject({ login: userName, status: 3, groups: [] });
    expect((await lockingScim().request('GET', `/Users/${userId}`)).status).toBe(404);
    expect((await lockingScim().request('DELETE', `/Users/${userId}`)).status).toBe(404);
  });

  it('leaves the locked user out of filters and lists', async () => {
    const resources = resourcesOf(
      await lockingScim().request('GET', `/Users${filterQuery(`userName eq "${userName}"`)}`),
    );
    expect(resources).toEqual([]);
    const all = resourcesOf(await lockingScim().request('GET', '/Users?count=500'));
    expect(all.map((r) => r.userName)).not.toContain(userName);
  });

  it('lets a new create of the same userName take the locked user over and unlock it', async () => {
    const answer = await lockingScim().request('POST', '/Users', {
      schemas: [SCHEMA.user],
      userName,
      externalId: 'frank-ext-2',
      name: { givenName: 'Frank', familyName: 'Again' },
      emails: [{ primary: true, type: 'work', value: userName }],
    });
    expectStatus(answer, 201);
    expect(idOf(answer)).not.toBe(userId);
    expect((await redmine.usersByLogin(userName)).map((u) => u.id)).toEqual([redmineUserId]);
    expect(await redmine.user(redmineUserId)).toMatchObject({ status: 1, lastname: 'Again' });
    expect((await lockingScim().request('GET', `/Users/${idOf(answer)}`)).status).toBe(200);
    expect((await lockingScim().request('GET', `/Users/${userId}`)).status).toBe(404);
  });
});

describe('scim-sidecar check', () => {
  it('runs its cycle against Redmine, groups included, every write read back as written', async () => {
    const before = await redmine.userCount();
    const config = loadConfig(EXAMPLE_CONFIG, {
      REDMINE_URL: instance.url,
      REDMINE_API_KEY: instance.apiKey,
      SCIM_TOKEN_HASH: `sha256:${'0'.repeat(64)}`,
      SCIM_SIDECAR_DATA_DIR: join(workDir ?? tmpdir(), 'check'),
    });
    let output = '';
    const result = await runCheck(config, loadMapping(config.mapping), {
      write: (text) => {
        output += text;
      },
    });
    expect(result.ok, output).toBe(true);
    expect(result.steps.map((s) => s.outcome)).toEqual(Array(7).fill('as written'));
    expect(await redmine.userCount()).toBe(before);
  });
});
