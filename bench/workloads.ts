/**
 * W1–W7 as streams of operations. One operation is one SCIM request to scim-sidecar, or, for the
 * passthrough baseline, the same upstream calls the sidecar makes for that request, sent through
 * the plain proxy one after the other (the run verifies both sides produce the same calls). The
 * baseline's calls are the fewest the demo mapping allows for the request (`minCalls`), so a
 * sidecar making more fails the run.
 */
import type { TargetPool } from './seed.js';

/** What an operation stream is sent to: the plain proxy (app REST calls) or a sidecar (SCIM). */
export type Kind = 'passthrough' | 'sidecar';
export type WorkloadId = 'W1' | 'W2' | 'W3' | 'W4' | 'W5' | 'W6' | 'W7' | 'W4soak';

export interface HttpCall {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  body?: string;
  /** The status a successful call answers. */
  expect: number;
}

/** An endless stream of operations; every operation is `requestsPerOp` HTTP requests, in order. */
export interface OpStream {
  requestsPerOp: number;
  headers: Record<string, string>;
  next(): HttpCall[];
  /** Where the stream has got to, when it matters (group sizes reached). */
  status?(): string;
}

export interface Pools {
  /** Makes user names unique across runs against the same app. */
  runId: string;
  /** Makes user names unique per proxy under test (all targets share one app). */
  label: string;
  scimToken: string;
  apiKey: string;
  /** This target's records (bench/seed.ts), by the ids this target knows them by. */
  pool: TargetPool;
}

export interface Workload {
  id: WorkloadId;
  title: string;
  /** The fewest app calls the request needs on the demo mapping: what the baseline sends. */
  minCalls: number;
  stream(kind: Kind, pools: Pools): OpStream;
}

const SCIM = '/scim/v2';
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

function scimHeaders(pools: Pools): Record<string, string> {
  return { authorization: `Bearer ${pools.scimToken}`, 'content-type': 'application/scim+json' };
}

function appHeaders(pools: Pools): Record<string, string> {
  return { 'x-api-key': pools.apiKey, 'content-type': 'application/json' };
}

/** The body Microsoft Entra sends to create a user. */
export function entraUser(userName: string, n: number): Record<string, unknown> {
  return {
    schemas: [USER_SCHEMA, ENTERPRISE],
    externalId: `ext-${userName}`,
    userName,
    active: true,
    displayName: `Given${n} Family${n}`,
    emails: [{ primary: true, type: 'work', value: userName }],
    meta: { resourceType: 'User' },
    name: { formatted: `Given${n} Family${n}`, familyName: `Family${n}`, givenName: `Given${n}` },
    title: 'Engineer',
    [ENTERPRISE]: { department: 'Research', employeeNumber: String(n) },
  };
}

function counter(): () => number {
  let k = 0;
  return () => k++;
}

const W1: Workload = {
  id: 'W1',
  title: 'GET /Users?filter=userName eq',
  minCalls: 1,
  stream(kind, pools) {
    const next = counter();
    const { accounts } = pools.pool;
    if (kind === 'sidecar') {
      return {
        requestsPerOp: 1,
        headers: scimHeaders(pools),
        next: () => {
          const account = accounts[next() % accounts.length]!;
          const filter = encodeURIComponent(`userName eq "${account.login}"`);
          return [{ method: 'GET', path: `${SCIM}/Users?filter=${filter}`, expect: 200 }];
        },
      };
    }
    return {
      requestsPerOp: 1,
      headers: appHeaders(pools),
      next: () => {
        const account = accounts[next() % accounts.length]!;
        const path = `/api/accounts?offset=0&limit=200&login=${encodeURIComponent(account.login)}`;
        return [{ method: 'GET', path, expect: 200 }];
      },
    };
  },
};

