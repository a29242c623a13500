/**
 * A SCIM client that behaves like the Microsoft Entra provisioning service where it matters for
 * resilience: a failed request (5xx, 429) is sent again, honouring Retry-After; before creating
 * a user or a group it looks the object up by its matching attribute (`userName eq`,
 * `displayName eq`), so a create whose answer was lost is found instead of created twice; PATCH
 * bodies have Entra's shape (`Replace`, `"False"` as a string, members as value arrays).
 */

import { setTimeout as sleep } from 'node:timers/promises';
import type { HttpResult, ListResponse, ScimResource } from './sidecar.js';
import { ENTERPRISE_SCHEMA, GROUP_SCHEMA, PATCH_OP_SCHEMA, USER_SCHEMA } from './sidecar.js';

export type Transport = (
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
) => Promise<HttpResult>;

/** What the IdP means a user to look like in the app. */
export interface IntendedUser {
  userName: string;
  givenName: string;
  familyName: string;
  email: string;
  title: string;
  department: string;
  active: boolean;
}

export interface SeenError {
  method: string;
  path: string;
  status: number;
  answer: HttpResult;
}

export interface EntraLikeClientOptions {
  /** Attempts per SCIM request, the first included. */
  maxAttempts: number;
  /** Retry-After is honoured up to this long (tests keep it short). */
  maxRetryAfterMs: number;
  /**
   * Look a user up by userName before creating it (Entra does). Without, a failed create is
   * simply sent again, as simpler clients do; a 409 is then a failure.
   */
  matchBeforeCreate?: boolean;
}

type Operation = { op: string; path?: string; value?: unknown };

export class EntraLikeClient {
  /** Every non-2xx answer, in order. */
  readonly errors: SeenError[] = [];
  /** SCIM requests sent, retries included. */
  requests = 0;
  /** Lookups that found more than one object for one matching value. */
  ambiguousLookups = 0;

  constructor(
    private readonly transport: Transport,
    private readonly options: EntraLikeClientOptions = { maxAttempts: 6, maxRetryAfterMs: 1_000 },
  ) {}

  /** One SCIM request, sent again on 5xx and 429 (Retry-After honoured, capped). */
  async call(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    body?: unknown,
  ): Promise<HttpResult> {
    for (let attempt = 1; ; attempt++) {
      this.requests++;
      const answer = await this.transport(method, path, body);
      if (answer.status >= 400) this.errors.push({ method, path, status: answer.status, answer });
      const transient = answer.status >= 500 || answer.status === 429;
      if (!transient || attempt >= this.options.maxAttempts) return answer;
      const retryAfter = Number(answer.header('retry-after'));
      const wait = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : 10 * attempt;
      await sleep(Math.min(wait, this.options.maxRetryAfterMs));
    }
  }

  /** `GET /Users?filter=userName eq "…"`; undefined when not found, throws when the lookup failed. */
  async findOne(
    endpoint: '/Users' | '/Groups',
    attribute: string,
    value: string,
  ): Promise<ScimResource | undefined> {
    const filter = encodeURIComponent(`${attribute} eq ${JSON.stringify(value)}`);
    const answer = await this.call('GET', `${endpoint}?filter=${filter}`);
    if (answer.status !== 200) throw new ClientError(`lookup of ${value}`, answer);
    const list = answer.json as ListResponse;
    if (list.Resources.length > 1) this.ambiguousLookups++;
    return list.Resources[0];
  }

  /** Creates the user unless the lookup finds it; then brings it to the intended state. Returns its id. */
  async ensureUser(user: IntendedUser): Promise<string> {
    return this.rounds(`ensure user ${user.userName}`, async () => {
      if (this.options.matchBeforeCreate === false) {
        const answer = await this.call('POST', '/Users', userBody(user));
        if (answer.status === 201) return (answer.json as ScimResource).id;
        if (answer.status === 409)
          throw new Error(
            `create of ${user.userName} answered 409 to a plain retry: ${answer.text.slice(0, 300)}`,
          );
        throw new ClientError(`create of ${user.userName}`, answer);
      }
      const found = await this.findOne('/Users', 'userName', user.userName);
      if (found) {
        await this.patch('/Users', found.id, userReplaceOperations(user));
        return found.id;
      }
      const answer = await this.call('POST', '/Users', userBody(user));
      if (answer.status === 201) return (answer.json as ScimResource).id;
      throw new ClientError(`create of ${user.userName}`, answer);
    });
  }

