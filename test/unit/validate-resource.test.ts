import { describe, expect, it } from 'vitest';
import { ScimError } from '../../src/scim/errors.js';
import type { ScimResource } from '../../src/scim/schema-types.js';
import { ENTERPRISE_USER_SCHEMA_ID } from '../../src/scim/schemas/enterprise-user.js';
import { GROUP_SCHEMA_ID } from '../../src/scim/schemas/group.js';
import { groupResourceSchema, userResourceSchema } from '../../src/scim/schemas/resource-schema.js';
import { USER_SCHEMA_ID } from '../../src/scim/schemas/user.js';
import { validateResource } from '../../src/scim/validate-resource.js';
import { entraCreateGroup, entraCreateUser } from './fixtures/scim-bodies.js';

const E = ENTERPRISE_USER_SCHEMA_ID;
const users = userResourceSchema({ enterprise: true });
const groups = groupResourceSchema();

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('validateResource: accepted bodies', () => {
  it('accepts an Entra ID user, coerced, with read-only attributes dropped', () => {
    const out = validateResource(entraCreateUser(), users, 'create');
    expect(out).toEqual({
      schemas: [USER_SCHEMA_ID, E],
      externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
      userName: 'Test_User_ab6490ee@testuser.com',
      active: true,
      emails: [{ primary: true, type: 'work', value: 'Test_User_ab6490ee@testuser.com' }],
      name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
      roles: [],
      [E]: { department: 'Tour Operations', manager: { value: 'mgr-123' }, employeeNumber: '701984' },
    });
  });

  it('accepts an Entra ID group and keeps members.display', () => {
    const out = validateResource(entraCreateGroup(), groups, 'create');
    expect(out).not.toHaveProperty('meta');
    expect(out.members).toEqual([{ value: 'u-1', display: 'Babs Jensen' }]);
  });

  it.each<[string, ScimResource]>([
    ['without schemas', { userName: 'bjensen' }],
    ['with empty schemas', { schemas: [], userName: 'bjensen' }],
    ['with schemas in another case', { schemas: [USER_SCHEMA_ID.toUpperCase()], userName: 'bjensen' }],
    [
      'with an unknown extension schema',
      { schemas: [USER_SCHEMA_ID, 'urn:example:ext'], userName: 'bjensen' },
    ],
  ])('accepts a user %s', (_, body) => {
    expect(validateResource(body, users, 'replace').userName).toBe('bjensen');
  });

  it.each<[string, ScimResource]>([
    ['id', { id: 'client-chosen' }],
    ['meta', { meta: { resourceType: 'User', created: '2020-01-01T00:00:00Z' } }],
    ['groups', { groups: [{ value: 'g1' }] }],
  ])('drops the read-only attribute %s without error (RFC 7644 §3.3)', (name, extra) => {
    const out = validateResource({ userName: 'bjensen', ...extra }, users, 'create');
    expect(out).not.toHaveProperty(name);
  });

  it('drops read-only sub-attributes and read-only attributes spelt in another case', () => {
    const out = validateResource(
      { userName: 'b', ID: 'x', [E]: { manager: { value: 'm', displayName: 'Boss' } } },
      users,
      'replace',
    );
    expect(out).toEqual({ userName: 'b', [E]: { manager: { value: 'm' } } });
  });

  it('passes unknown attributes through', () => {
    expect(validateResource({ userName: 'b', custom: { any: [1] } }, users, 'create').custom).toEqual({
      any: [1],
    });
  });

  it('accepts null for optional attributes and extensions', () => {
    expect(validateResource({ userName: 'b', name: null, [E]: null }, users, 'replace')).toEqual({
      userName: 'b',
      name: null,
      [E]: null,
    });
  });
});

describe('validateResource: rejected bodies', () => {
  it.each<[string, unknown]>([
    ['an array', [{ userName: 'b' }]],
    ['a string', 'userName=b'],
    ['null', null],
  ])('rejects %s with invalidSyntax', (_, body) => {
    expect(catchError(() => validateResource(body, users, 'create'))).toMatchObject({
      status: 400,
      scimType: 'invalidSyntax',
    });
  });

  it.each<[string, ScimResource]>([
    ['the Group schema', { schemas: [GROUP_SCHEMA_ID], userName: 'b' }],
    [
      'the Group schema beside the User schema',
      { schemas: [USER_SCHEMA_ID, GROUP_SCHEMA_ID], userName: 'b' },
    ],
    ['a non-array', { schemas: USER_SCHEMA_ID, userName: 'b' }],
    ['a non-string entry', { schemas: [42], userName: 'b' }],
  ])('rejects schemas naming %s with invalidSyntax', (_, body) => {
    const error = catchError(() => validateResource(body, users, 'create'));
    expect(error).toBeInstanceOf(ScimError);
    expect(error).toMatchObject({ scimType: 'invalidSyntax' });
  });

  it('says which schema was wrong', () => {
    expect(
      catchError(() => validateResource({ schemas: [USER_SCHEMA_ID], displayName: 'g' }, groups, 'create')),
    ).toMatchObject({
      message: `"schemas" names "${USER_SCHEMA_ID}", which is not the Group schema "${GROUP_SCHEMA_ID}"`,
    });
  });

  it.each<[string, ScimResource, string]>([
    ['missing userName', {}, 'Attribute "userName" is required to create a User'],
    ['null userName', { userName: null }, 'Attribute "userName" is required to create a User'],
    ['blank userName', { userName: '  ' }, 'Attribute "userName" is required to create a User'],
  ])('rejects a user with %s', (_, body, message) => {
    expect(catchError(() => validateResource(body, users, 'create'))).toMatchObject({
      scimType: 'invalidValue',
      message,
    });
  });

  it('treats Group displayName as required although RFC 7643 §8.7.1 does not', () => {
    expect(catchError(() => validateResource({ members: [] }, groups, 'replace'))).toMatchObject({
      scimType: 'invalidValue',
      message: 'Attribute "displayName" is required to replace a Group',
    });
  });

  it.each<[string, ScimResource, string]>([
    [
      'a single object for a multi-valued attribute',
      { emails: { value: 'a@b.c' } },
      'Attribute "emails" must be an array',
    ],
    ['a string for a multi-valued attribute', { emails: 'a@b.c' }, 'Attribute "emails" must be an array'],
    [
      'an array for a single-valued attribute',
      { displayName: ['a'] },
      'Attribute "displayName" must be a string',
    ],
    [
      'an array for a complex attribute',
      { name: [{ givenName: 'a' }] },
      'Attribute "name" must be a complex value',
    ],
    ['a null element', { emails: [null] }, 'Attribute "emails" must be a complex value'],
    [
      'a non-boolean sub-attribute',
      { emails: [{ primary: 'sometimes' }] },
      'Attribute "emails.primary" must be a boolean',
    ],
    [
      'a bad extension value',
      { [E]: { costCenter: { a: 1 } } },
      `Attribute "${E}:costCenter" must be a string`,
    ],
  ])('rejects %s with invalidValue', (_, extra, message) => {
    expect(catchError(() => validateResource({ userName: 'b', ...extra }, users, 'create'))).toMatchObject({
      scimType: 'invalidValue',
      message,
    });
  });
});
