import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cloneEntry, EntryIndex, IdMapConflictError } from '../../../src/idmap/entry-index.js';
import type { IdMapEntry, ResourceTypeName } from '../../../src/idmap/types.js';
import { makeEntry } from './helpers.js';

const LOWER_UUID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const UPPER_UUID = '7C9E6679-7425-40DE-944B-E07FC1F90AE7';
const MIXED_UUID = '7c9e6679-7425-40DE-944b-e07fc1f90ae7';

/** Stores `entry` and checks every way of reading it gives what a JSON round trip would. */
function expectRoundTrip(entry: IdMapEntry): void {
  const index = new EntryIndex();
  index.set(entry);
  const expected = cloneEntry(entry);
  expect(index.get(entry.resourceType, entry.scimId)).toStrictEqual(expected);
  expect(index.findByAppId(entry.resourceType, entry.appId)).toStrictEqual(expected);
  if (typeof entry.externalId === 'string') {
    expect(index.findByExternalId(entry.resourceType, entry.externalId)).toStrictEqual(expected);
  }
  expect(Array.from(index.values())).toStrictEqual([expected]);
}

describe('EntryIndex', () => {
  it('resolves many app ids to SCIM ids at once, tombstones marked, unknown ones undefined', () => {
    const index = new EntryIndex();
    const live = makeEntry({ appId: '17' });
    const gone = makeEntry({ appId: 'jdoe', deleted: true, preserved: { x: { original: 1 } } });
    const group = makeEntry({ resourceType: 'Group', appId: '18' });
    for (const entry of [live, gone, group]) index.set(entry);
    expect(index.resolveAppIds('User', ['17', 'jdoe', '18', 'nobody', '17'])).toEqual([
      { scimId: live.scimId, deleted: false },
      { scimId: gone.scimId, deleted: true },
      undefined,
      undefined,
      { scimId: live.scimId, deleted: false },
    ]);
  });

  it('resolves many SCIM ids to app ids at once, tombstones marked, unknown ones undefined', () => {
    const index = new EntryIndex();
    const live = makeEntry({ appId: '17' });
    const gone = makeEntry({ appId: 'jdoe', deleted: true, preserved: { x: { original: 1 } } });
    const uuidApp = makeEntry({ appId: UPPER_UUID, externalId: 'ext-1' });
    const group = makeEntry({ resourceType: 'Group', appId: '18' });
    for (const entry of [live, gone, uuidApp, group]) index.set(entry);
    expect(
      index.resolveScimIds('User', [live.scimId, gone.scimId, group.scimId, 'nobody', uuidApp.scimId]),
    ).toEqual([
      { appId: '17', deleted: false },
      { appId: 'jdoe', deleted: true },
      undefined,
      undefined,
      { appId: UPPER_UUID, deleted: false },
    ]);
  });

  describe('round trip', () => {
    const ids = [
      LOWER_UUID,
      UPPER_UUID,
      MIXED_UUID,
      `{${LOWER_UUID}}`,
      LOWER_UUID.replaceAll('-', ''),
      `${LOWER_UUID.slice(0, 35)}g`,
      `${LOWER_UUID.slice(0, 8)}+${LOWER_UUID.slice(9)}`,
      '01234567-8901-2345-6789-012345678901',
      '',
      'jdoe',
      'Jöhn Dœ 漢字 🙂',
      'x'.repeat(10_000),
    ];
    const appIds = [
      '0',
      '1',
      '42',
      '007',
      '-1',
      '-0',
      '1.5',
      '1e3',
      ' 42',
      '9007199254740991',
      '9007199254740992',
      '12345678901234567890',
      '9'.repeat(400),
      LOWER_UUID,
      'app-Ω',
    ];

    it.each(ids)('keeps the SCIM id %j', (scimId) => {
      expectRoundTrip(makeEntry({ scimId, appId: 'a', externalId: 'e' }));
    });

    it.each(ids)('keeps the externalId %j', (externalId) => {
      expectRoundTrip(makeEntry({ externalId }));
    });

    it.each(appIds)('keeps the app id %j', (appId) => {
      expectRoundTrip(makeEntry({ appId }));
    });

    it('keeps GUIDs in the case they came in and matches them case-sensitively', () => {
      const index = new EntryIndex();
      const upper = makeEntry({ scimId: UPPER_UUID, externalId: UPPER_UUID, appId: UPPER_UUID });
      index.set(upper);
      expect(index.get('User', UPPER_UUID)).toEqual(upper);
      expect(index.get('User', UPPER_UUID.toLowerCase())).toBeUndefined();
      expect(index.findByExternalId('User', UPPER_UUID.toLowerCase())).toBeUndefined();
      expect(index.findByAppId('User', UPPER_UUID.toLowerCase())).toBeUndefined();
      const lower = makeEntry({ scimId: LOWER_UUID, externalId: UPPER_UUID.toLowerCase() });
      index.set(lower);
      expect(index.findByExternalId('User', UPPER_UUID)).toEqual(upper);
      expect(index.findByExternalId('User', UPPER_UUID.toLowerCase())).toEqual(lower);
    });

    it('tells apart app ids that are equal as numbers', () => {
      const index = new EntryIndex();
      const forms = ['7', '007', '7.0', '+7', '07'];
      for (const appId of forms) index.set(makeEntry({ appId }));
      for (const appId of forms) expect(index.findByAppId('User', appId)?.appId).toBe(appId);
      expect(index.findByAppId('User', '0007')).toBeUndefined();
    });

    it.each([
      ['2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z'],
      ['2024-01-01T00:00:00.000Z', '2024-06-30T23:59:59.999Z'],
      ['2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z'],
      ['2024-01-01T00:00:00.000+00:00', '2024-01-01T00:00:00.000Z'],
      ['2024-01-01T00:00:00.1234Z', '2024-01-01T00:00:00.123Z'],
      ['1969-12-31T23:59:59.999Z', '+275760-09-13T00:00:00.000Z'],
      ['-000001-01-01T00:00:00.000Z', '2024-01-01'],
      ['not a date', 'not a date'],
      ['', 'Mon, 01 Jan 2024 00:00:00 GMT'],
    ])('keeps the timestamps %j and %j exactly', (created, lastModified) => {
      expectRoundTrip(makeEntry({ created, lastModified }));
    });

    it.each([0, 1, 2, 127, 128, 300, 2 ** 32, Number.MAX_SAFE_INTEGER, 2 ** 60, -1, 1.5, -0])(
      'keeps version %d',
      (version) => {
        expectRoundTrip(makeEntry({ version }));
      },
    );

    it('gives a version JSON cannot hold back as JSON would (null)', () => {
      expectRoundTrip(makeEntry({ version: Number.NaN }));
      expectRoundTrip(makeEntry({ version: Number.POSITIVE_INFINITY }));
    });

    it('keeps flags, preserved values and member displays, unicode included', () => {
      for (const deleted of [undefined, true] as const) {
        for (const incomplete of [undefined, true] as const) {
          for (const externalId of [undefined, 'ext', LOWER_UUID]) {
            expectRoundTrip(
              makeEntry({
                resourceType: 'Group',
                ...(deleted && { deleted }),
                ...(incomplete && { incomplete }),
                ...(externalId !== undefined && { externalId }),
                preserved: {
                  userName: { original: 'Jöhn@cöntoso.com 🙂', derived: 'john' },
                  'name.givenName': { original: ['漢字', null, 1.5, { nested: true }], derived: null },
                },
                memberDisplays: { [LOWER_UUID]: 'Ünïcode “display” \u2028', other: '' },
              }),
            );
          }
        }
      }
    });

    it('drops what JSON drops and keeps fields it does not know, as the JSON stores do', () => {
      const entry = {
        ...makeEntry({ externalId: undefined, preserved: undefined }),
        extra: { a: [1, 2] },
        dropped: undefined,
        ['__proto__']: 'a field',
      } as unknown as IdMapEntry;
      expectRoundTrip(entry);
      const index = new EntryIndex();
      index.set(entry);
      const read = index.get('User', entry.scimId) as unknown as Record<string, unknown>;
      expect(Object.keys(read)).not.toContain('externalId');
      expect(Object.keys(read)).not.toContain('dropped');
      expect(read.extra).toEqual({ a: [1, 2] });
      expect(Object.getOwnPropertyDescriptor(read, '__proto__')?.value).toBe('a field');
    });

    it('keeps an externalId that is not a string as data, without indexing it', () => {
      const entry = { ...makeEntry(), externalId: null } as unknown as IdMapEntry;
      expectRoundTrip(entry);
    });

    it('neither keeps the object it is given nor hands out its own', () => {
      const index = new EntryIndex();
      const entry = makeEntry({ preserved: { userName: { original: 'a', derived: 'b' } } });
      index.set(entry);
      entry.version = 9;
      entry.preserved!.userName!.original = 'changed';
      const read = index.get('User', entry.scimId)!;
      expect(read.version).toBe(1);
      read.preserved!.userName!.original = 'mutated';
      read.appId = 'mutated';
      expect(index.get('User', entry.scimId)?.preserved?.userName?.original).toBe('a');
      expect(index.findByAppId('User', 'mutated')).toBeUndefined();
    });
  });

  describe('writes', () => {
    it('replaces an entry, moving its keys', () => {
      const index = new EntryIndex();
      const entry = makeEntry({ appId: '1', externalId: 'e1' });
      index.set(entry);
      const updated = { ...entry, appId: '2', externalId: 'e2', version: 2 };
      index.set(updated);
      expect(index.size('User')).toBe(1);
      expect(index.totalSize).toBe(1);
      expect(index.get('User', entry.scimId)).toEqual(updated);
      expect(index.findByAppId('User', '1')).toBeUndefined();
      expect(index.findByExternalId('User', 'e1')).toBeUndefined();
      expect(index.findByAppId('User', '2')).toEqual(updated);
      expect(index.findByExternalId('User', 'e2')).toEqual(updated);
    });

    it('deletes an entry and its keys, and takes it back', () => {
      const index = new EntryIndex();
      const entry = makeEntry({ appId: '1', externalId: 'e1' });
      index.set(entry);
      expect(index.delete('User', entry.scimId)).toBe(true);
      expect(index.delete('User', entry.scimId)).toBe(false);
      expect(index.delete('Group', entry.scimId)).toBe(false);
      expect(index.get('User', entry.scimId)).toBeUndefined();
      expect(index.findByAppId('User', '1')).toBeUndefined();
      expect(index.findByExternalId('User', 'e1')).toBeUndefined();
      expect(index.size('User')).toBe(0);
      expect(index.totalSize).toBe(0);
      index.set(entry);
      expect(index.get('User', entry.scimId)).toEqual(entry);
      expect(index.findByAppId('User', '1')).toEqual(entry);
      expect(index.size('User')).toBe(1);
    });

    it('keeps resource types apart', () => {
      const index = new EntryIndex();
      const user = makeEntry({ scimId: LOWER_UUID, appId: '1', externalId: 'e' });
      const group = { ...user, resourceType: 'Group' as const, version: 2 };
      index.set(user);
      index.set(group);
      expect(index.get('User', LOWER_UUID)).toEqual(user);
      expect(index.findByAppId('Group', '1')).toEqual(group);
      expect(index.findByExternalId('User', 'e')).toEqual(user);
      expect(index.size('User')).toBe(1);
      expect(index.size('Group')).toBe(1);
      index.delete('User', LOWER_UUID);
      expect(index.findByAppId('Group', '1')).toEqual(group);
      expect(index.size('Group')).toBe(1);
      expect(index.totalSize).toBe(1);
    });

    it('refuses another resource’s appId, and names the holder', () => {
      const index = new EntryIndex();
      const holder = makeEntry({ appId: '42' });
      index.set(holder);
      expect(() => index.assertNoConflict(holder)).not.toThrow();
      expect(() => index.assertNoConflict({ ...holder, version: 2 })).not.toThrow();
      const other = makeEntry({ appId: '42' });
      expect(() => index.assertNoConflict(other)).toThrow(IdMapConflictError);
      expect(() => index.assertNoConflict(other)).toThrow(
        expect.objectContaining({ key: 'appId', value: '42', heldBy: holder.scimId }),
      );
      expect(() => index.assertNoConflict({ ...other, resourceType: 'Group' })).not.toThrow();
      expect(() => index.assertNoConflict(makeEntry({ appId: '042' }))).not.toThrow();
    });

    it('during replay, lets an entry take another one’s keys, and keeps them when that one goes', () => {
      const index = new EntryIndex();
      const a = makeEntry({ appId: '7', externalId: 'e' });
      const b = makeEntry({ appId: '7', externalId: 'e' });
      index.set(a);
      index.set(b);
      expect(index.findByAppId('User', '7')).toEqual(b);
      expect(index.findByExternalId('User', 'e')).toEqual(b);
      // A replaced: its old keys belong to B now and stay B's.
      index.set({ ...a, appId: '8', externalId: 'f' });
      expect(index.findByAppId('User', '7')).toEqual(b);
      expect(index.findByExternalId('User', 'e')).toEqual(b);
      index.set(a);
      expect(index.findByAppId('User', '7')).toEqual(a);
      index.set(b);
      index.delete('User', a.scimId);
      expect(index.findByAppId('User', '7')).toEqual(b);
      expect(index.findByExternalId('User', 'e')).toEqual(b);
      expect(index.size('User')).toBe(1);
    });

    it('forgets a key whose owner went, though another entry still names it', () => {
      const index = new EntryIndex();
      const a = makeEntry({ appId: '7', externalId: 'e' });
      const b = makeEntry({ appId: '7', externalId: 'e' });
      index.set(a);
      index.set(b);
      index.delete('User', b.scimId);
      expect(index.findByAppId('User', '7')).toBeUndefined();
      expect(index.findByExternalId('User', 'e')).toBeUndefined();
      expect(index.get('User', a.scimId)).toEqual(a);
    });
  });

  describe('growth and compaction', () => {
    it('finds every entry after the tables and the arena grew many times', () => {
      const index = new EntryIndex();
      const before = index.stats();
      const entries = Array.from({ length: 20_000 }, (_, i) =>
        makeEntry({ appId: String(i), externalId: i % 3 === 0 ? undefined : `ext-${i}` }),
      );
      for (const entry of entries) index.set(entry);
      const after = index.stats();
      expect(after.tableSlots).toBeGreaterThanOrEqual(before.tableSlots * 1024);
      expect(after.arenaBytes).toBeGreaterThan(before.arenaBytes * 8);
      expect(index.size('User')).toBe(20_000);
      for (const entry of entries) {
        expect(index.get('User', entry.scimId)).toEqual(entry);
        expect(index.findByAppId('User', entry.appId)).toEqual(entry);
        if (entry.externalId) expect(index.findByExternalId('User', entry.externalId)).toEqual(entry);
      }
      expect(Array.from(index.values())).toEqual(entries);
    });

    it('reclaims the space of deleted and replaced entries', () => {
      const index = new EntryIndex();
      const entries = Array.from({ length: 10_000 }, (_, i) =>
        makeEntry({ appId: String(i), externalId: `ext-${i}` }),
      );
      for (const entry of entries) index.set(entry);
      const full = index.stats();
      const kept = entries.filter((_, i) => i % 10 === 0).map((entry) => ({ ...entry, version: 2 }));
      for (const [i, entry] of entries.entries()) if (i % 10 !== 0) index.delete('User', entry.scimId);
      for (const entry of kept) index.set(entry);
      const compacted = index.stats();
      expect(compacted.recordBytes).toBeLessThan(full.recordBytes / 4);
      expect(compacted.arenaBytes).toBeLessThan(full.arenaBytes / 2);
      expect(compacted.tableSlots).toBeLessThan(full.tableSlots / 2);
      expect(compacted.deadBytes * 2).toBeLessThanOrEqual(compacted.recordBytes);
      expect(index.size('User')).toBe(1000);
      for (const entry of kept) {
        expect(index.get('User', entry.scimId)).toEqual(entry);
        expect(index.findByAppId('User', entry.appId)).toEqual(entry);
        expect(index.findByExternalId('User', entry.externalId!)).toEqual(entry);
      }
      for (const [i, entry] of entries.entries()) {
        if (i % 10 !== 0) expect(index.findByAppId('User', entry.appId)).toBeUndefined();
      }
    });

    it('keeps which entry owns a shared key through compactions', () => {
      const index = new EntryIndex();
      const a = makeEntry({ appId: 'shared', externalId: 'shared' });
      const b = makeEntry({ appId: 'shared', externalId: 'shared' });
      index.set(b);
      index.set(a);
      index.set({ ...b, version: 2 });
      for (let round = 0; round < 5; round++) {
        const filler = Array.from({ length: 2000 }, () => makeEntry());
        for (const entry of filler) index.set(entry);
        for (const entry of filler) index.delete('User', entry.scimId);
      }
      expect(index.stats().recordBytes).toBeLessThan(20_000);
      expect(index.findByAppId('User', 'shared')).toEqual({ ...b, version: 2 });
      index.delete('User', b.scimId);
      expect(index.findByAppId('User', 'shared')).toBeUndefined();
      expect(index.get('User', a.scimId)).toEqual(a);
    });
  });

  describe('values', () => {
    it('lists entries in the order they were last written', () => {
      const index = new EntryIndex();
      const [a, b, c] = [makeEntry(), makeEntry({ resourceType: 'Group' }), makeEntry()];
      for (const entry of [a!, b!, c!]) index.set(entry);
      const a2 = { ...a!, version: 2 };
      index.set(a2);
      expect(Array.from(index.values())).toEqual([b, c, a2]);
    });

    it('is a snapshot of the moment it was called', () => {
      const index = new EntryIndex();
      const entries = Array.from({ length: 100 }, (_, i) => makeEntry({ appId: String(i) }));
      for (const entry of entries) index.set(entry);
      const iterator = index.values();
      const seen = [iterator.next().value];
      // Changes big enough to compact the arena under the iteration.
      for (const entry of entries) index.delete('User', entry.scimId);
      for (let i = 0; i < 500; i++) index.set(makeEntry({ appId: String(i) }));
      seen.push(...iterator);
      expect(seen).toEqual(entries);
      expect(index.size('User')).toBe(500);
    });
  });

  describe('against a plain Map model', () => {
    /** The index as it was before it went compact: objects in Maps. */
    class ModelIndex {
      private readonly byScimId = new Map<string, IdMapEntry>();
      private readonly byAppId = new Map<string, string>();
      private readonly byExternalId = new Map<string, string>();

      get(type: ResourceTypeName, scimId: string) {
        return this.byScimId.get(`${type} ${scimId}`);
      }
      findByAppId(type: ResourceTypeName, appId: string) {
        const scimId = this.byAppId.get(`${type} ${appId}`);
        return scimId === undefined ? undefined : this.get(type, scimId);
      }
      findByExternalId(type: ResourceTypeName, externalId: string) {
        const scimId = this.byExternalId.get(`${type} ${externalId}`);
        return scimId === undefined ? undefined : this.get(type, scimId);
      }
      heldBy(entry: IdMapEntry) {
        const holder = this.byAppId.get(`${entry.resourceType} ${entry.appId}`);
        return holder !== undefined && holder !== entry.scimId ? holder : undefined;
      }
      set(entry: IdMapEntry) {
        const stored = cloneEntry(entry);
        const previous = this.get(entry.resourceType, entry.scimId);
        if (previous) this.unlink(previous);
        this.byScimId.set(`${entry.resourceType} ${entry.scimId}`, stored);
        this.byAppId.set(`${entry.resourceType} ${entry.appId}`, entry.scimId);
        if (entry.externalId !== undefined) {
          this.byExternalId.set(`${entry.resourceType} ${entry.externalId}`, entry.scimId);
        }
      }
      delete(type: ResourceTypeName, scimId: string) {
        const previous = this.get(type, scimId);
        if (!previous) return false;
        this.unlink(previous);
        this.byScimId.delete(`${type} ${scimId}`);
        return true;
      }
      size(type: ResourceTypeName) {
        let count = 0;
        for (const entry of this.byScimId.values()) if (entry.resourceType === type) count++;
        return count;
      }
      values() {
        return Array.from(this.byScimId.values());
      }
      private unlink(entry: IdMapEntry) {
        const type = entry.resourceType;
        if (this.byAppId.get(`${type} ${entry.appId}`) === entry.scimId)
          this.byAppId.delete(`${type} ${entry.appId}`);
        if (
          entry.externalId !== undefined &&
          this.byExternalId.get(`${type} ${entry.externalId}`) === entry.scimId
        ) {
          this.byExternalId.delete(`${type} ${entry.externalId}`);
        }
      }
    }

    // Small pools, so keys collide, move between entries and come back.
    const scimIds = [LOWER_UUID, UPPER_UUID, 's1', 's2', '17'];
    const keys = ['1', '007', '-1', LOWER_UUID, UPPER_UUID, MIXED_UUID, 'k', 'K', 'ü'];
    const types: ResourceTypeName[] = ['User', 'Group'];
    const entryArb = fc.record(
      {
        resourceType: fc.constantFrom(...types),
        scimId: fc.constantFrom(...scimIds),
        appId: fc.constantFrom(...keys),
        externalId: fc.constantFrom(...keys),
        created: fc.constantFrom('2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00Z'),
        lastModified: fc.constantFrom('2024-01-01T00:00:00.000Z', '2025-02-03T04:05:06.789Z', 'x'),
        version: fc.nat(1000),
        deleted: fc.constant(true as const),
        incomplete: fc.constant(true as const),
        memberDisplays: fc.dictionary(fc.string({ maxLength: 3 }), fc.string({ maxLength: 5 }), {
          maxKeys: 2,
        }),
      },
      { requiredKeys: ['resourceType', 'scimId', 'appId', 'created', 'lastModified', 'version'] },
    );
    const opArb = fc.oneof(
      { weight: 5, arbitrary: entryArb.map((entry) => ({ op: 'set' as const, entry })) },
      {
        weight: 2,
        arbitrary: fc.record({
          op: fc.constant('delete' as const),
          resourceType: fc.constantFrom(...types),
          scimId: fc.constantFrom(...scimIds),
        }),
      },
    );

    it('answers every lookup as the model does after any sequence of writes', () => {
      fc.assert(
        fc.property(fc.array(opArb, { maxLength: 150 }), (ops) => {
          const index = new EntryIndex();
          const model = new ModelIndex();
          for (const op of ops) {
            if (op.op === 'set') {
              const heldBy = model.heldBy(op.entry);
              if (heldBy === undefined) expect(() => index.assertNoConflict(op.entry)).not.toThrow();
              else
                expect(() => index.assertNoConflict(op.entry)).toThrow(expect.objectContaining({ heldBy }));
              index.set(op.entry);
              model.set(op.entry);
            } else {
              expect(index.delete(op.resourceType, op.scimId)).toBe(model.delete(op.resourceType, op.scimId));
            }
          }
          for (const type of types) {
            expect(index.size(type)).toBe(model.size(type));
            for (const scimId of scimIds)
              expect(index.get(type, scimId)).toStrictEqual(model.get(type, scimId));
            for (const key of keys) {
              expect(index.findByAppId(type, key)).toStrictEqual(model.findByAppId(type, key));
              expect(index.findByExternalId(type, key)).toStrictEqual(model.findByExternalId(type, key));
            }
          }
          expect(index.totalSize).toBe(model.values().length);
          const order = (entry: IdMapEntry) => `${entry.resourceType} ${entry.scimId}`;
          const sorted = (entries: IdMapEntry[]) => entries.sort((a, b) => order(a).localeCompare(order(b)));
          expect(sorted(Array.from(index.values()))).toStrictEqual(sorted(model.values()));
        }),
        { numRuns: 300 },
      );
    });

    it('keeps up with the model over long runs that grow, compact and shrink it', () => {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.boolean(), fc.nat(2999), fc.nat(40)), { maxLength: 6000 }),
          (ops) => {
            const index = new EntryIndex();
            const model = new ModelIndex();
            for (const [isSet, id, key] of ops) {
              const scimId = `s${id}`;
              if (isSet) {
                const entry = makeEntry({ scimId, appId: String(key), externalId: `e${key % 7}` });
                index.set(entry);
                model.set(entry);
              } else {
                expect(index.delete('User', scimId)).toBe(model.delete('User', scimId));
              }
            }
            expect(index.size('User')).toBe(model.size('User'));
            for (let key = 0; key <= 40; key++) {
              expect(index.findByAppId('User', String(key))).toStrictEqual(
                model.findByAppId('User', String(key)),
              );
            }
            for (let key = 0; key < 7; key++) {
              expect(index.findByExternalId('User', `e${key}`)).toStrictEqual(
                model.findByExternalId('User', `e${key}`),
              );
            }
            for (const entry of model.values()) expect(index.get('User', entry.scimId)).toStrictEqual(entry);
          },
        ),
        { numRuns: 30 },
      );
    });
  });
});
