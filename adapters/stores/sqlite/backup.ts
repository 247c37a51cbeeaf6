// Backup and restore of the embedded store. A backup is SQLite's online backup API (node:sqlite `backup()`) on a
// connection of its own: while the bot keeps writing through its connection, the copy is taken in one step under
// one read snapshot (WAL lets the writer go on meanwhile), so it holds exactly the transactions committed before
// it began. Smaller steps would restart at every write the bot makes, and might never finish under load.
// A restore checks the backup, keeps the store it replaces, and puts the copy in place; the next start migrates it.

import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { backup, DatabaseSync } from 'node:sqlite';
import { StoreError } from '../../../src/domain/errors.ts';
import { plan } from '../schema.ts';
import { checkDatabase } from './database.ts';
import { readVersions, SQLITE_MIGRATIONS } from './schema.ts';

/** What a backup file holds, read without changing it. */
export interface SqliteBackupInfo {
  file: string;
  bytes: number;
  versions: Record<string, number>;
  counts: { events: number; memories: number; runs: number; invoices: number };
}

/** All pages in one step (the limit is a 32-bit page count). */
const ALL_PAGES = 2 ** 31 - 1;

/** Copies the store at `file` (open or not, by this process or another) to `to`, which must not exist. */
export async function backupSqlite(file: string, to: string): Promise<SqliteBackupInfo> {
  if (!existsSync(file)) throw new StoreError('no_store', `There is no store at ${file} to back up; check DATA_DIR.`);
  if (existsSync(to)) throw new StoreError('backup_exists', `${to} already exists; name another file for the backup.`);
  mkdirSync(dirname(to), { recursive: true });
  // A backup cut short must never look like a finished one: it is written under another name and renamed at the end.
  const partial = `${to}.partial`;
  const source = new DatabaseSync(file);
  try {
    source.exec('PRAGMA busy_timeout = 5000');
    await backup(source, partial, { rate: ALL_PAGES });
  } catch (err) {
    rmSync(partial, { force: true });
    throw new StoreError('backup_failed', `The backup of ${file} failed: ${(err as Error).message}.`, { cause: err });
  } finally {
    source.close();
  }
  // One self-contained file (no -wal beside it), checked before it counts as a backup.
  const copy = new DatabaseSync(partial);
  copy.exec('PRAGMA journal_mode = DELETE');
  copy.close();
  const info = inspectSqliteBackup(partial);
  renameSync(partial, to);
  return { ...info, file: to };
}

/** Checks a backup file (SQLite's quick check, a version this code can open) and counts what it holds. */
export function inspectSqliteBackup(file: string): SqliteBackupInfo {
  if (!existsSync(file)) throw new StoreError('no_backup', `There is no backup at ${file}.`);
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(file, { readOnly: true });
  } catch (err) {
    throw new StoreError('backup_unreadable', `${file} cannot be opened as a backup (${(err as Error).message}).`, {
      cause: err,
    });
  }
  try {
    try {
      checkDatabase(db, file);
    } catch (err) {
      throw new StoreError(
        'backup_damaged',
        `${file} is not a usable backup: ${err instanceof StoreError ? err.userMessage.replace(/;.*$/, '') : (err as Error).message}.`,
        { cause: err },
      );
    }
    const versions = readVersions(db);
    // A backup from a newer Solo OS is refused now, not at the next start.
    plan(versions, SQLITE_MIGRATIONS, (domain, to) => ({ domain, to, what: '', up: () => undefined }), file);
    const count = (sql: string): number => {
      try {
        return (db.prepare(sql).get() as { n: number }).n;
      } catch {
        return 0;
      }
    };
    return {
      file,
      bytes: statSync(file).size,
      versions,
      counts: {
        events: count('SELECT COUNT(*) AS n FROM events'),
        memories:
          count('SELECT COUNT(*) AS n FROM memories WHERE forgotten_at IS NULL') ||
          count('SELECT COUNT(*) AS n FROM notes WHERE forgotten_at IS NULL'),
        runs: count('SELECT COUNT(*) AS n FROM runs'),
        invoices: count('SELECT COUNT(*) AS n FROM invoices'),
      },
    };
  } finally {
    db.close();
  }
}

/**
 * Puts the backup in place as `<dataDir>/solo.db`. The store there before (with its -wal and -shm files, which may
 * hold its last transactions) is moved into `keepDir`, never deleted. The caller makes sure no process has it open.
 */
export function restoreSqlite(
  backupFile: string,
  target: string,
  keepDir: string,
): { info: SqliteBackupInfo; kept?: string } {
  const info = inspectSqliteBackup(backupFile);
  mkdirSync(dirname(target), { recursive: true });
  const incoming = `${target}.restoring`;
  copyFileSync(backupFile, incoming);
  let kept: string | undefined;
  if (existsSync(target)) {
    mkdirSync(keepDir, { recursive: true });
    for (const suffix of ['', '-wal', '-shm']) {
      if (existsSync(target + suffix)) renameSync(target + suffix, join(keepDir, basename(target) + suffix));
    }
    kept = join(keepDir, basename(target));
  }
  renameSync(incoming, target);
  return { info, ...(kept ? { kept } : {}) };
}
