/**
 * Secrets never appear in logs, the audit trail, error answers or dry-run output; personal data
 * appears in logs at debug level only. A representative run of provisioning (create, filter,
 * search, get, patch, put, delete with each auth method), authentication failures (wrong token,
 * wrong password, bad JWTs, a throttle block), upstream errors (conflict, an error quoting the
 * user, a refused API key, an app that is down) and passthrough traffic is made against
 * sidecars whose logs are captured in memory; then every line is searched for every secret.
 */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dryRun } from '../../src/cli/dry-run.js';
import type { InboundAuthConfig } from '../../src/config/deployment-config.js';
import type { LogLevel } from '../../src/ops/logger.js';
import { hashPassword, hashToken } from '../../src/security/credentials.js';
import {
  JwksServer,
  type RecordingApp,
  type SecureSidecar,
  signToken,
  startRecordingApp,
  startSecureSidecar,
  tempDir,
} from '../helpers/security.js';
import {
  DEMO_MAPPING_FILE,
  type HttpResult,
  patchOp,
  SCIM_TOKEN,
  send,
  UPSTREAM_API_KEY,
  USER_SCHEMA,
} from '../helpers/sidecar.js';

const BASIC_USER = 'provisioning-bot';
const BASIC_PASSWORD = 'Tr0ub4dor&3-basic-secret';
const WRONG_UPSTREAM_KEY = 'wrong-upstream-key-5c0ffee';
const GUESSED_PASSWORD = 'Tr0ub4dor&3-basic-secreT';

/** Personal data of the users provisioned below: what must stay out of info-level logs. */
const PEOPLE = [
  { userName: 'aurelia.quistgaard@contoso.example', given: 'Aurelia', family: 'Quistgaard' },
  { userName: 'bartholomew.ngata@contoso.example', given: 'Bartholomew', family: 'Ngata' },
  { userName: 'cosima.fairweather@contoso.example', given: 'Cosima', family: 'Fairweather' },
];
const PII = PEOPLE.flatMap((p) => [p.userName, p.given, p.family, p.userName.split('@')[0] as string]);

let jwks: JwksServer;
let signing: Awaited<ReturnType<JwksServer['newKey']>>;
/** Every secret used anywhere in the run; tokens are added as they are minted. */
const secrets: string[] = [
  SCIM_TOKEN,
  BASIC_PASSWORD,
  GUESSED_PASSWORD,
  Buffer.from(`${BASIC_USER}:${BASIC_PASSWORD}`).toString('base64'),
  UPSTREAM_API_KEY,
  WRONG_UPSTREAM_KEY,
];

function auth(): InboundAuthConfig {
  return {
    bearer: { tokens: [{ name: 'entra-secret-token', hash: hashToken(SCIM_TOKEN) }] },
    basic: { username: BASIC_USER, passwordHash: hashPassword(BASIC_PASSWORD) },
    jwt: jwks.config(),
  };
}

async function jwt(options: Parameters<typeof signToken>[1] = {}): Promise<string> {
  const token = await signToken(signing, options);
  secrets.push(token, token.split('.')[2] as string);
  return token;
}

const basicHeader = (password: string) =>
  `Basic ${Buffer.from(`${BASIC_USER}:${password}`).toString('base64')}`;

function user(person: (typeof PEOPLE)[number]): Record<string, unknown> {
  return {
    schemas: [USER_SCHEMA],
    userName: person.userName,
    externalId: `ext-${person.given.toLowerCase()}`,
    active: true,
    displayName: `${person.given} ${person.family}`,
    name: { givenName: person.given, familyName: person.family },
    emails: [{ primary: true, type: 'work', value: person.userName }],
  };
}

/**
 * The run against a sidecar in front of the demo app. Returns every response; authentication
 * failures come last, as they end with the caller's address blocked.
 */
