// Schedules on the real scheduler (Agenda on SQLite) and the real engine, with the schedules' clock where the test
// puts it: Solo OS "down" across due times (schedules made with the clock three days back, the scheduler started
// with the clock at now) applies each missed-run policy and says so first; the same due time fired twice starts
// one run; a paused schedule stays paused across a restart; a fire whose workflow is gone pauses the schedule;
// follow-ups a workflow sets are made once per step and cancelled by it.

import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { pino } from 'pino';
import { z } from 'zod';
import { AgendaScheduler } from '../../adapters/scheduler/agenda/scheduler.ts';
import type { OutboundMessage } from '../../src/domain/messages.ts';
import { Engine } from '../../src/engine/engine.ts';
import { defineWorkflow, type AnyWorkflow } from '../../src/engine/workflow.ts';
import { reminderWorkflow } from '../../src/workflows/reminder.ts';
import { nullDelivery } from '../support/delivery.ts';
import { cancelFollowUp, followUp, followUps, type FollowUps } from '../../src/scheduling/follow-ups.ts';
import { fireRunId, SCHEDULE_KIND, Schedules, type Schedule } from '../../src/scheduling/schedules.ts';
import type { When } from '../../src/scheduling/when.ts';
import { harness, type Harness } from '../engine/harness.ts';
import { until } from '../scheduler/helpers.ts';

const ZONE = 'Europe/Berlin';
const HOUR = 3_600_000;
const logger = pino({ level: 'silent' });
const pings: string[] = [];
const ping = defineWorkflow({
  name: 'ping',
  version: 1,
  description: 'records that it ran',
  input: z.object({}),
  run: async (ctx) => void (await ctx.step('ping', async () => (pings.push(ctx.runId), true))),
});

interface Rig {
  h: Harness;
  port: AgendaScheduler;
  schedules: Schedules;
  notes: { text: string; key: string }[];
  /** The schedules' clock: `at` when set, the real time otherwise. */
  clock: { at?: Date | undefined };
}

const rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) {
    await r.port.stop();
    await r.h.close();
  }
  pings.length = 0;
});

/** Engine, scheduler and schedules on one SQLite file; `clock.at` is the schedules' clock (the scheduler's is real). */
async function rig(
  workflows: AnyWorkflow[] = [ping],
  existing?: { h: Harness; clock: Rig['clock'] },
  engine?: Engine,
): Promise<Rig> {
  const h =
    existing?.h ??
    (await harness([...workflows, reminderWorkflow(async (message) => ({ ...message, id: 'sent', buttons: [] }))]));
  const clock: Rig['clock'] = existing?.clock ?? {};
  const notes: Rig['notes'] = [];
  const port = new AgendaScheduler({
    store: { kind: 'sqlite', database: h.store.location },
    logger,
    pollMs: 100,
    lockLifetimeMs: 2000,
  });
  const notify = async (message: OutboundMessage, options: { dedupeKey: string }) =>
    void notes.push({ text: message.text, key: options.dedupeKey });
  const schedules = new Schedules({
    port,
    engine: engine ?? h.engine,
    events: h.store.events,
    settings: h.store.settings,
    notify,
    timeZone: ZONE,
    logger,
    now: () => clock.at ?? new Date(),
  });
  const r = { h, port, schedules, notes, clock };
  rigs.push(r);
  return r;
}

const daily: When = { kind: 'cron', cron: '0 8 * * *', text: 'every day at 08:00' };
const origin = { channel: 'web', chatId: 'operator' };

const firedEvents = async (r: Rig, id: string) =>
  (await r.h.store.events.readStream(`schedule:${id}`)).filter((e) => e.type === 'schedule.fired');

