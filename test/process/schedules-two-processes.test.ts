// Acceptance, in real time: two real Solo OS processes on one SQLite file, each running the scheduler. Reminders
// made through either process, and a reminder every 3 seconds, fire once per due time: one run, one fire event and
// one message each, whichever process took it.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { api, say, tempDir } from '../support/app.ts';
import { killHard, startProcess, waitForLog, type Started } from '../support/process.ts';
import { delay, until } from '../scheduler/helpers.ts';

test('two processes on one SQLite file fire each due time once', async (t) => {
  const DATA_DIR = tempDir();
  const env = { DATA_DIR, POLICIES_DIR: tempDir('solo-policies-'), DIGEST_TIME: 'off', TIMEZONE: 'UTC' };
  const procs: Started[] = [];
  try {
    procs.push(await startProcess(env), await startProcess(env));
    await Promise.all(procs.map((p) => waitForLog(p, (l) => l.msg === 'the scheduler is running')));
    const [a, b] = procs as [Started, Started];
    const texts: string[] = [];
    for (let i = 1; i <= 6; i++) {
      const via = i % 2 ? a : b;
      const text = `ping ${i} via ${via === a ? 'A' : 'B'}`;
      texts.push(text);
      const [reply] = await say(via.url, `/remind in ${4 + i} seconds ${text}`);
      assert.match(reply?.text ?? '', /^Reminder s\w+:/);
    }
    const [tick] = await say(a.url, '/remind */3 * * * * * tick');
    const tickId = /^Reminder (s\w+):/.exec(tick?.text ?? '')?.[1] ?? assert.fail(tick?.text);
    const transcript = async () =>
      ((await api(a.url, 'GET', '/api/messages?tail=500')).body.messages ?? []).map((m) => m.text);
    await until(
      async () => {
        const all = await transcript();
        return texts.every((text) => all.includes(`Reminder: ${text}`));
      },
      'every reminder to arrive',
      40_000,
    );
    await say(a.url, `/unschedule ${tickId}`);
    await delay(1500);

    const all = await transcript();
    for (const text of texts) assert.equal(all.filter((x) => x === `Reminder: ${text}`).length, 1, text);
    const db = new DatabaseSync(join(DATA_DIR, 'solo.db'), { readOnly: true });
    try {
      const fired = (
        db.prepare(`SELECT data FROM events WHERE type = 'schedule.fired'`).all() as { data: string }[]
      ).map(
        (r) =>
          JSON.parse(r.data) as { scheduleId: string; due: string; runId: string; latenessMs: number; pid: number },
      );
      const ticks = fired.filter((f) => f.scheduleId === tickId);
      assert.ok(ticks.length >= 2, `the every-3-s reminder fired ${ticks.length} times`);
      assert.equal(new Set(ticks.map((f) => f.due)).size, ticks.length, 'each due time once');
      assert.equal(all.filter((x) => x === 'Reminder: tick').length, ticks.length, 'one message per fire');
      assert.equal(fired.length, texts.length + ticks.length);
      assert.equal(new Set(fired.map((f) => f.runId)).size, fired.length, 'one run per fire');
      const runs = db
        .prepare(`SELECT count(*) AS n FROM runs WHERE json_extract(doc, '$.workflow') = 'reminder'`)
        .get() as { n: number };
      assert.equal(runs.n, fired.length);
      const late = fired.map((f) => f.latenessMs).sort((x, y) => x - y);
      const byProcess = procs
        .map((p, i) => `${'AB'[i]} ${fired.filter((f) => f.pid === p.child.pid).length}`)
        .join(', ');
      t.diagnostic(
        `${fired.length} fires (by process: ${byProcess}); lateness median ${late[Math.floor(late.length / 2)]} ms, max ${late.at(-1)} ms`,
      );
    } finally {
      db.close();
    }
  } finally {
    await Promise.all(procs.map((p) => killHard(p.child)));
  }
});
