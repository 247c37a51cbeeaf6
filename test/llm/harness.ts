// Shared set-up for the LLM tests: the fake OpenAI-compatible server (with a Bearer key it checks), the real
// adapter over the real openai client pointed at it, a pino logger writing JSON lines into memory, and every
// onCall record. `leaks()` lists every place the API key (or its secret part) shows up.

import { after, before, beforeEach } from 'node:test';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/observability/logger.ts';
import { createOpenAiLlm, type OpenAiLlmOptions } from '../../adapters/llm/openai/openai.ts';
import type { Llm, LlmCallRecord } from '../../src/ports/llm.ts';
import { DEFAULT_PRICES } from '../../src/llm/prices.ts';
import { FakeOpenAI } from '../fakes/openai.ts';

export const API_KEY = 'sk-test-TOPSECRET-4f9a8b7c6d5e';
const SECRET_PART = 'TOPSECRET';
const MODELS = ['gpt-4o-mini', 'gpt-4.1-nano', 'local-llama'];

export interface Harness {
  fake: FakeOpenAI;
  llm: Llm;
  records: LlmCallRecord[];
  logs: string[];
  /** Builds another adapter on the same fake with other options. */
  make(overrides?: Partial<OpenAiLlmOptions>): Promise<Llm>;
  stop(): Promise<void>;
}

async function startHarness(overrides: Partial<OpenAiLlmOptions> = {}): Promise<Harness> {
  const fake = await new FakeOpenAI({ apiKey: API_KEY, models: MODELS }).start();
  const records: LlmCallRecord[] = [];
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const logger = await createLogger({ LOG_LEVEL: 'debug', LOG_FORMAT: 'json' }, sink);
  const make = async (more: Partial<OpenAiLlmOptions> = {}) =>
    createOpenAiLlm({
      baseURL: fake.baseURL,
      apiKey: API_KEY,
      model: 'gpt-4o-mini',
      timeoutMs: 2000,
      maxRetries: 2,
      retryBaseDelayMs: 20,
      prices: DEFAULT_PRICES,
      logger,
      onCall: (r) => void records.push(r),
      ...overrides,
      ...more,
    });
  return { fake, llm: await make(), records, logs, make, stop: () => fake.stop() };
}

/**
 * The harness for one test file: started before its tests, stopped after them, and cleared before each (the fake's
 * queued answers and recorded calls, the call records, the log lines). Its fields are filled in once `before` ran.
 */
export function useHarness(overrides: Partial<OpenAiLlmOptions> = {}): Harness {
  const h = {} as Harness;
  before(async () => {
    Object.assign(h, await startHarness(overrides));
  });
  after(() => h.stop());
  beforeEach(() => {
    h.fake.reset();
    h.records.length = 0;
    h.logs.length = 0;
  });
  return h;
}

/** Where the key leaked (whole, its secret part, or the masked `sk-te***` echo OpenAI puts in a 401): log lines,
 * records, error texts given. Empty is good. */
export function leaks(h: Harness, extra: unknown[] = []): string[] {
  const places = [...h.logs, ...h.records.map((r) => JSON.stringify(r)), ...extra.map(describeDeep)];
  return places.filter(
    (text) =>
      text.includes(API_KEY) ||
      text.includes(SECRET_PART) ||
      text.includes(API_KEY.slice(0, 9)) ||
      text.includes(`${API_KEY.slice(0, 5)}*`),
  );
}

/** An error's message, stack, userMessage and its causes, as text. */
function describeDeep(value: unknown): string {
  const parts: string[] = [];
  let current: unknown = value;
  for (let depth = 0; current !== undefined && depth < 6; depth++) {
    if (current instanceof Error) {
      parts.push(current.message, current.stack ?? '', JSON.stringify(current));
      const user = (current as { userMessage?: unknown }).userMessage;
      if (typeof user === 'string') parts.push(user);
      current = current.cause;
    } else {
      parts.push(typeof current === 'string' ? current : JSON.stringify(current));
      current = undefined;
    }
  }
  return parts.join('\n');
}

export const user = (content: string) => ({ role: 'user' as const, content });
export const system = (content: string) => ({ role: 'system' as const, content });

/** Reads a nested value from a recorded request body: dig(body, 'tools', 0, 'function', 'name'). */
export function dig(value: unknown, ...path: Array<string | number>): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}
