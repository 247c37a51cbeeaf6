// Slack through Bolt. Socket Mode when an app-level token is given (an outbound WebSocket: nothing to expose to the
// internet); otherwise HTTP events with signature verification, on a port of its own or mounted on another server. The adapter translates: direct
// messages, the `/solo` slash command and button clicks become InboundEvents for the core, SentMessages become
// chat.postMessage/chat.update calls. Every decision (who may talk, what a command does) stays in the core.

import {
  App,
  HTTPReceiver,
  HTTPReceiverDeferredRequestError,
  SocketModeReceiver,
  webApi,
  type AppOptions,
} from '@slack/bolt';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { SoloError } from '../../../src/domain/errors.ts';
import type { InboundEvent, SentMessage } from '../../../src/domain/messages.ts';
import type { Logger } from '../../../src/observability/logger.ts';
import type {
  Channel,
  ChannelMonitor,
  DeliveryRef,
  FileDelivery,
  InboundHandler,
  OutboundFile,
} from '../../../src/ports/channel.ts';
import { Lifetime } from '../shared/lifetime.ts';
import { APP_TOKEN, BOT_TOKEN, SlackApiError, startFailure } from './errors.ts';
import { nextTurn } from '../shared/turn.ts';
import { readBytes, sendText } from '../shared/http.ts';
import { boltLogger, guardEnvelopes } from './bolt-glue.ts';
import { uploadRefusal, uploadToChat } from './files.ts';
import { fromSlackText, renderMessages, renderSingle, type SlackMessage } from './render.ts';
import { checkSlackSignature, sslCheck } from './signature.ts';

export { SlackApiError } from './errors.ts';

const SLACK_CHANNEL = 'slack';
const DEFAULT_API_URL = 'https://slack.com/api/';
const DEFAULT_COMMAND = '/solo';
export const DEFAULT_EVENTS_PATH = '/slack/events';
/** Longer messages are not handed to the core (same bound as the other chats). */
const MAX_INBOUND_CHARS = 8000;
/** The web client's default is ten retries over about 30 minutes; a chat reply that late is worse than a failure. */
const RETRY = { retries: 3, factor: 2, minTimeout: 500, maxTimeout: 5000, randomize: true };
const REQUEST_TIMEOUT_MS = 15_000;
/** Start-up calls (auth.test, apps.connections.open) are tried once each, this long: whoever started the channel retries. */
const START = { retryConfig: { retries: 0 }, timeout: 10_000 };
/** stop() lets calls in flight finish this long, then cancels them. */
const STOP_GRACE_MS = 1500;
/** WebSocket readyState values (the Socket Mode client's socket). */
const WebSocketState = { closing: 2 } as const;
const MAX_HTTP_BODY_BYTES = 1024 * 1024;

export interface SlackChannelOptions {
  /** Bot User OAuth Token, xoxb-…; every Web API call uses it. */
  botToken: string;
  /** App-level token, xapp-… with connections:write: Socket Mode. */
  appToken?: string | undefined;
  /** Without an app token: HTTP events, each request verified with this secret. */
  signingSecret?: string | undefined;
  /** HTTP mode: the path Slack posts to (default /slack/events). */
  eventsPath?: string | undefined;
  /** HTTP mode: listen here (host default 127.0.0.1, behind a tunnel or proxy); without a port, mount eventsCallback() instead. */
  host?: string | undefined;
  port?: number | undefined;
  /** Web API base URL with a trailing slash; a test fake or a proxy. */
  apiUrl?: string | undefined;
  /** The slash command configured in the Slack app; `/solo remember x` becomes `/remember x`. */
  command?: string | undefined;
  logger: Logger;
}

// Only the fields the adapter uses are checked; anything else in a payload is Slack's business.
const id = z.string().min(1);
const directMessage = z.object({
  channel: id,
  channel_type: z.string().optional(),
  user: id,
  text: z.string(),
  ts: id,
  subtype: z.string().optional(),
  bot_id: z.string().optional(),
});
const slashCommand = z.object({ text: z.string(), user_id: id, channel_id: id, trigger_id: id });
const buttonClick = z.object({
  trigger_id: id,
  user: z.object({ id }),
  container: z.object({ channel_id: id }).optional(),
  channel: z.object({ id }).optional(),
  actions: z.array(z.object({ type: z.literal('button'), value: z.string().min(1) })).min(1),
});

