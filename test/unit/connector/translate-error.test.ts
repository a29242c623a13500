import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { retryAfterSeconds, translateUpstreamError } from '../../../src/connector/translate-error.js';
import type { UpstreamResponse } from '../../../src/connector/upstream-client.js';
import { compileExpression } from '../../../src/mapping/expression.js';
import type { CompiledErrorRule } from '../../../src/mapping/mapping-types.js';
import { ScimError, type ScimType } from '../../../src/scim/errors.js';

function response(status: number, body?: unknown, headers: Record<string, string> = {}): UpstreamResponse {
  return { status, headers, body, unparsable: false };
}

interface RuleSpec {
  status: number | number[];
  when?: string;
  scimStatus?: number;
  scimType?: ScimType;
  detail?: string;
}

/** A compiled error rule as loadMapping would build it. */
function rule(spec: RuleSpec): CompiledErrorRule {
  return {
    statuses: new Set(Array.isArray(spec.status) ? spec.status : [spec.status]),
    when: spec.when === undefined ? undefined : compileExpression(spec.when),
    scimStatus: spec.scimStatus,
    scimType: spec.scimType,
    detail: spec.detail === undefined ? undefined : compileExpression(spec.detail),
  };
}

async function translate(
  res: UpstreamResponse,
  rules: CompiledErrorRule[] = [],
  op = 'create',
): Promise<ScimError> {
  const error = await translateUpstreamError(res, rules, op);
  if (!error) throw new Error(`HTTP ${res.status} was not translated into an error`);
  expect(error).toBeInstanceOf(ScimError);
  return error;
}

describe('translateUpstreamError: defaults', () => {
  it.each<[number, number, ScimType | undefined, number | undefined]>([
    [400, 400, 'invalidValue', undefined],
    [413, 400, 'invalidValue', undefined],
    [422, 400, 'invalidValue', undefined],
    [404, 404, undefined, undefined],
    [409, 409, 'uniqueness', undefined],
    [429, 429, undefined, 30],
    [503, 503, undefined, 30],
    [504, 504, undefined, undefined],
    [500, 502, undefined, undefined],
    [502, 502, undefined, undefined],
    [405, 502, undefined, undefined],
    [302, 502, undefined, undefined],
  ])('HTTP %i from the app → SCIM %i %s', async (upstream, status, scimType, retryAfter) => {
    const error = await translate(response(upstream, { message: 'Something went wrong' }));
    expect(error.status).toBe(status);
    expect(error.scimType).toBe(scimType);
    expect(error.retryAfter).toBe(retryAfter);
    expect(error.message).toBe(`The app rejected create (HTTP ${upstream}): Something went wrong`);
  });

  it.each([401, 403])(
    'HTTP %i means the adapter’s own credentials were refused: 502 without the body',
    async (s) => {
      const error = await translate(response(s, { message: 'token abc123 is invalid' }), [], 'list');
      expect(error.status).toBe(502);
      expect(error.scimType).toBeUndefined();
      expect(error.message).toBe(`The app refused the adapter's credentials (HTTP ${s}) during list`);
      expect(error.message).not.toContain('abc123');
    },
  );

  it.each([200, 201, 204, 299])('HTTP %i is not an error', async (status) => {
    expect(await translateUpstreamError(response(status, { ok: false }), [], 'create')).toBeUndefined();
  });

  it('uses the Retry-After of a 429 and a 503', async () => {
    expect((await translate(response(429, undefined, { 'retry-after': '120' }))).retryAfter).toBe(120);
    expect((await translate(response(503, undefined, { 'retry-after': '7' }))).retryAfter).toBe(7);
  });

  it('says only the operation and status when the body has nothing to show', async () => {
    const error = await translate(response(422, undefined), [], 'update');
    expect(error.message).toBe('The app rejected update (HTTP 422)');
  });
});

