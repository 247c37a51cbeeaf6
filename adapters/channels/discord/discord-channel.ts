// The Discord channel: a discord.js bot that the operator talks to in a direct message, or in one configured guild
// channel. Messages and slash commands become InboundMessages, button taps InboundButtons; replies go back as
// messages, or as the answer to the slash command they respond to. Who may command the bot is the core's
// decision: everything from a DM or the configured channel reaches the handler (bots excepted).

import {
  ApplicationCommandOptionType,
  Client,
  DiscordAPIError,
  DiscordjsError,
  DiscordjsErrorCodes,
  Events,
  GatewayIntentBits,
  MessageFlags,
  Options,
  Partials,
  RESTEvents,
  Routes,
  type ButtonInteraction,
  type ChatInputApplicationCommandData,
  type ChatInputCommandInteraction,
  type Interaction,
  type Message,
  type RESTPatchAPIChannelMessageJSONBody,
  type RESTPostAPIChannelMessageResult,
} from 'discord.js';
import type { InboundEvent, SentMessage } from '../../../src/domain/messages.ts';
import { SoloError } from '../../../src/domain/errors.ts';
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
import { innermostReason } from '../shared/reason.ts';
import { nextTurn } from '../shared/turn.ts';
import { postFile, refusedAsTooLarge, tooLarge } from './files.ts';
import { MAX_CONTENT, render, type DiscordPayload } from './render.ts';
import { SlashReply } from './slash-reply.ts';

const DISCORD_CHANNEL = 'discord';
/** Discord allows 3 s to answer an interaction; deferring at 2 s leaves room for the round trip. */
const DEFAULT_DEFER_AFTER_MS = 2000;
const MAX_DESCRIPTION = 100;
/** stop() lets replies in flight finish this long, then cancels them. */
const STOP_GRACE_MS = 1500;
/** The probe at start (GET /gateway/bot) that has no answer by then fails the start. */
const START_CALL_TIMEOUT_MS = 10_000;
/** Gateway close codes that mean retrying cannot help (https://discord.com/developers/docs/topics/opcodes-and-status-codes). */
const CLOSED_FOR_GOOD: Record<number, string> = {
  4010: 'discord_sharding',
  4011: 'discord_sharding',
  4012: 'discord_api_version',
  4013: 'discord_intent_invalid',
};
const TOKEN_INVALID = 'discord_token_invalid';
const TOKEN_REFUSED =
  'Discord refused the bot token; set DISCORD_TOKEN to the token on your application’s Bot page in the Discord Developer Portal.';
const INTENT_DISABLED = 'discord_intent_disabled';
const INTENT_REFUSED =
  'Discord refused the Message Content intent; switch it on under Privileged Gateway Intents on your application’s Bot page in the Discord Developer Portal.';

export interface DiscordChannelOptions {
  /** The bot token (DISCORD_TOKEN). */
  token: string;
  /** REST base URL without version (DISCORD_API_URL), e.g. http://127.0.0.1:PORT/api; Discord's own when absent. */
  apiUrl?: string | undefined;
  /** A guild text channel where the operator may also talk to the bot (DISCORD_GUILD_CHANNEL_ID). DMs always work. */
  guildChannelId?: string | undefined;
  logger: Logger;
  /** A slash command not answered after this many ms gets a deferred reply first (tests make it short). */
  deferAfterMs?: number;
}

/** A Discord failure, said in one sentence; `cause` has Discord's answer. */
export class DiscordChannelError extends SoloError {}

export class DiscordChannel implements Channel {
  readonly name = DISCORD_CHANNEL;
  readonly #options: DiscordChannelOptions;
  readonly #log: Logger;
  readonly #deferAfterMs: number;
  readonly #inFlight = new Set<Promise<void>>();
  #client: Client | undefined;
  #handler: InboundHandler | undefined;
  /** The current start-to-stop span: every REST call goes through its fetch, and stop() cancels what is in flight. */
  #life = new Lifetime();
  /** start() resolved and stop() has not been called since. */
  #connected = false;

  constructor(options: DiscordChannelOptions) {
    this.#options = options;
    this.#log = options.logger.child({ component: DISCORD_CHANNEL });
    this.#deferAfterMs = options.deferAfterMs ?? DEFAULT_DEFER_AFTER_MS;
  }

