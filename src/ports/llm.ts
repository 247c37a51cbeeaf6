// The LLM port: what the core asks of a language model, in channel- and vendor-neutral terms. Agents, the router
// and budgets depend on these types only; src/llm/openai.ts is the one implementation (any OpenAI-compatible
// endpoint). Tool arguments and structured output are validated with zod before they reach the caller.

import type { z } from 'zod';

export interface ToolCall {
  id: string;
  name: string;
  /** Arguments as validated (and transformed) by the tool's zod schema. */
  args: unknown;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  /** On a `tool` message: the id of the call it answers. */
  toolCallId?: string;
  /** On an `assistant` message: the calls it made (sent back verbatim when the conversation goes on). */
  toolCalls?: ToolCall[];
}

export interface ToolSpec<T = unknown> {
  /** a-z, A-Z, 0-9, _ and -, at most 64 characters (the OpenAI rule). */
  name: string;
  description: string;
  /** An object schema; the model's arguments are parsed with it. */
  parameters: z.ZodType<T>;
}

export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

export interface LlmCallMeta {
  agent?: string;
  runId?: string;
  promptVersion?: string;
  purpose?: string;
}

export interface LlmRequest<T = unknown> {
  messages: ChatMessage[];
  tools?: ToolSpec[];
  toolChoice?: ToolChoice;
  /** Structured output: the reply must be JSON matching this schema; the result carries it as `parsed`. */
  schema?: z.ZodType<T>;
  /** Name of the schema sent to the model (default `result`). */
  schemaName?: string;
  /** Overrides the configured model for this call. */
  model?: string;
  /** Upper bound of completion tokens (default from the adapter, 1024). Also bounds the cost estimate. */
  maxTokens?: number;
  temperature?: number;
  /** Streaming: called with each piece of reply text, in order, as it arrives (first round only, never repairs). */
  onDelta?: (text: string) => void;
  signal?: AbortSignal;
  meta?: LlmCallMeta;
}

interface LlmUsage {
  promptTokens: number;
  completionTokens: number;
  /** True when the endpoint reported no usage and the numbers were counted locally with gpt-tokenizer. */
  estimated: boolean;
}

export interface LlmResult<T = unknown> {
  text: string;
  parsed?: T;
  toolCalls: ToolCall[];
  /** Summed over every round of the call (a repair round trip counts). */
  usage: LlmUsage;
  /** The model that produced the answer (the fallback model when `fallback`). */
  model: string;
  costUsd: number;
  /** False when a model used had no price in the table: its tokens were counted as costing 0. */
  priced: boolean;
  latencyMs: number;
  /** HTTP requests made, counting retries, repair round trips and the fallback's. */
  attempts: number;
  fallback: boolean;
  /** stop, length, tool_calls, content_filter … as the endpoint said for the last round. */
  finishReason: string;
  callId: string;
}

export interface LlmEstimate {
  model: string;
  promptTokens: number;
  maxCompletionTokens: number;
  /** Upper bound for budgets: the dearer of primary and fallback prices, including the one repair round trip that
   * tools or a schema may need. Prompt tokens are counted with an OpenAI tokenizer, so other vendors' tokenizers
   * may differ by a few percent. */
  costUsd: number;
  /** Cost of one round without repair at the primary model's prices. */
  singleRoundUsd: number;
  priced: boolean;
}

export interface Llm {
  readonly model: string;
  complete<T>(req: LlmRequest<T>): Promise<LlmResult<T>>;
  estimate(req: LlmRequest<unknown>): LlmEstimate;
}

/** One record per `complete` (success or failure), for the event log (`llm.called` / `llm.failed`) and cost
 * accounting. Never contains message text or credentials. */
export type LlmCallRecord = LlmCallSucceeded | LlmCallFailed;

interface LlmCallCommon extends LlmCallMeta {
  callId: string;
  model: string;
  promptTokens: number;
  completionTokens: number;
  usageEstimated: boolean;
  costUsd: number;
  priced: boolean;
  latencyMs: number;
  attempts: number;
  fallback: boolean;
  streamed: boolean;
}

interface LlmCallSucceeded extends LlmCallCommon {
  ok: true;
  finishReason: string;
}

interface LlmCallFailed extends LlmCallCommon {
  ok: false;
  /** LlmError code: rate_limited, timeout, unavailable, bad_output … */
  code: string;
  /** `code: detail`, credentials removed. */
  error: string;
}