  /** Creates the group (without members, as Entra does) unless the lookup finds it. */
  async ensureGroup(displayName: string): Promise<string> {
    return this.rounds(`ensure group ${displayName}`, async () => {
      const found = await this.findOne('/Groups', 'displayName', displayName);
      if (found) return found.id;
      const answer = await this.call('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName });
      if (answer.status === 201) return (answer.json as ScimResource).id;
      throw new ClientError(`create of group ${displayName}`, answer);
    });
  }

  /** A PATCH that must succeed (200 or 204). */
  async patch(endpoint: '/Users' | '/Groups', id: string, operations: Operation[]): Promise<void> {
    const answer = await this.call('PATCH', `${endpoint}/${id}`, {
      schemas: [PATCH_OP_SCHEMA],
      Operations: operations,
    });
    if (answer.status !== 200 && answer.status !== 204)
      throw new ClientError(`PATCH ${endpoint}/${id}`, answer);
  }

  async addMembers(groupId: string, userIds: string[]): Promise<void> {
    await this.rounds(`add members to ${groupId}`, () =>
      this.patch('/Groups', groupId, [
        { op: 'Add', path: 'members', value: userIds.map((value) => ({ value })) },
      ]),
    );
  }

  async removeMembers(groupId: string, userIds: string[]): Promise<void> {
    await this.rounds(`remove members from ${groupId}`, () =>
      this.patch('/Groups', groupId, [
        { op: 'Remove', path: 'members', value: userIds.map((value) => ({ value })) },
      ]),
    );
  }

  async updateUser(id: string, operations: Operation[]): Promise<void> {
    await this.rounds(`update user ${id}`, () => this.patch('/Users', id, operations));
  }

  /** Soft delete, as Entra sends it. */
  async deactivate(id: string): Promise<void> {
    await this.updateUser(id, [{ op: 'Replace', path: 'active', value: 'False' }]);
  }

  async activate(id: string): Promise<void> {
    await this.updateUser(id, [{ op: 'Replace', path: 'active', value: 'True' }]);
  }

  async renameGroup(id: string, displayName: string): Promise<void> {
    await this.rounds(`rename group ${id}`, () =>
      this.patch('/Groups', id, [{ op: 'Replace', path: 'displayName', value: displayName }]),
    );
  }

  /** DELETE; a 404 means an earlier attempt already did it. */
  async remove(endpoint: '/Users' | '/Groups', id: string): Promise<void> {
    await this.rounds(`delete ${endpoint}/${id}`, async () => {
      const answer = await this.call('DELETE', `${endpoint}/${id}`);
      if (answer.status !== 204 && answer.status !== 404)
        throw new ClientError(`DELETE ${endpoint}/${id}`, answer);
    });
  }

  /**
   * A whole step tried again after a failure, as Entra's next cycle would (the lookup before a
   * create runs again too). Gives up with the last error.
   */
  private async rounds<T>(label: string, step: () => Promise<T>): Promise<T> {
    let last: unknown;
    for (let round = 1; round <= this.options.maxAttempts; round++) {
      try {
        return await step();
      } catch (error) {
        if (!(error instanceof ClientError) || !error.transient) throw error;
        last = error;
      }
    }
    throw new Error(`${label}: gave up after ${this.options.maxAttempts} rounds: ${String(last)}`);
  }
}

/** A failed step; transient when a later round may succeed (5xx, 429, 409 on create). */
export class ClientError extends Error {
  readonly transient: boolean;

  constructor(
    readonly what: string,
    readonly answer: HttpResult,
  ) {
    super(`${what} answered ${answer.status}: ${answer.text.slice(0, 300)}`);
    this.transient = answer.status >= 500 || answer.status === 429 || answer.status === 409;
  }
}

export function userBody(user: IntendedUser): Record<string, unknown> {
  return {
    schemas: [USER_SCHEMA, ENTERPRISE_SCHEMA],
    externalId: `ext-${user.userName}`,
    userName: user.userName,
    active: user.active,
    displayName: `${user.givenName} ${user.familyName}`,
    title: user.title,
    name: {
      givenName: user.givenName,
      familyName: user.familyName,
      formatted: `${user.givenName} ${user.familyName}`,
    },
    emails: [{ primary: true, type: 'work', value: user.email }],
    [ENTERPRISE_SCHEMA]: { department: user.department },
  };
}

/** What Entra sends to bring a matched user to the intended state. */
export function userReplaceOperations(user: IntendedUser): Operation[] {
  return [
    { op: 'Replace', path: 'displayName', value: `${user.givenName} ${user.familyName}` },
    { op: 'Replace', path: 'name.givenName', value: user.givenName },
    { op: 'Replace', path: 'name.familyName', value: user.familyName },
    { op: 'Replace', path: 'emails[type eq "work"].value', value: user.email },
    { op: 'Replace', path: 'title', value: user.title },
    { op: 'Replace', path: `${ENTERPRISE_SCHEMA}:department`, value: user.department },
    { op: 'Replace', path: 'active', value: user.active ? 'True' : 'False' },
  ];
}
