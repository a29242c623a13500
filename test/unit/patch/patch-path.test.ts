import { describe, expect, it } from 'vitest';
import { isScimError } from '../../../src/scim/errors.js';
import { parsePatchPath } from '../../../src/scim/patch/index.js';
import { ENTERPRISE } from './fixture-schema.js';

const workType = { kind: 'compare', path: { attribute: 'type' }, op: 'eq', value: 'work' };
const memberId = '2819c223-7f76-453a-919d-413861904646';

const valid: { text: string; expected: object }[] = [
  { text: 'userName', expected: { attribute: 'userName' } },
  {
    text: ' name.givenName ',
    expected: { text: 'name.givenName', attribute: 'name', subAttribute: 'givenName' },
  },
  {
    text: 'emails[type eq "work"].value',
    expected: { attribute: 'emails', filter: workType, subAttribute: 'value' },
  },
  {
    text: `members[value eq "${memberId}"]`,
    expected: {
      attribute: 'members',
      filter: { kind: 'compare', path: { attribute: 'value' }, op: 'eq', value: memberId },
    },
  },
  { text: `${ENTERPRISE}:department`, expected: { schema: ENTERPRISE, attribute: 'department' } },
  {
    text: `${ENTERPRISE}:manager.value`,
    expected: { schema: ENTERPRISE, attribute: 'manager', subAttribute: 'value' },
  },
  { text: ENTERPRISE, expected: { schema: ENTERPRISE, attribute: '' } },
  {
    text: 'addresses[type eq "work"].streetAddress',
    expected: { attribute: 'addresses', filter: workType, subAttribute: 'streetAddress' },
  },
  {
    text: 'emails[value ew "]x"]',
    expected: {
      attribute: 'emails',
      filter: { kind: 'compare', path: { attribute: 'value' }, op: 'ew', value: ']x' },
    },
  },
  {
    text: 'urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"]',
    expected: { schema: 'urn:ietf:params:scim:schemas:core:2.0:User', attribute: 'emails', filter: workType },
  },
];

const invalid = [
  '',
  'name.givenName.extra',
  '1name',
  'emails[',
  'emails[]',
  'emails[type eq "work"',
  'emails[type eq]',
  'emails[type eq "work"]value',
  'emails[type eq "work"].',
  'emails[type eq "work"].value.more',
  'name.givenName[type eq "work"]',
  '[type eq "work"]',
  'emails[type eq "work"][value eq "x"]',
];

describe('parsePatchPath', () => {
  it.each(valid)('parses $text', ({ text, expected }) => {
    expect(parsePatchPath(text)).toMatchObject(expected);
  });

  it.each(invalid)('refuses %j as invalidPath naming it', (text) => {
    try {
      parsePatchPath(text);
      expect.unreachable();
    } catch (error) {
      expect(isScimError(error) && error.scimType).toBe('invalidPath');
      expect(isScimError(error) && error.message).toContain(`"${text.trim()}"`);
    }
  });
});
