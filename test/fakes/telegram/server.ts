// A fake Telegram Bot API server on 127.0.0.1 for tests: `POST /bot<token>/<method>` with JSON, form or query
// parameters → `{ ok: true, result }` or `{ ok: false, error_code, description, parameters? }` with the matching
// HTTP status, as api.telegram.org answers. It records every call, lets a test queue a one-off error (e.g. a 429
// with retry_after) for a method, and lets a test play the user (see BotApi.userSends / userTaps / inject).
// Multipart bodies (file uploads) are not implemented: the adapter sends no files.

import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError, BotApi, type Params, type User } from './bot-api.ts';

export interface Call {
  method: string;
  params: Params;
  /** HTTP status of the answer (200, or the error code). */
  status: number;
  result?: unknown;
  description?: string;
}

export const OPERATOR: User = { id: 4242, is_bot: false, first_name: 'Olga', username: 'olga' };
export const STRANGER: User = { id: 666, is_bot: false, first_name: 'Mallory' };
const WAIT_LIMIT_MS = 5000;

export class FakeTelegram {
  readonly token: string;
  readonly api: BotApi;
  readonly calls: Call[] = [];
  readonly #failures = new Map<string, ApiError[]>();
  readonly #server: Server;
  readonly #watchers = new Set<() => void>();
  #root = '';

  constructor(token = '123456:TEST-token_abc') {
    this.token = token;
    this.api = new BotApi({
      id: Number(token.split(':')[0]),
      is_bot: true,
      first_name: 'Solo',
      username: 'solo_test_bot',
    });
    this.#server = createServer((req, res) => void this.#serve(req, res));
  }

  /** The apiRoot to give grammY: no trailing slash. */
  get apiRoot(): string {
    return this.#root;
  }

  async start(): Promise<this> {
    this.#server.listen(0, '127.0.0.1');
    await once(this.#server, 'listening');
    this.#root = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.api.close();
    await this.suspend();
  }

  /** An outage: the port stops accepting and every open connection is cut; chats and updates are kept. */
  async suspend(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }

  /** The end of an outage: listening again on the same port. */
  async resume(): Promise<void> {
    this.#server.listen(Number(new URL(this.#root).port), '127.0.0.1');
    await once(this.#server, 'listening');
  }

  /** The next call of `method` fails with this error (once). */
  failNext(method: string, error: ApiError): void {
    this.#failures.set(method, [...(this.#failures.get(method) ?? []), error]);
  }

  /** The next call of `method` gets Telegram's flood-control answer. */
  tooManyRequests(method: string, retryAfter: number): void {
    this.failNext(
      method,
      new ApiError(429, `Too Many Requests: retry after ${retryAfter}`, { retry_after: retryAfter }),
    );
  }

  callsOf(method: string, chatId?: number): Call[] {
    return this.calls.filter(
      (c) => c.method === method && (chatId === undefined || String(c.params.chat_id) === String(chatId)),
    );
  }

  /**
   * Resolves with the first call of `method` at index ≥ `from` that matches. The limit only turns a hang into a
   * readable failure; no test depends on timing.
   */
  waitForCall(method: string, match: (c: Call) => boolean = () => true, from = 0): Promise<Call> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.calls.slice(from).find((c) => c.method === method && match(c));
        if (found) resolve(found);
        return found !== undefined;
      };
      if (check()) return;
      const watcher = (): void => {
        if (!check()) return;
        this.#watchers.delete(watcher);
        clearTimeout(timer);
      };
      const timer = setTimeout(() => {
        this.#watchers.delete(watcher);
        reject(
          new Error(
            `no ${method} call arrived; calls since #${from}: ${this.calls
              .slice(from)
              .map((c) => `${c.method}→${c.status}`)
              .join(', ')}`,
          ),
        );
      }, WAIT_LIMIT_MS);
      this.#watchers.add(watcher);
    });
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
    if (!match) return reply(res, new ApiError(404, 'Not Found'));
    const [, token, name = ''] = match;
    // Method names are case-insensitive in the Bot API.
    const method = Object.keys(this.api.methods).find((m) => m.toLowerCase() === name.toLowerCase());
    const refusal =
      token !== this.token ? new ApiError(401, 'Unauthorized') : method ? undefined : new ApiError(404, 'Not Found');
    if (!method || refusal) {
      this.#record({
        method: method ?? name,
        params: {},
        status: refusal?.code ?? 404,
        description: refusal?.description ?? 'Not Found',
      });
      return reply(res, refusal ?? new ApiError(404, 'Not Found'));
    }
    const gone = new AbortController();
    // Only a client that hangs up before its answer aborts the call (a held long poll); building the abort reason
    // after every answered call would cost the fake more than the call itself.
    res.once('close', () => {
      if (!res.writableFinished) gone.abort();
    });
    let params: Params = {};
    let outcome: { result: unknown } | ApiError;
    try {
      params = { ...Object.fromEntries(url.searchParams), ...(await readParams(req)) };
      const failure = this.#failures.get(method)?.shift();
      if (failure) throw failure;
      outcome = { result: await this.api.methods[method]?.(params, gone.signal) };
    } catch (err) {
      outcome = err instanceof ApiError ? err : new ApiError(500, `Internal Server Error: ${String(err)}`);
    }
    if (outcome instanceof ApiError)
      this.#record({ method, params, status: outcome.code, description: outcome.description });
    else this.#record({ method, params, status: 200, result: outcome.result });
    if (!gone.signal.aborted) reply(res, outcome);
  }

  #record(call: Call): void {
    this.calls.push(call);
    for (const watcher of [...this.#watchers]) watcher();
  }
}

