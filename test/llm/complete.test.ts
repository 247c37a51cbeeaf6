// Non-streaming calls through the real openai client against the fake endpoint: plain text with usage and cost,
// tool calls validated with zod (and one repair round trip), structured output (valid, repaired, fenced, wrapped in
// prose), refusals, endpoints without usage or without response_format support.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { LlmError } from '../../src/llm/errors.ts';
import { FakeOpenAI, promptTokens, type Body } from '../fakes/openai.ts';
import { API_KEY, dig, useHarness, system, user } from './harness.ts';

const h = useHarness();

const weather = {
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: z.object({
    city: z.string().min(2),
    unit: z.enum(['c', 'f']).transform((u) => (u === 'c' ? 'celsius' : 'fahrenheit')),
  }),
};

test('plain completion returns text, the endpoint’s usage and the priced cost; the key travels only in the header', async () => {
  h.fake.reply({ text: 'Hello there, operator.', usage: { prompt_tokens: 1200, completion_tokens: 300 } });
  const r = await h.llm.complete({
    messages: [system('Be brief.'), user('Say hello')],
    maxTokens: 64,
    temperature: 0.2,
    meta: { agent: 'draft', runId: 'r1' },
  });
  assert.equal(r.text, 'Hello there, operator.');
  assert.deepEqual(r.usage, { promptTokens: 1200, completionTokens: 300, estimated: false });
  assert.equal(r.model, 'gpt-4o-mini');
  assert.equal(r.costUsd, (1200 * 0.15 + 300 * 0.6) / 1e6);
  assert.equal(r.priced, true);
  assert.equal(r.attempts, 1);
  assert.equal(r.fallback, false);
  assert.equal(r.finishReason, 'stop');
  assert.match(r.callId, /^llm-/);
  const [sent] = h.fake.completions;
  assert.ok(sent);
  assert.equal(sent.headers.authorization, `Bearer ${API_KEY}`);
  assert.equal(sent.body['model'], 'gpt-4o-mini');
  assert.equal(sent.body['max_tokens'], 64);
  assert.equal(sent.body['temperature'], 0.2);
  assert.equal(sent.body['stream'], undefined);
  assert.deepEqual(sent.body['messages'], [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Say hello' },
  ]);
  assert.ok(!JSON.stringify(sent.body).includes(API_KEY));
});

test('a model without a price costs 0 and is flagged unpriced', async () => {
  const r = await h.llm.complete({ model: 'local-llama', messages: [user('hi')] });
  assert.equal(r.text, 'echo: hi');
  assert.equal(r.costUsd, 0);
  assert.equal(r.priced, false);
  assert.ok(r.usage.promptTokens > 0);
});

test('tool calls come back with arguments parsed (and transformed) by the tool’s zod schema', async () => {
  h.fake.reply({ toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: { city: 'Lisbon', unit: 'c' } }] });
  const r = await h.llm.complete({ messages: [user('Weather in Lisbon?')], tools: [weather], toolChoice: 'auto' });
  assert.deepEqual(r.toolCalls, [{ id: 'call_1', name: 'get_weather', args: { city: 'Lisbon', unit: 'celsius' } }]);
  assert.equal(r.finishReason, 'tool_calls');
  const fn = dig(h.fake.completions[0]?.body, 'tools', 0, 'function');
  assert.equal(dig(fn, 'name'), 'get_weather');
  assert.equal(dig(fn, 'strict'), true);
  assert.equal(dig(fn, 'parameters', 'additionalProperties'), false);
  assert.deepEqual(dig(fn, 'parameters', 'required'), ['city', 'unit']);
  assert.equal(h.fake.completions[0]?.body['tool_choice'], 'auto');
});

