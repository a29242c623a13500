import { describe, expect, it } from 'vitest';
import {
  encodePathSegment,
  fillPath,
  type RenderInput,
  renderRequest,
} from '../../../src/connector/render-request.js';
import { compileExpression, type Expression } from '../../../src/mapping/expression.js';
import type { CompiledOperation, HttpMethod } from '../../../src/mapping/mapping-types.js';
import { ScimError } from '../../../src/scim/errors.js';

interface OperationSpec {
  method?: HttpMethod;
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string;
}

/** A compiled operation as loadMapping would build it, from expression sources. */
function operation(spec: OperationSpec): CompiledOperation {
  const pairs = (map: Record<string, string> = {}): Array<[string, Expression]> =>
    Object.entries(map).map(([name, source]) => [name, compileExpression(source)]);
  const method = spec.method ?? 'GET';
  return {
    name: 'get',
    method,
    path: spec.path,
    query: pairs(spec.query),
    headers: pairs(spec.headers),
    body: spec.body === undefined ? undefined : compileExpression(spec.body),
    response: undefined,
    retry: method === 'GET',
    items: undefined,
    total: undefined,
    pageSize: undefined,
    paging: { mode: 'none' },
    idFrom: undefined,
    subReads: [],
    itemsLack: [],
    omits: new Set(),
    keepsRecord: false,
    followUps: [],
    lookups: [],
  };
}

describe('fillPath: placeholders', () => {
  it.each<[string, string, RenderInput, string]>([
    ['a plain id', '/users/{appId}', { appId: '42' }, '/users/42'],
    ['a number', '/users/{appId}', { appId: 7 as unknown as string }, '/users/7'],
    ['zero', '/users/{appId}', { appId: 0 as unknown as string }, '/users/0'],
    ['a space', '/users/{appId}', { appId: 'a b' }, '/users/a%20b'],
    ['a slash', '/users/{appId}', { appId: 'a/b' }, '/users/a%2Fb'],
    ['a query and a fragment', '/users/{appId}', { appId: 'x?y=1#z' }, '/users/x%3Fy%3D1%23z'],
    ['a percent sign', '/users/{appId}', { appId: '100%' }, '/users/100%25'],
    ['an encoded dot-dot next to other text', '/users/{appId}', { appId: 'a%2e%2e' }, '/users/a%252e%252e'],
    ['a backslash', '/users/{appId}', { appId: '..\\..' }, '/users/..%5C..'],
    ['non-ASCII', '/users/{appId}', { appId: 'zoë' }, '/users/zo%C3%AB'],
    [
      'an e-mail address',
      '/users/by-email/{value}',
      { value: 'a+b@example.com' },
      '/users/by-email/a%2Bb%40example.com',
    ],
    [
      'two placeholders',
      '/teams/{appId}/members/{memberAppId}',
      { appId: 't 1', memberAppId: 'u/2' },
      '/teams/t%201/members/u%2F2',
    ],
    ['the same placeholder twice', '/a/{appId}/b/{appId}', { appId: 'x' }, '/a/x/b/x'],
  ])('encodes %s', (_, template, context, expected) => {
    expect(fillPath(template, context, 'get')).toBe(expected);
  });

  // URL parsers (the WHATWG parser undici uses included) treat %2E%2E as `..` and remove it:
  // no encoding of a dot-only segment is safe, so such a value must never reach the app.
  it.each(['..', '.', '...', '%2E%2E', '%2e.', '.%2E'])('refuses the dot-only id %s', (id) => {
    let thrown: unknown;
    try {
      fillPath('/api/users/{appId}/roles', { appId: id }, 'get');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ScimError);
    expect((thrown as ScimError).status).toBe(400);
    expect((thrown as ScimError).scimType).toBe('invalidValue');
  });

  it('refuses a dot-only filter value in a push-down path', () => {
    expect(() => fillPath('/api/users/by-login/{value}', { value: '..' }, 'list')).toThrow(ScimError);
  });

  it.each([
    ['../admin', '..%2Fadmin'],
    ['../../etc/passwd', '..%2F..%2Fetc%2Fpasswd'],
    ['a..b', 'a..b'],
    ['.hidden', '.hidden'],
    ['..a', '..a'],
    ['%2E%2E/x', '%252E%252E%2Fx'],
  ])('keeps %s inside one segment, also once the URL is parsed', (id, encoded) => {
    const path = fillPath('/api/users/{appId}', { appId: id }, 'get');
    expect(path).toBe(`/api/users/${encoded}`);
    expect(new URL(`http://app.local${path}`).pathname).toBe(`/api/users/${encoded}`);
  });

  it.each<[string, RenderInput]>([
    ['missing', {}],
    ['undefined', { appId: undefined }],
    ['null', { appId: null as unknown as string }],
    ['empty', { appId: '' }],
  ])('refuses a %s placeholder value with a 500 naming the operation', (_, context) => {
    let thrown: unknown;
    try {
      fillPath('/users/{appId}', context, 'update');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ScimError);
    expect((thrown as ScimError).status).toBe(500);
    expect((thrown as ScimError).message).toBe('Operation update needs {appId} but it has no value');
  });

  it('leaves a template without placeholders untouched', () => {
    expect(fillPath('/api/health', {}, 'health')).toBe('/api/health');
  });

  it('encodePathSegment encodes like encodeURIComponent and refuses dot-only values', () => {
    expect(encodePathSegment('1.2')).toBe('1.2');
    expect(encodePathSegment('a b/c')).toBe('a%20b%2Fc');
    expect(encodePathSegment('')).toBe('');
    expect(() => encodePathSegment('..')).toThrow(ScimError);
  });
});

