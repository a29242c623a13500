import { describe, expect, it } from 'vitest';
import { ScimError } from '../../src/scim/errors.js';
import type { ScimResource } from '../../src/scim/schema-types.js';
import { resolveSorting, type SortOrder, sortResources } from '../../src/scim/sort.js';
import { ENTERPRISE_SCHEMA_ID, userSchema } from './filter/fixture-schema.js';

/** Sorts `resources` by `sortBy` and returns their ids, in order. */
function order(resources: ScimResource[], sortBy: string, sortOrder?: SortOrder): unknown[] {
  return sortResources(resources, resolveSorting(userSchema, sortBy, sortOrder)).map((r) => r.id);
}

function errorOf(fn: () => unknown): ScimError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ScimError) return error;
    throw error;
  }
  throw new Error('expected a ScimError');
}

describe('sortResources (RFC 7644 §3.4.2.3)', () => {
  const users: ScimResource[] = [
    { id: '1', userName: 'carol', externalId: 'c', loginCount: 10 },
    { id: '2', userName: 'alice', externalId: 'a' },
    { id: '3', userName: 'Bob', externalId: 'B', loginCount: 9 },
    { id: '4', userName: 'dave', externalId: 'd', loginCount: 100 },
  ];

  it('orders a caseExact=false string ignoring case, ascending by default', () => {
    expect(order(users, 'userName')).toEqual(['2', '3', '1', '4']);
  });

  it('orders a caseExact string by code unit', () => {
    expect(order(users, 'externalId')).toEqual(['3', '2', '1', '4']);
  });

  it('orders numbers numerically and puts resources without a value last ascending, first descending', () => {
    expect(order(users, 'loginCount')).toEqual(['3', '1', '4', '2']);
    expect(order(users, 'loginCount', 'descending')).toEqual(['2', '4', '1', '3']);
  });

  it('reads attribute names and sub-attributes case-insensitively', () => {
    const named = [
      { id: '1', name: { familyName: 'Zed' } },
      { id: '2', name: { familyName: 'Adams' } },
      { id: '3', name: {} },
    ];
    expect(order(named, 'NAME.familyname')).toEqual(['2', '1', '3']);
  });

  it('orders dateTimes chronologically, whatever their offset', () => {
    const dated = [
      { id: 'a', meta: { created: '2020-01-01T10:00:00+02:00' } },
      { id: 'c', meta: { created: '2020-01-01T09:00:00Z' } },
      { id: 'b', meta: { created: '2020-01-01T09:30:00+01:00' } },
    ];
    // As text the order would be c, b, a.
    expect(order(dated, 'meta.created')).toEqual(['a', 'b', 'c']);
  });

  it('orders a multi-valued attribute by its primary value, else its first value', () => {
    const mailed = [
      {
        id: 'primary-z',
        emails: [
          { value: 'a@first.example', type: 'home' },
          { value: 'z@primary.example', type: 'work', primary: true },
        ],
      },
      { id: 'first-m', emails: [{ value: 'm@first.example' }, { value: 'a@second.example' }] },
      { id: 'none', emails: [] },
    ];
    expect(order(mailed, 'emails')).toEqual(['first-m', 'primary-z', 'none']);
    expect(order(mailed, 'emails.value')).toEqual(['first-m', 'primary-z', 'none']);
    expect(order(mailed, 'emails.type', 'descending')).toEqual(['first-m', 'none', 'primary-z']);
  });

  it('orders booleans false before true', () => {
    const flagged = [
      { id: 't', active: true },
      { id: 'f', active: false },
    ];
    expect(order(flagged, 'active')).toEqual(['f', 't']);
  });

  it('finds extension attributes with and without their schema URN', () => {
    const staff = [
      { id: 'ops', [ENTERPRISE_SCHEMA_ID]: { department: 'Ops' } },
      { id: 'dev', [ENTERPRISE_SCHEMA_ID]: { department: 'dev' } },
    ];
    expect(order(staff, 'department')).toEqual(['dev', 'ops']);
    expect(order(staff, `${ENTERPRISE_SCHEMA_ID}:department`, 'descending')).toEqual(['ops', 'dev']);
  });

  it('keeps the incoming order of equal values in both directions', () => {
    const same = [
      { id: '1', displayName: 'x' },
      { id: '2', displayName: 'X' },
      { id: '3', displayName: 'x' },
    ];
    expect(order(same, 'displayName')).toEqual(['1', '2', '3']);
    expect(order(same, 'displayName', 'descending')).toEqual(['1', '2', '3']);
  });

  it('counts an empty string as no value', () => {
    const titled = [
      { id: 'empty', displayName: '' },
      { id: 'b', displayName: 'b' },
    ];
    expect(order(titled, 'displayName')).toEqual(['b', 'empty']);
  });
});

describe('resolveSorting', () => {
  it.each([
    ['noSuchAttribute', /"noSuchAttribute" is not an attribute of User/],
    ['name', /sub-attribute.*name\.givenName/],
    ['name.nickName', /"name\.nickName" is not an attribute of User/],
    ['urn:example:other:Schema:department', /is not an attribute of User/],
    ['', /sortBy is empty/],
  ])('refuses sortBy=%s with 400 invalidValue', (sortBy, detail) => {
    const error = errorOf(() => resolveSorting(userSchema, sortBy));
    expect(error.status).toBe(400);
    expect(error.scimType).toBe('invalidValue');
    expect(error.message).toMatch(detail);
  });
});
