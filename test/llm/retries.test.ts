// Failures and recovery against the fake: 429 with Retry-After (seconds and -ms) honoured, 5xx and dropped
// connections retried with backoff, a Retry-After beyond the cap failing fast, timeouts on slow answers, the
// fallback model after the primary exhausts its retries, and errors that must not be retried.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LlmError } from '../../src/llm/errors.ts';
import { dig, leaks, useHarness, user } from './harness.ts';

const h = useHarness();

const gap = (i: number) => (h.fake.completions[i + 1]?.at ?? NaN) - (h.fake.completions[i]?.at ?? NaN);
const failure = (p: Promise<unknown>) =>
  p.then(
    () => assert.fail('expected a failure'),
    (e: unknown) => e,
  );

test('429 with Retry-After: 1 waits about a second, then the retry succeeds', async () => {
  h.fake.reply({ status: 429, headers: { 'retry-after': '1' } }, { text: 'after the pause' });
  const r = await h.llm.complete({ messages: [user('hi')] });
  assert.equal(r.text, 'after the pause');
  assert.equal(r.attempts, 2);
  assert.equal(h.fake.completions.length, 2);
  assert.ok(gap(0) >= 980, `waited ${gap(0).toFixed(0)} ms: at least the second the server asked for`);
  assert.ok(
    h.logs.some((l) => l.includes('"code":"rate_limited"') && l.includes('"delayMs":1000')),
    'the retry is logged with its delay',
  );
});

test('Retry-After-Ms wins over Retry-After, as the official client reads them', async () => {
  h.fake.reply({ status: 503, headers: { 'retry-after-ms': '300', 'retry-after': '5' } }, { text: 'ok' });
  const r = await h.llm.complete({ messages: [user('hi')] });
  assert.equal(r.text, 'ok');
  assert.ok(gap(0) >= 290, `waited ${gap(0).toFixed(0)} ms: the 300 ms of Retry-After-Ms, not the 5 s of Retry-After`);
  assert.equal(h.fake.completions.length, 2);
});

test('500s are retried with backoff until one succeeds', async () => {
  h.fake.reply({ status: 500 }, { status: 502 }, { text: 'third time lucky' });
  const r = await h.llm.complete({ messages: [user('hi')] });
  assert.equal(r.text, 'third time lucky');
  assert.equal(r.attempts, 3);
  assert.equal(h.records[0]?.attempts, 3);
  // Backoff: ~20 ms, then ~40 ms (base 20 ms in the harness, ±25 % jitter).
  assert.ok(gap(0) >= 14 && gap(1) >= 29, `gaps ${gap(0).toFixed(0)} / ${gap(1).toFixed(0)} ms`);
});

test('a dropped connection is retried', async () => {
  h.fake.reply({ drop: 'immediately' }, { text: 'reconnected' });
  const r = await h.llm.complete({ messages: [user('hi')] });
  assert.equal(r.text, 'reconnected');
  assert.equal(r.attempts, 2);
});

test('retries exhausted without a fallback → the last error, typed and retryable', async () => {
  h.fake.handle(() => ({ status: 503 }));
  const err = await failure(h.llm.complete({ messages: [user('hi')] }));
  assert.ok(err instanceof LlmError);
  assert.equal(err.code, 'unavailable');
  assert.equal(err.retryable, true);
  assert.equal(err.status, 503);
  assert.equal(err.userMessage, 'The model service is unavailable right now; try again in a little while.');
  assert.equal(h.fake.completions.length, 3, '1 try + 2 retries');
  assert.deepEqual(
    h.records.map((r) => [r.ok, r.attempts, r.ok ? '' : r.code]),
    [[false, 3, 'unavailable']],
  );
});

test('a Retry-After beyond the cap fails at once with rate_limited and the asked wait, instead of hanging', async () => {
  h.fake.reply({ status: 429, headers: { 'retry-after': '3600' } });
  const err = await failure(h.llm.complete({ messages: [user('hi')] }));
  assert.equal(h.fake.completions.length, 1, 'no retry: it did not wait the hour');
  assert.ok(err instanceof LlmError);
  assert.equal(err.code, 'rate_limited');
  assert.equal(err.retryAfterMs, 3_600_000);
  assert.equal(err.userMessage, 'The model provider asked us to wait 3600 seconds before trying again.');
  assert.equal(h.fake.completions.length, 1);
});

test('persistent failure of the primary → the fallback model answers, and the record says so', async () => {
  h.fake.handle((req) =>
    req.body['model'] === 'gpt-4o-mini'
      ? { status: 500 }
      : { text: `fallback here (${String(req.body['model'])})`, usage: { prompt_tokens: 100, completion_tokens: 10 } },
  );
  const llm = await h.make({ fallbackModel: 'gpt-4.1-nano' });
  const r = await llm.complete({ messages: [user('hi')], meta: { agent: 'router' } });
  assert.equal(r.text, 'fallback here (gpt-4.1-nano)');
  assert.equal(r.model, 'gpt-4.1-nano');
  assert.equal(r.fallback, true);
  assert.equal(r.attempts, 4, '3 on the primary + 1 on the fallback');
  assert.equal(r.costUsd, (100 * 0.1 + 10 * 0.4) / 1e6);
  assert.deepEqual(
    h.fake.completions.map((c) => dig(c.body, 'model')),
    ['gpt-4o-mini', 'gpt-4o-mini', 'gpt-4o-mini', 'gpt-4.1-nano'],
  );
  const rec = h.records[0];
  assert.ok(rec?.ok);
  assert.equal(rec.fallback, true);
  assert.equal(rec.model, 'gpt-4.1-nano');
  assert.equal(rec.agent, 'router');
  assert.ok(h.logs.some((l) => l.includes('trying the fallback model')));
});

