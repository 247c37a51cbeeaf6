// Backup and restore of the MongoDB store in mongodump's directory layout: `<dir>/<database>/<collection>.bson`
// (the documents, one BSON document after another) and `<collection>.metadata.json` (indexes and options as
// canonical Extended JSON), so `mongorestore --dir <dir>` reads it too; `solo-backup.json` beside them says what it
// holds. The documents are read in a snapshot session where the server offers one (a replica set), otherwise
// collection by collection; the counters are read last, and raised past the data on restore, so a number is
// never handed out twice.

import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { BSON, MongoClient, type ClientSession, type Db, type Document } from 'mongodb';
import { StoreError } from '../../../src/domain/errors.ts';
import { maskUri } from '../../../src/config.ts';
import { plan } from '../schema.ts';
import { MongoStoreCopy } from './copy.ts';
import { CONNECT_TIMEOUT_MS, databaseName } from './index.ts';
import { MONGO_MIGRATIONS } from './schema.ts';

export const MANIFEST = 'solo-backup.json';

export interface MongoBackupInfo {
  dir: string;
  database: string;
  takenAt: string;
  /** Read in one snapshot; false on a server without snapshot reads (writes made meanwhile may be partly in it). */
  snapshot: boolean;
  versions: Record<string, number>;
  counts: Record<string, number>;
}

async function connect(uri: string): Promise<MongoClient> {
  const client = new MongoClient(uri, {
    serverSelectionTimeoutMS: CONNECT_TIMEOUT_MS,
    connectTimeoutMS: CONNECT_TIMEOUT_MS,
    appName: 'solo-os-backup',
  });
  try {
    await client.connect();
    return client;
  } catch (err) {
    await client.close().catch(() => undefined);
    throw new StoreError(
      'store_unavailable',
      `Cannot reach MongoDB at ${maskUri(uri)} (${(err as Error).message.split('\n')[0]}); check MONGODB_URI.`,
      { cause: err },
    );
  }
}

/** The database's collections, counters last (see the top of this file). */
async function collections(db: Db): Promise<string[]> {
  const names = (await db.listCollections({}, { nameOnly: true }).toArray())
    .map((c) => c.name)
    .filter((n) => !n.startsWith('system.'))
    .sort();
  return [...names.filter((n) => n !== 'counters'), ...names.filter((n) => n === 'counters')];
}

async function snapshotSession(
  client: MongoClient,
  db: Db,
  first: string | undefined,
): Promise<ClientSession | undefined> {
  const session = client.startSession({ snapshot: true });
  try {
    if (first) await db.collection(first).findOne({}, { session });
    return session;
  } catch {
    await session.endSession();
    return undefined;
  }
}

export async function dumpMongo(uri: string, dir: string): Promise<MongoBackupInfo> {
  if (existsSync(dir))
    throw new StoreError('backup_exists', `${dir} already exists; name another folder for the backup.`);
  const client = await connect(uri);
  const partial = `${dir}.partial`;
  rmSync(partial, { recursive: true, force: true });
  try {
    const db = client.db(databaseName(uri));
    const names = await collections(db);
    const session = await snapshotSession(client, db, names[0]);
    const takenAt = new Date().toISOString();
    const out = join(partial, db.databaseName);
    mkdirSync(out, { recursive: true });
    const counts: Record<string, number> = {};
    for (const name of names) {
      const collection = db.collection(name);
      const file = createWriteStream(join(out, `${name}.bson`));
      let n = 0;
      for await (const doc of collection.find({}, session ? { session } : {}).sort({ _id: 1 })) {
        if (!file.write(BSON.serialize(doc))) await once(file, 'drain');
        n++;
      }
      file.end();
      await once(file, 'close');
      counts[name] = n;
      const indexes = await collection.listIndexes().toArray();
      const metadata = { options: {}, indexes, collectionName: name, type: 'collection' };
      writeFileSync(join(out, `${name}.metadata.json`), BSON.EJSON.stringify(metadata, { relaxed: false }));
    }
    await session?.endSession();
    const versions = Object.fromEntries(
      (await db.collection('schema').find({}).toArray()).map((d) => [d['domain'] as string, d['version'] as number]),
    );
    const info: MongoBackupInfo = {
      dir,
      database: db.databaseName,
      takenAt,
      snapshot: session !== undefined,
      versions,
      counts,
    };
    writeFileSync(
      join(partial, MANIFEST),
      `${JSON.stringify({ format: 'solo-os backup 1', store: 'mongodb', ...info, dir: undefined }, null, 2)}\n`,
    );
    renameSync(partial, dir);
    return info;
  } catch (err) {
    rmSync(partial, { recursive: true, force: true });
    if (err instanceof StoreError) throw err;
    throw new StoreError(
      'backup_failed',
      `The backup of ${maskUri(uri)} failed: ${(err as Error).message.split('\n')[0]}.`,
      { cause: err },
    );
  } finally {
    await client.close();
  }
}

