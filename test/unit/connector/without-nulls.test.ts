import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { withoutNulls } from '../../../src/connector/gateway.js';
import type { ScimResource } from '../../../src/scim/schema-types.js';

/** The copying version: what withoutNulls must give, whether or not it copies. */
function reference(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(reference).filter((v) => v !== undefined);
    return items.length > 0 ? items : undefined;
  }
  if (typeof value === 'object' && value !== null) {
    // fromEntries, not assignment: an own "__proto__" key is data, as JSON.parse gives it.
    const entries = Object.entries(value)
      .map(([k, v]) => [k, reference(v)] as const)
      .filter(([, cleaned]) => cleaned !== undefined);
    return entries.length > 0 ? Object.fromEntries(entries) : undefined;
  }
  return value === null ? undefined : value;
}

describe('withoutNulls', () => {
  it('drops nulls, and arrays and objects left empty, at any depth', () => {
    const resource = {
      userName: 'ada',
      nickName: null,
      name: { givenName: 'Ada', middleName: null },
      emails: [{ value: null }, { value: 'ada@example.com', type: null }],
      phoneNumbers: [null],
      addresses: [],
      x: {},
      members: [{ value: '1' }, null, { value: '2' }],
    };
    const before = structuredClone(resource);
    expect(withoutNulls(resource)).toEqual({
      userName: 'ada',
      name: { givenName: 'Ada' },
      emails: [{ value: 'ada@example.com' }],
      members: [{ value: '1' }, { value: '2' }],
    });
    expect(resource).toEqual(before);
  });

  it('hands back what holds no null as it is, without copying it', () => {
    const members = Array.from({ length: 5_000 }, (_, i) => ({ value: String(i) }));
    const resource: ScimResource = { displayName: 'All', members, meta: { created: 'x' } };
    const cleaned = withoutNulls(resource);
    expect(cleaned).toBe(resource);
    expect(cleaned.members).toBe(members);

    // One null deep in it: copies along that path only.
    const withNull: ScimResource = {
      displayName: 'All',
      members: [...members, { value: '9', display: null }],
    };
    const partly = withoutNulls(withNull);
    expect(partly).not.toBe(withNull);
    expect((partly.members as unknown[])[0]).toBe(members[0]);
    expect((partly.members as unknown[])[5_000]).toEqual({ value: '9' });
  });

  it('keeps an own "__proto__" key as data when it copies', () => {
    const parsed = JSON.parse(
      '{"a": null, "__proto__": {"polluted": true}, "b": {"__proto__": 0, "c": null}}',
    ) as ScimResource;
    const cleaned = withoutNulls(parsed);
    expect(Object.getPrototypeOf(cleaned)).toBe(Object.prototype);
    expect(Object.keys(cleaned)).toEqual(['__proto__', 'b']);
    expect(Object.getOwnPropertyDescriptor(cleaned, '__proto__')?.value).toEqual({ polluted: true });
    expect(Object.getOwnPropertyDescriptor(cleaned.b, '__proto__')?.value).toBe(0);
    expect((cleaned as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('gives what a copying clean-up gives, on any JSON', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (value) => {
        expect(withoutNulls(value)).toEqual(reference(value) ?? {});
      }),
      { numRuns: 300 },
    );
  });
});
