import { describe, expect, it } from 'vitest';
import {
  DROPPED_WARNING_INTERVAL_MS,
  DroppedAttributeWarnings,
} from '../../../src/service/dropped-warnings.js';

function recorder() {
  const lines: Array<Record<string, unknown>> = [];
  const log = {
    debug: () => {},
    info: () => {},
    warn: (object: object, msg?: string) => lines.push({ ...object, msg }),
  };
  return { lines, log };
}

describe('DroppedAttributeWarnings', () => {
  it('warns once per resource type and set of names per interval, then counts what it left out', () => {
    const { lines, log } = recorder();
    let now = Date.parse('2026-12-01T08:00:00Z');
    const warnings = new DroppedAttributeWarnings(log, () => new Date(now));

    warnings.report('User', ['nickName', 'locale']);
    warnings.report('User', ['locale', 'nickName']); // the same set, in another order
    warnings.report('User', ['nickName', 'locale']);
    warnings.report('Group', ['nickName', 'locale']); // another resource type
    warnings.report('User', ['locale']); // another set
    expect(lines).toEqual([
      {
        resourceType: 'User',
        droppedAttributes: ['nickName', 'locale'],
        msg: 'accepted a write with attributes the mapping cannot store; they are not kept',
      },
      expect.objectContaining({ resourceType: 'Group', droppedAttributes: ['nickName', 'locale'] }),
      expect.objectContaining({ resourceType: 'User', droppedAttributes: ['locale'] }),
    ]);

    now += DROPPED_WARNING_INTERVAL_MS;
    warnings.report('User', ['nickName', 'locale']);
    expect(lines[3]).toMatchObject({ resourceType: 'User', repeatedSince: 2 });
    now += DROPPED_WARNING_INTERVAL_MS;
    warnings.report('User', ['locale']);
    expect(lines[4]).not.toHaveProperty('repeatedSince');
  });
});
