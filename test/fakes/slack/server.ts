// A fake Slack on 127.0.0.1: the Web API at POST /api/<method> and the Socket Mode WebSocket at /link/ on the same
// port. Like Slack it takes form or JSON bodies, the token as `Authorization: Bearer` (or a `token` form field),
// answers HTTP 200 with { ok, ... } or { ok: false, error }, and 429 with Retry-After when rate limited.
// Every call is recorded with its arguments and answer, so tests can assert on what the app sent. File uploads
// (files.ts) post their bytes to /upload/v1/<ticket> on the same port, as Slack's upload URLs take them.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileMethods, receiveUpload } from './files.ts';
import { SocketModeServer } from './socket-mode.ts';
import { apiMethods, type ApiMethod, type ApiResult, type TokenKind } from './web-api.ts';
import { Workspace, type StoredMessage } from './workspace.ts';

export interface ApiCall {
  method: string;
  args: Record<string, unknown>;
  token: string | undefined;
  status: number;
  result: ApiResult;
}

const MAX_BODY_BYTES = 1024 * 1024;
/** What the fake's upload URLs take (Slack's own limit is 1 GB). */
const MAX_UPLOAD_BYTES = 64 * 1024 * 1024;

export class FakeSlack {
  readonly workspace = new Workspace();
  readonly socket = new SocketModeServer(this.workspace.app.id);
  readonly calls: ApiCall[] = [];
  /** Every POST to an upload URL: its ticket, the answer's status and the body's size. */
  readonly uploads: { ticket: string; status: number; bytes: number }[] = [];
  readonly #methods: Record<string, ApiMethod>;
  readonly #rateLimited = new Map<string, number>();
  readonly #server: Server;
  #base = '';

  private constructor() {
    this.#methods = {
      ...apiMethods(this.workspace, () => this.socket.issueUrl(this.#base)),
      ...fileMethods(this.workspace, (ticket) => `${this.#base}/upload/v1/${ticket}`),
    };
    this.#server = createServer((req, res) => {
      this.#serve(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err));
      });
    });
    this.#server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) =>
      this.socket.handleUpgrade(req, socket, head),
    );
  }

  static async start(): Promise<FakeSlack> {
    const fake = new FakeSlack();
    await new Promise<void>((resolve) => fake.#server.listen(0, '127.0.0.1', resolve));
    fake.#base = `http://127.0.0.1:${(fake.#server.address() as AddressInfo).port}`;
    return fake;
  }

  /** What SLACK_API_URL is set to, trailing slash included. */
  get apiUrl(): string {
    return `${this.#base}/api/`;
  }

  /** The next call of `method` gets 429 with this Retry-After (seconds), once. */
  rateLimitOnce(method: string, retryAfterSeconds = 1): void {
    this.#rateLimited.set(method, retryAfterSeconds);
  }

  callsTo(method: string): ApiCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** The messages in a DM channel as Slack stores them (escaped text, blocks with their ids). */
  history(channel: string): StoredMessage[] {
    return this.workspace.messages.get(channel) ?? [];
  }

  async stop(): Promise<void> {
    await this.socket.close();
    await this.suspend();
  }

  /** An outage: the port stops accepting, the Socket Mode connection and every other one are cut; the workspace is kept. */
  async suspend(): Promise<void> {
    this.socket.cut();
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  /** The end of an outage: listening again on the same port. */
  async resume(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(Number(new URL(this.#base).port), '127.0.0.1', resolve));
  }

  /** A file's bytes as they reached the upload URL. */
  fileContent(id: string): Buffer | undefined {
    return this.workspace.files.get(id)?.data;
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const ticket = /^\/upload\/v1\/(\w+)$/.exec(path)?.[1];
    if (ticket) return this.#upload(ticket, req, res);
    const method = /^\/api\/([\w.]+)$/.exec(path)?.[1];
    if (!method) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    if (req.method !== 'POST') return void res.writeHead(405, { allow: 'POST' }).end();
    const raw = await readBody(req);
    if (raw === undefined) return void res.writeHead(413).end();
    const { args, viaJson } = parseArgs(req.headers['content-type'] ?? '', raw);
    // Slack reads a token from the header, or from a form field; a JSON body must use the header.
    const header = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const token = header ?? (!viaJson && typeof args?.token === 'string' ? args.token : undefined);
    const answer = (status: number, result: ApiResult, headers: Record<string, string> = {}): void => {
      this.calls.push({ method, args: args ?? {}, token, status, result });
      res
        .writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
        .end(JSON.stringify(result));
    };
    const retryAfter = this.#rateLimited.get(method);
    if (retryAfter !== undefined) {
      this.#rateLimited.delete(method);
      return answer(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(retryAfter) });
    }
    if (!args) return answer(200, { ok: false, error: 'invalid_json' });
    const handler = this.#methods[method];
    if (!handler) return answer(200, { ok: false, error: 'unknown_method', req_method: method });
    if (!token) return answer(200, { ok: false, error: 'not_authed' });
    const kind = this.#tokenKind(token);
    if (!kind) return answer(200, { ok: false, error: 'invalid_auth' });
    if (!handler.tokens.includes(kind)) return answer(200, { ok: false, error: 'not_allowed_token_type' });
    const scopes = this.workspace.scopes;
    if (kind === 'bot' && handler.scope && !scopes.has(handler.scope))
      return answer(200, { ok: false, error: 'missing_scope', needed: handler.scope, provided: [...scopes].join(',') });
    answer(200, handler.run(args));
  }

  /** Upload URLs need no token: the URL itself is the secret, as on Slack. */
  async #upload(ticket: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') return void res.writeHead(405, { allow: 'POST' }).end();
    const body = await readBytes(req, MAX_UPLOAD_BYTES);
    if (body === undefined) return void res.writeHead(413).end();
    const { status, text } = await receiveUpload(this.workspace, ticket, req.headers['content-type'] ?? '', body);
    this.uploads.push({ ticket, status, bytes: body.length });
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(text);
  }

  #tokenKind(token: string): TokenKind | undefined {
    if (token === this.workspace.botToken) return 'bot';
    if (token === this.workspace.appToken) return 'app';
    return undefined;
  }
}

/** Form-encoded (Slack's default) or JSON; `args` is undefined when a JSON body does not parse to an object. */
function parseArgs(contentType: string, raw: string): { args: Record<string, unknown> | undefined; viaJson: boolean } {
  if (!contentType.startsWith('application/json'))
    return { args: Object.fromEntries(new URLSearchParams(raw)), viaJson: false };
  try {
    const parsed: unknown = JSON.parse(raw);
    return {
      args:
        typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
          ? (parsed as Record<string, unknown>)
          : undefined,
      viaJson: true,
    };
  } catch {
    return { args: undefined, viaJson: true };
  }
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  return (await readBytes(req, MAX_BODY_BYTES))?.toString('utf8');
}

async function readBytes(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
