import type { ScimType } from '../../../src/scim/errors.js';
import type { ScimResource } from '../../../src/scim/schema-types.js';
import { ENTERPRISE, GROUP_SCHEMA, USER_SCHEMA } from './fixture-schema.js';

/**
 * One PATCH scenario. `operations` are raw, as a client sends them: each case goes through
 * parsePatchRequest and then applyPatch. Either `expected` (with `changed`, true unless stated)
 * or `error` is given.
 */
export interface ApplyCase {
  name: string;
  schema?: 'user' | 'group';
  resource: ScimResource;
  operations: unknown[];
  expected?: ScimResource;
  changed?: boolean;
  error?: ScimType;
}

const PATCH_SCHEMA = [USER_SCHEMA];

/** A user without emails, as Microsoft Entra finds one right after creating it. */
const bare: ScimResource = { schemas: PATCH_SCHEMA, id: 'u-1', userName: 'jane@example.com', active: true };

const jane: ScimResource = {
  schemas: PATCH_SCHEMA,
  id: 'u-1',
  userName: 'jane@example.com',
  name: { givenName: 'Jane', familyName: 'Doe' },
  active: true,
  emails: [{ value: 'jane@example.com', type: 'work', primary: true }],
};

const managed: ScimResource = {
  schemas: [USER_SCHEMA, ENTERPRISE],
  id: 'u-1',
  userName: 'jane@example.com',
  [ENTERPRISE]: { department: 'Ops', manager: { value: 'm-1', displayName: 'Boss' } },
};

const group: ScimResource = {
  schemas: [GROUP_SCHEMA],
  id: 'g1',
  displayName: 'Staff',
  members: [{ value: 'u1' }, { value: 'u2', display: 'Bob' }],
};

