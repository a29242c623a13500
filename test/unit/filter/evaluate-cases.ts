import type { ResourceSchema } from '../../../src/scim/schema-types.js';
import {
  ENTERPRISE_SCHEMA_ID,
  GROUP_SCHEMA_ID,
  groupSchema,
  USER_SCHEMA_ID,
  userSchema,
} from './fixture-schema.js';

/** Resources the cases run against, each with the schema it is evaluated with. */
export const fixtures = {
  /** RFC 7643 §8.2-style user, plus a few attributes the fixture schema does not define. */
  user: {
    schema: userSchema,
    resource: {
      schemas: [USER_SCHEMA_ID, ENTERPRISE_SCHEMA_ID],
      id: '2819c223-7f76-453a-919d-413861904646',
      externalId: 'bjensen-EXT',
      userName: 'bjensen@example.com',
      displayName: 'Babs Jensen',
      title: '',
      name: { givenName: 'Barbara', familyName: 'Jensen' },
      emails: [
        { value: 'bjensen@example.com', type: 'work', primary: true },
        { value: 'babs@jensen.org', type: 'home' },
      ],
      active: true,
      loginCount: 42,
      meta: { resourceType: 'User', created: '2010-01-23T04:56:22Z', lastModified: '2011-05-13T04:42:34Z' },
      // Not in the fixture schema:
      nickName: 'Babs',
      score: 9.5,
      lastLogin: '2024-02-01T10:00:00Z',
      phoneNumbers: [],
      ims: [{ value: '' }],
      [ENTERPRISE_SCHEMA_ID]: { employeeNumber: '701984', department: 'Tour Operations', manager: {} },
    } as Record<string, unknown>,
  },
  /** What a careless application returns: odd key casing, booleans and numbers as text, no extension. */
  sloppyUser: {
    schema: userSchema,
    resource: {
      UserName: 'Sloppy',
      Active: 'True',
      loginCount: '42',
      emails: { value: 'sloppy@example.com' },
      'URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER': { Department: 'Ops' },
    } as Record<string, unknown>,
  },
  entraUser: {
    schema: userSchema,
    resource: {
      userName: 'Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1',
      externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
      active: true,
    } as Record<string, unknown>,
  },
  oktaUser: {
    schema: userSchema,
    resource: { userName: 'Test.User@okta.local', active: true } as Record<string, unknown>,
  },
  group: {
    schema: groupSchema,
    resource: {
      schemas: [GROUP_SCHEMA_ID],
      id: 'e9e30dba-f08f-4109-8486-d5c6a331660a',
      displayName: 'Group1DisplayName',
      members: [{ value: '2819c223', display: 'Babs Jensen' }, { value: '902c246b' }],
    } as Record<string, unknown>,
  },
  emptyGroup: {
    schema: groupSchema,
    resource: { displayName: 'Empty' } as Record<string, unknown>,
  },
} satisfies Record<string, { schema: ResourceSchema; resource: Record<string, unknown> }>;

export interface EvaluateCase {
  filter: string;
  matches: boolean;
  /** The fixture to evaluate against; `user` when omitted. */
  on?: keyof typeof fixtures;
}

const ENT = ENTERPRISE_SCHEMA_ID;