describe('downtime across due times', () => {
  test('each missed-run policy is applied, said once before the runs, and the schedule moves to its next due time', async () => {
    const r = await rig();
    const now = new Date();
    // Due every day at the minute an hour ago (Berlin time): the last three due times are 49, 25 and 1 h ago.
    const hourAgo = new Intl.DateTimeFormat('en-GB', {
      timeZone: ZONE,
      hour: 'numeric',
      minute: 'numeric',
      hourCycle: 'h23',
    }).formatToParts(new Date(now.getTime() - HOUR));
    const part = (type: string) => Number(hourAgo.find((p) => p.type === type)?.value);
    const when: When = { kind: 'cron', cron: `${part('minute')} ${part('hour')} * * *`, text: 'every day an hour ago' };
    r.clock.at = new Date(now.getTime() - 50 * HOUR);
    const made = async (id: string, missed: Schedule['missed']) =>
      r.schedules.create({ id, title: id, workflow: 'ping', when, missed, origin, by: 'operator' });
    await made('skip', { policy: 'skip', windowMs: 24 * HOUR });
    await made('once', { policy: 'once', windowMs: 24 * HOUR });
    await made('all', { policy: 'all', windowMs: 30 * HOUR });
    // Solo OS comes back two days later.
    r.clock.at = undefined;
    await r.port.start();
    await until(
      async () => (await r.h.store.events.readRange({ types: ['schedule.missed'] })).length === 3,
      'the three schedules to fire',
    );
    await r.h.engine.idle();
    const runs = async (id: string) =>
      (await firedEvents(r, id)).map((e) => (e.type === 'schedule.fired' ? e.data.due : ''));
    assert.deepEqual(await runs('skip'), []);
    assert.equal((await runs('once')).length, 1);
    assert.equal((await runs('all')).length, 2, 'the due times within 30 h');
    assert.equal(pings.length, 3, 'once: one run; all: two runs');
    for (const id of ['skip', 'once', 'all']) {
      const state = await r.schedules.get(id);
      assert.ok(
        state?.next && state.next > now && state.next.getTime() - now.getTime() < 25 * HOUR,
        `${id} is due next in about 23 h`,
      );
    }
    const text = (id: string) => r.notes.find((n) => n.key.startsWith(`missed:${id}@`))?.text ?? '';
    assert.match(
      text('skip'),
      /^While Solo OS was not running, "skip" was due 3 times, .* Its missed-run policy is skip, so nothing was run for them\. Next: /,
    );
    assert.match(text('once'), /Its missed-run policy is run once: running it now, once \(for .*\)\./);
    assert.match(
      text('all'),
      /Its missed-run policy is run each within 30 h: running 2 now \(.*, .*\); 1 older skipped\./,
    );
    assert.equal(r.notes.length, 3);
    const missed = await r.h.store.events.readRange({ types: ['schedule.missed'] });
    assert.deepEqual(
      missed
        .map((e) =>
          e.type === 'schedule.missed' ? [e.data.scheduleId, e.data.missed, e.data.ran, e.data.skipped] : [],
        )
        .sort(),
      [
        ['all', 3, 2, 1],
        ['once', 3, 1, 2],
        ['skip', 3, 0, 3],
      ],
    );
  });
});

