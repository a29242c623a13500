/**
 * The loader's checks of follow-up calls (`then`) and `lookups`: where they may stand, that their
 * paths and expressions are checked like every other call's, and which lookups each call needs.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/config-error.js';
import { loadMapping, usedLookups } from '../../../src/mapping/load-mapping.js';

const FILE = '/tmp/follow-ups.yaml';

/** A User mapping with `operations` added to create, get and list, and `top` before `resources`. */
function mapping(operations: string, top = ''): string {
  return `app: tiny
${top}resources:
  User:
    id: id
    toScim: '{ "userName": login, "active": enabled }'
    fromScim: '{ "login": userName }'
    filters:
      userName:
        query: { login: value, owner: $lookups.owner }
    operations:
      create: { method: POST, path: /users, body: app }
      get: { method: GET, path: '/users/{appId}' }
      list: { method: GET, path: /users }
${operations}`;
}

const LOOKUPS = `lookups:
  owner:
    path: /me
    query: { fields: '"id"' }
    value: id
  role:
    method: GET
    path: /roles/default
    value: role.id
`;

function problems(text: string): string[] {
  try {
    loadMapping(FILE, text);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((i) => `${i.path}: ${i.message}`);
    throw error;
  }
  return [];
}

describe('loadMapping: follow-up calls (then)', () => {
  it('compiles them in order, named after their operation, with the defaults of any call', () => {
    const loaded = loadMapping(
      FILE,
      mapping(
        `      deactivate:
        method: POST
        path: '/users/{appId}/disable'
        then:
          - { method: DELETE, path: '/users/{appId}/tokens' }
          - method: PUT
            path: '/users/{appId}/sessions'
            body: '{ "revoked": true, "by": $lookups.owner }'
            retry: true
      activate: { method: POST, path: '/users/{appId}/enable' }
`,
        LOOKUPS,
      ),
    );
    const deactivate = loaded.resources.User?.operations.deactivate;
    expect(deactivate?.followUps.map((call) => [call.name, call.method, call.path, call.retry])).toEqual([
      ['deactivate.then[0]', 'DELETE', '/users/{appId}/tokens', false],
      ['deactivate.then[1]', 'PUT', '/users/{appId}/sessions', true],
    ]);
    expect(deactivate?.lookups).toEqual([]);
    expect(deactivate?.followUps[1]?.lookups).toEqual(['owner']);
    expect(loaded.resources.User?.operations.activate?.followUps).toEqual([]);
  });

  it('checks their placeholders and expressions like any call', () => {
    expect(
      problems(
        mapping(
          `      delete:
        method: DELETE
        path: '/users/{appId}'
        then:
          - { method: DELETE, path: '/users/{id}/tokens' }
          - { method: POST, path: /audit, body: '{ "user": appId ' }
`,
          LOOKUPS,
        ),
      ),
    ).toEqual([
      'resources.User.operations.delete.then[0].path: unknown placeholder {id} in path',
      expect.stringMatching(/^resources\.User\.operations\.delete\.then\[1\]\.body: JSONata error/),
    ]);
  });

  it('refuses them on create, reads and other follow-ups', () => {
    const then = `
        then: [{ method: POST, path: /x }]`;
    const text = mapping('', LOOKUPS)
      .replace('body: app }', `body: app${then.replace('\n        ', ', ')} }`)
      .replace("path: '/users/{appId}' }", `path: '/users/{appId}'${then.replace('\n        ', ', ')} }`);
    expect(problems(text)).toEqual([
      'resources.User.operations.create.then: then belongs to update, delete, activate, deactivate, addMember and removeMember, not to create',
      'resources.User.operations.get.then: then belongs to update, delete, activate, deactivate, addMember and removeMember, not to get',
    ]);
    expect(
      problems(
        mapping(
          `      delete:
        method: DELETE
        path: '/users/{appId}'
        then:
          - { method: DELETE, path: /x, then: [{ method: POST, path: /y }] }
`,
          LOOKUPS,
        ),
      ),
    ).toEqual(["resources.User.operations.delete.then[0].then: unknown setting 'then'"]);
  });

  it('takes only the keys of a call (the schema)', () => {
    expect(
      problems(
        mapping(
          `      update:
        method: PUT
        path: '/users/{appId}'
        body: app
        then:
          - { method: POST, path: /x, response: items }
`,
          LOOKUPS,
        ),
      ),
    ).toEqual([expect.stringMatching(/^resources\.User\.operations\.update\.then\[0\].*response/)]);
  });
});

