/**
 * A provisioning cycle (users, groups, memberships, updates, deactivations, deletes) driven by an
 * Entra-like client through the sidecar, while the app behind it misbehaves at a fixed rate:
 * connection resets, answers held beyond the timeout, 5xx JSON, HTML error pages, 429 and 503
 * with Retry-After, truncated JSON, writes applied whose answer is lost.
 *
 * Afterwards the app must hold exactly what the client intended (nothing lost, nothing
 * duplicated, no update lost, memberships right), and every error the client saw must have been
 * a proper SCIM error. Faults are drawn from a seeded schedule (FAULT_SEED=<n> to change it), so
 * a run is reproducible.
 */

import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/app.js';
import { MemoryIdMapStore } from '../../../src/idmap/memory-store.js';
import { loadMapping } from '../../../src/mapping/load-mapping.js';
import { EntraLikeClient, type IntendedUser } from '../../helpers/entra-client.js';
import {
  FAULT_KINDS,
  type FaultyApp,
  seededRandom,
  seededSchedule,
  startFaultyApp,
} from '../../helpers/faulty-app.js';
import { StatusTally, scimErrorViolation } from '../../helpers/scim-invariants.js';
import {
  BASE_PATH,
  DEMO_MAPPING_FILE,
  deploymentConfig,
  type ListResponse,
  type ScimResource,
  send,
  UPSTREAM_API_KEY,
} from '../../helpers/sidecar.js';

const SEED = Number(process.env.FAULT_SEED ?? 11);
/** Share of the app's answers that are faults. */
const FAULT_RATE = 0.15;
const USERS = 30;
const GROUPS = 5;

type FastifyApp = Awaited<ReturnType<typeof buildApp>>;

async function startSidecar(upstreamUrl: string): Promise<FastifyApp> {
  const base = deploymentConfig(upstreamUrl, DEMO_MAPPING_FILE, { timeoutMs: 300 });
  const config = { ...base, server: { ...base.server, requestDeadlineMs: 5_000 } };
  const app = await buildApp(config, loadMapping(DEMO_MAPPING_FILE), {
    idMapStore: new MemoryIdMapStore(),
    logger: pino({ level: 'silent' }),
    retry: { baseDelayMs: 5, maxDelayMs: 50 },
  });
  await app.ready();
  return app;
}

interface IntendedGroup {
  displayName: string;
  members: Set<string>;
  deleted: boolean;
}

interface Outcome {
  objectsChecked: number;
  lost: string[];
  duplicates: string[];
  wrong: string[];
  leftOver: string[];
  scimViolations: string[];
}

type TrackedUser = IntendedUser & { id?: string; deleted: boolean };

/**
 * Compares the app's accounts with the intended users (exactly one account per live user, in
 * the intended state; none for a deleted one; no account nobody intended), and checks that the
 * id the client holds still names the user through SCIM. Returns the app id of each live user.
 */
async function verifyUsers(
  upstream: FaultyApp,
  sidecar: FastifyApp,
  users: Map<string, TrackedUser>,
  outcome: Outcome,
): Promise<Map<string, number>> {
  const live = () => [...users.values()].filter((u) => !u.deleted);
  const accounts = [...upstream.accounts.values()];
  const accountIds = new Map<string, number>();
  for (const user of users.values()) {
    outcome.objectsChecked++;
    const matches = accounts.filter((a) => a.login.toLowerCase() === user.userName.toLowerCase());
    if (user.deleted) {
      if (matches.length > 0)
        outcome.leftOver.push(`user ${user.userName} was deleted but is still in the app`);
      const answer = await send(sidecar, 'GET', `${BASE_PATH}/Users/${user.id}`);
      if (answer.status !== 404)
        outcome.leftOver.push(`GET /Users/${user.id} (deleted ${user.userName}) → ${answer.status}`);
      continue;
    }
    if (matches.length === 0) {
      outcome.lost.push(`user ${user.userName} is not in the app`);
      continue;
    }
    if (matches.length > 1)
      outcome.duplicates.push(`user ${user.userName} is in the app ${matches.length} times`);
    const [account] = matches;
    if (!account) continue;
    accountIds.set(user.userName, account.id);
    const expected = {
      first_name: user.givenName,
      last_name: user.familyName,
      email: user.email,
      title: user.title,
      department: user.department,
      enabled: user.active,
    };
    const actual = {
      first_name: account.first_name,
      last_name: account.last_name,
      email: account.email,
      title: account.title,
      department: account.department,
      enabled: account.enabled,
    };
    if (JSON.stringify(actual) !== JSON.stringify(expected)) {
      outcome.wrong.push(
        `user ${user.userName}: app has ${JSON.stringify(actual)}, intended ${JSON.stringify(expected)}`,
      );
    }
    // The id the client holds still names this user through SCIM.
    const answer = await send(sidecar, 'GET', `${BASE_PATH}/Users/${user.id}`);
    const resource = answer.json as ScimResource | undefined;
    if (answer.status !== 200 || resource?.userName !== user.userName) {
      outcome.wrong.push(
        `GET /Users/${user.id} for ${user.userName} → ${answer.status} ${answer.text.slice(0, 200)}`,
      );
    }
  }
  const intendedLogins = new Set(live().map((u) => u.userName.toLowerCase()));
  for (const account of accounts) {
    if (!intendedLogins.has(account.login.toLowerCase()) && !users.get(account.login)?.deleted) {
      outcome.leftOver.push(`account ${account.id} (${account.login}) was never intended`);
    }
  }

  return accountIds;
}

