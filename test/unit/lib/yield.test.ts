import { describe, expect, it } from 'vitest';
import { holdsLongArray, YIELD_EVERY } from '../../../src/lib/yield.js';

describe('holdsLongArray', () => {
  it('is true for an object holding an array longer than one chunk at its top level', () => {
    const ids = Array.from({ length: YIELD_EVERY + 1 }, (_, i) => i);
    expect(holdsLongArray({ id: 5, name: 'All', member_ids: ids })).toBe(true);
    expect(holdsLongArray({ members: ids.map((value) => ({ value })) })).toBe(true);
  });

  it('is false for small arrays, deeper arrays and non-objects', () => {
    expect(holdsLongArray({ member_ids: Array.from({ length: YIELD_EVERY }, (_, i) => i) })).toBe(false);
    expect(holdsLongArray({ team: { member_ids: Array.from({ length: YIELD_EVERY * 2 }) } })).toBe(false);
    expect(holdsLongArray(undefined)).toBe(false);
    expect(holdsLongArray('x'.repeat(YIELD_EVERY * 2))).toBe(false);
  });
});
