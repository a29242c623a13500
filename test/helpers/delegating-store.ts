import type { MemoryIdMapStore } from '../../src/idmap/memory-store.js';
import type { IdMapStore } from '../../src/idmap/types.js';

/** An id map store that hands every call to a memory store: subclasses change the writes. */
export class DelegatingStore implements IdMapStore {
  constructor(protected readonly inner: MemoryIdMapStore) {}

  put: IdMapStore['put'] = (entry) => this.inner.put(entry);
  get: IdMapStore['get'] = (type, id) => this.inner.get(type, id);
  findByAppId: IdMapStore['findByAppId'] = (type, id) => this.inner.findByAppId(type, id);
  findByExternalId: IdMapStore['findByExternalId'] = (type, id) => this.inner.findByExternalId(type, id);
  resolveAppIds: NonNullable<IdMapStore['resolveAppIds']> = (type, ids) =>
    this.inner.resolveAppIds(type, ids);
  resolveScimIds: NonNullable<IdMapStore['resolveScimIds']> = (type, ids) =>
    this.inner.resolveScimIds(type, ids);
  delete: IdMapStore['delete'] = (type, id) => this.inner.delete(type, id);
  size: IdMapStore['size'] = (type) => this.inner.size(type);
  close: IdMapStore['close'] = () => this.inner.close();
}
