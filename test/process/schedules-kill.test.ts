// Acceptance, in real time with the real process (bin/solo.js): a digest scheduled ahead arrives once when the
// process is killed with kill -9 and restarted before it is due, also when killed just before its due time (the
// dead process may hold the job locked ahead); after the fires, SIGTERM stops it cleanly. How late each fire was
// is printed (a speed figure, measured properly in bench/schedules.ts), never asserted.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { api, say, tempDir } from '../support/app.ts';
import { killHard, startProcess, stopWith, type Started } from '../support/process.ts';
import { delay, until } from '../scheduler/helpers.ts';

/** Quiet hours off (an empty policies folder), no built-in digest, and a digest that is sent even when empty. */
const env = (DATA_DIR: string) => ({
  DATA_DIR,
  POLICIES_DIR: tempDir('solo-policies-'),
  DIGEST_TIME: 'off',
  DIGEST_WHEN_EMPTY: 'send',
  TIMEZONE: 'Europe/Berlin',
});

interface Fired {
  scheduleId: string;
  due: string;
  firedAt: string;
  latenessMs: number;
  runId: string;
}

/** What the store says: the fires of a schedule, and when each message with this start was recorded. */
function read(DATA_DIR: string, scheduleId: string, prefix: string): { fired: Fired[]; sentAt: number[] } {
  const db = new DatabaseSync(join(DATA_DIR, 'solo.db'), { readOnly: true });
  try {
    const fired = (
      db
        .prepare(`SELECT data FROM events WHERE type = 'schedule.fired' AND stream = ?`)
        .all(`schedule:${scheduleId}`) as { data: string }[]
    ).map((r) => JSON.parse(r.data) as Fired);
    const sent = (
      db.prepare(`SELECT at, data FROM events WHERE type = 'message.sent'`).all() as { at: number; data: string }[]
    )
      .filter((r) => (JSON.parse(r.data) as { text: string }).text.startsWith(prefix))
      .map((r) => r.at);
    return { fired, sentAt: sent };
  } finally {
    db.close();
  }
}

const messages = async (proc: Started, prefix: string): Promise<number> =>
  ((await api(proc.url, 'GET', '/api/messages?tail=200')).body.messages ?? []).filter((m) => m.text.startsWith(prefix))
    .length;

async function schedule(proc: Started, text: string): Promise<string> {
  const [reply] = await say(proc.url, text);
  const id = /^(?:Scheduled|Reminder) (s\w+):/.exec(reply?.text ?? '')?.[1];
  assert.ok(id, `scheduled: ${reply?.text}`);
  return id;
}

test('a digest scheduled 20 s ahead arrives once after kill -9 and a restart before it is due; SIGTERM then stops cleanly', async (t) => {
  const DATA_DIR = tempDir();
  let proc = await startProcess(env(DATA_DIR));
  try {
    const id = await schedule(proc, '/schedule digest in 20 seconds');
    await delay(3000);
    await killHard(proc.child);
    proc = await startProcess(env(DATA_DIR));
    await until(async () => (await messages(proc, 'Daily digest')) >= 1, 'the digest to arrive', 40_000);
    await delay(3000);
    assert.equal(await messages(proc, 'Daily digest'), 1, 'once');
    const { fired, sentAt } = read(DATA_DIR, id, 'Daily digest');
    assert.equal(fired.length, 1);
    assert.equal(sentAt.length, 1);
    const due = new Date(fired[0]!.due).getTime();
    assert.ok(sentAt[0]! >= due, 'not before it was due');
    t.diagnostic(
      `fired ${fired[0]!.latenessMs} ms after due; the message was recorded ${sentAt[0]! - due} ms after due`,
    );

    const stopped = await stopWith(proc.child, 'SIGTERM');
    assert.equal(stopped.code, 0, `a clean stop (the last-resort exit is code 1):\n${proc.output().slice(-2000)}`);
    assert.match(proc.output(), /Solo OS stopped/);
    t.diagnostic(`SIGTERM to exit: ${stopped.ms} ms`);
  } finally {
    if (proc.child.exitCode === null) await killHard(proc.child);
  }
});

test('killed a moment before its due time (the job may be locked ahead by the dead process): it still fires once', async (t) => {
  const DATA_DIR = tempDir();
  let proc = await startProcess(env(DATA_DIR));
  try {
    const asked = Date.now();
    const id = await schedule(proc, '/remind in 8 seconds water the plants');
    // "in 8 seconds" is read after `asked`, so the reminder is due a little after asked + 8 s.
    const due = asked + 8000;
    // Inside the last poll interval before the due time: the process has locked the job and set its timer.
    await delay(Math.max(0, due - Date.now() - 300));
    await killHard(proc.child);
    proc = await startProcess(env(DATA_DIR));
    await until(
      async () => (await messages(proc, 'Reminder: water the plants')) >= 1,
      'the reminder after the restart',
      40_000,
    );
    await delay(2000);
    assert.equal(await messages(proc, 'Reminder: water the plants'), 1);
    const { fired } = read(DATA_DIR, id, 'Reminder: water the plants');
    assert.equal(fired.length, 1);
    t.diagnostic(`fired ${fired[0]!.latenessMs} ms after due (the restart itself takes about a second)`);
  } finally {
    await killHard(proc.child);
  }
});
