// The scheduler contract on @agendajs/mongo-backend. With MONGODB_URI set (a real mongod) it runs there; otherwise
// on CongoDB, the test-only MongoDB wire-protocol emulator (test/mongo-emulator/), which is not MongoDB. What the
// emulator cannot prove, and where the MongoDB backend itself behaves differently, is skipped with the reason.

import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { openBackend } from '../../adapters/scheduler/agenda/index.ts';
import { schedulerContract } from './contract.ts';

interface Emulator {
  uri: string;
  stop: () => Promise<void>;
}

const realUri = process.env['MONGODB_URI'];
const dbName = `solo_scheduler_${randomBytes(4).toString('hex')}`;
let emulator: Emulator | undefined;
let client: MongoClient | undefined;
let uri = '';

/** A URI for the test database on the same server (keeping options such as serverMonitoringMode=poll). */
function withDatabase(base: string, name: string): string {
  const [address = base, query] = base.split('?');
  const server = address.replace(/^(mongodb(?:\+srv)?:\/\/[^/]+).*$/, '$1');
  return `${server}/${name}${query ? `?${query}` : ''}`;
}

/** Differences of @agendajs/mongo-backend 4.0.3 itself, on any server: not emulator gaps. */
const BACKEND_DIFFERENCES = {
  'saveJob does not release the lock of a job that is running':
    '@agendajs/mongo-backend 4.0.3 writes lockedAt (and lastRunAt, lastFinishedAt, progress) as null on every save, even of a running job; the SQLite backend keeps them, as @agendajs/postgres-backend does',
  'maxWait: a save within maxWait never moves nextRunAt past the maxWait deadline':
    "@agendajs/mongo-backend 4.0.3 moves nextRunAt to now + delay even past the maxWait deadline; Agenda's newer shared debounce suite expects the cap, which the SQLite backend applies",
};

schedulerContract(
  realUri ? 'mongodb (MONGODB_URI)' : 'mongodb wire protocol via the CongoDB emulator (test-only, not MongoDB)',
  {
    setup: async () => {
      if (!realUri) {
        const emulatorModule = '../mongo-emulator/start.mjs';
        const { startEmulator } = (await import(emulatorModule)) as { startEmulator: () => Promise<Emulator> };
        emulator = await startEmulator();
      }
      uri = withDatabase(realUri ?? emulator!.uri, dbName);
      client = await MongoClient.connect(uri, { serverSelectionTimeoutMS: 5000 });
    },
    teardown: async () => {
      await client
        ?.db(dbName)
        .dropDatabase()
        .catch(() => undefined);
      await client?.close();
      await emulator?.stop();
    },
    backend: () => openBackend({ kind: 'mongodb', db: client!.db(dbName) }),
    workerEnv: () => ({ SCHEDULER_STORE: 'mongodb', SCHEDULER_LOCATION: uri }),
    skip: { ...BACKEND_DIFFERENCES },
  },
);