  describe(): string {
    const who = this.#client?.user ? `@${this.#client.user.username}` : 'Discord bot (not connected)';
    return `Discord as ${who}, in DMs${this.#options.guildChannelId ? ` and channel ${this.#options.guildChannelId}` : ''}`;
  }

  /**
   * Resolves once the gateway session is ready and the commands are registered. Rejects if Discord cannot be
   * reached or refuses the token, and promptly when stop() is called meanwhile. Later, discord.js reconnects by
   * itself; `monitor` hears when it does, and when the gateway closed the session for good.
   */
  async start(handler: InboundHandler, monitor?: ChannelMonitor): Promise<void> {
    if (this.#client) throw new Error('the Discord channel is already started');
    const life = (this.#life = new Lifetime());
    const client = new Client({
      intents: [
        GatewayIntentBits.Guilds,
        GatewayIntentBits.GuildMessages,
        GatewayIntentBits.DirectMessages,
        GatewayIntentBits.MessageContent,
      ],
      // DM channels are not cached before their first message; without this partial, DMs never arrive.
      partials: [Partials.Channel],
      allowedMentions: { parse: [] },
      // Messages are not kept: the adapter edits its cards by id, and discord.js would otherwise hold the last 200
      // messages of every chat (memory that grows with chats, and work for the garbage collector on every message).
      makeCache: Options.cacheWithLimits({ ...Options.DefaultMakeCacheSettings, MessageManager: 0 }),
      // API calls go through the adapters' shared client (shared/fetch.ts) instead of undici's request(), tied to this span.
      rest: {
        makeRequest: (url: string, init: object) => life.fetch(url, init),
        ...(this.#options.apiUrl ? { api: this.#options.apiUrl } : {}),
      },
    });
    guardPacketHandling(client, this.#log);
    client.on(Events.MessageCreate, (message) => this.#track(this.#onMessage(message)));
    client.on(Events.InteractionCreate, (interaction) => this.#track(this.#onInteraction(interaction)));
    client.on(Events.Error, (err) => this.#log.error({ err }, 'Discord client error'));
    client.on(Events.Warn, (warning) => this.#log.warn({ warning }, 'Discord client warning'));
    client.rest.on(RESTEvents.RateLimited, (info) =>
      this.#log.warn({ route: info.route, retryAfterMs: info.retryAfter }, 'rate limited by Discord; waiting'),
    );
    this.#watch(client, life, monitor);
    const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
    this.#client = client;
    this.#handler = handler;
    try {
      await Promise.race([
        this.#probe(client)
          .then(() => client.login(this.#options.token))
          .then(() => ready),
        life.whenEnded(),
      ]);
    } catch (err) {
      this.#client = undefined;
      this.#handler = undefined;
      life.end();
      await Promise.race([client.destroy(), new Promise((resolve) => setTimeout(resolve, STOP_GRACE_MS).unref())]);
      throw this.#loginError(err);
    }
    await this.#registerCommands(client, handler);
    this.#connected = true;
    this.#log.info({ bot: client.user?.username }, `connected: ${this.describe()}`);
  }

  /**
   * Lets updates being handled finish their replies (for a short grace), then disconnects. Calls still waiting on
   * Discord are cancelled after the grace, at once if the channel never connected.
   */
  async stop(): Promise<void> {
    const client = this.#client;
    const life = this.#life;
    const connected = this.#connected;
    this.#connected = false;
    this.#handler = undefined;
    if (connected) life.endAfter(STOP_GRACE_MS);
    else life.end();
    const ended = life.whenEnded().catch(() => undefined);
    await Promise.race([Promise.allSettled([...this.#inFlight]), ended]);
    this.#client = undefined;
    // destroy() waits for the gateway to answer its close frame; one that never answers is not waited for past the grace.
    if (client) await Promise.race([client.destroy(), ended]);
    life.end();
  }

  /**
   * GET /gateway/bot with a deadline, as login() is about to: login's own call retries a platform that does not
   * answer for about a minute (15 s × 4) before it fails, and a wrong token is refused here before any connection.
   */
  async #probe(client: Client): Promise<void> {
    const signal = AbortSignal.timeout(START_CALL_TIMEOUT_MS);
    client.rest.setToken(this.#options.token);
    try {
      await client.rest.get(Routes.gatewayBot(), { signal });
    } catch (err) {
      if (!signal.aborted) throw err;
      const where = this.#options.apiUrl ?? 'discord.com';
      throw new DiscordChannelError(
        'discord_unreachable',
        `Could not reach Discord at ${where} (no answer within ${START_CALL_TIMEOUT_MS / 1000} s).`,
        { cause: err, retryable: true },
      );
    }
  }

  /** The gateway connection's ups and downs, for the monitor: discord.js reconnects and resumes by itself. */
  #watch(client: Client, life: Lifetime, monitor: ChannelMonitor | undefined): void {
    let lastError: unknown;
    const live = (): boolean => this.#connected && !life.ended && this.#client === client;
    client.on(Events.ShardError, (err) => {
      lastError = err;
      this.#log.debug({ err }, 'Discord gateway connection error; discord.js reconnects');
    });
    client.on(Events.ShardReconnecting, () => {
      if (live())
        monitor?.reconnecting(
          `the gateway connection dropped${lastError === undefined ? '' : ` (${innermostReason(lastError)})`}`,
        );
    });
    const back = (): void => {
      lastError = undefined;
      if (live()) monitor?.connected();
    };
    client.on(Events.ShardResume, back);
    client.on(Events.ShardReady, back);
    client.on(Events.ShardDisconnect, ({ code }) => {
      if (!live()) return;
      const final = CLOSED_FOR_GOOD[code];
      const reason = `Discord closed the gateway session for good (close code ${code})`;
      if (code === 4004)
        monitor?.lost(
          new DiscordChannelError(TOKEN_INVALID, `${TOKEN_REFUSED.replace(/;/, ` (gateway close code ${code});`)}`),
        );
      else if (code === 4014) monitor?.lost(new DiscordChannelError(INTENT_DISABLED, INTENT_REFUSED));
      else monitor?.lost(final ? new DiscordChannelError(final, `${reason}.`) : new Error(reason));
    });
  }

  // Outbound calls go straight to discord.js's REST client (its rate-limit queues and DiscordAPIError included).
  // Through a channel object (`channel.send()`), each one first looked the channel up, with a GET when it was not
  // cached (a DM after a restart), and then built a Message object from the answer that nothing reads: 15% of the
  // bot's CPU per reply in bench/channels.ts. A channel the bot cannot write in is refused by Discord itself.

  async deliver(chatId: string, message: SentMessage): Promise<DeliveryRef | undefined> {
    return this.#deliverParts(chatId, message, async (part) => {
      const sent = (await this.#rest().post(Routes.channelMessages(chatId), {
        body: apiBody(part),
      })) as RESTPostAPIChannelMessageResult;
      return sent.id;
    });
  }

  async edit(ref: DeliveryRef, message: SentMessage): Promise<void> {
    const { parts } = render(message.text, message.buttons);
    const last = parts.at(-1);
    // An edit is one message: text beyond the limit is cut, and no buttons removes the old ones.
    const content =
      parts.length > 1
        ? `${parts
            .map((p) => p.content)
            .join('\n')
            .slice(0, MAX_CONTENT - 1)}…`
        : (last?.content ?? '');
    try {
      await this.#rest().patch(Routes.channelMessage(ref.chatId, ref.messageId), {
        body: apiBody({ content, components: last?.components ?? [] }),
      });
    } catch (err) {
      throw this.#failure(err, `edit message ${ref.messageId} in ${ref.chatId}`);
    }
  }

  /** A message with the file attached (files.ts); one Discord cannot take is said, and text goes instead. */
  async deliverFile(chatId: string, file: OutboundFile): Promise<FileDelivery> {
    let notSent = tooLarge(file);
    if (notSent === undefined) {
      try {
        await postFile(this.#rest(), chatId, file);
        return {};
      } catch (err) {
        notSent = refusedAsTooLarge(err, file);
        if (notSent === undefined) throw this.#failure(err, `send ${file.name} to ${chatId}`);
      }
    }
    this.#log.warn({ file: file.name, bytes: file.data.length }, `${notSent} Sending it as text instead.`);
    return { notSent };
  }

  async typing(chatId: string): Promise<void> {
    try {
      await this.#rest().post(Routes.channelTyping(chatId));
    } catch (err) {
      throw this.#failure(err, `show typing in ${chatId}`);
    }
  }

  async #deliverParts(
    chatId: string,
    message: SentMessage,
    send: (part: DiscordPayload) => Promise<string>,
  ): Promise<DeliveryRef | undefined> {
    const { parts, dropped } = render(message.text, message.buttons);
    if (dropped.length > 0)
      this.#log.warn(
        { message: message.id, dropped: dropped.map((b) => b.data) },
        'Discord shows at most 25 distinct buttons; some were left off',
      );
    if (parts.length === 0) {
      this.#log.warn({ message: message.id }, 'not sending an empty message');
      return undefined;
    }
    let messageId = '';
    try {
      for (const part of parts) messageId = await send(part);
    } catch (err) {
      throw this.#failure(err, `send message ${message.id} to ${chatId}`);
    }
    // Of a message split in parts, the last one (which carries the buttons) is the one to edit later.
    return { channel: DISCORD_CHANNEL, chatId, messageId };
  }

  #rest(): Client['rest'] {
    if (!this.#client) throw new DiscordChannelError('discord_stopped', 'The Discord channel is not running.');
    return this.#client.rest;
  }

  async #registerCommands(client: Client, handler: InboundHandler): Promise<void> {
    const commands = handler.commands().map((c): ChatInputApplicationCommandData => ({
      name: c.name.toLowerCase(),
      description: c.description.slice(0, MAX_DESCRIPTION) || c.name,
      options: [
        {
          type: ApplicationCommandOptionType.String,
          name: 'args',
          description: (c.usage ?? 'arguments').slice(0, MAX_DESCRIPTION),
          required: false,
        },
      ],
    }));
    try {
      await client.application?.commands.set(commands);
      this.#log.debug({ count: commands.length }, 'registered the slash commands');
    } catch (err) {
      // The menu is a convenience: typed commands in a DM work without it.
      this.#log.warn({ err }, 'could not register the slash commands with Discord; typed commands still work');
    }
  }

  /** Where the bot listens: any DM, and the configured guild channel. */
  #listensIn(guildId: string | null, channelId: string | null): boolean {
    return guildId === null || (channelId !== null && channelId === this.#options.guildChannelId);
  }

  async #onMessage(message: Message): Promise<void> {
    if (message.author.bot || message.system || !this.#listensIn(message.guildId, message.channelId)) return;
    if (message.content.trim() === '')
      return void this.#log.debug({ update: message.id }, 'dropped a message without text');
    await this.#dispatch(
      {
        kind: 'message',
        id: message.id,
        channel: DISCORD_CHANNEL,
        chatId: message.channelId,
        senderId: message.author.id,
        text: message.content,
      },
      this,
    );
  }

  async #onInteraction(interaction: Interaction): Promise<void> {
    if (!interaction.isChatInputCommand() && !interaction.isButton())
      return void this.#log.debug({ type: interaction.type }, 'ignored an interaction kind the bot does not offer');
    const chatId = interaction.channelId;
    if (chatId === null || !this.#listensIn(interaction.guildId, chatId)) {
      const where = this.#options.guildChannelId
        ? `a direct message or <#${this.#options.guildChannelId}>`
        : 'a direct message';
      await interaction.reply({ content: `I only take instructions in ${where}.`, flags: MessageFlags.Ephemeral });
      return;
    }
    const base = { id: interaction.id, channel: DISCORD_CHANNEL, chatId, senderId: interaction.user.id };
    if (interaction.isButton()) return this.#onButton(interaction, base);
    return this.#onSlashCommand(interaction, base);
  }

  async #onSlashCommand(interaction: ChatInputCommandInteraction, base: Omit<InboundEvent, 'kind'>): Promise<void> {
    const args = interaction.options.getString('args')?.trim() ?? '';
    const reply = new SlashReply(interaction, this.#deferAfterMs, this.#log);
    // Replies to this chat while the command is handled answer the interaction; anything else is a plain message.
    const answering: Channel = {
      name: this.name,
      start: (h) => this.start(h),
      stop: () => this.stop(),
      describe: () => this.describe(),
      edit: (ref, message) => this.edit(ref, message),
      typing: (chatId) => this.typing(chatId),
      deliverFile: (chatId, file) => this.deliverFile(chatId, file),
      deliver: (chatId, message) =>
        chatId === base.chatId && reply.open
          ? this.#deliverParts(chatId, message, (part) => reply.send(part))
          : this.deliver(chatId, message),
    };
    try {
      await this.#dispatch(
        { ...base, kind: 'message', text: `/${interaction.commandName}${args ? ` ${args}` : ''}` },
        answering,
      );
    } finally {
      await reply.finish();
    }
  }

  async #onButton(interaction: ButtonInteraction, base: Omit<InboundEvent, 'kind'>): Promise<void> {
    // Acknowledge at once (the button stops spinning); what the tap leads to arrives as ordinary messages.
    try {
      await interaction.deferUpdate();
    } catch (err) {
      this.#log.warn({ err, update: interaction.id }, 'could not acknowledge a button tap');
    }
    await this.#dispatch({ ...base, kind: 'button', data: interaction.customId }, this);
  }

  async #dispatch(event: InboundEvent, channel: Channel): Promise<void> {
    const handler = this.#handler;
    if (!handler) return;
    // Frames read together would otherwise be handled in one go, every reply waiting for the last one (turn.ts).
    // The handler is taken first: an update that arrived before stop() is still handled, and stop() waits for it.
    await nextTurn();
    const result = await handler.handle(event, channel);
    this.#log.debug({ update: event.id, kind: event.kind, outcome: result.outcome }, 'update handled');
  }

  /** Runs an update's handling in the background; stop() waits for it, and a failure is logged, never thrown. */
  #track(work: Promise<void>): void {
    const tracked = work.catch((err: unknown) => this.#log.error({ err }, 'handling a Discord update failed'));
    this.#inFlight.add(tracked);
    void tracked.finally(() => this.#inFlight.delete(tracked));
  }

  #loginError(err: unknown): DiscordChannelError {
    if (err instanceof DiscordChannelError) return err;
    const tokenRefused =
      (err instanceof DiscordjsError && err.code === DiscordjsErrorCodes.TokenInvalid) ||
      (err instanceof Error && err.message === 'Authentication failed') ||
      (err instanceof DiscordAPIError && (err.status === 401 || err.status === 403));
    if (tokenRefused) {
      return new DiscordChannelError(TOKEN_INVALID, TOKEN_REFUSED, { cause: err });
    }
    if (err instanceof Error && err.message === 'Used disallowed intents') {
      return new DiscordChannelError(INTENT_DISABLED, INTENT_REFUSED, { cause: err });
    }
    const where = this.#options.apiUrl ?? 'discord.com';
    const reason = innermostReason(err);
    return new DiscordChannelError('discord_unreachable', `Could not reach Discord at ${where} (${reason}).`, {
      cause: err,
      retryable: true,
    });
  }

  #failure(err: unknown, doing: string): DiscordChannelError {
    if (err instanceof DiscordChannelError) return err;
    const detail =
      err instanceof DiscordAPIError
        ? `Discord answered ${err.status}, code ${String(err.code)}: ${err.message}`
        : err instanceof Error
          ? err.message
          : String(err);
    this.#log.warn({ err }, `could not ${doing}`);
    return new DiscordChannelError(
      'discord_api',
      `Could not ${doing} on Discord (${detail.replace(/\s*\n\s*/g, '; ')}).`,
      { cause: err, retryable: !(err instanceof DiscordAPIError) || err.status >= 500 },
    );
  }
}

/** A rendered part as the REST API takes it (discord.js's `allowedMentions` is `allowed_mentions` there). */
function apiBody(part: Pick<DiscordPayload, 'content' | 'components'>): RESTPatchAPIChannelMessageJSONBody {
  return { content: part.content, components: part.components, allowed_mentions: { parse: [] } };
}

/**
 * discord.js turns each gateway dispatch into objects inside a handler that has no error boundary: one malformed
 * payload throws out of its WebSocket message handler and ends the process (an unhandled rejection). This wraps
 * the client's packet handler (private in the typings, stable in v14) so such a payload is logged and dropped.
 */
function guardPacketHandling(client: Client, log: Logger): void {
  const manager = client.ws as unknown as {
    handlePacket(packet?: { t?: string | null; d?: unknown }, shard?: unknown): boolean;
  };
  const handle = manager.handlePacket.bind(manager);
  manager.handlePacket = (packet, shard) => {
    try {
      return handle(packet, shard);
    } catch (err) {
      log.warn({ err, dispatch: packet?.t }, 'dropped a gateway event discord.js could not read');
      return true;
    }
  };
}
