// Waiting for an outside event: a run suspends on ctx.wait until engine.signal delivers the event for its key; an
// event that arrives before the run waits is kept and read at once; a redelivered event changes nothing; a wait
// survives a restart.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { z } from 'zod';
import { defineWorkflow } from '../../src/engine/workflow.ts';
import { harness, origin } from './harness.ts';

const paidFlow = (calls: string[]) =>
  defineWorkflow({
    name: 'paid',
    version: 1,
    description: 'waits for a payment',
    input: z.object({ invoice: z.string() }),
    async run(ctx, input) {
      await ctx.step('issue', async () => (calls.push(`issue ${input.invoice}`), true));
      const payment = await ctx.wait<{ amount: number }>('payment', { event: 'invoice.paid', key: input.invoice });
      await ctx.step('mark-paid', async () => (calls.push(`paid ${input.invoice} ${payment.amount}`), true));
      return { paid: payment.amount };
    },
  });

const from = { by: 'stripe', via: 'webhook' };

describe('ctx.wait and event signals', () => {
  test('the run waits, the event resumes it once, a redelivery changes nothing', async () => {
    const calls: string[] = [];
    const h = await harness([paidFlow(calls)]);
    await h.engine.start('paid', { invoice: 'in_1' }, { id: 'w1', origin });
    assert.equal((await h.store.runs.get('w1'))?.status, 'suspended');
    assert.equal((await h.store.runs.get('w1'))?.waitingFor, 'wait:invoice.paid:in_1');
    assert.deepEqual(
      (await h.engine.signal({ kind: 'event', event: 'invoice.paid', key: 'in_2', payload: { amount: 1 } }, from))
        .status,
      'applied',
      'kept for later',
    );
    assert.equal((await h.store.runs.get('w1'))?.status, 'suspended', 'another key does not wake it');
    assert.equal(
      (await h.engine.signal({ kind: 'event', event: 'invoice.paid', key: 'in_1', payload: { amount: 120 } }, from))
        .status,
      'applied',
    );
    assert.equal(
      (await h.engine.signal({ kind: 'event', event: 'invoice.paid', key: 'in_1', payload: { amount: 999 } }, from))
        .status,
      'stale',
    );
    await h.engine.idle();
    const run = await h.store.runs.get('w1');
    assert.equal(run?.status, 'completed');
    assert.deepEqual(run?.result, { paid: 120 });
    assert.deepEqual(calls, ['issue in_1', 'paid in_1 120']);
    await h.close();
  });

  test('an event that came first is read at once; a wait survives a restart', async () => {
    const calls: string[] = [];
    const h = await harness([paidFlow(calls)]);
    await h.engine.signal({ kind: 'event', event: 'invoice.paid', key: 'early', payload: { amount: 5 } }, from);
    await h.engine.start('paid', { invoice: 'early' }, { id: 'w2', origin });
    assert.deepEqual((await h.store.runs.get('w2'))?.result, { paid: 5 });

    await h.engine.start('paid', { invoice: 'later' }, { id: 'w3', origin });
    const engine = await h.restart();
    assert.deepEqual(await engine.recover(), { resumed: 0, suspended: 1 }, 'still waiting after the restart');
    await engine.signal({ kind: 'event', event: 'invoice.paid', key: 'later', payload: { amount: 7 } }, from);
    await engine.idle();
    assert.deepEqual((await h.store.runs.get('w3'))?.result, { paid: 7 });
    assert.deepEqual(
      calls.filter((c) => c.startsWith('issue later')),
      ['issue later'],
      'the issue step ran once',
    );
    await h.close();
  });
});
