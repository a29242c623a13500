/**
 * The legacy app is the slowest and most fragile part: each SCIM operation costs the fewest app
 * calls the mapping allows (the table in docs/mapping.md, "What each request costs the app").
 * Every case counts the calls the sidecar made, per mapping shape:
 *
 * - the demo mapping: the update answers with the record; activate/deactivate and one call per
 *   member are dedicated;
 * - the same with an update answered without the record (204-like);
 * - a mapping that writes members with the whole group (no member calls);
 * - members known by login, read by a sub-read only when a request needs them.
 *
 * And `dry-run` plans exactly the calls the service makes for the same request.
 */

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dryRun } from '../../src/cli/dry-run.js';
import {
  type DemoSidecar,
  demoMappingText,
  entraUser,
  GROUP_SCHEMA,
  patchOp,
  type ScimResource,
  startDemoSidecar,
  writeCliConfig,
} from '../helpers/sidecar.js';

type Sidecar = DemoSidecar;

/** The calls made since the last reset, as `METHOD /path`. */
function trace(sc: Sidecar): string[] {
  return sc.calls.map((call) => `${call.method} ${call.path}`);
}

async function reset(sc: Sidecar): Promise<void> {
  sc.calls.length = 0;
}

async function createUser(sc: Sidecar, userName: string): Promise<{ user: ScimResource; appId: number }> {
  const res = await sc.scim('POST', '/Users', { body: entraUser(userName) });
  expect(res.status, res.text).toBe(201);
  const [account] = sc.demo.store.listAccounts({ login: userName }).items;
  if (!account) throw new Error(`no account ${userName}`);
  return { user: res.resource(), appId: account.id };
}

async function createGroup(sc: Sidecar, name: string, members: string[] = []) {
  const res = await sc.scim('POST', '/Groups', {
    body: { schemas: [GROUP_SCHEMA], displayName: name, members: members.map((value) => ({ value })) },
  });
  expect(res.status, res.text).toBe(201);
  const [team] = sc.demo.store.listTeams({ name }).items;
  if (!team) throw new Error(`no team ${name}`);
  return { group: res.resource(), appId: team.id };
}

async function patch(sc: Sidecar, path: string, ...operations: Array<Record<string, unknown>>) {
  const res = await sc.scim('PATCH', path, { body: patchOp(...operations) });
  expect(res.status, res.text).toBe(204);
}