test('the conversation goes on with the tool result: assistant tool_calls and tool messages are sent back as OpenAI expects', async () => {
  h.fake.reply({ text: 'It is 21 °C in Lisbon.' });
  const r = await h.llm.complete({
    messages: [
      user('Weather in Lisbon?'),
      {
        role: 'assistant',
        content: '',
        toolCalls: [{ id: 'call_1', name: 'get_weather', args: { city: 'Lisbon', unit: 'c' } }],
      },
      { role: 'tool', toolCallId: 'call_1', content: '{"tempC":21}' },
    ],
    tools: [weather],
    toolChoice: { name: 'get_weather' },
  });
  assert.equal(r.text, 'It is 21 °C in Lisbon.');
  const body = h.fake.completions[0]?.body;
  assert.deepEqual(body?.['tool_choice'], { type: 'function', function: { name: 'get_weather' } });
  assert.deepEqual(dig(body, 'messages', 1, 'tool_calls'), [
    { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Lisbon","unit":"c"}' } },
  ]);
});

test('invalid tool arguments get one repair round trip that tells the model what was wrong', async () => {
  h.fake.reply(
    { toolCalls: [{ id: 'bad_1', name: 'get_weather', arguments: { city: 'L', unit: 'kelvin' } }] },
    { toolCalls: [{ id: 'good_1', name: 'get_weather', arguments: { city: 'Lisbon', unit: 'f' } }] },
  );
  const r = await h.llm.complete({ messages: [user('Weather?')], tools: [weather] });
  assert.deepEqual(r.toolCalls, [{ id: 'good_1', name: 'get_weather', args: { city: 'Lisbon', unit: 'fahrenheit' } }]);
  assert.equal(r.attempts, 2);
  const second = h.fake.completions[1]?.body['messages'] as Body[];
  assert.equal(second.at(-2)?.['role'], 'assistant');
  assert.equal(second.at(-1)?.['role'], 'tool');
  assert.equal(second.at(-1)?.['tool_call_id'], 'bad_1');
  assert.match(String(second.at(-1)?.['content']), /invalid arguments for get_weather: city: .*unit:/);
  // Both rounds are paid for.
  const [u1, u2] = h.fake.completions.map((c) => promptTokens(c.body));
  assert.ok(u1 !== undefined && u2 !== undefined && r.usage.promptTokens === u1 + u2);
});

test('tool arguments still invalid after the repair → bad_output, recorded as a failure', async () => {
  h.fake.reply(
    { toolCalls: [{ name: 'get_weather', arguments: '{"city": "Lis' }] },
    { toolCalls: [{ name: 'no_such_tool', arguments: {} }] },
  );
  const err = await h.llm.complete({ messages: [user('Weather?')], tools: [weather] }).catch((e: unknown) => e);
  assert.ok(err instanceof LlmError);
  assert.equal(err.code, 'bad_output');
  assert.equal(err.retryable, false);
  assert.match(err.message, /no tool named "no_such_tool"/);
  const tool = (h.fake.completions[1]?.body['messages'] as Body[]).at(-1);
  assert.match(String(tool?.['content']), /not valid JSON/);
  assert.equal(h.records.length, 1);
  assert.equal(h.records[0]?.ok, false);
  assert.ok((h.records[0]?.promptTokens ?? 0) > 0, 'tokens spent on failed rounds are still recorded');
});

const invoice = z.object({
  client: z.string(),
  amount: z.number().positive(),
  lines: z.array(z.object({ item: z.string(), qty: z.number().int() })),
});

test('structured output: response_format json_schema from zod, reply parsed and validated', async () => {
  const value = { client: 'ACME', amount: 1200, lines: [{ item: 'design', qty: 3 }] };
  h.fake.reply({ json: value });
  const r = await h.llm.complete({
    messages: [user('Invoice ACME 1200 for 3 design')],
    schema: invoice,
    schemaName: 'invoice draft',
  });
  assert.deepEqual(r.parsed, value);
  const format = dig(h.fake.completions[0]?.body, 'response_format');
  assert.equal(dig(format, 'type'), 'json_schema');
  assert.equal(dig(format, 'json_schema', 'name'), 'invoice_draft');
  assert.equal(dig(format, 'json_schema', 'strict'), true);
  assert.equal(dig(format, 'json_schema', 'schema', 'properties', 'lines', 'items', 'additionalProperties'), false);
});

test('structured output with optional fields is sent non-strict (OpenAI strict mode needs every field required)', async () => {
  h.fake.reply({ json: { title: 'x' } });
  const r = await h.llm.complete({
    messages: [user('t')],
    schema: z.object({ title: z.string(), note: z.string().optional() }),
  });
  assert.deepEqual(r.parsed, { title: 'x' });
  assert.equal(dig(h.fake.completions[0]?.body, 'response_format', 'json_schema', 'strict'), false);
});

test('invalid structured output is repaired once with the validation errors', async () => {
  h.fake.reply({ json: { client: 'ACME', amount: -5, lines: [] } }, { json: { client: 'ACME', amount: 5, lines: [] } });
  const r = await h.llm.complete({ messages: [user('Invoice')], schema: invoice });
  assert.deepEqual(r.parsed, { client: 'ACME', amount: 5, lines: [] });
  assert.equal(r.attempts, 2);
  const msgs = h.fake.completions[1]?.body['messages'] as Body[];
  assert.equal(msgs.at(-2)?.['content'], '{"client":"ACME","amount":-5,"lines":[]}');
  assert.match(String(msgs.at(-1)?.['content']), /amount: Too small/);
});

test('structured output still wrong after the repair → bad_output', async () => {
  h.fake.reply({ text: 'I think the amount is about 5.' }, { text: 'Sorry, 5.' });
  const err = await h.llm.complete({ messages: [user('Invoice')], schema: invoice }).catch((e: unknown) => e);
  assert.ok(err instanceof LlmError && err.code === 'bad_output');
  assert.match(err.message, /not valid JSON/);
});

test('a model that ignores response_format but answers JSON in fences or prose still parses', async () => {
  const value = { client: 'ACME', amount: 7, lines: [] };
  h.fake.reply(
    { text: '```json\n' + JSON.stringify(value, null, 2) + '\n```' },
    { text: `Here you go: ${JSON.stringify(value)} — anything else?` },
  );
  assert.deepEqual((await h.llm.complete({ messages: [user('a')], schema: invoice })).parsed, value);
  assert.deepEqual((await h.llm.complete({ messages: [user('b')], schema: invoice })).parsed, value);
  assert.equal(h.fake.completions.length, 2, 'no repair needed');
});

test('JSON cut off at the token limit fails as bad_output without a pointless repair', async () => {
  h.fake.reply({ text: '{"client": "AC', finishReason: 'length' });
  const err = await h.llm.complete({ messages: [user('a')], schema: invoice, maxTokens: 5 }).catch((e: unknown) => e);
  assert.ok(err instanceof LlmError && err.code === 'bad_output');
  assert.match(err.message, /cut off at the token limit/);
  assert.equal(h.fake.completions.length, 1);
});

test('a refusal is a non-retryable refused error', async () => {
  h.fake.reply({ refusal: 'I can’t help with that.' });
  const err = await h.llm.complete({ messages: [user('x')], schema: invoice }).catch((e: unknown) => e);
  assert.ok(err instanceof LlmError && err.code === 'refused' && !err.retryable);
  assert.equal(h.fake.completions.length, 1);
});

test('an endpoint that reports no usage gets a local token count, marked estimated', async () => {
  h.fake.reply({ text: 'The quick brown fox jumps over the lazy dog.', usage: 'omit' });
  const r = await h.llm.complete({ messages: [user('Tell me about foxes, please.')] });
  assert.equal(r.usage.estimated, true);
  assert.equal(r.usage.completionTokens, 10);
  assert.ok(r.usage.promptTokens >= 10 && r.usage.promptTokens < 30, `prompt tokens ${r.usage.promptTokens}`);
  assert.equal(h.records[0]?.usageEstimated, true);
});

test('an endpoint that rejects response_format gets the schema in the system prompt from then on', async () => {
  h.fake.handle((req) =>
    req.body['response_format']
      ? {
          status: 400,
          error: {
            message: "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.",
          },
        }
      : { json: { ok: true } },
  );
  const llm = await h.make({ model: 'gpt-4.1-nano' });
  const schema = z.object({ ok: z.boolean() });
  assert.deepEqual((await llm.complete({ messages: [system('You check things.'), user('ok?')], schema })).parsed, {
    ok: true,
  });
  assert.deepEqual((await llm.complete({ messages: [user('again?')], schema })).parsed, { ok: true });
  const [first, second, third] = h.fake.completions;
  assert.ok(first?.body['response_format'] && !second?.body['response_format'] && !third?.body['response_format']);
  assert.match(
    String((second?.body['messages'] as Body[])[0]?.['content']),
    /^You check things\.\n\nReply with only a JSON value/,
  );
  assert.match(String((third?.body['messages'] as Body[])[0]?.['content']), /JSON Schema/);
});

test('a keyless local server (Ollama, llama.cpp) works; OPENAI_* variables in the environment are not read behind our back', async () => {
  const local = await new FakeOpenAI().start();
  const saved = process.env['OPENAI_API_KEY'];
  process.env['OPENAI_API_KEY'] = 'sk-from-env-should-not-be-sent';
  try {
    const llm = await h.make({
      baseURL: local.baseURL,
      apiKey: undefined,
      model: 'llama3.1:8b',
      maxTokensParam: 'max_completion_tokens',
    });
    const r = await llm.complete({ messages: [user('hi')], maxTokens: 50 });
    assert.equal(r.text, 'echo: hi');
    assert.equal(r.priced, false);
    const sent = local.completions[0];
    assert.equal(sent?.headers.authorization, 'Bearer no-key');
    assert.equal(sent?.body['max_completion_tokens'], 50);
    assert.equal(sent?.body['max_tokens'], undefined);
  } finally {
    if (saved === undefined) delete process.env['OPENAI_API_KEY'];
    else process.env['OPENAI_API_KEY'] = saved;
    await local.stop();
  }
});
