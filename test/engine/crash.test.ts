// The engine's promise under fire: a child process runs many workflows with approvals and effectful steps
// against a connector fake that counts effects by idempotency key; it is SIGKILLed at random points (≥ 50
// times) and restarted while approvals are being tapped. At the end every run finished exactly once and every
// effect happened exactly once.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SqliteStore } from '../../adapters/stores/sqlite/index.ts';
import { api, tempDir } from '../support/app.ts';
import { killHard, startProcess, type Started } from '../support/process.ts';
import { startEffectsFake } from './effects-fake.ts';
import { prng } from '../support/prng.ts';

const CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
const RUNS = 24;
const KILLS = Number(process.env['CRASH_KILLS'] ?? 50);

const start = (proc: Started, n: number) =>
  api(proc.url, 'POST', '/api/messages', { text: `/crashflow job${n}`, id: `crash-${n}` });

async function approveAll(proc: Started): Promise<number> {
  const cards = await api(proc.url, 'POST', '/api/messages', { text: '/approvals' });
  const approves = (cards.body.messages ?? []).flatMap((m) => m.buttons.filter((b) => b.label === 'Approve'));
  await Promise.allSettled(approves.map((b) => api(proc.url, 'POST', `/api/buttons/${encodeURIComponent(b.id)}`)));
  return approves.length;
}

test(
  `every run finishes once and every effect happens once across ${KILLS} SIGKILLs`,
  { timeout: 240_000 },
  async (t) => {
    const seed = Number(process.env['CRASH_SEED'] ?? Date.now() % 1_000_000);
    t.diagnostic(`CRASH_SEED=${seed}`);
    const random = prng(seed);
    const fake = await startEffectsFake();
    const env = { DATA_DIR: tempDir('solo-crash-'), CONNECTOR_URL: fake.url, RATE_LIMIT_PER_MINUTE: '0' };
    try {
      for (let kill = 0; kill < KILLS; kill++) {
        const proc = await startProcess(env, 20_000, CHILD);
        // Work in flight when the kill lands: new runs, redelivered starts, and taps on Approve buttons.
        // Their failures are expected (the process dies under them): handled at once, never left unhandled.
        const inFlight: Promise<unknown>[] = [];
        for (let i = 0; i < 3; i++) inFlight.push(start(proc, Math.floor(random() * RUNS)).catch(() => undefined));
        inFlight.push(approveAll(proc).catch(() => undefined));
        await new Promise((r) => setTimeout(r, random() * 250));
        await killHard(proc.child);
        await Promise.allSettled(inFlight);
      }

      // No more kills: make sure every run exists, then approve until nothing is left.
      const proc = await startProcess(env, 20_000, CHILD);
      for (let n = 0; n < RUNS; n++) assert.ok([200, 429].includes((await start(proc, n)).status));
      const store = new SqliteStore(env.DATA_DIR);
      await store.init();
      let finished = 0;
      for (let round = 0; round < 100 && finished < RUNS; round++) {
        await approveAll(proc);
        await new Promise((r) => setTimeout(r, 100));
        finished = (await store.runs.list({ statuses: ['completed'], limit: 1000 })).length;
      }
      const stopped = new Promise((r) => proc.child.once('exit', r));
      proc.child.kill('SIGTERM');
      await stopped;

      const runs = await store.runs.list({ limit: 1000 });
      assert.equal(runs.length, RUNS, 'one run per started job, however often its start was redelivered');
      for (const run of runs) {
        assert.equal(
          run.status,
          'completed',
          `${run.id}: ${run.status} ${JSON.stringify(run.review ?? run.error ?? '')}`,
        );
        assert.equal((run.result as { status?: string }).status, 'done');
        const finishedEvents = await store.events.readStream(`run:${run.id}`, { types: ['run.finished'] });
        assert.equal(finishedEvents.length, 1, `${run.id} finished ${finishedEvents.length} times`);
        for (const step of ['charge', 'record'])
          assert.equal(fake.effects.get(`${run.id}:${step}`), 1, `${run.id}:${step}`);
        const reports = await store.events.readStream('chat:web:operator', { types: ['message.sent'] });
        const mine = reports.filter(
          (e) => e.type === 'message.sent' && e.data.text.startsWith(`Done ${(run.input as { label: string }).label}:`),
        );
        assert.equal(mine.length, 1, `${run.id} reported ${mine.length} times`);
      }
      assert.equal(fake.effects.size, RUNS * 2, 'no effect under any other key');
      const replays = [...fake.requests.values()].reduce((a, b) => a + b, 0) - fake.effects.size;
      t.diagnostic(`effects ${fake.effects.size}, replayed requests ${replays}, kills ${KILLS}`);
      await store.close();
    } finally {
      await fake.close();
    }
  },
);
