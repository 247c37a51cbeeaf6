// The conductor: every inbound update from every channel comes through here. It runs the inbound middleware
// chain, then routes: a slash command to its handler, a button to its action (a run's button becomes a signal to
// the engine), free text to the text handlers and last to the router agent — inside one error boundary, so a
// failure becomes one sentence for the user and a stack in the log. Replies go out through delivery.

import { randomUUID } from 'node:crypto';
import { newEvent } from '../domain/events.ts';
import { InputError, SoloError } from '../domain/errors.ts';
import type { InboundEvent, SentMessage } from '../domain/messages.ts';
import type { Delivery } from '../delivery/delivery.ts';
import type { Links } from '../identity/links.ts';
import { compose, type InboundContext, type Middleware } from '../inbound/context.ts';
import { dedupeAndRecord, operatorOnly, parseCommand, rateLimit } from '../inbound/middleware.ts';
import type { Logger } from '../observability/logger.ts';
import {
  describeHealth,
  Outcome,
  type Channel,
  type CommandInfo,
  type HandleResult,
  type HealthReport,
  type InboundHandler,
} from '../ports/channel.ts';
import type { EventLog, IdentityStore } from '../ports/store.ts';
import type { Registry } from '../commands/registry.ts';

export interface ConductorDeps {
  registry: Registry;
  delivery: Pick<Delivery, 'send' | 'rememberChat'>;
  events: EventLog;
  identities: IdentityStore;
  links: Links;
  logger: Logger;
  /** Messages per sender per minute; 0 turns the limit off. */
  ratePerMinute: number;
  /** The channels running now (for health). */
  channels: () => Channel[];
}

const NO_MODEL =
  'I can only follow commands until a model is configured: set OPENAI_BASE_URL, OPENAI_API_KEY and OPENAI_MODEL (any OpenAI-compatible server, e.g. Ollama) and restart. /help lists the commands.';

export class Conductor implements InboundHandler {
  readonly #d: ConductorDeps;
  readonly #registry: Registry;
  readonly #chain: (ctx: InboundContext) => Promise<void>;

  constructor(deps: ConductorDeps) {
    this.#d = deps;
    this.#registry = deps.registry;
    const route: Middleware = (ctx) => this.#route(ctx);
    this.#chain = compose([
      operatorOnly({
        identities: deps.identities,
        events: deps.events,
        links: deps.links,
        rememberChat: (channel, chatId) => deps.delivery.rememberChat(channel, chatId),
      }),
      dedupeAndRecord(deps.events),
      rateLimit(deps.ratePerMinute, deps.events),
      parseCommand,
      route,
    ]);
  }

  commands(): CommandInfo[] {
    return this.#registry
      .commands()
      .map(({ name, usage, description }) => (usage ? { name, usage, description } : { name, description }));
  }

  /** Each channel's health; "degraded" while a platform is not connected (the web chat answers all the same). */
  health(): HealthReport {
    const channels = Object.fromEntries(
      this.#d.channels().map((c) => [c.name, c.health ? describeHealth(c.health()) : 'ok']),
    );
    return { status: Object.values(channels).every((h) => h === 'ok') ? 'ok' : 'degraded', channels };
  }

  async handle(event: InboundEvent, channel: Channel): Promise<HandleResult> {
    const log = this.#d.logger.child({ component: 'conductor', channel: event.channel, update: event.id });
    const replies: SentMessage[] = [];
    const ctx: InboundContext = {
      event,
      channel,
      log,
      replies,
      outcome: Outcome.handled,
      reply: async (message, options = {}) => {
        const msg = typeof message === 'string' ? { text: message } : message;
        const sent = await this.#d.delivery.send({ channel: channel.name, chatId: event.chatId }, msg, {
          inReplyTo: event.id,
          via: channel,
          ...options,
        });
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
    // With a model the router (the last text handler) takes every message; without one, nothing did.
    await ctx.reply(NO_MODEL);
  }

  async #fail(ctx: InboundContext, err: unknown): Promise<void> {
    ctx.outcome = err instanceof InputError ? Outcome.invalid : Outcome.failed;
    const ref = randomUUID().slice(0, 8);
    if (ctx.outcome === Outcome.invalid) ctx.log.info({ err: (err as Error).message, ref }, 'refused an input');
    else ctx.log.error({ err, ref }, 'handling an update failed');
    const command = ctx.command?.name ?? ctx.event.kind;
    const code = err instanceof SoloError ? err.code : 'internal';
    try {
      await this.#d.events.append(
        newEvent('command.failed', 'errors', {
          command,
          code,
          message: err instanceof Error ? err.message : String(err),
        }),
      );
      const text =
        err instanceof SoloError
          ? err.userMessage
          : `Sorry, that failed on my side (ref ${ref}); the details are in the log.`;
      await ctx.reply(text);
    } catch (inner) {
      ctx.log.error({ err: inner, ref }, 'could not report the failure to the user');
    }
  }
}
