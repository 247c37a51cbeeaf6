// Effect steps: the policy's verdict is journaled, an approval is asked only when the policy says so, the call runs
// once with the step's key only when allowed and approved, and its compensation runs when the run is cancelled.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { z } from 'zod';
import type { EnginePolicy } from '../../src/engine/engine.ts';
import { defineWorkflow } from '../../src/engine/workflow.ts';
import type { ProposedAction } from '../../src/policy/approvals.ts';
import { harness, lastCardButtons, origin } from './harness.ts';

/** A policy that answers by the action's amount: < 100 allow, < 1000 approve, else deny; it counts its calls. */
function amountPolicy(): EnginePolicy & { asked: ProposedAction[] } {
  const asked: ProposedAction[] = [];
  return {
    asked,
    decide: async (action) => {
      asked.push(action);
      const minor = action.amount?.minor ?? 0;
      if (minor < 100) return { outcome: 'allow', reasons: ['small'] };
      if (minor < 1000) return { outcome: 'approve', reasons: ['needs a look'] };
      return { outcome: 'deny', reasons: ['too big'] };
    },
  };
}

function payFlow(calls: string[], undone: string[]) {
  return defineWorkflow({
    name: 'pay',
    version: 1,
    description: 'one effect',
    input: z.object({ minor: z.number() }),
    async run(ctx, input) {
      const outcome = await ctx.act('pay', {
        action: { kind: 'payment.create', amount: { minor: input.minor, currency: 'EUR' } },
        card: { title: `Pay ${input.minor}`, details: [] },
        run: async ({ idempotencyKey }) => (calls.push(idempotencyKey), { paid: input.minor }),
        compensate: async (result) => void undone.push(`refund ${result.paid}`),
        options: { backoff: { minMs: 1, maxMs: 2 } },
      });
      if (outcome.status !== 'done') return { status: outcome.status };
      await ctx.approval('after', { card: { title: 'Something after the payment', details: [] } });
      return { status: 'paid' };
    },
  });
}

describe('ctx.act effect steps', () => {
  test('allow runs the call at once; deny never runs it; both verdicts are journaled', async () => {
    const calls: string[] = [];
    const policy = amountPolicy();
    const h = await harness([payFlow(calls, [])], undefined, policy);
    await h.engine.start('pay', { minor: 50 }, { id: 'small', origin });
    await h.engine.start('pay', { minor: 5000 }, { id: 'big', origin });
    assert.deepEqual(calls, ['small:pay']);
    assert.equal((await h.store.runs.get('big'))?.status, 'completed');
    assert.deepEqual((await h.store.runs.get('big'))?.result, { status: 'denied' });
    const steps = await h.store.runs.steps('big');
    assert.deepEqual(
      steps.map((s) => [s.stepId, s.status]),
      [['pay:policy', 'completed']],
    );
    assert.deepEqual(steps[0]?.result, { outcome: 'deny', reasons: ['too big'] });
    await h.close();
  });

  test('approve asks the operator first; approved, the call runs once, also across a restart', async () => {
    const calls: string[] = [];
    const policy = amountPolicy();
    const h = await harness([payFlow(calls, [])], undefined, policy);
    await h.engine.start('pay', { minor: 500 }, { id: 'mid', origin });
    assert.deepEqual(calls, [], 'nothing paid before the approval');
    assert.equal((await h.store.runs.get('mid'))?.status, 'suspended');
    const engine = await h.restart();
    const approvalId = lastCardButtons(h.sent)['Approve']?.split(':')[1] ?? '';
    await engine.signal({ kind: 'decide', approvalId, decision: 'approved' }, { by: 'test:op', via: 'test' });
    await engine.signal({ kind: 'decide', approvalId, decision: 'approved' }, { by: 'test:op', via: 'test' });
    assert.deepEqual(calls, ['mid:pay'], 'one call, whatever the taps');
    assert.equal(policy.asked.length, 1, 'the verdict was journaled, not asked again on replay');
    await h.close();
  });

  test('rejected: no call; cancelled after the call: the compensation runs', async () => {
    const calls: string[] = [];
    const undone: string[] = [];
    const h = await harness([payFlow(calls, undone)], undefined, amountPolicy());
    await h.engine.start('pay', { minor: 600 }, { id: 'rej', origin });
    const reject = lastCardButtons(h.sent)['Reject']?.split(':')[1] ?? '';
    await h.engine.signal({ kind: 'decide', approvalId: reject, decision: 'rejected' }, { by: 'test:op', via: 'test' });
    assert.deepEqual((await h.store.runs.get('rej'))?.result, { status: 'rejected' });
    assert.deepEqual(calls, []);

    await h.engine.start('pay', { minor: 10 }, { id: 'undo', origin });
    assert.deepEqual(calls, ['undo:pay']);
    assert.equal((await h.store.runs.get('undo'))?.status, 'suspended', 'waiting on the approval after the payment');
    await h.engine.signal({ kind: 'cancel', runId: 'undo' }, { by: 'test:op', via: 'test' });
    assert.equal((await h.store.runs.get('undo'))?.status, 'cancelled');
    assert.deepEqual(undone, ['refund 10']);
    await h.close();
  });

  test('an unknown approval, a second decision and a late tap are answered and change nothing', async () => {
    const calls: string[] = [];
    const h = await harness([payFlow(calls, [])], undefined, amountPolicy());
    const replies: string[] = [];
    const reply = async (m: { text: string }) => (replies.push(m.text), { id: '0', text: m.text, buttons: [] });
    assert.equal(
      (
        await h.engine.signal(
          { kind: 'decide', approvalId: 'a-none', decision: 'approved' },
          { by: 'x', via: 'web', reply },
        )
      ).status,
      'unknown',
    );
    await h.engine.start('pay', { minor: 700 }, { id: 'twice', origin });
    const approvalId = lastCardButtons(h.sent)['Approve']?.split(':')[1] ?? '';
    assert.equal(
      (await h.engine.signal({ kind: 'decide', approvalId, decision: 'rejected' }, { by: 'x', via: 'web', reply }))
        .status,
      'applied',
    );
    assert.equal(
      (await h.engine.signal({ kind: 'decide', approvalId, decision: 'approved' }, { by: 'x', via: 'web', reply }))
        .status,
      'stale',
    );
    assert.match(replies.at(-1) ?? '', /^Already decided — .*rejected/);
    assert.deepEqual(calls, []);
    await h.close();
  });
});
