// The scheduler port (adapters/scheduler/agenda/scheduler.ts) on a real store, in real time with short delays: saving
// and finding jobs by key, a due job's handler deciding the next due time, pause surviving a restart, a handler
// that throws tried again with the same due time, and stop() with a handler in flight. Runs on SQLite and on the
// MongoDB backend (a real server with MONGODB_URI, else the test-only CongoDB emulator, which is not MongoDB).

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { AgendaScheduler } from '../../adapters/scheduler/agenda/scheduler.ts';
import type { SchedulerStore } from '../../adapters/scheduler/agenda/index.ts';
import type { JobHandler, ScheduledJob } from '../../src/ports/scheduler.ts';
import { tempDir } from '../support/app.ts';
import { delay, until } from './helpers.ts';

interface Emulator {
  uri: string;
  stop: () => Promise<void>;
}

const targets: { name: string; store: () => Promise<SchedulerStore>; teardown?: () => Promise<void> }[] = [
  { name: 'sqlite', store: async () => ({ kind: 'sqlite', database: join(tempDir('solo-port-'), 'solo.db') }) },
];
let emulator: Emulator | undefined;
targets.push({
  name: process.env['MONGODB_URI']
    ? 'mongodb (MONGODB_URI)'
    : 'mongodb wire protocol via the CongoDB emulator (test-only, not MongoDB)',
  store: async () => {
    let base = process.env['MONGODB_URI'];
    if (!base) {
      const emulatorModule = '../mongo-emulator/start.mjs';
      const { startEmulator } = (await import(emulatorModule)) as { startEmulator: () => Promise<Emulator> };
      emulator ??= await startEmulator();
      base = emulator.uri;
    }
    const [address = base, query] = base.split('?');
    const server = address.replace(/^(mongodb(?:\+srv)?:\/\/[^/]+).*$/, '$1');
    return { kind: 'mongodb', uri: `${server}/solo_port_${randomBytes(4).toString('hex')}${query ? `?${query}` : ''}` };
  },
  teardown: async () => emulator?.stop(),
});

const logger = pino({ level: 'silent' });