/** Prints what CI shows: faults by kind, what the client saw, the verdict. */
function report(
  label: string,
  seed: number,
  upstream: FaultyApp | undefined,
  client: EntraLikeClient | undefined,
  outcome: Outcome,
  started: number,
): void {
  const faults = FAULT_KINDS.map((kind) => `${kind}=${upstream?.faults.get(kind) ?? 0}`).join(' ');
  const statuses = new StatusTally();
  for (const error of client?.errors ?? []) statuses.add(error.status);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const shape = (path: string) => path.replace(/[0-9a-f-]{36}/g, ':id').replace(/\?.*/, '?…');
  const seen = (client?.errors ?? []).map(
    (e) =>
      `client saw ${e.status} on ${e.method} ${shape(e.path)}: ${(e.answer.json as { detail?: string } | undefined)?.detail ?? e.answer.text.slice(0, 100)}`,
  );
  const problems = [
    ...outcome.lost,
    ...outcome.duplicates,
    ...outcome.wrong,
    ...outcome.leftOver,
    ...outcome.scimViolations,
  ];
  console.log(
    [
      `[faults:${label}] seed=${seed} rate=${FAULT_RATE} time=${seconds}s`,
      `[faults:${label}] app requests: ${upstream?.requests.length ?? 0}, faults injected: ${faults}`,
      `[faults:${label}] SCIM requests: ${client?.requests ?? 0}, errors the client saw: ${statuses.toString() || 'none'}`,
      `[faults:${label}] objects checked: ${outcome.objectsChecked}, lost: ${outcome.lost.length}, duplicates: ${outcome.duplicates.length}, wrong state: ${outcome.wrong.length}, left over: ${outcome.leftOver.length}, improper SCIM errors: ${outcome.scimViolations.length}`,
      ...[...new Set(seen)].slice(0, 12).map((line) => `[faults:${label}]   ${line}`),
      ...problems.slice(0, 20).map((line) => `[faults:${label}]   PROBLEM ${line}`),
    ].join('\n'),
  );
}

/** Every error the client saw must have been a proper SCIM error (no HTML, no stack, Retry-After). */
function checkErrors(client: EntraLikeClient, outcome: Outcome): void {
  for (const error of client.errors) {
    const violation = scimErrorViolation(error.answer);
    if (violation)
      outcome.scimViolations.push(`${error.method} ${error.path} → ${error.status}: ${violation}`);
  }
}

function newOutcome(): Outcome {
  return { objectsChecked: 0, lost: [], duplicates: [], wrong: [], leftOver: [], scimViolations: [] };
}

