// Quiet hours for proactive messages (digests, reminders): during them a message is kept in the store, not sent,
// and goes out when the quiet hours end — also after a restart, since the held list is stored. Each held message
// has a key (the sender's dedupe key, or one given here), so holding it twice or releasing it from two processes
// sends it once. The release is woken by the scheduler once there is one (any process on the store may run it);
// until then, by a timer in this process.

import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { OutboundMessage, SentMessage } from '../domain/messages.ts';
import type { Logger } from '../observability/logger.ts';
import type { SettingsStore } from '../ports/store.ts';
import { isQuiet, nextAllowed } from '../policy/quiet-hours.ts';
import type { Policy } from '../policy/schema.ts';
import { setting, type Setting } from '../settings/setting.ts';

const MAX_WAIT_MS = 2 ** 31 - 1;
interface Held extends OutboundMessage {
  key?: string;
}
const heldMessages: z.ZodType<Held[]> = z.array(
  z.object({
    text: z.string(),
    buttons: z.array(z.object({ label: z.string(), data: z.string() })).optional(),
    key: z.string().optional(),
  }),
) as z.ZodType<Held[]>;
/** Wakes the release at a time, from any process on the store. */
export type Wake = (at: Date) => Promise<void>;

export class QuietHours {
  readonly #held: Setting<Held[]>;
  readonly #policy: () => Policy;
  readonly #deliver: (message: OutboundMessage, dedupeKey: string | undefined) => Promise<SentMessage>;
  readonly #log: Logger;
  #timer: NodeJS.Timeout | undefined;
  #wake: Wake | undefined;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(
    settings: SettingsStore,
    policy: () => Policy,
    deliver: (message: OutboundMessage, dedupeKey: string | undefined) => Promise<SentMessage>,
    logger: Logger,
  ) {
    this.#log = logger.child({ component: 'quiet-hours' });
    this.#held = setting(settings, 'quiet.held', heldMessages, this.#log);
    this.#policy = policy;
    this.#deliver = deliver;
  }

  /** Sends now, or holds until quiet hours end (the returned message then has id "held"). */
  async send(message: OutboundMessage, dedupeKey?: string): Promise<SentMessage> {
    const now = new Date();
    if (!isQuiet(now, this.#policy(), 'proactive')) return this.#deliver(message, dedupeKey);
    await this.#serial(async () => {
      const held = (await this.#held.get()) ?? [];
      if (dedupeKey !== undefined && held.some((h) => h.key === dedupeKey)) return;
      await this.#held.set([...held, { ...message, key: dedupeKey ?? `held:${randomUUID()}` }]);
    });
    await this.#schedule(now);
    return { ...message, id: 'held', buttons: message.buttons ?? [] };
  }

  /** How many messages are held now (for /metrics). */
  async held(): Promise<number> {
    return ((await this.#held.get()) ?? []).length;
  }

  async start(): Promise<void> {
    const held = (await this.#held.get()) ?? [];
    if (held.length > 0) await this.#schedule(new Date());
  }

  /** From now on the scheduler wakes the release (a pending timer here hands over to it). */
  async wakeWith(wake: Wake): Promise<void> {
    this.#wake = wake;
    const pending = this.#timer !== undefined;
    this.stop();
    if (pending) await this.#schedule(new Date());
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Sends what is held if quiet hours are over (else asks to be woken when they end). */
  release(): Promise<void> {
    return this.#release();
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#chain.then(fn);
    this.#chain = next.catch(() => undefined);
    return next;
  }

  async #schedule(now: Date): Promise<void> {
    const at = nextAllowed(now, this.#policy(), 'proactive');
    if (this.#wake) {
      await this.#wake(at).catch((err: unknown) =>
        this.#log.warn({ err }, 'could not schedule the release of held messages; it happens at the next start'),
      );
      return;
    }
    if (this.#timer) return;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        void this.#release().catch((err: unknown) =>
          this.#log.warn({ err }, 'releasing held messages failed; retrying at the next start'),
        );
      },
      Math.min(MAX_WAIT_MS, Math.max(0, at.getTime() - now.getTime())),
    );
    this.#timer.unref();
  }

  async #release(): Promise<void> {
    if (isQuiet(new Date(), this.#policy(), 'proactive')) return this.#schedule(new Date());
    await this.#serial(async () => {
      const held = (await this.#held.get()) ?? [];
      for (const [i, { key, ...message }] of held.entries()) {
        await this.#deliver(message, key);
        await this.#held.set(held.slice(i + 1));
      }
    });
  }
}
