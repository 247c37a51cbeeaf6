// Schema migrations of the MongoDB store: every fixture database written by an earlier schema (made by
// scripts/store-fixtures.ts from the code of that commit) is loaded, opened, migrated by idempotent steps, keeps
// its data and passes the store contract. Steps cut short resume without duplicating anything; a database from
// a newer version is refused. Runs on MONGODB_URI when set, otherwise on the CongoDB emulator (not MongoDB).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MongoClient } from 'mongodb';
import { keyId } from '../../adapters/stores/mongo/counters.ts';
import { MongoStore } from '../../adapters/stores/mongo/index.ts';
import { MONGO_MIGRATIONS } from '../../adapters/stores/mongo/schema.ts';
import { StoreError } from '../../src/domain/errors.ts';
import { loadCollections, mongoServer, realMongoUri, type MongoServer } from '../support/mongo.ts';
import { storeContract } from './contract.ts';
import { assertFixtureData } from './fixture-checks.ts';
import { ERAS, mongoFixtureText } from './fixtures.ts';

let server: MongoServer;

async function fixture(era: string): Promise<string> {
  const uri = server.database(`solo_fixture_${era.replace(/\W/g, '_')}`);
  await loadCollections(uri, mongoFixtureText(era));
  return uri;
}

async function withDb<T>(uri: string, fn: (db: ReturnType<MongoClient['db']>) => Promise<T>): Promise<T> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
  await client.connect();
  try {
    return await fn(client.db());
  } finally {
    await client.close();
  }
}

const reopen = async (store: MongoStore, uri: string): Promise<MongoStore> => {
  await store.close();
  const again = new MongoStore(uri);
  await again.init();
  return again;
};

describe(
  realMongoUri
    ? 'MongoDB schema migrations (MONGODB_URI)'
    : 'MongoDB schema migrations on the CongoDB emulator (test-only, not MongoDB)',
  () => {
    before(async () => {
      server = await mongoServer();
    });
    after(async () => {
      await server?.stop();
    });

    for (const era of ERAS) {
      test(`a database written by the ${era.name} schema migrates and keeps its data`, async () => {
        const uri = await fixture(era.name);
        const lines: string[] = [];
        const store = new MongoStore(uri, {
          logger: { info: ((_: unknown, line: string) => void lines.push(line)) as never },
        });
        await store.init();
        assert.deepEqual(store.schema?.found, era.found);
        assert.deepEqual(
          store.schema?.applied.map((s) => `${s.domain} ${s.from}→${s.to}`),
          era.steps,
        );
        if (era.steps.length)
          assert.match(lines.join('\n'), new RegExp(`migrated the store at mongodb://.*: ${era.steps[0]} \\(`));
        await assertFixtureData(store, era);
        const again = await reopen(store, uri);
        assert.deepEqual(again.schema?.applied, [], 'a second start has nothing to do');
        assert.deepEqual(again.schema?.versions, { events: 1, settings: 1, memories: 2, runs: 2, ledger: 1 });
        if (era.notes)
          assert.equal(
            await withDb(uri, async (db) => (await db.listCollections({ name: 'notes' }).toArray()).length),
            0,
            'the notes collection is gone',
          );
        await again.close();
      });
    }

    test('notes moved half-way (a start cut short) are moved once, with their numbers', async () => {
      const uri = await fixture('0.1');
      const step = MONGO_MIGRATIONS.find((m) => m.domain === 'memories' && m.to === 2)!;
      await withDb(uri, async (db) => {
        // The first note was copied and the process died before deleting it; the second was copied and deleted.
        const notes = await db.collection('notes').find({}).sort({ noteId: 1 }).toArray();
        await step.up(db);
        const memories = db.collection('memories');
        const firstTwo = await memories.find({ memoryId: { $in: [1, 2] } }).toArray();
        await memories.deleteMany({});
        await memories.insertMany(firstTwo);
        await db.collection('notes').insertMany(notes.filter((n) => n['noteId'] !== 2));
        await step.up(db);
        await step.up(db);
        assert.deepEqual(
          (await memories.find({}).sort({ memoryId: 1 }).toArray()).map((m): unknown[] => [m['memoryId'], m['text']]),
          [
            [1, 'Umbrella Co pays net 14'],
            [2, 'Globex wants a rebrand in May'],
            [3, 'Wayne Ltd quoted 40k'],
            [4, 'Call Hooli on Friday'],
          ],
        );
        assert.equal((await db.collection('counters').findOne({ _id: keyId('counter:memories') }))?.['value'], 4);
      });
      const store = new MongoStore(uri);
      await store.init();
      assert.equal((await store.memories.add({ text: 'next', kind: 'note', source: {} })).id, '5');
      await store.close();
    });

    test('a database from a newer version is refused with one sentence', async () => {
      const uri = await fixture('leases');
      const store = new MongoStore(uri);
      await store.init();
      await store.close();
      await withDb(uri, (db) =>
        db.collection('schema').updateOne({ _id: keyId('schema:ledger') }, { $set: { version: 5 } }),
      );
      await assert.rejects(new MongoStore(uri).init(), (err: unknown) => {
        assert.ok(err instanceof StoreError);
        assert.equal(err.code, 'store_too_new');
        assert.match(
          err.userMessage,
          /^The store mongodb:\/\/.* was written by a newer version of Solo OS \(ledger schema 5; this version knows up to 1\); run that version again, or restore a backup made by this one\.$/,
        );
        return true;
      });
    });

    for (const era of ERAS) {
      const uris = new Map<MongoStore, string>();
      storeContract(`mongodb migrated from the ${era.name} schema${realMongoUri ? '' : ' (CongoDB emulator)'}`, {
        create: async () => {
          const uri = await fixture(era.name);
          const store = new MongoStore(uri);
          uris.set(store, uri);
          return store;
        },
        reopen: async (store) => {
          const uri = uris.get(store as MongoStore)!;
          const again = await reopen(store as MongoStore, uri);
          uris.set(again, uri);
          return again;
        },
      });
    }
  },
);