describe('firing', () => {
  test('a due time fired twice (a crash after the run was made) starts one run, records one fire and says the catch-up once', async () => {
    const r = await rig();
    const now = new Date();
    r.clock.at = new Date(now.getTime() - 26 * HOUR);
    const { schedule, next } = await r.schedules.create({
      id: 'twice',
      title: 'twice',
      workflow: 'ping',
      when: daily,
      origin,
      by: 'operator',
    });
    r.clock.at = now;
    const job = { kind: SCHEDULE_KIND, key: 'twice', due: next, data: schedule, paused: false };
    const first = await r.schedules.fire(job);
    const second = await r.schedules.fire(job);
    await r.h.engine.idle();
    assert.deepEqual([second.due, second.data.last], [first.due, first.data.last]);
    assert.equal(pings.length, 1);
    assert.equal((await firedEvents(r, 'twice')).length, 1);
    assert.equal(r.notes.length, 2, 'the note was asked for twice with the same key (delivery sends it once)');
    assert.equal(new Set(r.notes.map((n) => n.key)).size, 1);
    const [fired] = await firedEvents(r, 'twice');
    assert.ok(fired?.type === 'schedule.fired' && fired.data.runId === fireRunId('twice', new Date(fired.data.due)));
    assert.ok(fired.data.latenessMs > 0);
  });

  test('on time: the run starts within the poll, its lateness is recorded, and a one-off is removed after it fired', async (t) => {
    const r = await rig();
    await r.port.start();
    const at = new Date(Date.now() + 600);
    await r.schedules.create({
      id: 'soon',
      title: 'soon',
      workflow: 'ping',
      when: { kind: 'once', at: at.toISOString(), text: 'soon' },
      origin,
      by: 'operator',
    });
    await until(async () => (await r.schedules.get('soon')) === undefined, 'the one-off to fire and go');
    const [fired] = await firedEvents(r, 'soon');
    assert.ok(fired?.type === 'schedule.fired');
    assert.equal(fired.data.due, at.toISOString());
    assert.equal(fired.data.catchUp, false);
    assert.equal(r.notes.length, 0, 'nothing was missed');
    t.diagnostic(`lateness ${fired.data.latenessMs} ms`);
  });

  test('a paused schedule stays paused across a restart and runs nothing; resumed, it is due at its next time after now', async () => {
    const first = await rig();
    const soon: When = { kind: 'cron', cron: '* * * * * *', text: 'every second' };
    await first.schedules.create({
      id: 'paused',
      title: 'paused',
      workflow: 'ping',
      when: soon,
      origin,
      by: 'operator',
    });
    await first.schedules.pause('paused', 'operator');
    // Started only once paused: started before, a loaded machine could fire it between create and pause (CI did).
    await first.port.start();
    await first.port.stop();
    const second = await rig([ping], first);
    await second.port.start();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal((await second.schedules.get('paused'))?.paused, true);
    assert.deepEqual(pings, []);
    const resumed = await second.schedules.resume('paused', 'operator');
    assert.ok(resumed?.changed && resumed.state.next && resumed.state.next > new Date(Date.now() - 1000));
    await until(() => pings.length > 0, 'the resumed schedule to run');
    const events = (await second.h.store.events.readStream('schedule:paused')).map((e) => e.type);
    assert.deepEqual(events.slice(0, 3), ['schedule.created', 'schedule.paused', 'schedule.resumed']);
  });

  test('a fire whose workflow is gone pauses the schedule and says so once', async () => {
    const first = await rig();
    await first.schedules.create({
      id: 'orphan',
      title: 'orphan',
      workflow: 'ping',
      when: daily,
      origin,
      by: 'operator',
    });
    const job = (await first.port.get<Schedule>(SCHEDULE_KIND, 'orphan'))!;
    // The next version no longer has the workflow: an engine without it, on the same store.
    const bare = new Engine({ store: first.h.store, logger, delivery: nullDelivery });
    const later = await rig([], first, bare);
    later.clock.at = new Date(job.due!.getTime() + 1000);
    const update = await later.schedules.fire(job);
    assert.equal(update.due?.getTime(), job.due!.getTime() + 24 * HOUR, 'moved on to the next day');
    assert.equal((await later.schedules.get('orphan'))?.paused, true);
    assert.match(
      later.notes[0]?.text ?? '',
      /^The schedule orphan \(orphan\) could not start ping: There is no workflow called ping\. It is paused: \/schedules resumes or removes it\.$/,
    );
    assert.equal((await later.h.store.events.readRange({ types: ['schedule.failed'] })).length, 1);
  });
});

describe('follow-ups set by a workflow', () => {
  test('made once per step (a replay finds it), due after the delay in calendar days, cancelled by a later step', async () => {
    const slot: { schedules?: Schedules } = {};
    const f: FollowUps = followUps(async () => slot.schedules!);
    const chase = defineWorkflow({
      name: 'chase',
      version: 1,
      description: 'sets two follow-ups and cancels one',
      input: z.object({}),
      async run(ctx) {
        const polite = await followUp(ctx, 'polite', f, { after: { days: 7 }, title: 'Has Acme paid INV-0042?' });
        const other = await followUp(ctx, 'other', f, {
          after: { hours: 2 },
          title: 'Call Acme',
          workflow: 'ping',
          input: {},
        });
        await cancelFollowUp(ctx, 'paid', f, other.id);
        return polite;
      },
    });
    const r = await rig([ping, chase]);
    slot.schedules = r.schedules;
    r.clock.at = new Date('2026-03-27T09:00:00Z');
    await r.h.engine.start('chase', {}, { id: 'c1', origin });
    const run = await r.h.store.runs.get('c1');
    const polite = run?.result as { id: string; due: string };
    assert.equal(polite.due, '2026-04-03T08:00:00.000Z', '10:00 Berlin stays 10:00 across the change to summer time');
    const state = await r.schedules.get(polite.id);
    assert.deepEqual(
      [state?.schedule.workflow, state?.schedule.input, state?.schedule.by],
      ['reminder', { text: 'Has Acme paid INV-0042?', hold: true }, 'run:c1'],
    );
    assert.deepEqual(
      (await r.schedules.list()).map((s) => s.schedule.id),
      [polite.id],
      'the cancelled one is gone',
    );
    // Started again with the same id (a redelivery): nothing new is made.
    await r.h.engine.start('chase', {}, { id: 'c1', origin });
    assert.equal((await r.schedules.count()).total, 1);
    assert.equal(await f.cancel(polite.id, 'test'), true);
    assert.equal(await f.cancel(polite.id, 'test'), false);
  });
});
