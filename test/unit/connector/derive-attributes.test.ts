import { describe, expect, it } from 'vitest';
import { deriveAttributes } from '../../../src/connector/derive-attributes.js';
import { compileExpression, type Expression } from '../../../src/connector/expression.js';

const notCompiled: Expression = { source: '{"a": ', evaluate: async () => undefined, ast: () => undefined };

describe('deriveAttributes', () => {
  it.each([
    ['plain keys', '{"userName": login, "active": enabled}', ['userName', 'active']],
    [
      'nested complex attributes',
      '{"name": {"givenName": a, "familyName": b}}',
      ['name', 'name.givenName', 'name.familyName'],
    ],
    [
      'multi-valued attributes behind a condition',
      '{"emails": email ? [{"value": email, "type": "work"}]}',
      ['emails', 'emails.value', 'emails.type'],
    ],
    ['a mapped array', '{"members": [member_ids.{"value": $string($)}]}', ['members', 'members.value']],
    [
      'extension attributes, named with the URN',
      '{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": d ? {"department": d}}',
      [
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department',
      ],
    ],
    ['a block whose last expression builds the object', '($x := 1; {"title": t})', ['title']],
  ])('reads %s', (_name, expression, expected) => {
    expect(deriveAttributes(compileExpression(expression))).toEqual(expected);
  });

  it('gives nothing for an expression that does not compile (the loader reports it)', () => {
    expect(deriveAttributes(notCompiled)).toEqual([]);
  });

  it('gives nothing for an expression that builds no object literal', () => {
    expect(deriveAttributes(compileExpression('$merge([a, b])'))).toEqual([]);
  });
});