describe('translateUpstreamError: mapping rules', () => {
  const okFalse = rule({
    status: 200,
    when: 'ok = false',
    scimStatus: 409,
    scimType: 'uniqueness',
    detail: 'error.text',
  });

  it('turns an app answering 200 with {"ok":false} into the rule’s error', async () => {
    const error = await translate(response(200, { ok: false, error: { text: 'Login already taken' } }), [
      okFalse,
    ]);
    expect(error.status).toBe(409);
    expect(error.scimType).toBe('uniqueness');
    expect(error.message).toBe('Login already taken');
    expect(error.toBody()).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: '409',
      scimType: 'uniqueness',
      detail: 'Login already taken',
    });
  });

  it('lets a 200 with {"ok":true} through', async () => {
    expect(await translateUpstreamError(response(200, { ok: true }), [okFalse], 'create')).toBeUndefined();
  });

  it('does not match a 200 without a body', async () => {
    expect(await translateUpstreamError(response(200, undefined), [okFalse], 'create')).toBeUndefined();
  });

  it('only applies a rule to its statuses', async () => {
    const error = await translate(response(500, { ok: false, message: 'boom' }), [okFalse]);
    expect(error.status).toBe(502);
    expect(error.message).toBe('The app rejected create (HTTP 500): boom');
  });

  it('takes the first matching rule, skipping rules whose condition fails', async () => {
    const rules = [
      rule({ status: 400, when: 'code = "LOCKED"', scimStatus: 403, detail: '"locked"' }),
      rule({ status: [400, 422], when: 'code = "DUPLICATE"', scimStatus: 409, detail: '"duplicate"' }),
      rule({ status: [400, 422], scimStatus: 400, scimType: 'invalidSyntax', detail: '"anything else"' }),
    ];
    const duplicate = await translate(response(422, { code: 'DUPLICATE' }), rules);
    expect([duplicate.status, duplicate.scimType, duplicate.message]).toEqual([
      409,
      'uniqueness',
      'duplicate',
    ]);
    const locked = await translate(response(400, { code: 'LOCKED' }), rules);
    expect([locked.status, locked.scimType, locked.message]).toEqual([403, undefined, 'locked']);
    const other = await translate(response(400, { code: 'OTHER' }), rules);
    expect([other.status, other.scimType, other.message]).toEqual([400, 'invalidSyntax', 'anything else']);
  });

  it('derives the SCIM status and type when the rule gives none', async () => {
    const error = await translate(response(422, { message: 'Login is invalid' }), [rule({ status: 422 })]);
    expect([error.status, error.scimType]).toEqual([400, 'invalidValue']);
    expect(error.message).toBe('The app rejected create (HTTP 422): Login is invalid');
    const failure = await translate(response(200, { ok: false }), [rule({ status: 200, when: '$not(ok)' })]);
    expect([failure.status, failure.scimType]).toEqual([502, undefined]);
  });

  it('falls back to the body’s message when the rule’s detail is not a usable string', async () => {
    for (const detail of ['nothing', '{ "a": 1 }', '"<html><body>down</body></html>"', '"   "']) {
      const error = await translate(response(409, { message: 'Duplicate login' }), [
        rule({ status: 409, detail }),
      ]);
      expect(error.message).toBe('The app rejected create (HTTP 409): Duplicate login');
    }
  });

  it('passes Retry-After through a matching rule', async () => {
    const error = await translate(response(503, {}, { 'retry-after': '42' }), [
      rule({ status: 503, detail: '"later"' }),
    ]);
    expect([error.status, error.retryAfter, error.message]).toEqual([503, 42, 'later']);
  });
});

