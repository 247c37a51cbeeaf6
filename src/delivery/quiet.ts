// Quiet hours for proactive messages (digests, reminders): during them a message is kept in the store, not sent,
// and goes out when the quiet hours end — also after a restart, since the held list is stored.

import type { OutboundMessage, SentMessage } from '../domain/messages.ts';
import type { Logger } from '../observability/logger.ts';
import type { Store } from '../ports/store.ts';
import type { PolicyService } from '../policy/loader.ts';
import { isQuiet, nextAllowed } from '../policy/quiet-hours.ts';

const HELD_KEY = 'quiet.held';
const MAX_WAIT_MS = 2 ** 31 - 1;

export class QuietHours {
  readonly #store: Store;
  readonly #policies: PolicyService;
  readonly #deliver: (message: OutboundMessage) => Promise<SentMessage>;
  readonly #log: Logger;
  #timer: NodeJS.Timeout | undefined;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(store: Store, policies: PolicyService, deliver: (message: OutboundMessage) => Promise<SentMessage>, logger: Logger) {
    this.#store = store;
    this.#policies = policies;
    this.#deliver = deliver;
    this.#log = logger.child({ component: 'quiet-hours' });
  }

  /** Sends now, or holds until quiet hours end (the returned message then has id "held"). */
  async send(message: OutboundMessage): Promise<SentMessage> {
    const now = new Date();
    if (!isQuiet(now, this.#policies.current(), 'proactive')) return this.#deliver(message);
    await this.#serial(async () => {
      const held = (await this.#store.settings.get<OutboundMessage[]>(HELD_KEY)) ?? [];
      await this.#store.settings.set(HELD_KEY, [...held, message]);
    });
    this.#schedule(now);
    return { ...message, id: 'held', buttons: message.buttons ?? [] };
  }

  async start(): Promise<void> {
    const held = (await this.#store.settings.get<OutboundMessage[]>(HELD_KEY)) ?? [];
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
    const at = nextAllowed(now, this.#policies.current(), 'proactive');
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#release().catch((err: unknown) => this.#log.warn({ err }, 'releasing held messages failed; retrying at the next start'));
    }, Math.min(MAX_WAIT_MS, Math.max(0, at.getTime() - now.getTime())));
    this.#timer.unref();
  }

  async #release(): Promise<void> {
    if (isQuiet(new Date(), this.#policies.current(), 'proactive')) return this.#schedule(new Date());
    await this.#serial(async () => {
      const held = (await this.#store.settings.get<OutboundMessage[]>(HELD_KEY)) ?? [];
      for (const [i, message] of held.entries()) {
        await this.#deliver(message);
        await this.#store.settings.set(HELD_KEY, held.slice(i + 1));
      }
    });
  }
}
