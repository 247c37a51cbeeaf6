// The scheduler's one door to Agenda 6. Nothing here loads agenda until a function is called: importing it costs
// ~40 ms, which start-up should only pay when the scheduler starts. Types are re-exported for callers and tests.

import type { DatabaseSync } from 'node:sqlite';
import type { Db } from 'mongodb';
import type { Agenda, AgendaBackend } from 'agenda';

export type {
  Agenda,
  AgendaBackend,
  Job,
  JobLogEntry,
  JobLogger,
  JobParameters,
  JobRepository,
  JobWithState,
  NotificationChannel,
} from 'agenda';

/**
 * How often Agenda looks for due jobs. A job saved more than this ahead is locked by a scan before it is due and
 * fired by a timer at its time; a job saved in this process is picked up at once (notification channel). So the
 * interval only bounds how late a job saved by *another* process with less than this much notice can be.
 */
export const PROCESS_EVERY_MS = 500;

export type SchedulerStore =
  | { kind: 'sqlite'; database: DatabaseSync | string }
  | { kind: 'mongodb'; db: Db; collection?: string }
  | { kind: 'mongodb'; uri: string; collection?: string };

/** The backend for the store in use: SQLite by default, MongoDB (@agendajs/mongo-backend) when configured. */
export async function openBackend(store: SchedulerStore): Promise<AgendaBackend> {
  if (store.kind === 'sqlite') {
    const { SqliteBackend } = await import('./sqlite-backend.ts');
    return new SqliteBackend(store.database);
  }
  const { MongoBackend } = await import('@agendajs/mongo-backend');
  const collection = store.collection ?? 'agendaJobs';
  return 'db' in store
    ? new MongoBackend({ mongo: store.db, collection })
    : new MongoBackend({ address: store.uri, collection });
}

/** Agenda's own options (processEvery, concurrency, lock limits and lifetime, logging...) without the backend. */
export type SchedulerOptions = Omit<ConstructorParameters<typeof Agenda>[0], 'backend'>;

/**
 * An Agenda on `backend`, polling every PROCESS_EVERY_MS unless told otherwise. A backend without a notification
 * channel (MongoDB) gets an in-process one, so jobs saved in this process run at once there too. Not started yet.
 */
export async function createAgenda(backend: AgendaBackend, options: SchedulerOptions = {}): Promise<Agenda> {
  const agenda = await import('agenda');
  const notificationChannel =
    options.notificationChannel ?? backend.notificationChannel ?? new agenda.InMemoryNotificationChannel();
  return new agenda.Agenda({ processEvery: PROCESS_EVERY_MS, ...options, backend, notificationChannel });
}

/** Agenda's own module, for what the helpers above do not cover (backoff strategies, the Job class). */
export function loadAgenda(): Promise<typeof import('agenda')> {
  return import('agenda');
}
