/**
 * What `scim-sidecar check` calls a difference between what was written and what was read back.
 */
import { describe, expect, it } from 'vitest';
import { differences } from '../../../src/cli/check-compare.js';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

describe('differences between a write and its read back', () => {
  it.each([
    ['the same values', { displayName: 'A B' }, { displayName: 'A B', id: 'x' }, []],
    [
      'another value',
      { displayName: 'Mapping Check' },
      { displayName: 'Mapping  Check' },
      ['displayName: wrote "Mapping Check", read "Mapping  Check"'],
    ],
    ['a lost value', { title: 'Tester' }, {}, ['title: wrote "Tester", read nothing']],
    [
      'another case, where case matters',
      { displayName: 'Ada' },
      { displayName: 'ADA' },
      ['displayName: wrote "Ada", read "ADA" (differs in case only)'],
    ],
    ['another case of a userName (caseExact false)', { userName: 'Ada@X' }, { userName: 'ada@x' }, []],
    [
      'a sub-attribute',
      { name: { givenName: 'Ada', familyName: 'L' } },
      { name: { givenName: 'Ada', familyName: 'K', formatted: 'Ada K' } },
      ['name.familyName: wrote "L", read "K"'],
    ],
    [
      'an extension attribute',
      { [ENTERPRISE]: { department: 'R&D' } },
      { [ENTERPRISE]: { department: 'R&amp;D' } },
      [`${ENTERPRISE}:department: wrote "R&D", read "R&amp;D"`],
    ],
    [
      'elements matched by value, in any order, e-mail values without case',
      { emails: [{ value: 'a@x', type: 'work' }] },
      {
        emails: [
          { value: 'b@x', type: 'home' },
          { value: 'A@X', type: 'work', primary: true },
        ],
      },
      [],
    ],
    [
      'an element read with another sub-attribute',
      { emails: [{ value: 'a@x', type: 'work' }] },
      { emails: [{ value: 'a@x', type: 'home' }] },
      ['emails: wrote {"value":"a@x","type":"work"}, read {"value":"a@x","type":"home"}'],
    ],
    [
      'a member that is not read back',
      { members: [{ value: 'u1' }] },
      {},
      ['members: wrote {"value":"u1"}, read nothing'],
    ],
    ['no members, written as none', { members: [] }, { displayName: 'G' }, []],
    [
      'members left after they were removed',
      { members: [] },
      { members: [{ value: 'u1' }] },
      ['members: wrote none, read [{"value":"u1"}]'],
    ],
  ])('%s', (_name, written, read, expected) => {
    expect(differences(written, read)).toEqual(expected);
  });

  it('says so when nothing was read back', () => {
    expect(differences({ userName: 'a' }, undefined)).toEqual(['nothing was read back']);
  });
});