for (const target of targets) {
  describe(`the scheduler port on ${target.name}`, () => {
    let store: SchedulerStore;
    const made: AgendaScheduler[] = [];
    const scheduler = (options: { retryMs?: number; stopWaitMs?: number } = {}) => {
      const s = new AgendaScheduler({ store, logger, pollMs: 100, lockLifetimeMs: 2000, ...options });
      made.push(s);
      return s;
    };
    before(async () => {
      store = await target.store();
    });
    after(async () => {
      await Promise.all(made.map((s) => s.stop()));
      await target.teardown?.();
    });

    test('save, get, list (soonest first), count, pause, remove; a save keeps paused and onlyNew keeps what exists', async () => {
      const s = scheduler();
      const soon = new Date(Date.now() + 3_600_000);
      const later = new Date(Date.now() + 7_200_000);
      assert.equal((await s.save('note', 'b', { due: later, data: { n: 2 } })).created, true);
      assert.equal((await s.save('note', 'a', { due: soon, data: { n: 1 } })).created, true);
      assert.deepEqual(
        (await s.list<{ n: number }>('note')).map((j) => [j.key, j.data.n, j.due?.getTime()]),
        [
          ['a', 1, soon.getTime()],
          ['b', 2, later.getTime()],
        ],
      );
      assert.equal(await s.setPaused('note', 'a', true), true);
      assert.equal(await s.setPaused('note', 'a', true), false, 'already paused');
      const again = await s.save('note', 'a', { due: later, data: { n: 3 } });
      assert.deepEqual(
        [again.created, again.job.paused, again.job.data, again.job.due?.getTime()],
        [false, true, { n: 3 }, later.getTime()],
      );
      const kept = await s.save('note', 'a', { due: soon, data: { n: 4 } }, { onlyNew: true });
      assert.deepEqual([kept.created, kept.job.data], [false, { n: 3 }]);
      assert.deepEqual(await s.count('note'), { total: 2, paused: 1 });
      assert.equal(await s.remove('note', 'b'), true);
      assert.equal(await s.remove('note', 'b'), false);
      assert.equal(await s.get('note', 'b'), undefined);
      assert.equal((await s.get<{ n: number }>('note', 'a'))?.data.n, 3);
    });

    test("a due job runs its handler once with its due time; the handler's answer is the next due time and data; null ends it", async () => {
      const s = scheduler();
      const seen: ScheduledJob<{ round: number }>[] = [];
      s.define<{ round: number }>('tick', async (job) => {
        seen.push(job);
        return job.data.round < 2
          ? { due: new Date(Date.now() + 200), data: { round: job.data.round + 1 } }
          : { due: null, data: job.data };
      });
      await s.start();
      const due = new Date(Date.now() + 300);
      await s.save('tick', 'only', { due, data: { round: 1 } });
      await until(
        async () => seen.length === 2 && (await s.get('tick', 'only')) === undefined,
        'two rounds, then the job removed',
      );
      await delay(400);
      assert.deepEqual(
        seen.map((j) => [j.key, j.data.round]),
        [
          ['only', 1],
          ['only', 2],
        ],
      );
      assert.equal(seen[0]?.due?.getTime(), due.getTime(), 'the handler sees the due time it fires for');
    });

    test('a paused job is not run, and is still paused after a restart; resumed, it runs', async () => {
      const first = scheduler();
      const runs: string[] = [];
      const handler: JobHandler<unknown> = async (job) => (runs.push(job.key), { due: null, data: job.data });
      first.define('paused', handler);
      await first.start();
      await first.save('paused', 'p', { due: new Date(Date.now() + 2000), data: {} });
      await first.setPaused('paused', 'p', true);
      await first.stop();
      const second = scheduler();
      second.define('paused', handler);
      await second.start();
      await delay(2600);
      assert.deepEqual(runs, []);
      assert.equal((await second.get('paused', 'p'))?.paused, true);
      await second.setPaused('paused', 'p', false);
      await until(() => runs.length === 1, 'the resumed job to run');
    });

    test("a save of the job made while its handler runs wins over the handler's answer", async () => {
      const s = scheduler();
      const runs: string[] = [];
      s.define<{ step: string }>('wake', async (job) => {
        runs.push(job.data.step);
        // e.g. quiet hours still on: the release asks to be woken again while it runs.
        if (job.data.step === 'first')
          await s.save('wake', 'w', { due: new Date(Date.now() + 300), data: { step: 'second' } });
        return { due: null, data: job.data };
      });
      await s.start();
      await s.save('wake', 'w', { due: new Date(Date.now() + 100), data: { step: 'first' } });
      await until(() => runs.length === 2, 'the job to run again at the time saved during its first run');
      assert.deepEqual(runs, ['first', 'second']);
      await until(async () => (await s.get('wake', 'w')) === undefined, 'the job to end after its second run');
    });

    test('a handler that throws is tried again later with the same due time and data', async () => {
      const s = scheduler({ retryMs: 300 });
      const attempts: number[] = [];
      s.define<{ v: number }>('flaky', async (job) => {
        attempts.push(job.due!.getTime());
        if (attempts.length === 1) throw new Error('the store was busy');
        return { due: null, data: job.data };
      });
      await s.start();
      const due = new Date(Date.now() + 200);
      await s.save('flaky', 'f', { due, data: { v: 1 } });
      await until(() => attempts.length === 2, 'the second attempt');
      assert.deepEqual(attempts, [due.getTime(), due.getTime()]);
    });

    test('stop() waits a bounded time for a handler in flight', async () => {
      const s = scheduler({ stopWaitMs: 300 });
      let started = false;
      s.define('slow', async (job) => {
        started = true;
        await new Promise(() => undefined);
        return { due: null, data: job.data };
      });
      await s.start();
      await s.save('slow', 's', { due: new Date(), data: {} });
      await until(() => started, 'the slow handler to start');
      const t0 = Date.now();
      await s.stop();
      assert.ok(Date.now() - t0 < 5000, 'stop did not wait for the handler');
      assert.equal(s.state().status, 'stopped');
    });
  });
}
