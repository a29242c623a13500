/**
 * A create that takes several calls to the app (the create itself, then `disable` for a user
 * created inactive, or one `members` call per member of a new group) and fails after the first
 * call went through. The client, which never got an id, sends the same POST again: it must end
 * with the object in the state it asked for, once, not with a 409 for an object it cannot see.
 *
 * The demo mapping creates in one call; the variant here declares, like many legacy apps need,
 * that the create call cannot carry `active` (users) nor `members` (groups).
 */

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FaultKind, FaultSchedule, FaultyApp } from '../../helpers/faulty-app.js';
import { type FaultySidecar, startFaultySidecar } from '../../helpers/faulty-sidecar.js';
import { scimErrorViolation } from '../../helpers/scim-invariants.js';
import {
  BASE_PATH,
  demoMappingText,
  entraUser,
  GROUP_SCHEMA,
  type ScimResource,
  send,
} from '../../helpers/sidecar.js';

type FastifyApp = FaultySidecar['sidecar'];

/** mappings/demo.yaml with creates that cannot carry `active` and `members`. */
function splitCreateMapping(): string {
  const text = demoMappingText();
  const user = '        body: \'{ "account": app }\'\n        response: account\n';
  const group = '        body: \'{ "team": app }\'\n        response: team\n';
  if (!text.includes(user) || !text.includes(group)) throw new Error('mappings/demo.yaml changed shape');
  return text
    .replace(user, `${user}        omits: [active]\n`)
    .replace(group, `${group}        omits: [members]\n`);
}

/** Faults the first request matching `method` and `path`, and nothing else. */
function once(method: string, path: RegExp, kind: FaultKind): FaultSchedule {
  let done = false;
  return (request) => {
    if (done || request.method !== method || !path.test(request.url.split('?')[0] ?? '')) return undefined;
    done = true;
    return kind;
  };
}

let upstream: FaultyApp;
let sidecar: FastifyApp;
let faulty: FaultySidecar;

beforeAll(async () => {
  faulty = await startFaultySidecar({
    slowMs: 700,
    timeoutMs: 300,
    deadlineMs: 5_000,
    mappingText: splitCreateMapping(),
  });
  ({ upstream, sidecar } = faulty);
});

afterEach(() => {
  upstream.setSchedule(undefined);
});

afterAll(async () => {
  await faulty?.close();
});

const post = (path: string, body: unknown) => send(sidecar, 'POST', `${BASE_PATH}${path}`, { body });

describe('a create that fails after the app created the object', () => {
  it.each<[FaultKind]>([['json500'], ['reset']])(
    'a user created inactive whose disable call fails (%s): the same POST again creates nothing twice and ends inactive',
    async (kind) => {
      const userName = `inactive-${kind}@contoso.test`;
      const body = entraUser(userName, { active: false });
      upstream.setSchedule(once('POST', /^\/api\/accounts\/\d+\/disable$/, kind));
      const first = await post('/Users', body);
      expect(first.status, first.text).toBeGreaterThanOrEqual(500);
      expect(scimErrorViolation(first)).toBeUndefined();

      const second = await post('/Users', body);
      const accounts = [...upstream.accounts.values()].filter((a) => a.login === userName);
      expect(accounts, 'accounts with this login').toHaveLength(1);
      expect(second.status, `retried POST → ${second.status} ${second.text}`).toBe(201);
      expect((second.json as ScimResource).active).toBe(false);
      expect(accounts[0]?.enabled, 'the account ends disabled').toBe(false);
    },
  );

  it.each<[FaultKind]>([['json500'], ['reset']])(
    'a group created with members whose member call fails (%s): the same POST again ends with every member',
    async (kind) => {
      const members: string[] = [];
      for (const name of ['m1', 'm2', 'm3']) {
        const res = await post('/Users', entraUser(`${name}-${kind}@contoso.test`));
        expect(res.status, res.text).toBe(201);
        members.push((res.json as ScimResource).id);
      }
      const displayName = `Created with members ${kind}`;
      const body = { schemas: [GROUP_SCHEMA], displayName, members: members.map((value) => ({ value })) };
      upstream.setSchedule(once('POST', /^\/api\/teams\/\d+\/members$/, kind));
      const first = await post('/Groups', body);
      expect(first.status, first.text).toBeGreaterThanOrEqual(500);
      expect(scimErrorViolation(first)).toBeUndefined();

      const second = await post('/Groups', body);
      const teams = [...upstream.teams.values()].filter((t) => t.name === displayName);
      expect(teams, 'teams with this name').toHaveLength(1);
      expect(second.status, `retried POST → ${second.status} ${second.text}`).toBe(201);
      const returned = ((second.json as { members?: Array<{ value: string }> }).members ?? []).map(
        (m) => m.value,
      );
      expect(returned.sort()).toEqual([...members].sort());
      expect(teams[0]?.members.size, 'members in the app').toBe(3);
    },
  );
});
