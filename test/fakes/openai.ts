// A fake OpenAI-compatible server on 127.0.0.1 for tests: POST /v1/chat/completions (JSON, or SSE with `data:`
// chunks, a usage chunk when stream_options.include_usage asks, and `data: [DONE]`) and GET /v1/models. It checks
// what OpenAI checks (Bearer key, known model, every tool call answered, response_format shape) and answers with
// OpenAI's error bodies. Tests script replies with a queue (`reply(...)`) or a handler (`handle(fn)`): text, tool
// calls, JSON, refusals, HTTP errors with headers (429 + Retry-After, 500, 503), delays, dropped connections.
// Every request is recorded (method, path, headers, body, arrival time) so tests can assert what was sent.

import { once } from 'node:events';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/* eslint-disable @typescript-eslint/no-explicit-any -- request bodies are whatever the client sent */
export type Body = Record<string, any>;

export interface FakeRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Body;
  /** performance.now() at arrival. */
  at: number;
  /** HTTP status the fake answered (0 when the connection was dropped or the client left first). */
  status: number;
}

interface FakeToolCall {
  id?: string;
  name: string;
  /** An object is JSON-encoded; a string is sent as is (so tests can send broken JSON). */
  arguments: unknown;
}

export interface FakeReply {
  text?: string;
  /** Content is this value JSON-encoded. */
  json?: unknown;
  toolCalls?: FakeToolCall[];
  refusal?: string;
  finishReason?: string;
  /** Defaults to counted usage; 'omit' sends none (as some local servers do). */
  usage?: { prompt_tokens: number; completion_tokens: number } | 'omit';
  /** Model name reported back (default: the one asked for). */
  model?: string;
  /** An HTTP error: status with OpenAI's error body. */
  status?: number;
  error?: { message?: string; type?: string; code?: string | null };
  headers?: Record<string, string>;
  /** Wait this long before answering at all. */
  delayMs?: number;
  /** Streaming: wait this long between chunks. */
  chunkDelayMs?: number;
  /** Cut the connection before any byte, or halfway through a stream. */
  drop?: 'immediately' | 'mid-stream';
}

interface Answer {
  id: string;
  model: string;
  message: {
    role: 'assistant';
    content: string | null;
    refusal: string | null;
    tool_calls?: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }>;
  };
  finishReason: string;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | undefined;
}

export type FakeHandler = (req: FakeRequest) => FakeReply | Promise<FakeReply>;

/** Roughly what a tokenizer would say: one token per four characters, plus message framing. */
const roughTokens = (text: string): number => Math.ceil(text.length / 4);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const isObject = (v: unknown): v is Body => typeof v === 'object' && v !== null && !Array.isArray(v);

export class FakeOpenAI {
  readonly requests: FakeRequest[] = [];
  /** When set, requests must carry `Authorization: Bearer <apiKey>`. */
  apiKey: string | undefined;
  /** Known models; an empty list accepts any name. */
  models: string[];
  #queue: FakeReply[] = [];
  #handler: FakeHandler | undefined;
  #server: Server;
  #url = '';
  #ids = 0;

  constructor(options: { apiKey?: string; models?: string[] } = {}) {
    this.apiKey = options.apiKey;
    this.models = options.models ?? [];
    this.#server = createServer((req, res) => void this.#serve(req, res));
  }

  /** The baseURL to give the openai client (ends in /v1). */
  get baseURL(): string {
    return `${this.#url}/v1`;
  }

  /** Chat completion requests only. */
  get completions(): FakeRequest[] {
    return this.requests.filter((r) => r.path === '/v1/chat/completions');
  }

