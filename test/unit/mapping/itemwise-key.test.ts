import { readdirSync } from 'node:fs';
import fc from 'fast-check';
import jsonata from 'jsonata';
import { describe, expect, it } from 'vitest';
import { YIELD_EVERY } from '../../../src/lib/yield.js';
import { compileExpression, withItemwiseKey } from '../../../src/mapping/expression.js';
import { loadMapping } from '../../../src/mapping/load-mapping.js';

const LONG = YIELD_EVERY * 2 + 7;

/** Equal values with the same key order: the ETag hashes the serialised resource. */
async function expectSameAsWhole(source: string, input: unknown, bindings?: Record<string, unknown>) {
  const whole = compileExpression(source);
  const inChunks = withItemwiseKey(whole, 'members');
  expect(inChunks, source).toBeDefined();
  const expected = await whole.evaluate(input, bindings);
  const chunked = await inChunks?.evaluate(input, bindings);
  expect(JSON.stringify(chunked), source).toBe(JSON.stringify(expected));
  return chunked;
}

describe('withItemwiseKey (a big group mapped in chunks)', () => {
  it("gives what the shipped mappings' group toScim gives, in the same key order", async () => {
    const files = readdirSync('mappings').filter((file) => file.endsWith('.yaml'));
    let groups = 0;
    for (const file of files) {
      const group = loadMapping(`mappings/${file}`).resources.Group;
      if (!group) continue;
      groups++;
      const inChunks = withItemwiseKey(group.toScim, 'members');
      expect(inChunks, file).toBeDefined();
      const ids = Array.from({ length: LONG }, (_, i) => i + 1);
      // Both shapes the shipped apps answer with: member ids, and member objects.
      const record = {
        id: 5,
        name: 'All staff',
        description: 'everyone',
        member_ids: ids,
        users: ids.map((id) => ({ id, name: `User ${id}` })),
      };
      const whole = await group.toScim.evaluate(record);
      const chunked = await inChunks?.evaluate(record);
      expect(JSON.stringify(chunked), file).toBe(JSON.stringify(whole));
      expect((chunked as { members: unknown[] }).members, file).toHaveLength(LONG);
    }
    expect(groups).toBeGreaterThan(0);
  });

  it('flattens, unwraps singletons and leaves out nothing as JSONata does', async () => {
    const long = Array.from({ length: LONG }, (_, i) => ({ id: i, tags: i % 3 === 0 ? [i, -i] : i }));
    await expectSameAsWhole('{ "name": name, "members": [users.tags] }', { name: 'x', users: long });
    await expectSameAsWhole('{ "members": users.tags, "name": name }', { name: 'x', users: long });
    await expectSameAsWhole('{ "members": [users.missing], "name": name }', { name: 'x', users: long });
    await expectSameAsWhole('{ "members": users.missing, "name": name }', { name: 'x', users: long });
    await expectSameAsWhole('{ "members": [users.tags[0]] }', { users: long });
    await expectSameAsWhole('{ "members": [users.{ "v": $string(id) }[v != "3"]] }', { users: long });
    await expectSameAsWhole(
      '{ "members": [users.{ "v": $lookups.prefix & $string(id) }], "n": 1 }',
      { users: long },
      {
        lookups: { prefix: 'u-' },
      },
    );
  });

  it('agrees with JSONata on any member list, whatever the chunk boundaries', async () => {
    const member = fc.oneof(
      fc.integer(),
      fc.string(),
      fc.constant(null),
      fc.record({ id: fc.integer(), name: fc.option(fc.string(), { nil: undefined }) }),
      fc.array(fc.integer(), { maxLength: 3 }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(member, { minLength: YIELD_EVERY + 1, maxLength: YIELD_EVERY * 3 }),
        async (ids) => {
          const source = '{ "displayName": name, "members": [member_ids.{ "value": $string($) }] }';
          const input = { name: 'g', member_ids: ids };
          const chunked = await withItemwiseKey(compileExpression(source), 'members')?.evaluate(input);
          const reference = JSON.parse(JSON.stringify(await jsonata(source).evaluate(input)));
          expect(chunked).toEqual(reference);
        },
      ),
      // No shrinking: a counterexample of thousands of members is read as it is.
      { numRuns: 15, endOnFailure: true },
    );
  });

  it('is undefined where the key is not mapped item by item', () => {
    for (const source of [
      '{ "members": $$.member_ids }',
      '{ "members": [member_ids.{ "v": $$.name }] }',
      '{ "members": [users.{ "v": %.name }] }',
      '{ "members": [users#$i.{ "v": $i }] }',
      '{ "members": [users^(id).{ "v": id }] }',
      '{ "members": [member_ids[0].{ "v": $ }] }',
      '{ "members": [users[id > 5].{ "v": id }] }',
      '{ "members": $count(member_ids) }',
      '{ "members": member_ids }',
      '( $x := 1; { "members": [member_ids.{ "v": $x }] } )',
      '{ "members": [member_ids.{ "v": $ }], "members": 1 }',
      '{ name: [member_ids.{ "v": $ }], "members": [member_ids.{ "v": $ }] }',
      '{ "displayName": name }',
    ]) {
      expect(withItemwiseKey(compileExpression(source), 'members'), source).toBeUndefined();
    }
  });

  it('evaluates a short list as the whole expression does, in one piece', async () => {
    const source = '{ "displayName": name, "members": [member_ids.{ "value": $string($) }] }';
    const short = { name: 'g', member_ids: [1, 2, 3] };
    expect(await withItemwiseKey(compileExpression(source), 'members')?.evaluate(short)).toEqual({
      displayName: 'g',
      members: [{ value: '1' }, { value: '2' }, { value: '3' }],
    });
  });

  it('falls back to JSONata for a chunk outside the subset', async () => {
    // $string of Infinity is an error in JSONata, so the subset declines and JSONata answers (fails).
    const source = '{ "members": [member_ids.{ "value": $string($) }] }';
    const ids = Array.from({ length: LONG }, (_, i) => (i === LONG - 1 ? Number.POSITIVE_INFINITY : i));
    const inChunks = withItemwiseKey(compileExpression(source), 'members');
    await expect(inChunks?.evaluate({ member_ids: ids })).rejects.toThrow();
    await expect(compileExpression(source).evaluate({ member_ids: ids })).rejects.toThrow();
  });
});
