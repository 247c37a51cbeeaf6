// MongoDB store (when MONGODB_URI is set), with the official driver. Passes the same contract suite as SQLite.
// No multi-document transactions are used: every write is one document, idempotency rests on `_id`
// uniqueness (always enforced), and a crash between allocating a number and inserting can leave a gap in
// positions or sequence numbers, never a duplicate.

import { MongoClient, type Db } from 'mongodb';
import { StoreError } from '../../../src/domain/errors.ts';
import { maskUri } from '../../../src/config.ts';
import type { Logger } from '../../../src/observability/logger.ts';
import type { Store } from '../../../src/ports/store.ts';
import { MongoApprovalStore, MongoLedgerStore, MongoRunStore } from './engine.ts';
import { MongoEventLog } from './event-log.ts';
import { MongoMemoryStore } from './memories.ts';
import { MongoIdentityStore, MongoSettingsStore } from './records.ts';
import { MongoStoreCopy } from './copy.ts';
import { reportLine, type SchemaReport } from '../schema.ts';
import { migrateMongo } from './schema.ts';

const DEFAULT_DB = 'solo';
export const CONNECT_TIMEOUT_MS = 5000;

/** The database named in the URI's path, or `solo`. */
export function databaseName(uri: string): string {
  const match = /^mongodb(?:\+srv)?:\/\/[^/]+\/([^?]+)/.exec(uri);
  return match?.[1] ? decodeURIComponent(match[1]) : DEFAULT_DB;
}

export class MongoStore implements Store {
  readonly kind = 'mongodb';
  readonly location: string;
  readonly #uri: string;
  readonly #log: Pick<Logger, 'info'> | undefined;
  #client: MongoClient | undefined;
  #schema: SchemaReport | undefined;
  #parts:
    | {
        events: MongoEventLog;
        identities: MongoIdentityStore;
        memories: MongoMemoryStore;
        settings: MongoSettingsStore;
        runs: MongoRunStore;
        approvals: MongoApprovalStore;
        ledger: MongoLedgerStore;
        copy: MongoStoreCopy;
      }
    | undefined;

  constructor(uri: string, options: { logger?: Pick<Logger, 'info'> } = {}) {
    this.#uri = uri;
    this.location = maskUri(uri);
    this.#log = options.logger;
  }

  /** What init() found and did to the schema. */
  get schema(): SchemaReport | undefined {
    return this.#schema;
  }

  async init(): Promise<void> {
    const client = new MongoClient(this.#uri, {
      serverSelectionTimeoutMS: CONNECT_TIMEOUT_MS,
      connectTimeoutMS: CONNECT_TIMEOUT_MS,
      appName: 'solo-os',
    });
    let db: Db;
    try {
      await client.connect();
      db = client.db(databaseName(this.#uri));
      await db.command({ ping: 1 });
    } catch (err) {
      await client.close().catch(() => undefined);
      const reason = (err as Error).message.split('\n')[0] ?? 'no answer';
      throw new StoreError(
        'store_unavailable',
        `Cannot reach MongoDB at ${this.location} (${reason}); check MONGODB_URI and that the server is running, or unset MONGODB_URI to use the embedded store.`,
        { cause: err, retryable: true },
      );
    }
    try {
      // Before any collection or index is created, so that the collections say what an older database holds.
      this.#schema = await migrateMongo(db, this.location);
    } catch (err) {
      await client.close().catch(() => undefined);
      throw err;
    }
    const line = reportLine(this.#schema, this.location);
    if (line) this.#log?.info({ migrations: this.#schema.applied }, line);
    this.#client = client;
    const events = new MongoEventLog(db);
    const parts = {
      events,
      identities: new MongoIdentityStore(db),
      memories: new MongoMemoryStore(db),
      settings: new MongoSettingsStore(db),
      runs: new MongoRunStore(db, events),
      approvals: new MongoApprovalStore(db),
      ledger: new MongoLedgerStore(db),
      copy: new MongoStoreCopy(db),
    };
    await Promise.all([
      parts.events.init(),
      parts.memories.init(),
      parts.runs.init(),
      parts.approvals.init(),
      parts.ledger.init(),
    ]);
    this.#parts = parts;
    this.#log?.info({ db: db.databaseName }, 'connected to MongoDB');
  }

  #ready() {
    if (!this.#parts) throw new StoreError('store_not_ready', 'The store is not connected yet.');
    return this.#parts;
  }
  get events() {
    return this.#ready().events;
  }
  get identities() {
    return this.#ready().identities;
  }
  get memories() {
    return this.#ready().memories;
  }
  get settings() {
    return this.#ready().settings;
  }
  get runs() {
    return this.#ready().runs;
  }
  get approvals() {
    return this.#ready().approvals;
  }
  get ledger() {
    return this.#ready().ledger;
  }
  get copy() {
    return this.#ready().copy;
  }

  async close(): Promise<void> {
    await this.#client?.close();
    this.#client = undefined;
    this.#parts = undefined;
  }
}
