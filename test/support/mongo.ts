// A MongoDB server for a test file: the real one at MONGODB_URI when set, otherwise CongoDB, the test-only
// wire-protocol emulator (test/mongo-emulator/, not MongoDB). Each test takes a database of its own on it.

import { randomBytes } from 'node:crypto';
import { BSON, MongoClient } from 'mongodb';

export const realMongoUri = process.env['MONGODB_URI'];

export interface MongoServer {
  /** A URI naming a fresh database on the server. */
  database(prefix?: string): string;
  stop(): Promise<void>;
}

/** A URI for database `name` on the same server (and options) as `uri`. */
function withDatabase(uri: string, name: string): string {
  const [base = uri, query] = uri.split('?');
  const server = base.replace(/^(mongodb(?:\+srv)?:\/\/[^/]+).*$/, '$1');
  return `${server}/${name}${query ? `?${query}` : ''}`;
}

export async function mongoServer(): Promise<MongoServer> {
  let uri = realMongoUri;
  let stop = async (): Promise<void> => undefined;
  if (!uri) {
    const emulatorModule = '../mongo-emulator/start.mjs';
    const { startEmulator } = (await import(emulatorModule)) as {
      startEmulator: () => Promise<{ uri: string; stop: () => Promise<void> }>;
    };
    const emulator = await startEmulator();
    uri = emulator.uri;
    stop = emulator.stop;
  }
  const base = uri;
  return {
    database: (prefix = 'solo_test') => withDatabase(base, `${prefix}_${randomBytes(4).toString('hex')}`),
    stop,
  };
}

type IndexSpec = { key: Record<string, 1 | -1>; name: string; v?: number } & Record<string, unknown>;

/**
 * Loads canonical Extended JSON `{ collections: { name: [docs] }, indexes?: { name: [listIndexes entries] } }`
 * into the database at `uri`. On the emulator the indexes go in first, as the code that wrote the documents had
 * created them: it cannot build a unique index over existing documents (it ignores partial filters). A real
 * server builds them over the documents at init; the emulator-made specs lack those filters, so they are not used.
 */
export async function loadCollections(uri: string, ejson: string): Promise<void> {
  const { collections, indexes = {} } = BSON.EJSON.parse(ejson) as {
    collections: Record<string, Record<string, unknown>[]>;
    indexes?: Record<string, IndexSpec[]>;
  };
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
  await client.connect();
  try {
    const db = client.db();
    for (const [name, docs] of Object.entries(collections)) {
      await db.createCollection(name);
      if (!realMongoUri)
        for (const { key, v: _v, ...options } of indexes[name] ?? [])
          await db.collection(name).createIndex(key, options);
      if (docs.length) await db.collection(name).insertMany(docs);
    }
  } finally {
    await client.close();
  }
}