export class SlackChannel implements Channel {
  readonly name = SLACK_CHANNEL;
  readonly #options: SlackChannelOptions;
  readonly #log: Logger;
  readonly #apiUrl: string;
  readonly #command: string;
  readonly #clientOptions: NonNullable<AppOptions['clientOptions']>;
  readonly #client: webApi.WebClient;
  /** auth.test at start: one try, no SDK retries. */
  readonly #probe: webApi.WebClient;
  #socket: SocketModeReceiver | undefined;
  /** The current start-to-stop span: every API call goes through its fetch, and stop() cancels what is in flight. */
  #life = new Lifetime();
  /** start() resolved and stop() has not been called since. */
  #connected = false;
  #http: HTTPReceiver | undefined;
  #handler: InboundHandler | undefined;
  #identity: { user: string; team: string } | undefined;
  #url = '';
  /** HTTP mode with a port: the events server. */
  #server: Server | undefined;
  /** Updates being handled, so that stop() can wait for them. */
  readonly #inFlight = new Set<Promise<void>>();

  constructor(options: SlackChannelOptions) {
    if (!options.botToken)
      throw new SoloError('slack_config', 'The Slack channel needs a bot token (SLACK_BOT_TOKEN).');
    if (!options.appToken && !options.signingSecret) {
      throw new SoloError(
        'slack_config',
        'The Slack channel needs SLACK_APP_TOKEN for Socket Mode or SLACK_SIGNING_SECRET for HTTP events.',
      );
    }
    // The Socket Mode client retries apps.connections.open forever on not_allowed_token_type, so start() would never
    // return: a token of the wrong kind is refused here. (Bot tokens may be rotated ones, xoxe.xoxb-…, hence no stricter check.)
    if (options.appToken && !options.appToken.startsWith('xapp-')) {
      throw new SoloError(
        'slack_config',
        'SLACK_APP_TOKEN must be an app-level token (xapp-…), from Basic Information → App-Level Tokens.',
      );
    }
    if (options.botToken.startsWith('xapp-'))
      throw new SoloError('slack_config', 'SLACK_BOT_TOKEN must be the bot token (xoxb-…), not an app-level token.');
    this.#command = options.command ?? DEFAULT_COMMAND;
    if (!/^\/[\w-]{1,31}$/.test(this.#command))
      throw new SoloError('slack_config', `The Slack slash command must look like /solo, not "${this.#command}".`);
    this.#options = options;
    this.#log = options.logger.child({ component: SLACK_CHANNEL });
    this.#apiUrl = options.apiUrl ?? DEFAULT_API_URL;
    const fetch = ((input, init) => this.#life.fetch(input, init)) as typeof globalThis.fetch;
    this.#clientOptions = {
      slackApiUrl: this.#apiUrl,
      logger: boltLogger(this.#log),
      retryConfig: RETRY,
      timeout: REQUEST_TIMEOUT_MS,
      fetch,
    };
    this.#client = new webApi.WebClient(options.botToken, { ...this.#clientOptions });
    this.#probe = new webApi.WebClient(options.botToken, {
      ...this.#clientOptions,
      ...START,
      logger: boltLogger(this.#log, { quiet: true }),
    });
  }

  /** HTTP mode with a port: where Slack's requests are served, once started (public behind a tunnel or proxy). */
  get eventsUrl(): string {
    return this.#url;
  }

  describe(): string {
    const who = this.#identity ? `@${this.#identity.user} in ${this.#identity.team}` : 'bot';
    if (this.#options.appToken) return `Slack ${who} (Socket Mode)`;
    return `Slack ${who} (HTTP events at ${this.#url || this.#eventsPath})`;
  }

  /**
   * HTTP mode without a port: a request handler for node:http, to mount at eventsPath on another server (the web
   * chat's). It answers 503 until start() and 404 for any other path.
   */
  eventsCallback(): (req: IncomingMessage, res: ServerResponse) => void {
    if (this.#options.appToken || this.#options.port !== undefined)
      throw new Error('eventsCallback() is for HTTP mode without a port of its own');
    return this.#serveEvents;
  }

  /**
   * HTTP mode: every POST is read (at most 1 MiB) and its signature checked here, then Bolt's listener takes the
   * buffered request (Bolt's own check is off: see signature.ts). Every POST, not only those to the events path:
   * Bolt normalizes paths its own way (`/slack/./events` is its events path too), and nothing unsigned may reach
   * it. Other methods go to Bolt as they are; it processes only POSTs and answers the rest 404.
   */
  readonly #serveEvents = (req: IncomingMessage, res: ServerResponse): void => {
    const http = this.#http;
    if (!http || !this.#handler) return sendText(res, 503, 'starting up');
    const task = req.method === 'POST' ? this.#verified(req, res) : Promise.resolve(true);
    task
      .then((ok) => {
        if (ok) http.requestListener(req, res);
      })
      .catch((err: unknown) => {
        if (err instanceof HTTPReceiverDeferredRequestError) return sendText(res, 404, 'not found');
        this.#log.error({ err }, 'serving a Slack HTTP request failed');
        if (!res.headersSent) res.writeHead(500).end();
      });
  };

  /** Reads the body into `rawBody` (where Bolt looks for it) and answers 413 or 401 itself when it must. */
  async #verified(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const body = await readBytes(req, MAX_HTTP_BODY_BYTES);
    if (body === undefined) {
      this.#log.warn('refused an oversized Slack HTTP request');
      sendText(res, 413, 'too large');
      return false;
    }
    // Bolt reads the buffered body from req.rawBody; for an SSL check, that body alone (see sslCheck).
    const raw = req as IncomingMessage & { rawBody?: Buffer };
    if (sslCheck(req.headers, body)) {
      raw.rawBody = Buffer.from('ssl_check=1');
      return true;
    }
    const check = checkSlackSignature(this.#options.signingSecret ?? '', req.headers, body);
    if (!check.ok) {
      this.#log.warn({ why: check.why }, 'refused a Slack HTTP request that is not signed with our signing secret');
      sendText(res, 401, 'invalid signature');
      return false;
    }
    raw.rawBody = body;
    return true;
  }

  get #eventsPath(): string {
    return this.#options.eventsPath ?? DEFAULT_EVENTS_PATH;
  }

  /**
   * Resolves once the bot token is verified (auth.test) and Slack can deliver: Socket Mode said hello, or the HTTP
   * server listens. Rejects if Slack cannot be reached or refuses a token, and promptly when stop() is called
   * meanwhile. A Socket Mode connection that ends later is reported to `monitor` as lost (the SDK's own
   * reconnection is off: it fails with an unhandled rejection when Slack stays away).
   */
  async start(handler: InboundHandler, monitor?: ChannelMonitor): Promise<void> {
    if (this.#handler) throw new Error('the Slack channel is already started');
    const life = (this.#life = new Lifetime());
    try {
      await Promise.race([this.#connect(handler, monitor), life.whenEnded()]);
    } catch (err) {
      await this.stop();
      throw startFailure('start', err, BOT_TOKEN, this.#apiUrl, START.timeout);
    }
    this.#connected = true;
    this.#log.info(`${this.describe()} ready`);
  }

  async #connect(handler: InboundHandler, monitor: ChannelMonitor | undefined): Promise<void> {
    const auth = await this.#probe.auth.test().catch((err: unknown) => {
      throw startFailure('auth.test', err, BOT_TOKEN, this.#apiUrl, START.timeout);
    });
    if (!auth.user_id || !auth.bot_id) {
      throw new SlackApiError(
        'auth.test',
        undefined,
        `The ${BOT_TOKEN.name} is not a bot's token (auth.test names no bot); check ${BOT_TOKEN.env}.`,
      );
    }
    this.#identity = { user: auth.user ?? auth.user_id, team: auth.team ?? auth.team_id ?? 'Slack' };
    this.#handler = handler;
    const receiver = this.#receiver();
    // botId and botUserId from our auth.test spare Bolt its own; ignoreSelf uses them to drop the bot's own messages.
    const app = new App({
      token: this.#options.botToken,
      botId: auth.bot_id,
      botUserId: auth.user_id,
      receiver,
      logger: boltLogger(this.#log),
      clientOptions: { ...this.#clientOptions },
      convoStore: false,
    });
    this.#listen(app);
    await this.#listenOn(receiver);
    if (receiver instanceof SocketModeReceiver) {
      const life = this.#life;
      receiver.client.once('disconnected', () => {
        if (this.#connected && !life.ended) monitor?.lost(new Error('Slack closed the Socket Mode connection'));
      });
    }
  }

  /**
   * Stops receiving (closing the WebSocket or the HTTP server), then waits for updates still being handled. Calls
   * still waiting on Slack are cancelled after a short grace, at once if the channel never connected.
   */
  async stop(): Promise<void> {
    const life = this.#life;
    const connected = this.#connected;
    this.#connected = false;
    if (connected) life.endAfter(STOP_GRACE_MS);
    else life.end();
    const ended = life.whenEnded().catch(() => undefined);
    const socket = this.#socket;
    this.#socket = undefined;
    this.#http = undefined;
    if (socket) {
      const closed = socket.client
        .disconnect()
        .catch((err: unknown) => this.#log.warn({ err }, 'closing the Slack Socket Mode connection failed'));
      // A peer that never answers the close frame would be waited for 30 s; after the grace the socket is dropped.
      await Promise.race([closed, ended]);
      // CLOSING: the close frame went out and no answer came; a second disconnect() drops the socket.
      if (socket.client.websocket?.readyState === WebSocketState.closing) socket.client.websocket.disconnect();
    }
    const server = this.#server;
    this.#server = undefined;
    if (server?.listening) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
    }
    await Promise.race([Promise.all(this.#inFlight), ended]);
    life.end();
    this.#url = '';
    this.#handler = undefined;
  }

  async deliver(chatId: string, message: SentMessage): Promise<DeliveryRef> {
    let ref: DeliveryRef | undefined;
    for (const part of renderMessages(message.text, message.buttons)) ref = await this.#post(chatId, part);
    if (!ref) throw new Error('rendering produced no Slack message');
    return ref;
  }

  /** Replaces text and buttons; no buttons removes them. An edit cannot split, so a long text is cut. */
  async edit(ref: DeliveryRef, message: SentMessage): Promise<void> {
    if (ref.channel !== SLACK_CHANNEL) throw new Error(`not a Slack message reference: ${JSON.stringify(ref)}`);
    const { text, blocks = [] } = renderSingle(message.text, message.buttons);
    // blocks: [] is explicit: chat.update keeps a message's old blocks when it is given none.
    await this.#call('chat.update', () =>
      this.#client.chat.update({ channel: ref.chatId, ts: ref.messageId, text, blocks }),
    );
  }

  /** The file shared into the chat (files.ts); a refusal no retry can change is said, and text goes instead. */
  async deliverFile(chatId: string, file: OutboundFile): Promise<FileDelivery> {
    try {
      await this.#call('files.uploadV2', () => uploadToChat(this.#client, chatId, file));
      return {};
    } catch (err) {
      const notSent = uploadRefusal(err);
      if (notSent === undefined) throw err;
      this.#log.warn({ file: file.name, bytes: file.data.length }, `${notSent} Sending it as text instead.`);
      return { notSent };
    }
  }

  #receiver(): SocketModeReceiver | HTTPReceiver {
    const { appToken, signingSecret } = this.#options;
    if (appToken) {
      const socket = new SocketModeReceiver({
        appToken,
        // The adapter reports the connection's ups and downs itself (see start()); the client's own account of
        // each failed attempt goes to the debug log.
        logger: boltLogger(this.#log, { quiet: true }),
        autoReconnectEnabled: false,
        installerOptions: { clientOptions: { ...this.#clientOptions, ...START } },
        // Bolt failed on an envelope (a payload missing what it dereferences): ack it, or Slack sends it again.
        processEventErrorHandler: async ({ error }) => {
          this.#log.error({ err: error }, 'Bolt could not process a Slack envelope; acked and dropped');
          return true;
        },
      });
      guardEnvelopes(socket.client, this.#command, this.#log);
      this.#socket = socket;
      return socket;
    }
    const http = new HTTPReceiver({
      signingSecret: signingSecret ?? '',
      // #serveEvents checked the signature already (signature.ts says why it is not left to Bolt).
      signatureVerification: false,
      endpoints: this.#eventsPath,
      logger: boltLogger(this.#log),
      bodyLimit: MAX_HTTP_BODY_BYTES,
    });
    this.#http = http;
    return http;
  }

  async #listenOn(receiver: SocketModeReceiver | HTTPReceiver): Promise<void> {
    if (receiver instanceof SocketModeReceiver) {
      await receiver.start().catch((err: unknown) => {
        throw startFailure('apps.connections.open', err, APP_TOKEN, this.#apiUrl, START.timeout);
      });
      return;
    }
    if (this.#options.port === undefined) return;
    const host = this.#options.host ?? '127.0.0.1';
    // Our own server rather than receiver.start(): requests pass #serveEvents (the signature check) first.
    const server = createServer(this.#serveEvents);
    this.#server = server;
    server.listen(this.#options.port, host);
    await Promise.race([
      once(server, 'listening'),
      once(server, 'error').then(([err]) => Promise.reject(err as Error)),
    ]);
    const { port } = server.address() as AddressInfo;
    this.#url = `http://${host.includes(':') ? `[${host}]` : host}:${port}${this.#eventsPath}`;
  }

  /** Each listener acks first (Slack wants it within 3 s), then hands the update over; none of them ever throws. */
  #listen(app: App): void {
    app.message(async ({ message, body }) => this.#track(this.#onMessage(message, body.event_id)));
    app.command(this.#command, async ({ command, ack }) => {
      await ack().catch((err: unknown) => this.#log.warn({ err }, 'could not ack a Slack slash command'));
      await this.#track(this.#onCommand(command));
    });
    app.action({ type: 'block_actions' }, async ({ body, ack }) => {
      await ack().catch((err: unknown) => this.#log.warn({ err }, 'could not ack a Slack button click'));
      await this.#track(this.#onButton(body));
    });
  }

  async #onMessage(raw: unknown, eventId: unknown): Promise<void> {
    const parsed = directMessage.safeParse(raw);
    if (!parsed.success) return void this.#log.debug('ignored a Slack message event without channel, user or text');
    const m = parsed.data;
    // Edits, joins and bot posts arrive as message events too; only a person's own words in a DM are ours.
    if (m.channel_type !== 'im' || m.subtype !== undefined || m.bot_id !== undefined) {
      return void this.#log.debug(
        { channel: m.channel, subtype: m.subtype },
        'ignored a Slack message that is not a direct message from a person',
      );
    }
    const id = typeof eventId === 'string' && eventId ? eventId : `${m.channel}:${m.ts}`;
    await this.#dispatch({
      kind: 'message',
      id,
      channel: SLACK_CHANNEL,
      chatId: m.channel,
      senderId: m.user,
      text: fromSlackText(m.text),
    });
  }

  /** `/solo remember x` → `/remember x`; `/solo` alone → `/help`. */
  async #onCommand(raw: unknown): Promise<void> {
    const parsed = slashCommand.safeParse(raw);
    if (!parsed.success)
      return void this.#log.warn('ignored a Slack slash command without user, channel or trigger id');
    const c = parsed.data;
    const words = fromSlackText(c.text).trim().replace(/^\/+/, '');
    const text = words ? `/${words}` : '/help';
    await this.#dispatch({
      kind: 'message',
      id: `command:${c.trigger_id}`,
      channel: SLACK_CHANNEL,
      chatId: c.channel_id,
      senderId: c.user_id,
      text,
    });
  }

  async #onButton(raw: unknown): Promise<void> {
    const parsed = buttonClick.safeParse(raw);
    const click = parsed.data;
    const chatId = click?.container?.channel_id ?? click?.channel?.id;
    const data = click?.actions[0]?.value;
    if (!click || !chatId || !data)
      return void this.#log.debug('ignored a Slack block action that is not a button click in a conversation');
    await this.#dispatch({
      kind: 'button',
      id: `action:${click.trigger_id}`,
      channel: SLACK_CHANNEL,
      chatId,
      senderId: click.user.id,
      data,
    });
  }

  async #dispatch(event: InboundEvent): Promise<void> {
    const handler = this.#handler;
    if (!handler) return;
    // Frames read together would otherwise be handled in one go, every reply waiting for the last one (turn.ts).
    // The handler is taken first: an update that arrived before stop() is still handled, and stop() waits for it.
    await nextTurn();
    if (event.kind === 'message' && event.text.length > MAX_INBOUND_CHARS) {
      this.#log.warn({ update: event.id, chars: event.text.length }, 'dropped an oversized Slack message');
      await this.#post(event.chatId, {
        text: `That message is ${event.text.length} characters long; I read at most ${MAX_INBOUND_CHARS}. Please split it up.`,
      });
      return;
    }
    await handler.handle(event, this);
  }

  /** Keeps the update in #inFlight until done; a failure is logged here, never thrown into Bolt. */
  async #track(task: Promise<void>): Promise<void> {
    const tracked = task.catch((err: unknown) => this.#log.error({ err }, 'handling a Slack update failed'));
    this.#inFlight.add(tracked);
    try {
      await tracked;
    } finally {
      this.#inFlight.delete(tracked);
    }
  }

  async #post(chatId: string, message: SlackMessage): Promise<DeliveryRef> {
    const sent = await this.#call('chat.postMessage', () =>
      this.#client.chat.postMessage({ channel: chatId, ...message }),
    );
    if (!sent.ts)
      throw new SlackApiError(
        'chat.postMessage',
        undefined,
        'Slack accepted a message but returned no timestamp for it.',
      );
    return { channel: SLACK_CHANNEL, chatId: sent.channel ?? chatId, messageId: sent.ts };
  }

  /** Runs a Web API call; a failure is logged here and rethrown as a SlackApiError. */
  async #call<T>(method: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      const wrapped = new SlackApiError(method, err);
      this.#log.warn({ method, slackError: wrapped.slackError, reason: wrapped.message }, 'Slack API call failed');
      throw wrapped;
    }
  }
}
