import { describe, expect, it } from 'vitest';
import type { AttributeDefinition } from '../../../src/scim/schema-types.js';
import { ENTERPRISE_USER_SCHEMA_ID } from '../../../src/scim/schemas/enterprise-user.js';
import { GROUP_SCHEMA } from '../../../src/scim/schemas/group.js';
import { groupResourceSchema, userResourceSchema } from '../../../src/scim/schemas/resource-schema.js';
import { USER_SCHEMA } from '../../../src/scim/schemas/user.js';

const E = ENTERPRISE_USER_SCHEMA_ID;

function shape(attributes: AttributeDefinition[]): Record<string, string[] | true> {
  return Object.fromEntries(
    attributes.map((a) => [a.name, a.subAttributes ? a.subAttributes.map((s) => s.name) : true]),
  );
}

describe('userResourceSchema', () => {
  it('prepends the common attributes to the User schema and adds the enterprise extension on request', () => {
    const schema = userResourceSchema({ enterprise: true });
    expect(schema.resourceType).toBe('User');
    expect(schema.core.id).toBe(USER_SCHEMA.id);
    expect(schema.core.attributes.map((a) => a.name).slice(0, 4)).toEqual([
      'id',
      'externalId',
      'meta',
      'userName',
    ]);
    expect(schema.core.attributes).toHaveLength(USER_SCHEMA.attributes.length + 3);
    expect(schema.extensions.map((e) => e.id)).toEqual([E]);
  });

  it('leaves the extension out when not configured', () => {
    expect(userResourceSchema({ enterprise: false }).extensions).toEqual([]);
  });

  it('trims to the supported paths, asking with URN-qualified paths for extension attributes', () => {
    const asked: string[] = [];
    const supported = new Set([
      'userName',
      'name.givenName',
      'name.familyName',
      'emails',
      'active',
      `${E}:department`,
      `${E}:manager.value`,
    ]);
    const schema = userResourceSchema({
      enterprise: true,
      supported: (path) => {
        asked.push(path);
        return supported.has(path);
      },
    });
    expect(shape(schema.core.attributes)).toEqual({
      id: true,
      externalId: true,
      meta: ['resourceType', 'created', 'lastModified', 'location', 'version'],
      userName: true,
      name: ['familyName', 'givenName'],
      active: true,
      emails: ['value', 'display', 'type', 'primary'],
    });
    expect(shape(schema.extensions[0]?.attributes ?? [])).toEqual({ department: true, manager: ['value'] });
    expect(asked).toContain(`${E}:manager.displayName`);
    expect(asked).not.toContain('id');
  });

  it('does not alter the shared RFC constants when trimming', () => {
    userResourceSchema({ enterprise: false, supported: (path) => path === 'name.givenName' });
    expect(USER_SCHEMA.attributes.find((a) => a.name === 'name')?.subAttributes).toHaveLength(6);
  });
});

describe('groupResourceSchema', () => {
  it('includes the common attributes and has no extensions', () => {
    const schema = groupResourceSchema();
    expect(schema.resourceType).toBe('Group');
    expect(schema.core.attributes.map((a) => a.name)).toEqual([
      'id',
      'externalId',
      'meta',
      'displayName',
      'members',
    ]);
    expect(schema.extensions).toEqual([]);
  });

  it('keeps only supported member sub-attributes', () => {
    const schema = groupResourceSchema({ supported: (p) => p === 'displayName' || p === 'members.value' });
    expect(shape(schema.core.attributes.slice(3))).toEqual({ displayName: true, members: ['value'] });
    expect(GROUP_SCHEMA.attributes[1]?.subAttributes).toHaveLength(4);
  });
});
