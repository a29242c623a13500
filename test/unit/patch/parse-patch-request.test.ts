import { describe, expect, it } from 'vitest';
import { isScimError, type ScimType } from '../../../src/scim/errors.js';
import { PATCH_OP_SCHEMA, parsePatchRequest } from '../../../src/scim/patch/index.js';

const body = (Operations: unknown) => ({ schemas: [PATCH_OP_SCHEMA], Operations });

const malformed: { name: string; body: unknown; error: ScimType; message?: RegExp }[] = [
  { name: 'a string body', body: 'add', error: 'invalidSyntax' },
  { name: 'an array body', body: [{ op: 'add' }], error: 'invalidSyntax' },
  { name: 'a null body', body: null, error: 'invalidSyntax' },
  { name: 'no schemas', body: { Operations: [{ op: 'remove', path: 'title' }] }, error: 'invalidSyntax' },
  {
    name: 'another message schema',
    body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations: [] },
    error: 'invalidSyntax',
  },
  { name: 'no Operations', body: { schemas: [PATCH_OP_SCHEMA] }, error: 'invalidSyntax' },
  { name: 'empty Operations', body: body([]), error: 'invalidSyntax' },
  { name: 'Operations not an array', body: body({ op: 'add' }), error: 'invalidSyntax' },
  { name: 'an operation that is not an object', body: body(['add']), error: 'invalidSyntax' },
  {
    name: 'op "frobnicate"',
    body: body([{ op: 'frobnicate', path: 'title', value: 'x' }]),
    error: 'invalidSyntax',
    message: /^Operations\[0\]: unsupported op "frobnicate"/,
  },
  { name: 'no op', body: body([{ path: 'title', value: 'x' }]), error: 'invalidSyntax' },
  {
    name: 'add without value',
    body: body([
      { op: 'replace', path: 'title', value: 'x' },
      { op: 'add', path: 'title' },
    ]),
    error: 'invalidValue',
    message: /^Operations\[1\]: "add" requires a "value"/,
  },
  { name: 'replace without value', body: body([{ op: 'replace', path: 'title' }]), error: 'invalidValue' },
  { name: 'remove without path', body: body([{ op: 'remove' }]), error: 'noTarget' },
  { name: 'remove with an empty path', body: body([{ op: 'remove', path: ' ' }]), error: 'noTarget' },
  { name: 'path-less add of a non-object', body: body([{ op: 'add', value: 'x' }]), error: 'invalidValue' },
  {
    name: 'path-less replace of an array',
    body: body([{ op: 'replace', value: [{}] }]),
    error: 'invalidValue',
  },
  { name: 'a path that is not a string', body: body([{ op: 'remove', path: 7 }]), error: 'invalidPath' },
  {
    name: 'a malformed path',
    body: body([{ op: 'remove', path: 'emails[type eq "work"' }]),
    error: 'invalidPath',
    message: /emails\[type eq "work"/,
  },
];

function failure(run: () => unknown): { scimType: ScimType | undefined; message: string } | undefined {
  try {
    run();
  } catch (error) {
    if (isScimError(error)) return { scimType: error.scimType, message: error.message };
    throw error;
  }
  return undefined;
}

describe('parsePatchRequest', () => {
  it.each(malformed)('refuses $name', ({ body: input, error, message }) => {
    const result = failure(() => parsePatchRequest(input));
    expect(result?.scimType).toBe(error);
    if (message) expect(result?.message).toMatch(message);
  });

  it('normalises op names and keeps path and value', () => {
    const operations = parsePatchRequest(
      body([
        { op: 'Replace', path: 'active', value: 'False' },
        { op: 'Remove', path: 'members', value: [{ value: 'u1' }] },
        { op: 'ADD', value: { nickName: 'Babs' } },
      ]),
    );
    expect(operations).toEqual([
      { op: 'replace', path: { text: 'active', attribute: 'active' }, value: 'False' },
      { op: 'remove', path: { text: 'members', attribute: 'members' }, value: [{ value: 'u1' }] },
      { op: 'add', value: { nickName: 'Babs' } },
    ]);
  });

  it('accepts the schema URN and member names in any case', () => {
    const operations = parsePatchRequest({
      schemas: [PATCH_OP_SCHEMA.toLowerCase()],
      operations: [{ OP: 'remove', Path: 'title' }],
    });
    expect(operations).toEqual([{ op: 'remove', path: { text: 'title', attribute: 'title' } }]);
  });

  it('accepts a null value on replace (it unassigns)', () => {
    expect(parsePatchRequest(body([{ op: 'replace', path: 'title', value: null }]))[0]?.value).toBeNull();
  });

  it('limits the number of operations', () => {
    const three = body([1, 2, 3].map((n) => ({ op: 'replace', path: 'title', value: String(n) })));
    expect(parsePatchRequest(three, { maxOperations: 3 })).toHaveLength(3);
    const result = failure(() => parsePatchRequest(three, { maxOperations: 2 }));
    expect(result).toEqual({
      scimType: 'invalidSyntax',
      message: expect.stringMatching(/3 operations; at most 2/),
    });
  });
});
