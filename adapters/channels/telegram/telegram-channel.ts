// Telegram through grammY. Long polling by default (nothing to expose to the internet); webhook mode when the
// operator gives a public URL. The adapter translates: text messages and button taps become InboundEvents for the
// core, SentMessages become sendMessage/editMessageText calls. Every decision (who may talk, what a command does)
// stays in the core.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { autoRetry } from '@grammyjs/auto-retry';
import { Bot, GrammyError, HttpError, InputFile } from 'grammy';
import type { Update } from 'grammy/types';
import { z } from 'zod';
import { SoloError } from '../../../src/domain/errors.ts';
import type { InboundEvent, SentMessage } from '../../../src/domain/messages.ts';
import type { Logger } from '../../../src/observability/logger.ts';
import {
  Outcome,
  type Channel,
  type ChannelMonitor,
  type DeliveryRef,
  type FileDelivery,
  type InboundHandler,
  type OutboundFile,
} from '../../../src/ports/channel.ts';
import { botCommands, escapeHtml, inlineKeyboard, MAX_TELEGRAM_TEXT, splitText } from './render.ts';
import { Lifetime } from '../shared/lifetime.ts';
import { innermostReason } from '../shared/reason.ts';
import { TelegramApiError } from './errors.ts';
import { readBody, sendText, tokenMatches } from '../shared/http.ts';
import { nextTurn } from '../shared/turn.ts';

export { TelegramApiError } from './errors.ts';

const TELEGRAM_CHANNEL = 'telegram';
const DEFAULT_API_ROOT = 'https://api.telegram.org';
/** Longer messages are not handed to the core (same bound as the web chat). */
const MAX_INBOUND_CHARS = 8000;
/** Telegram shows a chat action for about 5 s, so it is renewed a little before it fades. */
const TYPING_EVERY_MS = 4000;
/**
 * "typing…" only once an answer is this late: Telegram asks bots to send a chat action only when the response
 * takes a noticeable time, and for a quick answer it would double the API calls per message for nothing.
 */
const DEFAULT_TYPING_AFTER_MS = 500;
const MAX_WEBHOOK_BODY_BYTES = 1024 * 1024;
/** The updates the adapter reads; Telegram then does not send the rest at all. */
const ALLOWED_UPDATES = ['message', 'callback_query'] as const;
const SECRET_TOKEN = /^[A-Za-z0-9_-]{1,256}$/;
/** A call made while starting (getMe, setMyCommands, setWebhook) that has no answer by then fails the start. */
const START_CALL_TIMEOUT_MS = 10_000;
/** Any call: long polling holds getUpdates 30 s, so a little more than that (grammY's default is 500 s). */
const CALL_TIMEOUT_SECONDS = 45;
/** stop() lets calls in flight (the getUpdates that confirms the last update) finish this long, then cancels them. */
const STOP_GRACE_MS = 1500;

const CALLBACK_ANSWERS: Partial<Record<Outcome, string>> = {
  [Outcome.unknownAction]: 'That button no longer does anything.',
  [Outcome.refused]: 'Sorry, this assistant only takes instructions from its owner.',
};

// Only the fields the adapter uses are checked; anything else in an update is Telegram's business.
const id = z.number().int();
const textMessage = z.object({ chat: z.object({ id }), from: z.object({ id }), text: z.string() });
const callbackQuery = z.object({ id: z.string().min(1) });
const buttonTap = z.object({
  from: z.object({ id }),
  data: z.string().min(1),
  message: z.object({ chat: z.object({ id }) }),
});
const webhookUpdate = z.looseObject({ update_id: id });

export interface TelegramWebhookOptions {
  /** Where the handler from webhookCallback() is mounted, e.g. "/telegram/webhook". */
  path: string;
  /** Telegram sends it back in X-Telegram-Bot-Api-Secret-Token; 1–256 of A–Z a–z 0–9 _ -. */
  secretToken: string;
  /** Public https URL of that path. When set, start() registers it with setWebhook; otherwise it is set up outside. */
  url?: string | undefined;
}

export interface TelegramChannelOptions {
  token: string;
  /** Bot API server root without a trailing slash; a local Bot API server or a test fake. */
  apiRoot?: string | undefined;
  logger: Logger;
  /** Receive updates by webhook instead of long polling. */
  webhook?: TelegramWebhookOptions | undefined;
  /** A 429 asking to wait longer than this fails the call instead of waiting. */
  maxRetryDelaySeconds?: number | undefined;
  /** Show "typing…" when handling an update takes longer than this (default 500 ms). */
  typingAfterMs?: number | undefined;
}