async function provisioningRun(sc: SecureSidecar): Promise<HttpResult[]> {
  const responses: HttpResult[] = [];
  const scim = async (
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    options: Parameters<typeof send>[3] = {},
  ) => {
    const res = await send(sc.app, method, `/scim/v2${path}`, options);
    responses.push(res);
    return res;
  };
  const credentials = [
    { authorization: `Bearer ${SCIM_TOKEN}` },
    { authorization: basicHeader(BASIC_PASSWORD) },
    { authorization: `Bearer ${await jwt()}` },
  ];
  for (const [i, person] of PEOPLE.entries()) {
    const as = credentials[i] as { authorization: string };
    const created = await scim('POST', '/Users', { ...as, body: user(person) });
    expect(created.status, created.text).toBe(201);
    const id = created.resource().id;
    const filter = encodeURIComponent(`userName eq "${person.userName}"`);
    expect((await scim('GET', `/Users?filter=${filter}`, as)).status).toBe(200);
    expect(
      (
        await scim('POST', '/Users/.search', {
          ...as,
          body: { filter: `name.familyName eq "${person.family}"` },
        })
      ).status,
    ).toBe(200);
    expect((await scim('GET', `/Users/${id}`, as)).status).toBe(200);
    const patch = patchOp(
      { op: 'Replace', path: 'displayName', value: `${person.given} ${person.family} (Sales)` },
      { op: 'Replace', path: 'name.givenName', value: person.given },
    );
    expect((await scim('PATCH', `/Users/${id}`, { ...as, body: patch })).status).toBe(204);
    expect((await scim('PUT', `/Users/${id}`, { ...as, body: user(person) })).status).toBe(200);
    // Upstream conflict: the same user again.
    expect((await scim('POST', '/Users', { ...as, body: user(person) })).status).toBe(409);
    // Input errors quoting personal data.
    const bad = encodeURIComponent(`userName eq "${person.userName}" and`);
    expect((await scim('GET', `/Users?filter=${bad}`, as)).status).toBe(400);
    expect(
      (await scim('POST', '/Users', { ...as, body: { ...user(person), active: person.given } })).status,
    ).toBe(400);
    expect((await scim('DELETE', `/Users/${id}`, as)).status).toBe(204);
  }
  // Passthrough traffic with the app's own key and with a SCIM credential.
  await send(sc.app, 'GET', `/api/accounts?login=${PEOPLE[0]?.userName}`, {
    token: null,
    headers: { 'x-api-key': UPSTREAM_API_KEY },
  });
  await send(sc.app, 'GET', '/', { authorization: `Bearer ${SCIM_TOKEN}` });
  // Authentication failures, ending in a throttle block.
  const failures = [
    { authorization: 'Bearer not-the-token' },
    { authorization: `Bearer ${SCIM_TOKEN}x` },
    { authorization: basicHeader(GUESSED_PASSWORD) },
    { authorization: `Bearer ${await jwt({ expiresIn: -600 })}` },
    { authorization: `Bearer ${await jwt({ audience: 'api://another-app' })}` },
    { authorization: `Bearer ${(await jwt()).slice(0, -4)}AAAA` },
  ];
  for (const as of failures) expect((await scim('GET', '/Users', as)).status).toBe(401);
  // The sixth failed bearer token blocks wrong bearer tokens from the address, never the valid one.
  expect((await scim('GET', '/Users', { authorization: `Bearer ${SCIM_TOKEN}-guess` })).status).toBe(401);
  expect((await scim('GET', '/Users', { authorization: `Bearer ${SCIM_TOKEN}-again` })).status).toBe(429);
  expect((await scim('GET', '/Users', { authorization: `Bearer ${SCIM_TOKEN}` })).status).toBe(200);
  return responses;
}

