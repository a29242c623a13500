import { describe, expect, it } from 'vitest';
import { resolveAttribute } from '../../../src/scim/attributes.js';
import type { AttributeDefinition, SchemaDefinition } from '../../../src/scim/schema-types.js';
import { COMMON_ATTRIBUTES, isCommonAttribute } from '../../../src/scim/schemas/common.js';
import {
  ENTERPRISE_USER_SCHEMA,
  ENTERPRISE_USER_SCHEMA_ID,
} from '../../../src/scim/schemas/enterprise-user.js';
import { GROUP_SCHEMA, GROUP_SCHEMA_ID } from '../../../src/scim/schemas/group.js';
import { groupResourceSchema, userResourceSchema } from '../../../src/scim/schemas/resource-schema.js';
import { USER_SCHEMA, USER_SCHEMA_ID } from '../../../src/scim/schemas/user.js';

const users = userResourceSchema({ enterprise: true });
const groups = groupResourceSchema();

function definitionOf(path: string, schema = users): AttributeDefinition {
  const [attribute = '', subAttribute] = path.split('.');
  const resolved = resolveAttribute(schema, subAttribute ? { attribute, subAttribute } : { attribute });
  if (!resolved) throw new Error(`no definition for ${path}`);
  return resolved.subDefinition ?? resolved.definition;
}

function names(attributes: AttributeDefinition[] | undefined): string[] {
  return (attributes ?? []).map((a) => a.name);
}

describe('schema ids', () => {
  it('uses the RFC 7643 URNs', () => {
    expect(USER_SCHEMA.id).toBe(USER_SCHEMA_ID);
    expect(USER_SCHEMA_ID).toBe('urn:ietf:params:scim:schemas:core:2.0:User');
    expect(GROUP_SCHEMA_ID).toBe('urn:ietf:params:scim:schemas:core:2.0:Group');
    expect(ENTERPRISE_USER_SCHEMA_ID).toBe('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User');
    expect([USER_SCHEMA.name, GROUP_SCHEMA.name, ENTERPRISE_USER_SCHEMA.name]).toEqual([
      'User',
      'Group',
      'EnterpriseUser',
    ]);
  });
});

describe('User schema (RFC 7643 §8.7.1)', () => {
  it('lists every §4.1 attribute in RFC order', () => {
    expect(names(USER_SCHEMA.attributes)).toEqual([
      'userName',
      'name',
      'displayName',
      'nickName',
      'profileUrl',
      'title',
      'userType',
      'preferredLanguage',
      'locale',
      'timezone',
      'active',
      'password',
      'emails',
      'phoneNumbers',
      'ims',
      'photos',
      'addresses',
      'groups',
      'entitlements',
      'roles',
      'x509Certificates',
    ]);
    expect(names(definitionOf('name').subAttributes)).toEqual([
      'formatted',
      'familyName',
      'givenName',
      'middleName',
      'honorificPrefix',
      'honorificSuffix',
    ]);
  });

  it.each<[string, Partial<AttributeDefinition>]>([
    [
      'userName',
      { type: 'string', required: true, caseExact: false, mutability: 'readWrite', uniqueness: 'server' },
    ],
    ['id', { caseExact: true, mutability: 'readOnly', returned: 'always', uniqueness: 'server' }],
    ['externalId', { caseExact: true, mutability: 'readWrite', returned: 'default' }],
    ['meta', { type: 'complex', mutability: 'readOnly' }],
    ['meta.version', { caseExact: true, mutability: 'readOnly' }],
    ['password', { mutability: 'writeOnly', returned: 'never', caseExact: false }],
    ['active', { type: 'boolean', multiValued: false }],
    ['profileUrl', { type: 'reference', referenceTypes: ['external'] }],
    ['emails', { type: 'complex', multiValued: true, mutability: 'readWrite' }],
    ['emails.type', { canonicalValues: ['work', 'home', 'other'] }],
    ['emails.primary', { type: 'boolean' }],
    ['phoneNumbers.type', { canonicalValues: ['work', 'home', 'mobile', 'fax', 'pager', 'other'] }],
    ['ims.type', { canonicalValues: ['aim', 'gtalk', 'icq', 'xmpp', 'msn', 'skype', 'qq', 'yahoo'] }],
    ['photos.value', { type: 'reference', referenceTypes: ['external'] }],
    ['addresses.primary', { type: 'boolean' }],
    ['groups', { mutability: 'readOnly', multiValued: true }],
    ['groups.$ref', { type: 'reference', referenceTypes: ['User', 'Group'], mutability: 'readOnly' }],
    ['groups.type', { canonicalValues: ['direct', 'indirect'], mutability: 'readOnly' }],
    ['x509Certificates.value', { type: 'binary' }],
    ['roles.type', { canonicalValues: [] }],
  ])('%s has the RFC properties', (path, expected) => {
    expect(definitionOf(path)).toMatchObject(expected);
  });
});

