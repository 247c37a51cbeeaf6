// The embedded store's schema: each part's tables as they are now, the steps that brought older stores here, and
// the runner that applies them at start in one transaction (all or nothing). Versions live in `schema_versions`;
// a store from before versions existed is recognised by its tables.
//
// To change a part: edit its CURRENT tables below AND add a step { domain, to: next, what, up } that takes a store
// at the previous version there (ALTER TABLE ADD COLUMN, CREATE INDEX, a data copy). A fixture store written by
// the previous version goes in test/stores/fixtures/ (scripts/store-fixtures.ts), and test/stores/migrations.test.ts
// checks that every fixture migrates to exactly the tables a new store gets.

import type { DatabaseSync } from 'node:sqlite';
import {
  DOMAINS,
  plan,
  type AppliedStep,
  type Domain,
  type Migration,
  type SchemaReport,
  type Versions,
} from '../schema.ts';
import { inTransaction } from './database.ts';

/**
 * Which memories name which entity, kept by triggers on every write (add, update, copy), so "the memories about
 * Acme" is an index range instead of a scan of every memory's JSON (55 ms at 100k memories, on every remember()).
 */
const MEMORY_ENTITIES = `
CREATE TABLE memory_entities (entity TEXT NOT NULL, id INTEGER NOT NULL, PRIMARY KEY (entity, id)) WITHOUT ROWID;
CREATE TRIGGER memory_entities_added AFTER INSERT ON memories BEGIN
  INSERT OR IGNORE INTO memory_entities (entity, id) SELECT value, NEW.id FROM json_each(NEW.entities);
END;
CREATE TRIGGER memory_entities_changed AFTER UPDATE OF entities ON memories BEGIN
  DELETE FROM memory_entities WHERE id = OLD.id AND entity IN (SELECT value FROM json_each(OLD.entities));
  INSERT OR IGNORE INTO memory_entities (entity, id) SELECT value, NEW.id FROM json_each(NEW.entities);
END;
CREATE TRIGGER memory_entities_removed AFTER DELETE ON memories BEGIN
  DELETE FROM memory_entities WHERE id = OLD.id AND entity IN (SELECT value FROM json_each(OLD.entities));
END;`;

const CURRENT: Record<Domain, string> = {
  events: `
CREATE TABLE events (
  position   INTEGER PRIMARY KEY AUTOINCREMENT,
  stream     TEXT    NOT NULL,
  seq        INTEGER NOT NULL,
  type       TEXT    NOT NULL,
  v          INTEGER NOT NULL,
  at         INTEGER NOT NULL,
  data       TEXT    NOT NULL,
  dedupe_key TEXT    UNIQUE,
  UNIQUE (stream, seq)
);
CREATE INDEX events_at ON events (at);
CREATE INDEX events_type ON events (type, position);
CREATE INDEX events_type_at ON events (type, at);`,
  settings: `
CREATE TABLE identities (
  channel     TEXT NOT NULL,
  external_id TEXT NOT NULL,
  label       TEXT NOT NULL,
  linked_at   INTEGER NOT NULL,
  via         TEXT NOT NULL,
  PRIMARY KEY (channel, external_id)
);
CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);`,
  memories: `
CREATE TABLE memories (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  text         TEXT    NOT NULL,
  kind         TEXT    NOT NULL,
  entities     TEXT    NOT NULL,
  subject      TEXT,
  importance   REAL    NOT NULL,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  last_used_at INTEGER,
  source       TEXT    NOT NULL,
  forgotten_at INTEGER,
  replaced_by  INTEGER,
  replaces     INTEGER,
  digest_of    TEXT,
  digest_id    INTEGER
);
CREATE INDEX memories_live ON memories (forgotten_at, id);
CREATE VIRTUAL TABLE memories_fts USING fts5 (text, tokenize = 'unicode61 remove_diacritics 0');
CREATE TABLE memory_vectors (
  model  TEXT    NOT NULL,
  id     INTEGER NOT NULL,
  vector BLOB    NOT NULL,
  PRIMARY KEY (model, id)
);
${MEMORY_ENTITIES}`,
  runs: `
CREATE TABLE runs (
  id         TEXT PRIMARY KEY,
  status     TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  doc        TEXT NOT NULL
);
CREATE INDEX runs_status ON runs (status, created_at);
CREATE INDEX runs_created ON runs (created_at);
CREATE TABLE run_leases (
  run_id TEXT PRIMARY KEY,
  owner  TEXT NOT NULL,
  until  INTEGER NOT NULL
);
CREATE TABLE steps (
  run_id  TEXT NOT NULL,
  step_id TEXT NOT NULL,
  seq     INTEGER NOT NULL,
  doc     TEXT NOT NULL,
  PRIMARY KEY (run_id, step_id)
);
CREATE TABLE approvals (
  id         TEXT PRIMARY KEY,
  run_id     TEXT NOT NULL,
  step_id    TEXT NOT NULL,
  status     TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  doc        TEXT NOT NULL,
  UNIQUE (run_id, step_id)
);
CREATE INDEX approvals_status ON approvals (status, created_at);`,
  ledger: `
CREATE TABLE invoices (
  number          INTEGER PRIMARY KEY,
  idempotency_key TEXT NOT NULL UNIQUE,
  doc             TEXT NOT NULL
);
CREATE INDEX invoices_stripe ON invoices (json_extract(doc, '$.stripeInvoiceId'));`,
};