test('an unknown primary model (404) goes to the fallback without retrying', async () => {
  const llm = await h.make({ model: 'gpt-9-imaginary', fallbackModel: 'gpt-4o-mini' });
  const r = await llm.complete({ messages: [user('hi')] });
  assert.equal(r.model, 'gpt-4o-mini');
  assert.equal(r.fallback, true);
  assert.equal(r.attempts, 2);
});

test('the fallback failing too → its error, recorded once as a failure', async () => {
  h.fake.handle(() => ({ status: 500 }));
  const llm = await h.make({ fallbackModel: 'gpt-4.1-nano', maxRetries: 1 });
  const err = await failure(llm.complete({ messages: [user('hi')] }));
  assert.ok(err instanceof LlmError && err.code === 'unavailable');
  assert.match(err.message, /gpt-4\.1-nano/);
  assert.equal(h.fake.completions.length, 4);
  assert.equal(h.records.length, 1);
  const rec = h.records[0];
  assert.ok(rec && !rec.ok);
  assert.equal(rec.fallback, true);
  assert.equal(rec.attempts, 4);
});

test('a slow answer times out and the retry gets the fast one', async () => {
  const llm = await h.make({ timeoutMs: 300 });
  h.fake.reply({ text: 'too late', delayMs: 1500 }, { text: 'quick' });
  const started = performance.now();
  const r = await llm.complete({ messages: [user('hi')] });
  assert.equal(r.text, 'quick');
  assert.equal(r.attempts, 2);
  const took = performance.now() - started;
  assert.ok(took >= 290, `took ${took.toFixed(0)} ms: it waited the 300 ms timeout before retrying`);
  assert.ok(h.logs.some((l) => l.includes('"code":"timeout"')));
});

test('always slow → timeout error after every retry', async () => {
  const llm = await h.make({ timeoutMs: 200, maxRetries: 1 });
  h.fake.handle(() => ({ text: 'zzz', delayMs: 1000 }));
  const err = await failure(llm.complete({ messages: [user('hi')] }));
  assert.ok(err instanceof LlmError);
  assert.equal(err.code, 'timeout');
  assert.equal(err.retryable, true);
  assert.match(err.message, /did not answer after 200 ms/);
  assert.equal(h.fake.completions.length, 2);
});

test('a wrong key is not retried, and the endpoint’s masked echo of it never reaches the error or the logs', async () => {
  const llm = await h.make({ apiKey: 'sk-wrong-TOPSECRET-000000' });
  const err = await failure(llm.complete({ messages: [user('hi')] }));
  assert.ok(err instanceof LlmError);
  assert.equal(err.code, 'auth');
  assert.equal(err.retryable, false);
  assert.equal(h.fake.completions.length, 1);
  assert.match(err.message, /Incorrect API key provided: sk-\[redacted\]/);
  assert.deepEqual(leaks(h, [err]), []);
  assert.ok(!JSON.stringify(h.logs).includes('sk-wr'));
});

test('insufficient_quota (a 429 that waiting will not fix) is not retried', async () => {
  h.fake.reply({
    status: 429,
    error: { message: 'You exceeded your current quota.', code: 'insufficient_quota', type: 'insufficient_quota' },
  });
  const err = await failure(h.llm.complete({ messages: [user('hi')] }));
  assert.ok(err instanceof LlmError && err.code === 'quota' && !err.retryable);
  assert.equal(h.fake.completions.length, 1);
});

test('x-should-retry: false from the endpoint is obeyed', async () => {
  h.fake.reply({ status: 500, headers: { 'x-should-retry': 'false' } });
  const err = await failure(h.llm.complete({ messages: [user('hi')] }));
  assert.ok(err instanceof LlmError && err.code === 'unavailable' && !err.retryable);
  assert.equal(h.fake.completions.length, 1);
});

test('a context-length 400 is typed context_too_long, not retried', async () => {
  h.fake.reply({
    status: 400,
    error: { message: "This model's maximum context length is 128000 tokens.", code: 'context_length_exceeded' },
  });
  const err = await failure(h.llm.complete({ messages: [user('hi')] }));
  assert.ok(err instanceof LlmError && err.code === 'context_too_long');
  assert.equal(h.fake.completions.length, 1);
});

test('the caller’s abort stops a call waiting on a slow answer, and the wait between retries', async () => {
  h.fake.reply({ text: 'slow', delayMs: 1500 });
  const aborted = failure(h.llm.complete({ messages: [user('hi')], signal: AbortSignal.timeout(100) }));
  const err = await aborted;
  assert.ok(err instanceof LlmError && err.code === 'aborted');

  h.fake.reply({ status: 429, headers: { 'retry-after': '5' } });
  const before = h.fake.completions.length;
  const err2 = await failure(h.llm.complete({ messages: [user('hi')], signal: AbortSignal.timeout(150) }));
  assert.ok(err2 instanceof LlmError && err2.code === 'aborted');
  // Had the abort not ended the 5 s wait, the retry would have gone out before the failure came back.
  assert.equal(h.fake.completions.length, before + 1, 'the abort ended the wait: no retry was sent');
});
