// Streaming through the real openai client's SSE reader against the fake: deltas arrive in order and add up to the
// text, usage comes from the final chunk (or is counted when absent), tool calls assembled from pieces, a stalled
// stream times out, and a stream cut after text reached the user fails as `interrupted` without a retry.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { LlmError } from '../../src/llm/errors.ts';
import { useHarness, user } from './harness.ts';

const h = useHarness();

const TEXT = 'Streaming lets the chat show the reply while the model is still writing it.';

test('deltas arrive in order, join to the text, and usage comes from the final chunk', async () => {
  h.fake.reply({ text: TEXT, chunkDelayMs: 5, usage: { prompt_tokens: 40, completion_tokens: 15 } });
  const deltas: Array<{ text: string; at: number }> = [];
  const r = await h.llm.complete({
    messages: [user('Explain streaming')],
    onDelta: (text) => deltas.push({ text, at: performance.now() }),
  });
  assert.equal(r.text, TEXT);
  assert.equal(deltas.map((d) => d.text).join(''), TEXT);
  assert.equal(deltas.length, TEXT.split(' ').length, 'one delta per word the fake sent');
  assert.ok(
    (deltas.at(-1)?.at ?? 0) - (deltas[0]?.at ?? 0) >= 40,
    'deltas were delivered as they came, not at the end',
  );
  assert.deepEqual(r.usage, { promptTokens: 40, completionTokens: 15, estimated: false });
  assert.equal(r.costUsd, (40 * 0.15 + 15 * 0.6) / 1e6);
  const sent = h.fake.completions[0]?.body;
  assert.equal(sent?.['stream'], true);
  assert.deepEqual(sent?.['stream_options'], { include_usage: true });
  assert.equal(h.records[0]?.streamed, true);
});

test('a stream without a usage chunk gets counted usage, marked estimated', async () => {
  h.fake.reply({ text: TEXT, usage: 'omit' });
  const r = await h.llm.complete({ messages: [user('Explain streaming')], onDelta: () => {} });
  assert.equal(r.usage.estimated, true);
  assert.ok(
    r.usage.completionTokens >= 12 && r.usage.completionTokens <= 20,
    `completion tokens ${r.usage.completionTokens}`,
  );
});

test('tool calls streamed in pieces are assembled and validated', async () => {
  h.fake.reply({
    text: 'Let me check. ',
    toolCalls: [
      { id: 'c1', name: 'lookup', arguments: { query: 'ACME invoices from last month' } },
      { id: 'c2', name: 'lookup', arguments: { query: 'Bob' } },
    ],
  });
  const deltas: string[] = [];
  const r = await h.llm.complete({
    messages: [user('What did ACME pay?')],
    tools: [{ name: 'lookup', description: 'Search', parameters: z.object({ query: z.string() }) }],
    onDelta: (t) => deltas.push(t),
  });
  assert.deepEqual(r.toolCalls, [
    { id: 'c1', name: 'lookup', args: { query: 'ACME invoices from last month' } },
    { id: 'c2', name: 'lookup', args: { query: 'Bob' } },
  ]);
  assert.equal(deltas.join(''), 'Let me check. ');
  assert.equal(r.finishReason, 'tool_calls');
});

test('a 429 before the stream starts is retried and the stream then delivers', async () => {
  h.fake.reply({ status: 429, headers: { 'retry-after-ms': '50' } }, { text: 'hello world' });
  const deltas: string[] = [];
  const r = await h.llm.complete({ messages: [user('hi')], onDelta: (t) => deltas.push(t) });
  assert.equal(deltas.join(''), 'hello world');
  assert.equal(r.attempts, 2);
});

test('a stream cut after text reached the user fails as interrupted and is not retried', async () => {
  h.fake.reply({ text: TEXT, drop: 'mid-stream' }, { text: 'should never be asked for' });
  const deltas: string[] = [];
  const err = await h.llm.complete({ messages: [user('hi')], onDelta: (t) => deltas.push(t) }).catch((e: unknown) => e);
  assert.ok(err instanceof LlmError);
  assert.equal(err.code, 'interrupted');
  assert.equal(err.retryable, true, 'the caller may try again with a fresh message');
  assert.ok(deltas.length > 0 && deltas.join('') !== TEXT);
  assert.equal(h.fake.completions.length, 1);
  assert.equal(h.records[0]?.ok, false);
});

test('a stream that stalls longer than the timeout is aborted and retried', async () => {
  const llm = await h.make({ timeoutMs: 250 });
  // First answer: headers at once, then silence before the first text chunk long enough to trip the idle timer.
  h.fake.reply({ text: '', chunkDelayMs: 1000 }, { text: 'fresh answer' });
  const deltas: string[] = [];
  const started = performance.now();
  const r = await llm.complete({ messages: [user('hi')], onDelta: (t) => deltas.push(t) });
  assert.equal(r.text, 'fresh answer');
  assert.equal(deltas.join(''), 'fresh answer');
  assert.equal(r.attempts, 2);
  assert.ok(performance.now() - started >= 240);
});

test('an onDelta that throws does not break the call', async () => {
  h.fake.reply({ text: 'one two three' });
  const r = await h.llm.complete({
    messages: [user('hi')],
    onDelta: () => {
      throw new Error('channel edit failed');
    },
  });
  assert.equal(r.text, 'one two three');
  assert.ok(h.logs.some((l) => l.includes('onDelta threw')));
});

test('structured output can stream; the parsed value is validated at the end', async () => {
  h.fake.reply({ json: { title: 'Quarterly report', done: false } });
  const deltas: string[] = [];
  const r = await h.llm.complete({
    messages: [user('t')],
    schema: z.object({ title: z.string(), done: z.boolean() }),
    onDelta: (t) => deltas.push(t),
  });
  assert.deepEqual(r.parsed, { title: 'Quarterly report', done: false });
  assert.equal(deltas.join(''), '{"title":"Quarterly report","done":false}');
});
