import type { AttrPath, CompareOperator, Filter, FilterValue } from '../../../src/scim/filter/ast.js';
import { ENTERPRISE_SCHEMA_ID, USER_SCHEMA_ID } from './fixture-schema.js';

export interface ParseCase {
  name: string;
  filter: string;
  expected: Filter;
}

export interface ParseErrorCase {
  name: string;
  filter: string;
  /** The `detail` of the invalidFilter error, exactly or as a pattern. */
  error: string | RegExp;
}

function path(attribute: string, subAttribute?: string, schema?: string): AttrPath {
  const result: AttrPath = { attribute };
  if (subAttribute !== undefined) result.subAttribute = subAttribute;
  if (schema !== undefined) result.schema = schema;
  return result;
}

function cmp(attrPath: AttrPath | string, op: CompareOperator, value: FilterValue): Filter {
  return { kind: 'compare', path: typeof attrPath === 'string' ? path(attrPath) : attrPath, op, value };
}

const and = (left: Filter, right: Filter): Filter => ({ kind: 'and', left, right });
const or = (left: Filter, right: Filter): Filter => ({ kind: 'or', left, right });
const not = (filter: Filter): Filter => ({ kind: 'not', filter });
const pr = (attrPath: AttrPath): Filter => ({ kind: 'present', path: attrPath });
const valuePath = (attribute: string, filter: Filter): Filter => ({
  kind: 'valuePath',
  path: path(attribute),
  filter,
});

const operators: CompareOperator[] = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'];

