// The scheduler contract on the SQLite backend, over a store file shared with the other tables (the way the bot
// passes the store's own handle), plus what only SQLite does.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { openBackend } from '../../adapters/scheduler/agenda/index.ts';
import { schedulerContract } from './contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'solo-scheduler-'));
const file = join(dir, 'solo.db');
let db: DatabaseSync | undefined;

schedulerContract('sqlite (node:sqlite)', {
  setup: async () => {
    db = new DatabaseSync(file);
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;');
  },
  teardown: async () => {
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  },
  backend: () => openBackend({ kind: 'sqlite', database: db! }),
  workerEnv: () => ({ SCHEDULER_STORE: 'sqlite', SCHEDULER_LOCATION: file }),
});
