// The store contract on MongoDB. With MONGODB_URI set (a real mongod), it runs there with nothing skipped.
// Otherwise it runs on CongoDB, a test-only MongoDB wire-protocol emulator (test/mongo-emulator/), and the
// behaviours the emulator cannot prove are listed as skipped with the reason.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { MongoClient } from 'mongodb';
import { StoreError } from '../../src/domain/errors.ts';
import { newEvent } from '../../src/domain/events.ts';
import { MongoStore } from '../../adapters/stores/mongo/index.ts';
import { storeContract } from './contract.ts';

interface Emulator {
  uri: string;
  stop: () => Promise<void>;
}

const realUri = process.env['MONGODB_URI'];
/** What the CongoDB emulator cannot prove (see test/mongo-emulator/README.md); proven only with MONGODB_URI. */
const EMULATOR_GAPS = {
  uniqueIndexes: 'CongoDB does not enforce unique secondary indexes; run with MONGODB_URI to prove it',
  indexUse: 'CongoDB answers every query with a full scan; run with MONGODB_URI to prove index use',
};
const gap = (reason: string) => (realUri ? {} : { skip: reason });

/** A URI for a fresh database on the same server. */
function withDatabase(uri: string, name: string): string {
  const [base = uri, query] = uri.split('?');
  const server = base.replace(/^(mongodb(?:\+srv)?:\/\/[^/]+).*$/, '$1');
  return `${server}/${name}${query ? `?${query}` : ''}`;
}

let emulator: Emulator | undefined;
let uri = realUri ?? '';

describe(
  realUri ? 'MongoDB (MONGODB_URI)' : 'MongoDB wire protocol via the CongoDB emulator (test-only, not MongoDB)',
  () => {
    before(async () => {
      if (realUri) return;
      const emulatorModule = '../mongo-emulator/start.mjs';
      const { startEmulator } = (await import(emulatorModule)) as { startEmulator: () => Promise<Emulator> };
      emulator = await startEmulator();
      uri = emulator.uri;
    });
    after(async () => {
      await emulator?.stop();
    });

    storeContract(realUri ? 'mongodb' : 'mongodb (CongoDB emulator)', {
      create: async () => new MongoStore(withDatabase(uri, `solo_test_${randomBytes(4).toString('hex')}`)),
      reopen: async (store) => {
        await store.close();
        const again = new MongoStore(withDatabase(uri, store.location.replace(/^.*\/([^/?]+)(\?.*)?$/, '$1')));
        await again.init();
        return again;
      },
    });

    describe('MongoDB specifics', () => {
      const dbName = `solo_specific_${randomBytes(4).toString('hex')}`;
      let store: MongoStore;
      let client: MongoClient;
      before(async () => {
        store = new MongoStore(withDatabase(uri, dbName));
        await store.init();
        client = new MongoClient(withDatabase(uri, dbName), { serverSelectionTimeoutMS: 5000 });
        await client.connect();
      });
      after(async () => {
        await client?.close();
        await store?.close();
      });

      test('init creates the indexes the queries need', async () => {
        const keys = async (collection: string) =>
          ((await client.db(dbName).collection(collection).listIndexes().toArray()) as { key: unknown }[]).map((i) =>
            JSON.stringify(i.key),
          );
        const names = await keys('events');
        for (const key of ['{"stream":1,"seq":1}', '{"position":1}', '{"dedupeKey":1}', '{"at":1}'])
          assert.ok(names.includes(key), `missing index ${key}`);
        assert.ok((await keys('memories')).includes('{"memoryId":1}'));
      });

      test(
        'unique indexes reject a second event at the same stream position',
        gap(EMULATOR_GAPS.uniqueIndexes),
        async () => {
          const { event } = await store.events.append(newEvent('system.stopped', 'unique-probe', { reason: 'probe' }));
          const raw = client.db(dbName).collection('events');
          await assert.rejects(
            raw.insertOne({ stream: 'unique-probe', seq: event.seq, position: event.position + 1_000_000 }),
            { code: 11000 },
          );
          await assert.rejects(raw.insertOne({ stream: 'unique-probe-2', seq: 1, position: event.position }), {
            code: 11000,
          });
        },
      );

      test('reading a stream uses the (stream, seq) index', gap(EMULATOR_GAPS.indexUse), async () => {
        const plan = await client
          .db(dbName)
          .collection('events')
          .find({ stream: 'x', seq: { $gt: 0 } })
          .sort({ seq: 1 })
          .explain();
        assert.match(JSON.stringify(plan), /IXSCAN/);
      });

      test('an unreachable server is a StoreError with one sentence, well within 10 s', async () => {
        const unreachable = new MongoStore('mongodb://127.0.0.1:1/solo');
        await assert.rejects(unreachable.init(), (err: unknown) => {
          assert.ok(err instanceof StoreError);
          assert.match(
            err.userMessage,
            /^Cannot reach MongoDB at mongodb:\/\/127\.0\.0\.1:1\/solo \(.*\); check MONGODB_URI/,
          );
          return true;
        });
      });
    });
  },
);
