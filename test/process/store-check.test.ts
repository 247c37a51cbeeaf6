// The start-up store check, as a user meets it: bin/solo.js on a store file with a damaged page, or on a file that is
// not a SQLite database at all, stops with one sentence naming the file and what to do, and a non-zero exit.

import assert from 'node:assert/strict';
import { openSync, writeSync, closeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { say, tempDir } from '../support/app.ts';
import { BIN, runToExit, startProcess } from '../support/process.ts';
import { SQLITE_FILE, SqliteStore } from '../../adapters/stores/sqlite/index.ts';
import { checkDatabase } from '../../adapters/stores/sqlite/database.ts';
import { checkInBackground } from '../../adapters/stores/sqlite/check.ts';

const ADVICE =
  'restore it from a backup or move it away (with its -wal and -shm files) to start with an empty store, then start again.';

/** A real store with enough memories that their table spans several pages. */
async function filledStore(): Promise<{ dir: string; file: string }> {
  const dir = tempDir();
  const store = new SqliteStore(dir, { idleCheckpoints: false });
  await store.init();
  for (let i = 0; i < 300; i++)
    await store.memories.add({
      text: `Client ${i} pays net ${i % 60} days and prefers email.`,
      kind: 'fact',
      source: { channel: 'web' },
    });
  await store.close(); // the last connection to close checkpoints the WAL into the file
  return { dir, file: join(dir, SQLITE_FILE) };
}

/** Overwrites one whole page of the file with garbage, as a failing disk or a half-copied backup would. */
function damagePage(file: string, table: string): number {
  const db = new DatabaseSync(file, { readOnly: true });
  const { page_size: pageSize } = db.prepare('PRAGMA page_size').get() as { page_size: number };
  const { rootpage } = db.prepare('SELECT rootpage FROM sqlite_master WHERE name = ?').get(table) as {
    rootpage: number;
  };
  db.close();
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, (rootpage - 1) * pageSize);
  closeSync(fd);
  return rootpage;
}

test('a store with a damaged page stops the start: one sentence naming the file and what to do, exit 1', async () => {
  const { dir, file } = await filledStore();
  // Before: the same store starts and answers (the check passes a healthy file).
  const healthy = await startProcess({ DATA_DIR: dir });
  assert.match((await say(healthy.url, '/recall net 30'))[0]?.text ?? '', /Client 30 pays net 30/);
  // A clean stop checkpoints the WAL, so the damaged page below is the one SQLite reads (a WAL copy would mask it).
  const stopped = new Promise((resolve) => healthy.child.once('exit', resolve));
  healthy.child.kill('SIGTERM');
  await stopped;
  damagePage(file, 'memories');
  const result = await runToExit([BIN], { DATA_DIR: dir, PORT: '0', EMBEDDING_MODEL: 'off' });
  assert.equal(result.code, 1);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  assert.match(
    lines[0] ?? '',
    new RegExp(
      `^The store ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is damaged \\(SQLite's quick check: .+\\); ${ADVICE.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`,
    ),
  );
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  assert.doesNotMatch(result.stdout, /Solo OS ready/);
});

test('a file that is not a SQLite database gets one sentence too', async () => {
  const dir = tempDir();
  const file = join(dir, SQLITE_FILE);
  writeFileSync(
    file,
    Buffer.from('PK\u0003\u0004 this is a zip file someone saved over the store, not SQLite '.repeat(200)),
  );
  const result = await runToExit([BIN], { DATA_DIR: dir, PORT: '0', EMBEDDING_MODEL: 'off' });
  assert.equal(result.code, 1);
  assert.equal(result.stderr.trim(), `${file} is not a SQLite database; ${ADVICE}`);
});

test('a large store is checked where the bot reads first before start, and whole in another process after it', async () => {
  const { file } = await filledStore();
  assert.equal(await checkInBackground(file).result, undefined, 'a sound store has nothing to report');
  damagePage(file, 'events');
  // The check before start skips the tables that grow with history (events among them) ...
  const db = new DatabaseSync(file);
  assert.doesNotThrow(() => checkDatabase(db, file, 'start'));
  assert.throws(() => checkDatabase(db, file, 'full'), /is damaged/);
  db.close();
  // ... and the check after start finds the damage there, in a phrase for the operator's notice.
  assert.match((await checkInBackground(file).result) ?? '', /\S/);
});
