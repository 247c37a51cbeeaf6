// Opens the embedded SQLite file (Node's built-in node:sqlite); the schema is schema.ts's job.
// WAL + synchronous=NORMAL: a committed transaction survives the process being killed (kill -9); only an OS crash
// or power loss can drop the last transactions, and SQLITE_SYNCHRONOUS=full closes that gap at some write cost.

import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { StoreError } from '../../../src/domain/errors.ts';
import { AUTO_CHECKPOINT_PAGES } from './checkpointer.ts';

export type Synchronous = 'normal' | 'full';

// wal_autocheckpoint stays at SQLite's default (1000 pages) while the main connection checkpoints itself: a larger
// value appended 10000 events ~25% faster one by one, but each automatic checkpoint then blocked the event loop for
// 120-140 ms. The store also checkpoints whenever writing pauses (checkpointer.ts). journal_size_limit trims the
// WAL file after a checkpoint let it restart, so a burst of writes does not leave it large.
/** Up to this size the whole file is checked before start (~0.2 s); a larger one is checked whole after start. */
const CHECK_WHOLE_BYTES = 64 * 1024 * 1024;

export function openDatabase(
  file: string,
  synchronous: Synchronous = 'normal',
): { db: DatabaseSync; checkedWhole: boolean } {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const checkedWhole =
    file === ':memory:' || (statSync(file, { throwIfNoEntry: false })?.size ?? 0) <= CHECK_WHOLE_BYTES;
  const db = new DatabaseSync(file);
  try {
    checkDatabase(db, file, checkedWhole ? 'full' : 'start');
  } catch (err) {
    db.close();
    throw err;
  }
  db.exec(
    `PRAGMA journal_mode = WAL; PRAGMA synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}; PRAGMA busy_timeout = 5000; PRAGMA wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}; PRAGMA journal_size_limit = 67108864; PRAGMA cache_size = -32000; PRAGMA temp_store = MEMORY;`,
  );
  return { db, checkedWhole };
}

/**
 * A read-only connection for reads that walk a whole table (the recall index's rebuild at start, exports): with
 * its own 2 MB cache they neither fill the main connection's 32 MB cache with pages no query wants back nor leave
 * that memory in use. At 100k memories and vectors that kept ~23 MB off the idle RSS after start.
 */
export function openScanner(file: string): DatabaseSync {
  const db = new DatabaseSync(file, { readOnly: true });
  db.exec('PRAGMA busy_timeout = 5000; PRAGMA cache_size = -2000;');
  return db;
}

const SQLITE_CORRUPT = 11;
const SQLITE_NOTADB = 26;
const MOVE_AWAY = 'or move it away (with its -wal and -shm files) to start with an empty store, then start again';

/**
 * The tables that grow with history: checked after start-up, in another process (check.ts), not before it. After a
 * year (1M events, 100k memories) they are 95% of the file, and checking them took 1.2 s of the start on an idle
 * machine (6 s on a busy one); the memories table alone 160 ms. What is left takes ~100 ms.
 */
const LARGE = /^(events|memories|memory_entities|memory_vectors|memories_fts.*|agenda_logs)$/;

/**
 * SQLite's quick check (every page and index entry is well-formed; it skips the slower index-content comparison of
 * integrity_check), so a damaged store stops with one sentence instead of starting as healthy and failing every
 * later call. `start`: before anything else touches the file, the file's header and schema and every table except
 * the LARGE ones (runs, steps, approvals, invoices, settings: what the bot reads first); `full`: every page (a
 * backup, the check after start). A 100 MB store took 0.3 s for a full check with the file in the page cache and
 * 4.3 s when it had to be read from this machine's busy disk (bench/store-check.ts).
 */
export function checkDatabase(db: DatabaseSync, file: string, scope: 'start' | 'full' = 'full'): void {
  let problems: string[];
  try {
    if (scope === 'full') {
      problems = (db.prepare('PRAGMA quick_check(3)').all() as { quick_check: string }[]).map((r) => r.quick_check);
    } else {
      const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[])
        .map((t) => t.name)
        .filter((t) => !LARGE.test(t));
      problems = ['ok'];
      for (const table of tables) {
        const found = (
          db.prepare(`PRAGMA quick_check("${table.replaceAll('"', '""')}")`).all() as { quick_check: string }[]
        ).map((r) => r.quick_check);
        if (found.length !== 1 || found[0] !== 'ok') {
          problems = found;
          break;
        }
      }
    }
  } catch (err) {
    const code = (err as { errcode?: number }).errcode;
    if (code === SQLITE_NOTADB)
      throw new StoreError(
        'store_not_sqlite',
        `${file} is not a SQLite database; restore it from a backup ${MOVE_AWAY}.`,
        { cause: err },
      );
    if (code === SQLITE_CORRUPT)
      throw new StoreError(
        'store_damaged',
        `The store ${file} is damaged (SQLite's quick check: ${(err as Error).message}); restore it from a backup ${MOVE_AWAY}.`,
        { cause: err },
      );
    throw err;
  }
  if (problems.length === 1 && problems[0] === 'ok') return;
  const first = (problems[0] ?? 'no answer').replace(/\s+/g, ' ').slice(0, 200);
  throw new StoreError(
    'store_damaged',
    `The store ${file} is damaged (SQLite's quick check: ${first}); restore it from a backup ${MOVE_AWAY}.`,
  );
}

/** Runs `fn` in one IMMEDIATE transaction. node:sqlite is synchronous, so nothing else interleaves. */
export function inTransaction<T>(db: DatabaseSync, fn: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = fn();
    db.exec('COMMIT');
    return result;
  } catch (err) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw err;
  }
}

const statementCache = new WeakMap<DatabaseSync, Map<string, StatementSync>>();

/** A prepared statement for this SQL, prepared once per database (preparing costs more than running). */
export function statement(db: DatabaseSync, sql: string): StatementSync {
  let cache = statementCache.get(db);
  if (!cache) statementCache.set(db, (cache = new Map<string, StatementSync>()));
  let prepared = cache.get(sql);
  if (!prepared) cache.set(sql, (prepared = db.prepare(sql)));
  return prepared;
}
