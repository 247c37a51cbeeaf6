// Whole-store copy on the embedded store (src/ports/store-copy.ts): pages in rowid order, written back with every
// id, position and time as it was, one transaction per page.

import type { DatabaseSync } from 'node:sqlite';
import type { CopyPage, CopyRecords, CopyTable, StoreCopy } from '../../../src/ports/store-copy.ts';
import { APPROVAL_DATES, INVOICE_DATES, reviveDates, RUN_DATES, STEP_DATES } from '../codec.ts';
import { inTransaction, statement } from './database.ts';
import { toEvent, type EventRow } from './event-log.ts';
import { rowId, toMemory, type MemoryRow } from './memories.ts';
import { toIdentity, type IdentityRow } from './records.ts';

type Row = Record<string, unknown> & { _r: number };
const ms = (d: Date | undefined): number | null => (d === undefined ? null : d.getTime());
const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));

const READ: { [T in CopyTable]: (row: Row) => CopyRecords[T] } = {
  events: (r) => toEvent(r as unknown as EventRow),
  identities: (r) => toIdentity(r as unknown as IdentityRow),
  settings: (r) => ({ key: r['key'] as string, value: JSON.parse(r['value'] as string) as unknown }),
  memories: (r) => toMemory(r as unknown as MemoryRow),
  memory_vectors: (r) => {
    const b = r['vector'] as Uint8Array;
    return {
      model: r['model'] as string,
      id: String(r['id']),
      vector: Array.from(new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength))),
    };
  },
  runs: (r) => reviveDates(r['doc'] as string, RUN_DATES),
  steps: (r) => reviveDates(r['doc'] as string, STEP_DATES),
  approvals: (r) => reviveDates(r['doc'] as string, APPROVAL_DATES),
  invoices: (r) => reviveDates(r['doc'] as string, INVOICE_DATES),
};

/** Each table's insert and the values of one record, in column order. */
const WRITE: {
  [T in CopyTable]: { sql: string; values: (rec: CopyRecords[T]) => (string | number | null | Uint8Array)[] };
} = {
  events: {
    sql: 'INSERT INTO events (position, stream, seq, type, v, at, data, dedupe_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    values: (e) => [
      e.position,
      e.stream,
      e.seq,
      e.type,
      e.v,
      e.at.getTime(),
      JSON.stringify(e.data),
      e.dedupeKey ?? null,
    ],
  },
  identities: {
    sql: 'INSERT INTO identities (channel, external_id, label, linked_at, via) VALUES (?, ?, ?, ?, ?)',
    values: (i) => [i.channel, i.externalId, i.label, i.linkedAt.getTime(), i.via],
  },
  settings: { sql: 'INSERT INTO settings (key, value) VALUES (?, ?)', values: (s) => [s.key, JSON.stringify(s.value)] },
  memories: {
    sql: `INSERT INTO memories (id, text, kind, entities, subject, importance, created_at, updated_at, last_used_at, source, forgotten_at, replaced_by, replaces, digest_of, digest_id)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    values: (m) => [
      Number(m.id),
      m.text,
      m.kind,
      JSON.stringify(m.entities),
      m.subject ?? null,
      m.importance,
      m.createdAt.getTime(),
      m.updatedAt.getTime(),
      ms(m.lastUsedAt),
      JSON.stringify(m.source),
      ms(m.forgottenAt),
      rowId(m.replacedBy),
      rowId(m.replaces),
      json(m.digestOf),
      rowId(m.digestId),
    ],
  },
  memory_vectors: {
    sql: 'INSERT INTO memory_vectors (model, id, vector) VALUES (?, ?, ?)',
    values: (v) => [v.model, Number(v.id), new Uint8Array(Float32Array.from(v.vector).buffer)],
  },
  runs: {
    sql: 'INSERT INTO runs (id, status, created_at, doc) VALUES (?, ?, ?, ?)',
    values: (r) => [r.id, r.status, r.createdAt.getTime(), JSON.stringify(r)],
  },
  steps: {
    sql: 'INSERT INTO steps (run_id, step_id, seq, doc) VALUES (?, ?, ?, ?)',
    values: (s) => [s.runId, s.stepId, s.seq, JSON.stringify(s)],
  },
  approvals: {
    sql: 'INSERT INTO approvals (id, run_id, step_id, status, created_at, doc) VALUES (?, ?, ?, ?, ?, ?)',
    values: (a) => [a.id, a.runId, a.stepId, a.status, a.createdAt.getTime(), JSON.stringify(a)],
  },
  invoices: {
    sql: 'INSERT INTO invoices (number, idempotency_key, doc) VALUES (?, ?, ?)',
    values: (i) => [i.number, i.idempotencyKey, JSON.stringify(i)],
  },
};

export class SqliteStoreCopy implements StoreCopy {
  readonly #db: DatabaseSync;
  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  async count(table: CopyTable): Promise<number> {
    return (statement(this.#db, `SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
  }

  async read<T extends CopyTable>(table: T, after: string | undefined, limit: number): Promise<CopyPage<T>> {
    const rows = statement(this.#db, `SELECT rowid AS _r, * FROM ${table} WHERE rowid > ? ORDER BY rowid LIMIT ?`).all(
      Number(after ?? 0),
      limit,
    ) as Row[];
    const read = READ[table] as (row: Row) => CopyRecords[T];
    const last = rows.at(-1);
    return { records: rows.map(read), ...(rows.length === limit && last ? { next: String(last._r) } : {}) };
  }

  async write<T extends CopyTable>(table: T, records: CopyRecords[T][]): Promise<void> {
    const { sql, values } = WRITE[table] as {
      sql: string;
      values: (rec: CopyRecords[T]) => (string | number | null | Uint8Array)[];
    };
    inTransaction(this.#db, () => {
      const insert = statement(this.#db, sql);
      const fts =
        table === 'memories' ? statement(this.#db, 'INSERT INTO memories_fts (rowid, text) VALUES (?, ?)') : undefined;
      for (const record of records) {
        insert.run(...values(record));
        if (fts) fts.run(Number((record as Memory).id), (record as Memory).text);
      }
    });
  }

  /** AUTOINCREMENT already continues after the highest id written. */
  async finish(): Promise<void> {}
}

type Memory = CopyRecords['memories'];
