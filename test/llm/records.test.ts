// What the rest of Solo OS sees of a call: one onCall record per call (success and failure) that maps onto the
// `llm.called` / `llm.failed` events, cost estimates that bound the actual cost for budgets, price lookup, and
// the API key absent from every log line, record and error across a mixed session.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { llmEvent } from '../../src/llm/events.ts';
import { costOf, DEFAULT_PRICES, mergePrices, priceOf } from '../../src/llm/prices.ts';
import { API_KEY, leaks, useHarness, system, user } from './harness.ts';

const h = useHarness();

test('a success gives one record with tokens, cost, latency, attempts and the caller’s meta, and maps to llm.called', async () => {
  h.fake.reply({ status: 500 }, { text: 'fine', usage: { prompt_tokens: 2000, completion_tokens: 500 } });
  const r = await h.llm.complete({
    messages: [user('hi')],
    meta: { agent: 'draft', runId: 'run42', promptVersion: 'v3', purpose: 'reply' },
  });
  assert.equal(h.records.length, 1);
  const rec = h.records[0];
  assert.ok(rec?.ok);
  assert.deepEqual(
    { ...rec, latencyMs: 0 },
    {
      ok: true,
      callId: r.callId,
      model: 'gpt-4o-mini',
      agent: 'draft',
      runId: 'run42',
      promptVersion: 'v3',
      purpose: 'reply',
      promptTokens: 2000,
      completionTokens: 500,
      usageEstimated: false,
      costUsd: (2000 * 0.15 + 500 * 0.6) / 1e6,
      priced: true,
      latencyMs: 0,
      attempts: 2,
      fallback: false,
      streamed: false,
      finishReason: 'stop',
    },
  );
  assert.ok(rec.latencyMs >= 10, 'latency includes the retry wait');
  const event = llmEvent(rec);
  assert.equal(event.type, 'llm.called');
  assert.equal(event.stream, 'run:run42');
  assert.equal(event.dedupeKey, `llm:${r.callId}`);
  assert.deepEqual(event.data, {
    callId: r.callId,
    model: 'gpt-4o-mini',
    agent: 'draft',
    runId: 'run42',
    promptTokens: 2000,
    completionTokens: 500,
    costUsd: rec.costUsd,
    latencyMs: rec.latencyMs,
    attempts: 2,
    fallback: false,
    promptVersion: 'v3',
  });
});

test('a failure gives one record with the error code and maps to llm.failed', async () => {
  h.fake.handle(() => ({ status: 503, error: { message: 'overloaded' } }));
  const llm = await h.make({ maxRetries: 1 });
  await assert.rejects(llm.complete({ messages: [user('hi')] }));
  assert.equal(h.records.length, 1);
  const rec = h.records[0];
  assert.ok(rec && !rec.ok);
  assert.equal(rec.code, 'unavailable');
  assert.match(rec.error, /^unavailable: 503 from the endpoint for gpt-4o-mini: overloaded$/);
  assert.equal(rec.attempts, 2);
  assert.equal(rec.costUsd, 0);
  const event = llmEvent(rec);
  assert.equal(event.type, 'llm.failed');
  assert.equal(event.stream, 'llm');
  assert.deepEqual(event.data, { callId: rec.callId, model: 'gpt-4o-mini', error: rec.error, attempts: 2 });
});

test('an onCall that throws is logged and does not fail the call', async () => {
  const llm = await h.make({
    onCall: () => {
      throw new Error('event store down');
    },
  });
  const r = await llm.complete({ messages: [user('hi')] });
  assert.equal(r.text, 'echo: hi');
  assert.ok(h.logs.some((l) => l.includes('recording the model call failed') && l.includes('event store down')));
});

test('the estimate counts prompt tokens with the tokenizer and bounds the actual cost', async () => {
  const messages = [
    system('You are a careful bookkeeper.'),
    user('Draft a friendly reminder to ACME about invoice INV-0042, due last Friday, for 1,200.00 EUR.'),
  ];
  const est = h.llm.estimate({ messages, maxTokens: 200 });
  assert.equal(est.model, 'gpt-4o-mini');
  assert.equal(est.maxCompletionTokens, 200);
  assert.ok(est.promptTokens > 30 && est.promptTokens < 70, `prompt tokens ${est.promptTokens}`);
  assert.equal(est.costUsd, (est.promptTokens * 0.15 + 200 * 0.6) / 1e6);
  assert.equal(est.singleRoundUsd, est.costUsd, 'no tools or schema: no repair round to budget for');
  assert.equal(est.priced, true);
  const r = await h.llm.complete({ messages, maxTokens: 200 });
  assert.ok(r.costUsd <= est.costUsd, `actual ${r.costUsd} ≤ estimate ${est.costUsd}`);
  assert.equal(h.fake.completions[0]?.body['max_tokens'], 200, 'the bound the estimate used is the one sent');
});