  async start(): Promise<this> {
    this.#server.listen(0, '127.0.0.1');
    await once(this.#server, 'listening');
    this.#url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }

  /** Queue replies, used in order before the handler. */
  reply(...replies: FakeReply[]): this {
    this.#queue.push(...replies);
    return this;
  }

  /** Answer every request the queue does not (default: echo the last user message). */
  handle(handler: FakeHandler | undefined): this {
    this.#handler = handler;
    return this;
  }

  /** Forget requests, queued replies and the handler. */
  reset(): void {
    this.requests.length = 0;
    this.#queue = [];
    this.#handler = undefined;
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    let body: Body = {};
    let badJson = false;
    if (raw !== '') {
      try {
        const parsed = JSON.parse(raw) as unknown;
        body = isObject(parsed) ? parsed : {};
      } catch {
        badJson = true;
      }
    }
    const record: FakeRequest = {
      method: req.method ?? 'GET',
      path,
      headers: req.headers,
      body,
      at: performance.now(),
      status: 0,
    };
    this.requests.push(record);
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': `req_${++this.#ids}`, ...headers });
      res.end(JSON.stringify(payload));
    };
    const fail = (
      status: number,
      message: string,
      type: string,
      code: string | null = null,
      headers?: Record<string, string>,
    ) => send(status, { error: { message, type, param: null, code } }, headers);

    const auth = req.headers.authorization ?? '';
    if (this.apiKey !== undefined && auth !== `Bearer ${this.apiKey}`) {
      const given = auth.replace(/^Bearer\s+/i, '');
      const masked =
        given.length > 9 ? `${given.slice(0, 5)}${'*'.repeat(Math.max(0, given.length - 9))}${given.slice(-4)}` : '***';
      return fail(
        401,
        `Incorrect API key provided: ${masked}. You can find your API key at https://platform.openai.com/account/api-keys.`,
        'invalid_request_error',
        'invalid_api_key',
      );
    }
    if (req.method === 'GET' && path === '/v1/models') {
      return send(200, {
        object: 'list',
        data: this.models.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'fake' })),
      });
    }
    if (req.method !== 'POST' || path !== '/v1/chat/completions')
      return fail(404, `Invalid URL (${req.method} ${path})`, 'invalid_request_error');
    if (badJson) return fail(400, 'We could not parse the JSON body of your request.', 'invalid_request_error');
    const problem = this.#validate(body);
    if (problem) return fail(problem.status, problem.message, 'invalid_request_error', problem.code ?? null);

    const reply =
      this.#queue.shift() ?? (this.#handler ? await this.#handler(record) : { text: `echo: ${lastUser(body)}` });
    let gone = false;
    res.on('close', () => {
      if (!res.writableFinished) gone = true;
    });
    if (reply.delayMs) await sleep(reply.delayMs);
    if (gone) return;
    if (reply.drop === 'immediately') {
      req.socket.destroy();
      return;
    }
    if (reply.status !== undefined && reply.status >= 400) {
      const e = reply.error ?? {};
      const type =
        reply.status === 429 ? 'rate_limit_exceeded' : reply.status >= 500 ? 'server_error' : 'invalid_request_error';
      return fail(
        reply.status,
        e.message ??
          (reply.status === 429
            ? 'Rate limit reached. Please try again later.'
            : 'The server had an error while processing your request.'),
        e.type ?? type,
        e.code ?? null,
        reply.headers,
      );
    }
    const answer = this.#answer(body, reply);
    if (body['stream'] === true) return this.#stream(res, record, body, answer, reply, () => gone);
    send(
      200,
      {
        id: answer.id,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: answer.model,
        system_fingerprint: 'fp_fake',
        choices: [{ index: 0, message: answer.message, logprobs: null, finish_reason: answer.finishReason }],
        ...(answer.usage ? { usage: answer.usage } : {}),
      },
      reply.headers,
    );
  }

  #validate(body: Body): { status: number; message: string; code?: string } | undefined {
    if (typeof body['model'] !== 'string' || body['model'] === '')
      return { status: 400, message: 'you must provide a model parameter' };
    if (this.models.length > 0 && !this.models.includes(body['model'])) {
      return {
        status: 404,
        message: `The model \`${body['model']}\` does not exist or you do not have access to it.`,
        code: 'model_not_found',
      };
    }
    const messages: unknown = body['messages'];
    if (!Array.isArray(messages) || messages.length === 0)
      return { status: 400, message: "Invalid 'messages': empty array. Expected an array with minimum length 1." };
    let open = new Set<string>();
    for (const [i, m] of (messages as unknown[]).entries()) {
      if (!isObject(m) || !['system', 'developer', 'user', 'assistant', 'tool'].includes(String(m['role'])))
        return { status: 400, message: `Invalid value for 'messages[${i}].role'.` };
      if (m['role'] === 'tool') {
        if (!open.delete(String(m['tool_call_id']))) {
          return {
            status: 400,
            message:
              "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
          };
        }
        continue;
      }
      if (open.size > 0) {
        return {
          status: 400,
          message: `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...open].join(', ')}`,
        };
      }
      open = new Set(
        m['role'] === 'assistant' && Array.isArray(m['tool_calls'])
          ? (m['tool_calls'] as Body[]).map((c) => String(c['id']))
          : [],
      );
    }
    if (open.size > 0)
      return {
        status: 400,
        message: `The following tool_call_ids did not have response messages: ${[...open].join(', ')}`,
      };
    const format: unknown = body['response_format'];
    if (isObject(format) && format['type'] === 'json_schema') {
      const spec: unknown = format['json_schema'];
      if (
        !isObject(spec) ||
        typeof spec['name'] !== 'string' ||
        !/^[a-zA-Z0-9_-]{1,64}$/.test(spec['name']) ||
        !isObject(spec['schema'])
      ) {
        return {
          status: 400,
          message:
            "Invalid 'response_format.json_schema': expected a name matching ^[a-zA-Z0-9_-]{1,64}$ and a schema object.",
        };
      }
    }
    for (const tool of Array.isArray(body['tools']) ? (body['tools'] as unknown[]) : []) {
      if (
        !isObject(tool) ||
        tool['type'] !== 'function' ||
        !isObject(tool['function']) ||
        typeof tool['function']['name'] !== 'string'
      ) {
        return { status: 400, message: "Invalid 'tools': each tool needs type 'function' and function.name." };
      }
    }
    return undefined;
  }

  #answer(body: Body, reply: FakeReply): Answer {
    const content =
      reply.json !== undefined
        ? JSON.stringify(reply.json)
        : (reply.text ?? (reply.toolCalls || reply.refusal ? null : ''));
    const toolCalls = reply.toolCalls?.map((c, i) => ({
      id: c.id ?? `call_${this.#ids}_${i}`,
      type: 'function' as const,
      function: {
        name: c.name,
        arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments ?? {}),
      },
    }));
    const completionText =
      (content ?? '') +
      (reply.refusal ?? '') +
      (toolCalls ?? []).map((c) => c.function.name + c.function.arguments).join('');
    const usage =
      reply.usage === 'omit'
        ? undefined
        : (reply.usage ?? {
            prompt_tokens: promptTokens(body),
            completion_tokens: Math.max(1, roughTokens(completionText)),
          });
    return {
      id: `chatcmpl-${++this.#ids}`,
      model: reply.model ?? String(body['model']),
      message: {
        role: 'assistant' as const,
        content,
        refusal: reply.refusal ?? null,
        ...(toolCalls ? { tool_calls: toolCalls } : {}),
      },
      finishReason: reply.finishReason ?? (toolCalls ? 'tool_calls' : 'stop'),
      usage: usage ? { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } : undefined,
    };
  }

  async #stream(
    res: ServerResponse,
    record: FakeRequest,
    body: Body,
    answer: Answer,
    reply: FakeReply,
    gone: () => boolean,
  ): Promise<void> {
    const includeUsage = isObject(body['stream_options']) && body['stream_options']['include_usage'] === true;
    const base = {
      id: answer.id,
      object: 'chat.completion.chunk',
      created: Math.floor(Date.now() / 1000),
      model: answer.model,
      system_fingerprint: 'fp_fake',
    };
    const chunk = (delta: Body, finish: string | null = null) => ({
      ...base,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      ...(includeUsage ? { usage: null } : {}),
    });
    const events: unknown[] = [chunk({ role: 'assistant', content: '' })];
    for (const piece of (answer.message.content ?? '').match(/\S+\s*|\s+/g) ?? [])
      events.push(chunk({ content: piece }));
    if (answer.message.refusal) events.push(chunk({ refusal: answer.message.refusal }));
    for (const [index, call] of (answer.message.tool_calls ?? []).entries()) {
      events.push(
        chunk({
          tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }],
        }),
      );
      for (const piece of call.function.arguments.match(/[\s\S]{1,8}/g) ?? [])
        events.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
    }
    events.push(chunk({}, answer.finishReason));
    if (includeUsage && answer.usage) events.push({ ...base, choices: [], usage: answer.usage });
    record.status = 200;
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'x-request-id': `req_${this.#ids}`,
      ...reply.headers,
    });
    const cut = reply.drop === 'mid-stream' ? Math.max(2, Math.floor(events.length / 2)) : Infinity;
    for (const [i, event] of events.entries()) {
      if (gone()) return;
      if (i === cut) {
        // Let the client read what was sent, then cut the connection without the rest or [DONE].
        await sleep(30);
        record.status = 0;
        res.socket?.destroy();
        return;
      }
      await new Promise<void>((resolve) => res.write(`data: ${JSON.stringify(event)}\n\n`, () => resolve()));
      if (reply.chunkDelayMs) await sleep(reply.chunkDelayMs);
    }
    res.end('data: [DONE]\n\n');
  }
}

function lastUser(body: Body): string {
  const messages = Array.isArray(body['messages']) ? (body['messages'] as Body[]) : [];
  const last = [...messages].reverse().find((m) => m['role'] === 'user');
  return typeof last?.['content'] === 'string' ? last['content'] : '';
}

/** Prompt tokens the way an endpoint roughly counts them: content, tool calls, tool definitions, schema. */
export function promptTokens(body: Body): number {
  let total = 3;
  for (const m of Array.isArray(body['messages']) ? (body['messages'] as Body[]) : []) {
    total += 4 + roughTokens(typeof m['content'] === 'string' ? m['content'] : '');
    if (Array.isArray(m['tool_calls'])) total += roughTokens(JSON.stringify(m['tool_calls']));
  }
  if (Array.isArray(body['tools'])) total += roughTokens(JSON.stringify(body['tools']));
  if (isObject(body['response_format'])) total += roughTokens(JSON.stringify(body['response_format']));
  return total;
}
