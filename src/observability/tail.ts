// Follows the event log from a position: metrics and traces are projections of the log, read after the fact in
// pages, so a chat turn pays nothing for them (the events are written anyway).

import type { EventType, StoredEvent } from '../domain/events.ts';
import type { EventLog } from '../ports/store.ts';

const PAGE = 1000;

export class EventTail {
  readonly #events: EventLog;
  readonly #types: EventType[];
  #position: number;

  constructor(events: EventLog, types: EventType[], position: number) {
    this.#events = events;
    this.#types = types;
    this.#position = position;
  }

  /** The position of the newest event now (0 for an empty log): a tail from here sees only what comes next. */
  static async newestPosition(events: EventLog): Promise<number> {
    const [newest] = await events.readRange({ newest: true, limit: 1 });
    return newest?.position ?? 0;
  }

  get position(): number {
    return this.#position;
  }

  /** Goes back (or forward) to a position: what was read after it is read again. */
  seek(position: number): void {
    this.#position = position;
  }

  /** Hands every new event of the tail's types to `handle`, oldest first, at most `max` of them; returns how many. */
  async read(handle: (event: StoredEvent) => void | Promise<void>, max = 100_000): Promise<number> {
    let seen = 0;
    while (seen < max) {
      const page = await this.#events.readRange({
        afterPosition: this.#position,
        types: this.#types,
        limit: Math.min(PAGE, max - seen),
      });
      for (const event of page) {
        await handle(event);
        this.#position = event.position;
      }
      seen += page.length;
      if (page.length < PAGE) break;
      // Let other work run between pages of a long catch-up.
      await new Promise((resolve) => setImmediate(resolve));
    }
    return seen;
  }
}
