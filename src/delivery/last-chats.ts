// The operator's last chat per channel: where proactive messages may go when no chat is preferred. It is a hint,
// not a record, so it costs nothing per message: the chat already remembered is known in memory, a new chat is
// written at the end of the event loop's turn, and of several new chats in one turn (a burst) only the last. A
// redelivered update writes it again. Writes go one after another, so `known` always says what the store says.

import type { Logger } from '../observability/logger.ts';
import type { Setting } from '../settings/setting.ts';

export class LastChats {
  readonly #setting: (channel: string) => Setting<string>;
  readonly #log: Logger;
  readonly #known = new Map<string, string>();
  #pending = new Map<string, string>();
  #scheduled = false;
  #writes: Promise<void> = Promise.resolve();

  constructor(setting: (channel: string) => Setting<string>, logger: Logger) {
    this.#setting = setting;
    this.#log = logger;
  }

  async get(channel: string): Promise<string | undefined> {
    return this.#pending.get(channel) ?? this.#known.get(channel) ?? (await this.#setting(channel).get());
  }

  remember(channel: string, chatId: string): void {
    if (!this.#pending.has(channel) && this.#known.get(channel) === chatId) return;
    this.#pending.set(channel, chatId);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      const batch = this.#pending;
      this.#pending = new Map();
      this.#scheduled = false;
      this.#writes = this.#writes.then(async () => {
        for (const [ch, chat] of batch) {
          if (this.#known.get(ch) === chat) continue;
          this.#known.delete(ch);
          try {
            const stored = this.#setting(ch);
            if ((await stored.get()) !== chat) await stored.set(chat);
            this.#known.set(ch, chat);
          } catch (err) {
            this.#log.warn({ err, channel: ch }, 'could not remember the operator’s last chat');
          }
        }
      });
    });
  }

  /** Resolves once the writes asked for so far are done. */
  async flushed(): Promise<void> {
    await new Promise((r) => setImmediate(r));
    await this.#writes;
  }
}
