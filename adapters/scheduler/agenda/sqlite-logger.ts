// Agenda's JobLogger over SQLite (table agenda_logs), the counterpart of MongoJobLogger. Agenda writes to it only
// with `logging: true`; the table is created on first use.

import type { SQLInputValue } from 'node:sqlite';
import type { JobLogEntry, JobLogger, JobLogQuery, JobLogQueryResult } from 'agenda';
import { decodeJson, encodeJson, type Condition } from './sqlite-codec.ts';
import type { DatabaseSource } from './sqlite-repository.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS agenda_logs (
  id INTEGER PRIMARY KEY AUTOINCREMENT, timestamp INTEGER NOT NULL, level TEXT NOT NULL, event TEXT NOT NULL,
  job_id TEXT, job_name TEXT NOT NULL, message TEXT NOT NULL, duration REAL, error TEXT, fail_count INTEGER,
  retry_delay INTEGER, retry_attempt INTEGER, agenda_name TEXT, meta TEXT
);
CREATE INDEX IF NOT EXISTS agenda_logs_timestamp ON agenda_logs (timestamp);
CREATE INDEX IF NOT EXISTS agenda_logs_job_id ON agenda_logs (job_id, timestamp);
CREATE INDEX IF NOT EXISTS agenda_logs_job_name ON agenda_logs (job_name, timestamp);
`;

interface LogRow {
  id: number;
  timestamp: number;
  level: JobLogEntry['level'];
  event: JobLogEntry['event'];
  job_id: string | null;
  job_name: string;
  message: string;
  duration: number | null;
  error: string | null;
  fail_count: number | null;
  retry_delay: number | null;
  retry_attempt: number | null;
  agenda_name: string | null;
  meta: string | null;
}

const orUndefined = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

export class SqliteJobLogger implements JobLogger {
  private readonly source: DatabaseSource;
  private readyFor: unknown;

  constructor(source: DatabaseSource) {
    this.source = source;
  }

  private get db() {
    const db = this.source();
    if (this.readyFor !== db) {
      db.exec(SCHEMA);
      this.readyFor = db;
    }
    return db;
  }

  async log(entry: Omit<JobLogEntry, '_id'>): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO agenda_logs (timestamp, level, event, job_id, job_name, message, duration, error, fail_count, retry_delay, retry_attempt, agenda_name, meta)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        new Date(entry.timestamp).getTime(),
        entry.level,
        entry.event,
        entry.jobId ?? null,
        entry.jobName,
        entry.message,
        entry.duration ?? null,
        entry.error ?? null,
        entry.failCount ?? null,
        entry.retryDelay ?? null,
        entry.retryAttempt ?? null,
        entry.agendaName ?? null,
        entry.meta === undefined ? null : encodeJson(entry.meta),
      );
  }

  async getLogs(query?: JobLogQuery): Promise<JobLogQueryResult> {
    const where = filter(query);
    const limit = query?.limit ?? 50;
    const offset = query?.offset ?? 0;
    const order = query?.sort === 'asc' ? 'ASC' : 'DESC';
    const rows = this.db
      .prepare(`SELECT * FROM agenda_logs ${where.sql} ORDER BY timestamp ${order}, id ${order} LIMIT ? OFFSET ?`)
      .all(...where.params, limit, offset) as unknown as LogRow[];
    const total = (
      this.db.prepare(`SELECT count(*) AS n FROM agenda_logs ${where.sql}`).get(...where.params) as { n: number }
    ).n;
    return {
      total,
      entries: rows.map((r) => ({
        _id: String(r.id),
        timestamp: new Date(r.timestamp),
        level: r.level,
        event: r.event,
        jobId: orUndefined(r.job_id),
        jobName: r.job_name,
        message: r.message,
        duration: orUndefined(r.duration),
        error: orUndefined(r.error),
        failCount: orUndefined(r.fail_count),
        retryDelay: orUndefined(r.retry_delay),
        retryAttempt: orUndefined(r.retry_attempt),
        agendaName: orUndefined(r.agenda_name),
        meta: decodeJson(r.meta) as Record<string, unknown> | undefined,
      })) as JobLogEntry[],
    };
  }

  async clearLogs(query?: JobLogQuery): Promise<number> {
    const where = filter(query);
    return Number(this.db.prepare(`DELETE FROM agenda_logs ${where.sql}`).run(...where.params).changes);
  }
}

function filter(query: JobLogQuery | undefined): Condition {
  const conditions: Condition[] = [];
  const oneOf = (column: string, value: string | string[]) =>
    Array.isArray(value)
      ? conditions.push({ sql: `${column} IN (SELECT value FROM json_each(?))`, params: [JSON.stringify(value)] })
      : conditions.push({ sql: `${column} = ?`, params: [value] });
  if (query?.jobId) oneOf('job_id', query.jobId);
  if (query?.jobName) oneOf('job_name', query.jobName);
  if (query?.level) oneOf('level', query.level);
  if (query?.event) oneOf('event', query.event);
  if (query?.from) conditions.push({ sql: 'timestamp >= ?', params: [new Date(query.from).getTime()] });
  if (query?.to) conditions.push({ sql: 'timestamp <= ?', params: [new Date(query.to).getTime()] });
  const params: SQLInputValue[] = conditions.flatMap((c) => c.params);
  return { sql: conditions.length > 0 ? `WHERE ${conditions.map((c) => c.sql).join(' AND ')}` : '', params };
}