describe('translateUpstreamError: detail taken from the body', () => {
  it.each<[string, unknown, string | undefined]>([
    ['message', { message: 'Login has already been taken' }, 'Login has already been taken'],
    ['error_description', { error_description: 'bad email' }, 'bad email'],
    ['detail', { detail: 'quota exceeded' }, 'quota exceeded'],
    ['title', { title: 'Conflict' }, 'Conflict'],
    ['error as a string', { error: 'invalid_request' }, 'invalid_request'],
    ['error as an object', { error: { message: 'nested message' } }, 'nested message'],
    [
      'errors as strings',
      { errors: ['Login is too short', 'Email is invalid'] },
      'Login is too short; Email is invalid',
    ],
    [
      'errors as objects',
      { errors: [{ message: 'Login is too short' }, { detail: 'Email is invalid' }, { code: 17 }] },
      'Login is too short; Email is invalid',
    ],
    ['message before errors', { message: 'first', errors: ['second'] }, 'first'],
    ['an empty message skipped', { message: '', detail: 'used instead' }, 'used instead'],
    ['a JSON string body', 'plain explanation', 'plain explanation'],
    ['control characters replaced', { message: 'line one\n\tline two\u0000' }, 'line one line two'],
    ['no known field', { code: 'E42', field: 'login' }, undefined],
    ['an empty errors array', { errors: [] }, undefined],
    ['a number body', 42, undefined],
    ['a null body', null, undefined],
  ])('%s', async (_, body, detail) => {
    const error = await translate(response(422, body));
    expect(error.message).toBe(
      `The app rejected create (HTTP 422)${detail === undefined ? '' : `: ${detail}`}`,
    );
  });

  it.each<[string, unknown]>([
    ['an HTML error page (not JSON)', undefined],
    ['an HTML document as a JSON string', '<!DOCTYPE html><html><body><h1>500</h1></body></html>'],
    [
      'HTML in message',
      { message: '<html><head><title>Error</title></head><body>Stack: at foo()</body></html>' },
    ],
    ['an HTML body tag in errors', { errors: ['<body>oops</body>'] }],
    ['upper-case HTML', { detail: '<HTML><BODY>Proxy Error</BODY></HTML>' }],
  ])('never puts %s in the detail', async (_, body) => {
    const res: UpstreamResponse = { ...response(500, body), unparsable: body === undefined };
    const error = await translate(res);
    expect(error.message).toBe('The app rejected create (HTTP 500)');
    expect(error.message).not.toMatch(/<|html|body/i);
  });

  it('truncates a long detail to 300 characters', async () => {
    const long = 'x'.repeat(1000);
    const error = await translate(response(400, { message: long }));
    expect(error.message).toBe(`The app rejected create (HTTP 400): ${'x'.repeat(300)}…`);
  });

  it('keeps a detail of exactly 300 characters whole', async () => {
    const exact = 'y'.repeat(300);
    const error = await translate(response(400, { message: exact }));
    expect(error.message).toBe(`The app rejected create (HTTP 400): ${exact}`);
  });

  it('truncates a long rule detail too', async () => {
    const error = await translate(response(400, { text: 'z'.repeat(500) }), [
      rule({ status: 400, detail: 'text' }),
    ]);
    expect(error.message).toBe(`${'z'.repeat(300)}…`);
  });
});

describe('retryAfterSeconds', () => {
  const NOW = new Date('2026-01-01T00:00:00Z');
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(NOW);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const readHeader = (value: string | undefined) =>
    retryAfterSeconds(response(503, undefined, value === undefined ? {} : { 'retry-after': value }));

  it.each<[string, string | undefined, number | undefined]>([
    ['delay seconds', '120', 120],
    ['zero seconds', '0', 0],
    ['seconds with spaces', ' 15 ', 15],
    ['an HTTP date 90 s ahead', 'Thu, 01 Jan 2026 00:01:30 GMT', 90],
    ['an RFC 850 date', 'Thursday, 01-Jan-26 00:00:30 GMT', 30],
    ['an HTTP date in the past', 'Wed, 31 Dec 2025 23:59:00 GMT', 0],
    ['no header', undefined, undefined],
    ['an empty header', '', undefined],
    ['garbage', 'soon', undefined],
  ])('reads %s', (_, value, expected) => {
    expect(readHeader(value)).toBe(expected);
  });

  it('rounds a date part of a second ahead up to the next second', () => {
    vi.setSystemTime(new Date(NOW.getTime() - 400));
    expect(readHeader('Thu, 01 Jan 2026 00:00:00 GMT')).toBe(1);
  });

  // Neither delay-seconds (1*DIGIT) nor an HTTP-date (RFC 9110 §10.2.3): the header must be ignored.
  it.each(['-5', '1.5', '3600.0'])('ignores the invalid value %s', (value) => {
    expect(readHeader(value)).toBeUndefined();
  });
});
