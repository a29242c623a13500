import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, type ConfigIssue, formatIssue } from '../../../src/config/config-error.js';
import { renderRequest } from '../../../src/connector/render-request.js';
import { loadMapping } from '../../../src/mapping/load-mapping.js';
import type { CompiledMapping } from '../../../src/mapping/mapping-types.js';

/** Counts calls to the JSONata compiler while keeping the real one. */
const compiler = vi.hoisted(() => ({ calls: 0 }));
vi.mock('jsonata', async (importOriginal) => {
  // jsonata is CommonJS (`export =`): its ES namespace carries the compiler as `default`.
  const real = await importOriginal<{ default: typeof import('jsonata') }>();
  const compile = real.default;
  const counting = (...args: Parameters<typeof compile>): ReturnType<typeof compile> => {
    compiler.calls += 1;
    return compile(...args);
  };
  return { ...real, default: counting };
});

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const fixture = (name: string): string => join(FIXTURES, name);
const DEMO = fileURLToPath(new URL('../../../mappings/demo.yaml', import.meta.url));

function mappingError(file: string, text?: string): ConfigError {
  try {
    loadMapping(file, text);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected ${file} to be rejected`);
}

/** `line:col path: message` of every issue, in order. */
const summary = (issues: ConfigIssue[]): string[] =>
  issues.map((i) => `${i.line}:${i.column} ${i.path}: ${i.message}`);

describe('loadMapping: mappings/demo.yaml', () => {
  let demo: CompiledMapping;
  beforeEach(() => {
    demo = loadMapping(DEMO);
  });

  it('loads with both resource types and the health call', () => {
    expect(demo.file).toBe(resolve(DEMO));
    expect(demo.app).toBe('acme-directory');
    expect(Object.keys(demo.resources)).toEqual(['User', 'Group']);
    expect(demo.health).toMatchObject({ name: 'health', method: 'GET', path: '/api/health', retry: true });
    expect(demo.errors).toEqual([]);
  });

  it('compiles the User operations with their defaults', () => {
    const user = demo.resources.User;
    expect(user?.resourceType).toBe('User');
    expect(user?.enterpriseExtension).toBe(true);
    expect(Object.keys(user?.operations ?? {})).toEqual(
      expect.arrayContaining(['activate', 'create', 'deactivate', 'delete', 'get', 'list', 'update']),
    );
    expect(user?.operations.get).toMatchObject({ method: 'GET', path: '/api/accounts/{appId}', retry: true });
    expect(user?.operations.create).toMatchObject({ method: 'POST', path: '/api/accounts', retry: false });
    expect(user?.operations.list.pageSize).toBe(200);
    expect(user?.operations.list.query.map(([name]) => name)).toEqual(['offset', 'limit']);
    expect([...(user?.operations.update?.omits ?? [])]).toEqual(['active']);
    // Filter keys are lower-cased SCIM paths.
    expect(user?.filters.has('username')).toBe(true);
    expect(user?.filters.has('userName')).toBe(false);
    expect(user?.errors.some((rule) => rule.statuses.has(400))).toBe(true);
  });

  it('compiles the Group operations, lower-casing itemsLack', () => {
    const group = demo.resources.Group;
    expect(group?.operations.list.itemsLack).toEqual(['members']);
    expect([...(group?.operations.update?.omits ?? [])]).toEqual(['members']);
    expect(group?.operations.removeMember?.path).toBe('/api/teams/{appId}/members/{memberAppId}');
    expect(group?.operations.removeMember?.retry).toBe(false);
    expect(group?.enterpriseExtension).toBe(false);
  });

  it('has working expressions', async () => {
    const user = demo.resources.User;
    const scim = await user?.toScim.evaluate({
      id: 7,
      login: 'ada',
      first_name: 'Ada',
      last_name: 'Lovelace',
      email: 'ada@example.com',
      enabled: true,
    });
    expect(scim).toMatchObject({
      userName: 'ada',
      displayName: 'Ada Lovelace',
      emails: [{ value: 'ada@example.com', type: 'work', primary: true }],
      active: true,
    });
    expect(await user?.id.evaluate({ id: 7 })).toBe(7);
    const app = await user?.fromScim.evaluate({ userName: 'bob', displayName: 'Bob Stone' });
    expect(app).toMatchObject({ login: 'bob', first_name: 'Bob', last_name: 'Stone', enabled: true });
  });

  it('loads a minimal mapping from the fixtures too', () => {
    const minimal = loadMapping(fixture('minimal.yaml'));
    expect(minimal.app).toBe('tiny');
    expect(minimal.health).toBeUndefined();
    expect(Object.keys(minimal.resources)).toEqual(['User']);
    expect(minimal.resources.User?.operations.update).toBeUndefined();
    expect(minimal.resources.User?.filters.size).toBe(0);
  });
});

describe('loadMapping: JSONata syntax errors', () => {
  const file = fixture('jsonata-errors.yaml');
  const error = mappingError(file);
  const fix = 'check the expression at https://try.jsonata.org';

  it.each<[string, number, number, RegExp]>([
    ['resources.User.toScim', 5, 13, /^JSONata error at character 57: Expected "\)", got "\}" \(S0202\)$/],
    ['resources.User.fromScim', 10, 15, /^JSONata error at character 12: .*\(S0211\)$/],
    ['resources.User.operations.create.body', 15, 15, /^JSONata error at character 13: .*\(S0203\)$/],
    ['resources.User.operations.list.query.offset', 23, 19, /^JSONata error at character 8: .*\(S0207\)$/],
  ])('reports %s at %i:%i with the character position', (path, line, column, message) => {
    const issue = error.issues.find((i) => i.path === path);
    expect(issue).toMatchObject({ file, line, column, fix });
    expect(issue?.message).toMatch(message);
  });

  it('reports all four expressions at once', () => {
    expect(error.issues).toHaveLength(4);
    expect(error.message.split('\n')[0]).toBe('4 problems found:');
  });

  it('formats the problem as file:line:col path: message (fix: ...)', () => {
    expect(error.message.split('\n')).toContain(
      `  ${file}:10:15 resources.User.fromScim: JSONata error at character 12: ` +
        `The symbol "}" cannot be used as a unary operator (S0211) (fix: ${fix})`,
    );
  });
});

describe('loadMapping: cross-checks', () => {
  const file = fixture('many-problems.yaml');
  const error = mappingError(file);

  it('reports every problem of the file together', () => {
    expect(summary(error.issues).sort()).toEqual(
      [
        '23:15 resources.User.operations.get.path: unknown placeholder {userId} in path',
        '30:16 resources.User.operations.update.omits: update omits active but activate/deactivate are not both declared',
        '20:16 resources.User.operations.create.omits: create omits active but deactivate is not declared',
        '17:7 resources.User.operations: addMember/removeMember belong to Group',
        "11:7 resources.User.filters.user name: 'user name' is not a SCIM attribute path",
        '14:15 resources.User.filters.emails.value.path: unknown placeholder {email} in path',
        '51:16 resources.Group.operations.update.omits: update omits members but addMember/removeMember are not both declared',
        '39:7 resources.Group.operations: declare both activate and deactivate, or neither',
        '36:13 resources.Group.toScim: JSONata error at character 24: The symbol "}" cannot be used as a unary operator (S0211)',
        '4:11 errors[0].when: JSONata error at character 14: Unexpected end of expression (S0207)',
      ].sort(),
    );
    expect(error.issues.every((i) => i.file === file)).toBe(true);
  });

  it('names the allowed placeholders for {userId}', () => {
    expect(error.message.split('\n')).toContain(
      `  ${file}:23:15 resources.User.operations.get.path: unknown placeholder {userId} in path ` +
        '(fix: use one of {appId}, {memberAppId}, {memberKey}, {value})',
    );
  });

  it('explains update.omits: [active] without activate/deactivate', () => {
    expect(error.message.split('\n')).toContain(
      `  ${file}:30:16 resources.User.operations.update.omits: update omits active but activate/deactivate ` +
        'are not both declared (fix: declare operations.activate and operations.deactivate, or remove active from omits)',
    );
  });

  it('gives every cross-check problem a fix', () => {
    const withoutFix = error.issues.filter((i) => !i.fix).map(formatIssue);
    expect(withoutFix).toEqual([]);
  });

  it.each<[string, string, string]>([
    ['{userId}', '/users/{userId}', 'unknown placeholder {userId} in path'],
    ['an empty {}', '/users/{}', 'unknown placeholder {} in path'],
    [
      'a second bad placeholder after a good one',
      '/users/{appId}/x/{id}',
      'unknown placeholder {id} in path',
    ],
  ])('refuses %s in a path', (_, path, message) => {
    const text = minimalText().replace('path: /users/{appId}', `path: "${path}"`);
    const issues = mappingError('/virtual/m.yaml', text).issues;
    expect(issues.map((i) => [i.path, i.message])).toEqual([['resources.User.operations.get.path', message]]);
  });

  it.each(['{appId}', '{memberAppId}', '{memberKey}', '{value}'])(
    'accepts the placeholder %s',
    (placeholder) => {
      const text = minimalText().replace('path: /users/{appId}', `path: "/users/${placeholder}"`);
      expect(loadMapping('/virtual/m.yaml', text).resources.User?.operations.get.path).toBe(
        `/users/${placeholder}`,
      );
    },
  );

  it('accepts update.omits: [active] once activate and deactivate exist', () => {
    const text = `${minimalText()}
      update:
        method: PUT
        path: /users/{appId}
        omits: [active]
      activate:
        method: POST
        path: /users/{appId}/enable
      deactivate:
        method: POST
        path: /users/{appId}/disable
`;
    expect([
      ...(loadMapping('/virtual/m.yaml', text).resources.User?.operations.update?.omits ?? []),
    ]).toEqual(['active']);
  });
});

describe('loadMapping: schema problems', () => {
  it('reports missing required operations and an unknown one, with their fixes', () => {
    const file = fixture('missing-operations.yaml');
    const error = mappingError(file);
    expect(error.issues).toEqual([
      {
        file,
        line: 8,
        column: 7,
        path: 'resources.User.operations',
        message: "'get' is required here",
        fix: 'declare at least create, get and list',
      },
      {
        file,
        line: 8,
        column: 7,
        path: 'resources.User.operations',
        message: "'list' is required here",
        fix: 'declare at least create, get and list',
      },
      {
        file,
        line: 11,
        column: 7,
        path: 'resources.User.operations.delte',
        message: "unknown setting 'delte'",
        fix: "did you mean 'delete'?",
      },
    ]);
    expect(error.message).toBe(
      [
        '3 problems found:',
        `  ${file}:8:7 resources.User.operations: 'get' is required here (fix: declare at least create, get and list)`,
        `  ${file}:8:7 resources.User.operations: 'list' is required here (fix: declare at least create, get and list)`,
        `  ${file}:11:7 resources.User.operations.delte: unknown setting 'delte' (fix: did you mean 'delete'?)`,
      ].join('\n'),
    );
  });

  it.each<[string, string, Partial<ConfigIssue>]>([
    [
      'a lower-case method',
      minimalText().replace(
        'method: GET\n        path: /users/{appId}',
        'method: get\n        path: /users/{appId}',
      ),
      {
        line: 13,
        column: 17,
        path: 'resources.User.operations.get.method',
        message: 'must be one of "GET", "POST", "PUT", "PATCH", "DELETE"',
        fix: 'use one of GET, POST, PUT, PATCH, DELETE (upper case)',
      },
    ],
    [
      'a path without a leading slash',
      minimalText().replace('path: /users/{appId}', 'path: users/{appId}'),
      {
        line: 14,
        column: 15,
        path: 'resources.User.operations.get.path',
        message: 'must match pattern "^/"',
        fix: "start the path with '/', e.g. /api/users/{appId}",
      },
    ],
    [
      'no resources at all',
      'app: nothing\nresources: {}\n',
      {
        line: 2,
        column: 12,
        path: 'resources',
        message: 'must NOT have fewer than 1 properties',
        fix: 'map at least User (and Group if the app has groups)',
      },
    ],
    [
      'a misspelt resource type',
      minimalText().replace('  User:', '  Users:'),
      {
        line: 3,
        column: 3,
        path: 'resources.Users',
        message: "unknown setting 'Users'",
        fix: "did you mean 'User'?",
      },
    ],
  ])('reports %s', (_, text, want) => {
    const issues = mappingError('/virtual/m.yaml', text).issues;
    expect(issues).toEqual([{ file: resolve('/virtual/m.yaml'), ...want }]);
  });
});

describe('loadMapping: expressions are compiled once', () => {
  it('compiles at load time and never again while rendering requests', async () => {
    const before = compiler.calls;
    const mapping = loadMapping(DEMO);
    const compiledAtLoad = compiler.calls - before;
    expect(compiledAtLoad).toBeGreaterThan(20);

    const user = mapping.resources.User;
    const group = mapping.resources.Group;
    if (!user || !group) throw new Error('demo mapping lacks User or Group');
    const afterLoad = compiler.calls;
    for (let i = 0; i < 100; i++) {
      const scim = { userName: `user${i}`, name: { givenName: 'U', familyName: `${i}` } };
      const app = await user.fromScim.evaluate(scim);
      expect(app).toMatchObject({ login: `user${i}` });
      const create = await renderRequest(user.operations.create, { app, scim });
      expect(create.body).toBeDefined();
      const get = await renderRequest(user.operations.get, { appId: `id ${i}` });
      expect(get.path).toContain(`id%20${i}`);
      const list = await renderRequest(user.operations.list, { offset: i, limit: 10, page: 1 });
      expect(list.method).toBe('GET');
      const add = await renderRequest(group.operations.addMember!, { appId: 'g1', memberAppId: String(i) });
      expect(add.path).toContain('g1');
      await user.toScim.evaluate({ id: i, login: `user${i}`, enabled: true });
    }
    expect(compiler.calls).toBe(afterLoad);
  });

  it('compiles each expression of a file exactly once per load', () => {
    const before = compiler.calls;
    loadMapping(fixture('minimal.yaml'));
    // id, toScim, fromScim and create.body.
    expect(compiler.calls - before).toBe(4);
  });
});

describe('loadMapping: paging, sub-reads, idFrom, protect, members.key', () => {
  /** The minimal mapping with `lines` added to its list call. */
  const withList = (...lines: string[]) => `${minimalText()}\n${lines.map((l) => `        ${l}`).join('\n')}`;
  const listOf = (text: string) => loadMapping('/virtual/m.yaml', text).resources.User?.operations.list;

  it('takes paging as declared, and infers it from pageSize and the query when left out', () => {
    expect(listOf(withList('paging: page', 'pageSize: 10'))?.paging).toEqual({ mode: 'page' });
    expect(listOf(minimalText())?.paging).toEqual({ mode: 'none' });
    expect(listOf(withList('pageSize: 10', 'query: { offset: offset, limit: limit }'))?.paging).toEqual({
      mode: 'offset',
    });
    expect(listOf(withList('pageSize: 10', 'query: { page: page, per_page: limit }'))?.paging).toEqual({
      mode: 'page',
    });
    const next = listOf(withList("paging: { next: '$links.next' }"))?.paging;
    expect(next?.mode).toBe('next');
  });

  it('refuses page or offset paging without pageSize, and paging outside list', () => {
    const issues = mappingError('/virtual/m.yaml', withList('paging: page')).issues;
    expect(summary(issues)).toEqual([
      expect.stringMatching(
        /^\d+:\d+ resources\.User\.operations\.list\.paging: paging: page needs pageSize$/,
      ),
    ]);
    const misplaced = minimalText().replace(
      '        path: /users/{appId}',
      '        path: /users/{appId}\n        paging: page\n        pageSize: 5',
    );
    expect(mappingError('/virtual/m.yaml', misplaced).issues.map((i) => i.message)).toEqual([
      'paging belongs to list and sub-reads, not to get',
    ]);
  });

  it('compiles sub-reads on get, with for: members, and refuses them elsewhere', () => {
    const text = minimalText().replace(
      '        path: /users/{appId}',
      [
        '        path: /users/{appId}',
        '        subReads:',
        '          fields:',
        '            method: GET',
        '            path: /users/{appId}/fields',
        '            items: fields',
        '            for: members',
      ].join('\n'),
    );
    const get = loadMapping('/virtual/m.yaml', text).resources.User?.operations.get;
    expect(get?.subReads.map((s) => [s.field, s.forMembers, s.operation.name])).toEqual([
      ['fields', true, 'get.fields'],
    ]);
    const onList = withList('subReads: { x: { method: GET, path: /x } }', 'for: members');
    expect(mappingError('/virtual/m.yaml', onList).issues.map((i) => i.message)).toEqual([
      'subReads belongs to get, not to list',
      'for belongs to sub-reads, not to list',
    ]);
  });

  it('compiles idFrom on create and update, with header names in lower case', () => {
    const text = minimalText().replace(
      '        body: app',
      '        body: app\n        idFrom: { header: X-Record-Id }',
    );
    expect(loadMapping('/virtual/m.yaml', text).resources.User?.operations.create.idFrom).toEqual({
      from: 'header',
      header: 'x-record-id',
    });
    const onGet = minimalText().replace(
      '        path: /users/{appId}',
      '        path: /users/{appId}\n        idFrom: location',
    );
    expect(mappingError('/virtual/m.yaml', onGet).issues.map((i) => i.message)).toEqual([
      'idFrom belongs to create and update, not to get',
    ]);
  });

  it('compiles protect, and members.key only with a push-down for it', () => {
    const text = minimalText().replace('    id: id\n', '    id: id\n    protect: \'login = "admin"\'\n');
    expect(loadMapping('/virtual/m.yaml', text).resources.User?.protect?.source).toBe('login = "admin"');
    const group = [
      '  Group:',
      '    id: id',
      '    members: { key: userName }',
      `    toScim: '{ "displayName": name }'`,
      `    fromScim: '{ "name": displayName }'`,
      '    operations:',
      '      create: { method: POST, path: /groups, body: app }',
      "      get: { method: GET, path: '/groups/{appId}' }",
      '      list: { method: GET, path: /groups }',
    ].join('\n');
    const issues = mappingError('/virtual/m.yaml', `${minimalText()}\n${group}`).issues;
    expect(issues.map((i) => [i.path, i.message])).toEqual([
      ['resources.Group.members.key', 'members are known by userName, but the User mapping cannot search it'],
    ]);
    const searchable = minimalText().replace(
      '    operations:',
      '    filters:\n      userName:\n        query: { login: value }\n    operations:',
    );
    expect(loadMapping('/virtual/m.yaml', `${searchable}\n${group}`).resources.Group?.memberKey).toBe(
      'userName',
    );
  });

  it('warns, without refusing, where a push-down sets a parameter the list call sets too', () => {
    const text = withList(`query: { q: '""' }`).replace(
      '    operations:',
      '    filters:\n      userName:\n        query: { q: value }\n    operations:',
    );
    const mapping = loadMapping('/virtual/m.yaml', text);
    expect(mapping.warnings?.map((w) => [w.path, w.message])).toEqual([
      [
        'resources.User.filters.userName.query.q',
        "the list call sets 'q' too; a search sends the push-down's value in its place",
      ],
    ]);
    expect(loadMapping('/virtual/m.yaml', minimalText()).warnings).toBeUndefined();
  });

  it('reports the first YAML syntax error only, with the quoting that fixes it', () => {
    const text = minimalText().replace(
      '      get:\n        method: GET\n        path: /users/{appId}',
      '      get: { method: GET, path: /users/{appId} }',
    );
    const issues = mappingError('/virtual/m.yaml', text).issues;
    expect(issues).toHaveLength(1);
    expect(issues[0]?.message).toMatch(
      /^YAML syntax: .* \(\d+ more YAML errors after it, most likely caused by it\)$/,
    );
    expect(issues[0]?.fix).toContain("quote the value: path: '/users/{appId}'");
  });
});

function minimalText(): string {
  return [
    'app: tiny',
    'resources:',
    '  User:',
    '    id: id',
    `    toScim: '{ "userName": login }'`,
    `    fromScim: '{ "login": userName }'`,
    '    operations:',
    '      create:',
    '        method: POST',
    '        path: /users',
    '        body: app',
    '      get:',
    '        method: GET',
    '        path: /users/{appId}',
    '      list:',
    '        method: GET',
    '        path: /users',
  ].join('\n');
}