describe('loadMapping: lookups', () => {
  it('compiles each as a GET with its value expression, and says which lookups each call uses', async () => {
    const loaded = loadMapping(
      FILE,
      mapping(
        `      delete:
        method: DELETE
        path: '/users/{appId}'
        query: { reassign: $lookups.owner, role: '$lookups.role & ""' }
`,
        LOOKUPS,
      ),
    );
    expect([...loaded.lookups.keys()]).toEqual(['owner', 'role']);
    const owner = loaded.lookups.get('owner');
    expect(owner?.operation).toMatchObject({
      name: 'lookups.owner',
      method: 'GET',
      path: '/me',
      retry: true,
    });
    expect(await owner?.value.evaluate({ id: 7 })).toBe(7);
    const user = loaded.resources.User;
    expect(user?.operations.delete?.lookups).toEqual(['owner', 'role']);
    expect(user?.operations.get.lookups).toEqual([]);
    expect(user?.filters.get('username')?.lookups).toEqual(['owner']);
  });

  it('a mapping without lookups has none', () => {
    const loaded = loadMapping(FILE, mapping('').replace(', owner: $lookups.owner', ''));
    expect(loaded.lookups.size).toBe(0);
  });

  it('refuses a lookup it does not declare, naming the ones it does', () => {
    expect(
      problems(
        mapping(
          `      delete: { method: DELETE, path: '/users/{appId}', query: { reassign: $lookups.ownr } }
`,
          LOOKUPS,
        ),
      ),
    ).toEqual([
      'resources.User.operations.delete.query.reassign: $lookups.ownr: the mapping declares no lookup ownr',
    ]);
    expect(problems(mapping(''))).toEqual([
      'resources.User.filters.userName.query.owner: $lookups.owner: the mapping declares no lookup owner',
    ]);
  });

  it('refuses $lookups outside request expressions, in lookups themselves and in health', () => {
    const text = mapping(
      '',
      `health: { method: GET, path: /health, query: { x: $lookups.owner } }
lookups:
  owner: { path: /me, value: id, headers: { x-role: $lookups.role } }
  role: { path: '/roles/{appId}', value: '$lookups.owner' }
`,
    ).replace(
      `toScim: '{ "userName": login, "active": enabled }'`,
      `toScim: '{ "userName": login, "owner": $lookups.owner }'`,
    );
    expect(problems(text)).toEqual([
      expect.stringMatching(/^lookups\.owner\.headers\.x-role: only the query, headers and body/),
      'lookups.role.path: a lookup is made once for every request: its path has no placeholders',
      expect.stringMatching(/^lookups\.role\.value: only the query, headers and body/),
      expect.stringMatching(/^resources\.User\.toScim: only the query, headers and body/),
      expect.stringMatching(/^health\.query\.x: only the query, headers and body/),
    ]);
  });

  it('refuses a lookup that is not a GET (the schema)', () => {
    expect(problems(mapping('', 'lookups:\n  owner: { method: POST, path: /me, value: id }\n'))).toEqual([
      expect.stringMatching(/^lookups\.owner\.method/),
    ]);
  });
});

describe('usedLookups', () => {
  it.each<[string, string[]]>([
    ['$lookups.owner', ['owner']],
    ['$string($lookups.owner) & $lookups.`role-id`', ['owner', 'role-id']],
    ['$lookups.owner & $lookups.owner', ['owner']],
    ['$keys($lookups)', ['*']],
    ['$lookupsX.owner', []],
    ['lookups.owner', []],
  ])('%s uses %j', (source, names) => {
    expect(usedLookups(source)).toEqual(names);
  });
});
