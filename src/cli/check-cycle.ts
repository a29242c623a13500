import { isPlainObject } from '../scim/attributes.js';
import type { ScimResource } from '../scim/schema-types.js';
import type { RoundTripSchemas } from '../service/round-trip.js';
import { differences, expectationOf } from './check-compare.js';
import type { AppExchange, CheckTransport } from './check-transport.js';

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ENTERPRISE_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** A SCIM request to the adapter; `path` is below the base path. */
export type ScimCaller = (
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
) => Promise<{ status: number; body: unknown }>;

/** One SCIM request of a step, its answer and the app calls it made. */
export interface ScimExchange {
  /** What it is for: the step's own request, or a read back. */
  role: 'request' | 'read back' | 'cleanup';
  method: string;
  path: string;
  body?: unknown;
  status: number;
  answer: unknown;
  calls: AppExchange[];
}

export type StepOutcome = 'as written' | 'differs' | 'failed' | 'skipped';

export interface StepResult {
  number: number;
  title: string;
  outcome: StepOutcome;
  exchanges: ScimExchange[];
  /** Why the step differs or failed, one line each. */
  findings: string[];
  /** Worth knowing, not a failure: attributes the mapping does not store, why a step was skipped. */
  notes: string[];
}

export interface CycleOptions {
  /** Makes the names unique (`scim-check-<suffix>@example.com`); a replay reuses the recorded one. */
  suffix: string;
  schemas: { User: RoundTripSchemas; Group?: RoundTripSchemas };
  /** The mapping accepts the enterprise extension: the user is written with a department. */
  enterprise: boolean;
  /** Told of each step as soon as it is over. */
  onStep?: (step: StepResult) => void;
}

/** The names a cycle uses, derived from its suffix. */
export function cycleNames(suffix: string): { userName: string; externalId: string; groupName: string } {
  return {
    userName: `scim-check-${suffix}@example.com`,
    externalId: `scim-check-${suffix}`,
    groupName: `scim-check ${suffix}`,
  };
}

/**
 * The scripted cycle of `scim-sidecar check`, as Microsoft Entra sends it: create a user, find it
 * by userName, disable it with a PATCH, make a group with it as member, remove it, delete both.
 * Every write is read back and compared with what was written. Whatever fails, what was created
 * is deleted at the end (the cleanup step).
 */
