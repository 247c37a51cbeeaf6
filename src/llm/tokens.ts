// Token counting for estimates (budgets reserve before a call) and for endpoints that report no usage.
// gpt-tokenizer (o200k_base, the GPT-4o/4.1/5 encoding) takes ~0.35 s to load, so it is loaded synchronously on
// first use rather than at start-up. Other vendors' tokenizers differ by a few percent; the numbers are estimates.

import { createRequire } from 'node:module';
import type { ChatMessage } from '../ports/llm.ts';

type Tokenizer = typeof import('gpt-tokenizer');
let tokenizer: Tokenizer | undefined;
const load = (): Tokenizer => (tokenizer ??= createRequire(import.meta.url)('gpt-tokenizer') as Tokenizer);

/** Per-message framing (<|im_start|>role … <|im_end|>) and the reply's priming, as OpenAI's cookbook counts. */
const PER_MESSAGE = 4;
const PRIMING = 3;
const PER_TOOL = 10;

/** Special-token text such as "<|im_end|>" inside a message (an injection attempt, a pasted log) counts as text. */
const AS_TEXT = { disallowedSpecial: new Set<string>() };

export function countText(text: string): number {
  if (text === '') return 0;
  return load().countTokens(text, AS_TEXT);
}

/** Prompt tokens of a request: messages (with their tool calls), tool definitions and a response schema. */
export function countPrompt(
  messages: readonly ChatMessage[],
  extras: { toolSchemas?: readonly unknown[]; responseSchema?: unknown } = {},
): number {
  let total = PRIMING;
  for (const m of messages) {
    total += PER_MESSAGE + countText(m.content);
    for (const call of m.toolCalls ?? [])
      total += PER_MESSAGE + countText(call.name) + countText(JSON.stringify(call.args ?? {}));
  }
  for (const schema of extras.toolSchemas ?? []) total += PER_TOOL + countText(JSON.stringify(schema));
  if (extras.responseSchema !== undefined) total += PER_TOOL + countText(JSON.stringify(extras.responseSchema));
  return total;
}
