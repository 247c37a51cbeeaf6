import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../adapters/stores/sqlite/index.ts';
import { storeContract } from './contract.ts';

storeContract('sqlite (file on disk)', {
  create: async () => new SqliteStore(mkdtempSync(join(tmpdir(), 'solo-sqlite-'))),
  reopen: async (store) => {
    await store.close();
    const again = new SqliteStore(store.location.replace(/[/\\]solo\.db$/, ''));
    await again.init();
    return again;
  },
});
