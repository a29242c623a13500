import { describe, expect, it } from 'vitest';
import { YIELD_EVERY } from '../../../src/lib/yield.js';
import { groupResourceSchema } from '../../../src/scim/schemas/resource-schema.js';
import type { PresentedResource } from '../../../src/service/resource-codec.js';
import { fullResource, versionInPieces, versionsOf } from '../../../src/service/response.js';
import { makeEntry } from '../idmap/helpers.js';

const schema = groupResourceSchema();

function group(size: number): PresentedResource {
  const members = Array.from({ length: size }, (_, i) => ({ value: `user-${i}`, type: 'User' }));
  return {
    resource: { displayName: 'All staff', members, meta: { created: '2026-01-01T00:00:00.000Z' } },
    entry: makeEntry({ resourceType: 'Group' }),
    view: undefined,
  };
}

describe('the ETag of a big group, hashed in pieces', () => {
  it('is the ETag fullResource gives, and the one If-Match is checked against', async () => {
    for (const size of [0, 3, YIELD_EVERY, YIELD_EVERY * 3 + 1]) {
      const presented = group(size);
      const inPieces = await versionInPieces(presented);
      const full = fullResource('Group', presented, schema, 'https://sidecar.test/scim/v2');
      expect((full.meta as { version: string }).version, `${size} members`).toBe(inPieces);
      expect(versionsOf(presented)[0]).toBe(inPieces);
      // And one given to fullResource is the one it answers with.
      const given = fullResource('Group', presented, schema, 'https://sidecar.test/scim/v2', inPieces);
      expect(given).toEqual(full);
    }
  });

  it('changes with the members', async () => {
    const before = group(YIELD_EVERY * 2);
    const after = group(YIELD_EVERY * 2);
    after.entry = before.entry;
    (after.resource.members as Array<{ value: string }>)[YIELD_EVERY + 5] = { value: 'someone-else' };
    expect(await versionInPieces(after)).not.toBe(await versionInPieces(before));
  });
});
