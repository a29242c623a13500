import { describe, expect, it } from 'vitest';
import { coerceResource } from '../../src/scim/coerce.js';
import { ScimError } from '../../src/scim/errors.js';
import type { ResourceSchema, ScimResource } from '../../src/scim/schema-types.js';
import { defineAttribute } from '../../src/scim/schemas/common.js';
import { ENTERPRISE_USER_SCHEMA_ID } from '../../src/scim/schemas/enterprise-user.js';
import { groupResourceSchema, userResourceSchema } from '../../src/scim/schemas/resource-schema.js';
import { USER_SCHEMA_ID } from '../../src/scim/schemas/user.js';
import { entraCreateUser } from './fixtures/scim-bodies.js';

const E = ENTERPRISE_USER_SCHEMA_ID;
const users = userResourceSchema({ enterprise: true });

function coerce(resource: ScimResource): ScimResource {
  return coerceResource(resource, users);
}

describe('coerceResource', () => {
  it.each<[string, ScimResource, ScimResource]>([
    ['"True" boolean', { active: 'True' }, { active: true }],
    ['"false" boolean', { active: 'false' }, { active: false }],
    ['" FALSE " boolean', { active: ' FALSE ' }, { active: false }],
    ['real boolean', { active: true }, { active: true }],
    [
      'boolean inside a multi-valued complex',
      { emails: [{ value: 'a@b.c', primary: 'True' }] },
      { emails: [{ value: 'a@b.c', primary: true }] },
    ],
    ['boolean inside addresses', { addresses: [{ primary: 'false' }] }, { addresses: [{ primary: false }] }],
    [
      'number for a string attribute',
      { [E]: { employeeNumber: 701984 } },
      { [E]: { employeeNumber: '701984' } },
    ],
    ['bare manager id', { [E]: { manager: 'mgr-1' } }, { [E]: { manager: { value: 'mgr-1' } } }],
    ['null is left alone', { active: null, name: null }, { active: null, name: null }],
    ['empty arrays are left alone', { roles: [] }, { roles: [] }],
  ])('coerces a %s', (_, input, expected) => {
    expect(coerce(input)).toEqual(expected);
  });

  it.each<[string, ScimResource, ScimResource]>([
    [
      'core attribute',
      { username: 'bjensen', DisplayName: 'Babs' },
      { userName: 'bjensen', displayName: 'Babs' },
    ],
    ['sub-attribute', { NAME: { GivenName: 'Barbara' } }, { name: { givenName: 'Barbara' } }],
    [
      'multi-valued sub-attribute',
      { Emails: [{ Value: 'a@b.c', TYPE: 'work' }] },
      { emails: [{ value: 'a@b.c', type: 'work' }] },
    ],
    [
      'extension URN and its attributes',
      { [E.toUpperCase()]: { DEPARTMENT: 'Ops' } },
      { [E]: { department: 'Ops' } },
    ],
    [
      'schema URNs in "schemas"',
      { Schemas: [USER_SCHEMA_ID.toLowerCase(), 'urn:other'] },
      { schemas: [USER_SCHEMA_ID, 'urn:other'] },
    ],
    [
      '$ref sub-attribute',
      { [E]: { manager: { VALUE: 'm', $REF: '../Users/m' } } },
      { [E]: { manager: { value: 'm', $ref: '../Users/m' } } },
    ],
  ])('renames a %s to the schema spelling', (_, input, expected) => {
    expect(coerce(input)).toEqual(expected);
  });

  it('keeps unknown attributes and sub-attributes as they are', () => {
    const input = { customThing: { a: 1 }, name: { nickname2: 'x' }, 'urn:unknown:ext': { k: 'v' } };
    expect(coerce(input)).toEqual(input);
  });

  it('coerces an Entra ID create body', () => {
    const out = coerce(entraCreateUser());
    expect(out.active).toBe(true);
    expect(out.emails).toEqual([{ primary: true, type: 'work', value: 'Test_User_ab6490ee@testuser.com' }]);
    expect(out[E]).toEqual({
      department: 'Tour Operations',
      manager: { value: 'mgr-123' },
      employeeNumber: '701984',
    });
  });

  it('does not modify its input', () => {
    const input = entraCreateUser();
    const snapshot = structuredClone(input);
    coerce(input);
    expect(input).toEqual(snapshot);
  });

  it.each<[string, ScimResource, string]>([
    ['a non-boolean string', { active: 'yes' }, 'Attribute "active" must be a boolean'],
    ['a number for a boolean', { active: 1 }, 'Attribute "active" must be a boolean'],
    [
      'a nested non-boolean',
      { emails: [{ primary: 'maybe' }] },
      'Attribute "emails.primary" must be a boolean',
    ],
    ['an object for a string', { userName: { x: 1 } }, 'Attribute "userName" must be a string'],
    ['a boolean for a string', { displayName: true }, 'Attribute "displayName" must be a string'],
    ['a number for a reference', { profileUrl: 5 }, 'Attribute "profileUrl" must be a string (reference)'],
    [
      'a string for a complex attribute without value',
      { name: 'Babs Jensen' },
      'Attribute "name" must be a complex value',
    ],
    [
      'a string element of a multi-valued complex',
      { emails: ['a@b.c'] },
      'Attribute "emails" must be a complex value',
    ],
    ['a non-object extension', { [E]: 'x' }, `Attribute "${E}" must be a complex value`],
    ['a bad extension value', { [E]: { department: [] } }, `Attribute "${E}:department" must be a string`],
  ])('rejects %s with invalidValue', (_, input, detail) => {
    const error = catchError(() => coerce(input));
    expect(error).toBeInstanceOf(ScimError);
    expect(error).toMatchObject({ status: 400, scimType: 'invalidValue', message: detail });
  });

  it('rejects one attribute spelt two ways', () => {
    expect(catchError(() => coerce({ userName: 'a', username: 'b' }))).toMatchObject({
      scimType: 'invalidSyntax',
    });
  });

  it('leaves a non-array multi-valued value for validation to reject', () => {
    expect(coerce({ emails: { value: 'a@b.c' } })).toEqual({ emails: { value: 'a@b.c' } });
  });
});