describe('Group schema (RFC 7643 §8.7.1)', () => {
  it('keeps the RFC value for displayName.required and adds members.display', () => {
    expect(definitionOf('displayName', groups)).toMatchObject({ required: false, type: 'string' });
    expect(names(definitionOf('members', groups).subAttributes)).toEqual([
      'value',
      '$ref',
      'type',
      'display',
    ]);
  });

  it.each<[string, Partial<AttributeDefinition>]>([
    ['members', { type: 'complex', multiValued: true, mutability: 'readWrite' }],
    ['members.value', { mutability: 'immutable', type: 'string' }],
    ['members.$ref', { type: 'reference', referenceTypes: ['User', 'Group'], mutability: 'immutable' }],
    ['members.type', { canonicalValues: ['User', 'Group'], mutability: 'immutable' }],
    ['members.display', { type: 'string', mutability: 'immutable', required: false }],
  ])('%s has the expected properties', (path, expected) => {
    expect(definitionOf(path, groups)).toMatchObject(expected);
  });
});

describe('Enterprise User extension (RFC 7643 §8.7.1)', () => {
  it('lists every §4.3 attribute', () => {
    expect(names(ENTERPRISE_USER_SCHEMA.attributes)).toEqual([
      'employeeNumber',
      'costCenter',
      'organization',
      'division',
      'department',
      'manager',
    ]);
  });

  it.each<[string, Partial<AttributeDefinition>]>([
    ['manager', { type: 'complex', multiValued: false, mutability: 'readWrite' }],
    ['manager.value', { type: 'string', required: false, mutability: 'readWrite' }],
    ['manager.$ref', { type: 'reference', referenceTypes: ['User'] }],
    ['manager.displayName', { mutability: 'readOnly' }],
  ])('%s has the RFC properties', (path, expected) => {
    const [attribute = '', subAttribute] = path.split('.');
    const resolved = resolveAttribute(users, { schema: ENTERPRISE_USER_SCHEMA_ID, attribute, subAttribute });
    expect(resolved?.isExtension).toBe(true);
    expect(resolved?.subDefinition ?? resolved?.definition).toMatchObject(expected);
  });
});

describe('common attributes (RFC 7643 §3.1)', () => {
  it('are id, externalId and meta, matched case-insensitively', () => {
    expect(names([...COMMON_ATTRIBUTES])).toEqual(['id', 'externalId', 'meta']);
    expect(isCommonAttribute('ExternalID')).toBe(true);
    expect(isCommonAttribute('userName')).toBe(false);
  });

  it('are not part of the RFC schema constants', () => {
    for (const schema of [USER_SCHEMA, GROUP_SCHEMA, ENTERPRISE_USER_SCHEMA]) {
      expect(schema.attributes.some((a) => isCommonAttribute(a.name))).toBe(false);
    }
  });
});

describe('definition well-formedness', () => {
  const all: SchemaDefinition[] = [
    USER_SCHEMA,
    GROUP_SCHEMA,
    ENTERPRISE_USER_SCHEMA,
    { ...USER_SCHEMA, attributes: [...COMMON_ATTRIBUTES] },
  ];

  it.each(all.map((s) => [s.name, s] as const))(
    '%s: complex attributes, and only they, have sub-attributes',
    (_, schema) => {
      const walk = (attributes: AttributeDefinition[], depth: number): void => {
        const lower = attributes.map((a) => a.name.toLowerCase());
        expect(new Set(lower).size).toBe(lower.length);
        for (const a of attributes) {
          expect(a.description.length).toBeGreaterThan(0);
          if (a.type === 'complex') {
            expect(depth).toBe(0);
            expect(a.subAttributes?.length).toBeGreaterThan(0);
            walk(a.subAttributes ?? [], depth + 1);
          } else {
            expect(a.subAttributes).toBeUndefined();
          }
          if (a.referenceTypes) expect(a.type).toBe('reference');
        }
      };
      walk(schema.attributes, 0);
    },
  );
});
