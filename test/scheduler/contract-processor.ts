// The job processor's bookkeeping (running stats, touch, filling the queue), automatic retries with backoff,
// debounced saves, removeOnComplete, and the backend's job logger.

import assert from 'node:assert/strict';
import { loadAgenda, type Job, type JobLogger } from '../../adapters/scheduler/agenda/index.ts';
import { agendaMaker, delay, gateMaker, pollCounter, until, waitFor, type ContractContext } from './helpers.ts';

type RetryDetails = { attempt: number; delay: number; nextRunAt: Date; error: Error };

export function processorContract(ctx: ContractContext): void {
  const { it } = ctx;
  const make = agendaMaker(ctx);
  const gate = gateMaker();

  it('getRunningStats: refused before start; then version, queue name, queue size and per-job status', async () => {
    const agenda = await make({
      name: 'agendaTest',
      maxConcurrency: 4,
      defaultConcurrency: 1,
      lockLimit: 15,
      defaultLockLimit: 6,
    });
    await assert.rejects(agenda.getRunningStats(), /agenda not running/);
    agenda.define('stat', () => gate.wait());
    await agenda.start();
    const idle = await agenda.getRunningStats();
    assert.match(idle.version, /^\d+\.\d+\.\d+/);
    assert.deepEqual([idle.queueName, idle.totalQueueSizeDB], ['agendaTest', 0]);
    const started = waitFor(agenda, 'start:stat');
    await agenda.now('stat');
    await started;
    const busy = await agenda.getRunningStats();
    const status = busy.jobStatus?.['stat'];
    assert.deepEqual(
      [status?.locked, status?.running, status?.config.concurrency, status?.config.lockLimit, status?.config.priority],
      [1, 1, 1, 6, 0],
    );
    assert.equal(status?.config.lockLifetime, 2000);
    assert.equal(busy.backend.name, ctx.shared().name);
  });

  it('touch() renews the lock of a long job, stores its progress, and keeps it from timing out', async () => {
    const agenda = await make();
    const locks: number[] = [];
    agenda.define(
      'touchy',
      async (job: Job) => {
        locks.push(job.attrs.lockedAt?.getTime() ?? 0);
        for (let i = 0; i < 6; i++) {
          await delay(100);
          await job.touch(50);
          locks.push(job.attrs.lockedAt?.getTime() ?? 0);
        }
      },
      { lockLifetime: 400 },
    );
    const errors: Error[] = [];
    agenda.on('error', (err: Error) => errors.push(err));
    await agenda.start();
    const succeeded = waitFor(agenda, 'success:touchy');
    const job = await agenda.now('touchy');
    await succeeded;
    assert.deepEqual(errors, []);
    assert.ok(locks.at(-1)! > locks[0]!, 'lockedAt moved forward');
    assert.equal((await agenda.queryJobs({ id: String(job.attrs._id) })).jobs[0]?.progress, 50);
  });

  it('new jobs keep filling the run queue while long ones run', async () => {
    const agenda = await make({ maxConcurrency: 4, defaultConcurrency: 1 });
    agenda.define('long', () => gate.wait());
    agenda.define('short', async () => undefined);
    await agenda.start();
    const started = waitFor(agenda, 'start:long');
    await Promise.all(Array.from({ length: 20 }, () => agenda.now('long')));
    await started;
    const shortDone = waitFor(agenda, 'complete:short', 20);
    await Promise.all(Array.from({ length: 20 }, () => agenda.now('short')));
    await shortDone;
  });

  it('concurrency fills up: with 10 names x 25 due jobs, at least 90 run at once', async () => {
    const agenda = await make({ maxConcurrency: 300, lockLimit: 150, defaultLockLimit: 20, defaultConcurrency: 10 });
    for (let n = 0; n < 10; n++) agenda.define(`fill-${n}`, () => gate.wait(), { lockLifetime: 4000 });
    for (let n = 0; n < 10; n++)
      for (let j = 0; j < 25; j++) await agenda.create(`fill-${n}`).schedule(new Date()).save();
    await agenda.start();
    const running = await until(async () => {
      const stats = await agenda.getRunningStats();
      return (stats.runningJobs as number) >= 90 ? (stats.runningJobs as number) : false;
    }, '90 running jobs');
    assert.ok(running <= 100, 'never more than defaultConcurrency 10 per name');
  });

  it('a job rescheduled from its fail handler with schedule("now").save() runs again and succeeds', async () => {
    const agenda = await make();
    let fail = true;
    agenda.define('again', (_job: Job, done: (err?: Error) => void) => {
      if (fail) {
        fail = false;
        return done(new Error('test failure'));
      }
      done();
      return undefined;
    });
    agenda.on('fail:again', (_err: Error, job: Job) => void job.schedule('now').save());
    await agenda.now('again');
    await agenda.start();
    await waitFor(agenda, 'success:again');
  });

  it('a backoff strategy retries automatically with its delays, and a repeating job is retried too', async () => {
    const { constant } = await loadAgenda();
    const agenda = await make({ processEvery: 50 });
    let attempts = 0;
    const delays: number[] = [];
    agenda.define(
      'auto-retry',
      async () => {
        if (++attempts < 3) throw new Error(`Attempt ${attempts} failed`);
      },
      { backoff: constant({ delay: 100, maxRetries: 5 }) },
    );
    agenda.on('retry:auto-retry', (_job: Job, details: RetryDetails) => delays.push(details.delay));
    await agenda.now('auto-retry');
    await agenda.start();
    await waitFor(agenda, 'success:auto-retry');
    assert.deepEqual([attempts, delays], [3, [100, 100]]);
    let repeats = 0;
    agenda.define(
      'repeat-retry',
      async () => {
        if (++repeats === 1) throw new Error('First attempt fails');
      },
      { backoff: constant({ delay: 50, maxRetries: 3 }) },
    );
    const retried = waitFor(agenda, 'retry:repeat-retry');
    const recovered = waitFor(agenda, 'success:repeat-retry');
    await agenda.every('1 hour', 'repeat-retry');
    await retried;
    await recovered;
    assert.equal(repeats, 2);
  });

  it('retries stop when the strategy gives up: "retry exhausted" with failCount, details of each retry, custom strategies', async () => {
    const { constant, exponential } = await loadAgenda();
    const agenda = await make({ processEvery: 50 });
    let attempts = 0;
    agenda.define(
      'exhausted',
      async () => {
        attempts++;
        throw new Error('Always fails');
      },
      { backoff: constant({ delay: 50, maxRetries: 2 }) },
    );
    const exhausted = waitFor(agenda, 'retry exhausted:exhausted');
    await agenda.now('exhausted');
    await agenda.start();
    const [error, job] = (await exhausted) as [Error, Job];
    assert.deepEqual([attempts, error.message, job.attrs.failCount], [3, 'Always fails', 3]);
    let details: RetryDetails | undefined;
    agenda.define(
      'details',
      async () => {
        throw new Error('test error');
      },
      { backoff: exponential({ delay: 100, maxRetries: 1 }) },
    );
    agenda.on('retry:details', (_j: Job, d: RetryDetails) => (details = d));
    const gaveUp = waitFor(agenda, 'retry exhausted:details');
    await agenda.now('details');
    await gaveUp;
    assert.deepEqual(
      [details?.attempt, details?.delay, details?.error.message, details?.nextRunAt instanceof Date],
      [1, 100, 'test error', true],
    );
    let customAttempts = 0;
    const customDelays: number[] = [];
    agenda.define(
      'custom',
      async () => {
        if (++customAttempts < 4) throw new Error('Failing');
      },
      { backoff: (c) => (c.attempt > 3 ? null : ([100, 100, 200][c.attempt - 1] ?? null)) },
    );
    agenda.on('retry:custom', (_j: Job, d: RetryDetails) => customDelays.push(d.delay));
    const customDone = waitFor(agenda, 'success:custom');
    await agenda.now('custom');
    await customDone;
    assert.deepEqual(customDelays, [100, 100, 200]);
  });

  it('without a backoff strategy a failed job is not retried', async () => {
    const agenda = await make({ processEvery: 50 });
    let attempts = 0;
    let retries = 0;
    agenda.define('no-backoff', async () => {
      attempts++;
      throw new Error('Always fails');
    });
    agenda.on('retry:no-backoff', () => retries++);
    await agenda.now('no-backoff');
    await agenda.start();
    await waitFor(agenda, 'complete:no-backoff');
    await pollCounter(agenda)(4);
    assert.deepEqual([attempts, retries], [1, 0]);
  });

  it('removeOnComplete removes a one-off job that succeeded, per Agenda or per definition, never a failed or repeating one', async () => {
    const agenda = await make({ removeOnComplete: true });
    agenda.define('removed', async () => undefined);
    agenda.define('kept-by-definition', async () => undefined, { removeOnComplete: false });
    agenda.define('failed-kept', async () => {
      throw new Error('intentional failure');
    });
    agenda.define('repeating-kept', async () => undefined);
    const completed = Promise.all(
      ['removed', 'kept-by-definition', 'failed-kept', 'repeating-kept'].map((name) =>
        waitFor(agenda, `complete:${name}`),
      ),
    );
    await agenda.start();
    for (const name of ['removed', 'kept-by-definition', 'failed-kept']) await agenda.now(name);
    await agenda.every('1 hour', 'repeating-kept');
    await completed;
    await until(async () => (await agenda.queryJobs({ name: 'removed' })).total === 0, 'the completed job removed');
    const left = (await agenda.queryJobs({})).jobs.map((j) => j.name).sort();
    assert.deepEqual(left, ['failed-kept', 'kept-by-definition', 'repeating-kept']);
    const keeping = await make();
    keeping.define('removed-by-definition', async () => undefined, { removeOnComplete: true });
    keeping.define('kept-by-default', async () => undefined);
    const keptDone = waitFor(keeping, 'complete:kept-by-default');
    await keeping.start();
    await keeping.now('removed-by-definition');
    await keeping.now('kept-by-default');
    await keptDone;
    await until(
      async () => (await keeping.queryJobs({ name: 'removed-by-definition' })).total === 0,
      'the per-definition removal',
    );
    assert.equal((await keeping.queryJobs({ name: 'kept-by-default' })).total, 1);
  });

  it('with logging on, job lifecycle events are stored through the backend logger', async () => {
    const logger = ctx.shared().logger as JobLogger;
    await logger.clearLogs();
    const agenda = await make({ logging: true, name: 'logged' });
    agenda.define('log-me', async () => undefined);
    await agenda.start();
    const completed = waitFor(agenda, 'complete:log-me');
    const job = await agenda.now('log-me');
    await completed;
    const { entries } = await until(async () => {
      const r = await agenda.getLogs({ jobName: 'log-me', sort: 'asc' });
      return r.entries.some((e) => e.event === 'complete') ? r : false;
    }, 'the complete log entry');
    assert.deepEqual(
      entries.map((e) => e.event).filter((e) => e !== 'locked'),
      ['start', 'success', 'complete'],
    );
    assert.deepEqual([entries[0]?.jobId, entries[0]?.agendaName], [String(job.attrs._id), 'logged']);
    assert.ok((await agenda.clearLogs({ jobName: 'log-me' })) >= 3);
  });
}
