import { describe, expect, it } from 'vitest';
import { ScimError } from '../../../src/scim/errors.js';
import { evaluateFilter, parseFilter } from '../../../src/scim/filter/index.js';
import { evaluateCases, fixtures } from './evaluate-cases.js';

function matches(filter: string, on: keyof typeof fixtures = 'user'): boolean {
  const { resource, schema } = fixtures[on];
  return evaluateFilter(parseFilter(filter), resource, schema);
}

describe('evaluateFilter', () => {
  it.each(evaluateCases.map((c) => ({ ...c, on: c.on ?? 'user' })))(
    '$filter on $on → $matches',
    ({ filter, matches: expected, on }) => {
      expect(matches(filter, on)).toBe(expected);
    },
  );

  it.each([
    ['active gt 1', "Operator 'gt' cannot be applied to the boolean attribute 'active'"],
    ['emails.primary le "x"', "Operator 'le' cannot be applied to the boolean attribute 'primary'"],
    ['photo lt "abc"', "Operator 'lt' cannot be applied to the binary attribute 'photo'"],
  ])('rejects ordering on %s', (filter, message) => {
    let thrown: unknown;
    try {
      matches(filter);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ScimError);
    expect(thrown).toMatchObject({ status: 400, scimType: 'invalidFilter', message });
  });

  it('does not modify the resource', () => {
    const before = structuredClone(fixtures.user.resource);
    matches('emails[type eq "work"] and name.givenName pr and urn:x:1.0:Y:z eq "q"');
    expect(fixtures.user.resource).toEqual(before);
  });

  it('evaluates a long or-chain', () => {
    const filter = Array.from({ length: 350 }, (_, i) => `loginCount eq ${i + 100}`).join(' or ');
    expect(matches(filter)).toBe(false);
    expect(matches(`${filter} or loginCount eq 42`)).toBe(true);
  });

  it('ignores elements of a multi-valued attribute that are not objects in a value path', () => {
    const resource = { emails: ['loose@example.com', null, { value: 'a@example.com', type: 'work' }] };
    const filter = parseFilter('emails[type eq "work"]');
    expect(evaluateFilter(filter, resource, fixtures.user.schema)).toBe(true);
    expect(evaluateFilter(parseFilter('emails eq "loose@example.com"'), resource, fixtures.user.schema)).toBe(
      true,
    );
  });
});