describe('a provisioning cycle while the app misbehaves', () => {
  let upstream: FaultyApp;
  let sidecar: FastifyApp;
  let client: EntraLikeClient;
  let started = 0;
  const outcome = newOutcome();
  const users = new Map<string, TrackedUser>();
  const groups = new Map<string, IntendedGroup & { id?: string }>();

  beforeAll(async () => {
    started = performance.now();
    upstream = await startFaultyApp({
      apiKey: UPSTREAM_API_KEY,
      slowMs: 700,
      schedule: seededSchedule(SEED, FAULT_RATE),
    });
    sidecar = await startSidecar(upstream.url);
    client = new EntraLikeClient((method, path, body) =>
      send(sidecar, method, `${BASE_PATH}${path}`, body === undefined ? {} : { body }),
    );
  });

  afterAll(async () => {
    report('entra', SEED, upstream, client, outcome, started);
    await sidecar?.close();
    await upstream?.close();
  });

  it('reaches exactly the intended state, with proper SCIM errors on the way', {
    timeout: 90_000,
  }, async () => {
    const random = seededRandom(SEED);
    const userList = () => [...users.values()];
    const live = () => userList().filter((u) => !u.deleted);
    const idOf = (userName: string) => {
      const id = users.get(userName)?.id;
      if (!id) throw new Error(`no id for ${userName}`);
      return id;
    };

    // 1. Users.
    for (let i = 1; i <= USERS; i++) {
      const n = String(i).padStart(2, '0');
      const user = {
        userName: `user${n}@contoso.test`,
        givenName: `Given${n}`,
        familyName: `Family${n}`,
        email: `user${n}@contoso.test`,
        title: 'Engineer',
        department: `Dept ${i % 4}`,
        active: true,
        deleted: false,
      };
      users.set(user.userName, user);
      const stored = users.get(user.userName);
      if (stored) stored.id = await client.ensureUser(user);
    }

    // 2. Groups, then their members in batches (Entra adds members after the create).
    for (let g = 1; g <= GROUPS; g++) {
      const group = { displayName: `Team ${g}`, members: new Set<string>(), deleted: false };
      groups.set(group.displayName, group);
      const stored = groups.get(group.displayName);
      if (stored) stored.id = await client.ensureGroup(group.displayName);
    }
    for (const group of groups.values()) {
      const picked = userList().filter(() => random() < 0.3);
      for (let start = 0; start < picked.length; start += 4) {
        const batch = picked.slice(start, start + 4);
        await client.addMembers(
          group.id ?? '',
          batch.map((u) => idOf(u.userName)),
        );
        for (const u of batch) group.members.add(u.userName);
      }
    }

    // 3. Attribute updates.
    for (const user of userList().slice(0, 15)) {
      user.title = `Senior ${user.title}`;
      const ops: Array<{ op: string; path: string; value: string }> = [
        { op: 'Replace', path: 'title', value: user.title },
      ];
      if (random() < 0.5) {
        user.department = `${user.department} West`;
        ops.push({
          op: 'Replace',
          path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department',
          value: user.department,
        });
      }
      await client.updateUser(idOf(user.userName), ops);
    }

    // 4. Some members leave.
    for (const group of groups.values()) {
      const leaving = [...group.members].filter(() => random() < 0.3).slice(0, 2);
      if (leaving.length === 0) continue;
      await client.removeMembers(group.id ?? '', leaving.map(idOf));
      for (const u of leaving) group.members.delete(u);
    }

    // 5. Deactivations (Entra's soft delete).
    for (const user of userList().slice(15, 23)) {
      await client.deactivate(idOf(user.userName));
      user.active = false;
    }

    // 6. Deletes; the app drops deleted accounts from their teams.
    for (const user of userList().slice(23, 29)) {
      await client.remove('/Users', idOf(user.userName));
      user.deleted = true;
      for (const group of groups.values()) group.members.delete(user.userName);
    }
    const doomed = groups.get(`Team ${GROUPS}`);
    if (doomed?.id) {
      await client.remove('/Groups', doomed.id);
      doomed.deleted = true;
    }

    // 7. A second round of updates on records that already went through faults.
    for (const user of live().slice(0, 10)) {
      user.title = `Principal ${user.givenName}`;
      const ops = [{ op: 'Replace', path: 'title', value: user.title }];
      if (random() < 0.3) {
        user.familyName = `${user.familyName}-Smith`;
        ops.push({ op: 'Replace', path: 'name.familyName', value: user.familyName });
      }
      await client.updateUser(idOf(user.userName), ops);
    }
    const renamed = groups.get('Team 1');
    if (renamed?.id) {
      await client.renameGroup(renamed.id, 'Team 1 (renamed)');
      groups.delete('Team 1');
      renamed.displayName = 'Team 1 (renamed)';
      groups.set(renamed.displayName, renamed);
    }
    for (const user of userList().slice(15, 17)) {
      await client.activate(idOf(user.userName));
      user.active = true;
    }

    // ------------------------------------------------------------------------------------------
    // Verification, with the app healthy again
    // ------------------------------------------------------------------------------------------
    upstream.setSchedule(undefined);

    checkErrors(client, outcome);

    const accountIds = await verifyUsers(upstream, sidecar, users, outcome);

    const teams = [...upstream.teams.values()];
    for (const group of groups.values()) {
      outcome.objectsChecked++;
      const matches = teams.filter((t) => t.name.toLowerCase() === group.displayName.toLowerCase());
      if (group.deleted) {
        if (matches.length > 0)
          outcome.leftOver.push(`group ${group.displayName} was deleted but is still in the app`);
        continue;
      }
      if (matches.length === 0) {
        outcome.lost.push(`group ${group.displayName} is not in the app`);
        continue;
      }
      if (matches.length > 1)
        outcome.duplicates.push(`group ${group.displayName} is in the app ${matches.length} times`);
      const [team] = matches;
      if (!team) continue;
      const expected = [...group.members].map((u) => accountIds.get(u)).sort();
      const actual = [...team.members].sort();
      if (JSON.stringify(actual) !== JSON.stringify(expected)) {
        outcome.wrong.push(
          `group ${group.displayName}: app members ${JSON.stringify(actual)}, intended ${JSON.stringify(expected)}`,
        );
      }
      const answer = await send(sidecar, 'GET', `${BASE_PATH}/Groups/${group.id}`);
      const members = ((answer.json as { members?: Array<{ value: string }> } | undefined)?.members ?? [])
        .map((m) => m.value)
        .sort();
      const intendedIds = [...group.members].map(idOf).sort();
      if (answer.status !== 200 || JSON.stringify(members) !== JSON.stringify(intendedIds)) {
        outcome.wrong.push(
          `GET /Groups/${group.id} (${group.displayName}) → ${answer.status}, members ${JSON.stringify(members)}, intended ${JSON.stringify(intendedIds)}`,
        );
      }
    }
    const intendedTeams = new Set(
      [...groups.values()].filter((g) => !g.deleted).map((g) => g.displayName.toLowerCase()),
    );
    for (const team of teams) {
      if (!intendedTeams.has(team.name.toLowerCase()))
        outcome.leftOver.push(`team ${team.id} (${team.name}) was never intended`);
    }

    // A userName lookup finds each live user exactly once.
    for (const user of live()) {
      const answer = await send(
        sidecar,
        'GET',
        `${BASE_PATH}/Users?filter=${encodeURIComponent(`userName eq "${user.userName}"`)}`,
      );
      const list = answer.json as ListResponse;
      if (answer.status !== 200 || list.totalResults !== 1 || list.Resources[0]?.id !== user.id) {
        outcome.wrong.push(`lookup of ${user.userName} → ${answer.status} ${answer.text.slice(0, 200)}`);
      }
    }

    expect(upstream.faults.size, 'the schedule injected no fault at all').toBeGreaterThan(0);
    expect(outcome.lost, 'objects lost').toEqual([]);
    expect(outcome.duplicates, 'duplicates').toEqual([]);
    expect(outcome.wrong, 'objects in the wrong state').toEqual([]);
    expect(outcome.leftOver, 'objects that should not exist').toEqual([]);
    expect(outcome.scimViolations, 'improper SCIM errors').toEqual([]);
    expect(client.ambiguousLookups, 'lookups that found two objects').toBe(0);
  });
});

