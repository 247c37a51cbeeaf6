// Debounced saves (unique() + debounce()) and the backend's JobLogger: log, query with filters, clear.

import assert from 'node:assert/strict';
import type { JobLogEntry, JobLogger } from '../../adapters/scheduler/agenda/index.ts';
import { agendaMaker, delay, waitFor, type ContractContext } from './helpers.ts';

export function debounceContract(ctx: ContractContext): void {
  const { it } = ctx;
  const make = agendaMaker(ctx);
  const debounced = async (
    name: string,
    data: Record<string, unknown>,
    ms: number,
    opts?: { maxWait?: number; strategy?: 'leading' | 'trailing' },
  ) => {
    const agenda = await make({ processEvery: 50 });
    return agenda.create(name, data).unique({ 'data.key': data['key'] }).debounce(ms, opts).save();
  };

  it('trailing debounce: each save moves nextRunAt to its own time + delay, keeps the latest data, and one job', async () => {
    const before = Date.now();
    const first = await debounced('trail', { key: 't1', i: 0 }, 1000);
    const at = first.attrs.nextRunAt!.getTime();
    assert.ok(at >= before + 1000 && at <= Date.now() + 1000, 'now + delay');
    await delay(150);
    for (let i = 1; i <= 3; i++) await debounced('trail', { key: 't1', i }, 1000);
    const [job, ...more] = (await ctx.shared().repository.queryJobs({ name: 'trail' })).jobs;
    assert.equal(more.length, 0);
    assert.deepEqual(job?.data, { key: 't1', i: 3 });
    assert.ok(job.nextRunAt!.getTime() >= at + 150 && job.nextRunAt!.getTime() >= Date.now() + 900);
  });

  it('leading debounce: the first save runs now; later saves keep that time and update the data', async () => {
    const before = Date.now();
    const first = await debounced('lead', { key: 'l1', v: 'first' }, 5000, { strategy: 'leading' });
    const at = first.attrs.nextRunAt!.getTime();
    assert.ok(at >= before - 100 && at <= Date.now() + 100);
    await delay(100);
    const second = await debounced('lead', { key: 'l1', v: 'second' }, 5000, { strategy: 'leading' });
    assert.equal(second.attrs.nextRunAt!.getTime(), at);
    assert.deepEqual(second.attrs.data, { key: 'l1', v: 'second' });
  });

  it('maxWait: a save after maxWait runs it now and restarts the window; within maxWait it still debounces', async () => {
    const first = await debounced('max', { key: 'm1' }, 2000, { maxWait: 300 });
    assert.ok(first.attrs.debounceStartedAt instanceof Date);
    await delay(350);
    const forced = await debounced('max', { key: 'm1', again: true }, 2000, { maxWait: 300 });
    assert.ok(forced.attrs.nextRunAt!.getTime() <= Date.now());
    assert.equal(forced.attrs.debounceStartedAt ?? undefined, undefined);
    const a = await debounced('max', { key: 'm2' }, 500, { maxWait: 5000 });
    await delay(100);
    const b = await debounced('max', { key: 'm2', again: true }, 500, { maxWait: 5000 });
    assert.ok(b.attrs.nextRunAt!.getTime() > a.attrs.nextRunAt!.getTime());
  });

  it('maxWait: a save within maxWait never moves nextRunAt past the maxWait deadline', async () => {
    const first = await debounced('cap', { key: 'c1' }, 2000, { maxWait: 2000 });
    const deadline = first.attrs.debounceStartedAt!.getTime() + 2000;
    await delay(300);
    const second = await debounced('cap', { key: 'c1', again: true }, 2000, { maxWait: 2000 });
    assert.ok(second.attrs.nextRunAt!.getTime() <= deadline + 50);
    assert.ok(second.attrs.nextRunAt!.getTime() > Date.now());
  });

  it('debounce keys are independent, and without unique() every save is a new job', async () => {
    const one = await debounced('keys', { key: 1 }, 1000);
    const two = await debounced('keys', { key: 2 }, 1000);
    assert.notEqual(String(one.attrs._id), String(two.attrs._id));
    const agenda = await make();
    const a = await agenda.create('no-unique', { v: 1 }).debounce(1000).save();
    const b = await agenda.create('no-unique', { v: 2 }).debounce(1000).save();
    assert.notEqual(String(a.attrs._id), String(b.attrs._id));
    assert.equal((await agenda.queryJobs({ name: 'no-unique' })).total, 2);
  });

  it('a debounced job runs once, after the quiet period, with the data of the last save', async () => {
    const agenda = await make({ processEvery: 50 });
    const runs: unknown[] = [];
    agenda.define('burst', async (job) => void runs.push(job.attrs.data));
    for (let value = 1; value <= 3; value++) {
      await agenda.create('burst', { key: 'b', value }).unique({ 'data.key': 'b' }).debounce(200).save();
      await delay(30);
    }
    const completed = waitFor(agenda, 'complete:burst');
    await agenda.start();
    await completed;
    assert.deepEqual(runs, [{ key: 'b', value: 3 }]);
    assert.equal((await agenda.queryJobs({ name: 'burst' })).total, 1);
  });

  loggerContract(ctx);
}

