// WAL checkpoints while the bot is idle.
//
// SQLite's automatic checkpoint runs inside the commit that takes the WAL past `wal_autocheckpoint` pages, on the
// thread that commits: here the main thread, since node:sqlite is synchronous. On this 2-core machine one such
// checkpoint (copying pages back, fsync) blocked the event loop for 20–40 ms, right in the middle of the traffic that
// filled the WAL: it was the tail of every chat scenario with the real core (bench/channels.ts --handler=core).
//
// So the store also checkpoints when nothing is being written: every `everyMs` it looks at the WAL file, and once
// the file has not changed for a whole interval and holds pages not yet checkpointed, it runs a PASSIVE checkpoint.
// Between bursts of messages the WAL is emptied, and the automatic checkpoint (kept as it was) rarely has anything
// to do; under writing that never pauses it still runs as before. Durability is unchanged: a commit is durable once
// it is in the WAL, whoever copies it back later.
//
// Why not a worker thread with its own connection, which would never block the loop: it was tried, and its second
// V8 isolate raised the idle bot's memory from 125 to 149 MB (target 150).

import { statSync } from 'node:fs';
import type { DatabaseSync } from 'node:sqlite';

/** SQLite's default, kept: the safety net when writing never pauses. */
export const AUTO_CHECKPOINT_PAGES = 1000;
const EVERY_MS = 100;

export class IdleCheckpointer {
  readonly #db: DatabaseSync;
  readonly #wal: string;
  readonly #timer: NodeJS.Timeout;
  /** The WAL file as last seen (size and modification time), and as it was right after the last checkpoint. */
  #seen = '';
  #clean = '';
  #checkpoints = 0;

  constructor(db: DatabaseSync, file: string, onError: (err: Error) => void, everyMs = EVERY_MS) {
    this.#db = db;
    this.#wal = `${file}-wal`;
    this.#timer = setInterval(() => {
      try {
        this.#tick();
      } catch (err) {
        onError(err as Error);
      }
    }, everyMs);
    // Housekeeping never keeps the process alive.
    this.#timer.unref();
  }

  /** How many idle checkpoints ran (tests, diagnostics). */
  get checkpoints(): number {
    return this.#checkpoints;
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #tick(): void {
    const now = this.#state();
    // Written since the last look: the bot is busy; or nothing new since the last checkpoint.
    if (now !== this.#seen || now === this.#clean) {
      this.#seen = now;
      return;
    }
    try {
      this.#db.exec('PRAGMA wal_checkpoint(PASSIVE)');
      this.#checkpoints++;
    } finally {
      // Also after a failure: the next try waits for the next pause in writing, so an error is not repeated 10×/s.
      this.#clean = this.#seen = this.#state();
    }
  }

  #state(): string {
    const s = statSync(this.#wal, { throwIfNoEntry: false });
    return s ? `${s.size}:${s.mtimeMs}` : '';
  }
}
