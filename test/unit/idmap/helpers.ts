import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IdMapEntry } from '../../../src/idmap/types.js';

/** A valid User entry; override what the test cares about. */
export function makeEntry(overrides: Partial<IdMapEntry> = {}): IdMapEntry {
  const scimId = overrides.scimId ?? randomUUID();
  return {
    resourceType: 'User',
    scimId,
    appId: `app-${scimId}`,
    created: '2024-01-01T00:00:00.000Z',
    lastModified: '2024-01-01T00:00:00.000Z',
    version: 1,
    ...overrides,
  };
}

/** A fresh directory under the OS temp dir and a function that removes it. */
export async function makeTempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'scim-sidecar-idmap-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Non-empty lines of a text file. */
export async function readLines(path: string): Promise<string[]> {
  return (await readFile(path, 'utf8')).split('\n').filter((line) => line !== '');
}