function loggerContract({ it, shared }: ContractContext): void {
  const logger = (): JobLogger => shared().logger as JobLogger;
  const base = Date.parse('2025-06-01T12:00:00Z');
  const entry = (over: Partial<Omit<JobLogEntry, '_id'>> = {}): Omit<JobLogEntry, '_id'> => ({
    timestamp: new Date(),
    level: 'info',
    event: 'start',
    jobName: 'test-job',
    message: 'Job started',
    ...over,
  });
  const seed = async () => {
    await logger().clearLogs();
    const rows: Partial<JobLogEntry>[] = [
      { event: 'start', level: 'info', jobName: 'job-a', jobId: 'id-1', message: 'A started' },
      { event: 'success', level: 'info', jobName: 'job-a', jobId: 'id-1', message: 'A succeeded', duration: 1000 },
      { event: 'start', level: 'info', jobName: 'job-b', jobId: 'id-2', message: 'B started' },
      { event: 'fail', level: 'error', jobName: 'job-b', jobId: 'id-2', message: 'B failed', error: 'timeout' },
      {
        event: 'retry',
        level: 'warn',
        jobName: 'job-b',
        jobId: 'id-2',
        message: 'B retrying',
        retryAttempt: 1,
        retryDelay: 5000,
      },
    ];
    for (const [i, row] of rows.entries()) await logger().log(entry({ ...row, timestamp: new Date(base + i * 1000) }));
  };

  it('job logger: stores an entry with every optional field', async () => {
    await logger().clearLogs();
    await logger().log(
      entry({
        jobId: 'job-123',
        duration: 1500,
        error: 'Something went wrong',
        failCount: 3,
        retryDelay: 5000,
        retryAttempt: 2,
        agendaName: 'worker-1',
        meta: { customKey: 'customValue' },
      }),
    );
    const { total, entries } = await logger().getLogs();
    const e = entries[0]!;
    assert.equal(total, 1);
    assert.ok(e._id);
    assert.deepEqual(
      [
        e.level,
        e.event,
        e.jobName,
        e.message,
        e.jobId,
        e.duration,
        e.error,
        e.failCount,
        e.retryDelay,
        e.retryAttempt,
        e.agendaName,
        e.meta,
      ],
      [
        'info',
        'start',
        'test-job',
        'Job started',
        'job-123',
        1500,
        'Something went wrong',
        3,
        5000,
        2,
        'worker-1',
        { customKey: 'customValue' },
      ],
    );
    assert.ok(e.timestamp instanceof Date);
  });

  it('job logger: filters by job name, job id, level(s), event(s) and time range, with totals', async () => {
    await seed();
    const count = async (q: Parameters<JobLogger['getLogs']>[0]) => (await logger().getLogs(q)).total;
    assert.equal(await count(undefined), 5);
    assert.equal(await count({ jobName: 'job-a' }), 2);
    assert.equal(await count({ jobId: 'id-2' }), 3);
    assert.equal(await count({ level: 'error' }), 1);
    assert.equal(await count({ level: ['error', 'warn'] }), 2);
    assert.equal(await count({ event: 'start' }), 2);
    assert.equal(await count({ event: ['fail', 'retry'] }), 2);
    assert.equal(await count({ from: new Date(base + 3000) }), 2);
    assert.equal(await count({ to: new Date(base + 1000) }), 2);
    assert.equal(await count({ from: new Date(base + 1000), to: new Date(base + 3000) }), 3);
    assert.equal(await count({ jobName: 'nonexistent' }), 0);
  });

  it('job logger: pages with limit/offset, newest first unless asked, and clears all or by filter', async () => {
    await seed();
    const limited = await logger().getLogs({ limit: 2 });
    assert.deepEqual([limited.entries.length, limited.total], [2, 5]);
    const page1 = await logger().getLogs({ limit: 2, offset: 0, sort: 'asc' });
    const page2 = await logger().getLogs({ limit: 2, offset: 2, sort: 'asc' });
    assert.deepEqual(
      [...page1.entries, ...page2.entries].map((e) => e.message),
      ['A started', 'A succeeded', 'B started', 'B failed'],
    );
    assert.deepEqual(
      (await logger().getLogs()).entries.map((e) => e.timestamp.getTime() - base),
      [4000, 3000, 2000, 1000, 0],
    );
    assert.equal(await logger().clearLogs({ jobName: 'nonexistent' }), 0);
    assert.equal(await logger().clearLogs({ jobName: 'job-a' }), 2);
    assert.equal(await logger().clearLogs(), 3);
    assert.equal((await logger().getLogs()).total, 0);
  });
}
