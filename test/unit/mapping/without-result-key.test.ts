import { describe, expect, it } from 'vitest';
import { compileExpression, withoutResultKey } from '../../../src/mapping/expression.js';

const team = { id: 7, name: 'Ops', member_ids: [1, 2, 3] };

describe('withoutResultKey (a group read without its members)', () => {
  it('leaves the key out of an object constructor and evaluates the rest as before', async () => {
    const full = compileExpression(
      '{ "displayName": name, "members": [member_ids.{ "value": $string($) }] }',
    );
    const trimmed = withoutResultKey(full, 'members');
    expect(await full.evaluate(team)).toEqual({
      displayName: 'Ops',
      members: [{ value: '1' }, { value: '2' }, { value: '3' }],
    });
    expect(await trimmed?.evaluate(team)).toEqual({ displayName: 'Ops' });
  });

  it('leaves it out of the object a block ends with, keeping the block variables', async () => {
    const full = compileExpression(
      '( $n := $uppercase(name); { "displayName": $n, "members": member_ids } )',
    );
    expect(await withoutResultKey(full, 'members')?.evaluate(team)).toEqual({ displayName: 'OPS' });
  });

  it('is undefined when the expression builds no object naming the key', () => {
    expect(withoutResultKey(compileExpression('{ "displayName": name }'), 'members')).toBeUndefined();
    expect(
      withoutResultKey(compileExpression('$merge([{ "a": 1 }, { "members": [] }])'), 'members'),
    ).toBeUndefined();
    expect(withoutResultKey(compileExpression('name'), 'members')).toBeUndefined();
  });

  it('falls back to the whole expression, dropping the key, for values outside the subset', async () => {
    // A top-level array input is outside the subset: JSONata evaluates it.
    const full = compileExpression('{ "name": name, "members": $ }');
    const trimmed = withoutResultKey(full, 'members');
    expect(trimmed).toBeDefined();
    expect(await trimmed?.evaluate([{ name: 'a' }])).toEqual({ name: 'a' });
  });
});
