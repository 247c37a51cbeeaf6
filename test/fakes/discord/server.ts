// A fake Discord for tests: the REST API under /api/v10 and the gateway (gateway.ts) on one HTTP server on
// 127.0.0.1. Bot routes need `Authorization: Bot <token>` (401 otherwise); interaction callbacks and webhook
// routes are authorised by the interaction token, as on Discord. Every REST call and gateway frame is recorded.
// One bot, one guild with two text channels, DM channels opened on demand. Test-side helpers (addUser, userSays,
// userRunsCommand, userClicks) make users act; `rateLimitNext` answers the next matching call with a 429.

import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeGateway, type GatewayFrame } from './gateway.ts';
import { MessageRoutes, type MessageStore } from './messages.ts';
import {
  apiError,
  ChannelKind,
  guildCreate,
  Intent,
  interactionBase,
  InteractionKind,
  message,
  notFound,
  snowflake,
  user,
  type ApiChannel,
  type ApiMessage,
  type ApiUser,
  type Reply,
} from './model.ts';
import { attachment, MAX_UPLOAD_BYTES, readMultipart, type ApiAttachment, type Upload } from './uploads.ts';
import { checkCommands, type MessageBody } from './validate.ts';

export interface RecordedCall {
  method: string;
  /** The path after /api/v10, as it arrived (still URL-encoded: `%40original`). */
  rawPath: string;
  /** The same path with each segment decoded. */
  path: string;
  query: Record<string, string>;
  body: unknown;
  /** A multipart request's files (its `payload_json` is `body`). */
  files?: { index: number; filename: string; contentType: string; size: number }[];
  status: number;
}

export interface FakeDiscordOptions {
  token?: string;
  /** HELLO's heartbeat_interval in ms (Discord sends ~41 s). */
  heartbeatIntervalMs?: number;
  /** Whether the Message Content privileged intent is switched on for the application (default yes). */
  messageContentIntent?: boolean;
  /** The gateway refuses the token (close 4004) though REST takes it: a token reset in the Developer Portal meanwhile. */
  gatewayRefusesToken?: boolean;
}

const API_PREFIX = '/api/v10';
const ok = (body: unknown): Reply => ({ status: 200, body });
const noContent: Reply = { status: 204 };

export class FakeDiscord extends EventEmitter implements MessageStore {
  readonly token: string;
  readonly bot: ApiUser = user(snowflake(), 'solo-bot', true);
  readonly applicationId = this.bot.id;
  readonly guildId = snowflake();
  readonly owner: ApiUser = user(snowflake(), 'guild-owner');
  /** The guild channel the adapter is configured to listen in, and one it must ignore. */
  readonly guildChannel: ApiChannel;
  readonly otherGuildChannel: ApiChannel;
  readonly calls: RecordedCall[] = [];
  readonly frames: GatewayFrame[] = [];
  commands: Record<string, unknown>[] = [];
  readonly channels = new Map<string, ApiChannel>();
  readonly messages = new Map<string, ApiMessage>();
  readonly #dms = new Map<string, ApiChannel>();
  readonly users = new Map<string, ApiUser>();
  readonly gateway: FakeGateway;
  readonly #routes: MessageRoutes;
  readonly #server: Server;
  readonly #rateLimits: { method: string; path: RegExp; retryAfter: number }[] = [];
  /** Attachment id → its bytes and type, served at the attachment's URL. */
  readonly #files = new Map<string, { data: Buffer; contentType: string }>();
  /** The largest file a message may carry (Discord's default for bots; a test may lower it). */
  uploadLimitBytes = MAX_UPLOAD_BYTES;
  #port = 0;

