// The Agenda API over a backend: every/schedule/now, queries, cancel, disable/enable, purge, unique(), the Job class.

import assert from 'node:assert/strict';
import type { Job } from '../../adapters/scheduler/agenda/index.ts';
import { agendaMaker, type ContractContext } from './helpers.ts';

const noop = async () => undefined;

export function agendaContract(ctx: ContractContext): void {
  const { it } = ctx;
  const make = agendaMaker(ctx);

  it('every() saves one repeating job per name; saving it again updates that job', async () => {
    const agenda = await make();
    await agenda.every('1 minute', 'interval-job');
    await agenda.every('5 minutes', 'interval-job');
    await agenda.every('0 6 * * *', 'cron-job');
    const jobs = await agenda.queryJobs({ names: ['interval-job', 'cron-job'], sort: { name: 'desc' } });
    assert.deepEqual(
      jobs.jobs.map((j) => [j.name, j.type, j.repeatInterval, j.state]),
      [
        ['interval-job', 'single', '5 minutes', 'repeating'],
        ['cron-job', 'single', '0 6 * * *', 'repeating'],
      ],
    );
  });

  it('every() again (as at each start-up) keeps an already-due nextRunAt and re-enables a disabled job', async () => {
    const agenda = await make();
    const first = await agenda.every('5 minutes', 'restarted-every');
    await agenda.disable({ name: 'restarted-every' });
    const again = await agenda.every('5 minutes', 'restarted-every');
    assert.equal(String(again.attrs._id), String(first.attrs._id));
    assert.equal(again.attrs.nextRunAt?.getTime(), first.attrs.nextRunAt?.getTime());
    assert.ok(!(await agenda.queryJobs({ name: 'restarted-every' })).jobs[0]?.disabled);
  });

  it('every() takes a timezone, skipImmediate and several names', async () => {
    const agenda = await make();
    const zoned = await agenda.every('5 minutes', 'tz-job', {}, { timezone: 'Europe/Paris' });
    assert.equal(zoned.attrs.repeatTimezone, 'Europe/Paris');
    assert.ok(Math.abs((zoned.attrs.nextRunAt?.getTime() ?? 0) - Date.now()) < 60_000, 'runs now, not in 5 minutes');
    const skipped = await agenda.every('5 minutes', 'skip-job', {}, { skipImmediate: true });
    assert.ok((skipped.attrs.nextRunAt?.getTime() ?? 0) - Date.now() > 4 * 60_000);
    const many = (await agenda.every('5 minutes', ['many-1', 'many-2'])) as Job[];
    assert.deepEqual(many.map((j) => j.attrs.name).sort(), ['many-1', 'many-2']);
    assert.equal((await agenda.queryJobs({ names: ['many-1', 'many-2'] })).total, 2);
  });

  it('schedule() saves a job for a Date, for "in 1 hour", and for several names', async () => {
    const agenda = await make();
    const when = new Date(Date.now() + 60_000);
    const job = await agenda.schedule(when, 'at-date');
    assert.equal(job.attrs.nextRunAt?.getTime(), when.getTime());
    assert.equal((await agenda.queryJobs({ id: String(job.attrs._id) })).jobs[0]?.nextRunAt?.getTime(), when.getTime());
    const human = await agenda.schedule('in 1 hour', 'in-an-hour');
    assert.ok((human.attrs.nextRunAt?.getTime() ?? 0) > Date.now() + 59 * 60_000);
    const pair = await agenda.schedule(when, ['pair-1', 'pair-2']);
    assert.equal(pair.length, 2);
  });

  it('now() saves a job due now with its data', async () => {
    const agenda = await make();
    const job = await agenda.now('now-job', { key: 'value' });
    assert.ok(job.attrs._id);
    assert.ok((job.attrs.nextRunAt?.getTime() ?? Infinity) <= Date.now());
    assert.deepEqual((await agenda.queryJobs({ name: 'now-job' })).jobs[0]?.data, { key: 'value' });
  });

  it('queryJobs() through Agenda limits, skips and sorts, and finds nothing for an unknown name', async () => {
    const agenda = await make();
    for (const p of [3, 1, 2]) await agenda.create('q', { p }).priority(p).schedule('in 1 hour').save();
    assert.deepEqual(
      (await agenda.queryJobs({ name: 'q', sort: { priority: 'desc' } })).jobs.map((j) => j.priority),
      [3, 2, 1],
    );
    const page = await agenda.queryJobs({ name: 'q', limit: 2, skip: 2 });
    assert.deepEqual([page.jobs.length, page.total], [1, 3]);
    assert.deepEqual((await agenda.queryJobs({ name: 'unknown' })).jobs, []);
  });

  it('cancel() removes the matching jobs and says how many', async () => {
    const agenda = await make();
    await agenda.now('cancel-me');
    await agenda.now('cancel-me');
    await agenda.now('keep-me');
    assert.equal(await agenda.cancel({ name: 'cancel-me' }), 2);
    assert.deepEqual(
      (await agenda.queryJobs({})).jobs.map((j) => j.name),
      ['keep-me'],
    );
  });

  it('Job.disable()/enable() and agenda.disable()/enable() set the flag and count what changed', async () => {
    const agenda = await make();
    const job = await agenda.now('flagged');
    await job.disable().save();
    assert.equal((await agenda.queryJobs({ name: 'flagged' })).jobs[0]?.disabled, true);
    await job.enable().save();
    assert.equal((await agenda.queryJobs({ name: 'flagged' })).jobs[0]?.disabled, false);
    await agenda.now('flagged');
    assert.equal(await agenda.disable({ name: 'flagged' }), 2);
    assert.equal(await agenda.disable({}), 0);
    assert.equal(await agenda.disable({ name: 'absent' }), 0);
    assert.equal(await agenda.enable({ name: 'flagged' }), 2);
  });

  it('purge() removes the jobs whose name has no definition', async () => {
    const agenda = await make();
    for (const name of ['defined', 'orphan-1', 'orphan-2']) agenda.define(name, noop);
    for (const name of ['defined', 'orphan-1', 'orphan-2']) await agenda.schedule('in 1 hour', name);
    delete agenda.definitions['orphan-1'];
    delete agenda.definitions['orphan-2'];
    assert.equal(await agenda.purge(), 2);
    assert.deepEqual(
      (await agenda.queryJobs({})).jobs.map((j) => j.name),
      ['defined'],
    );
  });

  it('unique(): the same key updates one job, insertOnly keeps the first, another key makes a second job', async () => {
    const agenda = await make();
    const save = (data: Record<string, unknown>, opts?: { insertOnly: boolean }) =>
      agenda
        .create('uniq', data)
        .unique({ 'data.type': data['type'], 'data.userId': data['userId'] }, opts)
        .schedule('in 1 hour')
        .save();
    const a = await save({ type: 'active', userId: '123', other: true });
    const b = await save({ type: 'active', userId: '123', other: false });
    assert.equal(String(b.attrs._id), String(a.attrs._id));
    assert.deepEqual(
      (await agenda.queryJobs({ name: 'uniq' })).jobs.map((j) => j.data),
      [{ type: 'active', userId: '123', other: false }],
    );
    const c = await save({ type: 'active', userId: '123', other: 'ignored' }, { insertOnly: true });
    assert.equal(String(c.attrs._id), String(a.attrs._id));
    assert.equal(((await agenda.queryJobs({ name: 'uniq' })).jobs[0]?.data as { other: unknown }).other, false);
    await save({ type: 'active', userId: 123 });
    assert.equal(
      (await agenda.queryJobs({ name: 'uniq' })).total,
      2,
      'userId 123 (a number) is another key than "123"',
    );
  });

  it('unique() refuses a query that would run code on the server ($where)', async () => {
    const agenda = await make();
    await assert.rejects(agenda.create('uniq-where', {}).unique({ $where: 'sleep(1000)' }).save());
    assert.equal((await agenda.queryJobs({ name: 'uniq-where' })).total, 0);
  });

  it('Job: toJson, remove, and save (persists, updates, returns the same Job)', async () => {
    const agenda = await make();
    const job = agenda.create('job-class', { value: 42 });
    assert.equal(await job.save(), job);
    const json = job.toJson();
    assert.deepEqual([json.name, json.data, Boolean(json._id)], ['job-class', { value: 42 }, true]);
    job.attrs.data = { value: 43 };
    await job.save();
    const stored = await agenda.queryJobs({ name: 'job-class' });
    assert.deepEqual([stored.total, stored.jobs[0]?.data], [1, { value: 43 }]);
    await job.remove();
    assert.equal((await agenda.queryJobs({ id: String(job.attrs._id) })).jobs.length, 0);
  });

  it('Job: repeatEvery/repeatAt/schedule/priority/fail set their fields, and a cleared repeatEvery is saved', async () => {
    const agenda = await make();
    agenda.define('repeat-clear', noop);
    const job = agenda.create('repeat-clear');
    job.repeatEvery('5 minutes').priority('high');
    await job.save();
    assert.deepEqual([job.attrs.repeatInterval, job.attrs.priority], ['5 minutes', 10]);
    job.repeatEvery('');
    await job.save();
    assert.equal((await agenda.queryJobs({ name: 'repeat-clear' })).jobs[0]?.repeatInterval, '');
    const at = agenda.create('other').repeatAt('3:30pm').schedule('in 5 minutes').priority(-5);
    assert.deepEqual(
      [at.attrs.repeatAt, at.attrs.priority, (at.attrs.nextRunAt?.getTime() ?? 0) > Date.now()],
      ['3:30pm', -5, true],
    );
    at.fail(new Error('first'));
    at.fail(new Error('second'));
    assert.deepEqual([at.attrs.failCount, at.attrs.failReason, at.attrs.failedAt instanceof Date], [2, 'second', true]);
  });

  it('Job.run() calls the handler directly, async or with a callback, and the first error wins', async () => {
    const agenda = await make();
    const outcome = async (name: string, fn: (job: Job, done: (err?: Error) => void) => unknown): Promise<string> => {
      agenda.define(name, fn as never);
      const job = agenda.create(name, { foo: 'bar' });
      await job.save();
      const seen: string[] = [];
      agenda.on(`fail:${name}`, (err: Error) => seen.push(`fail:${err.message}`));
      agenda.on(`success:${name}`, () => seen.push('success'));
      await job.run();
      assert.equal(seen.length, 1, `one outcome for ${name}: ${seen.join(', ')}`);
      return seen[0] ?? '';
    };
    assert.equal(
      await outcome('run-async', async (job) => assert.deepEqual(job.attrs.data, { foo: 'bar' })),
      'success',
    );
    assert.equal(
      await outcome('run-throws', async () => {
        throw new Error('async failure');
      }),
      'fail:async failure',
    );
    assert.equal(await outcome('run-cb', (_job, done) => void setTimeout(() => done(), 5)), 'success');
    assert.equal(
      await outcome('run-cb-error', (_job, done) => void setTimeout(() => done(new Error('callback failure')), 5)),
      'fail:callback failure',
    );
    assert.equal(
      await outcome('run-cb-first', async (_job, done) => {
        done(new Error('callbackFailure'));
        throw new Error('functionFailure');
      }),
      'fail:callbackFailure',
    );
  });
}
