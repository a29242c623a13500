import { describe, expect, it } from 'vitest';
import { parseAttributeList, projectResource, wantsAttribute } from '../../src/scim/projection.js';
import type { ResourceSchema, ScimResource } from '../../src/scim/schema-types.js';
import { defineAttribute } from '../../src/scim/schemas/common.js';
import { ENTERPRISE_USER_SCHEMA_ID } from '../../src/scim/schemas/enterprise-user.js';
import { userResourceSchema } from '../../src/scim/schemas/resource-schema.js';
import { USER_SCHEMA_ID } from '../../src/scim/schemas/user.js';
import { fullUser } from './fixtures/scim-bodies.js';

const E = ENTERPRISE_USER_SCHEMA_ID;
const users = userResourceSchema({ enterprise: true });

function keys(resource: ScimResource): string[] {
  return Object.keys(resource).sort();
}

describe('parseAttributeList', () => {
  it.each<[string | undefined, string[]]>([
    [undefined, []],
    ['', []],
    ['userName', ['userName']],
    [' userName , name.givenName,,emails ', ['userName', 'name.givenName', 'emails']],
    [`${E}:department,meta`, [`${E}:department`, 'meta']],
  ])('%j → %j', (text, expected) => {
    expect(parseAttributeList(text)).toEqual(expected);
  });
});

describe('projectResource: default projection', () => {
  it('removes returned:never attributes and keeps the rest', () => {
    const out = projectResource(fullUser(), users, {});
    expect(out).not.toHaveProperty('password');
    expect(keys(out)).toEqual(keys(fullUser()).filter((k) => k !== 'password'));
  });

  it('does not modify its input', () => {
    const input = fullUser();
    projectResource(input, users, { attributes: ['name.givenName'], excludedAttributes: ['emails'] });
    expect(input).toEqual(fullUser());
  });
});

describe('projectResource: attributes', () => {
  it.each<[string, string[], ScimResource]>([
    ['a simple attribute plus id and schemas', ['userName'], { userName: 'bjensen@example.com' }],
    ['meta only when asked for', ['meta'], { meta: fullUser().meta }],
    ['a case-insensitive name', ['USERNAME'], { userName: 'bjensen@example.com' }],
    ['a sub-attribute', ['name.givenName'], { name: { givenName: 'Barbara' } }],
    [
      'a sub-attribute of a multi-valued attribute',
      ['emails.value'],
      { emails: [{ value: 'bjensen@example.com' }, { value: 'babs@jensen.org' }] },
    ],
    ['a whole complex attribute', ['name'], { name: fullUser().name }],
    ['elements lacking the sub-attribute dropped', ['emails.primary'], { emails: [{ primary: true }] }],
    ['a URN-qualified core attribute', [`${USER_SCHEMA_ID}:displayName`], { displayName: 'Babs Jensen' }],
    ['a URN-qualified extension attribute', [`${E}:department`], { [E]: { department: 'Tour Operations' } }],
    ['an extension attribute by bare name', ['department'], { [E]: { department: 'Tour Operations' } }],
    ['an extension sub-attribute', [`${E}:manager.value`], { [E]: { manager: { value: '26118915' } } }],
    ['a whole extension by its URN', [E], { [E]: (fullUser() as Record<string, unknown>)[E] }],
    ['password never, even when asked for', ['password'], {}],
    ['nothing for an unknown or invalid path', ['nope', 'a.b.c', ''], {}],
  ])('%s', (_, attributes, expected) => {
    const out = projectResource(fullUser(), users, { attributes });
    const schemas = Object.hasOwn(expected, E) ? [USER_SCHEMA_ID, E] : [USER_SCHEMA_ID];
    expect(out).toEqual({ id: '2819c223', schemas, ...expected });
  });

  it('returns the whole core schema for its bare URN', () => {
    const out = projectResource(fullUser(), users, { attributes: [USER_SCHEMA_ID] });
    expect(out).not.toHaveProperty(E);
    expect(out).not.toHaveProperty('password');
    expect(out.userName).toBe('bjensen@example.com');
    expect(out.meta).toBeDefined();
  });

  it('picks attributes outside the schema by name', () => {
    const out = projectResource({ ...fullUser(), custom: { a: 1, b: 2 } }, users, {
      attributes: ['custom.b'],
    });
    expect(out.custom).toEqual({ b: 2 });
  });
});

