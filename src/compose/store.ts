// Which store the settings ask for: MongoDB with MONGODB_URI (the driver imported only then), otherwise the
// embedded SQLite file in DATA_DIR. Both are opened and checked (indexes, the SQLite quick check) before use.

import type { Config } from '../config.ts';
import type { Logger } from '../observability/logger.ts';
import type { Store } from '../ports/store.ts';

export async function openStore(config: Config, logger: Logger): Promise<Store> {
  if (config.MONGODB_URI) {
    const { MongoStore } = await import('../../adapters/stores/mongo/index.ts');
    const store = new MongoStore(config.MONGODB_URI, { logger: logger.child({ component: 'mongo' }) });
    await store.init();
    return store;
  }
  const { SqliteStore } = await import('../../adapters/stores/sqlite/index.ts');
  const store = new SqliteStore(config.DATA_DIR, { synchronous: config.SQLITE_SYNCHRONOUS, logger: logger.child({ component: 'sqlite' }) });
  await store.init();
  return store;
}
