// The answer to one slash command. Discord wants an interaction answered within 3 s, so a timer defers the reply
// ("… is thinking", callback type 5) when handling takes longer than `deferAfterMs`. The first message of the
// answer is then the interaction's reply (or replaces the deferred one); later messages are follow-ups. All calls
// for one interaction run one after another, so the timer and the replies never race.

import type { ChatInputCommandInteraction } from 'discord.js';
import type { Logger } from '../../../src/observability/logger.ts';
import type { DiscordPayload } from './render.ts';

export class SlashReply {
  readonly #interaction: ChatInputCommandInteraction;
  readonly #log: Logger;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #timer: NodeJS.Timeout;
  #open = true;

  constructor(interaction: ChatInputCommandInteraction, deferAfterMs: number, log: Logger) {
    this.#interaction = interaction;
    this.#log = log;
    this.#timer = setTimeout(() => {
      this.#run(() => this.#deferIfSilent()).catch((err: unknown) =>
        this.#log.warn({ err }, 'could not defer the reply to a slash command'),
      );
    }, deferAfterMs);
  }

  /** Whether messages for this chat still go to the interaction (true while the command is being handled). */
  get open(): boolean {
    return this.#open;
  }

  /** Sends one message as the reply, as the deferred reply's content, or as a follow-up; returns its id. */
  send(part: DiscordPayload): Promise<string> {
    return this.#run(async () => {
      const i = this.#interaction;
      if (!i.deferred && !i.replied) {
        const response = await i.reply({ ...part, withResponse: true });
        return response.resource?.message?.id ?? (await i.fetchReply()).id;
      }
      if (!i.replied) return (await i.editReply(part)).id;
      return (await i.followUp(part)).id;
    });
  }

  /** Handling is over. A command that produced no message (a duplicate, a repeated refusal) is acknowledged without one. */
  async finish(): Promise<void> {
    this.#open = false;
    clearTimeout(this.#timer);
    await this.#run(async () => {
      const i = this.#interaction;
      if (i.replied) return;
      if (!i.deferred) await i.deferReply();
      await i.deleteReply();
    });
  }

  async #deferIfSilent(): Promise<void> {
    const i = this.#interaction;
    if (!this.#open || i.deferred || i.replied) return;
    await i.deferReply();
    this.#log.debug({ interaction: i.id }, 'deferred the reply to a slow slash command');
  }

  #run<T>(step: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(step);
    // The queue continues after a failed step; the failure goes to whoever awaited that step.
    this.#queue = result.catch(() => undefined);
    return result;
  }
}
