// Schedules from chat, through the web API of the whole app on a temp store: /schedule, /remind, /schedules with its
// Pause/Resume buttons, /unschedule, /status, bad input answered in one sentence, a reminder arriving once, a
// redelivered command making one schedule, and what survives a restart (paused stays paused, a removed built-in
// schedule stays removed, a new DIGEST_TIME moves the digest without un-pausing it).

import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { z } from 'zod';
import { defineWorkflow } from '../../src/engine/workflow.ts';
import type { SoloApp } from '../../src/main.ts';
import { followUp, type FollowUps } from '../../src/scheduling/follow-ups.ts';
import { api, say, startTestApp, tempDir, type ApiMessage } from '../support/app.ts';
import { until } from '../scheduler/helpers.ts';

const ZONE = 'Europe/Berlin';
const apps: SoloApp[] = [];
after(async () => {
  for (const app of apps) await app.stop();
});

async function start(env: Record<string, string> = {}): Promise<SoloApp> {
  const app = await startTestApp({ TIMEZONE: ZONE, ...env });
  apps.push(app);
  await app.scheduling.ready();
  return app;
}

async function stop(app: SoloApp): Promise<void> {
  await app.stop();
  apps.splice(apps.indexOf(app), 1);
}

const one = async (app: SoloApp, text: string, id?: string): Promise<ApiMessage> => {
  const replies = await say(app.url, text, id);
  assert.equal(replies.length, 1, `one reply to ${text}: ${JSON.stringify(replies)}`);
  return replies[0]!;
};
const tap = async (app: SoloApp, message: ApiMessage, label: string): Promise<ApiMessage> => {
  const button = message.buttons.find((b) => b.label === label);
  assert.ok(button, `a ${label} button on: ${message.text}`);
  const res = await api(app.url, 'POST', `/api/buttons/${encodeURIComponent(button.id)}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.messages![0]!;
};
const transcript = async (app: SoloApp): Promise<string[]> =>
  ((await api(app.url, 'GET', '/api/messages?tail=200')).body.messages ?? []).map((m) => m.text);
const idOf = (m: ApiMessage): string =>
  /^(?:Scheduled|Reminder) (s\w+):/.exec(m.text)?.[1] ?? assert.fail(`no schedule id in: ${m.text}`);

describe('schedules from chat', () => {
  test('/schedule: the phrase read in TIMEZONE, the next run, Pause and Resume buttons that work, /schedules, /unschedule', async () => {
    const app = await start();
    const made = await one(app, '/schedule digest every weekday at 8:00');
    assert.match(
      made.text,
      /^Scheduled s\w+: digest, every weekday at 8:00 · next (Mon|Tue|Wed|Thu|Fri) \d+ \w+ 08:00 \(Europe\/Berlin\)\. If missed while Solo OS is not running: run once\.$/,
    );
    assert.deepEqual(
      made.buttons.map((b) => b.label),
      ['Pause', 'Remove'],
    );
    const id = idOf(made);

    const paused = await tap(app, made, 'Pause');
    assert.equal(paused.text, `Paused ${id} (digest). Its due times are not run while it is paused.`);
    const list = await one(app, '/schedules');
    assert.match(
      list.text,
      new RegExp(`^${id} digest: every weekday at 8:00 · paused · not run yet · if missed: run once$`, 'm'),
    );
    assert.match(list.text, /^3 schedules \(1 paused\), times in Europe\/Berlin:/);
    assert.match(
      list.text,
      /^digest Daily digest: every day at 08:00 · next .* 08:00 · not run yet · if missed: run once$/m,
      'the built-in digest',
    );
    assert.match(
      list.text,
      /^compaction Memory compaction: every Sunday at 03:00 · next Sun .* 03:00 · not run yet · if missed: run once$/m,
    );
    const resumed = await tap(app, list, `Resume ${id}`);
    assert.match(resumed.text, new RegExp(`^Resumed ${id} \\(digest\\): every weekday at 8:00 · next .* 08:00\\.$`));
    assert.equal((await tap(app, resumed, 'Pause')).text.startsWith(`Paused ${id}`), true);

    assert.equal((await one(app, `/unschedule ${id}`)).text, `Removed ${id} (digest, every weekday at 8:00).`);
    assert.equal((await one(app, `/unschedule ${id}`)).text, `There is no schedule ${id}; /schedules lists them.`);
    const events = await app.store.events.readStream(`schedule:${id}`);
    assert.deepEqual(
      events.map((e) => e.type),
      ['schedule.created', 'schedule.paused', 'schedule.resumed', 'schedule.paused', 'schedule.removed'],
    );
  });

  test('/remind: the reminder is said once, in the chat, at its time, and leaves /schedules', async () => {
    const app = await start();
    const set = await one(app, '/remind in 2 seconds call Bob about the offer');
    assert.match(
      set.text,
      /^Reminder s\w+: call Bob about the offer, once, \w{3} \d+ \w+ \d\d:\d\d \(Europe\/Berlin\)\.$/,
    );
    const id = idOf(set);
    await until(
      async () => (await transcript(app)).includes('Reminder: call Bob about the offer'),
      'the reminder to arrive',
    );
    await until(
      async () => (await app.scheduling.ready()).schedules.get(id).then((s) => s === undefined),
      'the one-off to be removed',
    );
    assert.equal((await transcript(app)).filter((t) => t === 'Reminder: call Bob about the offer').length, 1);
    const [fired] = (await app.store.events.readStream(`schedule:${id}`)).filter((e) => e.type === 'schedule.fired');
    assert.ok(fired?.type === 'schedule.fired' && fired.data.workflow === 'reminder' && !fired.data.catchUp);
    assert.equal((await app.store.runs.get(fired.data.runId))?.status, 'completed');
    assert.doesNotMatch((await one(app, '/schedules')).text, new RegExp(id));
  });

  test('a redelivered /remind (same update id) makes one schedule', async () => {
    const app = await start();
    const first = await one(app, '/remind tomorrow at 9 send the report', 'update-77');
    const again = await say(app.url, '/remind tomorrow at 9 send the report', 'update-77');
    assert.equal(again.length, 0, 'the duplicate update is dropped before the command');
    const { schedules } = await app.scheduling.ready();
    assert.equal((await schedules.list()).filter((s) => s.schedule.workflow === 'reminder').length, 1);
    assert.match(first.text, /^Reminder s\w+: send the report, once, \w{3} \d+ \w+ 09:00 \(Europe\/Berlin\)\.$/);
  });

  test('what cannot be done is one sentence, never an error page', async () => {
    const app = await start();
    const answers: Record<string, RegExp> = {
      '/schedule digest whenever': /^I could not read a time in "whenever"\. Try "in 3 days", /,
      '/schedule invoice every day':
        /^I cannot schedule invoice: it is not a workflow that runs without input\. Workflows that can be scheduled: digest, compaction(, [a-z-]+)*\. For a reminder: \/remind <when> <what>\.$/,
      '/schedule': /^Schedule which workflow, when\? e\.g\. \/schedule digest every weekday at 8:00\./,
      '/schedule reminder daily': /^For a reminder use \/remind <when> <what>/,
      '/schedule digest every 7 minutes': /does not divide the hour evenly/,
      '/schedule digest daily missed: sometimes': /^"missed: sometimes" is not a policy I know/,
      '/remind call Bob': /^I could not read a time in "call Bob"/,
      '/remind tomorrow at 9': /^Remind you of what at tomorrow at 9\? e\.g\. \/remind tomorrow at 9 call Bob\.$/,
      '/remind on 1 January 2020 pay taxes': /has already passed; give a time in the future\.$/,
      '/unschedule': /^Which schedule\? Give its id; \/schedules lists them\.$/,
    };
    for (const [text, expected] of Object.entries(answers)) {
      const res = await api(app.url, 'POST', '/api/messages', { text });
      assert.equal(res.status, 200, `${text}: ${JSON.stringify(res.body)}`);
      assert.match(res.body.messages?.[0]?.text ?? '', expected, text);
    }
  });

  test('/schedule with a missed-run policy and a cron expression', async () => {
    const app = await start();
    const made = await one(app, '/schedule compaction 30 2 * * 1-5 missed: all within 12h');
    assert.match(
      made.text,
      /^Scheduled s\w+: compaction, cron 30 2 \* \* 1-5 · next .* 02:30 \(Europe\/Berlin\)\. If missed while Solo OS is not running: run each within 12 h\.$/,
    );
  });

  test('/status shows the scheduler', async () => {
    const app = await start();
    const status = (await one(app, '/status')).text;
    assert.match(
      status,
      /^Scheduler: running on SQLite, polls every 0\.5 s, times in Europe\/Berlin; 2 schedules; next: (Daily digest|Memory compaction), /m,
    );
    assert.match(
      status,
      /^Built-in jobs: approval expiry every 30 s, orphaned runs every 30 s, quiet-hours release when needed$/m,
    );
  });
});

describe('follow-ups a workflow sets, in the app', () => {
  test('a run sets a follow-up through app.scheduling.followUps: it is listed, said once at its time, then gone', async () => {
    const slot: { followUps?: FollowUps } = {};
    const chase = defineWorkflow({
      name: 'chase',
      version: 1,
      description: 'sets a follow-up',
      input: z.object({ at: z.string() }),
      run: (ctx, input) => followUp(ctx, 'polite', slot.followUps!, { at: input.at, title: 'Has Acme paid INV-0042?' }),
    });
    const app = await startTestApp({ TIMEZONE: ZONE }, { workflows: [chase] });
    apps.push(app);
    slot.followUps = app.scheduling.followUps;
    const at = new Date(Date.now() + 2000).toISOString();
    await app.engine.start('chase', { at }, { id: 'chase-1', origin: { channel: 'web', chatId: 'operator' } });
    const made = (await app.store.runs.get('chase-1'))?.result as { id: string; due: string };
    assert.equal(made.due, at);
    assert.match((await one(app, '/schedules')).text, new RegExp(`^${made.id} Has Acme paid INV-0042\\?: once, `, 'm'));
    await until(
      async () => (await transcript(app)).includes('Reminder: Has Acme paid INV-0042?'),
      'the follow-up to be said',
    );
    await until(
      async () => (await app.scheduling.ready()).schedules.get(made.id).then((s) => s === undefined),
      'the one-off to be removed',
    );
    assert.equal((await transcript(app)).filter((t) => t === 'Reminder: Has Acme paid INV-0042?').length, 1);
  });
});

describe('across a restart', () => {
  test('paused stays paused, a removed built-in stays removed, and a new DIGEST_TIME moves the digest but keeps it paused', async () => {
    const DATA_DIR = tempDir();
    const first = await start({ DATA_DIR });
    const made = await one(first, '/schedule digest every Monday 9am');
    const id = idOf(made);
    await tap(first, made, 'Pause');
    await one(first, '/unschedule compaction');
    const list = await one(first, '/schedules');
    await tap(first, list, 'Pause digest');
    await stop(first);

    const second = await start({ DATA_DIR, DIGEST_TIME: '07:15' });
    const after = (await one(second, '/schedules')).text;
    assert.match(after, new RegExp(`^${id} digest: every Monday 9am · paused`, 'm'));
    assert.match(after, /^digest Daily digest: every day at 07:15 · paused/m);
    assert.doesNotMatch(after, /compaction/);
    assert.match(after, /^2 schedules \(2 paused\)/);
  });
});
