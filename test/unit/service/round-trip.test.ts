import { describe, expect, it } from 'vitest';
import { loadMapping } from '../../../src/mapping/load-mapping.js';
import { resourceSchemas } from '../../../src/runtime/generation.js';
import { PATCH_OP_SCHEMA, parsePatchRequest } from '../../../src/scim/patch/index.js';
import type { ResourceSchema } from '../../../src/scim/schema-types.js';
import { droppedAttributes, droppedByPatch, type RoundTripSchemas } from '../../../src/service/round-trip.js';
import { DEMO_MAPPING_FILE, ENTERPRISE_SCHEMA, entraUser } from '../../helpers/sidecar.js';

const mapping = loadMapping(DEMO_MAPPING_FILE);
const full = resourceSchemas(mapping, false);
const advertised = resourceSchemas(mapping, true);
const user: RoundTripSchemas = {
  full: full.User as ResourceSchema,
  advertised: advertised.User as ResourceSchema,
};
const group: RoundTripSchemas = {
  full: full.Group as ResourceSchema,
  advertised: advertised.Group as ResourceSchema,
};

const patched = (schemas: RoundTripSchemas, ...operations: unknown[]) =>
  droppedByPatch(parsePatchRequest({ schemas: [PATCH_OP_SCHEMA], Operations: operations }), schemas);

describe('droppedAttributes (a POST or PUT body) with mappings/demo.yaml', () => {
  it("finds nothing in Entra's create body", () => {
    expect(droppedAttributes(entraUser('jdoe@contoso.com'), user)).toEqual([]);
  });

  it('names unknown and unstored attributes, sub-attributes and extension attributes', () => {
    const body = entraUser('jdoe@contoso.com', {
      nickName: 'JD',
      name: { givenName: 'J', middleName: 'Q' },
      phoneNumbers: [{ value: '1', type: 'work', primary: true }],
      favouriteColour: 'blue',
      [ENTERPRISE_SCHEMA]: { department: 'R&D', manager: { value: 'm-1' } },
    });
    expect(droppedAttributes(body, user)).toEqual([
      'name.middleName',
      'nickName',
      'phoneNumbers.primary',
      'favouriteColour',
      `${ENTERPRISE_SCHEMA}:manager`,
    ]);
  });

  it('compares names without regard to case and answers them in the schema spelling', () => {
    const body = { USERNAME: 'a', NickName: 'n', Name: { GivenName: 'g', MiddleName: 'm' } };
    expect(droppedAttributes(body, user)).toEqual(['nickName', 'name.middleName']);
  });

  it('never counts the common attributes, schemas, or unassigned values', () => {
    const body = {
      schemas: ['x'],
      id: 'i',
      externalId: 'e',
      meta: { resourceType: 'User' },
      userName: 'u',
      nickName: null,
      ims: [],
      name: { givenName: 'g', honorificPrefix: null },
      x509Certificates: [{}],
    };
    expect(droppedAttributes(body, user)).toEqual([]);
  });

  it('a preserved multi-valued attribute counts whole', () => {
    const body = { userName: 'u', addresses: [{ type: 'work', region: 'VD', formatted: 'x' }] };
    expect(droppedAttributes(body, user)).toEqual([]);
  });

  it('Group members with display and type are kept', () => {
    const body = { displayName: 'g', members: [{ value: 'u1', display: 'U', type: 'User' }] };
    expect(droppedAttributes(body, group)).toEqual([]);
    expect(droppedAttributes({ displayName: 'g', members: [{ value: 'u1', $ref: 'x' }] }, group)).toEqual([
      'members.$ref',
    ]);
  });
});

describe('droppedByPatch (only what the operations bring in)', () => {
  it('a path names the attribute; a complex value names its sub-attributes', () => {
    expect(patched(user, { op: 'Replace', path: 'name.givenName', value: 'x' })).toEqual([]);
    expect(patched(user, { op: 'Add', path: 'nickName', value: 'x' })).toEqual(['nickName']);
    expect(patched(user, { op: 'add', path: 'name', value: { givenName: 'a', middleName: 'b' } })).toEqual([
      'name.middleName',
    ]);
    expect(patched(user, { op: 'add', path: 'phoneNumbers', value: [{ value: '1', display: 'x' }] })).toEqual(
      ['phoneNumbers.display'],
    );
  });

  it("Entra's filtered paths and path-less dotted keys", () => {
    expect(
      patched(
        user,
        { op: 'Replace', path: 'emails[type eq "work"].value', value: 'a@b' },
        { op: 'Replace', path: 'phoneNumbers[type eq "fax"].value', value: '1' },
        {
          op: 'Replace',
          value: {
            displayName: 'd',
            'name.honorificSuffix': 'Jr',
            [`${ENTERPRISE_SCHEMA}:department`]: 'R&D',
            [`${ENTERPRISE_SCHEMA}:employeeNumber`]: '7',
          },
        },
      ),
    ).toEqual(['name.honorificSuffix', `${ENTERPRISE_SCHEMA}:employeeNumber`]);
  });

  it('an extension URN as path or as a key of a path-less value', () => {
    expect(patched(user, { op: 'add', path: ENTERPRISE_SCHEMA, value: { costCenter: 'c' } })).toEqual([
      `${ENTERPRISE_SCHEMA}:costCenter`,
    ]);
    expect(patched(user, { op: 'add', value: { [ENTERPRISE_SCHEMA]: { division: 'd' } } })).toEqual([
      `${ENTERPRISE_SCHEMA}:division`,
    ]);
    expect(patched(user, { op: 'add', path: 'department', value: 'unqualified' })).toEqual([]);
  });

  it('leaves a path into an unknown schema to the PATCH itself, which answers invalidPath', () => {
    const unknown = 'urn:example:params:scim:schemas:extension:acme:1.0:User';
    expect(
      patched(
        user,
        { op: 'add', path: `${unknown}:badge`, value: '7' },
        { op: 'add', value: { [`${unknown}:badge`]: '7', [unknown]: { badge: '7' } } },
      ),
    ).toEqual([]);
  });

  it('removals and null values bring nothing in', () => {
    expect(
      patched(
        user,
        { op: 'remove', path: 'nickName' },
        { op: 'replace', path: 'nickName', value: null },
        { op: 'remove', path: 'emails', value: [{ value: 'a@b' }] },
      ),
    ).toEqual([]);
  });

  it("Okta's path-less replace echoing id and schemas, and Entra's member changes", () => {
    expect(patched(group, { op: 'replace', value: { id: 'g1', displayName: 'New', schemas: [] } })).toEqual(
      [],
    );
    expect(patched(group, { op: 'Add', path: 'members', value: [{ value: 'u1' }] })).toEqual([]);
  });

  it('names each attribute once', () => {
    expect(
      patched(
        user,
        { op: 'add', path: 'nickName', value: 'a' },
        { op: 'replace', path: 'NICKNAME', value: 'b' },
      ),
    ).toEqual(['nickName']);
  });
});
