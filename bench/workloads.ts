/**
 * W1–W5 as streams of operations. One operation is one SCIM request to scim-sidecar, or, for the
 * passthrough baseline, the same upstream calls the sidecar makes for that request, sent through
 * the plain proxy one after the other (the run verifies both sides produce the same calls).
 */
import type { SeedResult } from './ipc.js';

/** What an operation stream is sent to: the plain proxy (app REST calls) or a sidecar (SCIM). */
export type Kind = 'passthrough' | 'sidecar';
export type WorkloadId = 'W1' | 'W2' | 'W3' | 'W4' | 'W5' | 'W4soak';

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
}

export interface SidecarUser {
  id: string;
  userName: string;
}

export interface Pools {
  /** Makes user names unique across runs against the same app. */
  runId: string;
  /** Makes user names unique per proxy under test (two sidecars share one app). */
  label: string;
  scimToken: string;
  apiKey: string;
  /** Created through SCIM, so this sidecar's id map knows them. */
  sidecar: { users: SidecarUser[]; groups: string[] };
  /** Created directly in the app: the passthrough baseline's own records. */
  passthrough: SeedResult;
}

export interface Workload {
  id: WorkloadId;
  title: string;
  stream(kind: Kind, pools: Pools): OpStream;
}

const SCIM = '/scim/v2';
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
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

export function entraGroup(displayName: string): Record<string, unknown> {
  return { schemas: [GROUP_SCHEMA], externalId: `ext-${displayName}`, displayName, members: [] };
}

/** The app record the sidecar writes for {@link entraUser}. */
function appAccount(login: string, n: number, enabled: boolean): Record<string, unknown> {
  return {
    login,
    first_name: `Given${n}`,
    last_name: `Family${n}`,
    email: login,
    title: 'Engineer',
    department: 'Research',
    enabled,
  };
}

function counter(): () => number {
  let k = 0;
  return () => k++;
}

const W1: Workload = {
  id: 'W1',
  title: 'GET /Users?filter=userName eq',
  stream(kind, pools) {
    const next = counter();
    if (kind === 'sidecar') {
      const { users } = pools.sidecar;
      return {
        requestsPerOp: 1,
        headers: scimHeaders(pools),
        next: () => {
          const user = users[next() % users.length]!;
          const filter = encodeURIComponent(`userName eq "${user.userName}"`);
          return [{ method: 'GET', path: `${SCIM}/Users?filter=${filter}`, expect: 200 }];
        },
      };
    }
    const { accounts } = pools.passthrough;
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
        const body = JSON.stringify({ account: appAccount(`${prefix}.${n}@contoso.example`, n, true) });
        return [{ method: 'POST', path: '/api/accounts', body, expect: 201 }];
      },
    };
  },
};

/**
 * Entra's PATCH replacing `active` and `name.givenName`. Operation k touches user k mod U; each
 * pass over the users flips `active`, so every PATCH changes both (no no-op writes).
 */
const W3: Workload = {
  id: 'W3',
  title: 'PATCH /Users/{id} active+givenName',
  stream(kind, pools) {
    const next = counter();
    if (kind === 'sidecar') {
      const { users } = pools.sidecar;
      return {
        requestsPerOp: 1,
        headers: scimHeaders(pools),
        next: () => {
          const k = next();
          const user = users[k % users.length]!;
          const active = Math.floor(k / users.length) % 2 === 1;
          const body = JSON.stringify({
            schemas: [PATCH_OP],
            Operations: [
              { op: 'Replace', path: 'active', value: active ? 'True' : 'False' },
              { op: 'Replace', path: 'name.givenName', value: `Patched${k}` },
            ],
          });
          return [{ method: 'PATCH', path: `${SCIM}/Users/${user.id}`, body, expect: 204 }];
        },
      };
    }
    const { accounts } = pools.passthrough;
    return {
      requestsPerOp: 4,
      headers: appHeaders(pools),
      next: () => {
        const k = next();
        const index = k % accounts.length;
        const account = accounts[index]!;
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
          { method: 'GET', path, expect: 200 },
        ];
      },
    };
  },
};

/** Entra's PATCH adding one member. Operation k adds user ⌊k/G⌋ mod U to group k mod G: always new. */
const W4: Workload = {
  id: 'W4',
  title: 'PATCH /Groups/{id} add member',
  stream(kind, pools) {
    const next = counter();
    if (kind === 'sidecar') {
      const { users, groups } = pools.sidecar;
      return {
        requestsPerOp: 1,
        headers: scimHeaders(pools),
        next: () => {
          const k = next();
          const group = groups[k % groups.length]!;
          const user = users[Math.floor(k / groups.length) % users.length]!;
          const body = JSON.stringify({
            schemas: [PATCH_OP],
            Operations: [{ op: 'Add', path: 'members', value: [{ value: user.id }] }],
          });
          return [{ method: 'PATCH', path: `${SCIM}/Groups/${group}`, body, expect: 204 }];
        },
      };
    }
    const { accounts, teams } = pools.passthrough;
    return {
      requestsPerOp: 3,
      headers: appHeaders(pools),
      next: () => {
        const k = next();
        const team = teams[k % teams.length]!;
        const account = accounts[Math.floor(k / teams.length) % accounts.length]!;
        const path = `/api/teams/${team}`;
        return [
          { method: 'GET', path, expect: 200 },
          {
            method: 'POST',
            path: `${path}/members`,
            body: JSON.stringify({ account_id: account.id }),
            expect: 204,
          },
          { method: 'GET', path, expect: 200 },
        ];
      },
    };
  },
};

const W5: Workload = {
  id: 'W5',
  title: 'GET /Users/{id}',
  stream(kind, pools) {
    const next = counter();
    if (kind === 'sidecar') {
      const { users } = pools.sidecar;
      return {
        requestsPerOp: 1,
        headers: scimHeaders(pools),
        next: () => [
          { method: 'GET', path: `${SCIM}/Users/${users[next() % users.length]!.id}`, expect: 200 },
        ],
      };
    }
    const { accounts } = pools.passthrough;
    return {
      requestsPerOp: 1,
      headers: appHeaders(pools),
      next: () => [
        { method: 'GET', path: `/api/accounts/${accounts[next() % accounts.length]!.id}`, expect: 200 },
      ],
    };
  },
};

/**
 * For the soak only: members added and removed in turn (5 per group), so group sizes stay
 * bounded over any run length.
 */
const W4soak: Workload = {
  id: 'W4soak',
  title: 'PATCH /Groups/{id} add/remove member',
  stream(_kind, pools) {
    const next = counter();
    const { users, groups } = pools.sidecar;
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
          ? { op: 'Add', path: 'members', value: [{ value: user.id }] }
          : { op: 'Remove', path: `members[value eq "${user.id}"]` };
        const body = JSON.stringify({ schemas: [PATCH_OP], Operations: [operation] });
        return [{ method: 'PATCH', path: `${SCIM}/Groups/${group}`, body, expect: 204 }];
      },
    };
  },
};

export const WORKLOADS: Record<WorkloadId, Workload> = { W1, W2, W3, W4, W5, W4soak };
export const MAIN_WORKLOADS: WorkloadId[] = ['W1', 'W2', 'W3', 'W4', 'W5'];