const isNotModified = (err: unknown): boolean =>
  err instanceof GrammyError && err.error_code === 400 && err.description.includes('message is not modified');

export class TelegramChannel implements Channel {
  readonly name = TELEGRAM_CHANNEL;
  readonly #bot: Bot;
  readonly #log: Logger;
  readonly #webhook: TelegramWebhookOptions | undefined;
  readonly #typingAfterMs: number;
  #handler: InboundHandler | undefined;
  #polling: Promise<void> | undefined;
  /** The current start-to-stop span: every API call goes through its fetch, and stop() cancels what is in flight. */
  #life = new Lifetime();
  #monitor: ChannelMonitor | undefined;
  /** start() resolved and stop() has not been called since. */
  #connected = false;
  /** getUpdates failed and has not succeeded since (the polling loop keeps trying by itself). */
  #pollingFails = false;
  /** Webhook requests being handled, so that stop() can wait for them. */
  readonly #inFlight = new Set<Promise<void>>();
  /** Polled updates being handled: chained per chat (a chat's messages stay in order), chats run in parallel. */
  readonly #chats = new Map<string, Promise<void>>();
  readonly #pending = new Set<Promise<void>>();

  constructor(options: TelegramChannelOptions) {
    if (!options.token)
      throw new SoloError('telegram_config', 'The Telegram channel needs a bot token (TELEGRAM_BOT_TOKEN).');
    if (options.webhook && !SECRET_TOKEN.test(options.webhook.secretToken)) {
      throw new SoloError(
        'telegram_config',
        'The Telegram webhook secret must be 1–256 characters of A–Z, a–z, 0–9, _ and -.',
      );
    }
    this.#log = options.logger.child({ component: TELEGRAM_CHANNEL });
    this.#webhook = options.webhook;
    this.#typingAfterMs = options.typingAfterMs ?? DEFAULT_TYPING_AFTER_MS;
    const client = {
      apiRoot: (options.apiRoot ?? DEFAULT_API_ROOT).replace(/\/+$/, ''),
      timeoutSeconds: CALL_TIMEOUT_SECONDS,
      fetch: ((input, init) => this.#life.fetch(input, init)) as typeof fetch,
    };
    this.#bot = new Bot(options.token, { client });
    // Network errors fail fast (the polling loop has its own retry); 429 waits as told, 5xx backs off, both capped.
    this.#bot.api.config.use(
      autoRetry({ maxDelaySeconds: options.maxRetryDelaySeconds ?? 30, maxRetryAttempts: 3, rethrowHttpErrors: true }),
    );
    // The next getUpdates confirms, by its offset, every update read so far. Letting the updates in hand finish
    // first means Telegram never forgets an update this process has not handled yet, even if it dies.
    this.#bot.api.config.use(async (prev, method, payload, signal) => {
      if (method !== 'getUpdates') return prev(method, payload, signal);
      if (this.#pending.size > 0) await Promise.race([Promise.allSettled([...this.#pending]), this.#life.whenEnded()]);
      // After failures, one short poll: Telegram answers it at once, so the way back is known without a 30 s wait.
      const poll = this.#pollingFails ? { ...payload, timeout: 0 } : payload;
      return this.#watchPolling(() => prev(method, poll, signal));
    });
    // Webhook updates are answered after handling (the request waits); polled ones are queued per chat.
    this.#bot.use((ctx) => (this.#webhook ? this.#onUpdate(ctx.update) : this.#enqueue(ctx.update)));
    // #onUpdate catches everything itself; this only keeps grammY from stopping the bot if that ever changes.
    this.#bot.catch((err) =>
      this.#log.error({ err: err.error, update: err.ctx.update.update_id }, 'a Telegram update escaped its handler'),
    );
  }

  describe(): string {
    const who = this.#bot.isInited() ? `@${this.#bot.botInfo.username}` : 'bot';
    return this.#webhook ? `Telegram ${who} (webhook at ${this.#webhook.path})` : `Telegram ${who} (long polling)`;
  }

  /**
   * Resolves once the bot is known (getMe), its command menu is set, and updates can arrive. Rejects if Telegram
   * cannot be reached or refuses the token, and promptly when stop() is called meanwhile.
   */
  async start(handler: InboundHandler, monitor?: ChannelMonitor): Promise<void> {
    if (this.#handler) throw new Error('the Telegram channel is already started');
    const life = (this.#life = new Lifetime());
    this.#monitor = monitor;
    this.#pollingFails = false;
    try {
      await Promise.race([this.#connect(handler), life.whenEnded()]);
    } catch (err) {
      this.#handler = undefined;
      throw err instanceof TelegramApiError ? err : new TelegramApiError('start', err);
    }
    this.#connected = true;
  }

  async #connect(handler: InboundHandler): Promise<void> {
    // getMe here rather than in bot.init(), which retries a network error silently for ever.
    this.#bot.botInfo = await this.#startCall('getMe', (signal) => this.#bot.api.getMe(signal));
    await this.#setCommands(handler);
    const hook = this.#webhook;
    if (hook) {
      if (hook.url) {
        const url = hook.url;
        const options = { secret_token: hook.secretToken, allowed_updates: [...ALLOWED_UPDATES] };
        await this.#startCall('setWebhook', (signal) => this.#bot.api.setWebhook(url, options, signal));
      }
      this.#handler = handler;
      this.#log.info({ path: hook.path, username: this.#bot.botInfo.username }, 'Telegram webhook ready');
      return;
    }
    // Set before polling starts: the first getUpdates may already bring updates.
    this.#handler = handler;
    const life = this.#life;
    await new Promise<void>((resolve, reject) => {
      let started = false;
      this.#polling = this.#bot
        .start({
          allowed_updates: [...ALLOWED_UPDATES],
          onStart: () => {
            started = true;
            resolve();
          },
        })
        .catch((err: unknown) => {
          // Before onStart this fails start(); later (401, or 409: another instance polls) polling has ended.
          this.#handler = undefined;
          const failure = new TelegramApiError('long polling', err);
          if (!started) return reject(failure);
          if (!life.ended) this.#monitor?.lost(failure);
        });
    });
    this.#log.info({ username: this.#bot.botInfo.username }, 'Telegram long polling started');
  }

  /**
   * Stops polling (confirming what was read), then waits for updates still being handled. Calls still waiting on
   * Telegram are cancelled after a short grace, at once if the channel never connected.
   */
  async stop(): Promise<void> {
    const life = this.#life;
    const connected = this.#connected;
    this.#connected = false;
    if (connected) life.endAfter(STOP_GRACE_MS);
    else life.end();
    if (this.#bot.isRunning()) {
      await this.#bot
        .stop()
        .catch((err: unknown) => (connected ? this.#log.warn({ err }, 'stopping Telegram polling failed') : undefined));
    }
    // The polling loop may be sleeping between failed getUpdates (3 s): it ends by itself, and is not waited for past the grace.
    await Promise.race([
      Promise.allSettled([this.#polling, ...this.#inFlight, ...this.#pending]),
      life.whenEnded().catch(() => undefined),
    ]);
    life.end();
    this.#polling = undefined;
    this.#handler = undefined;
  }

  /** Runs a getUpdates call and tells the monitor when polling starts failing and when it works again. */
  async #watchPolling<T extends { ok: boolean; error_code?: number }>(call: () => Promise<T>): Promise<T> {
    const life = this.#life;
    let failure: unknown;
    try {
      const answer = await call();
      if (answer.ok) {
        if (this.#pollingFails) this.#monitor?.connected();
        this.#pollingFails = false;
        return answer;
      }
      if (answer.error_code !== 429 && (answer.error_code ?? 0) < 500) return answer;
      failure = new Error(`Telegram answered getUpdates with ${answer.error_code}`);
      return answer;
    } catch (err) {
      failure = err instanceof HttpError ? `Telegram did not answer getUpdates (${innermostReason(err)})` : err;
      throw err;
    } finally {
      // A getUpdates cancelled by stop() is no outage.
      if (failure !== undefined && this.#connected && !life.ended) {
        this.#pollingFails = true;
        this.#monitor?.reconnecting(failure);
      }
    }
  }

  async deliver(chatId: string, message: SentMessage): Promise<DeliveryRef> {
    const parts = splitText(message.text);
    let messageId = 0;
    for (const [i, part] of parts.entries()) {
      const markup =
        i === parts.length - 1 && message.buttons.length > 0 ? { reply_markup: inlineKeyboard(message.buttons) } : {};
      const sent = await this.#call('sendMessage', () =>
        this.#bot.api.sendMessage(chatId, escapeHtml(part), { parse_mode: 'HTML', ...markup }),
      );
      messageId = sent.message_id;
    }
    return { channel: TELEGRAM_CHANNEL, chatId, messageId: String(messageId) };
  }

  /** Replaces text and buttons; no buttons removes the keyboard. An edit cannot split, so a long text is cut. */
  async edit(ref: DeliveryRef, message: SentMessage): Promise<void> {
    const messageId = Number(ref.messageId);
    if (ref.channel !== TELEGRAM_CHANNEL || !Number.isSafeInteger(messageId))
      throw new Error(`not a Telegram message reference: ${JSON.stringify(ref)}`);
    const text =
      message.text.length > MAX_TELEGRAM_TEXT
        ? `${splitText(message.text, MAX_TELEGRAM_TEXT - 1)[0] ?? ''}…`
        : message.text;
    const markup = message.buttons.length > 0 ? { reply_markup: inlineKeyboard(message.buttons) } : {};
    try {
      await this.#bot.api.editMessageText(ref.chatId, messageId, escapeHtml(text), { parse_mode: 'HTML', ...markup });
    } catch (err) {
      // Editing to what is already there (a second tap on a decided card) is the outcome we wanted.
      if (isNotModified(err)) return;
      throw this.#wrap('editMessageText', err);
    }
  }

  /** A document in the chat (Telegram takes up to 50 MB from a bot). */
  async deliverFile(chatId: string, file: OutboundFile): Promise<FileDelivery> {
    await this.#call('sendDocument', () => this.#bot.api.sendDocument(chatId, new InputFile(file.data, file.name)));
    return {};
  }

  async typing(chatId: string): Promise<void> {
    await this.#call('sendChatAction', () => this.#bot.api.sendChatAction(chatId, 'typing'));
  }

  /** A request handler for node:http, for webhook mode. Mount it at the webhook path. */
  webhookCallback(): (req: IncomingMessage, res: ServerResponse) => void {
    const hook = this.#webhook;
    if (!hook) throw new Error('webhookCallback() needs the webhook option');
    return (req, res) => {
      const task = this.#serveWebhook(hook, req, res).catch((err: unknown) => {
        this.#log.error({ err }, 'Telegram webhook request failed');
        if (!res.headersSent) res.writeHead(500).end();
      });
      this.#inFlight.add(task);
      void task.finally(() => this.#inFlight.delete(task));
    };
  }

  async #serveWebhook(hook: TelegramWebhookOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const answer = (status: number, text = ''): void => sendText(res, status, text);
    if (new URL(req.url ?? '/', 'http://localhost').pathname !== hook.path) return answer(404, 'not found');
    if (req.method !== 'POST') return void res.writeHead(405, { allow: 'POST' }).end();
    if (!tokenMatches(req.headers['x-telegram-bot-api-secret-token'], hook.secretToken))
      return answer(401, 'wrong secret token');
    if (!this.#handler) return answer(503, 'starting up');
    const body = await readBody(req, MAX_WEBHOOK_BODY_BYTES);
    if (body === undefined) {
      this.#log.warn('dropped an oversized Telegram webhook body');
      return answer(413, 'too large');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = undefined;
    }
    if (!webhookUpdate.safeParse(parsed).success) {
      this.#log.warn('dropped a Telegram webhook body that is not an update');
      return answer(400, 'not a Telegram update');
    }
    // Answered after handling: if the process dies first, Telegram redelivers and the core's dedupe drops repeats.
    await this.#bot.handleUpdate(parsed as Update);
    answer(200);
  }

  async #setCommands(handler: InboundHandler): Promise<void> {
    const { accepted, skipped } = botCommands(handler.commands());
    if (skipped.length > 0) this.#log.warn({ skipped }, 'some commands cannot appear in Telegram’s menu');
    // The menu is a convenience: a failure is logged, the bot still works.
    await this.#startCall('setMyCommands', (signal) => this.#bot.api.setMyCommands(accepted, undefined, signal)).catch(
      () => undefined,
    );
  }

  #enqueue(update: Update): void {
    const chat = String(update.message?.chat.id ?? update.callback_query?.message?.chat.id ?? 'other');
    const task = (this.#chats.get(chat) ?? Promise.resolve()).then(() => this.#onUpdate(update));
    this.#chats.set(chat, task);
    this.#pending.add(task);
    void task.finally(() => {
      this.#pending.delete(task);
      if (this.#chats.get(chat) === task) this.#chats.delete(chat);
    });
  }

  /** Every update passes here; malformed or unexpected ones are logged and dropped, never thrown. */
  async #onUpdate(update: Update): Promise<void> {
    try {
      if (update.message) await this.#onMessage(update.update_id, update.message);
      else if (update.callback_query) await this.#onButton(update.update_id, update.callback_query);
      else this.#log.debug({ update: update.update_id }, 'ignored a Telegram update of another kind');
    } catch (err) {
      this.#log.error({ err, update: update.update_id }, 'handling a Telegram update failed');
    }
  }

  async #onMessage(updateId: number, raw: unknown): Promise<void> {
    const parsed = textMessage.safeParse(raw);
    if (!parsed.success)
      return void this.#log.debug({ update: updateId }, 'ignored a Telegram message without text or sender');
    const { chat, from, text } = parsed.data;
    const chatId = String(chat.id);
    if (text.length > MAX_INBOUND_CHARS) {
      this.#log.warn({ update: updateId, chars: text.length }, 'dropped an oversized Telegram message');
      await this.#call('sendMessage', () =>
        this.#bot.api.sendMessage(
          chatId,
          `That message is ${text.length} characters long; I read at most ${MAX_INBOUND_CHARS}. Please split it up.`,
        ),
      );
      return;
    }
    await this.#dispatch({
      kind: 'message',
      id: String(updateId),
      channel: TELEGRAM_CHANNEL,
      chatId,
      senderId: String(from.id),
      text,
    });
  }

  /** Every callback query is answered (Telegram shows a spinner until then), with a word when the tap did nothing. */
  async #onButton(updateId: number, raw: unknown): Promise<void> {
    const queryId = callbackQuery.safeParse(raw).data?.id;
    let outcome: Outcome | undefined;
    try {
      const parsed = buttonTap.safeParse(raw);
      if (!parsed.success)
        return void this.#log.debug({ update: updateId }, 'ignored a Telegram button tap without data or message');
      const { from, data, message } = parsed.data;
      const event: InboundEvent = {
        kind: 'button',
        id: String(updateId),
        channel: TELEGRAM_CHANNEL,
        chatId: String(message.chat.id),
        senderId: String(from.id),
        data,
      };
      outcome = (await this.#dispatch(event))?.outcome;
    } finally {
      const text = outcome === undefined ? undefined : CALLBACK_ANSWERS[outcome];
      if (queryId !== undefined) {
        await this.#call('answerCallbackQuery', () =>
          this.#bot.api.answerCallbackQuery(queryId, text === undefined ? {} : { text }),
        ).catch(() => undefined);
      }
    }
  }

  /** Hands an event to the core, showing "typing…" from typingAfterMs on until it is done. */
  async #dispatch(event: InboundEvent): Promise<{ outcome: Outcome } | undefined> {
    const handler = this.#handler;
    if (!handler) return undefined;
    // A getUpdates batch would otherwise be handled in one go, every reply waiting for the last update (turn.ts).
    // The handler is taken first: an update that arrived before stop() is still handled, and stop() waits for it.
    await nextTurn();
    const showTyping = (): void => void this.typing(event.chatId).catch(() => undefined);
    let repeat: NodeJS.Timeout | undefined;
    const first = setTimeout(() => {
      showTyping();
      repeat = setInterval(showTyping, TYPING_EVERY_MS);
    }, this.#typingAfterMs);
    try {
      return await handler.handle(event, this);
    } finally {
      clearTimeout(first);
      clearInterval(repeat);
    }
  }

  /** Runs a Bot API call; a failure is logged here and rethrown as a TelegramApiError. */
  async #call<T>(method: string, run: () => Promise<T>, level: 'warn' | 'debug' = 'warn'): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw this.#wrap(method, err, level);
    }
  }

  /** A call made while starting: at most START_CALL_TIMEOUT_MS, and a failure logged at debug (see #wrap). */
  async #startCall<T>(method: string, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const signal = AbortSignal.timeout(START_CALL_TIMEOUT_MS);
    try {
      return await run(signal);
    } catch (err) {
      const timedOut = signal.aborted && err instanceof HttpError;
      throw this.#wrap(
        method,
        timedOut ? new HttpError(`no answer within ${START_CALL_TIMEOUT_MS / 1000} s`, undefined) : err,
        'debug',
      );
    }
  }

  /** Start-up calls log at debug: whoever started the channel reports a failed start once, not every attempt. */
  #wrap(method: string, err: unknown, level: 'warn' | 'debug' = 'warn'): TelegramApiError {
    const wrapped = new TelegramApiError(method, err);
    this.#log[level]({ method, status: wrapped.status, reason: wrapped.message }, 'Telegram API call failed');
    return wrapped;
  }
}