export const parseCases: ParseCase[] = [
  ...operators.map((op) => ({
    name: `operator ${op}`,
    filter: `title ${op} "x"`,
    expected: cmp('title', op, 'x'),
  })),
  { name: 'pr', filter: 'title pr', expected: pr(path('title')) },
  { name: 'operators are case-insensitive', filter: 'UserName EQ "X"', expected: cmp('UserName', 'eq', 'X') },
  { name: 'mixed-case pr', filter: 'title Pr', expected: pr(path('title')) },

  // Literals (RFC 7159)
  { name: 'true', filter: 'active eq true', expected: cmp('active', 'eq', true) },
  { name: 'FALSE', filter: 'active eq FALSE', expected: cmp('active', 'eq', false) },
  { name: 'Null', filter: 'title eq Null', expected: cmp('title', 'eq', null) },
  { name: 'integer', filter: 'loginCount gt 42', expected: cmp('loginCount', 'gt', 42) },
  { name: 'zero', filter: 'loginCount eq 0', expected: cmp('loginCount', 'eq', 0) },
  { name: 'negative', filter: 'loginCount ge -7', expected: cmp('loginCount', 'ge', -7) },
  { name: 'decimal', filter: 'score lt 3.25', expected: cmp('score', 'lt', 3.25) },
  { name: 'exponent', filter: 'score le -1.5E+3', expected: cmp('score', 'le', -1500) },
  { name: 'small exponent', filter: 'score gt 2e-2', expected: cmp('score', 'gt', 0.02) },
  { name: 'empty string', filter: 'title eq ""', expected: cmp('title', 'eq', '') },
  {
    name: 'string escapes',
    filter: String.raw`title eq "a\"b\\c\/d\b\f\n\r\t"`,
    expected: cmp('title', 'eq', 'a"b\\c/d\b\f\n\r\t'),
  },
  {
    name: 'unicode escape',
    filter: String.raw`title eq "caf\u00E9 \u00e9"`,
    expected: cmp('title', 'eq', 'café é'),
  },
  {
    name: 'surrogate pair escape',
    filter: String.raw`title eq "\ud83d\ude00"`,
    expected: cmp('title', 'eq', '😀'),
  },
  { name: 'raw non-ASCII', filter: 'title eq "Zoë 日本"', expected: cmp('title', 'eq', 'Zoë 日本') },
  {
    name: 'keywords inside strings',
    filter: 'title eq "a and b or not (c)"',
    expected: cmp('title', 'eq', 'a and b or not (c)'),
  },

  // Precedence and grouping (RFC 7644 §3.4.2.2: not > and > or)
  {
    name: 'and binds tighter than or',
    filter: 'a eq 1 or b eq 2 and c eq 3',
    expected: or(cmp('a', 'eq', 1), and(cmp('b', 'eq', 2), cmp('c', 'eq', 3))),
  },
  {
    name: 'and binds tighter than or, on the left',
    filter: 'a eq 1 and b eq 2 or c eq 3',
    expected: or(and(cmp('a', 'eq', 1), cmp('b', 'eq', 2)), cmp('c', 'eq', 3)),
  },
  {
    name: 'parentheses override precedence',
    filter: '(a eq 1 or b eq 2) and c eq 3',
    expected: and(or(cmp('a', 'eq', 1), cmp('b', 'eq', 2)), cmp('c', 'eq', 3)),
  },
  {
    name: 'and is left-associative',
    filter: 'a eq 1 and b eq 2 and c eq 3',
    expected: and(and(cmp('a', 'eq', 1), cmp('b', 'eq', 2)), cmp('c', 'eq', 3)),
  },
  { name: 'redundant parentheses', filter: '((a pr))', expected: pr(path('a')) },
  {
    name: 'no spaces around parentheses',
    filter: '(a pr)and(b pr)',
    expected: and(pr(path('a')), pr(path('b'))),
  },
  { name: 'not', filter: 'not (a eq 1)', expected: not(cmp('a', 'eq', 1)) },
  { name: 'NOT without a space', filter: 'NOT(a pr)', expected: not(pr(path('a'))) },
  {
    name: 'not binds tighter than and',
    filter: 'not (a eq 1) and b eq 2',
    expected: and(not(cmp('a', 'eq', 1)), cmp('b', 'eq', 2)),
  },
  {
    name: 'RFC 7644 example: grouped or under and',
    filter: 'userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")',
    expected: and(
      cmp('userType', 'eq', 'Employee'),
      or(cmp('emails', 'co', 'example.com'), cmp(path('emails', 'value'), 'co', 'example.org')),
    ),
  },
  { name: 'extra whitespace', filter: '  userName \t eq\n"x"  ', expected: cmp('userName', 'eq', 'x') },

  // Paths
  {
    name: 'sub-attribute',
    filter: 'name.givenName eq "Barbara"',
    expected: cmp(path('name', 'givenName'), 'eq', 'Barbara'),
  },
  {
    name: 'URN-qualified core attribute',
    filter: `${USER_SCHEMA_ID}:userName eq "bjensen"`,
    expected: cmp(path('userName', undefined, USER_SCHEMA_ID), 'eq', 'bjensen'),
  },
  {
    name: 'URN-qualified core sub-attribute',
    filter: `${USER_SCHEMA_ID}:name.givenName eq "Barbara"`,
    expected: cmp(path('name', 'givenName', USER_SCHEMA_ID), 'eq', 'Barbara'),
  },
  {
    name: 'URN-qualified extension attribute',
    filter: `${ENTERPRISE_SCHEMA_ID}:department eq "Tour Operations"`,
    expected: cmp(path('department', undefined, ENTERPRISE_SCHEMA_ID), 'eq', 'Tour Operations'),
  },
  { name: '$ref', filter: 'members.$ref pr', expected: pr(path('members', '$ref')) },
  { name: 'hyphen and underscore in names', filter: 'x-a_b eq 1', expected: cmp('x-a_b', 'eq', 1) },

  // Value paths
  {
    name: 'value path',
    filter: 'emails[type eq "work"]',
    expected: valuePath('emails', cmp('type', 'eq', 'work')),
  },
  {
    name: 'value path with and',
    filter: 'emails[type eq "work" and value co "@example.com"]',
    expected: valuePath('emails', and(cmp('type', 'eq', 'work'), cmp('value', 'co', '@example.com'))),
  },
  {
    name: 'value path with and and a boolean',
    filter: 'emails[type eq "work" and primary eq true]',
    expected: valuePath('emails', and(cmp('type', 'eq', 'work'), cmp('primary', 'eq', true))),
  },
  {
    name: 'value path with or, not and grouping',
    filter: 'emails[not (type eq "home") and (value ew ".org" or primary eq true)]',
    expected: valuePath(
      'emails',
      and(not(cmp('type', 'eq', 'home')), or(cmp('value', 'ew', '.org'), cmp('primary', 'eq', true))),
    ),
  },
  {
    name: 'value path combined with other expressions',
    filter:
      'userType eq "Employee" and emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp"]',
    expected: or(
      and(
        cmp('userType', 'eq', 'Employee'),
        valuePath('emails', and(cmp('type', 'eq', 'work'), cmp('value', 'co', '@example.com'))),
      ),
      valuePath('ims', cmp('type', 'eq', 'xmpp')),
    ),
  },
  {
    name: 'not around a value path',
    filter: 'not (emails[type pr])',
    expected: not(valuePath('emails', pr(path('type')))),
  },

  // What identity providers send
  {
    name: 'Entra userName',
    filter: 'userName eq "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1"',
    expected: cmp('userName', 'eq', 'Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1'),
  },
  {
    name: 'Entra externalId',
    filter: 'externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"',
    expected: cmp('externalId', 'eq', '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef'),
  },
  {
    name: 'Entra group displayName',
    filter: 'displayName eq "Group1DisplayName"',
    expected: cmp('displayName', 'eq', 'Group1DisplayName'),
  },
  {
    name: 'Okta userName',
    filter: 'userName eq "test.user@okta.local"',
    expected: cmp('userName', 'eq', 'test.user@okta.local'),
  },
  {
    name: 'id',
    filter: 'id eq "2819c223-7f76-453a-919d-413861904646"',
    expected: cmp('id', 'eq', '2819c223-7f76-453a-919d-413861904646'),
  },
  {
    name: 'Entra member check',
    filter: 'members[value eq "2819c223"]',
    expected: valuePath('members', cmp('value', 'eq', '2819c223')),
  },
  {
    name: 'dateTime',
    filter: 'meta.lastModified gt "2011-05-13T04:42:34Z"',
    expected: cmp(path('meta', 'lastModified'), 'gt', '2011-05-13T04:42:34Z'),
  },
  // Not RFC syntax, but sent by Microsoft's published SCIM test collection: read as strings.
  { name: 'unquoted word value', filter: 'userName sw O', expected: cmp('userName', 'sw', 'O') },
  {
    name: 'unquoted values inside grouping',
    filter: 'name.FamilyName eq Employee and (emails.Value co example.com or emails.Value co example.org)',
    expected: and(
      cmp(path('name', 'FamilyName'), 'eq', 'Employee'),
      or(
        cmp(path('emails', 'Value'), 'co', 'example.com'),
        cmp(path('emails', 'Value'), 'co', 'example.org'),
      ),
    ),
  },
  {
    name: 'unquoted date-time value',
    filter: 'meta.Created gt 2015-10-10T14:38:21.8617979-07:00',
    expected: cmp(path('meta', 'Created'), 'gt', '2015-10-10T14:38:21.8617979-07:00'),
  },
  // An unquoted value is a JSON number, true, false or null when it is exactly one, and a string
  // otherwise, whatever its first character.
  {
    name: 'unquoted UUID starting with a digit',
    filter: 'id eq 6bd72063-9e0d-4f0e-8a55-1c2d3e4f5a6b',
    expected: cmp('id', 'eq', '6bd72063-9e0d-4f0e-8a55-1c2d3e4f5a6b'),
  },
  {
    name: 'unquoted UUID starting with a letter',
    filter: 'id eq d4549d56-3c1b-4e2a-9f88-7a6b5c4d3e2f',
    expected: cmp('id', 'eq', 'd4549d56-3c1b-4e2a-9f88-7a6b5c4d3e2f'),
  },
  {
    name: 'unquoted digit-leading value in a value filter, closed by a bracket',
    filter: 'members[value eq 2819c223-7f76]',
    expected: valuePath('members', cmp('value', 'eq', '2819c223-7f76')),
  },
  {
    name: 'unquoted digit-leading value closed by a parenthesis',
    filter: '(externalId eq 42abc)',
    expected: cmp('externalId', 'eq', '42abc'),
  },
  { name: 'unquoted number', filter: 'loginCount eq 12', expected: cmp('loginCount', 'eq', 12) },
  {
    name: 'unquoted negative exponent number',
    filter: 'loginCount gt -1.5e3',
    expected: cmp('loginCount', 'gt', -1500),
  },
  {
    name: 'unquoted number closed by a parenthesis',
    filter: '(loginCount ge 7)',
    expected: cmp('loginCount', 'ge', 7),
  },
  { name: 'unquoted literal in any case', filter: 'active eq TRUE', expected: cmp('active', 'eq', true) },
  { name: 'a leading zero makes it a string', filter: 'title eq 01', expected: cmp('title', 'eq', '01') },
  { name: 'a trailing dot makes it a string', filter: 'title eq 1.', expected: cmp('title', 'eq', '1.') },
  { name: 'a lone minus is a string', filter: 'title eq -', expected: cmp('title', 'eq', '-') },
  {
    name: 'digits glued to letters are a string',
    filter: 'title eq 12ab',
    expected: cmp('title', 'eq', '12ab'),
  },
  {
    name: 'an apostrophe inside a bare word',
    filter: "name.familyName eq O'Brien",
    expected: cmp(path('name', 'familyName'), 'eq', "O'Brien"),
  },
];