const W2: Workload = {
  id: 'W2',
  title: 'POST /Users (Entra body)',
  minCalls: 1,
  stream(kind, pools) {
    const next = counter();
    const prefix = `w2.${pools.label}.${pools.runId}`;
    if (kind === 'sidecar') {
      return {
        requestsPerOp: 1,
        headers: scimHeaders(pools),
        next: () => {
          const n = next();
          const body = JSON.stringify(entraUser(`${prefix}.${n}@contoso.example`, n));
          return [{ method: 'POST', path: `${SCIM}/Users`, body, expect: 201 }];
        },
      };
    }
    return {
      requestsPerOp: 1,
      headers: appHeaders(pools),
      next: () => {
        const n = next();
        const login = `${prefix}.${n}@contoso.example`;
        const account = {
          login,
          first_name: `Given${n}`,
          last_name: `Family${n}`,
          email: login,
          title: 'Engineer',
          department: 'Research',
          enabled: true,
        };
        return [{ method: 'POST', path: '/api/accounts', body: JSON.stringify({ account }), expect: 201 }];
      },
    };
  },
};

/**
 * Entra's PATCH replacing `active` and `name.givenName`. Operation k touches user k mod U; each
 * pass over the users flips `active`, so every PATCH changes both (no no-op writes). On the demo
 * mapping: read the account, rewrite it (the app answers with the record: no read-back), then
 * its dedicated disable or enable call.
 */
const W3: Workload = {
  id: 'W3',
  title: 'PATCH /Users/{id} active+givenName',
  minCalls: 3,
  stream(kind, pools) {
    const next = counter();
    const { users, accounts } = pools.pool;
    if (kind === 'sidecar') {
      return {
        requestsPerOp: 1,
        headers: scimHeaders(pools),
        next: () => {
          const k = next();
          const id = users[k % users.length]!;
          const active = Math.floor(k / users.length) % 2 === 1;
          const body = JSON.stringify({
            schemas: [PATCH_OP],
            Operations: [
              { op: 'Replace', path: 'active', value: active ? 'True' : 'False' },
              { op: 'Replace', path: 'name.givenName', value: `Patched${k}` },
            ],
          });
          return [{ method: 'PATCH', path: `${SCIM}/Users/${id}`, body, expect: 204 }];
        },
      };
    }
    return {
      requestsPerOp: 3,
      headers: appHeaders(pools),
      next: () => {
        const k = next();
        const account = accounts[k % accounts.length]!;
        const active = Math.floor(k / accounts.length) % 2 === 1;
        const path = `/api/accounts/${account.id}`;
        const body = JSON.stringify({
          account: {
            login: account.login,
            first_name: `Patched${k}`,
            last_name: account.last_name,
            email: account.email,
            title: account.title,
            department: account.department,
            enabled: !active,
          },
        });
        return [
          { method: 'GET', path, expect: 200 },
          { method: 'PUT', path, body, expect: 200 },
          { method: 'POST', path: `${path}/${active ? 'enable' : 'disable'}`, expect: 204 },
        ];
      },
    };
  },
};

/**
 * Entra's PATCH adding one member: `Add members [{value}]`, the group read by no one. Operation k
 * adds `members[(offset + ⌊k/G⌋) mod M]` to group k mod G, so it is always a new member until
 * k reaches G × M; group sizes grow by one per G operations, from `startSize`.
 */
