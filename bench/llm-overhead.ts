// Client-side cost of one model call, model time excluded: the fake OpenAI-compatible server answers at once, so
// what remains is HTTP on loopback plus the openai client plus our adapter (messages, zod, JSON Schema, records).
// The raw fetch line is the floor; the difference to it is what the client and the adapter add.

import { Writable } from 'node:stream';
import OpenAI from 'openai';
import { z } from 'zod';
import { createOpenAiLlm } from '../adapters/llm/openai/openai.ts';
import { DEFAULT_PRICES } from '../src/llm/prices.ts';
import { createLogger } from '../src/observability/logger.ts';
import { FakeOpenAI } from '../test/fakes/openai.ts';
import { line, percentile, summary } from './stats.ts';

const N = Number(process.env['BENCH_N'] ?? 400);
const WARMUP = 100;

const fake = await new FakeOpenAI({ apiKey: 'sk-bench' }).start();
const logger = await createLogger(
  { LOG_LEVEL: 'info', LOG_FORMAT: 'json' },
  new Writable({ write: (_c, _e, done) => done() }),
);
let records = 0;
const llm = createOpenAiLlm({
  baseURL: fake.baseURL,
  apiKey: 'sk-bench',
  model: 'gpt-4o-mini',
  timeoutMs: 5000,
  maxRetries: 2,
  prices: DEFAULT_PRICES,
  logger,
  onCall: () => void records++,
});
const client = new OpenAI({ baseURL: fake.baseURL, apiKey: 'sk-bench', maxRetries: 0, logLevel: 'off' });
const messages = [
  { role: 'system' as const, content: 'You are Solo, a helpful assistant for a one-person company.' },
  { role: 'user' as const, content: 'Draft a two-line reminder to ACME about invoice INV-0042.' },
];
const schema = z.object({ subject: z.string(), body: z.string(), urgency: z.enum(['low', 'normal', 'high']) });
const tool = { name: 'memory_search', description: 'Search memory', parameters: z.object({ query: z.string() }) };

// Each reply the fake gives depends on what was asked, so the variants can be interleaved call by call: machine
// noise and JIT warm-up then fall on all of them alike.
fake.handle((req) => {
  if (req.body['response_format'])
    return { json: { subject: 'INV-0042', body: 'A friendly reminder.', urgency: 'normal' } };
  if (req.body['tools']) return { toolCalls: [{ name: 'memory_search', arguments: { query: 'ACME' } }] };
  return { text: 'Hi ACME, a friendly reminder that INV-0042 is due. Thanks, and have a good week ahead!' };
});
const variants: Array<[string, () => Promise<unknown>]> = [
  [
    'raw fetch (floor)',
    async () => {
      const res = await fetch(`${fake.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer sk-bench', 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages, max_tokens: 1024 }),
      });
      await res.json();
    },
  ],
  [
    'openai client, no adapter',
    () => client.chat.completions.create({ model: 'gpt-4o-mini', messages, max_tokens: 1024 }),
  ],
  ['adapter: plain text', () => llm.complete({ messages })],
  ['adapter: streamed (16 deltas)', () => llm.complete({ messages, onDelta: () => {} })],
  ['adapter: structured output (zod)', () => llm.complete({ messages, schema })],
  ['adapter: tool call (zod args)', () => llm.complete({ messages, tools: [tool] })],
  ['estimate() (tokenizer, no I/O)', async () => llm.estimate({ messages, schema, tools: [tool] })],
];
const times = new Map<string, number[]>(variants.map(([label]) => [label, []]));
for (let i = 0; i < WARMUP + N; i++) {
  for (const [label, run] of variants) {
    const t = performance.now();
    await run();
    if (i >= WARMUP) times.get(label)?.push(performance.now() - t);
  }
}
for (const [label, values] of times) line(label, summary(values, 'ms', 2));
const of = (label: string) => times.get(label) ?? [];
const raw = of('raw fetch (floor)');
const sdk = of('openai client, no adapter');
const plain = of('adapter: plain text');
const streamed = of('adapter: streamed (16 deltas)');
const structured = of('adapter: structured output (zod)');
const tools = of('adapter: tool call (zod args)');
const estimates = of('estimate() (tokenizer, no I/O)');

const p50 = (xs: number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );
console.log('');
line('added by openai client over raw fetch', `${(p50(sdk) - p50(raw)).toFixed(2)} ms at p50`);
line('added by adapter over openai client', `${(p50(plain) - p50(sdk)).toFixed(2)} ms at p50 (plain)`);
line(
  '  structured / tools / streamed',
  `${(p50(structured) - p50(sdk)).toFixed(2)} / ${(p50(tools) - p50(sdk)).toFixed(2)} / ${(p50(streamed) - p50(sdk)).toFixed(2)} ms at p50`,
);
line('estimate', `${p50(estimates).toFixed(3)} ms at p50`);
line('records reported', `${records} (one per call)`);
line('RSS', `${(process.memoryUsage().rss / 1024 / 1024).toFixed(0)} MB`);
await fake.stop();