  constructor(options: FakeDiscordOptions = {}) {
    super();
    this.token = options.token ?? 'fake-bot-token';
    const textChannel = (name: string, position: number): ApiChannel => ({
      id: snowflake(),
      type: ChannelKind.guildText,
      name,
      guild_id: this.guildId,
      position,
      permission_overwrites: [],
      last_message_id: null,
      flags: 0,
    });
    this.guildChannel = textChannel('solo', 0);
    this.otherGuildChannel = textChannel('general', 1);
    for (const c of [this.guildChannel, this.otherGuildChannel]) this.channels.set(c.id, c);
    this.gateway = new FakeGateway(
      {
        tokenIsValid: (token) => token === this.token && options.gatewayRefusesToken !== true,
        intentsAllowed: (intents) => options.messageContentIntent !== false || (intents & Intent.messageContent) === 0,
        record: (frame) => {
          this.frames.push(frame);
          this.emit('frame', frame);
        },
        ready: (sessionId) => ({
          ready: {
            v: 10,
            user: this.bot,
            session_id: sessionId,
            resume_gateway_url: this.gatewayUrl,
            shard: [0, 1],
            guilds: [{ id: this.guildId, unavailable: true }],
            application: { id: this.applicationId, flags: 0 },
            private_channels: [],
            relationships: [],
            presences: [],
            guild_join_requests: [],
            geo_ordered_rtc_regions: [],
            _trace: ['fake-discord'],
          },
          guilds: [guildCreate(this.guildId, this.owner.id, [this.guildChannel, this.otherGuildChannel], this.bot)],
        }),
      },
      options.heartbeatIntervalMs ?? 41_250,
    );
    this.#routes = new MessageRoutes(this);
    this.#server = createServer((req, res) => void this.#serve(req, res).catch(() => res.destroy()));
    this.#server.on('upgrade', (req, socket, head) => {
      if ((req.url ?? '').startsWith('/gateway')) this.gateway.upgrade(req, socket, head);
      else socket.destroy();
    });
  }

  static async start(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
    const fake = new FakeDiscord(options);
    await new Promise<void>((resolve) => fake.#server.listen(0, '127.0.0.1', resolve));
    fake.#port = (fake.#server.address() as AddressInfo).port;
    return fake;
  }

  /** What DISCORD_API_URL / the client's `rest.api` should be. */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.#port}/api`;
  }

  get gatewayUrl(): string {
    return `ws://127.0.0.1:${this.#port}/gateway`;
  }

  async stop(): Promise<void> {
    await this.gateway.close();
    await this.suspend();
  }

  /** An outage: the port stops accepting and every connection, the gateway's included, is cut; sessions are kept for RESUME. */
  async suspend(): Promise<void> {
    this.gateway.cut();
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  /** The end of an outage: listening again on the same port. */
  async resume(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(this.#port, '127.0.0.1', resolve));
  }

  /** The next call matching method and path (decoded, after /api/v10) is answered 429 with a `retry-after` of `retryAfter` seconds. */
  rateLimitNext(method: string, path: RegExp, retryAfter = 1): void {
    this.#rateLimits.push({ method, path, retryAfter });
  }

  /** Resolves with the first call (at index ≥ `since`) that matches, now or when it arrives. */
  waitForCall(match: (call: RecordedCall) => boolean, since = 0): Promise<RecordedCall> {
    const found = this.calls.slice(since).find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => {
      const listener = (call: RecordedCall): void => {
        if (!match(call)) return;
        this.off('call', listener);
        resolve(call);
      };
      this.on('call', listener);
    });
  }

  messagesIn(channelId: string): ApiMessage[] {
    return [...this.messages.values()].filter((m) => m.channel_id === channelId);
  }

  // ---- what users do (test side) ----

  addUser(username: string): ApiUser {
    const who = user(snowflake(), username);
    this.users.set(who.id, who);
    return who;
  }

  /** A user writes in a channel (their DM with the bot unless given): MESSAGE_CREATE goes out on the gateway. */
  userSays(who: ApiUser, text: string, channel: ApiChannel = this.dmWith(who)): ApiMessage {
    return this.post(message(channel, who, text));
  }

  /** A user runs a slash command; `args` fills the command's `args` string option. Returns the interaction id. */
  userRunsCommand(who: ApiUser, name: string, args?: string, channel: ApiChannel = this.dmWith(who)): string {
    const command = this.commands.find((c) => c.name === name);
    const base = interactionBase(this.applicationId, { channel, user: who }, InteractionKind.command);
    const options = args === undefined ? {} : { options: [{ name: 'args', type: 3, value: args }] };
    this.#routes.add({ id: base.id, token: base.token, kind: InteractionKind.command, channel, user: who });
    this.gateway.dispatch('INTERACTION_CREATE', {
      ...base,
      data: { id: typeof command?.id === 'string' ? command.id : snowflake(), name, type: 1, ...options },
    });
    return base.id;
  }

  /** A user taps a button on a message. Returns the interaction id. */
  userClicks(who: ApiUser, on: ApiMessage, customId: string): string {
    const channel = this.channels.get(on.channel_id) as ApiChannel;
    const base = interactionBase(this.applicationId, { channel, user: who }, InteractionKind.component);
    this.#routes.add({
      id: base.id,
      token: base.token,
      kind: InteractionKind.component,
      channel,
      user: who,
      sourceMessageId: on.id,
    });
    this.gateway.dispatch('INTERACTION_CREATE', {
      ...base,
      message: on,
      data: { custom_id: customId, component_type: 2 },
    });
    return base.id;
  }

  /** The DM channel between the bot and a user, opened on first use (POST /users/@me/channels does the same). */
  dmWith(who: ApiUser): ApiChannel {
    let channel = this.#dms.get(who.id);
    if (!channel) {
      channel = { id: snowflake(), type: ChannelKind.dm, recipients: [who], last_message_id: null, flags: 0 };
      this.#dms.set(who.id, channel);
      this.channels.set(channel.id, channel);
    }
    return channel;
  }

  /** Stores a message and tells the gateway, as Discord does for every message including the bot's own. */
  post(m: ApiMessage): ApiMessage {
    this.messages.set(m.id, m);
    const channel = this.channels.get(m.channel_id);
    if (channel) channel.last_message_id = m.id;
    this.gateway.dispatch('MESSAGE_CREATE', m, this.#messageIntent(m));
    return m;
  }

  update(m: ApiMessage, body: MessageBody): ApiMessage {
    if (typeof body.content === 'string') m.content = body.content;
    if (Array.isArray(body.components)) m.components = body.components;
    if (typeof body.flags === 'number') m.flags = body.flags;
    m.edited_timestamp = new Date().toISOString();
    this.gateway.dispatch('MESSAGE_UPDATE', m, this.#messageIntent(m));
    return m;
  }

  attach(channelId: string, upload: Upload, payload: MessageBody): ApiAttachment {
    const a = attachment(`http://127.0.0.1:${this.#port}`, channelId, upload, payload);
    this.#files.set(a.id, { data: upload.data, contentType: a.content_type });
    return a;
  }

  remove(m: ApiMessage): void {
    this.messages.delete(m.id);
    this.gateway.dispatch(
      'MESSAGE_DELETE',
      { id: m.id, channel_id: m.channel_id, ...(m.guild_id ? { guild_id: m.guild_id } : {}) },
      this.#messageIntent(m),
    );
  }

  #messageIntent(m: ApiMessage): number {
    return m.guild_id === undefined ? Intent.directMessages : Intent.guildMessages;
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const rawPath = url.pathname.startsWith(API_PREFIX) ? url.pathname.slice(API_PREFIX.length) : url.pathname;
    const path = rawPath.split('/').map(decodeSegment).join('/');
    const raw = await new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks)));
    });
    const file = /^\/attachments\/\d+\/(\d+)\//.exec(url.pathname)?.[1];
    if (method === 'GET' && file !== undefined) return this.#serveFile(file, res);
    let body: unknown;
    let files: Upload[] = [];
    let reply: Reply;
    try {
      const contentType = req.headers['content-type'] ?? '';
      // Messages with files come as multipart/form-data (uploads.ts); a refused upload is answered as it is.
      const read = contentType.startsWith('multipart/form-data')
        ? await readMultipart(contentType, raw, this.uploadLimitBytes)
        : undefined;
      if (read) ({ payload: body, files } = read);
      else body = raw.length > 0 ? (JSON.parse(raw.toString('utf8')) as unknown) : undefined;
      reply = read?.refused ?? this.#route(method, path, url, body, req, files);
    } catch (err) {
      reply =
        err instanceof SyntaxError
          ? { status: 400, body: apiError(50109, 'The request body contains invalid JSON.') }
          : { status: 500, body: apiError(0, '500: Internal Server Error') };
    }
    const call: RecordedCall = {
      method,
      rawPath,
      path,
      query: Object.fromEntries(url.searchParams),
      body,
      ...(files.length > 0
        ? {
            files: files.map((f) => ({
              index: f.index,
              filename: f.filename,
              contentType: f.contentType,
              size: f.data.length,
            })),
          }
        : {}),
      status: reply.status,
    };
    this.calls.push(call);
    res.writeHead(reply.status, {
      ...(reply.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...reply.headers,
    });
    res.end(reply.body === undefined ? undefined : JSON.stringify(reply.body));
    this.emit('call', call);
  }

  /** An attachment's bytes, as Discord's CDN serves them. */
  #serveFile(id: string, res: ServerResponse): void {
    const file = this.#files.get(id);
    if (!file) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': file.contentType, 'content-length': file.data.length }).end(file.data);
  }

  #route(method: string, path: string, url: URL, body: unknown, req: IncomingMessage, files: Upload[]): Reply {
    if (!url.pathname.startsWith(API_PREFIX)) return notFound(0, '404: Not Found');
    const limited = this.#rateLimits.findIndex((r) => r.method === method && r.path.test(path));
    if (limited !== -1) {
      const { retryAfter } = this.#rateLimits.splice(limited, 1)[0] as { retryAfter: number };
      return tooManyRequests(retryAfter);
    }
    // Interaction callbacks and webhooks carry their own token in the path, not the bot's.
    if (path.startsWith('/interactions/') || path.startsWith('/webhooks/'))
      return this.#routes.route(method, path, url, body);
    if (req.headers.authorization !== `Bot ${this.token}`)
      return { status: 401, body: apiError(0, '401: Unauthorized') };
    return this.#botRoute(method, path, body, files);
  }

  #botRoute(method: string, path: string, body: unknown, files: Upload[]): Reply {
    const seg = path.split('/').slice(1);
    const route = `${method} /${seg.map((s, i) => (/^\d+$/.test(s) && i > 0 ? ':id' : s)).join('/')}`;
    switch (route) {
      case 'GET /gateway/bot':
        return ok({
          url: this.gatewayUrl,
          shards: 1,
          session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 },
        });
      case 'GET /gateway':
        return ok({ url: this.gatewayUrl });
      case 'GET /users/@me':
        return ok(this.bot);
      case 'GET /applications/@me':
        return ok({
          id: this.applicationId,
          name: 'Solo OS',
          description: '',
          bot_public: false,
          bot_require_code_grant: false,
          flags: 0,
          bot: this.bot,
        });
      case 'GET /applications/:id/commands':
        return seg[1] === this.applicationId ? ok(this.commands) : notFound(10002, 'Unknown Application');
      case 'PUT /applications/:id/commands':
        return this.#putCommands(seg[1] ?? '', body);
      case 'POST /users/@me/channels': {
        const recipient = this.users.get(String((body as { recipient_id?: unknown } | undefined)?.recipient_id));
        return recipient
          ? ok(this.dmWith(recipient))
          : {
              status: 400,
              body: apiError(50035, 'Invalid Form Body', {
                recipient_id: { _errors: [{ code: 'NUMBER_TYPE_COERCE', message: 'Unknown user.' }] },
              }),
            };
      }
      case 'GET /channels/:id': {
        const channel = this.channels.get(seg[1] ?? '');
        return channel ? ok(channel) : notFound(10003, 'Unknown Channel');
      }
      case 'POST /channels/:id/typing':
        return this.channels.has(seg[1] ?? '') ? noContent : notFound(10003, 'Unknown Channel');
      case 'POST /channels/:id/messages':
        return this.#routes.createMessage(seg[1] ?? '', body as MessageBody | undefined, files);
      case 'PATCH /channels/:id/messages/:id':
        return this.#routes.editMessage(seg[1] ?? '', seg[3] ?? '', body as MessageBody);
      default:
        return notFound(0, '404: Not Found');
    }
  }

  #putCommands(applicationId: string, body: unknown): Reply {
    if (applicationId !== this.applicationId) return { status: 403, body: apiError(50001, 'Missing Access') };
    const problem = checkCommands(body);
    if (problem) return { status: 400, body: problem };
    this.commands = (body as Record<string, unknown>[]).map((c) => ({
      id: snowflake(),
      application_id: this.applicationId,
      version: snowflake(),
      type: 1,
      default_member_permissions: null,
      nsfw: false,
      ...c,
    }));
    return ok(this.commands);
  }
}

/** Discord's 429: headers and body both say how long to wait (https://discord.com/developers/docs/topics/rate-limits). */
function tooManyRequests(retryAfter: number): Reply {
  return {
    status: 429,
    headers: {
      // The header is whole seconds; the body has the precise value.
      'retry-after': String(Math.ceil(retryAfter)),
      'x-ratelimit-limit': '5',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': String(Date.now() / 1000 + retryAfter),
      'x-ratelimit-reset-after': String(retryAfter),
      'x-ratelimit-bucket': 'fake-bucket-messages',
      'x-ratelimit-scope': 'user',
    },
    body: { message: 'You are being rate limited.', retry_after: retryAfter, global: false },
  };
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
