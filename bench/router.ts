// Router overhead, model time excluded: a free-text turn ("hello", and one that is remembered) through the web API
// with the router agent, against the OpenAI-compatible fake answering at once. The fake's own round trip (a raw
// fetch of the same request size) is measured alongside and subtracted: what remains is Solo OS — conductor,
// agent runner (redaction, estimate, budget reserve/settle, agent.ran record), openai client, event writes.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../src/config.ts';
import { startSolo } from '../src/main.ts';
import { FakeOpenAI } from '../test/fakes/openai.ts';
import { tempDir } from '../test/support/app.ts';
import { line, summary } from './stats.ts';

const N = Number(process.env['BENCH_N'] ?? 300);
const WARMUP = 50;

const fake = await new FakeOpenAI({ apiKey: 'sk-bench' }).start();
fake.handle((req) => {
  const messages = (req.body['messages'] ?? []) as Array<{ role: string; content: string }>;
  const user = messages.find((m) => m.role === 'user')?.content ?? '';
  return /^hello/.test(user)
    ? { json: { action: 'reply', understood: 'A greeting.', reply: 'Hello! What can I do for you?' } }
    : { json: { action: 'remember', understood: 'A fact about a client.', fact: user } };
});
// The default policy allows 60 agent calls a minute; the benchmark makes thousands.
const policies = tempDir('solo-policies-');
writeFileSync(join(policies, 'limits.yaml'), 'rate_limits:\n  agent:*: 1000000/minute\n');
const config = loadConfig({
  DATA_DIR: tempDir('solo-bench-'),
  PORT: '0',
  LOG_LEVEL: 'silent',
  POLICIES_DIR: policies,
  EMBEDDING_MODEL: 'off',
  RATE_LIMIT_PER_MINUTE: '0',
  OPENAI_BASE_URL: fake.baseURL,
  OPENAI_API_KEY: 'sk-bench',
  OPENAI_MODEL: 'gpt-4o-mini',
});
const app = await startSolo(config, { logger: pino({ level: 'silent' }) });

async function post(text: string, id: string): Promise<void> {
  const res = await fetch(`${app.url}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text, id }),
  });
  if (res.status !== 200) throw new Error(`status ${res.status}: ${await res.text()}`);
  await res.json();
}

// The floor: the same-sized request straight to the fake, as the model's "time".
let lastBody = '';
const rawFetch = async () => {
  const res = await fetch(`${fake.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { authorization: 'Bearer sk-bench', 'content-type': 'application/json' },
    body: lastBody,
  });
  await res.json();
};

const turns: Record<string, number[]> = { hello: [], remember: [], model: [] };
for (let i = 0; i < WARMUP + N; i++) {
  const hello = performance.now();
  await post('hello there', `h${i}`);
  const helloMs = performance.now() - hello;
  lastBody = JSON.stringify(fake.completions.at(-1)?.body ?? {});
  const raw = performance.now();
  await rawFetch();
  const rawMs = performance.now() - raw;
  const fact = performance.now();
  await post(`Client${i % 50} Ltd: prefers calls on friday morning number ${i}`, `r${i}`);
  const factMs = performance.now() - fact;
  if (i >= WARMUP) {
    turns['hello']!.push(helloMs);
    turns['remember']!.push(factMs);
    turns['model']!.push(rawMs);
  }
}
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const p50 = (xs: number[]) => sorted(xs)[Math.floor(xs.length / 2)] ?? NaN;
const calls = await app.store.events.readRange({ types: ['llm.called'] });
const helloTokens = calls.find((e) => e.type === 'llm.called')?.data;

console.log('Free-text turn through the web API, router agent, fake model answering at once');
line('"hello" turn (web API → reply)', summary(turns['hello']!, 'ms'));
line('"Acme: fact" turn (router + remember)', summary(turns['remember']!, 'ms'));
line('model round trip (raw fetch to fake)', summary(turns['model']!, 'ms'));
line(
  'router overhead excl. model, p50',
  `${(p50(turns['hello']!) - p50(turns['model']!)).toFixed(2)} ms ("hello"), ${(p50(turns['remember']!) - p50(turns['model']!)).toFixed(2)} ms (remember)`,
);
line(
  'prompt tokens for "hello"',
  `${helloTokens && 'promptTokens' in helloTokens ? helloTokens.promptTokens : '?'} (fake counts ~4 chars/token)`,
  'a few thousand at most',
);
line('RSS after the run', `${Math.round(process.memoryUsage().rss / 1024 / 1024)} MB (bot and fake in one process)`);
await app.stop();
await fake.stop();
