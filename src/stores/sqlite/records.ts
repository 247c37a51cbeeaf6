// Notes, operator identities and settings on the embedded store.

import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { Identity, IdentityStore, Note, NoteSource, NoteStore, SettingsStore } from '../../ports/store.ts';
import { inTransaction, statement } from './database.ts';

interface NoteRow {
  id: number;
  text: string;
  created_at: number;
  source_channel: string;
  source_position: number | null;
  forgotten_at: number | null;
}

function toNote(row: NoteRow): Note {
  const source: NoteSource = { channel: row.source_channel };
  if (row.source_position !== null) source.eventPosition = row.source_position;
  const note: Note = { id: String(row.id), text: row.text, createdAt: new Date(row.created_at), source };
  if (row.forgotten_at !== null) note.forgottenAt = new Date(row.forgotten_at);
  return note;
}

/** Note ids are decimal strings; anything else cannot name a note. */
function rowId(id: string): number | null {
  return /^\d{1,15}$/.test(id) ? Number(id) : null;
}

export class SqliteNoteStore implements NoteStore {
  readonly #db: DatabaseSync;
  readonly #insert: StatementSync;
  readonly #insertFts: StatementSync;
  readonly #get: StatementSync;
  readonly #setForgotten: StatementSync;
  readonly #count: StatementSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#insert = db.prepare(
      'INSERT INTO notes (text, created_at, source_channel, source_position) VALUES (?, ?, ?, ?) RETURNING *',
    );
    this.#insertFts = db.prepare('INSERT INTO notes_fts (rowid, text) VALUES (?, ?)');
    this.#get = db.prepare('SELECT * FROM notes WHERE id = ?');
    this.#setForgotten = db.prepare(
      'UPDATE notes SET forgotten_at = ? WHERE id = ? AND (forgotten_at IS NULL) = ?',
    );
    this.#count = db.prepare('SELECT COUNT(*) AS n FROM notes WHERE forgotten_at IS NULL');
  }

  async add(input: { text: string; source: NoteSource }): Promise<Note> {
    return inTransaction(this.#db, () => {
      const row = this.#insert.get(
        input.text,
        Date.now(),
        input.source.channel,
        input.source.eventPosition ?? null,
      ) as unknown as NoteRow;
      this.#insertFts.run(row.id, input.text);
      return toNote(row);
    });
  }

  async get(id: string): Promise<Note | null> {
    const n = rowId(id);
    if (n === null) return null;
    const row = this.#get.get(n) as NoteRow | undefined;
    return row ? toNote(row) : null;
  }

  async forget(id: string): Promise<boolean> {
    const n = rowId(id);
    return n !== null && this.#setForgotten.run(Date.now(), n, 1).changes === 1;
  }

  async restore(id: string): Promise<boolean> {
    const n = rowId(id);
    return n !== null && this.#setForgotten.run(null, n, 0).changes === 1;
  }

  async candidates(terms: string[], limit: number): Promise<Note[]> {
    const clean = terms.map((t) => t.replaceAll('"', '')).filter((t) => t.length > 0);
    if (clean.length === 0) return [];
    const match = clean.map((t) => `"${t}"*`).join(' OR ');
    const rows = statement(this.#db, 
        `SELECT notes.* FROM notes_fts JOIN notes ON notes.id = notes_fts.rowid
         WHERE notes_fts MATCH ? AND notes.forgotten_at IS NULL ORDER BY notes.id DESC LIMIT ?`,
      )
      .all(match, limit) as unknown as NoteRow[];
    return rows.map(toNote);
  }

  async count(): Promise<number> {
    return (this.#count.get() as { n: number }).n;
  }
}

interface IdentityRow {
  channel: string;
  external_id: string;
  label: string;
  linked_at: number;
  via: string;
}

function toIdentity(row: IdentityRow): Identity {
  return { channel: row.channel, externalId: row.external_id, label: row.label, linkedAt: new Date(row.linked_at), via: row.via };
}

export class SqliteIdentityStore implements IdentityStore {
  readonly #db: DatabaseSync;
  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  async get(channel: string, externalId: string): Promise<Identity | null> {
    const row = statement(this.#db, 'SELECT * FROM identities WHERE channel = ? AND external_id = ?')
      .get(channel, externalId) as IdentityRow | undefined;
    return row ? toIdentity(row) : null;
  }

  async upsert(identity: Identity): Promise<boolean> {
    return inTransaction(this.#db, () => {
      const existed = statement(this.#db, 'SELECT 1 FROM identities WHERE channel = ? AND external_id = ?')
        .get(identity.channel, identity.externalId);
      statement(this.#db, 
          `INSERT INTO identities (channel, external_id, label, linked_at, via) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (channel, external_id) DO UPDATE SET label = excluded.label, via = excluded.via`,
        )
        .run(identity.channel, identity.externalId, identity.label, identity.linkedAt.getTime(), identity.via);
      return existed === undefined;
    });
  }

  async remove(channel: string, externalId: string): Promise<boolean> {
    return statement(this.#db, 'DELETE FROM identities WHERE channel = ? AND external_id = ?').run(channel, externalId).changes === 1;
  }

  async list(): Promise<Identity[]> {
    return (statement(this.#db, 'SELECT * FROM identities ORDER BY channel, external_id').all() as unknown as IdentityRow[]).map(toIdentity);
  }
}

export class SqliteSettingsStore implements SettingsStore {
  readonly #db: DatabaseSync;
  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  async get<T = unknown>(key: string): Promise<T | undefined> {
    const row = statement(this.#db, 'SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  async set(key: string, value: unknown): Promise<void> {
    statement(this.#db, 'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value')
      .run(key, JSON.stringify(value));
  }
}