describe('the demo mapping (update answers the record; dedicated active and member calls)', () => {
  let sc: Sidecar;
  beforeAll(async () => {
    sc = await startDemoSidecar({ clientProfile: 'entra' });
  });
  afterAll(async () => {
    await sc.close();
  });

  it('POST /Users: one call', async () => {
    await reset(sc);
    await createUser(sc, 'budget-post@contoso.test');
    expect(trace(sc)).toEqual(['POST /api/accounts']);
  });

  it('GET /Users/{id} and a userName filter: one call each', async () => {
    const { user, appId } = await createUser(sc, 'budget-get@contoso.test');
    await reset(sc);
    await sc.scim('GET', `/Users/${user.id}`);
    await sc.scim('GET', `/Users?filter=${encodeURIComponent('userName eq "budget-get@contoso.test"')}`);
    expect(trace(sc)).toEqual([`GET /api/accounts/${appId}`, 'GET /api/accounts']);
  });

  it('PATCH a user attribute: one read, one update, no read-back', async () => {
    const { user, appId } = await createUser(sc, 'budget-title@contoso.test');
    await reset(sc);
    await patch(sc, `/Users/${user.id}`, { op: 'Replace', path: 'title', value: 'Engineer' });
    expect(trace(sc)).toEqual([`GET /api/accounts/${appId}`, `PUT /api/accounts/${appId}`]);
  });

  it('PATCH active and givenName: one read, the update, the disable call', async () => {
    const { user, appId } = await createUser(sc, 'budget-both@contoso.test');
    await reset(sc);
    await patch(
      sc,
      `/Users/${user.id}`,
      { op: 'Replace', path: 'active', value: 'False' },
      { op: 'Replace', path: 'name.givenName', value: 'Renamed' },
    );
    expect(trace(sc)).toEqual([
      `GET /api/accounts/${appId}`,
      `PUT /api/accounts/${appId}`,
      `POST /api/accounts/${appId}/disable`,
    ]);
    const read = await sc.scim('GET', `/Users/${user.id}`);
    expect(read.resource().active).toBe(false);
    expect((read.resource().name as { givenName: string }).givenName).toBe('Renamed');
  });

  it('PUT /Users/{id}: one read, one update', async () => {
    const { user, appId } = await createUser(sc, 'budget-put@contoso.test');
    await reset(sc);
    const res = await sc.scim('PUT', `/Users/${user.id}`, {
      body: { ...entraUser('budget-put@contoso.test'), title: 'Put' },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.resource().title).toBe('Put');
    expect(trace(sc)).toEqual([`GET /api/accounts/${appId}`, `PUT /api/accounts/${appId}`]);
  });

  it('a group PATCH adding or removing members reads nothing: one call per member changed', async () => {
    const a = await createUser(sc, 'budget-m1@contoso.test');
    const b = await createUser(sc, 'budget-m2@contoso.test');
    const c = await createUser(sc, 'budget-m3@contoso.test');
    const { group, appId } = await createGroup(sc, 'Budget members', [a.user.id]);
    await reset(sc);
    await patch(sc, `/Groups/${group.id}`, {
      op: 'Add',
      path: 'members',
      value: [{ value: b.user.id }, { value: c.user.id }],
    });
    expect(trace(sc).sort()).toEqual([
      `POST /api/teams/${appId}/members`,
      `POST /api/teams/${appId}/members`,
    ]);
    await reset(sc);
    await patch(sc, `/Groups/${group.id}`, { op: 'Remove', path: 'members', value: [{ value: a.user.id }] });
    await patch(sc, `/Groups/${group.id}`, { op: 'remove', path: `members[value eq "${b.user.id}"]` });
    expect(trace(sc)).toEqual([
      `DELETE /api/teams/${appId}/members/${a.appId}`,
      `DELETE /api/teams/${appId}/members/${b.appId}`,
    ]);
    expect(sc.demo.store.getTeam(appId)?.member_ids).toEqual([c.appId]);
    const read = await sc.scim('GET', `/Groups/${group.id}`);
    expect((read.resource().members as Array<{ value: string }>).map((m) => m.value)).toEqual([c.user.id]);
  });

  it('a group PATCH renaming it and adding a member: one read, the update, the member call', async () => {
    const a = await createUser(sc, 'budget-r1@contoso.test');
    const { group, appId } = await createGroup(sc, 'Budget rename');
    await reset(sc);
    await patch(
      sc,
      `/Groups/${group.id}`,
      { op: 'Replace', path: 'displayName', value: 'Budget renamed' },
      { op: 'Add', path: 'members', value: [{ value: a.user.id }] },
    );
    expect(trace(sc)).toEqual([
      `GET /api/teams/${appId}`,
      `PUT /api/teams/${appId}`,
      `POST /api/teams/${appId}/members`,
    ]);
    expect(sc.demo.store.getTeam(appId)).toMatchObject({ name: 'Budget renamed', member_ids: [a.appId] });
  });

  it('dry-run plans exactly the calls the service makes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'budget-dry-run-'));
    try {
      const config = writeCliConfig(dir, sc.demo.url);
      const { user, appId } = await createUser(sc, 'budget-dry@contoso.test');
      const operations = [
        { op: 'Replace', path: 'active', value: 'False' },
        { op: 'Replace', path: 'title', value: 'Planned' },
      ];
      const planned = await dryRun(config, {
        method: 'PATCH',
        path: `/Users/${appId}`,
        body: patchOp(...operations),
      });
      const plannedCalls = [...planned.matchAll(/^(GET|POST|PUT|PATCH|DELETE) \S+?(\/api\/\S*)$/gm)].map(
        (m) => `${m[1]} ${m[2]}`,
      );
      await reset(sc);
      await patch(sc, `/Users/${user.id}`, ...operations);
      expect(plannedCalls).toEqual(trace(sc));
      expect(plannedCalls).toHaveLength(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a deactivate with a follow-up call (then)', () => {
  let sc: Sidecar;
  let mappingText: string;
  beforeAll(async () => {
    const text = demoMappingText();
    const deactivate = '        path: /api/accounts/{appId}/disable\n';
    if (!text.includes(deactivate)) throw new Error('mappings/demo.yaml changed shape');
    // A leaver's department is cleared in the app too, with the lenient partial update.
    const followUp =
      '        then:\n          - { method: PATCH, path: \'/api/accounts/{appId}\', body: \'{ "account": { "department": null } }\' }\n';
    mappingText = text.replace(deactivate, deactivate + followUp);
    sc = await startDemoSidecar({ clientProfile: 'entra', mappingText });
  });
  afterAll(async () => {
    await sc.close();
  });

  it('PATCH active=false: one read, the disable call, its follow-up; dry-run plans the same calls', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'budget-follow-up-'));
    try {
      const { user, appId } = await createUser(sc, 'budget-leaver@contoso.test');
      sc.demo.store.updateAccountFields(appId, { department: 'Sales' });
      const operations = [{ op: 'Replace', path: 'active', value: 'False' }];
      const config = writeCliConfig(dir, sc.demo.url);
      writeFileSync(join(dir, 'mapping.yaml'), mappingText);
      writeFileSync(
        config,
        readFileSync(config, 'utf8').replace(/^mapping: .*$/m, `mapping: ${join(dir, 'mapping.yaml')}`),
      );
      const planned = await dryRun(config, {
        method: 'PATCH',
        path: `/Users/${appId}`,
        body: patchOp(...operations),
      });
      const plannedCalls = [...planned.matchAll(/^(GET|POST|PUT|PATCH|DELETE) \S+?(\/api\/\S*)$/gm)].map(
        (m) => `${m[1]} ${m[2]}`,
      );

      await reset(sc);
      await patch(sc, `/Users/${user.id}`, ...operations);
      expect(trace(sc)).toEqual([
        `GET /api/accounts/${appId}`,
        `POST /api/accounts/${appId}/disable`,
        `PATCH /api/accounts/${appId}`,
      ]);
      expect(plannedCalls).toEqual(trace(sc));
      expect(sc.demo.store.getAccount(appId)).toMatchObject({ enabled: false, department: null });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('an update answered without the record', () => {
  let sc: Sidecar;
  beforeAll(async () => {
    const text = demoMappingText();
    const update = '        body: \'{ "account": app }\'\n        response: account\n        # Enabling';
    if (!text.includes(update)) throw new Error('mappings/demo.yaml changed shape');
    sc = await startDemoSidecar({
      clientProfile: 'entra',
      mappingText: text.replace(update, '        body: \'{ "account": app }\'\n        # Enabling'),
    });
  });
  afterAll(async () => {
    await sc.close();
  });

  it('PATCH: one read and the update; the next read shows the change', async () => {
    const { user, appId } = await createUser(sc, 'budget-204@contoso.test');
    await reset(sc);
    await patch(
      sc,
      `/Users/${user.id}`,
      { op: 'Replace', path: 'title', value: 'Sent' },
      { op: 'Replace', path: 'displayName', value: 'Shown As Sent' },
    );
    expect(trace(sc)).toEqual([`GET /api/accounts/${appId}`, `PUT /api/accounts/${appId}`]);
    const read = await sc.scim('GET', `/Users/${user.id}`);
    expect(read.resource()).toMatchObject({ title: 'Sent', displayName: 'Shown As Sent' });
    expect(sc.demo.store.getAccount(appId)).toMatchObject({ title: 'Sent' });
  });
});

describe('members written with the whole group', () => {
  let sc: Sidecar;
  beforeAll(async () => {
    const text = demoMappingText();
    const omits = '        response: team\n        omits: [members]\n';
    if (!text.includes(omits)) throw new Error('mappings/demo.yaml changed shape');
    sc = await startDemoSidecar({
      clientProfile: 'entra',
      mappingText: text.replace(omits, '        response: team\n'),
    });
  });
  afterAll(async () => {
    await sc.close();
  });

  it('a PATCH adding a member: one read and one write', async () => {
    const a = await createUser(sc, 'budget-whole1@contoso.test');
    const { group, appId } = await createGroup(sc, 'Budget whole list');
    await reset(sc);
    await patch(sc, `/Groups/${group.id}`, { op: 'Add', path: 'members', value: [{ value: a.user.id }] });
    expect(trace(sc)).toEqual([`GET /api/teams/${appId}`, `PUT /api/teams/${appId}`]);
    expect(sc.demo.store.getTeam(appId)?.member_ids).toEqual([a.appId]);
  });
});

describe('members known by login, read by a sub-read (docs/recipes/members-by-login.yaml)', () => {
  let sc: Sidecar;
  beforeAll(async () => {
    sc = await startDemoSidecar({
      clientProfile: 'entra',
      mappingText: readFileSync(resolve('docs/recipes/members-by-login.yaml'), 'utf8'),
    });
  });
  afterAll(async () => {
    await sc.close();
  });

  it('the members sub-read is made only when the request needs the members', async () => {
    const a = await createUser(sc, 'budget-login1@contoso.test');
    const b = await createUser(sc, 'budget-login2@contoso.test');
    await reset(sc);
    const { group, appId } = await createGroup(sc, 'Budget logins', [a.user.id]);
    // The create and one call per member: the id map knows the member's login.
    expect(trace(sc)).toEqual(['POST /api/teams', `POST /api/teams/${appId}/logins`]);
    await reset(sc);
    const filter = encodeURIComponent('displayName eq "Budget logins"');
    await sc.scim('GET', `/Groups?filter=${filter}&excludedAttributes=members`);
    await sc.scim('GET', `/Groups/${group.id}?excludedAttributes=members`);
    expect(trace(sc)).toEqual(['GET /api/teams', `GET /api/teams/${appId}`]);
    await reset(sc);
    await sc.scim('GET', `/Groups/${group.id}`);
    expect(trace(sc)).toEqual([`GET /api/teams/${appId}`, `GET /api/teams/${appId}/logins`]);
    await reset(sc);
    await patch(sc, `/Groups/${group.id}`, { op: 'Add', path: 'members', value: [{ value: b.user.id }] });
    expect(trace(sc)).toEqual([`POST /api/teams/${appId}/logins`]);
  });
});
