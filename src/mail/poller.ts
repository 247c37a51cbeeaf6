// Polls the inbox through the mail port every MAIL_POLL_SECONDS and hands each new mail to `onMail`, oldest first.
// The cursor is saved after each handled mail, so a restart neither misses nor repeats mail; a crash between
// handling and saving repeats that one mail, which is why InboundMail carries a dedupe key (`id`).

import type { Logger } from '../observability/logger.ts';
import type { InboundMail, MailCursor, MailPort } from '../ports/mail.ts';
import type { SettingsStore } from '../ports/store.ts';

export const MAIL_CURSOR_KEY = 'mail.inbox.cursor';
/** A mail whose handling failed this many polls in a row is skipped (logged), so one bad mail cannot stall the inbox. */
const MAX_ATTEMPTS = 3;

export interface MailPollerOptions {
  mail: Pick<MailPort, 'fetchSince'>;
  cursors: Pick<SettingsStore, 'get' | 'set'>;
  cursorKey?: string;
  intervalMs: number;
  onMail: (mail: InboundMail) => Promise<void>;
  logger: Logger;
  /** Mails per IMAP round (default 25). */
  batch?: number;
}

export class MailPoller {
  readonly #o: MailPollerOptions;
  readonly #failures = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | undefined;
  #stopped = false;

  constructor(options: MailPollerOptions) {
    this.#o = options;
  }

  /** Polls now and then every interval until stop(). Failures are logged, never thrown. */
  start(): void {
    this.#stopped = false;
    const tick = (): void => {
      this.pollOnce()
        .catch((err: unknown) => this.#o.logger.warn({ err }, 'mail poll failed; trying again at the next interval'))
        .finally(() => {
          if (!this.#stopped) this.#timer = setTimeout(tick, this.#o.intervalMs).unref();
        });
    };
    tick();
  }

  /** One poll: reads until no new mail is left. Resolves with the number of mails handled. */
  pollOnce(): Promise<number> {
    this.#running ??= this.#poll().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #poll(): Promise<number> {
    const key = this.#o.cursorKey ?? MAIL_CURSOR_KEY;
    let cursor = await this.#o.cursors.get<MailCursor>(key);
    let handled = 0;
    for (;;) {
      const result = await this.#o.mail.fetchSince(cursor, { limit: this.#o.batch ?? 25 });
      if (result.reset)
        this.#o.logger.warn('the mail server renumbered the inbox (UIDVALIDITY changed); resuming by arrival time');
      for (const mail of result.mails) {
        try {
          await this.#o.onMail(mail);
          this.#failures.delete(mail.id);
          handled++;
        } catch (err) {
          const attempts = (this.#failures.get(mail.id) ?? 0) + 1;
          this.#failures.set(mail.id, attempts);
          if (attempts < MAX_ATTEMPTS) {
            this.#o.logger.warn(
              { err, mail: mail.id, attempts },
              'handling a new mail failed; it is tried again at the next poll',
            );
            return handled;
          }
          this.#o.logger.error({ err, mail: mail.id, attempts }, 'handling a new mail failed repeatedly; skipping it');
          this.#failures.delete(mail.id);
        }
        cursor = {
          uidValidity: result.cursor.uidValidity,
          uid: mail.uid,
          ...(cursor?.at === undefined ? {} : { at: cursor.at }),
        };
        await this.#o.cursors.set(key, cursor);
      }
      cursor = result.cursor;
      await this.#o.cursors.set(key, cursor);
      if (!result.more || this.#stopped) return handled;
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running?.catch(() => undefined);
  }
}