/** Reads a backup folder's manifest; one sentence when it is not one. */
export function inspectMongoBackup(dir: string): MongoBackupInfo {
  const manifest = join(dir, MANIFEST);
  if (!existsSync(manifest))
    throw new StoreError('no_backup', `${dir} is not a Solo OS MongoDB backup (it has no ${MANIFEST}).`);
  const info = { ...(JSON.parse(readFileSync(manifest, 'utf8')) as MongoBackupInfo), dir };
  plan(info.versions, MONGO_MIGRATIONS, (domain, to) => ({ domain, to, what: '', up: async () => undefined }), dir);
  return info;
}

/** The documents of one `.bson` file, one after another, without reading the whole file at once. */
async function* readBson(file: string): AsyncGenerator<Document> {
  let buffer: Buffer = Buffer.alloc(0);
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    buffer = buffer.length ? Buffer.concat([buffer, chunk as Buffer]) : (chunk as Buffer);
    let offset = 0;
    while (buffer.length - offset >= 4) {
      const size = buffer.readInt32LE(offset);
      if (buffer.length - offset < size) break;
      yield BSON.deserialize(buffer.subarray(offset, offset + size));
      offset += size;
    }
    buffer = buffer.subarray(offset);
  }
  if (buffer.length)
    throw new StoreError('backup_damaged', `${file} ends in the middle of a document; the backup is damaged.`);
}

/**
 * Replaces the database at `uri` with the backup: every collection it has now is dropped (the caller saved them
 * first), then each collection of the backup is created with its indexes and filled. The caller makes sure no
 * process is using the database.
 */
export async function restoreMongo(dir: string, uri: string): Promise<MongoBackupInfo> {
  const info = inspectMongoBackup(dir);
  const source = join(dir, info.database);
  const client = await connect(uri);
  try {
    const db = client.db(databaseName(uri));
    for (const name of await collections(db)) await db.collection(name).drop();
    for (const file of readdirSync(source)
      .filter((f) => f.endsWith('.bson'))
      .sort()) {
      const name = file.slice(0, -'.bson'.length);
      const metadataFile = join(source, `${name}.metadata.json`);
      const metadata = existsSync(metadataFile)
        ? (BSON.EJSON.parse(readFileSync(metadataFile, 'utf8')) as { indexes?: Document[] })
        : {};
      await db.createCollection(name);
      for (const { key, v: _v, ns: _ns, ...options } of metadata.indexes ?? []) {
        if (options['name'] !== '_id_') await db.collection(name).createIndex(key as Document, options);
      }
      let batch: Document[] = [];
      for await (const doc of readBson(join(source, file))) {
        batch.push(doc);
        if (batch.length === 1000) {
          await db.collection(name).insertMany(batch, { ordered: false });
          batch = [];
        }
      }
      if (batch.length) await db.collection(name).insertMany(batch, { ordered: false });
    }
    // Counters were read last, so they are ahead of the data already; this makes sure of it.
    await new MongoStoreCopy(db).finish();
    return info;
  } finally {
    await client.close();
  }
}