export const applyCases: ApplyCase[] = [
  // Microsoft Entra, default dialect.
  {
    name: 'Entra: Replace active with the string "False" stores a boolean',
    resource: jane,
    operations: [{ op: 'Replace', path: 'active', value: 'False' }],
    expected: { ...jane, active: false },
  },
  {
    name: 'Entra: Add a work email value to a user without emails creates the element',
    resource: bare,
    operations: [{ op: 'Add', path: 'emails[type eq "work"].value', value: 'x@y.com' }],
    expected: { ...bare, emails: [{ type: 'work', value: 'x@y.com' }] },
  },
  {
    name: 'Entra: Add a work email value when the work email exists updates it in place',
    resource: jane,
    operations: [{ op: 'Add', path: 'emails[type eq "work"].value', value: 'j.doe@example.com' }],
    expected: { ...jane, emails: [{ value: 'j.doe@example.com', type: 'work', primary: true }] },
  },
  {
    name: 'Entra: Replace the manager with a bare id stores { value }',
    resource: bare,
    operations: [{ op: 'Replace', path: `${ENTERPRISE}:manager`, value: 'm-42' }],
    expected: { ...bare, schemas: [USER_SCHEMA, ENTERPRISE], [ENTERPRISE]: { manager: { value: 'm-42' } } },
  },
  {
    name: "Entra: a new manager id drops the old manager's displayName",
    resource: managed,
    operations: [{ op: 'Replace', path: `${ENTERPRISE}:manager`, value: 'm-2' }],
    expected: { ...managed, [ENTERPRISE]: { department: 'Ops', manager: { value: 'm-2' } } },
  },
  {
    name: 'Entra: Remove the manager',
    resource: managed,
    operations: [{ op: 'Remove', path: `${ENTERPRISE}:manager` }],
    expected: { ...managed, [ENTERPRISE]: { department: 'Ops' } },
  },
  {
    name: 'Entra: Add of a single-valued attribute the schema does not define stores it',
    resource: bare,
    operations: [{ op: 'Add', path: 'nickName', value: 'Babs' }],
    expected: { ...bare, nickName: 'Babs' },
  },
  // Microsoft Entra, aadOptscim062020 dialect: path-less operations with paths as keys.
  {
    name: 'Entra (aadOptscim062020): path-less replace with plain, dotted and URN-qualified keys',
    resource: bare,
    operations: [
      {
        op: 'replace',
        value: { active: false, 'name.givenName': 'Jane', [`${ENTERPRISE}:department`]: 'Sales' },
      },
    ],
    expected: {
      ...bare,
      schemas: [USER_SCHEMA, ENTERPRISE],
      active: false,
      name: { givenName: 'Jane' },
      [ENTERPRISE]: { department: 'Sales' },
    },
  },
  {
    name: 'Entra (aadOptscim062020): path-less replace with a value-filter key',
    resource: jane,
    operations: [
      { op: 'replace', value: { displayName: 'Jane D', 'emails[type eq "work"].value': 'jd@example.com' } },
    ],
    expected: {
      ...jane,
      displayName: 'Jane D',
      emails: [{ value: 'jd@example.com', type: 'work', primary: true }],
    },
  },
  {
    name: 'Entra (aadOptscim062020): path-less add of an undefined attribute',
    resource: bare,
    operations: [{ op: 'add', value: { nickName: 'Babs' } }],
    expected: { ...bare, nickName: 'Babs' },
  },
  // Groups: Microsoft Entra and Okta membership changes.
  {
    name: 'Entra: Add members appends',
    schema: 'group',
    resource: group,
    operations: [{ op: 'Add', path: 'members', value: [{ value: 'u3' }] }],
    expected: { ...group, members: [{ value: 'u1' }, { value: 'u2', display: 'Bob' }, { value: 'u3' }] },
  },
  {
    name: 'Add of an existing member changes nothing',
    schema: 'group',
    resource: group,
    operations: [{ op: 'add', path: 'members', value: [{ value: 'u2' }] }],
    expected: group,
    changed: false,
  },
  {
    name: 'Add of the same new member twice adds it once',
    schema: 'group',
    resource: group,
    operations: [{ op: 'add', path: 'members', value: [{ value: 'u3' }, { value: 'u3' }] }],
    expected: { ...group, members: [{ value: 'u1' }, { value: 'u2', display: 'Bob' }, { value: 'u3' }] },
  },
  {
    name: 'Entra: Remove members with a value removes only those members',
    schema: 'group',
    resource: group,
    operations: [{ op: 'Remove', path: 'members', value: [{ value: 'u1' }] }],
    expected: { ...group, members: [{ value: 'u2', display: 'Bob' }] },
  },
  {
    name: 'Entra (aadOptscim062020) and Okta: remove members[value eq "u2"]',
    schema: 'group',
    resource: group,
    operations: [{ op: 'remove', path: 'members[value eq "u2"]' }],
    expected: { ...group, members: [{ value: 'u1' }] },
  },
  {
    name: 'Remove with a filter matching nothing is no change',
    schema: 'group',
    resource: group,
    operations: [{ op: 'remove', path: 'members[value eq "nobody"]' }],
    expected: group,
    changed: false,
  },
  {
    name: 'Removing the last members leaves the attribute unassigned',
    schema: 'group',
    resource: group,
    operations: [{ op: 'remove', path: 'members[value eq "u1" or value eq "u2"]' }],
    expected: { schemas: [GROUP_SCHEMA], id: 'g1', displayName: 'Staff' },
  },
  {
    name: 'Remove members without a value removes them all',
    schema: 'group',
    resource: group,
    operations: [{ op: 'remove', path: 'members' }],
    expected: { schemas: [GROUP_SCHEMA], id: 'g1', displayName: 'Staff' },
  },
  {
    name: 'Replace members replaces them all',
    schema: 'group',
    resource: group,
    operations: [{ op: 'replace', path: 'members', value: [{ value: 'u9' }] }],
    expected: { ...group, members: [{ value: 'u9' }] },
  },
  {
    name: 'Okta: path-less replace echoing the group id renames the group',
    schema: 'group',
    resource: group,
    operations: [{ op: 'replace', value: { id: 'g1', displayName: 'New name' } }],
    expected: { ...group, displayName: 'New name' },
  },
  {
    name: 'Okta: path-less replace with a different id is refused',
    schema: 'group',
    resource: group,
    operations: [{ op: 'replace', value: { id: 'g2', displayName: 'New name' } }],
    error: 'mutability',
  },
  {
    name: 'Okta: path-less replace deactivates a user',
    resource: jane,
    operations: [{ op: 'replace', value: { active: false } }],
    expected: { ...jane, active: false },
  },
  {
    name: 'Okta: add members with display',
    schema: 'group',
    resource: group,
    operations: [{ op: 'add', path: 'members', value: [{ value: 'u3', display: 'Cy' }] }],
    expected: {
      ...group,
      members: [{ value: 'u1' }, { value: 'u2', display: 'Bob' }, { value: 'u3', display: 'Cy' }],
    },
  },
  {
    name: 'A member value is immutable',
    schema: 'group',
    resource: group,
    operations: [{ op: 'replace', path: 'members[value eq "u1"].value', value: 'u9' }],
    error: 'mutability',
  },
  // No-ops and names.
  {
    name: 'Replacing a value with itself is no change',
    resource: jane,
    operations: [
      { op: 'replace', path: 'userName', value: 'jane@example.com' },
      { op: 'add', path: 'emails', value: [{ value: 'jane@example.com', type: 'work' }] },
    ],
    expected: jane,
    changed: false,
  },
  {
    name: 'Attribute names match case-insensitively and keep the existing key',
    resource: jane,
    operations: [
      { op: 'replace', path: 'username', value: 'j@example.com' },
      { op: 'replace', path: 'NAME.GIVENNAME', value: 'J' },
    ],
    expected: { ...jane, userName: 'j@example.com', name: { givenName: 'J', familyName: 'Doe' } },
  },
  {
    name: "A new attribute takes the schema's spelling",
    resource: bare,
    operations: [{ op: 'add', path: 'DISPLAYNAME', value: 'Jane' }],
    expected: { ...bare, displayName: 'Jane' },
  },
  {
    name: 'Operations on schemas are ignored',
    resource: jane,
    operations: [{ op: 'replace', path: 'schemas', value: ['urn:example:other'] }],
    expected: jane,
    changed: false,
  },
  // Complex attributes.
  {
    name: 'SailPoint: several replaces on name merge',
    resource: jane,
    operations: [
      { op: 'replace', path: 'name.givenName', value: 'Janet' },
      { op: 'replace', path: 'name.familyName', value: 'Roe' },
      { op: 'replace', path: 'name', value: { formatted: 'Janet Roe' } },
    ],
    expected: { ...jane, name: { givenName: 'Janet', familyName: 'Roe', formatted: 'Janet Roe' } },
  },
  {
    name: 'Add on a complex attribute merges sub-attributes',
    resource: jane,
    operations: [{ op: 'add', path: 'name', value: { givenName: 'J', formatted: 'J Doe' } }],
    expected: { ...jane, name: { givenName: 'J', familyName: 'Doe', formatted: 'J Doe' } },
  },
  {
    name: 'Removing the last sub-attributes leaves the complex attribute unassigned',
    resource: jane,
    operations: [
      { op: 'remove', path: 'name.givenName' },
      { op: 'remove', path: 'name.familyName' },
    ],
    expected: {
      schemas: PATCH_SCHEMA,
      id: 'u-1',
      userName: 'jane@example.com',
      active: true,
      emails: jane.emails,
    },
  },
  {
    name: 'Replace with null unassigns',
    resource: jane,
    operations: [{ op: 'replace', path: 'name', value: null }],
    expected: {
      schemas: PATCH_SCHEMA,
      id: 'u-1',
      userName: 'jane@example.com',
      active: true,
      emails: jane.emails,
    },
  },
  // Multi-valued attributes.
  {
    name: 'Add of a primary email takes primary from the others',
    resource: jane,
    operations: [
      { op: 'add', path: 'emails', value: [{ value: 'h@example.com', type: 'home', primary: true }] },
    ],
    expected: {
      ...jane,
      emails: [
        { value: 'jane@example.com', type: 'work', primary: false },
        { value: 'h@example.com', type: 'home', primary: true },
      ],
    },
  },
  {
    name: 'Replace emails replaces the whole array',
    resource: jane,
    operations: [{ op: 'replace', path: 'emails', value: [{ value: 'h@example.com', type: 'home' }] }],
    expected: { ...jane, emails: [{ value: 'h@example.com', type: 'home' }] },
  },
  {
    name: 'Remove emails[type eq "work"] removes the element and the emptied attribute',
    resource: jane,
    operations: [{ op: 'remove', path: 'emails[type eq "work"]' }],
    expected: {
      schemas: PATCH_SCHEMA,
      id: 'u-1',
      userName: 'jane@example.com',
      name: jane.name,
      active: true,
    },
  },
  {
    name: 'Remove a sub-attribute of the matching elements',
    resource: jane,
    operations: [{ op: 'remove', path: 'emails[type eq "work"].primary' }],
    expected: { ...jane, emails: [{ value: 'jane@example.com', type: 'work' }] },
  },
  {
    name: 'Replace a matching element keeps the sub-attributes its filter names',
    resource: jane,
    operations: [{ op: 'replace', path: 'emails[type eq "work"]', value: { value: 'new@example.com' } }],
    expected: { ...jane, emails: [{ type: 'work', value: 'new@example.com' }] },
  },
  {
    name: 'Replace on a filter matching nothing creates the element it describes',
    resource: jane,
    operations: [{ op: 'replace', path: 'phoneNumbers[type eq "mobile"]', value: { value: '+1 555 0100' } }],
    expected: { ...jane, phoneNumbers: [{ type: 'mobile', value: '+1 555 0100' }] },
  },
  {
    name: 'An and-filter describes the element to create',
    resource: bare,
    operations: [
      { op: 'add', path: 'emails[type eq "work" and primary eq true].value', value: 'w@example.com' },
    ],
    expected: { ...bare, emails: [{ type: 'work', primary: true, value: 'w@example.com' }] },
  },
  {
    name: "Values taken from the filter are coerced to the sub-attribute's type",
    resource: bare,
    operations: [
      { op: 'add', path: 'emails[type eq "work" and primary eq "True"].value', value: 'w@example.com' },
    ],
    expected: { ...bare, emails: [{ type: 'work', primary: true, value: 'w@example.com' }] },
  },
  {
    name: 'A filter the elements cannot be compared with is invalidPath',
    resource: jane,
    operations: [{ op: 'replace', path: 'emails[primary gt true].value', value: 'w@example.com' }],
    error: 'invalidPath',
  },
  {
    name: 'An or-filter matching nothing describes no element: noTarget',
    resource: bare,
    operations: [
      { op: 'add', path: 'emails[type eq "work" or type eq "home"].value', value: 'w@example.com' },
    ],
    error: 'noTarget',
  },
  {
    name: 'A sub-attribute path without a filter applies to every element',
    resource: {
      ...bare,
      phoneNumbers: [
        { value: '1', type: 'work' },
        { value: '2', type: 'home' },
      ],
    },
    operations: [{ op: 'replace', path: 'phoneNumbers.type', value: 'other' }],
    expected: {
      ...bare,
      phoneNumbers: [
        { value: '1', type: 'other' },
        { value: '2', type: 'other' },
      ],
    },
  },
  // Extensions.
  {
    name: 'Path-less add with an extension URN key holding an object',
    resource: bare,
    operations: [{ op: 'add', value: { [ENTERPRISE]: { department: 'R&D', manager: { value: 'm-1' } } } }],
    expected: {
      ...bare,
      schemas: [USER_SCHEMA, ENTERPRISE],
      [ENTERPRISE]: { department: 'R&D', manager: { value: 'm-1' } },
    },
  },
  {
    name: 'Add with a bare extension URN path',
    resource: bare,
    operations: [{ op: 'add', path: ENTERPRISE, value: { employeeNumber: '42' } }],
    expected: { ...bare, schemas: [USER_SCHEMA, ENTERPRISE], [ENTERPRISE]: { employeeNumber: '42' } },
  },
  {
    name: 'Removing the last extension attribute removes the extension and its schema URN',
    resource: { ...bare, schemas: [USER_SCHEMA, ENTERPRISE], [ENTERPRISE]: { department: 'Ops' } },
    operations: [{ op: 'remove', path: `${ENTERPRISE}:department` }],
    expected: bare,
  },
  {
    name: 'Remove with a bare extension URN path removes the whole extension',
    resource: managed,
    operations: [{ op: 'remove', path: ENTERPRISE }],
    expected: { schemas: [USER_SCHEMA], id: 'u-1', userName: 'jane@example.com' },
  },
  {
    name: 'An unqualified extension attribute is found in the extension',
    resource: managed,
    operations: [{ op: 'replace', path: 'department', value: 'Sales' }],
    expected: {
      ...managed,
      [ENTERPRISE]: { department: 'Sales', manager: { value: 'm-1', displayName: 'Boss' } },
    },
  },
  {
    name: 'A path into an unknown extension is invalidPath',
    resource: bare,
    operations: [
      { op: 'add', path: 'urn:example:params:scim:schemas:extension:acme:1.0:User:badge', value: '7' },
    ],
    error: 'invalidPath',
  },
  {
    name: 'A path-less key naming an unknown extension is invalidPath',
    resource: bare,
    operations: [
      { op: 'add', value: { 'urn:example:params:scim:schemas:extension:acme:1.0:User': { badge: '7' } } },
    ],
    error: 'invalidPath',
  },
  // remove with a value: only to name elements by their `value` (Entra's members removal).
  {
    name: 'Remove emails with an object value removes the element with that value',
    resource: jane,
    operations: [{ op: 'remove', path: 'emails', value: { value: 'JANE@example.com' } }],
    expected: {
      schemas: PATCH_SCHEMA,
      id: 'u-1',
      userName: 'jane@example.com',
      name: jane.name,
      active: true,
    },
  },
  {
    name: 'Remove members with bare ids removes those members',
    schema: 'group',
    resource: group,
    operations: [{ op: 'Remove', path: 'members', value: ['u1'] }],
    expected: { ...group, members: [{ value: 'u2', display: 'Bob' }] },
  },
  {
    name: 'Remove members matches on value alone, whatever else an item says ($ref: null from Entra)',
    schema: 'group',
    resource: group,
    operations: [{ op: 'Remove', path: 'members', value: [{ $ref: null, value: 'u2', display: 'Robert' }] }],
    expected: { ...group, members: [{ value: 'u1' }] },
  },
  {
    name: 'Remove members naming no member is no change',
    schema: 'group',
    resource: group,
    operations: [{ op: 'Remove', path: 'members', value: [{ value: 'nobody' }] }],
    expected: group,
    changed: false,
  },
  {
    name: 'Remove the manager with its id removes it',
    resource: managed,
    operations: [{ op: 'Remove', path: `${ENTERPRISE}:manager`, value: [{ value: 'm-1' }] }],
    expected: { ...managed, [ENTERPRISE]: { department: 'Ops' } },
  },
  {
    name: 'Remove the manager with another id keeps the manager',
    resource: managed,
    operations: [{ op: 'Remove', path: `${ENTERPRISE}:manager`, value: { value: 'm-9' } }],
    expected: managed,
    changed: false,
  },
  {
    name: 'Remove with a null value is a remove without value (RFC 7643 §2.5)',
    resource: jane,
    operations: [{ op: 'remove', path: 'emails', value: null }],
    expected: {
      schemas: PATCH_SCHEMA,
      id: 'u-1',
      userName: 'jane@example.com',
      name: jane.name,
      active: true,
    },
  },
  {
    name: 'Remove emails with a value that names no "value" is invalidValue, not a silent no-op',
    resource: jane,
    operations: [{ op: 'remove', path: 'emails', value: { type: 'work' } }],
    error: 'invalidValue',
  },
  {
    name: 'Remove with a value on a simple attribute is invalidValue',
    resource: jane,
    operations: [{ op: 'remove', path: 'displayName', value: 'Jane' }],
    error: 'invalidValue',
  },
  {
    name: 'Remove with a value on a complex attribute without "value" is invalidValue',
    resource: jane,
    operations: [{ op: 'remove', path: 'name', value: { givenName: 'Jane' } }],
    error: 'invalidValue',
  },
  {
    name: 'Remove with a value and a value filter is invalidValue (the filter alone selects)',
    resource: jane,
    operations: [{ op: 'remove', path: 'emails[type eq "work"]', value: { value: 'jane@example.com' } }],
    error: 'invalidValue',
  },
  // Values of the wrong type for their attribute.
  {
    name: 'A string for a multi-valued complex attribute is invalidValue',
    resource: jane,
    operations: [{ op: 'replace', path: 'emails', value: 'x@example.com' }],
    error: 'invalidValue',
  },
  {
    name: 'A string for the element a filter selects is invalidValue',
    resource: jane,
    operations: [{ op: 'replace', path: 'emails[type eq "work"]', value: 'x@example.com' }],
    error: 'invalidValue',
  },
  {
    name: 'A bare id still stands for { value } where the attribute references resources (members)',
    schema: 'group',
    resource: group,
    operations: [{ op: 'add', path: 'members', value: ['u3'] }],
    expected: { ...group, members: [...(group.members as unknown[]), { value: 'u3' }] },
  },
  {
    name: 'A string for a complex attribute without "value" is invalidValue',
    resource: jane,
    operations: [{ op: 'replace', path: 'name', value: 'Jane Doe' }],
    error: 'invalidValue',
  },
  {
    name: 'An object for a string attribute is invalidValue',
    resource: jane,
    operations: [{ op: 'replace', value: { displayName: { text: 'Jane' } } }],
    error: 'invalidValue',
  },
  {
    name: 'An array for a single-valued attribute is invalidValue',
    resource: jane,
    operations: [{ op: 'replace', path: 'active', value: [true, false] }],
    error: 'invalidValue',
  },
  // Refusals.
  {
    name: 'A value filter on a single-valued attribute is invalidPath',
    resource: jane,
    operations: [{ op: 'replace', path: 'name[givenName eq "Jane"].familyName', value: 'Roe' }],
    error: 'invalidPath',
  },
  {
    name: 'A value filter on an undefined attribute is invalidPath',
    resource: jane,
    operations: [{ op: 'remove', path: 'badges[value eq "7"]' }],
    error: 'invalidPath',
  },
  {
    name: 'A sub-attribute of a simple attribute is invalidPath',
    resource: jane,
    operations: [{ op: 'replace', path: 'userName.first', value: 'x' }],
    error: 'invalidPath',
  },
  {
    name: 'Replacing id is refused',
    resource: jane,
    operations: [{ op: 'replace', path: 'id', value: 'u-2' }],
    error: 'mutability',
  },
  {
    name: 'Removing id is refused',
    resource: jane,
    operations: [{ op: 'remove', path: 'id' }],
    error: 'mutability',
  },
  {
    name: 'Changing meta is refused',
    resource: { ...jane, meta: { resourceType: 'User' } },
    operations: [{ op: 'replace', path: 'meta.resourceType', value: 'Group' }],
    error: 'mutability',
  },
  {
    name: 'Removing a required attribute is refused',
    resource: jane,
    operations: [{ op: 'remove', path: 'userName' }],
    error: 'mutability',
  },
  {
    name: 'Setting a read-only sub-attribute is refused',
    resource: managed,
    operations: [{ op: 'replace', path: `${ENTERPRISE}:manager.displayName`, value: 'Someone' }],
    error: 'mutability',
  },
  {
    name: 'A boolean attribute refuses other strings',
    resource: jane,
    operations: [{ op: 'replace', path: 'active', value: 'yes' }],
    error: 'invalidValue',
  },
  {
    name: 'A string attribute takes a number as its text (Entra sends employeeNumber as a number)',
    resource: jane,
    operations: [{ op: 'replace', path: 'displayName', value: 7 }],
    expected: { ...jane, displayName: '7' },
  },
  {
    name: 'A string attribute refuses a boolean',
    resource: jane,
    operations: [{ op: 'replace', path: 'displayName', value: true }],
    error: 'invalidValue',
  },
  {
    name: 'A failing operation fails the whole request',
    resource: jane,
    operations: [
      { op: 'replace', path: 'displayName', value: 'ok' },
      { op: 'replace', path: 'id', value: 'u-2' },
    ],
    error: 'mutability',
  },
];