describe('projectResource: excludedAttributes', () => {
  it.each<[string, string[], (out: ScimResource) => void]>([
    ['a simple attribute', ['displayName'], (out) => expect(out).not.toHaveProperty('displayName')],
    ['meta', ['meta'], (out) => expect(out).not.toHaveProperty('meta')],
    [
      'a sub-attribute',
      ['name.givenName'],
      (out) => expect(out.name).toEqual({ formatted: 'Ms. Barbara J Jensen, III', familyName: 'Jensen' }),
    ],
    [
      'a multi-valued sub-attribute',
      ['emails.type', 'emails.primary'],
      (out) => expect(out.emails).toEqual([{ value: 'bjensen@example.com' }, { value: 'babs@jensen.org' }]),
    ],
    ['a returned:always attribute is kept', ['id', 'schemas'], (out) => expect(out.id).toBe('2819c223')],
    [
      'an extension attribute',
      [`${E}:manager`],
      (out) => expect(out[E]).toEqual({ employeeNumber: '701984', department: 'Tour Operations' }),
    ],
    ['a case-insensitive name', ['PhoneNumbers'], (out) => expect(out).not.toHaveProperty('phoneNumbers')],
  ])('removes %s', (_, excludedAttributes, check) => {
    const out = projectResource(fullUser(), users, { excludedAttributes });
    expect(out.userName).toBe('bjensen@example.com');
    expect(out.schemas).toEqual([USER_SCHEMA_ID, E]);
    check(out);
  });

  it('removes a whole extension and its URN from schemas', () => {
    const out = projectResource(fullUser(), users, { excludedAttributes: [E] });
    expect(out).not.toHaveProperty(E);
    expect(out.schemas).toEqual([USER_SCHEMA_ID]);
  });

  it('applies after attributes when both are given', () => {
    const out = projectResource(fullUser(), users, {
      attributes: ['name'],
      excludedAttributes: ['name.formatted'],
    });
    expect(out).toEqual({
      id: '2819c223',
      schemas: [USER_SCHEMA_ID],
      name: { familyName: 'Jensen', givenName: 'Barbara' },
    });
  });
});

describe('projectResource: returned request and never on sub-attributes', () => {
  const schema: ResourceSchema = {
    resourceType: 'Thing',
    core: {
      id: 'urn:example:scim:schemas:2.0:Thing',
      name: 'Thing',
      description: 'test',
      attributes: [
        defineAttribute({ name: 'id', type: 'string', description: 'id', returned: 'always' }),
        defineAttribute({ name: 'secretish', type: 'string', description: 's', returned: 'request' }),
        defineAttribute({
          name: 'box',
          type: 'complex',
          description: 'b',
          subAttributes: [
            defineAttribute({ name: 'open', type: 'string', description: 'o' }),
            defineAttribute({ name: 'hidden', type: 'string', description: 'h', returned: 'never' }),
            defineAttribute({ name: 'extra', type: 'string', description: 'e', returned: 'request' }),
          ],
        }),
      ],
    },
    extensions: [],
  };
  const thing = { id: 't', secretish: 's', box: { open: 'o', hidden: 'h', extra: 'e' } };

  it.each<[string, { attributes?: string[]; excludedAttributes?: string[] }, ScimResource]>([
    ['by default', {}, { id: 't', box: { open: 'o' } }],
    [
      'when named',
      { attributes: ['secretish', 'box.extra'] },
      { id: 't', secretish: 's', box: { extra: 'e' } },
    ],
    [
      'not through a whole-schema URN',
      { attributes: ['urn:example:scim:schemas:2.0:Thing'] },
      { id: 't', box: { open: 'o' } },
    ],
  ])('hides request attributes %s', (_, options, expected) => {
    expect(projectResource(thing, schema, options)).toEqual(expected);
  });
});

describe('wantsAttribute', () => {
  it.each<[{ attributes?: string[]; excludedAttributes?: string[] }, boolean]>([
    [{}, true],
    [{ attributes: [] }, true],
    [{ attributes: ['displayName'] }, false],
    [{ attributes: ['displayName', 'members'] }, true],
    [{ attributes: ['MEMBERS.value'] }, true],
    [{ attributes: ['urn:ietf:params:scim:schemas:core:2.0:Group:members'] }, true],
    [{ attributes: ['urn:ietf:params:scim:schemas:core:2.0:Group'] }, true],
    [{ excludedAttributes: ['members'] }, false],
    [{ excludedAttributes: ['Members'] }, false],
    [{ excludedAttributes: ['members.display'] }, true],
    [{ attributes: ['members'], excludedAttributes: ['members'] }, false],
  ])('%j → %s', (options, expected) => {
    expect(wantsAttribute(options, 'members')).toBe(expected);
  });
});
