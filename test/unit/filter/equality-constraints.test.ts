import { describe, expect, it } from 'vitest';
import { findEqualityConstraints, parseFilter } from '../../../src/scim/filter/index.js';

const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

describe('findEqualityConstraints', () => {
  it.each([
    ['userName eq "bjensen"', [{ path: { attribute: 'userName' }, value: 'bjensen' }]],
    [
      'externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"',
      [{ path: { attribute: 'externalId' }, value: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef' }],
    ],
    [
      'userName eq "a" and active eq true',
      [
        { path: { attribute: 'userName' }, value: 'a' },
        { path: { attribute: 'active' }, value: true },
      ],
    ],
    [
      '(userName eq "a" and (loginCount eq 3 and title pr)) and name.givenName eq "B"',
      [
        { path: { attribute: 'userName' }, value: 'a' },
        { path: { attribute: 'loginCount' }, value: 3 },
        { path: { attribute: 'name', subAttribute: 'givenName' }, value: 'B' },
      ],
    ],
    [`${ENT}:department eq "Ops"`, [{ path: { schema: ENT, attribute: 'department' }, value: 'Ops' }]],
    ['title eq null', [{ path: { attribute: 'title' }, value: null }]],
    ['userName eq "a" or userName eq "b"', []],
    [
      'userName eq "a" and (displayName eq "b" or displayName eq "c")',
      [{ path: { attribute: 'userName' }, value: 'a' }],
    ],
    ['not (userName eq "a")', []],
    ['not (userName eq "a") and displayName eq "b"', [{ path: { attribute: 'displayName' }, value: 'b' }]],
    ['emails[value eq "a@example.com"]', []],
    [
      'members[value eq "2819c223"] and displayName eq "G"',
      [{ path: { attribute: 'displayName' }, value: 'G' }],
    ],
    ['userName ne "a" and userName sw "b" and userName pr', []],
  ])('%s', (filter, expected) => {
    expect(findEqualityConstraints(parseFilter(filter))).toEqual(expected);
  });

  it('keeps the source order across a long and-chain', () => {
    const filter = Array.from({ length: 500 }, (_, i) => `a eq ${i}`).join(' and ');
    const values = findEqualityConstraints(parseFilter(filter)).map((c) => c.value);
    expect(values).toEqual(Array.from({ length: 500 }, (_, i) => i));
  });
});
