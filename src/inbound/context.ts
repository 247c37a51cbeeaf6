import type { Config } from '../config.ts';
import type { Engine } from '../engine/engine.ts';
import type { InboundEvent, OutboundMessage, SentMessage } from '../domain/messages.ts';
import type { Logger } from '../observability/logger.ts';
import type { Channel, Outcome } from '../ports/channel.ts';
import type { Store } from '../ports/store.ts';
import type { AgentCatalog } from '../agents/catalog.ts';
import type { AgentDeps } from '../agents/runner.ts';
import type { Llm } from '../ports/llm.ts';
import type { MemoryService } from '../memory/memory.ts';
import type { PolicyService } from '../policy/loader.ts';

/** What the core offers every handler. */
export interface Services {
  store: Store;
  engine: Engine;
  logger: Logger;
  config: Config;
  startedAt: Date;
  version: string;
  /** Channels running now. */
  channels: () => Channel[];
  memory: MemoryService;
  policies: PolicyService;
  /** Present when a model is configured. */
  llm?: Llm;
  /** Everything an agent call needs; present when a model is configured. */
  agents?: () => AgentDeps;
  /** The agents and their prompt versions, with or without a model (loaded on first use without one). */
  catalog?: () => Promise<AgentCatalog>;
}

export interface InboundContext {
  readonly event: InboundEvent;
  readonly channel: Channel;
  readonly services: Services;
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

export type Next = () => Promise<void>;
export type Middleware = (ctx: InboundContext, next: Next) => Promise<void>;

/** Runs middleware in order, like grammY's Composer: each decides whether to call `next`. */
export function compose(middleware: Middleware[]): (ctx: InboundContext) => Promise<void> {
  return async (ctx) => {
    const run = async (i: number): Promise<void> => {
      const mw = middleware[i];
      if (mw) await mw(ctx, () => run(i + 1));
    };
    await run(0);
  };
}
