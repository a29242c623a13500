import { describe, expect, it } from 'vitest';
import { formatAttrPath, isAttrName, parseAttrPath } from '../../src/scim/attr-path.js';

const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

describe('parseAttrPath', () => {
  it.each([
    ['userName', { attribute: 'userName' }],
    ['  userName ', { attribute: 'userName' }],
    ['name.givenName', { attribute: 'name', subAttribute: 'givenName' }],
    ['members.$ref', { attribute: 'members', subAttribute: '$ref' }],
    [`${CORE}:userName`, { schema: CORE, attribute: 'userName' }],
    [`${CORE}:name.givenName`, { schema: CORE, attribute: 'name', subAttribute: 'givenName' }],
    [`${ENT}:department`, { schema: ENT, attribute: 'department' }],
    [`${ENT}:manager.value`, { schema: ENT, attribute: 'manager', subAttribute: 'value' }],
    [ENT, { schema: ENT, attribute: '' }],
    [CORE.toUpperCase(), { schema: CORE.toUpperCase(), attribute: '' }],
    [`${ENT.toUpperCase()}:department`, { schema: ENT.toUpperCase(), attribute: 'department' }],
  ])('parses %s', (text, expected) => {
    expect(parseAttrPath(text)).toEqual(expected);
  });

  it.each([
    '',
    '   ',
    'name.givenName.x',
    '1abc',
    'user name',
    'emails[type eq "work"]',
    'a..b',
    '.a',
    'a.',
    `${ENT}:`,
  ])('rejects %j', (text) => {
    expect(parseAttrPath(text)).toBeUndefined();
  });
});

describe('isAttrName', () => {
  it.each(['userName', 'x509Certificates', 'a-b_c', '$ref'])('accepts %s', (name) => {
    expect(isAttrName(name)).toBe(true);
  });
  it.each(['', '9lives', '-a', 'a.b', 'a:b', '$other', 'naïve'])('rejects %j', (name) => {
    expect(isAttrName(name)).toBe(false);
  });
});

describe('formatAttrPath', () => {
  it.each([
    [{ attribute: 'userName' }, 'userName'],
    [{ attribute: 'name', subAttribute: 'givenName' }, 'name.givenName'],
    [{ schema: ENT, attribute: 'department' }, `${ENT}:department`],
    [{ schema: ENT, attribute: '' }, ENT],
  ])('formats %j', (path, text) => {
    expect(formatAttrPath(path)).toBe(text);
    expect(parseAttrPath(text)).toEqual(path);
  });
});