describe('coerceResource number types', () => {
  // The RFC User and Group schemas have no numeric attributes, so a small schema stands in.
  const numeric: ResourceSchema = {
    resourceType: 'Thing',
    core: {
      id: 'urn:example:Thing',
      name: 'Thing',
      description: 'test',
      attributes: [
        defineAttribute({ name: 'count', type: 'integer', description: 'c' }),
        defineAttribute({ name: 'ratio', type: 'decimal', description: 'r' }),
      ],
    },
    extensions: [],
  };

  it.each<[unknown, unknown]>([
    ['42', 42],
    [' -7 ', -7],
    [42, 42],
  ])('integer %j → %j', (input, expected) => {
    expect(coerceResource({ count: input }, numeric)).toEqual({ count: expected });
  });

  it.each<[unknown, unknown]>([
    ['1.5', 1.5],
    ['2e3', 2000],
    [0.25, 0.25],
  ])('decimal %j → %j', (input, expected) => {
    expect(coerceResource({ ratio: input }, numeric)).toEqual({ ratio: expected });
  });

  it.each<[string, unknown]>([
    ['count', '4.2'],
    ['count', 4.2],
    ['count', '0x10'],
    ['count', ''],
    ['ratio', 'abc'],
    ['ratio', true],
  ])('%s rejects %j', (name, input) => {
    expect(catchError(() => coerceResource({ [name]: input }, numeric))).toMatchObject({
      scimType: 'invalidValue',
    });
  });
});

describe('coerceResource on Group', () => {
  it('normalises member sub-attributes', () => {
    expect(coerceResource({ Members: [{ Value: 'u1', Display: 'U' }] }, groupResourceSchema())).toEqual({
      members: [{ value: 'u1', display: 'U' }],
    });
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
