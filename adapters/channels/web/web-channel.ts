// The local web chat: the zero-setup channel. Serves the chat page and a JSON API on HOST:PORT.
//   GET  /healthz                    200 once ready
//   POST /api/messages {text, id?}   → {messages:[{id,text,buttons:[{id,label}]}]} — the replies to that message
//   POST /api/buttons/:id            → same shape, for a tap on a button the bot sent here (`<message id>.<index>`)
//   GET  /api/messages?after=<id>    → bot messages after that id (proactive ones included); ?tail=N → the last N
//   GET  /api/files/<id>/<name>      → a file the bot gave the chat (an /export), for an hour
//   …and whatever `route()` adds (the dashboard, /metrics), behind the same checks.
// The transcript is the event log stream chat:web:operator, so it survives restarts. Every /api/ request must come
// from this page or a non-browser client: cross-site requests are refused, and every POST must be JSON.

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import type { SentMessage } from '../../../src/domain/messages.ts';
import type { Logger } from '../../../src/observability/logger.ts';
import {
  chatStream,
  Outcome,
  type Channel,
  type FileDelivery,
  type HandleResult,
  type InboundHandler,
  type OutboundFile,
} from '../../../src/ports/channel.ts';
import type { EventLog } from '../../../src/ports/store.ts';
import { graphemeLength } from '../../../src/domain/text.ts';
import { Downloads, FILES_PATH } from './downloads.ts';
import { bearer, clientGone, crossSite, HttpError, readJson, sendJson, tokenMatches } from '../shared/http.ts';

export const WEB_CHANNEL = 'web';
/** A handler for a routed prefix; `url` is the parsed request URL. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;
/** The web chat has one chat and one sender: the operator, authenticated by loopback or WEB_TOKEN. */
export const WEB_OPERATOR = 'operator';
const MAX_MESSAGE_CHARS = 8000;
// Room for MAX_MESSAGE_CHARS of the widest characters (an emoji family is 25 bytes of UTF-8), JSON-escaped or not.
const MAX_BODY_BYTES = 256 * 1024;
const MAX_PAGE = 500;

const messageBody = z.object({
  text: z.string({ error: 'text must be a string' }).trim().min(1, { error: 'text must not be empty' }),
  id: z.string().min(1).max(128).optional(),
});
const tapBody = z.object({ id: z.string().min(1).max(128).optional() });

export interface WebChannelOptions {
  host: string;
  port: number;
  token?: string | undefined;
  events: EventLog;
  logger: Logger;
}

/** A button's id is where the bot put it: `<message id>.<index>`. A tap can only press a button the bot sent. */
const toApi = (m: SentMessage) => ({
  id: m.id,
  text: m.text,
  buttons: m.buttons.map((b, i) => ({ id: `${m.id}.${i}`, label: b.label })),
});
const TRANSCRIPT = chatStream(WEB_CHANNEL, WEB_OPERATOR);

export class WebChannel implements Channel {
  readonly name = WEB_CHANNEL;
  readonly #options: WebChannelOptions;
  readonly #log: Logger;
  readonly #page: string;
  #server: Server | undefined;
  #handler: InboundHandler | undefined;
  #url = '';
  /** Other channels' HTTP endpoints (webhooks) served on this server; they authenticate their own callers. */
  readonly #mounts = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();
  /** Handlers for paths under a prefix, served after this chat's own access checks (see `route`). */
  readonly #routes: { prefix: string; api: boolean; handler: RouteHandler }[] = [];
  readonly #downloads = new Downloads();

  constructor(options: WebChannelOptions) {
    this.#options = options;
    this.#log = options.logger.child({ component: 'web' });
    this.#page = readFileSync(new URL('./page.html', import.meta.url), 'utf8');
  }

  get url(): string {
    return this.#url;
  }

  describe(): string {
    return `web chat at ${this.#url}`;
  }

  /** Serves `path` with another channel's handler (e.g. Telegram's webhook), before this chat's own checks. */
  mount(path: string, handler: (req: IncomingMessage, res: ServerResponse) => void): void {
    this.#mounts.set(path, handler);
  }

  /**
   * Serves `prefix` and every path under it (`/dashboard`, `/dashboard/runs`) with `handler`, after the same checks
   * as the chat: the host check on loopback, and with `api` (JSON data, /metrics) also the bearer token and the
   * refusal of cross-site requests, exactly as for /api/. Paths under /api/ are always checked as API paths.
   * The handler may throw `HttpError` for a one-sentence JSON error.
   */
  route(prefix: string, handler: RouteHandler, options: { api: boolean }): void {
    this.#routes.push({ prefix, api: options.api || prefix.startsWith('/api/'), handler });
  }