export const evaluateCases: EvaluateCase[] = [
  // Every operator on a caseExact=false string
  { filter: 'userName eq "bjensen@example.com"', matches: true },
  { filter: 'userName eq "BJensen@Example.COM"', matches: true },
  { filter: 'UserName EQ "BJENSEN@EXAMPLE.COM"', matches: true },
  { filter: 'userName eq "bjensen"', matches: false },
  { filter: 'userName ne "bjensen@example.com"', matches: false },
  { filter: 'userName ne "someone@example.com"', matches: true },
  { filter: 'userName co "JENSEN"', matches: true },
  { filter: 'userName co "zzz"', matches: false },
  { filter: 'userName sw "BJen"', matches: true },
  { filter: 'userName sw "jensen"', matches: false },
  { filter: 'userName ew ".COM"', matches: true },
  { filter: 'userName ew "example"', matches: false },
  { filter: 'userName gt "a"', matches: true },
  { filter: 'userName gt "c"', matches: false },
  { filter: 'userName ge "BJENSEN@EXAMPLE.COM"', matches: true },
  { filter: 'userName lt "c"', matches: true },
  { filter: 'userName lt "b"', matches: false },
  { filter: 'userName le "BJENSEN@EXAMPLE.COM"', matches: true },

  // caseExact=true strings
  { filter: 'id eq "2819c223-7f76-453a-919d-413861904646"', matches: true },
  { filter: 'id eq "2819C223-7F76-453A-919D-413861904646"', matches: false },
  { filter: 'externalId eq "bjensen-EXT"', matches: true },
  { filter: 'externalId eq "bjensen-ext"', matches: false },
  { filter: 'externalId ne "bjensen-ext"', matches: true },
  { filter: 'externalId co "ext"', matches: false },
  { filter: 'externalId sw "bjensen-E"', matches: true },
  // 'E' sorts before 'e' when case matters.
  { filter: 'externalId lt "bjensen-ext"', matches: true },
  { filter: 'externalId gt "bjensen-ext"', matches: false },

  // Sub-attributes, case-insensitive names
  { filter: 'name.givenName eq "barbara"', matches: true },
  { filter: 'NAME.GIVENNAME eq "Barbara"', matches: true },
  { filter: 'name.familyName co "ens"', matches: true },
  { filter: 'name.middleName pr', matches: false },
  { filter: 'name pr', matches: true },

  // Schema-qualified paths
  { filter: `${USER_SCHEMA_ID}:userName eq "bjensen@example.com"`, matches: true },
  { filter: `${USER_SCHEMA_ID}:name.givenName eq "Barbara"`, matches: true },
  { filter: `${USER_SCHEMA_ID.toUpperCase()}:userName eq "bjensen@example.com"`, matches: true },
  { filter: `${ENT}:department eq "Tour Operations"`, matches: true },
  { filter: `${ENT}:department eq "tour operations"`, matches: true },
  { filter: `${ENT}:DEPARTMENT sw "Tour"`, matches: true },
  { filter: 'department eq "Tour Operations"', matches: true },
  { filter: 'employeeNumber eq "701984"', matches: true },
  { filter: `${ENT}:employeeNumber gt 700000`, matches: true },
  // department lives in the extension object, not in the core one.
  { filter: `${USER_SCHEMA_ID}:department eq "Tour Operations"`, matches: false },
  // Extension attributes the schema does not define are still read from the extension object.
  { filter: `${ENT}:manager pr`, matches: false },
  { filter: `${ENT}:costCenter eq "x"`, matches: false },
  { filter: `${ENT}:department eq "Ops"`, matches: true, on: 'sloppyUser' },
  { filter: `${ENT}:department ne "x"`, matches: true, on: 'entraUser' },

  // Multi-valued attributes: any value may match
  { filter: 'emails eq "babs@jensen.org"', matches: true },
  { filter: 'emails co "example.com"', matches: true },
  { filter: 'emails.value eq "BABS@JENSEN.ORG"', matches: true },
  { filter: 'emails.value ew ".net"', matches: false },
  { filter: 'emails.type eq "home"', matches: true },
  { filter: 'emails.type eq "other"', matches: false },
  { filter: 'emails.type ne "work"', matches: false },
  { filter: 'emails.type ne "other"', matches: true },
  { filter: 'emails.primary eq true', matches: true },
  { filter: 'emails.primary eq false', matches: false },
  { filter: 'emails eq "sloppy@example.com"', matches: true, on: 'sloppyUser' },

  // Value paths: all conditions on the same element
  { filter: 'emails[type eq "work" and value co "@example.com"]', matches: true },
  { filter: 'emails[type eq "home" and value co "@example.com"]', matches: false },
  { filter: 'emails.type eq "home" and emails.value co "@example.com"', matches: true },
  { filter: 'emails[type eq "work" and primary eq true]', matches: true },
  { filter: 'emails[type eq "home" and primary eq true]', matches: false },
  { filter: 'emails[type eq "other" or primary eq true]', matches: true },
  { filter: 'emails[not (type eq "work")]', matches: true },
  { filter: 'emails[TYPE EQ "WORK"]', matches: true },
  { filter: 'emails[display pr]', matches: false },
  { filter: 'not (emails[type eq "work"])', matches: false },
  { filter: 'phoneNumbers[type eq "work"]', matches: false },
  { filter: 'name[givenName eq "Barbara"]', matches: true },

  // pr: absent, empty string, empty array, empty object
  { filter: 'userName pr', matches: true },
  { filter: 'title pr', matches: false },
  { filter: 'nickName pr', matches: true },
  { filter: 'middleName pr', matches: false },
  { filter: 'emails pr', matches: true },
  { filter: 'phoneNumbers pr', matches: false },
  { filter: 'ims pr', matches: false },
  { filter: 'meta pr', matches: true },

  // eq null means absent; ne is true when the attribute is absent
  { filter: 'title eq null', matches: true },
  { filter: 'middleName eq null', matches: true },
  { filter: 'userName eq null', matches: false },
  { filter: 'userName ne null', matches: true },
  { filter: 'title ne null', matches: false },
  { filter: 'middleName ne "x"', matches: true },
  { filter: 'name.middleName ne "x"', matches: true },

  // Booleans: a string literal is never coerced, a stored string is
  { filter: 'active eq true', matches: true },
  { filter: 'ACTIVE eq TRUE', matches: true },
  { filter: 'active eq false', matches: false },
  { filter: 'active ne false', matches: true },
  { filter: 'active eq "true"', matches: false },
  { filter: 'active eq true', matches: true, on: 'sloppyUser' },
  { filter: 'active eq false', matches: false, on: 'sloppyUser' },
  { filter: 'active eq "True"', matches: false, on: 'sloppyUser' },

  // Numbers
  { filter: 'loginCount eq 42', matches: true },
  { filter: 'loginCount eq 42.0', matches: true },
  { filter: 'loginCount ne 42', matches: false },
  { filter: 'loginCount gt 41', matches: true },
  { filter: 'loginCount gt 4.2e1', matches: false },
  { filter: 'loginCount ge 42', matches: true },
  { filter: 'loginCount lt 42', matches: false },
  { filter: 'loginCount le 42', matches: true },
  { filter: 'loginCount gt -1', matches: true },
  { filter: 'loginCount eq "42"', matches: false },
  { filter: 'loginCount eq 42', matches: true, on: 'sloppyUser' },
  { filter: 'loginCount lt 100', matches: true, on: 'sloppyUser' },
  { filter: 'score eq 9.5', matches: true },
  { filter: 'score gt 9', matches: true },
  { filter: 'score eq "9.5"', matches: true },

  // dateTime: chronological, not textual
  { filter: 'meta.lastModified gt "2011-05-13T04:42:34Z"', matches: false },
  { filter: 'meta.lastModified ge "2011-05-13T04:42:34Z"', matches: true },
  { filter: 'meta.lastModified gt "2011-05-13T04:42:33Z"', matches: true },
  { filter: 'meta.lastModified eq "2011-05-13T04:42:34.000Z"', matches: true },
  { filter: 'meta.lastModified eq "2011-05-13T06:42:34+02:00"', matches: true },
  { filter: 'meta.lastModified gt "2011-05-13T05:42:34+02:00"', matches: true },
  { filter: 'meta.created lt "2011-01-01T00:00:00Z"', matches: true },
  { filter: 'meta.created le "2010-01-23T04:56:21Z"', matches: false },
  { filter: 'lastLogin gt "2024-02-01T11:00:00+02:00"', matches: true },
  { filter: 'lastLogin lt "2024-02-01T11:00:00+02:00"', matches: false },

  // Logical operators and precedence
  { filter: 'userName pr or nickName eq "x" and active eq false', matches: true },
  { filter: '(userName pr or nickName eq "x") and active eq false', matches: false },
  { filter: 'userName eq "bjensen@example.com" and active eq true', matches: true },
  { filter: 'userName eq "bjensen@example.com" and active eq false', matches: false },
  { filter: 'userName eq "nobody" or displayName eq "babs jensen"', matches: true },
  { filter: 'userName eq "nobody" or displayName eq "nobody"', matches: false },
  { filter: 'not (userName eq "bjensen@example.com")', matches: false },
  { filter: 'not (active eq false) and not (title pr)', matches: true },
  { filter: 'not (not (active eq true))', matches: true },

  // Attributes the schema does not know: read by name, compared as case-insensitive text
  { filter: 'nickName eq "babs"', matches: true },
  { filter: 'NICKNAME co "AB"', matches: true },
  { filter: 'nonExistent eq "x"', matches: false },
  { filter: 'nonExistent gt 1', matches: false },
  { filter: 'nonExistent.sub eq "x"', matches: false },
  { filter: 'nonExistent ne "x"', matches: true },
  { filter: 'urn:example:custom:1.0:Thing:color eq "x"', matches: false },
  { filter: 'userName eq "sloppy"', matches: true, on: 'sloppyUser' },

  // Filters sent by Microsoft Entra ID and Okta
  { filter: 'userName eq "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1"', matches: true, on: 'entraUser' },
  { filter: 'userName eq "test_user_AB6490EE-1e48-479e-a20b-2d77186b5dd1"', matches: true, on: 'entraUser' },
  { filter: 'userName eq "Test_User_00000000-1e48-479e-a20b-2d77186b5dd1"', matches: false, on: 'entraUser' },
  { filter: 'externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"', matches: true, on: 'entraUser' },
  { filter: 'externalId eq "0A21F0F2-8D2A-4F8E-BF98-7363C4AED4EF"', matches: false, on: 'entraUser' },
  { filter: 'userName eq "test.user@okta.local"', matches: true, on: 'oktaUser' },
  { filter: 'displayName eq "Group1DisplayName"', matches: true, on: 'group' },
  { filter: 'displayName eq "group1displayname"', matches: true, on: 'group' },
  { filter: 'displayName eq "Group2DisplayName"', matches: false, on: 'group' },
  { filter: 'id eq "e9e30dba-f08f-4109-8486-d5c6a331660a"', matches: true, on: 'group' },
  { filter: 'members[value eq "2819c223"]', matches: true, on: 'group' },
  { filter: 'members[value eq "2819C223"]', matches: false, on: 'group' },
  { filter: 'members[value eq "nobody"]', matches: false, on: 'group' },
  { filter: 'members eq "902c246b"', matches: true, on: 'group' },
  { filter: 'members.value eq "902c246b"', matches: true, on: 'group' },
  { filter: 'members[value eq "2819c223"]', matches: false, on: 'emptyGroup' },
  { filter: 'members pr', matches: false, on: 'emptyGroup' },
];
