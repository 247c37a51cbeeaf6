// The conductor: every inbound update from every channel comes through here. It runs the inbound middleware
// chain, then routes: a slash command to its handler, a button to its action, free text to the model (later
// issues) — inside one error boundary, so a failure becomes one sentence for the user and a stack in the log.

import { randomUUID } from 'node:crypto';
import { newEvent } from '../domain/events.ts';
import { InputError, SoloError } from '../domain/errors.ts';
import type { InboundEvent, OutboundMessage, SentMessage } from '../domain/messages.ts';
import { llmConfigured } from '../config.ts';
import { compose, type InboundContext, type Middleware, type Services } from '../inbound/context.ts';
import { appendBatcher, dedupeAndRecord, operatorOnly, parseCommand, rateLimit } from '../inbound/middleware.ts';
import { chatStream, describeHealth, Outcome, type Channel, type CommandInfo, type HandleResult, type HealthReport, type InboundHandler } from '../ports/channel.ts';
import type { Registry } from '../commands/registry.ts';

/**
 * Records an outbound message in the chat's stream (the outbox), then asks the channel to deliver it. With a
 * dedupe key, a message recorded before under that key is returned as it was and not delivered again.
 */
export async function sendMessage(
  services: Services,
  channel: Channel,
  chatId: string,
  message: OutboundMessage,
  options: { inReplyTo?: string; dedupeKey?: string } = {},
): Promise<SentMessage> {
  const buttons = message.buttons ?? [];
  const data = { channel: channel.name, chatId, text: message.text, buttons, ...(options.inReplyTo ? { inReplyTo: options.inReplyTo } : {}) };
  // Group-committed with the other appends of this event-loop turn; recorded before it is delivered all the same.
  const { event, duplicate } = await appendBatcher(services.store.events).append(newEvent('message.sent', chatStream(channel.name, chatId), data, options.dedupeKey));
  const sent: SentMessage = { id: String(event.seq), text: message.text, buttons };
  if (duplicate) return sent;
  const ref = await channel.deliver(chatId, sent);
  return ref ? { ...sent, ref } : sent;
}

export class Conductor implements InboundHandler {
  readonly #services: Services;
  readonly #registry: Registry;
  readonly #chain: (ctx: InboundContext) => Promise<void>;

  constructor(services: Services, registry: Registry) {
    this.#services = services;
    this.#registry = registry;
    const route: Middleware = (ctx) => this.#route(ctx);
    this.#chain = compose([operatorOnly, dedupeAndRecord, rateLimit(services.config.RATE_LIMIT_PER_MINUTE), parseCommand, route]);
  }

  commands(): CommandInfo[] {
    return this.#registry.commands().map(({ name, usage, description }) => (usage ? { name, usage, description } : { name, description }));
  }

  /** Each channel's health; "degraded" while a platform is not connected (the web chat answers all the same). */
  health(): HealthReport {
    const channels = Object.fromEntries(this.#services.channels().map((c) => [c.name, c.health ? describeHealth(c.health()) : 'ok']));
    return { status: Object.values(channels).every((h) => h === 'ok') ? 'ok' : 'degraded', channels };
  }

  async handle(event: InboundEvent, channel: Channel): Promise<HandleResult> {
    const services = this.#services;
    const log = services.logger.child({ component: 'conductor', channel: event.channel, update: event.id });
    const replies: SentMessage[] = [];
    const ctx: InboundContext = {
      event,
      channel,
      services,
      log,
      replies,
      outcome: Outcome.handled,
      reply: async (message, options = {}) => {
        const msg = typeof message === 'string' ? { text: message } : message;
        const sent = await sendMessage(services, channel, event.chatId, msg, { inReplyTo: event.id, ...options });
        replies.push(sent);
        return sent;
      },
    };
    try {
      await this.#chain(ctx);
    } catch (err) {
      await this.#fail(ctx, err);
    }
    return { outcome: ctx.outcome, replies };
  }

  async #route(ctx: InboundContext): Promise<void> {
    if (ctx.command) {
      const command = this.#registry.findCommand(ctx.command.name);
      if (!command) return void (await ctx.reply(`I don't know /${ctx.command.name}. /help lists what I can do.`));
      return command.run(ctx, ctx.command.args);
    }
    if (ctx.event.kind === 'button') {
      const found = this.#registry.findAction(ctx.event.data);
      if (!found) {
        ctx.outcome = Outcome.unknownAction;
        return void (await ctx.reply('That button no longer does anything here.'));
      }
      return found.action.run(ctx, found.arg);
    }
    const text = ctx.event.text;
    for (const handler of this.#registry.textHandlers()) if (await handler(ctx, text)) return;
    if (!llmConfigured(ctx.services.config)) {
      return void (await ctx.reply(
        'I can only follow commands until a model is configured: set OPENAI_BASE_URL, OPENAI_API_KEY and OPENAI_MODEL (any OpenAI-compatible server, e.g. Ollama) and restart. /help lists the commands.',
      ));
    }
    await ctx.reply(`Free-text requests are not handled by this version yet, even with ${ctx.services.config.OPENAI_MODEL} configured. /help lists the commands.`);
  }

  async #fail(ctx: InboundContext, err: unknown): Promise<void> {
    ctx.outcome = err instanceof InputError ? Outcome.invalid : Outcome.failed;
    const ref = randomUUID().slice(0, 8);
    if (ctx.outcome === Outcome.invalid) ctx.log.info({ err: (err as Error).message, ref }, 'refused an input');
    else ctx.log.error({ err, ref }, 'handling an update failed');
    const command = ctx.command?.name ?? ctx.event.kind;
    const code = err instanceof SoloError ? err.code : 'internal';
    try {
      await this.#services.store.events.append(
        newEvent('command.failed', 'errors', { command, code, message: err instanceof Error ? err.message : String(err) }),
      );
      const text = err instanceof SoloError ? err.userMessage : `Sorry, that failed on my side (ref ${ref}); the details are in the log.`;
      await ctx.reply(text);
    } catch (inner) {
      ctx.log.error({ err: inner, ref }, 'could not report the failure to the user');
    }
  }
}