  async start(handler: InboundHandler): Promise<void> {
    this.#handler = handler;
    const server = createServer((req, res) => {
      this.#serve(req, res).catch((err: unknown) => this.#error(res, err));
    });
    server.requestTimeout = 30_000;
    server.headersTimeout = 10_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#options.port, this.#options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#server = server;
    const { port } = server.address() as AddressInfo;
    const host = this.#options.host.includes(':') ? `[${this.#options.host}]` : this.#options.host;
    this.#url = `http://${host}:${port}`;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** Messages are already in the transcript stream; the page fetches them from there. */
  async deliver(): Promise<undefined> {
    return undefined;
  }

  /** Kept for download from this server; the reply that announces it carries the link. */
  async deliverFile(_chatId: string, file: OutboundFile): Promise<FileDelivery> {
    return { link: `${this.#url}${this.#downloads.keep(file)}` };
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (path === '/healthz')
      return sendJson(
        res,
        this.#handler ? 200 : 503,
        this.#handler?.health?.() ?? { status: this.#handler ? 'ok' : 'starting' },
      );
    const mounted = this.#mounts.get(path);
    if (mounted) return mounted(req, res);
    const routed = this.#routes.find(
      (r) => path === r.prefix || path.startsWith(r.prefix.endsWith('/') ? r.prefix : `${r.prefix}/`),
    );
    this.#checkAccess(req, path, routed?.api ?? false);
    if (routed) return routed.handler(req, res, url);
    if (req.method === 'GET' && (path === '/' || path === '/index.html')) {
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'content-security-policy':
          "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'",
        'x-frame-options': 'DENY',
      });
      return void res.end(this.#page);
    }
    if (path === '/api/messages') {
      if (req.method === 'GET') return this.#list(res, url.searchParams);
      if (req.method === 'POST') return this.#post(req, res);
      throw new HttpError(405, 'use GET or POST on /api/messages');
    }
    const file = FILES_PATH.exec(path);
    if (file?.[1]) {
      if (req.method !== 'GET') throw new HttpError(405, 'use GET to download a file');
      if (!this.#downloads.serve(file[1], res))
        throw new HttpError(
          404,
          'no such file: downloads are kept for an hour and until the bot restarts; ask /export again',
        );
      return;
    }
    const tap = /^\/api\/buttons\/([^/]+)$/.exec(path);
    if (tap?.[1]) {
      if (req.method !== 'POST') throw new HttpError(405, 'use POST to tap a button');
      return this.#tap(req, res, tap[1]);
    }
    throw new HttpError(404, `no such endpoint: ${req.method ?? 'GET'} ${path}`);
  }

