// The LLM port over the official `openai` client, for any OpenAI-compatible endpoint (OpenAI, Ollama, vLLM,
// LM Studio, llama.cpp server). One `complete` = up to two rounds on one model (the answer, and one repair round
// trip when tool arguments or structured output fail their zod schema), each HTTP request retried on 429/5xx/
// timeouts (see retry.ts), then the whole call once more on the fallback model if the primary stayed unreachable.
// Every call, success or failure, is reported once to `onCall` with tokens, cost and attempts.

import OpenAI from 'openai';
import type {
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import { randomId } from '../../../src/domain/ids.ts';
import type { Logger } from '../../../src/observability/logger.ts';
import { LlmError, scrubSecrets, type LlmErrorCode } from '../../../src/llm/errors.ts';
import { classifyOpenAiError } from './errors.ts';
import {
  responseFormat,
  sendOnce,
  toWireMessages,
  toWireToolChoice,
  toWireTools,
  withSchemaInstruction,
  type Round,
} from './wire.ts';
import type {
  Llm,
  LlmCallMeta,
  LlmCallRecord,
  LlmEstimate,
  LlmRequest,
  LlmResult,
  ToolCall,
  ToolSpec,
} from '../../../src/ports/llm.ts';
import { costOf, type PriceTable } from '../../../src/llm/prices.ts';
import { withRetries } from '../../../src/llm/retry.ts';
import { parseStructured, parseToolArgs, toJsonSchema, type JsonSchemaOut } from '../../../src/llm/schema.ts';
import { countPrompt, countText } from '../../../src/llm/tokens.ts';

export interface OpenAiLlmOptions {
  /** Default https://api.openai.com/v1. The OPENAI_* environment variables are never read implicitly. */
  baseURL?: string | undefined;
  /** Optional for local servers (Ollama, llama.cpp) that need none. */
  apiKey?: string | undefined;
  model: string;
  fallbackModel?: string | undefined;
  /** Per HTTP request; for a stream, the longest silence between chunks. */
  timeoutMs: number;
  maxRetries: number;
  prices: PriceTable;
  onCall?: (record: LlmCallRecord) => void | Promise<void>;
  logger: Logger;
  /** Completion budget when a request gives none (default 1024); always sent, so estimates are real bounds. */
  defaultMaxTokens?: number;
  /** First retry backoff without Retry-After (default 500 ms, doubling, capped at 8 s). */
  retryBaseDelayMs?: number;
  /** A Retry-After longer than this fails at once with `rate_limited` (default 60 000 ms). */
  maxRetryAfterMs?: number;
  /** Default: max_completion_tokens for api.openai.com (its newer models refuse max_tokens), max_tokens elsewhere. */
  maxTokensParam?: 'max_tokens' | 'max_completion_tokens';
}

/** Failures after which the fallback model is tried: the primary was unreachable, not the request wrong. */
const FALLBACK_ON = new Set<LlmErrorCode>(['rate_limited', 'timeout', 'unavailable', 'model_not_found']);
const REPAIR_ROUNDS = 1;
const REPAIR_OVERHEAD_TOKENS = 200;

interface Spend {
  model: string;
  promptTokens: number;
  completionTokens: number;
  estimated: boolean;
}

interface Outcome {
  round: Round;
  toolCalls: ToolCall[];
  parsed?: unknown;
}

export function createOpenAiLlm(options: OpenAiLlmOptions): Llm {
  const secrets = options.apiKey ? [options.apiKey] : [];
  const client = new OpenAI({
    apiKey: options.apiKey || 'no-key',
    baseURL: options.baseURL ?? 'https://api.openai.com/v1',
    organization: null,
    project: null,
    timeout: options.timeoutMs,
    maxRetries: 0,
    logLevel: 'off',
  });
  const defaultMaxTokens = options.defaultMaxTokens ?? 1024;
  const host = new URL(client.baseURL).hostname;
  const maxTokensParam = options.maxTokensParam ?? (host === 'api.openai.com' ? 'max_completion_tokens' : 'max_tokens');
  /** Models whose endpoint refused response_format: their schema goes into the prompt from then on. */
  const promptModeModels = new Set<string>();
  const log = options.logger;

  async function send(
    model: string,
    body: ChatCompletionCreateParamsNonStreaming,
    req: LlmRequest<unknown>,
    stream: boolean,
    counter: { attempts: number },
    callId: string,
  ): Promise<Round> {
    const state = { timedOut: false, deltas: 0 };
    return withRetries(
      async () => {
        state.timedOut = false;
        try {
          return await sendOnce(client, body, {
            timeoutMs: options.timeoutMs,
            signal: req.signal,
            onDelta: stream ? req.onDelta : undefined,
            onDeltaError: (err) => log.warn({ callId, err: describe(err) }, 'onDelta threw; the model call goes on'),
            state,
          });
        } catch (err) {
          const e = classifyOpenAiError(err, {
            model,
            secrets,
            timedOut: state.timedOut,
            timeoutMs: options.timeoutMs,
            callerAborted: req.signal?.aborted === true,
          });
          // Text already shown to the user cannot be taken back: no retry, no fallback.
          if (state.deltas > 0 && e.retryable)
            throw new LlmError('interrupted', `${model} stopped after ${state.deltas} streamed pieces (${e.message})`, {
              retryable: true,
              cause: e,
            });
          throw e;
        }
      },
      {
        maxRetries: options.maxRetries,
        baseDelayMs: options.retryBaseDelayMs ?? 500,
        maxDelayMs: 8000,
        maxRetryAfterMs: options.maxRetryAfterMs ?? 60_000,
        signal: req.signal,
        // The caller may retry an interrupted stream (and show a fresh reply); this call cannot.
        canRetry: (e) => e.code !== 'interrupted',
        onRetry: ({ attempt, delayMs, error }) =>
          log.warn(
            { callId, model, attempt, code: error.code, status: error.status, delayMs },
            'model request failed; retrying',
          ),
      },
      counter,
    );
  }

  function body(
    model: string,
    messages: ChatCompletionMessageParam[],
    req: LlmRequest<unknown>,
    tools: ReturnType<typeof toWireTools> | undefined,
    schema: JsonSchemaOut | undefined,
  ): ChatCompletionCreateParamsNonStreaming {
    const prompt = schema !== undefined && promptModeModels.has(model);
    return {
      model,
      messages: prompt && schema ? withSchemaInstruction(messages, schema.schema) : messages,
      [maxTokensParam]: req.maxTokens ?? defaultMaxTokens,
      ...(req.temperature === undefined ? {} : { temperature: req.temperature }),
      ...(tools ? { tools, ...(req.toolChoice ? { tool_choice: toWireToolChoice(req.toolChoice) } : {}) } : {}),
      ...(schema && !prompt ? { response_format: responseFormat(req.schemaName, schema.schema, schema.strict) } : {}),
    };
  }

  async function converse(
    model: string,
    req: LlmRequest<unknown>,
    spent: Spend[],
    counter: { attempts: number },
    callId: string,
  ): Promise<Outcome> {
    const specs = req.tools ?? [];
    const tools = specs.length ? toWireTools(specs) : undefined;
    const schema = req.schema ? toJsonSchema(req.schema) : undefined;
    const messages = toWireMessages(req.messages);
    const round = async (stream: boolean): Promise<Round> => {
      const params = body(model, messages, req, tools, schema);
      let r: Round;
      try {
        r = await send(model, params, req, stream, counter, callId);
      } catch (err) {
        const refusedFormat =
          err instanceof LlmError && err.code === 'bad_request' && /response_format|json_schema/i.test(err.message);
        if (!schema || !refusedFormat || promptModeModels.has(model)) throw err;
        log.warn({ callId, model }, 'endpoint refused response_format; asking for JSON in the prompt instead');
        promptModeModels.add(model);
        r = await send(model, body(model, messages, req, tools, schema), req, stream, counter, callId);
      }
      spent.push(spendOf(model, params, r));
      if (r.refusal !== undefined) throw new LlmError('refused', `${model} refused: ${r.refusal.slice(0, 200)}`);
      if (r.finishReason === 'content_filter') throw new LlmError('refused', `${model} stopped by its content filter`);
      return r;
    };

    let current = await round(req.onDelta !== undefined);
    for (let repairs = 0; ; repairs++) {
      if (current.toolCalls.length > 0) {
        const checked = checkToolCalls(current, specs);
        if (checked.ok) return { round: current, toolCalls: checked.calls };
        if (repairs >= REPAIR_ROUNDS)
          throw new LlmError(
            'bad_output',
            `${model} called tools with invalid arguments twice: ${checked.problems.join(' | ')}`,
          );
        log.info(
          { callId, model, problems: checked.problems.length },
          'tool arguments invalid; asking the model to correct them',
        );
        messages.push({
          role: 'assistant',
          content: current.text || null,
          tool_calls: checked.wire.map((c) => ({
            id: c.id,
            type: 'function' as const,
            function: { name: c.name, arguments: c.arguments },
          })),
        });
        for (const result of checked.results)
          messages.push({ role: 'tool', tool_call_id: result.id, content: result.note });
      } else if (req.schema) {
        const parsed = parseStructured(current.text, req.schema);
        if (parsed.ok) return { round: current, toolCalls: [], parsed: parsed.value };
        if (current.finishReason === 'length')
          throw new LlmError(
            'bad_output',
            `${model} was cut off at the token limit before finishing the JSON (${parsed.error})`,
          );
        if (repairs >= REPAIR_ROUNDS)
          throw new LlmError(
            'bad_output',
            `${model} returned output that does not match the schema twice: ${parsed.error}`,
          );
        log.info({ callId, model }, 'structured output invalid; asking the model to correct it');
        messages.push({ role: 'assistant', content: current.text });
        messages.push({
          role: 'user',
          content: `Your reply did not match the required JSON schema: ${parsed.error}. Reply again with only the corrected JSON, no other text.`,
        });
      } else {
        return { round: current, toolCalls: [] };
      }
      current = await round(false);
    }
  }

  function spendOf(model: string, params: ChatCompletionCreateParamsNonStreaming, r: Round): Spend {
    if (r.usage) return { model, ...r.usage, estimated: false };
    let promptTokens = 3;
    for (const m of params.messages)
      promptTokens +=
        4 +
        countText(typeof m.content === 'string' ? m.content : JSON.stringify(m.content ?? '')) +
        ('tool_calls' in m && m.tool_calls ? countText(JSON.stringify(m.tool_calls)) : 0);
    if (params.tools) promptTokens += countText(JSON.stringify(params.tools));
    if (params.response_format) promptTokens += countText(JSON.stringify(params.response_format));
    const completionTokens =
      countText(r.text) + r.toolCalls.reduce((n, c) => n + countText(c.name) + countText(c.arguments), 0);
    return { model, promptTokens, completionTokens, estimated: true };
  }

  async function report(record: LlmCallRecord): Promise<void> {
    if (!options.onCall) return;
    try {
      await options.onCall(record);
    } catch (err) {
      log.error({ callId: record.callId, err: describe(err) }, 'recording the model call failed');
    }
  }

  const llm: Llm = {
    model: options.model,

    async complete<T>(req: LlmRequest<T>): Promise<LlmResult<T>> {
      const callId = randomId('llm-', 10);
      const started = performance.now();
      const counter = { attempts: 0 };
      const spent: Spend[] = [];
      const primary = req.model ?? options.model;
      let model = primary;
      let fallback = false;
      const totals = () =>
        totalsOf(spent, options.prices, started, counter.attempts, fallback, req.onDelta !== undefined, req.meta);
      try {
        let outcome: Outcome;
        try {
          outcome = await converse(primary, req, spent, counter, callId);
        } catch (err) {
          const fb = options.fallbackModel;
          if (!(err instanceof LlmError) || !fb || fb === primary || !FALLBACK_ON.has(err.code) || req.signal?.aborted)
            throw err;
          log.warn(
            { callId, model: primary, fallbackModel: fb, code: err.code },
            'primary model failed; trying the fallback model',
          );
          model = fb;
          fallback = true;
          outcome = await converse(fb, req, spent, counter, callId);
        }
        const t = totals();
        const result: LlmResult<T> = {
          text: outcome.round.text,
          toolCalls: outcome.toolCalls,
          usage: { promptTokens: t.promptTokens, completionTokens: t.completionTokens, estimated: t.usageEstimated },
          model,
          costUsd: t.costUsd,
          priced: t.priced,
          latencyMs: t.latencyMs,
          attempts: t.attempts,
          fallback,
          finishReason: outcome.round.finishReason,
          callId,
          ...(outcome.parsed === undefined ? {} : { parsed: outcome.parsed as T }),
        };
        log.debug(
          {
            callId,
            model,
            promptTokens: t.promptTokens,
            completionTokens: t.completionTokens,
            costUsd: t.costUsd,
            latencyMs: t.latencyMs,
            attempts: t.attempts,
          },
          'model call done',
        );
        await report({ ok: true, callId, model, ...t, finishReason: result.finishReason });
        return result;
      } catch (err) {
        const e = err instanceof LlmError ? err : classifyOpenAiError(err, { model, secrets });
        const error = scrubSecrets(e.message, secrets);
        log.warn({ callId, model, code: e.code, attempts: counter.attempts, error }, 'model call failed');
        await report({ ok: false, callId, model, ...totals(), code: e.code, error });
        throw e;
      }
    },

    estimate(req: LlmRequest<unknown>): LlmEstimate {
      const model = req.model ?? options.model;
      const toolSchemas = (req.tools ?? []).map((t: ToolSpec) => ({
        name: t.name,
        description: t.description,
        parameters: toJsonSchema(t.parameters).schema,
      }));
      const responseSchema = req.schema ? toJsonSchema(req.schema).schema : undefined;
      const promptTokens = countPrompt(req.messages, { toolSchemas, ...(responseSchema ? { responseSchema } : {}) });
      const maxCompletionTokens = req.maxTokens ?? defaultMaxTokens;
      const single = costOf(model, promptTokens, maxCompletionTokens, options.prices);
      // A repair round resends the prompt plus the bad reply and a short complaint, and may answer in full again.
      const repair = req.tools?.length || req.schema;
      const worstPrompt = repair ? promptTokens * 2 + maxCompletionTokens + REPAIR_OVERHEAD_TOKENS : promptTokens;
      const worstCompletion = repair ? maxCompletionTokens * 2 : maxCompletionTokens;
      const models =
        options.fallbackModel && options.fallbackModel !== model ? [model, options.fallbackModel] : [model];
      const costs = models.map((m) => costOf(m, worstPrompt, worstCompletion, options.prices));
      return {
        model,
        promptTokens,
        maxCompletionTokens,
        costUsd: Math.max(...costs.map((c) => c.costUsd)),
        singleRoundUsd: single.costUsd,
        priced: costs.every((c) => c.priced),
      };
    },
  };
  return llm;
}

function checkToolCalls(round: Round, specs: readonly ToolSpec[]) {
  const wire = round.toolCalls.map((c, i) => ({ ...c, id: c.id || `call_${i}` }));
  const calls: ToolCall[] = [];
  const problems: string[] = [];
  const results: Array<{ id: string; note: string }> = [];
  for (const call of wire) {
    const spec = specs.find((s) => s.name === call.name);
    const parsed = spec
      ? parseToolArgs(call.arguments, spec.parameters)
      : {
          ok: false as const,
          error: `there is no tool named "${call.name}"; available: ${specs.map((s) => s.name).join(', ') || 'none'}`,
        };
    if (parsed.ok) {
      calls.push({ id: call.id, name: call.name, args: parsed.value });
      results.push({
        id: call.id,
        note: 'Not run: another call in this turn had invalid arguments. Repeat this call if it is still needed.',
      });
    } else {
      problems.push(`${call.name}: ${parsed.error}`);
      results.push({
        id: call.id,
        note: `Error: invalid arguments for ${call.name}: ${parsed.error}. Call the tool again with corrected arguments.`,
      });
    }
  }
  return problems.length === 0 ? { ok: true as const, calls } : { ok: false as const, problems, results, wire };
}

function totalsOf(
  spent: Spend[],
  prices: PriceTable,
  started: number,
  attempts: number,
  fallback: boolean,
  streamed: boolean,
  meta: LlmCallMeta | undefined,
) {
  let promptTokens = 0;
  let completionTokens = 0;
  let costUsd = 0;
  let priced = true;
  let usageEstimated = false;
  for (const s of spent) {
    promptTokens += s.promptTokens;
    completionTokens += s.completionTokens;
    const c = costOf(s.model, s.promptTokens, s.completionTokens, prices);
    costUsd += c.costUsd;
    priced &&= c.priced;
    usageEstimated ||= s.estimated;
  }
  return {
    ...definedMeta(meta),
    promptTokens,
    completionTokens,
    usageEstimated,
    costUsd: Math.round(costUsd * 1e9) / 1e9,
    priced,
    latencyMs: Math.round(performance.now() - started),
    attempts,
    fallback,
    streamed,
  };
}

function definedMeta(meta: LlmCallMeta | undefined): LlmCallMeta {
  const out: LlmCallMeta = {};
  if (meta?.agent !== undefined) out.agent = meta.agent;
  if (meta?.runId !== undefined) out.runId = meta.runId;
  if (meta?.promptVersion !== undefined) out.promptVersion = meta.promptVersion;
  if (meta?.purpose !== undefined) out.purpose = meta.purpose;
  return out;
}

const describe = (err: unknown): string => (err instanceof Error ? err.message : String(err));
