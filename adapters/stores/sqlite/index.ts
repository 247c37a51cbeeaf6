import type { DatabaseSync } from 'node:sqlite';
import type { Logger } from '../../../src/observability/logger.ts';
import { join, resolve } from 'node:path';
import { StoreError } from '../../../src/domain/errors.ts';
import type { ApprovalStore, LedgerStore, RunStore } from '../../../src/ports/engine-store.ts';
import type { EventLog, IdentityStore, MemoryStore, SettingsStore, Store } from '../../../src/ports/store.ts';
import { IdleCheckpointer } from './checkpointer.ts';
import { openDatabase, openScanner, type Synchronous } from './database.ts';
import { SqliteApprovalStore, SqliteLedgerStore, SqliteRunStore } from './engine.ts';
import { SqliteEventLog } from './event-log.ts';
import { SqliteMemoryStore } from './memories.ts';
import { SqliteStoreCopy } from './copy.ts';
import type { StoreCopy } from '../../../src/ports/store-copy.ts';
import { SqliteIdentityStore, SqliteSettingsStore } from './records.ts';
import { reportLine, type SchemaReport } from '../schema.ts';
import { migrateSqlite } from './schema.ts';
import { checkInBackground, type BackgroundCheck } from './check.ts';

export const SQLITE_FILE = 'solo.db';

/** The embedded default store: one SQLite file under DATA_DIR. */
export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly location: string;
  readonly #synchronous: Synchronous;
  #db: DatabaseSync | undefined;
  /** Whole-table reads (openScanner): their own read-only connection with a small cache. */
  #scanner: DatabaseSync | undefined;
  #events: EventLog | undefined;
  #identities: IdentityStore | undefined;
  #memories: MemoryStore | undefined;
  #settings: SettingsStore | undefined;
  #runs: RunStore | undefined;
  #approvals: ApprovalStore | undefined;
  #ledger: LedgerStore | undefined;

  readonly #idleCheckpoints: boolean;
  readonly #logger: Pick<Logger, 'warn' | 'info'> | undefined;
  #checkpointer: IdleCheckpointer | undefined;
  #schema: SchemaReport | undefined;
  #checkedWhole = true;
  #check: BackgroundCheck | undefined;

  /**
   * `idleCheckpoints` (default on for a file): the WAL is checkpointed when nothing is being written, instead of only
   * inside a commit in the middle of traffic (checkpointer.ts). `logger` hears what a migration did at start, and
   * when an idle checkpoint fails.
   */
  constructor(
    dataDir: string,
    options: { synchronous?: Synchronous; idleCheckpoints?: boolean; logger?: Pick<Logger, 'warn' | 'info'> } = {},
  ) {
    this.location = dataDir === ':memory:' ? ':memory:' : join(resolve(dataDir), SQLITE_FILE);
    this.#synchronous = options.synchronous ?? 'normal';
    this.#idleCheckpoints = (options.idleCheckpoints ?? true) && this.location !== ':memory:';
    this.#logger = options.logger;
  }

  /** What init() found and did to the schema. */
  get schema(): SchemaReport | undefined {
    return this.#schema;
  }

  /**
   * The check of every page that a large store did not get before start, run now in another process: resolves to
   * the problem SQLite found, or undefined when the store is sound (or was checked whole already).
   */
  async checkRest(): Promise<string | undefined> {
    if (this.#checkedWhole) return undefined;
    this.#checkedWhole = true;
    this.#check = checkInBackground(this.location);
    const problem = await this.#check.result;
    this.#check = undefined;
    return problem;
  }

  /** How many idle checkpoints ran since init() (tests, diagnostics). */
  get idleCheckpoints(): number {
    return this.#checkpointer?.checkpoints ?? 0;
  }

  async init(): Promise<void> {
    try {
      const opened = openDatabase(this.location, this.#synchronous);
      this.#db = opened.db;
      this.#checkedWhole = opened.checkedWhole;
      try {
        this.#schema = migrateSqlite(this.#db, this.location);
      } catch (err) {
        this.#db.close();
        this.#db = undefined;
        throw err;
      }
      const line = reportLine(this.#schema, this.location);
      if (line) this.#logger?.info({ migrations: this.#schema.applied }, line);
      if (this.#idleCheckpoints) {
        // A failed idle checkpoint loses nothing: the automatic one still runs at commit time.
        this.#checkpointer = new IdleCheckpointer(this.#db, this.location, (err) =>
          this.#logger?.warn({ err }, 'an idle WAL checkpoint failed'),
        );
      }
    } catch (err) {
      if (err instanceof StoreError) throw err;
      throw new StoreError(
        'store_unavailable',
        `Cannot open the embedded store at ${this.location}: ${(err as Error).message}.`,
        { cause: err },
      );
    }
    const events = new SqliteEventLog(this.#db);
    this.#events = events;
    this.#identities = new SqliteIdentityStore(this.#db);
    this.#scanner = this.location === ':memory:' ? undefined : openScanner(this.location);
    this.#memories = new SqliteMemoryStore(this.#db, this.#scanner);
    this.#settings = new SqliteSettingsStore(this.#db);
    this.#runs = new SqliteRunStore(this.#db, events);
    this.#approvals = new SqliteApprovalStore(this.#db);
    this.#ledger = new SqliteLedgerStore(this.#db);
  }

  get events(): EventLog {
    return this.#ready(this.#events);
  }
  get identities(): IdentityStore {
    return this.#ready(this.#identities);
  }
  get memories(): MemoryStore {
    return this.#ready(this.#memories);
  }
  get settings(): SettingsStore {
    return this.#ready(this.#settings);
  }
  get runs(): RunStore {
    return this.#ready(this.#runs);
  }
  get approvals(): ApprovalStore {
    return this.#ready(this.#approvals);
  }
  get ledger(): LedgerStore {
    return this.#ready(this.#ledger);
  }
  get copy(): StoreCopy {
    return new SqliteStoreCopy(this.#ready(this.#db));
  }

  #ready<T>(part: T | undefined): T {
    if (part === undefined) throw new StoreError('store_not_ready', 'The store is not open yet.');
    return part;
  }

  async close(): Promise<void> {
    this.#check?.stop();
    this.#checkpointer?.stop();
    this.#checkpointer = undefined;
    this.#scanner?.close();
    this.#scanner = undefined;
    this.#db?.close();
    this.#db = undefined;
  }
}