  /**
   * Cross-site requests to the API are refused whatever the setup (a web page the operator visits must not command
   * the bot). With a token, every API call must carry it. Without one (loopback only), foreign Host headers are
   * refused (DNS rebinding).
   */
  #checkAccess(req: IncomingMessage, path: string, routedApi: boolean): void {
    const api = routedApi || path.startsWith('/api/');
    if (api && crossSite(req)) throw new HttpError(403, 'cross-site requests are refused; use the chat page itself');
    const { token } = this.#options;
    if (token !== undefined) {
      if (api && !tokenMatches(bearer(req), token))
        throw new HttpError(401, 'missing or wrong bearer token (WEB_TOKEN)');
      return;
    }
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (!['localhost', '127.0.0.1', '[::1]'].includes(host) && !/^127\.\d+\.\d+\.\d+$/.test(host)) {
      throw new HttpError(403, 'this chat only answers requests addressed to localhost');
    }
  }

  async #post(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = messageBody.safeParse(await readJson(req, MAX_BODY_BYTES));
    if (!body.success)
      throw new HttpError(
        body.error.issues.some((i) => i.code === 'too_big') ? 413 : 400,
        body.error.issues[0]?.message ?? 'bad request',
      );
    // Counted as a person counts (an emoji is one character); MAX_BODY_BYTES bounds the bytes.
    if (graphemeLength(body.data.text) > MAX_MESSAGE_CHARS)
      throw new HttpError(413, `text is longer than ${MAX_MESSAGE_CHARS} characters; split it up`);
    const result = await this.#dispatch({ kind: 'message', text: body.data.text }, body.data.id);
    this.#reply(res, result);
  }

  async #tap(req: IncomingMessage, res: ServerResponse, rawId: string): Promise<void> {
    let id: string;
    try {
      id = decodeURIComponent(rawId);
    } catch {
      throw new HttpError(400, 'the button id is not valid URL encoding');
    }
    const body = tapBody.safeParse(await readJson(req, MAX_BODY_BYTES));
    if (!body.success) throw new HttpError(400, body.error.issues[0]?.message ?? 'bad request');
    const data = await this.#issuedButton(id);
    if (data === undefined)
      return sendJson(res, 404, { error: 'unknown button: tap one of the buttons the chat shows', messages: [] });
    const result = await this.#dispatch({ kind: 'button', data }, body.data.id);
    if (result.outcome === Outcome.unknownAction)
      return sendJson(res, 404, { error: 'unknown button', messages: result.replies.map(toApi) });
    this.#reply(res, result);
  }

  /** The data of the button `<message seq>.<index>` as the bot sent it in this chat, or undefined. */
  async #issuedButton(id: string): Promise<string | undefined> {
    const match = /^(\d{1,12})\.(\d{1,2})$/.exec(id);
    if (!match) return undefined;
    const seq = Number(match[1]);
    const [event] = await this.#options.events.readStream(TRANSCRIPT, { afterSeq: seq - 1, limit: 1 });
    return event?.seq === seq && event.type === 'message.sent' ? event.data.buttons[Number(match[2])]?.data : undefined;
  }

  async #dispatch(
    part: { kind: 'message'; text: string } | { kind: 'button'; data: string },
    id: string | undefined,
  ): Promise<HandleResult> {
    if (!this.#handler) throw new HttpError(503, 'starting up; try again in a moment');
    const base = { id: id ?? randomUUID(), channel: WEB_CHANNEL, chatId: WEB_OPERATOR, senderId: WEB_OPERATOR };
    return this.#handler.handle({ ...base, ...part }, this);
  }

  #reply(res: ServerResponse, result: HandleResult): void {
    const messages = result.replies.map(toApi);
    if (result.outcome === Outcome.duplicate) return sendJson(res, 200, { messages, duplicate: true });
    if (result.outcome === Outcome.rateLimited) return sendJson(res, 429, { error: 'too many messages', messages });
    if (result.outcome === Outcome.invalid)
      return sendJson(res, 400, { error: messages[0]?.text ?? 'that input was not accepted', messages });
    sendJson(res, result.outcome === Outcome.failed ? 500 : 200, { messages });
  }

  async #list(res: ServerResponse, params: URLSearchParams): Promise<void> {
    const number = (name: string, fallback: number, meaning: string): number => {
      const raw = params.get(name);
      if (raw === null || raw === '') return fallback;
      if (!/^\d{1,12}$/.test(raw)) throw new HttpError(400, `${name} must be ${meaning}`);
      return Number(raw);
    };
    const afterSeq = number('after', 0, 'a message id (a whole number)');
    const tail = number('tail', 0, `a number of messages (1 to ${MAX_PAGE})`);
    const limit = Math.min(number('limit', MAX_PAGE, `a number of messages (1 to ${MAX_PAGE})`) || MAX_PAGE, MAX_PAGE);
    // Reads are bounded by what they return: ?tail=N reads the newest N messages, not the whole transcript.
    const events = await this.#options.events.readStream(TRANSCRIPT, {
      afterSeq,
      types: ['message.sent'],
      ...(tail > 0 ? { limit: Math.min(tail, limit), newest: true } : { limit }),
    });
    const messages = events.flatMap((e) =>
      e.type === 'message.sent' ? [toApi({ id: String(e.seq), text: e.data.text, buttons: e.data.buttons })] : [],
    );
    sendJson(res, 200, { messages });
  }

  #error(res: ServerResponse, err: unknown): void {
    if (err instanceof HttpError) {
      if (!res.headersSent) sendJson(res, err.status, { error: err.message });
      return;
    }
    if (clientGone(err)) {
      this.#log.debug({ err }, 'the client went away before the answer');
      return void res.destroy();
    }
    this.#log.error({ err }, 'web request failed');
    if (!res.headersSent) sendJson(res, 500, { error: 'internal error; the details are in the log' });
    else res.destroy();
  }
}
