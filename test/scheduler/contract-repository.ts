// The JobRepository part of the scheduler contract: what each method returns for each case, with the MongoDB
// backend's semantics as the reference (ids, upserts, sorting, the nextRunAt/lockedAt rules, disabled).

import assert from 'node:assert/strict';
import type { JobParameters, JobRepository } from '../../adapters/scheduler/agenda/index.ts';
import type { ContractContext } from './helpers.ts';

const MINUTE = 60_000;
const job = (name: string, extra: Partial<JobParameters> = {}): JobParameters => ({
  name,
  priority: 0,
  nextRunAt: new Date(Date.now() - 1000),
  type: 'normal',
  data: {},
  ...extra,
});
const id = (j: JobParameters): string => String(j._id);
const scanWindow = () => {
  const now = new Date();
  return [new Date(now.getTime() + 5000), new Date(now.getTime() - 10 * MINUTE), now] as const;
};

export function repositoryContract({ it, shared, target }: ContractContext): void {
  const repo = (): JobRepository => shared().repository;
  const save = (j: JobParameters, by?: string) => repo().saveJob(j, by ? { lastModifiedBy: by } : undefined);

  it('saveJob inserts a new job with an id and keeps its fields, Dates inside data too', async () => {
    const when = new Date('2027-03-01T10:00:00.000Z');
    const saved = await save(
      job('save-new', { priority: 10, data: { foo: 'bar', nested: { n: 1 }, when, list: [1, 'a'] } }),
      'tester',
    );
    assert.ok(saved._id);
    assert.deepEqual(
      [saved.name, saved.priority, saved.type, saved.lastModifiedBy],
      ['save-new', 10, 'normal', 'tester'],
    );
    const back = await repo().getJobById(id(saved));
    assert.deepEqual(back?.data, { foo: 'bar', nested: { n: 1 }, when, list: [1, 'a'] });
    assert.ok((back?.data as { when: unknown }).when instanceof Date);
  });

  it('saveJob with an id updates that job', async () => {
    const saved = await save(job('save-update', { priority: 5, data: { version: 1 } }));
    const updated = await save({ ...saved, priority: 20, data: { version: 2 } });
    assert.equal(id(updated), id(saved));
    assert.deepEqual([updated.priority, updated.data], [20, { version: 2 }]);
    assert.equal((await repo().queryJobs({ name: 'save-update' })).total, 1);
  });

  it('saveJob of a job removed meanwhile gives the caller its data back and creates nothing', async () => {
    const saved = await save(job('save-removed'));
    await repo().removeJobs({ id: id(saved) });
    const again = await save({ ...saved, priority: 7 });
    assert.equal(again.priority, 7);
    assert.equal((await repo().queryJobs({ name: 'save-removed' })).total, 0);
  });

  it("saveJob of a 'single' job upserts by name", async () => {
    const first = await save(
      job('single-job', { type: 'single', priority: 5, nextRunAt: new Date(Date.now() + MINUTE), data: { run: 1 } }),
    );
    const second = await save(
      job('single-job', {
        type: 'single',
        priority: 10,
        nextRunAt: new Date(Date.now() + 2 * MINUTE),
        data: { run: 2 },
      }),
    );
    assert.equal(id(second), id(first));
    assert.deepEqual([second.priority, second.data], [10, { run: 2 }]);
    assert.equal((await repo().queryJobs({ name: 'single-job' })).total, 1);
  });

  it("saveJob of a 'single' job keeps the stored nextRunAt when the new one is already due", async () => {
    const stored = new Date(Date.now() + 5 * MINUTE);
    await save(job('single-protect', { type: 'single', nextRunAt: stored }));
    const again = await save(
      job('single-protect', { type: 'single', nextRunAt: new Date(Date.now() - 1000), data: { again: true } }),
    );
    assert.equal(again.nextRunAt?.getTime(), stored.getTime());
    assert.deepEqual(again.data, { again: true });
  });

  it('saveJob keeps the disabled flag', async () => {
    const saved = await save(job('save-disabled', { disabled: true }));
    assert.equal(saved.disabled, true);
    assert.equal((await repo().getJobById(id(saved)))?.disabled, true);
  });

  it('saveJob does not release the lock of a job that is running', async () => {
    const saved = await save(job('save-keeps-lock'));
    const locked = await repo().lockJob(saved, undefined);
    assert.ok(locked?.lockedAt);
    await save({ ...saved, priority: 3 });
    assert.ok((await repo().getJobById(id(saved)))?.lockedAt, 'lockedAt survived the save');
  });

  it('getJobById finds a job and answers null once it is removed', async () => {
    const saved = await save(job('by-id', { data: { key: 'value' } }));
    const found = await repo().getJobById(id(saved));
    assert.deepEqual([found?._id, found?.name, found?.data], [saved._id, 'by-id', { key: 'value' }]);
    await repo().removeJobs({ id: id(saved) });
    assert.equal(await repo().getJobById(id(saved)), null);
  });

  it('queryJobs filters by name, names, search, id, ids, data and disabled, with skip/limit and a total', async () => {
    const a1 = await save(
      job('job-a', {
        priority: 10,
        nextRunAt: new Date(Date.now() + MINUTE),
        data: { type: 'alpha', count: 1, tags: { x: 'y' } },
      }),
    );
    const b = await save(
      job('job-b', { priority: 5, nextRunAt: new Date(Date.now() + 2 * MINUTE), data: { type: 'beta', count: 2 } }),
    );
    await save(
      job('job-a', { priority: 15, nextRunAt: new Date(Date.now() + 3 * MINUTE), data: { type: 'alpha', count: 3 } }),
    );
    await save(job('Other-JOB', { disabled: true, data: { type: 'alpha', count: '1' } }));
    const names = async (o: Parameters<JobRepository['queryJobs']>[0]) =>
      (await repo().queryJobs(o)).jobs.map((j) => j.name).sort();
    assert.equal((await repo().queryJobs()).total, 4);
    assert.deepEqual(await names({ name: 'job-a' }), ['job-a', 'job-a']);
    assert.deepEqual(await names({ names: ['job-a', 'job-b'] }), ['job-a', 'job-a', 'job-b']);
    assert.deepEqual(
      await names({ search: 'other-j' }),
      ['Other-JOB'],
      'search is a case-insensitive substring of the name',
    );
    assert.deepEqual(await names({ id: id(b) }), ['job-b']);
    assert.deepEqual(await names({ ids: [id(a1), id(b)] }), ['job-a', 'job-b']);
    assert.deepEqual(
      await names({ data: { type: 'alpha', count: 1 } }),
      ['job-a'],
      'data is a partial, type-exact match',
    );
    assert.deepEqual(await names({ data: { tags: { x: 'y' } } }), ['job-a'], 'nested objects match field by field');
    assert.deepEqual(await names({ includeDisabled: false }), ['job-a', 'job-a', 'job-b']);
    const page = await repo().queryJobs({ skip: 1, limit: 2 });
    assert.deepEqual([page.jobs.length, page.total], [2, 4]);
  });

  it('queryJobs sorts as asked (nextRunAt then lastRunAt, newest first, by default) and filters by computed state', async () => {
    await save(job('state', { nextRunAt: new Date(Date.now() + MINUTE), priority: 1 }));
    await save(job('state', { nextRunAt: new Date(Date.now() - MINUTE), priority: 3 }));
    await save(job('state', { nextRunAt: new Date(Date.now() + 2 * MINUTE), priority: 2, disabled: true }));
    const order = async (sort?: Record<string, 'asc' | 'desc'>) =>
      (await repo().queryJobs({ name: 'state', ...(sort ? { sort } : {}) })).jobs.map((j) => j.priority);
    assert.deepEqual(await order(), [2, 1, 3]);
    assert.deepEqual(await order({ priority: 'desc' }), [3, 2, 1]);
    assert.deepEqual(await order({ nextRunAt: 'asc' }), [3, 1, 2]);
    const scheduled = await repo().queryJobs({ name: 'state', state: 'scheduled', limit: 1 });
    assert.deepEqual([scheduled.total, scheduled.jobs.length, scheduled.jobs[0]?.state], [2, 1, 'scheduled']);
    assert.deepEqual(
      (await repo().queryJobs({ name: 'state', state: 'queued' })).jobs.map((j) => j.priority),
      [3],
    );
    assert.deepEqual(
      (await repo().queryJobs({ name: 'state', state: 'paused' })).jobs.map((j) => j.priority),
      [2],
    );
  });

  it('removeJobs removes by name, id, ids, notNames and data, counts them, and removes nothing without criteria', async () => {
    const [r1, r2] = [await save(job('rm')), await save(job('rm', { data: { k: 1 } }))];
    const keep = await save(job('keep'));
    const other = await save(job('other'));
    assert.equal(await repo().removeJobs({}), 0);
    assert.equal(await repo().removeJobs({ name: 'absent' }), 0);
    assert.equal(await repo().removeJobs({ data: { k: 1 } }), 1);
    assert.equal(await repo().getJobById(id(r2)), null);
    assert.equal(await repo().removeJobs({ id: id(r1) }), 1);
    assert.equal(await repo().removeJobs({ notNames: ['keep'] }), 1, 'notNames removes every other name');
    assert.equal(await repo().getJobById(id(other)), null);
    const more = [await save(job('m1')), await save(job('m2'))];
    assert.equal(await repo().removeJobs({ ids: more.map(id) }), 2);
    assert.deepEqual(
      (await repo().queryJobs()).jobs.map((j) => j._id),
      [keep._id],
    );
  });

  it('getDistinctJobNames lists each name once, and nothing for an empty store', async () => {
    assert.deepEqual(await repo().getDistinctJobNames(), []);
    for (const name of ['name-a', 'name-b', 'name-a']) await save(job(name));
    assert.deepEqual((await repo().getDistinctJobNames()).sort(), ['name-a', 'name-b']);
  });

  it('getQueueSize counts the jobs already due', async () => {
    assert.equal(await repo().getQueueSize(), 0);
    await save(job('due-1', { nextRunAt: new Date(Date.now() - MINUTE) }));
    await save(job('due-2', { nextRunAt: new Date(Date.now() - 30_000) }));
    await save(job('later', { nextRunAt: new Date(Date.now() + MINUTE) }));
    await save(job('done', { nextRunAt: null }));
    assert.equal(await repo().getQueueSize(), 2);
  });

  it('lockJob locks once, only at the nextRunAt it was read with, and never a disabled job', async () => {
    const saved = await save(job('lock'));
    const locked = await repo().lockJob(saved, { lastModifiedBy: 'worker-1' });
    assert.ok(locked?.lockedAt instanceof Date);
    assert.deepEqual([locked._id, locked.lastModifiedBy], [saved._id, 'worker-1']);
    assert.equal(await repo().lockJob(saved, undefined), undefined, 'already locked');
    const moved = await save(job('lock-moved'));
    await save({ ...moved, nextRunAt: new Date(Date.now() + MINUTE) });
    assert.equal(await repo().lockJob(moved, undefined), undefined, 'nextRunAt changed since it was read');
    const off = await save(job('lock-disabled', { disabled: true }));
    assert.equal(await repo().lockJob(off, undefined), undefined);
  });

  it('unlockJob releases a scheduled job but not one whose run already cleared nextRunAt; unlockJobs releases both', async () => {
    const a = await repo().lockJob(await save(job('unlock-a')), undefined);
    const b = await repo().lockJob(await save(job('unlock-b')), undefined);
    assert.ok(a && b);
    await repo().unlockJob(a);
    assert.equal((await repo().getJobById(id(a)))?.lockedAt, undefined);
    await repo().saveJobState({ ...b, nextRunAt: null }, undefined);
    await repo().unlockJob(b);
    assert.ok((await repo().getJobById(id(b)))?.lockedAt, 'a one-off job that started keeps its lock');
    await repo().lockJob(a, undefined);
    await repo().unlockJobs([id(a), id(b)]);
    for (const j of [a, b]) assert.equal((await repo().getJobById(id(j)))?.lockedAt, undefined);
  });

  it('getNextJobToRun locks the earliest due job, higher priority first, and skips disabled, locked and later ones', async () => {
    const same = new Date(Date.now() - MINUTE);
    await save(job('next', { priority: 5, nextRunAt: same, data: { p: 'low' } }));
    await save(job('next', { priority: 10, nextRunAt: same, data: { p: 'high' } }));
    await save(job('next', { priority: 99, nextRunAt: new Date(Date.now() - 10_000), data: { p: 'later' } }));
    await save(job('next', { priority: 100, nextRunAt: new Date(Date.now() - 2 * MINUTE), disabled: true }));
    await save(job('next', { priority: 100, nextRunAt: new Date(Date.now() + MINUTE) }));
    const [scan, deadline, now] = scanWindow();
    const order: unknown[] = [];
    for (let i = 0; i < 4; i++) {
      const next = await repo().getNextJobToRun('next', scan, deadline, now, { lastModifiedBy: 'w' });
      if (next) assert.ok(next.lockedAt && next.lastModifiedBy === 'w');
      order.push(next ? (next.data as { p: string }).p : undefined);
    }
    assert.deepEqual(order, ['high', 'low', 'later', undefined]);
  });

  it('getNextJobToRun takes a job due before the next scan, and one whose lock is older than the lock deadline', async () => {
    await save(job('window', { nextRunAt: new Date(Date.now() + 2000) }));
    const [scan, deadline, now] = scanWindow();
    const soon = await repo().getNextJobToRun('window', scan, deadline, now, undefined);
    assert.ok(soon, 'due within the scan window');
    const stale = await save(job('stale'));
    await repo().saveJobState({ ...stale, lockedAt: new Date(Date.now() - 11 * MINUTE), nextRunAt: null }, undefined);
    const fresh = await save(job('stale', { data: { fresh: true } }));
    await repo().lockJob(fresh, undefined);
    const taken = await repo().getNextJobToRun('stale', scan, deadline, now, undefined);
    assert.equal(taken?._id, stale._id, 'an expired lock is taken over, even of a job whose nextRunAt was cleared');
    assert.equal(
      await repo().getNextJobToRun('stale', scan, deadline, now, undefined),
      undefined,
      'the fresh lock holds',
    );
  });

  it('saveJobState writes the run fields, clears the lock, and fails for a job that no longer exists', async () => {
    const saved = await save(job('state-save'));
    const locked = await repo().lockJob(saved, undefined);
    assert.ok(locked);
    const at = new Date();
    const { lockedAt: _held, ...unlocked } = locked;
    await repo().saveJobState(
      {
        ...unlocked,
        lastRunAt: at,
        lastFinishedAt: at,
        progress: 50,
        failCount: 1,
        failReason: 'Test error',
        failedAt: at,
      },
      undefined,
    );
    const back = await repo().getJobById(id(saved));
    assert.deepEqual(
      [
        back?.lockedAt,
        back?.lastRunAt?.getTime(),
        back?.lastFinishedAt?.getTime(),
        back?.progress,
        back?.failCount,
        back?.failReason,
        back?.failedAt?.getTime(),
      ],
      [undefined, at.getTime(), at.getTime(), 50, 1, 'Test error', at.getTime()],
    );
    await repo().removeJobs({ id: id(saved) });
    await assert.rejects(repo().saveJobState({ ...locked }, undefined), /cannot be updated/);
  });

  it('disableJobs/enableJobs count the jobs whose flag changed, and do nothing without criteria', async () => {
    await save(job('flag'));
    await save(job('flag', { disabled: true }));
    assert.equal(await repo().disableJobs({}), 0);
    assert.equal(await repo().disableJobs({ name: 'flag' }), 1);
    assert.equal(await repo().disableJobs({ name: 'flag' }), 0);
    assert.equal(await repo().enableJobs({ name: 'flag' }), 2);
    assert.deepEqual(
      (await repo().queryJobs({ name: 'flag' })).jobs.map((j) => j.disabled),
      [false, false],
    );
  });

  it('purgeAllJobs removes every job and counts them', async () => {
    await save(job('p1'));
    await save(job('p2'));
    assert.equal(await repo().purgeAllJobs(), 2);
    assert.equal((await repo().queryJobs()).total, 0);
  });

  it('getJobsOverview counts each name by state', async () => {
    await save(job('overview', { nextRunAt: new Date(Date.now() + MINUTE) }));
    await save(job('overview', { nextRunAt: null, lastFinishedAt: new Date() }));
    await save(job('overview', { nextRunAt: new Date(Date.now() + MINUTE), disabled: true }));
    await save(job('overview-other'));
    const overview = await repo().getJobsOverview();
    const mine = overview.find((o) => o.name === 'overview');
    assert.deepEqual([mine?.total, mine?.scheduled, mine?.completed, mine?.paused], [3, 2, 1, 1]);
    assert.equal(overview.find((o) => o.name === 'overview-other')?.queued, 1);
  });

  it('two backends on one store racing for 10 due jobs lock each exactly once', async () => {
    for (let i = 0; i < 10; i++) await save(job('race', { data: { i } }));
    const [scan, deadline, now] = scanWindow();
    const other = await target.backend();
    await other.connect();
    const racers = [repo(), other.repository];
    const got = await Promise.all(
      Array.from({ length: 30 }, (_, i) => racers[i % 2]!.getNextJobToRun('race', scan, deadline, now, undefined)),
    );
    await other.disconnect();
    const ids = got.filter((j) => j !== undefined).map(id);
    assert.equal(ids.length, 10);
    assert.equal(new Set(ids).size, 10);
  });
}