describe('a client that sends a failed create again as is (no lookup first)', () => {
  let upstream: FaultyApp;
  let sidecar: FastifyApp;
  let client: EntraLikeClient;
  let started = 0;
  const outcome = newOutcome();
  const users = new Map<string, TrackedUser>();
  const seed = SEED + 1000;

  beforeAll(async () => {
    started = performance.now();
    // Creates are where this client differs: their answers are lost far more often.
    const base = seededSchedule(seed, FAULT_RATE);
    const lostAnswers = seededSchedule(seed, 0.4, ['appliedLost', 'slowHeaders', 'truncated']);
    upstream = await startFaultyApp({
      apiKey: UPSTREAM_API_KEY,
      slowMs: 700,
      schedule: (request) =>
        request.method === 'POST' && request.url === '/api/accounts' ? lostAnswers(request) : base(request),
    });
    sidecar = await startSidecar(upstream.url);
    client = new EntraLikeClient(
      (method, path, body) =>
        send(sidecar, method, `${BASE_PATH}${path}`, body === undefined ? {} : { body }),
      { maxAttempts: 6, maxRetryAfterMs: 1_000, matchBeforeCreate: false },
    );
  });

  afterAll(async () => {
    report('plain-retry', seed, upstream, client, outcome, started);
    await sidecar?.close();
    await upstream?.close();
  });

  it('a create whose answer was lost is adopted, not refused with 409 or duplicated', {
    timeout: 90_000,
  }, async () => {
    for (let i = 1; i <= 20; i++) {
      const n = String(i).padStart(2, '0');
      const user: TrackedUser = {
        userName: `plain${n}@contoso.test`,
        givenName: `Plain${n}`,
        familyName: `Retry${n}`,
        email: `plain${n}@contoso.test`,
        title: 'Analyst',
        department: 'Finance',
        active: i % 5 !== 0,
        deleted: false,
      };
      users.set(user.userName, user);
      user.id = await client.ensureUser(user);
    }
    upstream.setSchedule(undefined);
    checkErrors(client, outcome);
    await verifyUsers(upstream, sidecar, users, outcome);

    expect(outcome.lost, 'objects lost').toEqual([]);
    expect(outcome.duplicates, 'duplicates').toEqual([]);
    expect(outcome.wrong, 'objects in the wrong state').toEqual([]);
    expect(outcome.leftOver, 'objects that should not exist').toEqual([]);
    expect(outcome.scimViolations, 'improper SCIM errors').toEqual([]);
    expect(
      client.errors.filter((e) => e.status === 409).map((e) => e.answer.text),
      '409 answers to a retried create',
    ).toEqual([]);
  });
});