/** Every step since 0.1, oldest first within each part. Frozen: a released step is never edited. */
export const SQLITE_MIGRATIONS: readonly Migration<DatabaseSync>[] = [
  {
    // Reading one day's budget events (at every start) walked every budget event ever written: 0.5 s after a year.
    domain: 'events',
    to: 2,
    what: 'index by type and time',
    up: (db) => db.exec('CREATE INDEX events_type_at ON events (type, at)'),
  },
  {
    // 0.1 kept notes (text and where they came from); memories add kinds, entities, importance, corrections,
    // digests and vectors. Ids are kept, so "#12" still names the same thing.
    domain: 'memories',
    to: 2,
    what: 'notes became memories',
    up: (db) => {
      db.exec(`
CREATE TABLE IF NOT EXISTS memories (
  id INTEGER PRIMARY KEY AUTOINCREMENT, text TEXT NOT NULL, kind TEXT NOT NULL, entities TEXT NOT NULL, subject TEXT,
  importance REAL NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, last_used_at INTEGER,
  source TEXT NOT NULL, forgotten_at INTEGER, replaced_by INTEGER, replaces INTEGER, digest_of TEXT, digest_id INTEGER
);
CREATE INDEX IF NOT EXISTS memories_live ON memories (forgotten_at, id);
CREATE VIRTUAL TABLE IF NOT EXISTS memories_fts USING fts5 (text, tokenize = 'unicode61 remove_diacritics 0');
CREATE TABLE IF NOT EXISTS memory_vectors (model TEXT NOT NULL, id INTEGER NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (model, id));`);
      // A start cut short by an older version could leave memories next to notes: notes then get new ids, never lost.
      const keepIds = !db.prepare('SELECT 1 FROM memories LIMIT 1').get();
      db.exec(`
INSERT INTO memories (${keepIds ? 'id, ' : ''}text, kind, entities, importance, created_at, updated_at, source, forgotten_at)
  SELECT ${keepIds ? 'id, ' : ''}text, 'note', '[]', 0.5, created_at, created_at,
         json_patch(json_object('channel', source_channel), CASE WHEN source_position IS NULL THEN '{}' ELSE json_object('eventPosition', source_position) END),
         forgotten_at FROM notes ORDER BY id;
DELETE FROM memories_fts;
INSERT INTO memories_fts (rowid, text) SELECT id, text FROM memories;
DROP TABLE IF EXISTS notes_fts;
DROP TABLE notes;
DELETE FROM sqlite_sequence WHERE name = 'notes';`);
    },
  },
  {
    domain: 'memories',
    to: 3,
    what: 'index of the entities each memory names',
    up: (db) => {
      db.exec(MEMORY_ENTITIES);
      db.exec(
        'INSERT OR IGNORE INTO memory_entities (entity, id) SELECT e.value, m.id FROM memories m, json_each(m.entities) e',
      );
    },
  },
  {
    domain: 'runs',
    to: 2,
    what: 'run leases',
    up: (db) =>
      db.exec('CREATE TABLE run_leases (run_id TEXT PRIMARY KEY, owner TEXT NOT NULL, until INTEGER NOT NULL)'),
  },
  {
    // Stripe's webhooks name an invoice by its Stripe id (a field of the JSON doc, absent on older invoices).
    domain: 'ledger',
    to: 2,
    what: 'index by Stripe invoice id',
    up: (db) => db.exec("CREATE INDEX invoices_stripe ON invoices (json_extract(doc, '$.stripeInvoiceId'))"),
  },
];

const VERSIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_versions (domain TEXT PRIMARY KEY, version INTEGER NOT NULL, updated_at INTEGER NOT NULL)`;

const tableNames = (db: DatabaseSync): Set<string> =>
  new Set(
    (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name),
  );

/**
 * The versions a store from before `schema_versions` is at, read from its tables: 0.1 had events, identities,
 * settings and notes; the engine added runs, steps, approvals and invoices; memories replaced notes; run leases
 * came last. A part whose tables are missing is at 0.
 */
function legacyVersions(tables: ReadonlySet<string>): Versions {
  // (The events index by type and time came after versions were written down, so no store without them has it.)
  return {
    events: tables.has('events') ? 1 : 0,
    settings: tables.has('settings') ? 1 : 0,
    memories: tables.has('notes') ? 1 : tables.has('memories') ? 2 : 0,
    runs: tables.has('run_leases') ? 2 : tables.has('runs') ? 1 : 0,
    ledger: tables.has('invoices') ? 1 : 0,
  };
}

/** The versions the store is at (undefined: an empty file), and whether they are written down or read from tables. */
function storedVersions(db: DatabaseSync): { versions: Record<string, number> | undefined; recorded: boolean } {
  const tables = tableNames(db);
  if (!tables.has('schema_versions'))
    return { versions: tables.size === 0 ? undefined : legacyVersions(tables), recorded: false };
  const rows = db.prepare('SELECT domain, version FROM schema_versions').all() as { domain: string; version: number }[];
  return { versions: Object.fromEntries(rows.map((r) => [r.domain, r.version])), recorded: true };
}

const create = (domain: Domain, version: number): Migration<DatabaseSync> => ({
  domain,
  to: version,
  what: 'created',
  up: (db) => db.exec(CURRENT[domain]),
});
const all = (found: Record<string, number> | undefined): Versions =>
  Object.fromEntries(DOMAINS.map((d) => [d, found?.[d] ?? 0])) as Versions;

/**
 * Brings the store to the current schema in one IMMEDIATE transaction: every step and the new versions commit
 * together or not at all, and a second process starting at the same moment waits, then finds nothing to do.
 */
export function migrateSqlite(
  db: DatabaseSync,
  where: string,
  migrations: readonly Migration<DatabaseSync>[] = SQLITE_MIGRATIONS,
): SchemaReport {
  // A quick look first, outside any write lock: the usual start finds everything current and writes nothing.
  const peek = storedVersions(db);
  if (peek.recorded && plan(peek.versions ?? {}, migrations, create, where).length === 0) {
    return { created: false, applied: [], found: all(peek.versions), versions: all(peek.versions) };
  }
  return inTransaction(db, () => {
    const { versions: found } = storedVersions(db);
    const steps = plan(found ?? {}, migrations, create, where);
    const versions = all(found);
    const applied: AppliedStep[] = [];
    db.exec(VERSIONS_TABLE);
    for (const step of steps) {
      const from = versions[step.domain];
      step.up(db);
      versions[step.domain] = step.to;
      applied.push({ domain: step.domain, from, to: step.to, what: step.what });
    }
    // Every part's version, also of parts that needed no step (a store from before versions were written down).
    const write = db.prepare(
      'INSERT INTO schema_versions (domain, version, updated_at) VALUES (?, ?, ?) ON CONFLICT (domain) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at WHERE version <> excluded.version',
    );
    const now = Date.now();
    for (const domain of DOMAINS) write.run(domain, versions[domain], now);
    return { created: DOMAINS.every((d) => (found?.[d] ?? 0) === 0), applied, found: all(found), versions };
  });
}

/** The versions recorded in a store file (for backups and restores), without changing anything. */
export function readVersions(db: DatabaseSync): Record<string, number> {
  return storedVersions(db).versions ?? {};
}
