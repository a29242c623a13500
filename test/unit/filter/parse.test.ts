import { describe, expect, it } from 'vitest';
import { ScimError } from '../../../src/scim/errors.js';
import { parseFilter, parseValueFilter } from '../../../src/scim/filter/index.js';
import { parseCases, parseErrorCases } from './parse-cases.js';

/** Runs `fn` and returns the ScimError it throws, failing the test if it throws anything else. */
function scimErrorOf(fn: () => unknown): ScimError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ScimError) return error;
    throw error;
  }
  throw new Error('expected a ScimError, but nothing was thrown');
}

describe('parseFilter', () => {
  it.each(parseCases)('parses $name: $filter', ({ filter, expected }) => {
    expect(parseFilter(filter)).toEqual(expected);
  });

  it.each(parseErrorCases.map((c) => ({ ...c, shown: c.filter.slice(0, 60) })))(
    'rejects $name: $shown',
    ({ filter, error }) => {
      const thrown = scimErrorOf(() => parseFilter(filter));
      expect(thrown.status).toBe(400);
      expect(thrown.scimType).toBe('invalidFilter');
      if (typeof error === 'string') expect(thrown.message).toBe(error);
      else expect(thrown.message).toMatch(error);
    },
  );

  it('accepts a filter just under the length limit', () => {
    const filter = `title eq "${'x'.repeat(10_000 - 'title eq ""'.length)}"`;
    expect(filter).toHaveLength(10_000);
    expect(parseFilter(filter)).toMatchObject({ kind: 'compare', op: 'eq' });
  });

  it('accepts nesting up to the depth limit', () => {
    const filter = `${'('.repeat(64)}a pr${')'.repeat(64)}`;
    expect(parseFilter(filter)).toEqual({ kind: 'present', path: { attribute: 'a' } });
  });

  it('parses a long or-chain within the length limit without recursion trouble', () => {
    const filter = Array.from({ length: 800 }, (_, i) => `a eq ${i}`).join(' or ');
    expect(filter.length).toBeLessThanOrEqual(10_000);
    let node = parseFilter(filter);
    let depth = 0;
    while (node.kind === 'or') {
      node = node.left;
      depth++;
    }
    expect(depth).toBe(799);
    expect(node).toEqual({ kind: 'compare', path: { attribute: 'a' }, op: 'eq', value: 0 });
  });

  it('reports a 1 MB filter without scanning it', () => {
    const started = performance.now();
    expect(() => parseFilter('('.repeat(1024 * 1024))).toThrow(/filter is too long/);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('parseValueFilter', () => {
  it('parses the content of a value-path bracket', () => {
    expect(parseValueFilter('type eq "work" and primary eq true')).toEqual({
      kind: 'and',
      left: { kind: 'compare', path: { attribute: 'type' }, op: 'eq', value: 'work' },
      right: { kind: 'compare', path: { attribute: 'primary' }, op: 'eq', value: true },
    });
  });

  // PATCH paths (`emails[type eq 6bd72063-...]`) read their value filter with parseValueFilter.
  it.each(['6bd72063-9e0d-4f0e-8a55-1c2d3e4f5a6b', 'd4549d56-3c1b-4e2a-9f88-7a6b5c4d3e2f'])(
    'reads the unquoted value %s as a string, whatever its first character',
    (value) => {
      expect(parseValueFilter(`value eq ${value}`)).toEqual({
        kind: 'compare',
        path: { attribute: 'value' },
        op: 'eq',
        value,
      });
    },
  );

  it.each([
    [
      'value.x eq "a"',
      "Invalid attribute 'value.x' at position 0: inside '[...]' only plain sub-attribute names are allowed",
    ],
    [
      'urn:ietf:params:scim:schemas:core:2.0:User:userName eq "a"',
      "Invalid attribute 'urn:ietf:params:scim:schemas:core:2.0:User:userName' at position 0: inside '[...]' only plain sub-attribute names are allowed",
    ],
    ['members[value eq "a"]', "Nested '[' at position 7: value filters cannot contain value filters"],
  ])('rejects %s', (filter, message) => {
    const thrown = scimErrorOf(() => parseValueFilter(filter));
    expect(thrown.scimType).toBe('invalidFilter');
    expect(thrown.message).toBe(message);
  });
});
