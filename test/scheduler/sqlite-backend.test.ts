// What only the SQLite backend does: its tables beside the store's in one file, owning a file it opened, locks of
// dead processes taken over at once, idle polls that never take the write lock, equality-only unique() filters,
// and loading agenda only when the scheduler is opened.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isDeadOwner, LOCK_OWNER } from '../../adapters/scheduler/agenda/lock-owner.ts';
import { SqliteBackend } from '../../adapters/scheduler/agenda/sqlite-backend.ts';
import { SchedulerError } from '../../adapters/scheduler/agenda/sqlite-codec.ts';
import type { JobParameters } from '../../adapters/scheduler/agenda/index.ts';
import { newEvent } from '../../src/domain/events.ts';
import { SqliteStore } from '../../adapters/stores/sqlite/index.ts';
import { until } from './helpers.ts';
import { runsOf, startWorker, type Worker } from './workers.ts';

const MINUTE = 60_000;
const dir = mkdtempSync(join(tmpdir(), 'solo-sqlite-backend-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const job = (name: string, extra: Partial<JobParameters> = {}): JobParameters => ({
  name,
  priority: 0,
  nextRunAt: new Date(Date.now() - 1000),
  type: 'normal',
  data: {},
  ...extra,
});
const window = () => [new Date(Date.now() + 5000), new Date(Date.now() - 10 * MINUTE), new Date()] as const;

describe('SQLite Agenda backend specifics', () => {
  let store: SqliteStore;
  let backend: SqliteBackend;
  before(async () => {
    store = new SqliteStore(join(dir, 'data'));
    await store.init();
    backend = new SqliteBackend(store.location);
    await backend.connect();
  });
  after(async () => {
    await backend.disconnect();
    await store.close();
  });

  test('its tables live in the store file beside the store, created idempotently, and the store keeps working', async () => {
    await backend.connect();
    await backend.connect();
    const tables = (
      backend.db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as {
        name: string;
      }[]
    ).map((t) => t.name);
    for (const name of ['agenda_jobs', 'events', 'runs'])
      assert.ok(tables.includes(name), `${name} in ${tables.join(', ')}`);
    const saved = await backend.repository.saveJob(job('beside-store'), undefined);
    const { event } = await store.events.append(newEvent('system.stopped', 'scheduler-probe', { reason: 'probe' }));
    assert.equal(event.seq, 1);
    assert.equal((await backend.repository.getJobById(String(saved._id)))?.name, 'beside-store');
  });

  test('a backend given a path owns the file: disconnect closes it, the next call opens it again', async () => {
    const own = new SqliteBackend(join(dir, 'own', 'jobs.db'));
    assert.equal(own.ownsConnection, true);
    await own.connect();
    await own.repository.saveJob(job('owned'), undefined);
    await own.disconnect();
    assert.deepEqual(await own.repository.getDistinctJobNames(), ['owned']);
    await own.disconnect();
    const handle = new DatabaseSync(':memory:');
    const shared = new SqliteBackend(handle);
    await shared.disconnect();
    assert.equal(handle.isOpen, true, 'a handle passed in is never closed by the backend');
    handle.close();
    await assert.rejects(
      shared.repository.getDistinctJobNames(),
      (err: unknown) => err instanceof SchedulerError && err.code === 'scheduler_store_closed',
    );
  });

  test('a lock whose owner process is gone is taken over at once; a live owner keeps it until it expires', async () => {
    const repo = backend.repository;
    const dead = await repo.saveJob(job('owners', { data: { who: 'dead' } }), undefined);
    const alive = await repo.saveJob(job('owners', { data: { who: 'alive' } }), undefined);
    const host = LOCK_OWNER.replace(/:\d+:[0-9a-f]+$/, '');
    const lockAs = (id: unknown, owner: string) =>
      backend.db
        .prepare('UPDATE agenda_jobs SET locked_at = ?, locked_by = ? WHERE id = ?')
        .run(Date.now(), owner, Number(id));
    lockAs(dead._id, `${host}:${process.pid}:00000000`);
    lockAs(alive._id, `${host}:${process.ppid}:12345678`);
    const [scan, deadline, now] = window();
    const fresh = new SqliteBackend(store.location);
    const taken = await fresh.repository.getNextJobToRun('owners', scan, deadline, now, undefined);
    assert.deepEqual(taken?.data, { who: 'dead' }, 'an earlier life of this pid (another nonce) is gone');
    assert.equal(
      await fresh.repository.getNextJobToRun('owners', scan, deadline, now, undefined),
      undefined,
      'the parent process is alive',
    );
    assert.equal(isDeadOwner(LOCK_OWNER), false);
    assert.equal(isDeadOwner(`${host}:2147483646:abcdef01`), true);
    assert.equal(isDeadOwner(`elsewhere:1:abcdef01`), false, 'a pid on another host cannot be checked');
    await fresh.disconnect();
  });

  test('an idle poll is a read: it works while another process holds the write lock', async () => {
    const other = new DatabaseSync(store.location);
    const poller = new DatabaseSync(store.location);
    poller.exec('PRAGMA busy_timeout = 0');
    const polling = new SqliteBackend(poller);
    await polling.repository.saveJob(job('idle', { nextRunAt: new Date(Date.now() + 10 * MINUTE) }), undefined);
    other.exec('BEGIN IMMEDIATE');
    try {
      const [scan, deadline, now] = window();
      assert.equal(await polling.repository.getNextJobToRun('idle', scan, deadline, now, undefined), undefined);
      await polling.repository.saveJob(job('idle-due'), undefined).then(
        () => assert.fail('a write while another holds the lock should be busy'),
        (err: unknown) =>
          assert.ok(err instanceof SchedulerError && err.retryable, 'SQLITE_BUSY is a retryable SchedulerError'),
      );
    } finally {
      other.exec('ROLLBACK');
      other.close();
      poller.close();
    }
  });

  test('unique() and data filters match by equality only; an operator is a SchedulerError, not a silent match', async () => {
    const repo = backend.repository;
    const unique = {
      name: 'ops',
      priority: 0,
      nextRunAt: new Date(),
      type: 'normal',
      data: { n: 5 },
      unique: { 'data.n': { $gt: 1 } },
    } as JobParameters;
    await assert.rejects(
      repo.saveJob(unique, undefined),
      (err: unknown) => err instanceof SchedulerError && err.code === 'scheduler_filter_unsupported',
    );
    await assert.rejects(repo.queryJobs({ data: { n: { $gt: 1 } } }), SchedulerError);
    await repo.saveJob(job('quoted', { data: { 'a.b': { 'c"d': true } } }), undefined);
    assert.equal(
      (await repo.queryJobs({ data: { 'a.b': { 'c"d': true } } })).total,
      1,
      'dots and quotes in keys are literal',
    );
  });

  test('importing the scheduler adapter loads neither agenda nor the MongoDB backend until it is used', () => {
    const index = fileURLToPath(new URL('../../adapters/scheduler/agenda/index.ts', import.meta.url));
    const script = `
      import { registerHooks } from 'node:module';
      const seen = [];
      registerHooks({ resolve(specifier, context, next) { seen.push(specifier); return next(specifier, context); } });
      const scheduler = await import(${JSON.stringify(index)});
      const before = seen.filter((s) => /^(agenda|@agendajs\\/)/.test(s));
      await scheduler.loadAgenda();
      console.log(JSON.stringify({ before, after: seen.filter((s) => s === 'agenda').length }));`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { before: [], after: 1 });
  });
});

