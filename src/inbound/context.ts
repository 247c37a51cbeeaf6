// What every handler of an inbound update gets: the update, the channel it came on, a reply that goes through
// delivery, and where the outcome is noted. Handlers get what else they need (memory, the engine, a store port)
// from their own factory's arguments, never from here: there is no service locator.

import type { InboundEvent, OutboundMessage, SentMessage } from '../domain/messages.ts';
import type { Logger } from '../observability/logger.ts';
import type { Channel, Outcome } from '../ports/channel.ts';

export interface InboundContext {
  readonly event: InboundEvent;
  readonly channel: Channel;
  readonly log: Logger;
  /**
   * Records the message in the event log, then delivers it on this event's channel and chat. With a dedupe key,
   * a message already recorded under that key is not sent again (a replayed step's message goes out once).
   */
  readonly reply: (message: OutboundMessage | string, options?: { dedupeKey?: string }) => Promise<SentMessage>;
  readonly replies: SentMessage[];
  outcome: Outcome;
  /** Set by the command parser. */
  command?: { name: string; args: string };
  /** Position of the event that recorded this inbound message (provenance for what it creates). */
  eventPosition?: number;
}

type Next = () => Promise<void>;
export type Middleware = (ctx: InboundContext, next: Next) => Promise<void>;

/**
 * Runs middleware in order, like grammY's Composer: each decides whether to call `next`. Calling `next` twice in
 * one middleware is a bug (the rest of the chain would run twice), so it throws instead.
 */
export function compose(middleware: Middleware[]): (ctx: InboundContext) => Promise<void> {
  return async (ctx) => {
    const run = async (i: number): Promise<void> => {
      const mw = middleware[i];
      if (!mw) return;
      let called = false;
      await mw(ctx, () => {
        if (called) throw new Error(`middleware ${i} called next() twice`);
        called = true;
        return run(i + 1);
      });
    };
    await run(0);
  };
}