test('tools and a schema add their definitions and one possible repair round; the dearer fallback sets the bound', async () => {
  const tools = [{ name: 'memory_search', description: 'Search memory', parameters: z.object({ query: z.string() }) }];
  const schema = z.object({ reply: z.string(), confidence: z.number() });
  const base = h.llm.estimate({ messages: [user('hello')] });
  const withTools = h.llm.estimate({ messages: [user('hello')], tools, schema });
  assert.ok(withTools.promptTokens > base.promptTokens + 20, `${withTools.promptTokens} vs ${base.promptTokens}`);
  assert.equal(withTools.maxCompletionTokens, 1024, 'the default completion budget');
  assert.ok(withTools.costUsd > withTools.singleRoundUsd * 1.9);
  const dear = await h.make({ fallbackModel: 'gpt-4.1' });
  const est = dear.estimate({ messages: [user('hello')] });
  assert.equal(est.costUsd, costOf('gpt-4.1', est.promptTokens, 1024, DEFAULT_PRICES).costUsd);
  const unpriced = await h.make({ fallbackModel: 'local-llama' });
  assert.equal(unpriced.estimate({ messages: [user('hello')] }).priced, false);
});

test('prices: exact, dated and tagged names, operator overrides, unknown models', () => {
  assert.deepEqual(priceOf('gpt-4o-2024-08-06', DEFAULT_PRICES), DEFAULT_PRICES['gpt-4o']);
  assert.deepEqual(priceOf('gpt-4o-mini-2024-07-18', DEFAULT_PRICES), DEFAULT_PRICES['gpt-4o-mini']);
  assert.equal(priceOf('gpt-4oo', DEFAULT_PRICES), undefined);
  const table = mergePrices(DEFAULT_PRICES, {
    'llama3.1': { inputPerMillion: 0, outputPerMillion: 0 },
    'gpt-4o-mini': { inputPerMillion: 1, outputPerMillion: 2 },
  });
  assert.deepEqual(costOf('llama3.1:8b', 1000, 1000, table), { costUsd: 0, priced: true });
  assert.deepEqual(costOf('gpt-4o-mini', 1_000_000, 500_000, table), { costUsd: 2, priced: true });
  assert.deepEqual(costOf('mistral', 1000, 1000, table), { costUsd: 0, priced: false });
});

test('the API key appears in no log line, record or error across successes, retries, fallback and failures', async () => {
  const errors: unknown[] = [];
  const catchIt = (p: Promise<unknown>) => p.catch((e: unknown) => void errors.push(e));
  const fb = await h.make({ fallbackModel: 'gpt-4.1-nano', maxRetries: 1 });
  h.fake.reply({ status: 429, headers: { 'retry-after-ms': '10' } }, { text: 'ok' });
  await h.llm.complete({ messages: [user(`hi ${'x'.repeat(10)}`)] });
  h.fake.reply({ status: 500 }, { status: 500 }, { text: 'from fallback' });
  await fb.complete({ messages: [user('hi')] });
  h.fake.handle(() => ({ status: 503 }));
  await catchIt(fb.complete({ messages: [user('hi')] }));
  h.fake.handle(() => ({ drop: 'immediately' }));
  await catchIt(h.llm.complete({ messages: [user('hi')], onDelta: () => {} }));
  h.fake.handle(undefined);
  await catchIt((await h.make({ apiKey: `${API_KEY}-but-wrong` })).complete({ messages: [user('hi')] }));
  await catchIt((await h.make({ model: 'gpt-none' })).complete({ messages: [user('hi')] }));
  assert.equal(errors.length, 4);
  assert.ok(h.logs.length >= 10, `log lines ${h.logs.length}`);
  assert.ok(h.records.length === 6);
  assert.deepEqual(leaks(h, errors), []);
});
