import { describe, expect, it } from 'vitest';
import { advertisedAttributes, deriveAttributes } from '../../../src/mapping/derive-attributes.js';
import { compileExpression, type Expression } from '../../../src/mapping/expression.js';

const notCompiled: Expression = { source: '{"a": ', evaluate: async () => undefined, ast: () => undefined };

describe('deriveAttributes', () => {
  it.each([
    ['plain keys', '{"userName": login, "active": enabled}', ['userName', 'active']],
    [
      'a complex attribute as the sub-attributes it produces, not the whole attribute',
      '{"name": {"givenName": a, "familyName": b}}',
      ['name.givenName', 'name.familyName'],
    ],
    [
      'multi-valued attributes behind a condition',
      '{"emails": email ? [{"value": email, "type": "work"}]}',
      ['emails.value', 'emails.type'],
    ],
    ['a mapped array', '{"members": [member_ids.{"value": $string($)}]}', ['members.value']],
    ['a complex attribute produced whole', '{"manager": boss}', ['manager']],
    [
      'extension attributes, named with the URN',
      '{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": d ? {"department": d}}',
      ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department'],
    ],
    [
      'sub-attributes of extension attributes',
      '{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": m}}}',
      ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value'],
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

  describe('advertisedAttributes', () => {
    it('adds the preserved paths and externalId to what toScim produces', () => {
      const toScim = compileExpression('{"userName": login, "name": {"givenName": a}}');
      expect(advertisedAttributes('User', toScim, ['emails', 'name.formatted'])).toEqual([
        'userName',
        'name.givenName',
        'emails',
        'name.formatted',
        'externalId',
      ]);
    });

    it('adds the member display and type the adapter keeps for a Group whose members are mapped', () => {
      const toScim = compileExpression('{"displayName": name, "members": [ids.{"value": $string($)}]}');
      expect(advertisedAttributes('Group', toScim, [])).toEqual([
        'displayName',
        'members.value',
        'members.display',
        'members.type',
        'externalId',
      ]);
      expect(advertisedAttributes('Group', compileExpression('{"displayName": name}'), [])).toEqual([
        'displayName',
        'externalId',
      ]);
    });
  });
});