function addMemberStream(
  kind: Kind,
  pools: Pools,
  groups: string[],
  members: string[],
  offset: number,
  startSize: number,
): OpStream {
  let sent = 0;
  const span = Math.max(1, members.length - offset);
  const pick = (k: number) => ({
    group: groups[k % groups.length]!,
    member: members[offset + (Math.floor(k / groups.length) % span)]!,
  });
  const status = () =>
    `${groups.length} groups of ${startSize} members at the start, about ${startSize + Math.ceil(sent / groups.length)} at the end${sent > groups.length * span ? ' (members ran out: later adds were repeats)' : ''}`;
  if (kind === 'sidecar') {
    return {
      requestsPerOp: 1,
      headers: scimHeaders(pools),
      status,
      next: () => {
        const { group, member } = pick(sent++);
        const body = JSON.stringify({
          schemas: [PATCH_OP],
          Operations: [{ op: 'Add', path: 'members', value: [{ value: member }] }],
        });
        return [{ method: 'PATCH', path: `${SCIM}/Groups/${group}`, body, expect: 204 }];
      },
    };
  }
  return {
    requestsPerOp: 1,
    headers: appHeaders(pools),
    status,
    next: () => {
      const { group, member } = pick(sent++);
      const body = JSON.stringify({ account_id: Number(member) });
      return [{ method: 'POST', path: `/api/teams/${group}/members`, body, expect: 204 }];
    },
  };
}

/** Many small groups (2000 by default), each growing by one member per 2000 operations. */
const W4: Workload = {
  id: 'W4',
  title: 'PATCH /Groups/{id} add member',
  minCalls: 1,
  stream(kind, pools) {
    const { users, groups } = pools.pool;
    return addMemberStream(kind, pools, groups, users, 0, 0);
  },
};

const W5: Workload = {
  id: 'W5',
  title: 'GET /Users/{id}',
  minCalls: 1,
  stream(kind, pools) {
    const next = counter();
    const { users } = pools.pool;
    const path = kind === 'sidecar' ? `${SCIM}/Users/` : '/api/accounts/';
    return {
      requestsPerOp: 1,
      headers: kind === 'sidecar' ? scimHeaders(pools) : appHeaders(pools),
      next: () => [{ method: 'GET', path: `${path}${users[next() % users.length]!}`, expect: 200 }],
    };
  },
};

/**
 * Entra provisioning a few big groups: one member added per PATCH, groups empty at the start
 * and growing to thousands of members over the run.
 */
const W6: Workload = {
  id: 'W6',
  title: 'PATCH add member, growing groups',
  minCalls: 1,
  stream(kind, pools) {
    const { growingGroups, crowd } = pools.pool;
    return addMemberStream(kind, pools, growingGroups, crowd, 0, 0);
  },
};

/** One member added per PATCH into groups of 10 000 members (`--big-group-size`). */
const W7: Workload = {
  id: 'W7',
  title: 'PATCH add member, 10k-member groups',
  minCalls: 1,
  stream(kind, pools) {
    const { bigGroups, crowd, bigGroupSize } = pools.pool;
    return addMemberStream(kind, pools, bigGroups, crowd, bigGroupSize, bigGroupSize);
  },
};

/**
 * For the soak only: members added and removed in turn (5 per group), so group sizes stay
 * bounded over any run length.
 */
const W4soak: Workload = {
  id: 'W4soak',
  title: 'PATCH /Groups/{id} add/remove member',
  minCalls: 1,
  stream(_kind, pools) {
    const next = counter();
    const { users, groups } = pools.pool;
    const perGroup = 5;
    return {
      requestsPerOp: 1,
      headers: scimHeaders(pools),
      next: () => {
        const k = next();
        const group = groups[k % groups.length]!;
        const turn = Math.floor(k / groups.length);
        const user = users[turn % perGroup]!;
        const add = Math.floor(turn / perGroup) % 2 === 0;
        const operation = add
          ? { op: 'Add', path: 'members', value: [{ value: user }] }
          : { op: 'Remove', path: `members[value eq "${user}"]` };
        const body = JSON.stringify({ schemas: [PATCH_OP], Operations: [operation] });
        return [{ method: 'PATCH', path: `${SCIM}/Groups/${group}`, body, expect: 204 }];
      },
    };
  },
};

export const WORKLOADS: Record<WorkloadId, Workload> = { W1, W2, W3, W4, W5, W6, W7, W4soak };
export const MAIN_WORKLOADS: WorkloadId[] = ['W1', 'W2', 'W3', 'W4', 'W5', 'W6', 'W7'];
