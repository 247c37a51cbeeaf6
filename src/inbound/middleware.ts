// The inbound chain, top to bottom: operator check → dedupe (and record) → rate limit → command parse.
// Each is a (ctx, next) function; whatever does not call `next` ends the handling of that update.
// Two things keep the per-message cost down without weakening what the chain promises: the chain's own appends
// are group-committed (see AppendBatcher), and the operator's last chat per channel is kept in memory, so that a
// message from the same chat as before costs no settings read, and a burst of new chats one write.

import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { newEvent, type NewEvent } from '../domain/events.ts';
import { chatStream, Outcome } from '../ports/channel.ts';
import type { AppendResult, EventLog, SettingsStore } from '../ports/store.ts';
import { redeemLinkCode, rememberChat } from '../commands/identity.ts';
import type { Middleware, Services } from './context.ts';

/**
 * Group commit for the chain's appends. Appends asked for while one turn of the event loop runs (a burst of
 * updates: one long-poll answer, several WebSocket frames) are written together with one appendMany — one
 * transaction on SQLite — at the end of that turn, and each caller resumes only once that write has returned. So an
 * update is recorded before its handler runs, exactly as with one append each; only the number of commits drops.
 * When the batch fails, each event is appended on its own, so a bad event fails its own update and no other.
 */
export class AppendBatcher {
  readonly #events: EventLog;
  #queue: { event: NewEvent; resolve: (r: AppendResult) => void; reject: (err: unknown) => void }[] = [];

  constructor(events: EventLog) {
    this.#events = events;
  }

  append(event: NewEvent): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      if (this.#queue.push({ event, resolve, reject }) === 1) setImmediate(() => void this.#flush());
    });
  }

  async #flush(): Promise<void> {
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length > 1) {
      try {
        const results = await this.#events.appendMany(batch.map((b) => b.event));
        if (results.length === batch.length) return batch.forEach((b, i) => b.resolve(results[i] as AppendResult));
      } catch {
        // One by one below: whatever was written already is found again by its dedupe key.
      }
    }
    for (const b of batch) await this.#events.append(b.event).then(b.resolve, b.reject);
  }
}

const batchers = new WeakMap<EventLog, AppendBatcher>();
/** The one batcher of this event log, so that every append that goes through it can share a commit. */
export const appendBatcher = (events: EventLog): AppendBatcher => {
  let batcher = batchers.get(events);
  if (!batcher) batchers.set(events, (batcher = new AppendBatcher(events)));
  return batcher;
};

/**
 * The operator's last chat per channel, as rememberChat stored it (it is the only writer of those settings), per
 * settings store. A message from the chat already remembered costs nothing. A new chat is written at the end of
 * the event loop's turn, and of several new chats in one turn (a burst) only the last: it is a hint for where
 * proactive messages may go, so it need not be durable before the update is handled (a redelivered update writes
 * it again). Writes go one after another, so `known` always says what the store says.
 */
interface LastChats {
  known: Map<string, string>;
  pending: Map<string, string>;
  scheduled: boolean;
  writes: Promise<void>;
}
const lastChats = new WeakMap<SettingsStore, LastChats>();

function rememberChatSoon(services: Services, channel: string, chatId: string): void {
  const { settings } = services.store;
  let memo = lastChats.get(settings);
  if (!memo) lastChats.set(settings, (memo = { known: new Map(), pending: new Map(), scheduled: false, writes: Promise.resolve() }));
  const m = memo;
  if (!m.pending.has(channel) && m.known.get(channel) === chatId) return;
  m.pending.set(channel, chatId);
  if (m.scheduled) return;
  m.scheduled = true;
  setImmediate(() => {
    const batch = m.pending;
    m.pending = new Map();
    m.scheduled = false;
    m.writes = m.writes.then(async () => {
      for (const [ch, chat] of batch) {
        if (m.known.get(ch) === chat) continue;
        m.known.delete(ch);
        try {
          await rememberChat(services, ch, chat);
          m.known.set(ch, chat);
        } catch (err) {
          services.logger.warn({ err, channel: ch }, 'could not remember the operator’s last chat');
        }
      }
    });
  });
}

/**
 * Only the operator's identities may command the bot. Anyone else gets at most one polite refusal, ever:
 * the refusal is recorded with a dedupe key per sender, and nothing of what they sent is stored.
 */
export const operatorOnly: Middleware = async (ctx, next) => {
  const { channel, senderId, chatId } = ctx.event;
  const identity = await ctx.services.store.identities.get(channel, senderId);
  if (identity) {
    rememberChatSoon(ctx.services, channel, chatId);
    return next();
  }
  // The one thing a stranger may send: a valid /link code from the operator.
  const link = ctx.event.kind === 'message' ? /^\/link(?:@\w+)?\s+([a-z0-9]{8})$/i.exec(ctx.event.text.trim()) : null;
  if (link?.[1] && (await redeemLinkCode(ctx, link[1]))) {
    rememberChatSoon(ctx.services, channel, chatId);
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

/** Updates being handled right now, per event log, by dedupe key: the claim a concurrent resend finds. */
const inFlight = new WeakMap<EventLog, Map<string, Promise<void>>>();

/**
 * Claims the update, records it in the event log under a key derived from its platform id, and marks it handled
 * once the chain below has finished. The claim is taken before anything is awaited, so the same id sent several
 * times at once is handled once: the others wait for it and are answered as duplicates. A redelivery of a handled
 * update stops here; a redelivery of one whose handling was cut short (the process died) or refused (rate
 * limited) is handled again — handlers that start work use ids derived from the update, so that is safe.
 */
export const dedupeAndRecord: Middleware = async (ctx, next) => {
  const e = ctx.event;
  const { events } = ctx.services.store;
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
    // A message the rate limit refused was not handled: sent again later, it runs.
    if (ctx.outcome !== Outcome.rateLimited) await batcher.append(newEvent('message.handled', stream, { channel: e.channel, chatId: e.chatId }, `done:${key}`));
  } finally {
    claims.delete(key);
    release();
  }
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
