// Memories on the embedded store: one row per memory, an FTS5 table for keyword candidates, and vectors per
// embedding model in their own table (a model change re-embeds without touching the memories). Tables: schema.ts.

import type { DatabaseSync } from 'node:sqlite';
import type {
  Memory,
  MemoryKind,
  MemoryPatch,
  MemorySource,
  MemoryStore,
  NewMemory,
} from '../../../src/ports/store.ts';
import { PROFILE_KINDS } from '../../../src/ports/store.ts';
import { inTransaction, statement } from './database.ts';

export interface MemoryRow {
  id: number;
  text: string;
  kind: string;
  entities: string;
  subject: string | null;
  importance: number;
  created_at: number;
  updated_at: number;
  last_used_at: number | null;
  source: string;
  forgotten_at: number | null;
  replaced_by: number | null;
  replaces: number | null;
  digest_of: string | null;
  digest_id: number | null;
}

export function toMemory(row: MemoryRow): Memory {
  const m: Memory = {
    id: String(row.id),
    text: row.text,
    kind: row.kind as MemoryKind,
    entities: JSON.parse(row.entities) as string[],
    importance: row.importance,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    source: JSON.parse(row.source) as MemorySource,
  };
  if (row.subject !== null) m.subject = row.subject;
  if (row.last_used_at !== null) m.lastUsedAt = new Date(row.last_used_at);
  if (row.forgotten_at !== null) m.forgottenAt = new Date(row.forgotten_at);
  if (row.replaced_by !== null) m.replacedBy = String(row.replaced_by);
  if (row.replaces !== null) m.replaces = String(row.replaces);
  if (row.digest_of !== null) m.digestOf = JSON.parse(row.digest_of) as string[];
  if (row.digest_id !== null) m.digestId = String(row.digest_id);
  return m;
}

/** Memory ids are decimal strings; anything else cannot name a memory. */
export function rowId(id: string | undefined): number | null {
  return id !== undefined && /^\d{1,15}$/.test(id) ? Number(id) : null;
}

const toBlob = (v: Float32Array): Uint8Array => new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
/** Rows of (id, uppercase hex of a little-endian f32 vector) as vectors viewing one shared array. */
function fromHexRows(rows: ReadonlyArray<{ id: number; hex: string }>): Array<{ id: string; vector: Float32Array }> {
  let total = 0;
  for (const r of rows) total += r.hex.length >> 1;
  const bytes = new Uint8Array(total);
  const hexDigit = (c: number): number => (c & 15) + (c >> 6) * 9; // '0'-'9' → 0-9, 'A'-'F' → 10-15
  let at = 0;
  return rows.map(({ id, hex }) => {
    const start = at;
    for (let i = 0; i < hex.length; i += 2)
      bytes[at++] = (hexDigit(hex.charCodeAt(i)) << 4) | hexDigit(hex.charCodeAt(i + 1));
    return { id: String(id), vector: new Float32Array(bytes.buffer, start, (at - start) >> 2) };
  });
}

export class SqliteMemoryStore implements MemoryStore {
  readonly #db: DatabaseSync;
  /** Where scan() and vectors() read (database.ts openScanner); the main connection when there is none. */
  readonly #scanner: DatabaseSync;

  constructor(db: DatabaseSync, scanner: DatabaseSync = db) {
    this.#db = db;
    this.#scanner = scanner;
  }

  #sql(sql: string) {
    return statement(this.#db, sql);
  }

  #scan(sql: string) {
    return statement(this.#scanner, sql);
  }

