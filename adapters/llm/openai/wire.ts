// The Chat Completions wire format: neutral messages and tools become OpenAI request parameters, and one HTTP
// round (a plain response or an SSE stream) becomes a `Round`. Streaming calls `onDelta` with each text piece in
// order, asks for usage in the final chunk (stream_options.include_usage), and aborts when no chunk arrives for
// `timeoutMs` (the client's own timeout only covers the wait for headers on a stream).

import type OpenAI from 'openai';
import type {
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
  ChatCompletionTool,
  ChatCompletionToolChoiceOption,
} from 'openai/resources/chat/completions';
import type { ChatMessage, ToolChoice, ToolSpec } from '../../../src/ports/llm.ts';
import { safeName, toJsonSchema } from '../../../src/llm/schema.ts';

interface WireToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** What one HTTP round produced. */
export interface Round {
  text: string;
  refusal: string | undefined;
  toolCalls: WireToolCall[];
  finishReason: string;
  usage: { promptTokens: number; completionTokens: number } | undefined;
  /** Text pieces handed to onDelta (streaming only). */
  deltas: number;
}

export function toWireMessages(messages: readonly ChatMessage[]): ChatCompletionMessageParam[] {
  return messages.map((m): ChatCompletionMessageParam => {
    switch (m.role) {
      case 'system':
        return { role: 'system', content: m.content };
      case 'user':
        return { role: 'user', content: m.content };
      case 'tool':
        return { role: 'tool', content: m.content, tool_call_id: m.toolCallId ?? '' };
      case 'assistant':
        return m.toolCalls?.length
          ? {
              role: 'assistant',
              content: m.content === '' ? null : m.content,
              tool_calls: m.toolCalls.map((c) => ({
                id: c.id,
                type: 'function',
                function: { name: c.name, arguments: JSON.stringify(c.args ?? {}) },
              })),
            }
          : { role: 'assistant', content: m.content };
    }
  });
}

export function toWireTools(tools: readonly ToolSpec[]): ChatCompletionTool[] {
  return tools.map((t) => {
    const { schema, strict } = toJsonSchema(t.parameters);
    return { type: 'function', function: { name: t.name, description: t.description, parameters: schema, strict } };
  });
}

export function toWireToolChoice(choice: ToolChoice): ChatCompletionToolChoiceOption {
  return typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.name } };
}

/** `prompt` mode, for endpoints that reject response_format: the schema goes into the system message instead. */
export function withSchemaInstruction(
  messages: ChatCompletionMessageParam[],
  schema: Record<string, unknown>,
): ChatCompletionMessageParam[] {
  const instruction = `Reply with only a JSON value (no prose, no code fences) that matches this JSON Schema:\n${JSON.stringify(schema)}`;
  const first = messages[0];
  if (first?.role === 'system' && typeof first.content === 'string') {
    return [{ role: 'system', content: `${first.content}\n\n${instruction}` }, ...messages.slice(1)];
  }
  return [{ role: 'system', content: instruction }, ...messages];
}

export function responseFormat(
  schemaName: string | undefined,
  schema: Record<string, unknown>,
  strict: boolean,
): NonNullable<ChatCompletionCreateParamsNonStreaming['response_format']> {
  return { type: 'json_schema', json_schema: { name: safeName(schemaName ?? 'result'), schema, strict } };
}

export interface SendOptions {
  timeoutMs: number;
  signal: AbortSignal | undefined;
  onDelta: ((text: string) => void) | undefined;
  /** Called when onDelta throws: the call goes on, the caller's display problem is only logged. */
  onDeltaError: (err: unknown) => void;
  /** Set by the stream when our idle timer fired, so the error is classified as a timeout. */
  state: { timedOut: boolean; deltas: number };
}

const usageOf = (u: { prompt_tokens?: number; completion_tokens?: number } | null | undefined) =>
  u && typeof u.prompt_tokens === 'number'
    ? { promptTokens: u.prompt_tokens, completionTokens: u.completion_tokens ?? 0 }
    : undefined;

/** A stream that ended without a finish reason: timed out (our idle timer), aborted by the caller, or cut. */
class StreamCut extends Error {
  readonly reason: 'timeout' | 'aborted' | 'dropped';
  constructor(reason: 'timeout' | 'aborted' | 'dropped') {
    super(`the stream ended without a finish reason (${reason})`);
    this.name = 'StreamCut';
    this.reason = reason;
  }
}

export async function sendOnce(
  client: OpenAI,
  params: ChatCompletionCreateParamsNonStreaming,
  options: SendOptions,
): Promise<Round> {
  const requestOptions = { timeout: options.timeoutMs, maxRetries: 0 };
  if (!options.onDelta) {
    const completion = await client.chat.completions.create(params, {
      ...requestOptions,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const choice = completion.choices[0];
    const message = choice?.message;
    const toolCalls: WireToolCall[] = [];
    for (const call of message?.tool_calls ?? []) {
      if (call.type === 'function')
        toolCalls.push({ id: call.id, name: call.function.name, arguments: call.function.arguments ?? '' });
    }
    return {
      text: message?.content ?? '',
      refusal: message?.refusal ?? undefined,
      toolCalls,
      finishReason: choice?.finish_reason ?? 'unknown',
      usage: usageOf(completion.usage),
      deltas: 0,
    };
  }

  const idle = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, idle.signal]) : idle.signal;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      options.state.timedOut = true;
      idle.abort();
    }, options.timeoutMs);
  };
  arm();
  try {
    const stream = await client.chat.completions.create(
      { ...params, stream: true, stream_options: { include_usage: true } },
      { ...requestOptions, signal },
    );
    let text = '';
    let refusal = '';
    let finishReason = 'unknown';
    let usage: Round['usage'];
    const calls = new Map<number, WireToolCall>();
    for await (const chunk of stream) {
      arm();
      usage = usageOf(chunk.usage) ?? usage;
      const choice = chunk.choices[0];
      if (!choice) continue;
      if (choice.finish_reason) finishReason = choice.finish_reason;
      const delta = choice.delta;
      if (delta.refusal) refusal += delta.refusal;
      for (const part of delta.tool_calls ?? []) {
        const call = calls.get(part.index) ?? { id: '', name: '', arguments: '' };
        if (part.id) call.id = part.id;
        if (part.function?.name) call.name += part.function.name;
        if (part.function?.arguments) call.arguments += part.function.arguments;
        calls.set(part.index, call);
      }
      if (delta.content) {
        text += delta.content;
        options.state.deltas++;
        try {
          options.onDelta(delta.content);
        } catch (err) {
          options.onDeltaError(err);
        }
      }
    }
    // The client's SSE reader ends quietly when the request is aborted or the body is cut: a stream that never said
    // why it finished did not finish.
    if (finishReason === 'unknown') {
      if (options.state.timedOut) throw new StreamCut('timeout');
      if (options.signal?.aborted) throw new StreamCut('aborted');
      throw new StreamCut('dropped');
    }
    const toolCalls = [...calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call);
    return { text, refusal: refusal || undefined, toolCalls, finishReason, usage, deltas: options.state.deltas };
  } finally {
    clearTimeout(timer);
  }
}
