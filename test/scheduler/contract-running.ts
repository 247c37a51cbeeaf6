// Jobs actually running under Agenda on the backend: firing once, events, failures, locks while running and after
// stop(), drain(), concurrency, priority, lock limits, repeating jobs, and a notification channel.

import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import { loadAgenda, type Job } from '../../adapters/scheduler/agenda/index.ts';
import { agendaMaker, delay, gateMaker, pollCounter, until, waitFor, type ContractContext } from './helpers.ts';

export function runningContract(ctx: ContractContext): void {
  const { it } = ctx;
  const make = agendaMaker(ctx);
  const gate = gateMaker();

  it('a job saved with now() runs once with its data, emitting start, success and complete', async () => {
    const agenda = await make();
    const runs: unknown[] = [];
    const events: string[] = [];
    agenda.define('process-me', async (job: Job) => void runs.push(job.attrs.data));
    for (const e of ['start', 'start:process-me', 'success:process-me', 'complete:process-me'])
      (agenda as EventEmitter).on(e, () => events.push(e));
    await agenda.start();
    const polls = pollCounter(agenda);
    const completed = waitFor(agenda, 'complete:process-me');
    await agenda.now('process-me', { testData: 123 });
    await completed;
    await polls(3);
    assert.deepEqual(runs, [{ testData: 123 }]);
    assert.deepEqual(events, ['start', 'start:process-me', 'success:process-me', 'complete:process-me']);
    const [stored] = (await agenda.queryJobs({ name: 'process-me' })).jobs;
    assert.deepEqual([stored?.nextRunAt, stored?.lockedAt, stored?.state], [null, undefined, 'completed']);
    assert.ok(stored?.lastRunAt && stored.lastFinishedAt);
  });

  it('a job scheduled for a Date fires once at that time', async () => {
    const agenda = await make();
    const fired: number[] = [];
    agenda.define('at-time', async () => void fired.push(Date.now()));
    await agenda.start();
    const due = Date.now() + 400;
    const completed = waitFor(agenda, 'complete:at-time');
    await agenda.schedule(new Date(due), 'at-time');
    await completed;
    await pollCounter(agenda)(5);
    assert.equal(fired.length, 1);
    assert.ok(fired[0]! >= due, 'not before it is due');
  });

  it('a failing handler emits fail with the error, stores failReason/failedAt/failCount, and does not run again', async () => {
    const agenda = await make();
    let runs = 0;
    agenda.define('fails', async () => {
      runs++;
      throw new Error('Intentional failure');
    });
    const failed = waitFor(agenda, 'fail:fails');
    const completed = waitFor(agenda, 'complete:fails');
    await agenda.start();
    await agenda.now('fails');
    const [err, job] = (await failed) as [Error, Job];
    assert.deepEqual([err.message, job.attrs.name], ['Intentional failure', 'fails']);
    await completed;
    await pollCounter(agenda)(3);
    assert.equal(runs, 1);
    const [stored] = (await agenda.queryJobs({ name: 'fails' })).jobs;
    assert.deepEqual(
      [stored?.failReason, stored?.failCount, stored?.nextRunAt, stored?.state],
      ['Intentional failure', 1, null, 'failed'],
    );
    assert.ok(stored?.failedAt instanceof Date);
  });

  it('failCount grows with each failure of a job rescheduled from its fail handler, then a success', async () => {
    const agenda = await make();
    let attempts = 0;
    agenda.define('retry-me', async () => {
      if (++attempts < 3) throw new Error(`Attempt ${attempts} failed`);
    });
    const counts: number[] = [];
    agenda.on('fail:retry-me', (_err: Error, job: Job) => {
      counts.push(job.attrs.failCount ?? 0);
      job.attrs.nextRunAt = new Date();
    });
    await agenda.now('retry-me');
    await agenda.start();
    await waitFor(agenda, 'success:retry-me');
    assert.deepEqual([attempts, counts], [3, [1, 2]]);
  });

  it('a running job is locked; stop() releases the locks of queued jobs while the running one keeps its lock until done', async () => {
    const agenda = await make({ maxConcurrency: 1 });
    let lockedWhileRunning = false;
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    agenda.define('hold', async (job: Job) => {
      lockedWhileRunning = Boolean((await agenda.queryJobs({ id: String(job.attrs._id) })).jobs[0]?.lockedAt);
      await released;
    });
    await agenda.start();
    const started = waitFor(agenda, 'start:hold');
    const first = await agenda.now('hold', { n: 1 });
    await started;
    const second = await agenda.now('hold', { n: 2 });
    await until(
      async () => (await agenda.getRunningStats()).lockedJobs === 2,
      'the second job locked behind the first',
    );
    await agenda.stop();
    const lockedAt = async (j: Job) => (await ctx.shared().repository.getJobById(String(j.attrs._id)))?.lockedAt;
    assert.equal(await lockedAt(second), undefined, 'the queued job was released');
    assert.ok(await lockedAt(first), 'the running job is still locked');
    assert.ok(lockedWhileRunning);
    const completed = waitFor(agenda, 'complete:hold');
    release();
    await completed;
    assert.equal(await lockedAt(first), undefined);
  });

  it('drain() waits for running jobs, and returns at once when none run', async () => {
    const agenda = await make();
    const done: number[] = [];
    agenda.define('drain-me', async (job: Job) => {
      await delay(200);
      done.push((job.attrs.data as { i: number }).i);
    });
    await agenda.start();
    const started = waitFor(agenda, 'start:drain-me', 3);
    await Promise.all([0, 1, 2].map((i) => agenda.now('drain-me', { i })));
    await started;
    const result = await agenda.drain();
    assert.deepEqual([done.sort(), result.running, result.timedOut], [[0, 1, 2], 0, false]);
    const idle = await make();
    await idle.start();
    assert.deepEqual(await idle.drain(), { completed: 0, running: 0, timedOut: false, aborted: false });
  });

  it('maxConcurrency and a definition concurrency bound how many jobs run at once', async () => {
    const agenda = await make({ maxConcurrency: 2 });
    const peak = { all: 0, single: 0 };
    const running = { all: 0, single: 0 };
    const body = (kind: 'all' | 'single') => async () => {
      running[kind]++;
      peak[kind] = Math.max(peak[kind], running[kind]);
      await delay(100);
      running[kind]--;
    };
    agenda.define('two-at-once', body('all'));
    agenda.define('one-at-once', body('single'), { concurrency: 1 });
    await agenda.start();
    const four = waitFor(agenda, 'complete:two-at-once', 4);
    await Promise.all([1, 2, 3, 4].map(() => agenda.now('two-at-once')));
    await four;
    const three = waitFor(agenda, 'complete:one-at-once', 3);
    await Promise.all([1, 2, 3].map(() => agenda.now('one-at-once')));
    await three;
    assert.deepEqual(peak, { all: 2, single: 1 });
  });

  it('jobs due at the same time run highest priority first', async () => {
    const agenda = await make({ maxConcurrency: 1 });
    const order: number[] = [];
    agenda.define('by-priority', async (job: Job) => void order.push(job.attrs.priority));
    const due = new Date(Date.now() - 1000);
    for (const p of [-10, 10, 0]) {
      const job = agenda.create('by-priority');
      job.attrs.nextRunAt = due;
      await job.priority(p).save();
    }
    await agenda.start();
    await waitFor(agenda, 'complete:by-priority', 3);
    assert.deepEqual(order, [10, 0, -10]);
  });

  for (const [title, setup] of [
    [
      'lockLimit bounds the jobs one Agenda holds locked',
      { lockLimit: 1, names: ['limited'], defineLimit: 0, ahead: false },
    ],
    [
      'lockLimit bounds locked jobs across names',
      { lockLimit: 1, names: ['mixed-1', 'mixed-2', 'mixed-3'], defineLimit: 0, ahead: false },
    ],
    [
      "a definition's lockLimit bounds its locked jobs",
      { lockLimit: 0, names: ['def-limited'], defineLimit: 1, ahead: false },
    ],
    [
      'lockLimit also bounds jobs locked ahead of their time',
      { lockLimit: 1, names: ['ahead'], defineLimit: 0, ahead: true },
    ],
    [
      "a definition's lockLimit also bounds jobs locked ahead of their time",
      { lockLimit: 0, names: ['def-ahead'], defineLimit: 1, ahead: true },
    ],
  ] as const) {
    it(title, async () => {
      const agenda = await make({
        processEvery: setup.ahead ? 200 : 100,
        ...(setup.lockLimit ? { lockLimit: setup.lockLimit } : {}),
      });
      for (const name of setup.names)
        agenda.define(name, () => gate.wait(), setup.defineLimit ? { lockLimit: setup.defineLimit } : {});
      await agenda.start();
      const polls = pollCounter(agenda);
      const when = new Date(Date.now() + 300);
      const all = setup.names.length === 1 ? [setup.names[0], setup.names[0]] : setup.names;
      await Promise.all(
        all.map((name, i) => (setup.ahead ? agenda.schedule(when, name, { i }) : agenda.now(name, { i }))),
      );
      await polls(setup.ahead ? 4 : 5);
      assert.equal((await agenda.getRunningStats()).lockedJobs, 1);
    });
  }

  it('every() runs a job repeatedly, by interval and by a cron expression with seconds', async () => {
    const agenda = await make();
    let runs = 0;
    agenda.define('every-second', async () => void runs++);
    agenda.define('cron-second', async () => undefined);
    await agenda.every('1 second', 'every-second');
    await agenda.every('* * * * * *', 'cron-second');
    await agenda.start();
    await waitFor(agenda, 'complete:every-second', 2);
    await waitFor(agenda, 'complete:cron-second');
    assert.ok(runs >= 2);
    const [stored] = (await agenda.queryJobs({ name: 'every-second' })).jobs;
    assert.ok(stored?.nextRunAt && stored.nextRunAt.getTime() > Date.now() - 1000, 'rescheduled for the next second');
  });

  it('a job that outlives its lock lifetime is cancelled with an error, and no promise rejection is left unhandled', async () => {
    const rejections: unknown[] = [];
    const onRejection = (err: unknown) => rejections.push(err);
    process.on('unhandledRejection', onRejection);
    try {
      const agenda = await make();
      agenda.define('too-slow', () => delay(1500), { lockLifetime: 300 });
      const error = waitFor(agenda, 'error');
      await agenda.start();
      await agenda.now('too-slow');
      const [err] = (await error) as [Error];
      assert.match(err.message, /execution of 'too-slow' canceled/);
      await delay(100);
      assert.deepEqual(rejections, []);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });

  it('a notification channel: given at construction or by notifyVia() before start, connected by start(), closed by stop()', async () => {
    const { InMemoryNotificationChannel } = await loadAgenda();
    const channel = new InMemoryNotificationChannel();
    const viaConfig = await make({ notificationChannel: channel });
    assert.equal(viaConfig.hasNotificationChannel(), true);
    const viaMethod = await make();
    viaMethod.notifyVia(new InMemoryNotificationChannel());
    assert.equal(viaMethod.hasNotificationChannel(), true);
    viaConfig.define('noop', async () => undefined);
    assert.equal(channel.state, 'disconnected');
    await viaConfig.start();
    assert.equal(channel.state, 'connected');
    assert.throws(() => viaConfig.notifyVia(new InMemoryNotificationChannel()), /already running/);
    await viaConfig.stop();
    assert.equal(channel.state, 'disconnected');
  });

  it('with a notification channel a job saved in this process runs without waiting for the next poll', async () => {
    const { InMemoryNotificationChannel } = await loadAgenda();
    // processEvery 10 s: longer than the test; not longer, as Agenda leaves a processEvery/2 timer behind each run.
    const agenda = await make({ processEvery: 10_000, notificationChannel: new InMemoryNotificationChannel() });
    agenda.define('fast', async () => undefined);
    await agenda.start();
    let polls = 0;
    const processor = (agenda as unknown as { jobProcessor: { process: () => Promise<void> } }).jobProcessor;
    const original = processor.process.bind(processor);
    processor.process = () => (polls++, original());
    const completed = waitFor(agenda, 'complete:fast');
    await agenda.now('fast');
    await completed;
    assert.equal(polls, 0, 'no poll ran: the notification did it');
  });
}
