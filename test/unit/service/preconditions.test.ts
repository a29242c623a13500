import { describe, expect, it } from 'vitest';
import { matchesEntityTag } from '../../../src/service/preconditions.js';

const CURRENT = 'W/"abc123"';

describe('matchesEntityTag (If-Match / If-None-Match lists)', () => {
  it.each<[string, boolean]>([
    ['W/"abc123"', true],
    ['"abc123"', true],
    ['W/"other"', false],
    ['W/"other", W/"abc123"', true],
    ['W/"other",W/"abc123"', true],
    ['*', true],
    [' * ', true],
    ['', false],
    ['abc123', false],
    ['W/', false],
  ])('%j → %s', (header, expected) => {
    expect(matchesEntityTag(header, [CURRENT])).toBe(expected);
  });

  it('matches any of several current versions (a group read with or without members)', () => {
    expect(matchesEntityTag('W/"lean"', ['W/"full"', 'W/"lean"'])).toBe(true);
  });

  it('* needs a current version: nothing exists, nothing matches', () => {
    expect(matchesEntityTag('*', [])).toBe(false);
  });
});
