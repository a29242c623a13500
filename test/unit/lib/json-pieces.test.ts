import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonPieces } from '../../../src/lib/json-pieces.js';
import { YIELD_EVERY } from '../../../src/lib/yield.js';

const LONG = YIELD_EVERY * 2 + 3;

describe('jsonPieces', () => {
  it('joins to exactly what JSON.stringify writes, long arrays and left-out values included', async () => {
    const members = Array.from({ length: LONG }, (_, i) => ({
      value: `id-${i}`,
      type: 'User',
      display: '"q"\u2028',
    }));
    const values: Array<Record<string, unknown>> = [
      {},
      { a: undefined },
      { a: undefined, b: 1 },
      { b: 1, a: undefined, c: () => 1 },
      { 2: 'two', 1: 'one', z: [1, undefined, null], '': '' },
      { displayName: 'All', members, meta: { version: 'W/"x"' } },
      {
        members,
        other: Array.from({ length: LONG }, (_, i) => (i % 7 === 0 ? undefined : i)),
        when: new Date(0),
      },
      { members: Array.from({ length: YIELD_EVERY }, (_, i) => i) },
    ];
    for (const value of values) expect((await jsonPieces(value)).join('')).toBe(JSON.stringify(value));
  });

  it('agrees with JSON.stringify on any object', async () => {
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.string(), fc.jsonValue()), async (value) => {
        expect((await jsonPieces(value)).join('')).toBe(JSON.stringify(value));
      }),
      { numRuns: 200 },
    );
  });

  it('hands a long array over in chunks, each piece short', async () => {
    const pieces = await jsonPieces({ members: Array.from({ length: LONG }, (_, i) => i) });
    expect(pieces.length).toBeGreaterThanOrEqual(Math.ceil(LONG / YIELD_EVERY) + 2);
    expect(Math.max(...pieces.map((p) => p.length))).toBeLessThan(YIELD_EVERY * 6);
  });
});