export async function runCycle(
  scim: ScimCaller,
  transport: CheckTransport,
  options: CycleOptions,
): Promise<StepResult[]> {
  const names = cycleNames(options.suffix);
  const steps: StepResult[] = [];
  let userId: string | undefined;
  let groupId: string | undefined;
  let lastUser: unknown;

  const step = async (number: number, title: string, body: (run: StepRun) => Promise<void>) => {
    transport.step = number;
    const run = new StepRun(number, title, scim, transport);
    try {
      await body(run);
    } finally {
      transport.finishStep(number);
    }
    done(run.result());
  };
  const done = (result: StepResult) => {
    steps.push(result);
    options.onStep?.(result);
  };
  const skip = (number: number, title: string, why: string) =>
    done({ number, title, outcome: 'skipped', exchanges: [], findings: [], notes: [why] });

  await step(1, 'Create a user (POST /Users)', async (run) => {
    const body = userBody(names, options.enterprise);
    const created = await run.send('POST', '/Users', body);
    if (!run.expect(created, 201)) return;
    userId = idOf(created.answer);
    const { expected, notStored } = expectationOf(body, options.schemas.User);
    if (notStored.length > 0)
      run.note(
        `not stored by the mapping (accepted and dropped, as the adapter logs): ${notStored.join(', ')}`,
      );
    run.compare('the answer', expected, created.answer);
    const read = await run.send('GET', `/Users/${userId}`, undefined, 'read back');
    if (run.expect(read, 200)) run.compare('read back', expected, read.answer);
    // Step 3 expects this state, with active false.
    lastUser = read.status === 200 ? read.answer : created.answer;
  });
  if (userId === undefined) {
    for (const [n, title] of LATER_STEPS) skip(n, title, 'the user was not created');
    return steps;
  }
  const user = userId;

  await step(2, `Find it by filter (userName eq "${names.userName}")`, async (run) => {
    const found = await run.send(
      'GET',
      `/Users?filter=${encodeURIComponent(`userName eq "${names.userName}"`)}`,
    );
    if (!run.expect(found, 200)) return;
    const resources = isPlainObject(found.answer) ? found.answer.Resources : undefined;
    const ids = Array.isArray(resources) ? resources.map((r) => (isPlainObject(r) ? r.id : undefined)) : [];
    if (ids.length === 0)
      run.finding('the filter found nobody: the IdP would create the user again (check filters.userName)');
    else if (ids.length > 1 || ids[0] !== user)
      run.finding(`the filter found ${ids.length} users (${ids.join(', ')}), not just ${user}`);
  });

  await step(3, 'Disable it (PATCH active "False", as Entra sends it)', async (run) => {
    const patched = await run.send(
      'PATCH',
      `/Users/${user}`,
      patchOp({ op: 'Replace', path: 'active', value: 'False' }),
    );
    if (!run.expect(patched, 200, 204)) return;
    const read = await run.send('GET', `/Users/${user}`, undefined, 'read back');
    if (!run.expect(read, 200)) return;
    const expected: ScimResource = isPlainObject(lastUser)
      ? { ...lastUser, active: false }
      : { active: false };
    delete expected.meta;
    if (isPlainObject(lastUser) && lastUser.active === undefined)
      run.note('the mapping gives users no active attribute: a disable from the IdP cannot reach the app');
    run.compare('read back', expected, read.answer);
  });

  const group = options.schemas.Group;
  if (!group) {
    for (const [n, title] of GROUP_STEPS) skip(n, title, 'the mapping has no Group');
  } else {
    await step(4, 'Create a group with the user as member (POST /Groups)', async (run) => {
      const body = {
        schemas: [GROUP_SCHEMA],
        externalId: `${names.externalId}-group`,
        displayName: names.groupName,
        members: [{ value: user }],
      };
      const created = await run.send('POST', '/Groups', body);
      if (!run.expect(created, 201)) return;
      groupId = idOf(created.answer);
      const { expected, notStored } = expectationOf(body, group);
      if (notStored.length > 0) run.note(`not stored by the mapping: ${notStored.join(', ')}`);
      run.compare('the answer', expected, created.answer);
      const read = await run.send('GET', `/Groups/${groupId}`, undefined, 'read back');
      if (run.expect(read, 200)) run.compare('read back', expected, read.answer);
    });
    const made = groupId;
    if (made === undefined) {
      for (const [n, title] of GROUP_STEPS.slice(1)) skip(n, title, 'the group was not created');
    } else {
      await step(5, "Remove the member (PATCH Remove members with a value, Entra's form)", async (run) => {
        const patched = await run.send(
          'PATCH',
          `/Groups/${made}`,
          patchOp({ op: 'Remove', path: 'members', value: [{ value: user }] }),
        );
        if (!run.expect(patched, 200, 204)) return;
        const read = await run.send('GET', `/Groups/${made}`, undefined, 'read back');
        if (run.expect(read, 200))
          run.compare('read back', { displayName: names.groupName, members: [] }, read.answer);
      });
      await step(6, 'Delete the group (DELETE /Groups)', async (run) => {
        const deleted = await run.send('DELETE', `/Groups/${made}`);
        if (!run.expect(deleted, 204)) return;
        groupId = undefined;
        const read = await run.send('GET', `/Groups/${made}`, undefined, 'read back');
        if (read.status !== 404) run.finding(`read back: GET answered ${read.status}, not 404`);
      });
    }
  }

  await step(7, 'Delete the user (DELETE /Users)', async (run) => {
    const deleted = await run.send('DELETE', `/Users/${user}`);
    if (!run.expect(deleted, 204)) return;
    userId = undefined;
    const read = await run.send('GET', `/Users/${user}`, undefined, 'read back');
    if (read.status !== 404) run.finding(`read back: GET answered ${read.status}, not 404`);
    const found = await run.send(
      'GET',
      `/Users?filter=${encodeURIComponent(`userName eq "${names.userName}"`)}`,
      undefined,
      'read back',
    );
    if (!run.expect(found, 200)) return;
    const total = isPlainObject(found.answer) ? found.answer.totalResults : undefined;
    if (total !== 0) run.finding(`read back: the filter still finds ${String(total)} users`);
  });

  if (userId !== undefined || groupId !== undefined) {
    const leftGroup = groupId;
    const leftUser = userId;
    await step(CLEANUP_STEP, 'Cleanup: delete what the cycle created', async (run) => {
      if (leftGroup !== undefined) await run.cleanup(`/Groups/${leftGroup}`);
      if (leftUser !== undefined) await run.cleanup(`/Users/${leftUser}`);
    });
  }
  return steps;
}

