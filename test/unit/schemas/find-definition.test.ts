import { describe, expect, it } from 'vitest';
import { findDefinition } from '../../../src/scim/attributes.js';
import type { AttributeDefinition } from '../../../src/scim/schema-types.js';
import { defineAttribute } from '../../../src/scim/schemas/common.js';

const attribute = (name: string, description = name): AttributeDefinition =>
  defineAttribute({ name, description, type: 'string' });

describe('findDefinition', () => {
  it('finds a name in any case, the first of two that differ only in case', () => {
    const list = [attribute('userName', 'first'), attribute('displayName'), attribute('USERNAME', 'second')];
    for (const name of ['userName', 'username', 'USERNAME', 'UserName']) {
      expect(findDefinition(list, name)?.description).toBe('first');
    }
    expect(findDefinition(list, 'DisplayName')?.name).toBe('displayName');
    expect(findDefinition(list, 'nickName')).toBeUndefined();
    expect(findDefinition([], 'userName')).toBeUndefined();
  });

  it('sees a definition added to a list it has looked in before', () => {
    const list = [attribute('title')];
    expect(findDefinition(list, 'locale')).toBeUndefined();
    list.push(attribute('locale'));
    expect(findDefinition(list, 'Locale')?.name).toBe('locale');
  });
});
