// Quiet hours for proactive messages (digests, reminders): during them a message is kept in the store, not sent,
// and goes out when the quiet hours end — also after a restart, since the held list is stored.

import { z } from 'zod';
import type { OutboundMessage, SentMessage } from '../domain/messages.ts';
import type { Logger } from '../observability/logger.ts';
import type { SettingsStore } from '../ports/store.ts';
import { isQuiet, nextAllowed } from '../policy/quiet-hours.ts';
import type { Policy } from '../policy/schema.ts';
import { setting, type Setting } from '../settings/setting.ts';

const MAX_WAIT_MS = 2 ** 31 - 1;
const heldMessages: z.ZodType<OutboundMessage[]> = z.array(z.object({ text: z.string(), buttons: z.array(z.object({ label: z.string(), data: z.string() })).optional() })) as z.ZodType<OutboundMessage[]>;

export class QuietHours {
  readonly #held: Setting<OutboundMessage[]>;
  readonly #policy: () => Policy;
  readonly #deliver: (message: OutboundMessage) => Promise<SentMessage>;
  readonly #log: Logger;
  #timer: NodeJS.Timeout | undefined;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(settings: SettingsStore, policy: () => Policy, deliver: (message: OutboundMessage) => Promise<SentMessage>, logger: Logger) {
    this.#log = logger.child({ component: 'quiet-hours' });
    this.#held = setting(settings, 'quiet.held', heldMessages, this.#log);
    this.#policy = policy;
    this.#deliver = deliver;
  }

  /** Sends now, or holds until quiet hours end (the returned message then has id "held"). */
  async send(message: OutboundMessage): Promise<SentMessage> {
    const now = new Date();
    if (!isQuiet(now, this.#policy(), 'proactive')) return this.#deliver(message);
    await this.#serial(async () => {
      const held = (await this.#held.get()) ?? [];
      await this.#held.set([...held, message]);
    });
    this.#schedule(now);
    return { ...message, id: 'held', buttons: message.buttons ?? [] };
  }

  /** How many messages are held now (for /metrics). */
  async held(): Promise<number> {
    return ((await this.#held.get()) ?? []).length;
  }

  async start(): Promise<void> {
    const held = (await this.#held.get()) ?? [];
    if (held.length > 0) this.#schedule(new Date());
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#chain.then(fn);
    this.#chain = next.catch(() => undefined);
    return next;
  }

  #schedule(now: Date): void {
    if (this.#timer) return;
    const at = nextAllowed(now, this.#policy(), 'proactive');
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#release().catch((err: unknown) => this.#log.warn({ err }, 'releasing held messages failed; retrying at the next start'));
    }, Math.min(MAX_WAIT_MS, Math.max(0, at.getTime() - now.getTime())));
    this.#timer.unref();
  }

  async #release(): Promise<void> {
    if (isQuiet(new Date(), this.#policy(), 'proactive')) return this.#schedule(new Date());
    await this.#serial(async () => {
      const held = (await this.#held.get()) ?? [];
      for (const [i, message] of held.entries()) {
        await this.#deliver(message);
        await this.#held.set(held.slice(i + 1));
      }
    });
  }
}
