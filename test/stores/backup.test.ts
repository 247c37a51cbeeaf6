// Backup and restore on both stores: a restored store holds exactly what was backed up and passes the store
// contract; the MongoDB backup is mongodump's layout (BSON documents, Extended JSON metadata); damaged, foreign
// and newer backups are refused with one sentence. (Backups under write load: test/process/backup.test.ts.)

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, test } from 'node:test';
import { BSON } from 'mongodb';
import { dumpMongo, inspectMongoBackup, MANIFEST, restoreMongo } from '../../adapters/stores/mongo/dump.ts';
import { MongoStore } from '../../adapters/stores/mongo/index.ts';
import { backupSqlite, inspectSqliteBackup, restoreSqlite } from '../../adapters/stores/sqlite/backup.ts';
import { SqliteStore } from '../../adapters/stores/sqlite/index.ts';
import { StoreError } from '../../src/domain/errors.ts';
import { COPY_TABLES, type StoreCopy } from '../../src/ports/store-copy.ts';
import { mongoServer, realMongoUri, type MongoServer } from '../support/mongo.ts';
import { storeContract } from './contract.ts';
import { populate } from './populate.ts';
import { pino } from 'pino';
import { MemoryService } from '../../src/memory/memory.ts';

const dir = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));

async function everything(copy: StoreCopy): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const table of COPY_TABLES) {
    out[table] = [];
    for (let after: string | undefined, page; (page = await copy.read(table, after, 500)); after = page.next) {
      out[table].push(...page.records);
      if (!page.next) break;
    }
  }
  return out;
}

/** A populated embedded store, backed up and restored into a new data folder. */
async function restoredSqlite(): Promise<{ original: SqliteStore; restored: SqliteStore; file: string }> {
  const original = new SqliteStore(dir('solo-backup-src-'), { idleCheckpoints: false });
  await original.init();
  await populate(original);
  const file = join(dir('solo-backups-'), 'solo.db');
  // Taken while the original is open and in use, as `solo backup` does next to a running bot.
  await backupSqlite(original.location, file);
  const target = dir('solo-restored-');
  restoreSqlite(file, join(target, 'solo.db'), join(target, 'kept'));
  const restored = new SqliteStore(target, { idleCheckpoints: false });
  await restored.init();
  return { original, restored, file };
}

describe('SQLite backup and restore', () => {
  test('the restored store holds exactly what the original held', async () => {
    const { original, restored, file } = await restoredSqlite();
    assert.deepEqual(await everything(restored.copy), await everything(original.copy));
    const info = inspectSqliteBackup(file);
    assert.deepEqual(info.counts, { events: 300, memories: 40, runs: 12, invoices: 8 });
    assert.deepEqual(info.versions, { events: 2, settings: 1, memories: 3, runs: 2, ledger: 2 });
    assert.equal(existsSync(`${file}-wal`), false, 'a backup is one file');
    await original.close();
    await restored.close();
  });

  test('the restored store answers recall exactly as the original did', async () => {
    const { original, restored } = await restoredSqlite();
    const answers = async (store: SqliteStore): Promise<string[][]> => {
      const memory = new MemoryService({ store, logger: pino({ level: 'silent' }) });
      await memory.start();
      const out: string[][] = [];
      for (const q of [
        'invoices',
        'Client 1 projects',
        'meetings n12',
        'fact corrected',
        'digest',
        'nothing like this',
      ]) {
        out.push(
          (await memory.recall(q, { k: 8 })).map((h) => `#${h.memory.id} ${h.memory.text} ${h.score.toFixed(4)}`),
        );
      }
      return out;
    };
    const before = await answers(original);
    assert.ok(before.filter((hits) => hits.length > 0).length >= 4, JSON.stringify(before));
    assert.deepEqual(await answers(restored), before);
    await original.close();
    await restored.close();
  });

  test('restoring over a store keeps the store it replaces, with its WAL', async () => {
    const { original, restored, file } = await restoredSqlite();
    const target = restored.location.replace(/[/\\]solo\.db$/, '');
    await restored.memories.add({ text: 'written after the restore', kind: 'note', source: {} });
    const wal = existsSync(`${restored.location}-wal`);
    restoreSqlite(file, restored.location, join(target, 'kept-2'));
    assert.equal(existsSync(join(target, 'kept-2', 'solo.db')), true);
    assert.equal(existsSync(join(target, 'kept-2', 'solo.db-wal')), wal);
    await restored.close();
    const kept = new SqliteStore(join(target, 'kept-2'), { idleCheckpoints: false });
    await kept.init();
    assert.equal(
      (await kept.memories.candidates(['restore'], 5))[0]?.text,
      'written after the restore',
      'nothing of the replaced store is lost',
    );
    await kept.close();
    await original.close();
  });

  test('a damaged, foreign or newer backup is refused with one sentence', async () => {
    const folder = dir('solo-bad-backups-');
    const garbage = join(folder, 'garbage.db');
    writeFileSync(
      garbage,
      'this is not a database, just text long enough to have a header of sorts................................',
    );
    assert.throws(
      () => inspectSqliteBackup(garbage),
      (err: unknown) =>
        err instanceof StoreError &&
        /garbage\.db is not a usable backup: .*is not a SQLite database\.$/.test(err.userMessage),
    );
    const { original, file } = await restoredSqlite();
    const db = new DatabaseSync(file);
    db.exec("UPDATE schema_versions SET version = 9 WHERE domain = 'runs'");
    db.close();
    assert.throws(
      () => restoreSqlite(file, join(folder, 'solo.db'), join(folder, 'kept')),
      /written by a newer version of Solo OS \(runs schema 9; this version knows up to 2\)/,
    );
    assert.equal(existsSync(join(folder, 'solo.db')), false, 'nothing was put in place');
    await assert.rejects(
      backupSqlite(join(folder, 'nothing', 'solo.db'), join(folder, 'x.db')),
      /There is no store at .*nothing.solo\.db to back up; check DATA_DIR\./,
    );
    await assert.rejects(backupSqlite(original.location, file), /already exists; name another file for the backup\./);
    await original.close();
  });
});