function reply(res: ServerResponse, outcome: { result: unknown } | ApiError): void {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (!(outcome instanceof ApiError))
    return void res.writeHead(200, headers).end(JSON.stringify({ ok: true, result: outcome.result }));
  const { code, description, parameters } = outcome;
  if (parameters?.retry_after !== undefined) headers['retry-after'] = String(parameters.retry_after);
  res
    .writeHead(code, headers)
    .end(JSON.stringify({ ok: false, error_code: code, description, ...(parameters ? { parameters } : {}) }));
}

async function readParams(req: IncomingMessage): Promise<Params> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  const raw = Buffer.concat(chunks);
  const body = raw.toString('utf8');
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  if (body === '') return {};
  if (type.startsWith('multipart/form-data'))
    return multipart(raw, /boundary=("?)([^";]+)\1/i.exec(req.headers['content-type'] ?? '')?.[2]);
  if (type.startsWith('application/json')) {
    try {
      const parsed = JSON.parse(body) as unknown;
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Params;
    } catch {
      // answered below
    }
    throw new ApiError(400, "Bad Request: can't parse JSON body");
  }
  if (type.startsWith('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(body));
  throw new ApiError(400, `Bad Request: unsupported content type ${type || '(none)'}`);
}

/** A file sent with a method (sendDocument): its name as grammY gave it and its bytes. */
interface UploadedFile {
  filename: string;
  data: Buffer;
}

/**
 * multipart/form-data as the Bot API takes it (how grammY uploads an InputFile): plain fields become strings; a
 * field holding `attach://<id>` is replaced by the file part named <id>.
 */
function multipart(raw: Buffer, boundary: string | undefined): Params {
  if (!boundary) throw new ApiError(400, 'Bad Request: multipart body without a boundary');
  const fields: Params = {};
  const files = new Map<string, UploadedFile>();
  const delimiter = Buffer.from(`--${boundary}`);
  let at = raw.indexOf(delimiter);
  while (at !== -1) {
    const start = at + delimiter.length;
    if (raw.subarray(start, start + 2).toString() === '--') break;
    const next = raw.indexOf(delimiter, start);
    if (next === -1) break;
    const part = raw.subarray(start + 2, next - 2); // after CRLF, before the CRLF that precedes the delimiter
    const split = part.indexOf('\r\n\r\n');
    const headers = part.subarray(0, split).toString('utf8');
    const data = part.subarray(split + 4);
    const name = /name="([^"]*)"/i.exec(headers)?.[1] ?? '';
    const filename = /filename=(?:"([^"]*)"|([^;\r\n]+))/i.exec(headers);
    if (filename) files.set(name, { filename: filename[1] ?? filename[2] ?? '', data: Buffer.from(data) });
    else fields[name] = data.toString('utf8');
    at = next;
  }
  for (const [key, value] of Object.entries(fields)) {
    const id = typeof value === 'string' ? /^attach:\/\/(.+)$/.exec(value)?.[1] : undefined;
    if (id !== undefined) fields[key] = files.get(id) ?? value;
  }
  return fields;
}