  async add(input: NewMemory): Promise<Memory> {
    const at = (input.at ?? new Date()).getTime();
    return inTransaction(this.#db, () => {
      const row = this.#sql(
        `INSERT INTO memories (text, kind, entities, subject, importance, created_at, updated_at, source, replaces, digest_of)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
      ).get(
        input.text,
        input.kind,
        JSON.stringify(input.entities ?? []),
        input.subject ?? null,
        input.importance ?? 0.5,
        at,
        at,
        JSON.stringify(input.source),
        rowId(input.replaces),
        input.digestOf ? JSON.stringify(input.digestOf) : null,
      ) as unknown as MemoryRow;
      this.#sql('INSERT INTO memories_fts (rowid, text) VALUES (?, ?)').run(row.id, input.text);
      return toMemory(row);
    });
  }

  async get(id: string): Promise<Memory | null> {
    const n = rowId(id);
    if (n === null) return null;
    const row = this.#sql('SELECT * FROM memories WHERE id = ?').get(n) as MemoryRow | undefined;
    return row ? toMemory(row) : null;
  }

  async getMany(ids: string[]): Promise<Memory[]> {
    const ns = ids.map(rowId).filter((n): n is number => n !== null);
    if (ns.length === 0) return [];
    const rows = this.#sql('SELECT * FROM memories WHERE id IN (SELECT value FROM json_each(?))').all(
      JSON.stringify(ns),
    ) as unknown as MemoryRow[];
    const byId = new Map(rows.map((r) => [String(r.id), toMemory(r)]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  async update(id: string, patch: MemoryPatch): Promise<Memory | null> {
    const n = rowId(id);
    if (n === null) return null;
    return inTransaction(this.#db, () => {
      const row = this.#sql('SELECT * FROM memories WHERE id = ?').get(n) as MemoryRow | undefined;
      if (!row) return null;
      const next = {
        text: patch.text ?? row.text,
        importance: patch.importance ?? row.importance,
        entities: patch.entities ? JSON.stringify(patch.entities) : row.entities,
        subject: patch.subject ?? row.subject,
        digest_id: patch.digestId === undefined ? row.digest_id : rowId(patch.digestId ?? undefined),
      };
      const updated = this.#sql(
        'UPDATE memories SET text = ?, importance = ?, entities = ?, subject = ?, digest_id = ?, updated_at = ? WHERE id = ? RETURNING *',
      ).get(
        next.text,
        next.importance,
        next.entities,
        next.subject,
        next.digest_id,
        Date.now(),
        n,
      ) as unknown as MemoryRow;
      if (patch.text !== undefined && patch.text !== row.text) {
        this.#sql('DELETE FROM memories_fts WHERE rowid = ?').run(n);
        this.#sql('INSERT INTO memories_fts (rowid, text) VALUES (?, ?)').run(n, patch.text);
      }
      return toMemory(updated);
    });
  }

  async forget(id: string, replacedBy?: string): Promise<boolean> {
    const n = rowId(id);
    if (n === null) return false;
    return (
      this.#sql('UPDATE memories SET forgotten_at = ?, replaced_by = ? WHERE id = ? AND forgotten_at IS NULL').run(
        Date.now(),
        rowId(replacedBy),
        n,
      ).changes === 1
    );
  }

  async restore(id: string): Promise<boolean> {
    const n = rowId(id);
    if (n === null) return false;
    return (
      this.#sql(
        'UPDATE memories SET forgotten_at = NULL, replaced_by = NULL WHERE id = ? AND forgotten_at IS NOT NULL',
      ).run(n).changes === 1
    );
  }

  async candidates(terms: string[], limit: number): Promise<Memory[]> {
    const clean = terms.map((t) => t.replaceAll('"', '')).filter((t) => t.length > 0);
    if (clean.length === 0) return [];
    const match = clean.map((t) => `"${t}"*`).join(' OR ');
    const rows = this.#sql(
      `SELECT memories.* FROM memories_fts JOIN memories ON memories.id = memories_fts.rowid
       WHERE memories_fts MATCH ? AND memories.forgotten_at IS NULL ORDER BY memories.id DESC LIMIT ?`,
    ).all(match, limit) as unknown as MemoryRow[];
    return rows.map(toMemory);
  }

  async count(): Promise<number> {
    return (this.#sql('SELECT COUNT(*) AS n FROM memories WHERE forgotten_at IS NULL').get() as { n: number }).n;
  }

  async scan(afterId: string | undefined, limit: number): Promise<Memory[]> {
    const rows = this.#scan('SELECT * FROM memories WHERE forgotten_at IS NULL AND id > ? ORDER BY id LIMIT ?').all(
      rowId(afterId) ?? 0,
      limit,
    ) as unknown as MemoryRow[];
    return rows.map(toMemory);
  }

  async byEntity(entity: string, limit: number): Promise<Memory[]> {
    const rows = this.#sql(
      `SELECT m.* FROM memory_entities e JOIN memories m ON m.id = e.id
       WHERE e.entity = ? AND m.forgotten_at IS NULL ORDER BY e.id DESC LIMIT ?`,
    ).all(entity, limit) as unknown as MemoryRow[];
    return rows.map(toMemory);
  }

  async touch(ids: string[], at: Date): Promise<void> {
    const ns = ids.map(rowId).filter((n): n is number => n !== null);
    if (ns.length === 0) return;
    this.#sql('UPDATE memories SET last_used_at = ? WHERE id IN (SELECT value FROM json_each(?))').run(
      at.getTime(),
      JSON.stringify(ns),
    );
  }

  async setVector(id: string, model: string, vector: Float32Array): Promise<void> {
    const n = rowId(id);
    if (n === null) return;
    this.#sql('INSERT OR REPLACE INTO memory_vectors (model, id, vector) VALUES (?, ?, ?)').run(
      model,
      n,
      toBlob(vector),
    );
  }

  async vectors(
    model: string,
    afterId: string | undefined,
    limit: number,
  ): Promise<Array<{ id: string; vector: Float32Array }>> {
    // hex(): a BLOB column comes back as one Uint8Array per row, each its own allocation outside the JS heap, and
    // reading 100k of them at start left 15-30 MB of the process's memory fragmented for good (idle RSS after
    // start 200-210 MB against 187-194 on a year of history). Hex text is a string in the JS heap, collected young;
    // a page of vectors is then decoded into one array.
    const rows = this.#scan(
      `SELECT v.id AS id, hex(v.vector) AS hex FROM memory_vectors v JOIN memories m ON m.id = v.id
       WHERE v.model = ? AND v.id > ? AND m.forgotten_at IS NULL ORDER BY v.id LIMIT ?`,
    ).all(model, rowId(afterId) ?? 0, limit) as unknown as Array<{ id: number; hex: string }>;
    return fromHexRows(rows);
  }

  async missingVectors(model: string, limit: number): Promise<Memory[]> {
    // Walks every memory: on the scanner too.
    const rows = this.#scan(
      `SELECT m.* FROM memories m WHERE m.forgotten_at IS NULL
       AND NOT EXISTS (SELECT 1 FROM memory_vectors v WHERE v.model = ? AND v.id = m.id) ORDER BY m.id LIMIT ?`,
    ).all(model, limit) as unknown as MemoryRow[];
    return rows.map(toMemory);
  }

  async compactable(options: { before: Date; maxImportance: number; limit: number }): Promise<Memory[]> {
    const rows = this.#sql(
      `SELECT * FROM memories WHERE forgotten_at IS NULL AND digest_id IS NULL AND kind NOT IN (${[...PROFILE_KINDS, 'digest'].map(() => '?').join(', ')})
       AND importance <= ? AND COALESCE(last_used_at, updated_at) < ? ORDER BY id LIMIT ?`,
    ).all(
      ...PROFILE_KINDS,
      'digest',
      options.maxImportance,
      options.before.getTime(),
      options.limit,
    ) as unknown as MemoryRow[];
    return rows.map(toMemory);
  }
}
