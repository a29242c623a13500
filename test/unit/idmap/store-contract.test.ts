import { join } from 'node:path';
import { FileIdMapStore } from '../../../src/idmap/file-store.js';
import { MemoryIdMapStore } from '../../../src/idmap/memory-store.js';
import { describeStoreContract } from '../../helpers/store-contract.js';
import { makeTempDir } from './helpers.js';

// The cases live in test/helpers/store-contract.ts, shared with the Redis store's run of them
// (test/integration/redis-store.test.ts).

describeStoreContract('MemoryIdMapStore', async () => ({
  store: new MemoryIdMapStore(),
  cleanup: async () => {},
}));

describeStoreContract('FileIdMapStore', async () => {
  const temp = await makeTempDir();
  const store = await FileIdMapStore.open(join(temp.dir, 'idmap.jsonl'));
  return {
    store,
    cleanup: async () => {
      await store.close();
      await temp.cleanup();
    },
  };
});
