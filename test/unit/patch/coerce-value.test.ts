import { describe, expect, it } from 'vitest';
import { isScimError } from '../../../src/scim/errors.js';
import { coerceAttributeValue } from '../../../src/scim/patch/coerce-value.js';
import type { AttributeDefinition } from '../../../src/scim/schema-types.js';

function definition(type: AttributeDefinition['type'], multiValued = false): AttributeDefinition {
  return {
    name: 'x',
    type,
    multiValued,
    description: '',
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
  };
}

const accepted: {
  type: AttributeDefinition['type'];
  value: unknown;
  expected: unknown;
  multiValued?: boolean;
}[] = [
  { type: 'boolean', value: 'True', expected: true },
  { type: 'boolean', value: 'false', expected: false },
  { type: 'boolean', value: true, expected: true },
  { type: 'integer', value: '42', expected: 42 },
  { type: 'integer', value: -7, expected: -7 },
  { type: 'decimal', value: '3.25', expected: 3.25 },
  { type: 'decimal', value: 1e3, expected: 1000 },
  { type: 'dateTime', value: '2015-09-01T12:00:00Z', expected: '2015-09-01T12:00:00Z' },
  { type: 'reference', value: 'https://example.com/Users/1', expected: 'https://example.com/Users/1' },
  // Entra sends employeeNumber as a number; a plain string attribute takes its text.
  { type: 'string', value: 7, expected: '7' },
  { type: 'string', value: 'a', expected: ['a'], multiValued: true },
  { type: 'string', value: ['a', null, 'b'], expected: ['a', 'b'], multiValued: true },
];

const refused: { type: AttributeDefinition['type']; value: unknown; multiValued?: boolean }[] = [
  { type: 'boolean', value: 'yes' },
  { type: 'boolean', value: 1 },
  { type: 'integer', value: '4.5' },
  { type: 'integer', value: 4.5 },
  { type: 'integer', value: '' },
  { type: 'decimal', value: 'abc' },
  { type: 'dateTime', value: 'yesterday' },
  { type: 'reference', value: 7 },
  { type: 'string', value: ['a'] },
  { type: 'complex', value: 'no value sub-attribute' },
];

describe('coerceAttributeValue', () => {
  it.each(accepted)('takes $value as $type', ({ type, value, expected, multiValued }) => {
    expect(coerceAttributeValue(definition(type, multiValued), value, 'x')).toEqual(expected);
  });

  it.each(refused)('refuses $value as $type', ({ type, value, multiValued }) => {
    try {
      coerceAttributeValue(definition(type, multiValued), value, 'x');
      expect.unreachable();
    } catch (error) {
      expect(isScimError(error) && error.scimType).toBe('invalidValue');
    }
  });

  it("gives known sub-attributes the schema's spelling and coerces them", () => {
    const address = {
      ...definition('complex'),
      subAttributes: [{ ...definition('boolean'), name: 'primary' }],
    };
    expect(coerceAttributeValue(address, { PRIMARY: 'True', extra: 1 }, 'addresses')).toEqual({
      primary: true,
      extra: 1,
    });
  });
});