storeContract('sqlite restored from a backup', {
  create: async () => {
    const { original, restored } = await restoredSqlite();
    await original.close();
    await restored.close();
    return new SqliteStore(restored.location.replace(/[/\\]solo\.db$/, ''), { idleCheckpoints: false });
  },
  reopen: async (store) => {
    await store.close();
    const again = new SqliteStore(store.location.replace(/[/\\]solo\.db$/, ''), { idleCheckpoints: false });
    await again.init();
    return again;
  },
});

describe(`MongoDB backup and restore (${realMongoUri ? 'MONGODB_URI' : 'CongoDB emulator, not MongoDB'})`, () => {
  let server: MongoServer;
  before(async () => {
    server = await mongoServer();
  });
  after(async () => {
    await server?.stop();
  });

  async function restoredMongo(): Promise<{
    original: MongoStore;
    restored: MongoStore;
    backup: string;
    restoredUri: string;
  }> {
    const sourceUri = server.database('solo_dump_src');
    const original = new MongoStore(sourceUri);
    await original.init();
    await populate(original, { events: 120 });
    const backup = join(dir('solo-dumps-'), 'dump');
    await dumpMongo(sourceUri, backup);
    const restoredUri = server.database('solo_dump_dst');
    await restoreMongo(backup, restoredUri);
    const restored = new MongoStore(restoredUri);
    await restored.init();
    return { original, restored, backup, restoredUri };
  }

  test('the backup is in mongodump layout and the restored database holds exactly what the original held', async () => {
    const { original, restored, backup } = await restoredMongo();
    const info = inspectMongoBackup(backup);
    assert.equal(info.counts['events'], 120);
    assert.deepEqual(info.versions, { events: 1, settings: 1, memories: 2, runs: 2, ledger: 1 });
    const database = join(backup, info.database);
    const files = readdirSync(database).sort();
    assert.ok(
      files.includes('events.bson') && files.includes('events.metadata.json') && files.includes('counters.bson'),
    );
    // mongorestore reads one BSON document after another, and metadata as canonical Extended JSON.
    const bson = readFileSync(join(database, 'memories.bson'));
    const first = BSON.deserialize(bson.subarray(0, bson.readInt32LE(0)));
    assert.equal(typeof first['memoryId'], 'number');
    const metadata = BSON.EJSON.parse(readFileSync(join(database, 'events.metadata.json'), 'utf8')) as {
      collectionName: string;
      indexes: { name: string }[];
    };
    assert.equal(metadata.collectionName, 'events');
    assert.ok(metadata.indexes.some((i) => i.name === 'stream_1_seq_1'));
    assert.deepEqual(await everything(restored.copy), await everything(original.copy));
    const next = await restored.memories.add({ text: 'after restore', kind: 'note', source: {} });
    assert.equal(next.id, '43', 'numbers continue after the restored ones');
    await original.close();
    await restored.close();
  });

  test('a folder that is not a backup, or one from a newer version, is refused with one sentence', async () => {
    const folder = dir('solo-not-a-dump-');
    assert.throws(
      () => inspectMongoBackup(folder),
      (err: unknown) =>
        err instanceof StoreError &&
        err.userMessage === `${folder} is not a Solo OS MongoDB backup (it has no ${MANIFEST}).`,
    );
    const { original, restored, backup } = await restoredMongo();
    const manifest = JSON.parse(readFileSync(join(backup, MANIFEST), 'utf8')) as { versions: Record<string, number> };
    manifest.versions['memories'] = 3;
    writeFileSync(join(backup, MANIFEST), JSON.stringify(manifest));
    assert.throws(
      () => inspectMongoBackup(backup),
      /newer version of Solo OS \(memories schema 3; this version knows up to 2\)/,
    );
    await original.close();
    await restored.close();
  });

  const uris = new Map<object, string>();
  storeContract(`mongodb restored from a backup${realMongoUri ? '' : ' (CongoDB emulator)'}`, {
    create: async () => {
      const { original, restored, restoredUri } = await restoredMongo();
      await original.close();
      await restored.close();
      const store = new MongoStore(restoredUri);
      uris.set(store, restoredUri);
      return store;
    },
    reopen: async (store) => {
      await store.close();
      const again = new MongoStore(uris.get(store)!);
      uris.set(again, uris.get(store)!);
      await again.init();
      return again;
    },
  });
});
