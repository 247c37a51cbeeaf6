// The inbound chain, top to bottom: operator check → dedupe (and record) → rate limit → command parse.
// Each is a (ctx, next) function; whatever does not call `next` ends the handling of that update.
// Two things keep the per-message cost down without weakening what the chain promises: the chain's own appends
// are group-committed (see AppendBatcher), and the operator's last chat per channel is remembered by delivery
// without a settings read per message.

import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { newEvent } from '../domain/events.ts';
import { appendBatcher } from '../events/append-batcher.ts';
import type { Links } from '../identity/links.ts';
import { chatStream, Outcome } from '../ports/channel.ts';
import type { EventLog, IdentityStore } from '../ports/store.ts';
import type { Middleware } from './context.ts';

/**
 * Only the operator's identities may command the bot. Anyone else gets at most one polite refusal, ever:
 * the refusal is recorded with a dedupe key per sender, and nothing of what they sent is stored.
 */
export function operatorOnly(deps: {
  identities: IdentityStore;
  events: EventLog;
  links: Links;
  rememberChat: (channel: string, chatId: string) => void;
}): Middleware {
  return async (ctx, next) => {
    const { channel, senderId, chatId } = ctx.event;
    const identity = await deps.identities.get(channel, senderId);
    if (identity) {
      deps.rememberChat(channel, chatId);
      return next();
    }
    // The one thing a stranger may send: a valid /link code from the operator.
    const link = ctx.event.kind === 'message' ? /^\/link(?:@\w+)?\s+([a-z0-9]{8})$/i.exec(ctx.event.text.trim()) : null;
    if (link?.[1] && (await deps.links.redeem(link[1], { channel, senderId }, ctx.log))) {
      deps.rememberChat(channel, chatId);
      await ctx.reply('Linked: this account now speaks for you. /help lists what I can do.');
      return;
    }
    ctx.outcome = Outcome.refused;
    const { duplicate } = await deps.events.append(
      newEvent('sender.refused', `refusals:${channel}`, { channel, senderId }, `refused:${channel}:${senderId}`),
    );
    ctx.log.warn({ channel, senderId }, 'refused a message from an unknown sender');
    if (!duplicate)
      await ctx.reply('Sorry, this is a private assistant and I can only take instructions from its owner.');
  };
}

/** Updates being handled right now, per event log, by dedupe key: the claim a concurrent resend finds. */
const inFlight = new WeakMap<EventLog, Map<string, Promise<void>>>();

/**
 * Claims the update, records it in the event log under a key derived from its platform id, and marks it handled
 * once the chain below has finished. The claim is taken before anything is awaited, so the same id sent several
 * times at once is handled once: the others wait for it and are answered as duplicates. A redelivery of a handled
 * update stops here; a redelivery of one whose handling was cut short (the process died) or refused (rate
 * limited) is handled again — handlers that start work use ids derived from the update, so that is safe.
 */
export const dedupeAndRecord =
  (events: EventLog): Middleware =>
  async (ctx, next) => {
    const e = ctx.event;
    const key = `in:${e.channel}:${e.id}`;
    let claims = inFlight.get(events);
    if (!claims) inFlight.set(events, (claims = new Map<string, Promise<void>>()));
    const running = claims.get(key);
    if (running) {
      await running;
      ctx.outcome = Outcome.duplicate;
      ctx.log.debug({ id: e.id }, 'dropped an update sent again while it was being handled');
      return;
    }
    let release = (): void => undefined;
    claims.set(key, new Promise<void>((resolve) => (release = resolve)));
    try {
      const batcher = appendBatcher(events);
      const stream = chatStream(e.channel, e.chatId);
      const { event, duplicate } = await batcher.append(
        e.kind === 'message'
          ? newEvent(
              'message.received',
              stream,
              { channel: e.channel, chatId: e.chatId, senderId: e.senderId, text: e.text },
              key,
            )
          : newEvent(
              'button.tapped',
              stream,
              { channel: e.channel, chatId: e.chatId, senderId: e.senderId, data: e.data },
              key,
            ),
      );
      if (duplicate && (await events.findByDedupeKey(`done:${key}`))) {
        ctx.outcome = Outcome.duplicate;
        ctx.log.debug({ id: e.id }, 'dropped a redelivered update');
        return;
      }
      ctx.eventPosition = event.position;
      await next();
      // A message the rate limit refused was not handled: sent again later, it runs.
      if (ctx.outcome !== Outcome.rateLimited)
        await batcher.append(
          newEvent('message.handled', stream, { channel: e.channel, chatId: e.chatId }, `done:${key}`),
        );
    } finally {
      claims.delete(key);
      release();
    }
  };

/** Per-sender limit. Over it, the sender hears once per window how long to wait; the rest is dropped. */
export function rateLimit(perMinute: number, events: EventLog): Middleware {
  if (perMinute <= 0) return (_ctx, next) => next();
  const limiter = new RateLimiterMemory({ points: perMinute, duration: 60 });
  return async (ctx, next) => {
    const key = `${ctx.event.channel}:${ctx.event.senderId}`;
    try {
      await limiter.consume(key);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      ctx.outcome = Outcome.rateLimited;
      const retryAfterSeconds = Math.ceil(err.msBeforeNext / 1000);
      if (err.consumedPoints === perMinute + 1) {
        await events.append(
          newEvent('rate.limited', `ratelimits:${ctx.event.channel}`, {
            channel: ctx.event.channel,
            senderId: ctx.event.senderId,
            retryAfterSeconds,
          }),
        );
        await ctx.reply(
          `You're sending faster than I accept (${perMinute} a minute). Try again in ${retryAfterSeconds} s.`,
        );
      }
      return;
    }
    return next();
  };
}

/** `/name args` → ctx.command. Telegram's `/name@botname` form is accepted. Button data starting with `/` is a command too. */
export const parseCommand: Middleware = async (ctx, next) => {
  const text = ctx.event.kind === 'message' ? ctx.event.text : ctx.event.data;
  const match = /^\/([A-Za-z][\w-]{0,31})(?:@\w+)?(?:\s+([\s\S]*))?$/.exec(text.trim());
  if (match?.[1]) ctx.command = { name: match[1].toLowerCase(), args: (match[2] ?? '').trim() };
  return next();
};
