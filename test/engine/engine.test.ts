// The engine's guarantees, each with a workflow built for it, on a real SQLite store.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { z } from 'zod';
import { defineWorkflow, NonRetriableError } from '../../src/engine/workflow.ts';
import { harness, origin } from './harness.ts';

const noInput = z.object({});
const fast = { backoff: { minMs: 1, maxMs: 2 } };

describe('durable workflow engine', () => {
  test('journals each step and replays it after a restart instead of running it again', async () => {
    const calls: string[] = [];
    let failSecond = true;
    const flow = defineWorkflow({
      name: 'journal',
      version: 1,
      description: 'two steps',
      input: noInput,
      async run(ctx) {
        const a = await ctx.step('a', async () => (calls.push('a'), { value: 41, when: new Date(0) }));
        const b = await ctx.step('b', async () => {
          calls.push('b');
          if (failSecond) throw new NonRetriableError('simulated crash point');
          return a.value + 1;
        });
        return { b, when: a.when };
      },
    });
    const h = await harness([flow]);
    await h.store.runs.create({
      id: 'r1',
      workflow: 'journal',
      version: 1,
      status: 'running',
      input: {},
      origin,
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    // First execution dies inside step b: simulate by journaling a and leaving b started.
    const { RunContext } = await import('../../src/engine/run-context.ts');
    const ctx = new RunContext(h.engine, (await h.store.runs.get('r1'))!, [], 'forward');
    await ctx.step('a', async () => (calls.push('a'), { value: 41, when: new Date(0) }));
    failSecond = false;
    const engine = await h.restart();
    assert.deepEqual(await engine.recover(), { resumed: 1, suspended: 0 });
    await engine.idle();
    assert.deepEqual(calls, ['a', 'b'], 'a ran once, before the restart');
    const run = await h.store.runs.get('r1');
    assert.equal(run?.status, 'completed');
    assert.deepEqual(
      run?.result,
      { b: 42, when: '1970-01-01T00:00:00.000Z' },
      'replayed results are the journaled JSON',
    );
    const steps = await h.store.runs.steps('r1');
    assert.deepEqual(
      steps.map((s) => [s.stepId, s.status, s.seq]),
      [
        ['a', 'completed', 1],
        ['b', 'completed', 2],
      ],
    );
    await h.close();
  });

  test('retries with backoff until a step succeeds, with one idempotency key for every attempt', async () => {
    const keys: string[] = [];
    const flow = defineWorkflow({
      name: 'flaky',
      version: 1,
      description: 'fails twice',
      input: noInput,
      async run(ctx) {
        return ctx.step(
          'call',
          async ({ idempotencyKey, attempt }) => {
            keys.push(idempotencyKey);
            if (attempt < 3) throw new Error(`transient ${attempt}`);
            return 'ok';
          },
          { maxAttempts: 4, ...fast },
        );
      },
    });
    const h = await harness([flow]);
    const { run } = await h.engine.start('flaky', {}, { id: 'r-flaky', origin });
    assert.equal(run.status, 'completed');
    assert.deepEqual(keys, ['r-flaky:call', 'r-flaky:call', 'r-flaky:call']);
    const [step] = await h.store.runs.steps('r-flaky');
    assert.equal(step?.failures, 2);
    const retried = await h.store.events.readStream('run:r-flaky', { types: ['step.retried'] });
    assert.equal(retried.length, 2);
    await h.close();
  });

  test("every attempt, also after a restart, sees the step's first start time from the journal", async () => {
    const seen: number[] = [];
    let crash = true;
    const flow = defineWorkflow({
      name: 'started',
      version: 1,
      description: 'reads startedAt',
      input: noInput,
      async run(ctx) {
        return ctx.step(
          'call',
          async ({ startedAt, attempt }) => {
            seen.push(startedAt.getTime());
            if (attempt === 1) throw new Error('transient');
            if (crash) throw new NonRetriableError('never mind');
            return 'ok';
          },
          { maxAttempts: 5, ...fast },
        );
      },
    });
    const h = await harness([flow]);
    // Journal the step as started long ago, as a process killed in it would have left it.
    const long = new Date(Date.now() - 30 * 3_600_000);
    await h.store.runs.create({
      id: 'r-started',
      workflow: 'started',
      version: 1,
      status: 'running',
      input: {},
      origin,
      createdAt: long,
      updatedAt: long,
    });
    await h.store.runs.saveStep({
      runId: 'r-started',
      stepId: 'call',
      seq: 1,
      kind: 'run',
      status: 'started',
      failures: 0,
      idempotencyKey: 'r-started:call',
      startedAt: long,
    });
    crash = false;
    const engine = await h.restart();
    await engine.recover();
    await engine.idle();
    assert.equal((await h.store.runs.get('r-started'))?.status, 'completed');
    assert.deepEqual(
      seen,
      [long.getTime(), long.getTime()],
      'both attempts got the journaled start, not the time of the attempt',
    );
    await h.close();
  });

  test('a step over its timeout is aborted and, when attempts run out, the run waits for review', async () => {
    let aborted = 0;
    const flow = defineWorkflow({
      name: 'slow',
      version: 1,
      description: 'never answers',
      input: noInput,
      async run(ctx) {
        await ctx.step(
          'hang',
          ({ signal }) =>
            new Promise((resolve) => signal.addEventListener('abort', () => (aborted++, resolve('late')))).then(
              () => new Promise(() => {}),
            ),
          { maxAttempts: 2, timeoutMs: 20, ...fast },
        );
        return 'done';
      },
    });
    const h = await harness([flow]);
    const { run } = await h.engine.start('slow', {}, { id: 'r-slow', origin });
    assert.equal(run.status, 'needs_review');
    assert.equal(aborted, 2);
    assert.match(run.review?.reason ?? '', /step "hang" failed 2 times: step "hang" timed out after 20 ms/);
    const review = h.sent.at(-1);
    assert.match(review?.text ?? '', /needs your review[\s\S]*Intended: [\s\S]*Actual: /);
    assert.deepEqual(
      review?.buttons?.map((b) => b.label),
      ['Retry step', 'Skip step', 'Cancel and compensate'],
    );
    await h.close();
  });

  test('a non-retriable failure undoes completed steps in reverse order, then the run has failed', async () => {
    const log: string[] = [];
    const flow = defineWorkflow({
      name: 'saga',
      version: 1,
      description: 'three steps, the last refuses',
      input: noInput,
      async run(ctx) {
        await ctx.step('book', async () => (log.push('book'), 'b1'), {
          compensate: async (r) => void log.push(`unbook ${r}`),
        });
        await ctx.step('charge', async () => (log.push('charge'), 'c1'), {
          compensate: async (r) => void log.push(`refund ${r}`),
        });
        await ctx.step('mail', async () => {
          log.push('mail');
          throw new NonRetriableError('recipient address rejected');
        });
      },
    });
    const h = await harness([flow]);
    const { run } = await h.engine.start('saga', {}, { id: 'r-saga', origin });
    assert.deepEqual(log, ['book', 'charge', 'mail', 'refund c1', 'unbook b1']);
    assert.equal(run.status, 'failed');
    assert.match(run.error?.message ?? '', /recipient address rejected/);
    assert.match(h.sent.at(-1)?.text ?? '', /failed: .*recipient address rejected.*Undid 2 completed steps/);
    const compensated = await h.store.events.readStream('run:r-saga', { types: ['step.compensated'] });
    assert.deepEqual(
      compensated.map((e) => (e.type === 'step.compensated' ? e.data.stepId : '')),
      ['charge', 'book'],
    );
    await h.close();
  });

  test('review remedies: retry the step, skip it, or cancel and compensate', async () => {
    let healthy = false;
    const undone: string[] = [];
    const flow = defineWorkflow({
      name: 'remedy',
      version: 1,
      description: 'a step that fails until fixed',
      input: z.object({ tag: z.string() }),
      async run(ctx, input) {
        await ctx.step('reserve', async () => input.tag, { compensate: async (r) => void undone.push(r) });
        const sent = await ctx.step(
          'send',
          async () => {
            if (!healthy) throw new Error('mail server down');
            return 'sent';
          },
          { maxAttempts: 2, ...fast },
        );
        return { sent };
      },
    });
    const h = await harness([flow]);
    for (const tag of ['retry', 'skip', 'cancel'])
      assert.equal((await h.engine.start('remedy', { tag }, { id: `r-${tag}`, origin })).run.status, 'needs_review');
    healthy = true;
    assert.deepEqual((await h.engine.remedy('r-retry', 'retry'))?.result, { sent: 'sent' });
    healthy = false;
    const skipped = await h.engine.remedy('r-skip', 'skip');
    assert.equal(skipped?.status, 'completed');
    assert.deepEqual(skipped?.result, { sent: null });
    const cancelled = await h.engine.remedy('r-cancel', 'cancel');
    assert.equal(cancelled?.status, 'cancelled');
    assert.deepEqual(undone, ['cancel']);
    assert.equal(
      await h.engine.remedy('r-cancel', 'retry').then((r) => r?.status),
      'cancelled',
      'a remedy on a finished run changes nothing',
    );
    await h.close();
  });

  test('a compensation that keeps failing stops the run for review', async () => {
    const flow = defineWorkflow({
      name: 'stuck',
      version: 1,
      description: 'cannot be undone',
      input: noInput,
      async run(ctx) {
        await ctx.step('charge', async () => 'c', {
          compensate: async () => {
            throw new Error('refund API down');
          },
        });
        await ctx.step('fail', async () => {
          throw new NonRetriableError('nope');
        });
      },
    });
    const h = await harness([flow]);
    // Compensations retry with the engine's default backoff; keep this quick by letting them fail fast.
    const { run } = await h.engine.start('stuck', {}, { id: 'r-stuck', origin });
    assert.equal(run.status, 'needs_review');
    assert.equal(run.review?.stepId, 'undo:charge');
    assert.match(run.review?.reason ?? '', /undoing step "charge" failed: refund API down/);
    assert.deepEqual(
      h.sent.at(-1)?.buttons?.map((b) => b.label),
      ['Retry the undo', 'Skip step'],
    );
    const skipped = await h.engine.remedy('r-stuck', 'skip');
    assert.equal(skipped?.status, 'failed');
    await h.close();
  });

  test('a step id used twice in one run is refused', async () => {
    const flow = defineWorkflow({
      name: 'dup',
      version: 1,
      description: 'bad workflow',
      input: noInput,
      async run(ctx) {
        await ctx.step('x', async () => 1);
        await ctx.step('x', async () => 2);
      },
    });
    const h = await harness([flow]);
    const { run } = await h.engine.start('dup', {}, { id: 'r-dup', origin });
    assert.equal(run.status, 'failed');
    assert.match(run.error?.message ?? '', /step id "x" is used twice/);
    await h.close();
  });

  test('input that does not fit the schema starts nothing', async () => {
    const flow = defineWorkflow({
      name: 'typed',
      version: 1,
      description: 'typed',
      input: z.object({ n: z.number() }),
      run: async () => 1,
    });
    const h = await harness([flow]);
    await assert.rejects(h.engine.start('typed', { n: 'one' }, { id: 'r-typed', origin }), /does not fit typed/);
    assert.equal(await h.store.runs.get('r-typed'), null);
    await assert.rejects(h.engine.start('nope', {}, { origin }), /no workflow called nope/);
    await h.close();
  });
});
