// Workflow engine on the embedded store: journaled step overhead, and resuming 1000 suspended runs.
// Usage: node bench/engine.ts [steps=2000] [suspended=1000]

import { nullDelivery } from '../test/support/delivery.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { z } from 'zod';
import { Engine } from '../src/engine/engine.ts';
import { defineWorkflow } from '../src/engine/workflow.ts';
import { SqliteStore } from '../adapters/stores/sqlite/index.ts';
import { line } from './stats.ts';

const STEPS = Number(process.argv[2] ?? 2000);
const SUSPENDED = Number(process.argv[3] ?? 1000);
const origin = { channel: 'bench', chatId: 'bench' };

const many = defineWorkflow({
  name: 'many',
  version: 1,
  description: 'n trivial steps',
  input: z.object({ n: z.number() }),
  async run(ctx, input) {
    let sum = 0;
    for (let i = 0; i < input.n; i++) sum += await ctx.step(`s${i}`, async () => i);
    return sum;
  },
});
const gated = defineWorkflow({
  name: 'gated',
  version: 1,
  description: 'approval then two steps',
  input: z.object({ i: z.number() }),
  async run(ctx, input) {
    const outcome = await ctx.approval('approve', { card: { title: `bench ${input.i}`, details: [] } });
    const a = await ctx.step('a', async () => input.i);
    return { decision: outcome.decision, b: await ctx.step('b', async () => a + 1) };
  },
});

async function open(): Promise<{ store: SqliteStore; engine: Engine }> {
  const store = new SqliteStore(mkdtempSync(join(tmpdir(), 'solo-bench-engine-')));
  await store.init();
  const engine = new Engine({ store, logger: pino({ level: 'silent' }), delivery: nullDelivery });
  engine.register(many).register(gated);
  return { store, engine };
}

{
  const { store, engine } = await open();
  // Baseline: the same loop without the engine, to isolate the journal's cost.
  let t = performance.now();
  let sum = 0;
  for (let i = 0; i < STEPS; i++) sum += await (async () => i)();
  const bare = performance.now() - t;
  t = performance.now();
  const { run } = await engine.start('many', { n: STEPS }, { id: 'bench-steps', origin });
  const total = performance.now() - t;
  if (run.result !== sum) throw new Error('wrong result');
  line(`journaled step overhead (${STEPS} steps)`, `${((total - bare) / STEPS).toFixed(3)} ms per step`, '≤ 1 ms');
  t = performance.now();
  const replay = new Engine({ store, logger: pino({ level: 'silent' }), delivery: nullDelivery }).register(many);
  await store.runs.update('bench-steps', { status: 'running' });
  await replay.execute('bench-steps');
  line('  replay of the same run (journal reads)', `${((performance.now() - t) / STEPS).toFixed(3)} ms per step`);
  await store.close();
}

{
  const { store, engine } = await open();
  for (let i = 0; i < SUSPENDED; i++) await engine.start('gated', { i }, { id: `g${i}`, origin });
  // A restart: a fresh engine recovers, then every approval is decided and its run resumed to completion.
  const restarted = new Engine({ store, logger: pino({ level: 'silent' }), delivery: nullDelivery }).register(gated);
  let t = performance.now();
  const recovered = await restarted.recover();
  const recoverMs = performance.now() - t;
  t = performance.now();
  const pending = await store.approvals.listPending(SUSPENDED);
  for (const approval of pending) {
    await store.approvals.decide(approval.id, { status: 'approved', by: 'bench', via: 'bench', at: new Date() });
    await restarted.resumeAfterDecision(approval, 'approved', 'bench', 'bench');
  }
  const resumeMs = performance.now() - t;
  const done = (await store.runs.list({ statuses: ['completed'], limit: SUSPENDED + 1 })).length;
  line(`start-up recovery with ${recovered.suspended} suspended runs`, `${recoverMs.toFixed(0)} ms`);
  line(
    `resume ${SUSPENDED} suspended runs to completion`,
    `${resumeMs.toFixed(0)} ms (${done} completed)`,
    '≤ 2000 ms',
  );
  await store.close();
}
