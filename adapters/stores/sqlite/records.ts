// Operator identities and settings on the embedded store.

import type { DatabaseSync } from 'node:sqlite';
import type { Identity, IdentityStore, SettingsStore } from '../../../src/ports/store.ts';
import { inTransaction, statement } from './database.ts';

export interface IdentityRow {
  channel: string;
  external_id: string;
  label: string;
  linked_at: number;
  via: string;
}

export function toIdentity(row: IdentityRow): Identity {
  return {
    channel: row.channel,
    externalId: row.external_id,
    label: row.label,
    linkedAt: new Date(row.linked_at),
    via: row.via,
  };
}

export class SqliteIdentityStore implements IdentityStore {
  readonly #db: DatabaseSync;
  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  async get(channel: string, externalId: string): Promise<Identity | null> {
    const row = statement(this.#db, 'SELECT * FROM identities WHERE channel = ? AND external_id = ?').get(
      channel,
      externalId,
    ) as IdentityRow | undefined;
    return row ? toIdentity(row) : null;
  }

  async upsert(identity: Identity): Promise<boolean> {
    return inTransaction(this.#db, () => {
      const existed = statement(this.#db, 'SELECT 1 FROM identities WHERE channel = ? AND external_id = ?').get(
        identity.channel,
        identity.externalId,
      );
      statement(
        this.#db,
        `INSERT INTO identities (channel, external_id, label, linked_at, via) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (channel, external_id) DO UPDATE SET label = excluded.label, via = excluded.via`,
      ).run(identity.channel, identity.externalId, identity.label, identity.linkedAt.getTime(), identity.via);
      return existed === undefined;
    });
  }

  async remove(channel: string, externalId: string): Promise<boolean> {
    return (
      statement(this.#db, 'DELETE FROM identities WHERE channel = ? AND external_id = ?').run(channel, externalId)
        .changes === 1
    );
  }

  async list(): Promise<Identity[]> {
    return (
      statement(this.#db, 'SELECT * FROM identities ORDER BY channel, external_id').all() as unknown as IdentityRow[]
    ).map(toIdentity);
  }
}

export class SqliteSettingsStore implements SettingsStore {
  readonly #db: DatabaseSync;
  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  async get<T = unknown>(key: string): Promise<T | undefined> {
    const row = statement(this.#db, 'SELECT value FROM settings WHERE key = ?').get(key) as
      { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  async set(key: string, value: unknown): Promise<void> {
    statement(
      this.#db,
      'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    ).run(key, JSON.stringify(value));
  }
}
