// Group commit for the event log: appends asked for in one turn of the event loop are written together.

import type { NewEvent } from '../domain/events.ts';
import type { AppendResult, EventLog } from '../ports/store.ts';

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
