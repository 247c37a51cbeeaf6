// Child process for the crash test: Solo OS with one extra workflow whose effects go to the test's connector
// fake over HTTP, each call carrying the step's idempotency key. The parent kills this process at random.

import { z } from 'zod';
import { loadConfig } from '../../src/config.ts';
import { stableId } from '../../src/domain/ids.ts';
import { defineWorkflow } from '../../src/engine/workflow.ts';
import { startSolo } from '../../src/main.ts';

const connector = process.env['CONNECTOR_URL'] ?? '';

async function effect(
  kind: string,
  label: string,
  idempotencyKey: string,
  signal: AbortSignal,
): Promise<{ effectId: string }> {
  const res = await fetch(`${connector}/effects`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
    body: JSON.stringify({ kind, label }),
    signal,
  });
  if (!res.ok) throw new Error(`connector answered ${res.status}`);
  return (await res.json()) as { effectId: string };
}

const crashflow = defineWorkflow({
  name: 'crashflow',
  version: 1,
  description: 'prepare, approve, two effects, report',
  input: z.object({ label: z.string() }),
  async run(ctx, input) {
    const prepared = await ctx.step('prepare', async () => ({ label: input.label.toUpperCase() }));
    const outcome = await ctx.approval('approve', { card: { title: `Crash test ${prepared.label}`, details: [] } });
    if (outcome.decision !== 'approved') return { status: outcome.decision };
    const charge = await ctx.step(
      'charge',
      ({ idempotencyKey, signal }) => effect('charge', input.label, idempotencyKey, signal),
      { backoff: { minMs: 10, maxMs: 50 }, maxAttempts: 10 },
    );
    const record = await ctx.step(
      'record',
      ({ idempotencyKey, signal }) => effect('record', input.label, idempotencyKey, signal),
      { backoff: { minMs: 10, maxMs: 50 }, maxAttempts: 10 },
    );
    await ctx.say('report', `Done ${input.label}: ${charge.effectId} ${record.effectId}`);
    return { status: 'done', charge: charge.effectId, record: record.effectId };
  },
});

await startSolo(loadConfig(process.env), {
  workflows: [crashflow],
  extend: (registry, { engine }) =>
    registry.command({
      name: 'crashflow',
      usage: '<label>',
      description: 'crash test workflow',
      run: async (ctx, args) => {
        const id = stableId('r', `${ctx.event.channel}:${ctx.event.chatId}:${ctx.event.id}`);
        await engine.start(
          'crashflow',
          { label: args },
          { id, origin: { channel: ctx.event.channel, chatId: ctx.event.chatId }, reply: ctx.reply },
        );
      },
    }),
});