/** Upstream failures: an error quoting the user, a refused API key, an app that is down. */
async function upstreamFailureRun(level: LogLevel) {
  const quoting: RecordingApp = await startRecordingApp((req) =>
    req.method === 'POST'
      ? {
          status: 422,
          json: {
            errors: [`Login ${PEOPLE[0]?.userName} (${PEOPLE[0]?.given} ${PEOPLE[0]?.family}) is taken`],
          },
        }
      : { status: 500, json: { error: `crash while reading ${PEOPLE[0]?.userName}` } },
  );
  const runs: SecureSidecar[] = [];
  const responses: HttpResult[] = [];
  try {
    const withQuotingApp = await startSecureSidecar({
      auth: auth(),
      upstreamUrl: quoting.url,
      logLevel: level,
    });
    runs.push(withQuotingApp);
    responses.push(
      await send(withQuotingApp.app, 'POST', '/scim/v2/Users', {
        body: user(PEOPLE[0] as (typeof PEOPLE)[number]),
      }),
    );
    responses.push(
      await send(
        withQuotingApp.app,
        'GET',
        `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${PEOPLE[1]?.userName}"`)}`,
      ),
    );
    const wrongKey = await startSecureSidecar({
      auth: auth(),
      logLevel: level,
      upstreamAuth: { header: { name: 'X-Api-Key', value: WRONG_UPSTREAM_KEY } },
    });
    runs.push(wrongKey);
    responses.push(
      await send(wrongKey.app, 'POST', '/scim/v2/Users', {
        body: user(PEOPLE[1] as (typeof PEOPLE)[number]),
      }),
    );
    const down = await startSecureSidecar({ auth: auth(), logLevel: level });
    runs.push(down);
    await down.demo?.close();
    responses.push(
      await send(down.app, 'POST', '/scim/v2/Users', { body: user(PEOPLE[2] as (typeof PEOPLE)[number]) }),
    );
    responses.push(await send(down.app, 'GET', '/readyz', { token: null }));
    expect(responses.map((r) => r.status)).toEqual([400, 502, 502, 503, 503]);
    return {
      responses,
      lines: runs.flatMap((r) => [...r.logs.lines, ...r.audit.lines]),
    };
  } finally {
    for (const run of runs) await run.close();
    await quoting.close();
  }
}

function findings(lines: string[], needles: string[]): Array<{ needle: string; line: string }> {
  const found: Array<{ needle: string; line: string }> = [];
  for (const line of lines) {
    const lower = line.toLowerCase();
    for (const needle of needles) if (lower.includes(needle.toLowerCase())) found.push({ needle, line });
  }
  return found;
}

beforeAll(async () => {
  jwks = await JwksServer.start();
  signing = await jwks.newKey('entra-signing-key');
});

afterAll(async () => {
  await jwks.close();
});

describe.each<LogLevel>(['debug', 'info'])('a provisioning run logged at %s level', (level) => {
  let sc: SecureSidecar;
  let responses: HttpResult[];
  let upstream: Awaited<ReturnType<typeof upstreamFailureRun>>;

  beforeAll(async () => {
    sc = await startSecureSidecar({
      auth: auth(),
      logLevel: level,
      server: { authThrottle: { maxFailures: 6, windowSec: 60, blockSec: 60 } },
    });
    responses = await provisioningRun(sc);
    upstream = await upstreamFailureRun(level);
  });

  afterAll(async () => {
    await sc.close();
  });

  it('produced log lines and audit lines for the whole run', () => {
    expect(sc.logs.lines.length).toBeGreaterThan(level === 'debug' ? 100 : 30);
    expect(sc.audit.lines.length).toBeGreaterThan(30);
    expect(upstream.lines.length).toBeGreaterThan(5);
  });

  it('has no secret in any log line or audit line', () => {
    const lines = [...sc.logs.lines, ...sc.audit.lines, ...upstream.lines];
    expect(findings(lines, secrets)).toEqual([]);
  });

  it('has no secret in any answer', () => {
    const bodies = [...responses, ...upstream.responses].map((r) => `${JSON.stringify(r.headers)} ${r.text}`);
    expect(findings(bodies, secrets)).toEqual([]);
  });

  it('has no secret and no personal data in the metrics', async () => {
    const metrics = await send(sc.app, 'GET', '/metrics', { token: null });
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('# TYPE');
    expect(findings(metrics.text.split('\n'), [...secrets, ...PII])).toEqual([]);
  });

  it('has no personal data in the audit trail', () => {
    expect(findings([...sc.audit.lines], PII)).toEqual([]);
  });

  if (level === 'info') {
    it('has no personal data in any info-level log line', () => {
      expect(findings([...sc.logs.lines, ...upstream.lines], PII)).toEqual([]);
    });
  } else {
    it('keeps the details (with the personal data they quote) at debug level', () => {
      const debug = [...sc.logs.lines, ...upstream.lines].filter((line) => JSON.parse(line).level === 20);
      // The app's "Login aurelia.quistgaard@… is taken", kept for whoever debugs it.
      expect(findings(debug, PII).length).toBeGreaterThan(0);
    });
  }
});

describe('dry-run output', () => {
  let dir: string;
  let cleanup: () => void;

  beforeAll(() => {
    ({ dir, cleanup } = tempDir('scim-dry-run-'));
  });
  afterAll(() => cleanup());

  function config(upstreamAuth: string[]): string {
    const file = join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(
      file,
      [
        'auth:',
        '  basic:',
        `    username: ${BASIC_USER}`,
        `    passwordHash: "${hashPassword(BASIC_PASSWORD)}"`,
        'upstream:',
        '  baseUrl: http://127.0.0.1:9',
        '  auth:',
        ...upstreamAuth,
        `mapping: ${DEMO_MAPPING_FILE}`,
        'idMap:',
        '  store: memory',
        '',
      ].join('\n'),
    );
    return file;
  }

  it.each([
    ['an API key header', ['    header:', '      name: X-Api-Key', `      value: "${UPSTREAM_API_KEY}"`]],
    ['a bearer token', [`    bearer: "${UPSTREAM_API_KEY}"`]],
    ['basic credentials', ['    basic:', '      username: scim', `      password: "${UPSTREAM_API_KEY}"`]],
  ])('never prints the app credentials (%s)', async (_label, upstreamAuth) => {
    const file = config(upstreamAuth);
    const outputs = [
      await dryRun(file, {
        method: 'POST',
        path: '/Users',
        body: user(PEOPLE[0] as (typeof PEOPLE)[number]),
      }),
      await dryRun(file, {
        method: 'GET',
        path: `/Users?filter=${encodeURIComponent('userName eq "x@y.z"')}`,
      }),
      await dryRun(file, { method: 'DELETE', path: '/Users/42' }),
    ];
    const text = outputs.join('\n');
    expect(text).toContain('[redacted]');
    const basicOfKey = Buffer.from(`scim:${UPSTREAM_API_KEY}`).toString('base64');
    expect(findings(text.split('\n'), [...secrets, basicOfKey])).toEqual([]);
  });
});