const deepParens = `${'('.repeat(1000)}userName eq "x"${')'.repeat(1000)}`;
const deepNots = `${'not ('.repeat(1000)}userName eq "x"${')'.repeat(1000)}`;

export const parseErrorCases: ParseErrorCase[] = [
  { name: 'empty filter', filter: '', error: 'Filter is empty' },
  { name: 'blank filter', filter: '   ', error: 'Filter is empty' },
  {
    name: 'unterminated string',
    filter: 'userName eq "bjensen',
    error: 'Unterminated string starting at position 12',
  },
  {
    name: 'bad escape',
    filter: String.raw`userName eq "a\x"`,
    error: String.raw`Invalid escape '\x' in string at position 14`,
  },
  {
    name: 'short unicode escape',
    filter: String.raw`title eq "\u12"`,
    error: String.raw`Invalid escape '\u' in string at position 10`,
  },
  {
    name: 'raw control character in a string',
    filter: 'title eq "a\u0001"',
    error: 'Unescaped control character U+0001 in string at position 11',
  },
  {
    name: 'single-quoted string',
    filter: "userName eq 'x'",
    error: "Unexpected character ''' at position 12",
  },
  {
    name: 'unexpected character',
    filter: 'userName eq "x" # comment',
    error: "Unexpected character '#' at position 16",
  },
  {
    name: 'missing value',
    filter: 'userName eq',
    error: "Expected a value after 'eq' but found end of filter at position 11",
  },
  {
    name: 'missing value before and',
    filter: 'userName eq and title pr',
    error: "Expected a value after 'eq' but found 'and' at position 12",
  },
  { name: 'unknown operator', filter: 'userName xx "x"', error: "Unknown operator 'xx' at position 9" },
  { name: 'symbolic operator', filter: 'userName = "x"', error: "Unexpected character '=' at position 9" },
  {
    name: 'missing operator',
    filter: 'userName',
    error: "Expected an operator after 'userName' at position 8 but the filter ended",
  },
  {
    name: 'trailing garbage',
    filter: 'userName eq "x" extra',
    error: "Unexpected 'extra' at position 16; expected 'and', 'or' or the end of the filter",
  },
  {
    name: 'trailing value',
    filter: 'userName eq "x" "y"',
    error: `Unexpected '"y"' at position 16; expected 'and', 'or' or the end of the filter`,
  },
  {
    name: 'dangling and',
    filter: 'userName eq "x" and',
    error: 'Expected an attribute name at position 19 but the filter ended',
  },
  {
    name: 'leading or',
    filter: 'or userName pr',
    error: "Unexpected 'or' at position 0; expected an attribute name, 'not' or '('",
  },
  {
    name: 'unclosed parenthesis',
    filter: '(userName eq "x"',
    error: "Expected ')' to close the '(' at position 0 but found end of filter at position 16",
  },
  {
    name: 'extra closing parenthesis',
    filter: 'userName eq "x")',
    error: "Unexpected ')' at position 15; expected 'and', 'or' or the end of the filter",
  },
  {
    name: 'empty parentheses',
    filter: '()',
    error: "Unexpected ')' at position 1; expected an attribute name, 'not' or '('",
  },
  {
    name: 'not without parentheses',
    filter: 'not userName pr',
    error: "Expected '(' after 'not' but found 'userName' at position 4",
  },
  {
    name: 'pr with a value',
    filter: 'title pr "x"',
    error: `Operator 'pr' takes no value, but '"x"' at position 9 follows it`,
  },
  {
    name: 'pr with a boolean',
    filter: 'active pr true',
    error: "Operator 'pr' takes no value, but 'true' at position 10 follows it",
  },
  {
    name: 'gt on a boolean',
    filter: 'active gt true',
    error: "Operator 'gt' at position 7 cannot compare with true",
  },
  {
    name: 'le on null',
    filter: 'title le null',
    error: "Operator 'le' at position 6 cannot compare with null",
  },
  {
    name: 'co with a number',
    filter: 'title co 5',
    error: "Operator 'co' at position 6 needs a string value, not 5",
  },
  {
    name: 'sw with a boolean',
    filter: 'title sw false',
    error: "Operator 'sw' at position 6 needs a string value, not false",
  },
  {
    name: 'number as an attribute name',
    filter: '12 eq "a"',
    error: "Unexpected '12' at position 0; expected an attribute name, 'not' or '('",
  },
  {
    name: 'malformed number as an attribute name',
    filter: '01 eq "a"',
    error: "Invalid number '01' at position 0",
  },
  {
    name: 'three-part path',
    filter: 'name.givenName.x eq "a"',
    error: "Invalid attribute path 'name.givenName.x' at position 0",
  },
  {
    name: 'bare schema URN',
    filter: `${ENTERPRISE_SCHEMA_ID} pr`,
    error: `Invalid attribute path '${ENTERPRISE_SCHEMA_ID.slice(0, 37)}...' at position 0`,
  },
  {
    name: 'sub-attribute after a value path',
    filter: 'emails[type eq "work"].value eq "x"',
    error: "Unexpected '.' at position 22: a sub-attribute after ']' is allowed in PATCH paths only",
  },
  {
    name: 'nested value path',
    filter: 'emails[type[value eq "x"]]',
    error: "Nested '[' at position 11: value filters cannot contain value filters",
  },
  {
    name: 'sub-attribute inside a value path',
    filter: 'emails[value.x eq "a"]',
    error:
      "Invalid attribute 'value.x' at position 7: inside '[...]' only plain sub-attribute names are allowed",
  },
  {
    name: 'value path on a sub-attribute',
    filter: 'name.givenName[value eq "a"]',
    error: "'[' at position 14 must follow an attribute, not the sub-attribute 'name.givenName'",
  },
  {
    name: 'unclosed bracket',
    filter: 'emails[type eq "work"',
    error: "Expected ']' to close the '[' at position 6 but found end of filter at position 21",
  },
  {
    name: 'bracket closed by a parenthesis',
    filter: '(emails[type eq "work")]',
    error: "Expected ']' to close the '[' at position 7 but found ')' at position 22",
  },
  {
    name: 'empty brackets',
    filter: 'emails[]',
    error: "Unexpected ']' at position 7; expected an attribute name, 'not' or '('",
  },
  {
    name: 'true as attribute',
    filter: 'true eq true',
    error: "Unexpected 'true' at position 0; expected an attribute name, 'not' or '('",
  },
  {
    name: '1000 nested parentheses',
    filter: deepParens,
    error: "Filter is nested too deeply at position 64 (at most 64 levels of '(' or '[')",
  },
  {
    name: '1000 nested nots',
    filter: deepNots,
    error: "Filter is nested too deeply at position 324 (at most 64 levels of '(' or '[')",
  },
  {
    name: '1 MB filter',
    filter: `userName eq "${'x'.repeat(1024 * 1024)}"`,
    error: 'filter is too long (1048590 characters, at most 10000)',
  },
  {
    name: 'long or-chain over the length limit',
    filter: Array.from({ length: 2000 }, (_, i) => `a eq ${i}`).join(' or '),
    error: /^filter is too long \(\d+ characters, at most 10000\)$/,
  },
];