describe('renderRequest', () => {
  it('renders method, path, query, headers and body', async () => {
    const op = operation({
      method: 'PUT',
      path: '/api/accounts/{appId}',
      query: { notify: '"false"' },
      headers: { 'X-Request-Source': '"scim"', 'If-Match': 'version' },
      body: '{ "account": app }',
    });
    const request = await renderRequest(op, { appId: 'a/1', app: { login: 'ada' }, version: 'v3' });
    expect(request).toEqual({
      method: 'PUT',
      path: '/api/accounts/a%2F1',
      query: [['notify', 'false']],
      headers: { 'X-Request-Source': 'scim', 'If-Match': 'v3' },
      body: { account: { login: 'ada' } },
    });
  });

  it('repeats a query parameter for every array item', async () => {
    const op = operation({ path: '/users', query: { id: 'ids', tag: '["a", "b", "c"]' } });
    const request = await renderRequest(op, { ids: [1, 2] });
    expect(request.query).toEqual([
      ['id', '1'],
      ['id', '2'],
      ['tag', 'a'],
      ['tag', 'b'],
      ['tag', 'c'],
    ]);
  });

  it('omits query parameters whose value is undefined or null, keeps false, 0 and ""', async () => {
    const op = operation({
      path: '/users',
      query: {
        missing: 'nothing',
        isNull: 'null',
        offset: 'offset',
        limit: 'limit',
        active: 'false',
        zero: '0',
        empty: '""',
      },
    });
    const request = await renderRequest(op, { offset: 0 });
    expect(request.query).toEqual([
      ['offset', '0'],
      ['active', 'false'],
      ['zero', '0'],
      ['empty', ''],
    ]);
  });

  it('serialises objects in the query as JSON', async () => {
    const op = operation({ path: '/users', query: { where: '{ "login": value }' } });
    expect((await renderRequest(op, { value: 'ada' })).query).toEqual([['where', '{"login":"ada"}']]);
  });

  it('puts filter push-down parameters after the operation query, with a path override', async () => {
    const op = operation({ path: '/users', query: { limit: 'limit' } });
    const request = await renderRequest(
      op,
      { limit: 50, value: 'ada lovelace' },
      [['login', compileExpression('value')]],
      '/users/by-login/{value}',
    );
    expect(request.path).toBe('/users/by-login/ada%20lovelace');
    expect(request.query).toEqual([
      ['limit', '50'],
      ['login', 'ada lovelace'],
    ]);
  });

  it("sends a parameter the list call and a push-down both set once, with the push-down's value", async () => {
    // The list call needs `query=` to list at all; the search sets `query=<login>`. Sent twice,
    // the app read the first and matched nothing: a silent "no match", and a duplicate create.
    const op = operation({ path: '/users', query: { query: '""', page: 'page', tag: '["a", "b"]' } });
    const request = await renderRequest(op, { page: 1, value: 'jdoe' }, [
      ['query', compileExpression('value')],
      ['tag', compileExpression('undefined')],
    ]);
    expect(request.query).toEqual([
      ['page', '1'],
      ['query', 'jdoe'],
    ]);
  });

  it('has no body and no headers when none are mapped', async () => {
    const request = await renderRequest(operation({ method: 'DELETE', path: '/users/{appId}' }), {
      appId: '1',
    });
    expect(request).toEqual({ method: 'DELETE', path: '/users/1', query: [], headers: {}, body: undefined });
  });

  it('drops undefined headers', async () => {
    const op = operation({ path: '/x', headers: { 'X-Tenant': 'tenant', 'X-Fixed': '"1"' } });
    expect((await renderRequest(op, {})).headers).toEqual({ 'X-Fixed': '1' });
  });

  it('refuses to render when a path placeholder has no value', async () => {
    const op = operation({ method: 'POST', path: '/teams/{appId}/members', body: '{ "id": memberAppId }' });
    await expect(renderRequest(op, { memberAppId: '5' })).rejects.toMatchObject({
      status: 500,
      message: 'Operation get needs {appId} but it has no value',
    });
  });
});
