// Idle WAL checkpoints (src/stores/sqlite/checkpointer.ts), on real SQLite files: once writing pauses, committed
// pages are copied into the database file without waiting for the automatic checkpoint; not while writes keep
// coming; everything written is there after a reopen; and without the idle checkpointer the same pages stay in the
// WAL (so the comparison means something).

import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { newEvent, type NewEvent } from '../../src/domain/events.ts';
import { IdleCheckpointer } from '../../adapters/stores/sqlite/checkpointer.ts';
import { SqliteStore } from '../../adapters/stores/sqlite/index.ts';
import { tempDir } from '../support/app.ts';

/** Resolves once `check` holds; fails with `what` after 10 s (a hang made readable, not a timing assumption). */
async function eventually(what: string, check: () => boolean): Promise<void> {
  const until = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > until) assert.fail(`${what} did not happen within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** About 300 pages for 1000 events: far below the 1000 pages at which SQLite would checkpoint by itself. */
const batch = (from: number): NewEvent[] =>
  Array.from({ length: 1000 }, (_, i) =>
    newEvent('message.received', 'cp', {
      channel: 'web',
      chatId: 'c',
      senderId: 's',
      text: `${from + i} ${'x'.repeat(1000)}`,
    }),
  );

test('once writing pauses, the WAL is checkpointed into the database file; every event is there after a reopen', async () => {
  const dir = tempDir();
  const store = new SqliteStore(dir);
  await store.init();
  const file = store.location;
  const before = statSync(file).size;
  await store.events.appendMany(batch(0));
  assert.ok(statSync(`${file}-wal`).size > 1000 * 1000, 'the events went to the WAL first');
  await eventually(
    'the database file growing by the checkpointed pages',
    () => statSync(file).size > before + 1000 * 1000,
  );
  assert.ok(store.idleCheckpoints >= 1);
  await store.close();

  const reopened = new SqliteStore(dir, { idleCheckpoints: false });
  await reopened.init();
  const events = await reopened.events.readStream('cp');
  assert.equal(events.length, 1000);
  assert.equal((events.at(-1)?.data as { text?: string } | undefined)?.text?.split(' ')[0], '999');
  await reopened.close();
});

test('no idle checkpoint while writes keep coming', async () => {
  const store = new SqliteStore(tempDir());
  await store.init();
  await eventually('the schema written at start being checkpointed', () => store.idleCheckpoints >= 1);
  const settled = store.idleCheckpoints;
  // A small write every 20 ms for a second: never a whole 100 ms interval without one.
  for (let i = 0; i < 50; i++) {
    await store.events.append(
      newEvent('message.received', 'busy', { channel: 'web', chatId: 'c', senderId: 's', text: String(i) }),
    );
    await sleep(20);
  }
  assert.equal(store.idleCheckpoints, settled);
  await eventually('the checkpoint once the writes stopped', () => store.idleCheckpoints === settled + 1);
  await store.close();
});

test('without idle checkpoints, the same writes stay in the WAL', async () => {
  const store = new SqliteStore(tempDir(), { idleCheckpoints: false });
  await store.init();
  const before = statSync(store.location).size;
  await store.events.appendMany(batch(0));
  await sleep(1000);
  assert.equal(statSync(store.location).size, before, 'nothing copied the pages back');
  assert.equal(store.idleCheckpoints, 0);
  await store.close();
});

test('a checkpoint that fails is reported once, and tried again only after the next writes', async () => {
  const file = join(tempDir(), 'x.db');
  // The WAL is written by a live connection that never checkpoints; the checkpointer is given a closed one, so
  // every checkpoint it tries throws.
  const live = new DatabaseSync(file);
  live.exec(
    'PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; CREATE TABLE t (v TEXT); INSERT INTO t VALUES (1)',
  );
  const closed = new DatabaseSync(':memory:');
  closed.close();
  const errors: Error[] = [];
  const checkpointer = new IdleCheckpointer(closed, file, (err) => errors.push(err), 10);
  await eventually('the first failure', () => errors.length >= 1);
  await sleep(200);
  assert.equal(errors.length, 1, 'not repeated every tick while nothing is written');
  live.exec('INSERT INTO t VALUES (2)');
  await eventually('the second failure, after the next writes', () => errors.length === 2);
  checkpointer.stop();
  live.close();
  assert.equal(checkpointer.checkpoints, 0);
  assert.match(errors[0]?.message ?? '', /not open/);
});
