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
  const store = new SqliteStore(config.DATA_DIR, {
    synchronous: config.SQLITE_SYNCHRONOUS,
    logger: logger.child({ component: 'sqlite' }),
  });
  await store.init();
  return store;
}

/**
 * A large embedded store was checked before start only where the bot reads first; the rest is checked now, in
 * another process. Damage found there is logged and told to the operator in one sentence (the bot keeps running:
 * what is readable stays usable until the store is restored).
 */
export function checkRestOfStore(store: Store, logger: Logger, notice: (text: string) => void): void {
  void store.checkRest?.().then((problem) => {
    if (problem === undefined) return;
    const text = `The store ${store.location} is damaged (SQLite's quick check: ${problem}); stop Solo OS and restore it from a backup (node bin/solo.js restore <file>).`;
    logger.error({ problem }, text);
    notice(text);
  });
}