/** The step number of the cleanup, after every step of the cycle. */
export const CLEANUP_STEP = 8;
const GROUP_STEPS: Array<[number, string]> = [
  [4, 'Create a group with the user as member (POST /Groups)'],
  [5, 'Remove the member'],
  [6, 'Delete the group'],
];
const LATER_STEPS: Array<[number, string]> = [
  [2, 'Find it by filter'],
  [3, 'Disable it'],
  ...GROUP_STEPS,
  [7, 'Delete the user'],
];

/** One step while it runs: its SCIM exchanges, findings and notes. */
class StepRun {
  private readonly exchanges: ScimExchange[] = [];
  private readonly findings: string[] = [];
  private readonly notes: string[] = [];
  private failed = false;

  constructor(
    private readonly number: number,
    private readonly title: string,
    private readonly scim: ScimCaller,
    private readonly transport: CheckTransport,
  ) {}

  async send(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    body?: unknown,
    role: ScimExchange['role'] = 'request',
  ): Promise<ScimExchange> {
    const from = this.transport.exchanges.length;
    const answer = await this.scim(method, path, body);
    const exchange: ScimExchange = {
      role,
      method,
      path,
      ...(body !== undefined ? { body } : {}),
      status: answer.status,
      answer: answer.body,
      calls: this.transport.exchanges.slice(from),
    };
    this.exchanges.push(exchange);
    return exchange;
  }

  /** A DELETE of something left behind; a failure is reported with the app calls it made. */
  async cleanup(path: string): Promise<void> {
    const deleted = await this.send('DELETE', path, undefined, 'cleanup');
    if (deleted.status !== 204 && deleted.status !== 404) {
      this.failed = true;
      this.findings.push(`could not delete ${path} (HTTP ${deleted.status}): delete it in the app by hand`);
    }
  }

  /** True when the answer has one of the statuses; otherwise the step failed, with the SCIM error's detail. */
  expect(exchange: ScimExchange, ...statuses: number[]): boolean {
    if (statuses.includes(exchange.status)) return true;
    this.failed = true;
    const detail = isPlainObject(exchange.answer) ? exchange.answer.detail : undefined;
    this.findings.push(
      `${exchange.method} ${exchange.path.split('?')[0]} answered ${exchange.status}, not ${statuses.join(' or ')}` +
        (typeof detail === 'string' ? `: ${detail}` : ''),
    );
    return false;
  }

  compare(what: string, expected: ScimResource, actual: unknown): void {
    for (const line of differences(expected, actual)) this.findings.push(`${what}: ${line}`);
  }

  finding(text: string): void {
    this.findings.push(text);
  }

  note(text: string): void {
    this.notes.push(text);
  }

  result(): StepResult {
    const outcome: StepOutcome = this.failed ? 'failed' : this.findings.length > 0 ? 'differs' : 'as written';
    return {
      number: this.number,
      title: this.title,
      outcome,
      exchanges: this.exchanges,
      findings: this.findings,
      notes: this.notes,
    };
  }
}

/** The user as Microsoft Entra sends it on create, with the attributes its default mapping sends. */
function userBody(names: ReturnType<typeof cycleNames>, enterprise: boolean): ScimResource {
  return {
    schemas: enterprise ? [USER_SCHEMA, ENTERPRISE_SCHEMA] : [USER_SCHEMA],
    externalId: names.externalId,
    userName: names.userName,
    active: true,
    displayName: 'Mapping Check',
    title: 'Tester',
    name: { givenName: 'Mapping', familyName: 'Check' },
    emails: [{ value: names.userName, type: 'work', primary: true }],
    ...(enterprise ? { [ENTERPRISE_SCHEMA]: { department: 'Quality' } } : {}),
  };
}

function patchOp(...operations: Array<Record<string, unknown>>): Record<string, unknown> {
  return { schemas: [PATCH_SCHEMA], Operations: operations };
}

function idOf(answer: unknown): string | undefined {
  const id = isPlainObject(answer) ? answer.id : undefined;
  return typeof id === 'string' && id !== '' ? id : undefined;
}
