import { EntryIndex } from './entry-index.js';
import type { AppIdRef, IdMapEntry, IdMapStore, ResourceTypeName, ScimIdRef } from './types.js';

/**
 * An id map store that lives only as long as the process (`store: memory`, tests). Behaves like
 * the durable stores otherwise: entries are copied in and out (the index encodes what it is given
 * and decodes a fresh object on every read), and a second resource claiming an appId is refused
 * with an `IdMapConflictError`.
 */
export class MemoryIdMapStore implements IdMapStore {
  private readonly index = new EntryIndex();
  private closed = false;

  async get(resourceType: ResourceTypeName, scimId: string): Promise<IdMapEntry | undefined> {
    return this.index.get(resourceType, scimId);
  }

  async findByAppId(resourceType: ResourceTypeName, appId: string): Promise<IdMapEntry | undefined> {
    return this.index.findByAppId(resourceType, appId);
  }

  async resolveAppIds(
    resourceType: ResourceTypeName,
    appIds: readonly string[],
  ): Promise<Array<AppIdRef | undefined>> {
    return this.index.resolveAppIds(resourceType, appIds);
  }

  async resolveScimIds(
    resourceType: ResourceTypeName,
    scimIds: readonly string[],
  ): Promise<Array<ScimIdRef | undefined>> {
    return this.index.resolveScimIds(resourceType, scimIds);
  }

  async findByExternalId(
    resourceType: ResourceTypeName,
    externalId: string,
  ): Promise<IdMapEntry | undefined> {
    return this.index.findByExternalId(resourceType, externalId);
  }

  async put(entry: IdMapEntry): Promise<void> {
    this.assertOpen();
    this.index.assertNoConflict(entry);
    this.index.set(entry);
  }

  async delete(resourceType: ResourceTypeName, scimId: string): Promise<void> {
    this.assertOpen();
    this.index.delete(resourceType, scimId);
  }

  async size(resourceType: ResourceTypeName): Promise<number> {
    return this.index.size(resourceType);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('The id map store is closed');
  }
}
