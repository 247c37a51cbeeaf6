// The inbound chain, top to bottom: operator check → dedupe (and record) → rate limit → command parse.
// Each is a (ctx, next) function; whatever does not call `next` ends the handling of that update.

import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { newEvent } from '../domain/events.ts';
import { chatStream, Outcome } from '../ports/channel.ts';
import { redeemLinkCode, rememberChat } from '../conductor/identity.ts';
import type { Middleware } from './context.ts';

/**
 * Only the operator's identities may command the bot. Anyone else gets at most one polite refusal, ever:
 * the refusal is recorded with a dedupe key per sender, and nothing of what they sent is stored.
 */
export const operatorOnly: Middleware = async (ctx, next) => {
  const { channel, senderId, chatId } = ctx.event;
  const identity = await ctx.services.store.identities.get(channel, senderId);
  if (identity) {
    await rememberChat(ctx.services, channel, chatId);
    return next();
  }
  // The one thing a stranger may send: a valid /link code from the operator.
  const link = ctx.event.kind === 'message' ? /^\/link(?:@\w+)?\s+([a-z0-9]{8})$/i.exec(ctx.event.text.trim()) : null;
  if (link?.[1] && (await redeemLinkCode(ctx, link[1]))) {
    await rememberChat(ctx.services, channel, chatId);
    await ctx.reply('Linked: this account now speaks for you. /help lists what I can do.');
    return;
  }
  ctx.outcome = Outcome.refused;
  const { duplicate } = await ctx.services.store.events.append(
    newEvent('sender.refused', `refusals:${channel}`, { channel, senderId }, `refused:${channel}:${senderId}`),
  );
  ctx.log.warn({ channel, senderId }, 'refused a message from an unknown sender');
  if (!duplicate) await ctx.reply('Sorry, this is a private assistant and I can only take instructions from its owner.');
};

/**
 * Records the update in the event log under a key derived from its platform id, and marks it handled once the
 * chain below has finished. A redelivery of a handled update stops here; a redelivery of one whose handling
 * was cut short (the process died) is handled again — handlers that start work use ids derived from the
 * update, so that is safe.
 */
export const dedupeAndRecord: Middleware = async (ctx, next) => {
  const e = ctx.event;
  const { events } = ctx.services.store;
  const stream = chatStream(e.channel, e.chatId);
  const key = `in:${e.channel}:${e.id}`;
  const { event, duplicate } = await events.append(
    e.kind === 'message'
      ? newEvent('message.received', stream, { channel: e.channel, chatId: e.chatId, senderId: e.senderId, text: e.text }, key)
      : newEvent('button.tapped', stream, { channel: e.channel, chatId: e.chatId, senderId: e.senderId, data: e.data }, key),
  );
  if (duplicate && (await events.findByDedupeKey(`done:${key}`))) {
    ctx.outcome = Outcome.duplicate;
    ctx.log.debug({ id: e.id }, 'dropped a redelivered update');
    return;
  }
  ctx.eventPosition = event.position;
  await next();
  await events.append(newEvent('message.handled', stream, { channel: e.channel, chatId: e.chatId }, `done:${key}`));
};

/** Per-sender limit. Over it, the sender hears once per window how long to wait; the rest is dropped. */
export function rateLimit(perMinute: number): Middleware {
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
        await ctx.services.store.events.append(
          newEvent('rate.limited', `ratelimits:${ctx.event.channel}`, { channel: ctx.event.channel, senderId: ctx.event.senderId, retryAfterSeconds }),
        );
        await ctx.reply(`You're sending faster than I accept (${perMinute} a minute). Try again in ${retryAfterSeconds} s.`);
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
