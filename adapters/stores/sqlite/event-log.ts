import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { EVENT_VERSIONS, type NewEvent, type StoredEvent } from '../../../src/domain/events.ts';
import type { AppendResult, EventLog, ReadRangeOptions, ReadStreamOptions } from '../../../src/ports/store.ts';
import { inTransaction, statement } from './database.ts';

export interface EventRow {
  position: number;
  stream: string;
  seq: number;
  type: string;
  v: number;
  at: number;
  data: string;
  dedupe_key: string | null;
}

export function toEvent(row: EventRow): StoredEvent {
  const event = {
    type: row.type,
    v: row.v,
    stream: row.stream,
    seq: row.seq,
    position: row.position,
    at: new Date(row.at),
    data: JSON.parse(row.data) as unknown,
  } as StoredEvent;
  if (row.dedupe_key !== null) event.dedupeKey = row.dedupe_key;
  return event;
}

const MAX_READ = 10_000;

export class SqliteEventLog implements EventLog {
  readonly #db: DatabaseSync;
  readonly #insert: StatementSync;
  readonly #lastSeq: StatementSync;
  readonly #byDedupe: StatementSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#insert = db.prepare(
      'INSERT INTO events (stream, seq, type, v, at, data, dedupe_key) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *',
    );
    this.#lastSeq = db.prepare('SELECT COALESCE(MAX(seq), 0) AS seq FROM events WHERE stream = ?');
    this.#byDedupe = db.prepare('SELECT * FROM events WHERE dedupe_key = ?');
  }

  async append(event: NewEvent): Promise<AppendResult> {
    return inTransaction(this.#db, () => this.#appendOne(event));
  }

  async appendMany(events: NewEvent[]): Promise<AppendResult[]> {
    if (events.length === 0) return [];
    return inTransaction(this.#db, () => events.map((event) => this.#appendOne(event)));
  }

  /** Appends inside the caller's transaction (other stores journal and audit in one write). */
  appendInTransaction(event: NewEvent): AppendResult {
    return this.#appendOne(event);
  }

  #appendOne(event: NewEvent): AppendResult {
    if (event.dedupeKey !== undefined) {
      const existing = this.#byDedupe.get(event.dedupeKey) as EventRow | undefined;
      if (existing) return { event: toEvent(existing), duplicate: true };
    }
    const { seq } = this.#lastSeq.get(event.stream) as { seq: number };
    const row = this.#insert.get(
      event.stream,
      seq + 1,
      event.type,
      EVENT_VERSIONS[event.type],
      Date.now(),
      JSON.stringify(event.data),
      event.dedupeKey ?? null,
    ) as unknown as EventRow;
    return { event: toEvent(row), duplicate: false };
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<StoredEvent[]> {
    const params: (string | number)[] = [stream, options.afterSeq ?? 0];
    let sql = 'SELECT * FROM events WHERE stream = ? AND seq > ?';
    if (options.types?.length) {
      sql += ` AND type IN (${options.types.map(() => '?').join(', ')})`;
      params.push(...options.types);
    }
    sql += options.newest ? ' ORDER BY seq DESC LIMIT ?' : ' ORDER BY seq LIMIT ?';
    params.push(Math.min(options.limit ?? MAX_READ, MAX_READ));
    const rows = statement(this.#db, sql).all(...params) as unknown as EventRow[];
    return (options.newest ? rows.reverse() : rows).map(toEvent);
  }

  async readRange(options: ReadRangeOptions = {}): Promise<StoredEvent[]> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    const types = options.types?.length ? options.types : undefined;
    const typeIn = types ? `type IN (${types.map(() => '?').join(', ')})` : undefined;
    if (options.from) {
      // Where the time range begins, from the (type, at) or (at) index alone: the scan in position order then
      // starts there instead of walking every older event of those types (a year of budget events took 0.5 s).
      where.push(
        `position > MAX(?, (SELECT COALESCE(MIN(position + 0), ${Number.MAX_SAFE_INTEGER}) FROM events WHERE ${typeIn ? `${typeIn} AND ` : ''}at >= ?) - 1)`,
      );
      params.push(options.afterPosition ?? 0, ...(types ?? []), options.from.getTime());
      where.push('at >= ?');
      params.push(options.from.getTime());
    } else {
      where.push('position > ?');
      params.push(options.afterPosition ?? 0);
    }
    if (options.to) {
      where.push('at < ?');
      params.push(options.to.getTime());
      // And where it ends: without a bound on position the scan would walk every later event to the end of the log
      // (a year of /costs, day by day, took 30 s). The last position inside [from, to) is exact whatever the clock
      // did, and the (type, at) or (at) index finds it among that range's events alone.
      if (options.from) {
        where.push(
          `position <= (SELECT COALESCE(MAX(position + 0), 0) FROM events WHERE ${typeIn ? `${typeIn} AND ` : ''}at >= ? AND at < ?)`,
        );
        params.push(...(types ?? []), options.from.getTime(), options.to.getTime());
      }
    }
    if (typeIn) {
      where.push(typeIn);
      params.push(...types!);
    }
    params.push(Math.min(options.limit ?? MAX_READ, MAX_READ));
    const sql = `SELECT * FROM events WHERE ${where.join(' AND ')} ORDER BY position${options.newest ? ' DESC' : ''} LIMIT ?`;
    const rows = statement(this.#db, sql).all(...params) as unknown as EventRow[];
    return (options.newest ? rows.reverse() : rows).map(toEvent);
  }

  async findByDedupeKey(dedupeKey: string): Promise<StoredEvent | null> {
    const row = this.#byDedupe.get(dedupeKey) as EventRow | undefined;
    return row ? toEvent(row) : null;
  }
}