describe('SQLite: kill -9 and restart', () => {
  const file = join(dir, 'restart.db');
  const workers: Worker[] = [];
  after(async () => {
    await Promise.all(workers.map((w) => w.kill()));
  });

  test('a job locked ahead by a killed process fires on time after a restart, without waiting out the 10-minute lock lifetime', async (t) => {
    const backend = new SqliteBackend(file);
    const saved = await backend.repository.saveJob(
      job('shared', { nextRunAt: new Date(Date.now() + 8000) }),
      undefined,
    );
    const env = { SCHEDULER_STORE: 'sqlite', SCHEDULER_LOCATION: file, WORKER_JOBS: 'shared' };
    const first = startWorker({ ...env, WORKER_NAME: 'doomed', WORKER_PROCESS_EVERY: '60000' });
    workers.push(first);
    await first.ready;
    await until(
      async () => (await backend.repository.getJobById(String(saved._id)))?.lockedAt,
      'the first process to lock it ahead',
    );
    await first.kill();
    const next = startWorker({ ...env, WORKER_NAME: 'restarted', WORKER_PROCESS_EVERY: '500' });
    workers.push(next);
    await next.ready;
    await until(() => runsOf([next]).length > 0, 'the restarted process to fire it', 30_000);
    const [run] = runsOf([next]);
    assert.deepEqual([runsOf([first]).length, run?.id], [0, String(saved._id)]);
    assert.ok(run!.at! >= saved.nextRunAt!.getTime());
    t.diagnostic(`fired ${run!.at! - saved.nextRunAt!.getTime()} ms after due (default lock lifetime: 600000 ms)`);
    await backend.disconnect();
  });
});
