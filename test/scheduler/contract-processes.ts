// Several Agendas on one store: in one process and in real child processes (test/scheduler/fixtures/worker.ts),
// a process killed with kill -9 while holding a lock or running a job, and Agenda's fork mode.

import assert from 'node:assert/strict';
import { afterEach } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Agenda, Job } from '../../adapters/scheduler/agenda/index.ts';
import { agendaMaker, delay, gateMaker, until, waitFor, type ContractContext } from './helpers.ts';
import defineForkedJob from './fixtures/definitions.ts';
import { runsOf, startWorker, type Worker } from './workers.ts';

/** Enough for two worker start-ups (about 1 s each here, more under load) before the job is due. */
const LOCKED_AHEAD_MS = 8000;
const FORK_HELPER = fileURLToPath(new URL('./fixtures/fork-helper.ts', import.meta.url));

export function processContract(ctx: ContractContext): void {
  const { it, target } = ctx;
  const make = agendaMaker(ctx);
  const gate = gateMaker();
  const workers: Worker[] = [];
  const worker = async (name: string, env: Record<string, string> = {}) => {
    const w = startWorker({ ...target.workerEnv(), WORKER_NAME: name, WORKER_JOBS: 'shared', ...env });
    workers.push(w);
    await w.ready;
    return w;
  };
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.kill()));
  });
  const save = (data: Record<string, unknown>, due: Date) =>
    ctx.shared().repository.saveJob({ name: 'shared', priority: 0, nextRunAt: due, type: 'normal', data }, undefined);

  it('fork mode runs a job in a child process and records success, a thrown error, or the child dying', async () => {
    // The child starts Node, opens the store and runs the job inside the parent's lock lifetime.
    const agenda = await make({
      defaultLockLifetime: 8000,
      forkHelper: { path: FORK_HELPER, options: { env: { ...process.env, ...target.workerEnv() }, execArgv: [] } },
    });
    defineForkedJob(agenda);
    await agenda.start();
    const outcome = async (data: Record<string, unknown>) => {
      const completed = waitFor(agenda, 'complete:forked job', 1, 30_000);
      const job = agenda.create('forked job', data).forkMode(true).schedule('now');
      await job.save();
      assert.equal((await ctx.shared().repository.getJobById(String(job.attrs._id)))?.fork, true);
      await completed;
      return ctx.shared().repository.getJobById(String(job.attrs._id));
    };
    const ok = await outcome({});
    assert.ok(ok?.lastFinishedAt);
    assert.deepEqual([ok.failReason, ok.failCount], [undefined, undefined]);
    const thrown = await outcome({ failIt: 'error' });
    assert.deepEqual([thrown?.failReason, thrown?.failCount], ['intended failure in the child', 1]);
    const died = await outcome({ failIt: 'die' });
    assert.deepEqual([died?.failReason, died?.failCount], ['child process exited with code: 3', 1]);
  });

  it('two Agendas in one process on one store run each job exactly once', async () => {
    const [a, b] = [
      await make({ processEvery: 50 }),
      await make({ processEvery: 50, backend: await target.backend() }),
    ] as Agenda[];
    const runs: string[] = [];
    for (const agenda of [a!, b!]) agenda.define('shared', async (job: Job) => void runs.push(String(job.attrs._id)));
    await a!.start();
    await b!.start();
    for (let i = 0; i < 30; i++) await save({ i }, new Date(Date.now() + i * 20));
    await until(() => runs.length >= 30, '30 runs');
    await delay(300);
    assert.equal(runs.length, 30);
    assert.equal(new Set(runs).size, 30);
  });

  it('two real processes on one store run each job exactly once', async () => {
    const ws = await Promise.all([
      worker('w1', { WORKER_PROCESS_EVERY: '50' }),
      worker('w2', { WORKER_PROCESS_EVERY: '50' }),
    ]);
    for (let i = 0; i < 40; i++) await save({ i }, new Date(Date.now() + 200 + i * 25));
    await until(() => runsOf(ws).length >= 40, '40 runs across both workers');
    await delay(500);
    const ids = runsOf(ws).map((r) => r.id);
    assert.equal(ids.length, 40);
    assert.equal(new Set(ids).size, 40);
    await Promise.all(ws.map((w) => w.stop()));
    assert.ok(
      ws.every((w) => w.child.exitCode === 0),
      'SIGTERM stops a worker cleanly',
    );
  });

  it('a job locked ahead by a process killed with kill -9 runs once, in the next process', async (t) => {
    // Saved before the first process starts, so its first poll (processEvery 60 s) locks it well ahead of time.
    const job = await save({ kind: 'locked-ahead' }, new Date(Date.now() + LOCKED_AHEAD_MS));
    const first = await worker('doomed', { WORKER_PROCESS_EVERY: '60000' });
    await until(
      async () => (await ctx.shared().repository.getJobById(String(job._id)))?.lockedAt,
      'the first process to lock the job',
    );
    await first.kill();
    const next = await worker('restarted', { WORKER_PROCESS_EVERY: '100', WORKER_LOCK_LIFETIME: '1000' });
    await until(() => runsOf([next]).length >= 1, 'the restarted process to run it', LOCKED_AHEAD_MS + 15_000);
    await delay(300);
    assert.deepEqual(runsOf([first]), [], 'the killed process never ran it');
    const runs = runsOf([next]);
    assert.deepEqual(
      runs.map((r) => r.id),
      [String(job._id)],
    );
    assert.ok(runs[0]!.at! >= job.nextRunAt!.getTime(), 'not before it was due');
    t.diagnostic(`ran ${runs[0]!.at! - job.nextRunAt!.getTime()} ms after due`);
  });

  it('a job whose process died while running it is run again by another process after the lock lifetime', async () => {
    const first = await worker('dies-mid-run', { WORKER_HOLD: 'forever', WORKER_PROCESS_EVERY: '50' });
    const job = await save({ kind: 'mid-run' }, new Date());
    await until(() => runsOf([first]).length === 1, 'the first run to start');
    await first.kill();
    const next = await worker('takes-over', { WORKER_PROCESS_EVERY: '100', WORKER_LOCK_LIFETIME: '1000' });
    await until(() => runsOf([next]).length >= 1, 'the second process to run it');
    assert.deepEqual(
      runsOf([next]).map((r) => r.id),
      [String(job._id)],
    );
  });

  it('a lock held by a live Agenda is taken over by another only once it is older than the lock lifetime', async () => {
    const holder = await make({ defaultLockLifetime: 3000 });
    holder.define('stuck', () => gate.wait());
    const started = waitFor(holder, 'start:stuck');
    await holder.start();
    const job = await holder.now('stuck');
    await started;
    const lockedAt = (await ctx.shared().repository.getJobById(String(job.attrs._id)))!.lockedAt!.getTime();
    const other = await make({ backend: await target.backend(), defaultLockLifetime: 800 });
    const takenAt: number[] = [];
    other.define('stuck', async () => void takenAt.push(Date.now()));
    const done = waitFor(other, 'complete:stuck');
    await other.start();
    await done;
    assert.equal(takenAt.length, 1);
    assert.ok(takenAt[0]! >= lockedAt + 800, 'not before the lock expired');
  });
}
