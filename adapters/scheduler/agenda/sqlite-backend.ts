// Agenda 6's AgendaBackend over the embedded SQLite store: jobs in agenda_jobs, logs in agenda_logs (same file as
// the store), an in-process notification channel. `new Agenda({ backend: new SqliteBackend(store.db) })`.

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { InMemoryNotificationChannel, type AgendaBackend, type NotificationChannel } from 'agenda';
import { SchedulerError } from './sqlite-codec.ts';
import { SqliteJobLogger } from './sqlite-logger.ts';
import { SqliteJobRepository } from './sqlite-repository.ts';

export interface SqliteBackendOptions {
  /**
   * Publish saved jobs to this process's Agenda at once (default true), so `now()` and jobs due before the next poll
   * run without waiting for it. Other processes on the same file find them at their next poll (processEvery).
   */
  notifications?: boolean;
}

export class SqliteBackend implements AgendaBackend {
  readonly name = 'SQLite';
  readonly repository: SqliteJobRepository;
  readonly logger: SqliteJobLogger;
  readonly notificationChannel: NotificationChannel | undefined;
  /** True when the backend opened the file itself (and so closes it on disconnect). */
  readonly ownsConnection: boolean;
  private readonly path: string | undefined;
  private handle: DatabaseSync | undefined;

  /** `database`: the store's open DatabaseSync (never closed here) or a file path this backend opens and owns. */
  constructor(database: DatabaseSync | string, options: SqliteBackendOptions = {}) {
    if (typeof database === 'string') {
      this.path = database;
      this.ownsConnection = true;
    } else {
      this.handle = database;
      this.ownsConnection = false;
    }
    const source = () => this.db;
    this.repository = new SqliteJobRepository(source);
    this.logger = new SqliteJobLogger(source);
    this.notificationChannel = options.notifications === false ? undefined : new InMemoryNotificationChannel();
  }

  /** The open database; a backend that owns its file opens it again after a disconnect. */
  get db(): DatabaseSync {
    if (this.handle?.isOpen) return this.handle;
    if (this.path === undefined) {
      throw new SchedulerError(
        'scheduler_store_closed',
        'The scheduler cannot reach its jobs: the database was closed.',
      );
    }
    return (this.handle = openFile(this.path));
  }

  async connect(): Promise<void> {
    await this.repository.connect();
  }

  async disconnect(): Promise<void> {
    if (this.ownsConnection && this.handle?.isOpen) this.handle.close();
  }
}

/** WAL so readers never wait for the writer; busy_timeout so two processes' writes queue instead of failing. */
function openFile(path: string): DatabaseSync {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;');
  return db;
}
