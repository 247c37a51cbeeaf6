// Every piece of periodic work Solo OS does, in one list, run as jobs of the shared scheduler (kind `system`, keyed
// by name): one process runs each tick however many share the store, and a tick that fails is logged and comes
// again at the next one. A timer without an interval runs only when woken for a time (the quiet-hours release).
// Per-process work (the embedder's idle stop: it stops this process's own worker) is not here.
//
// The other timers in the process are part of one operation, not periodic work, and stay where they are: step
// timeouts and retry backoff (engine/run-context.ts, llm/retry.ts), a run lease's renewal (engine/leases.ts),
// connector and API call deadlines (adapters/*), the policy and prompt watchers' debounce, the SQLite WAL
// checkpoint after writes pause, the mail poller's interval, a platform's reconnect backoff
// (compose/supervised-channel.ts), Telegram's "typing…" and Discord's slash-command deferral.

import type { Logger } from '../observability/logger.ts';
import type { SchedulerPort } from '../ports/scheduler.ts';

export interface Timer {
  name: string;
  /** Runs every this many ms; absent: only when woken (wake()). */
  everyMs?: number;
  run: () => Promise<unknown>;
}

const SYSTEM_KIND = 'system';

export class Timers {
  readonly #port: SchedulerPort;
  readonly #timers: Map<string, Timer>;
  readonly #log: Logger;
  readonly #now: () => Date;

  constructor(port: SchedulerPort, timers: Timer[], logger: Logger, now: () => Date = () => new Date()) {
    this.#port = port;
    this.#timers = new Map(timers.map((t) => [t.name, t]));
    this.#log = logger.child({ component: 'timers' });
    this.#now = now;
    port.define<{ everyMs?: number }>(SYSTEM_KIND, async (job) => {
      const timer = this.#timers.get(job.key);
      // A timer an older version had: done.
      if (!timer) return { due: null, data: job.data };
      try {
        await timer.run();
      } catch (err) {
        this.#log.error({ err, timer: timer.name }, `${timer.name} failed; trying again at the next tick`);
      }
      return { due: timer.everyMs ? new Date(this.#now().getTime() + timer.everyMs) : null, data: job.data };
    });
  }

  /** Saves each periodic timer's job once (a job already there keeps its due time). */
  async install(): Promise<void> {
    for (const timer of this.#timers.values()) {
      if (!timer.everyMs) continue;
      await this.#port.save(
        SYSTEM_KIND,
        timer.name,
        { due: new Date(this.#now().getTime() + timer.everyMs), data: { everyMs: timer.everyMs } },
        { onlyNew: true },
      );
    }
  }

  /** Runs a timer at `at` (once; a later wake replaces an earlier one). */
  async wake(name: string, at: Date): Promise<void> {
    if (!this.#timers.has(name)) throw new Error(`no timer ${name}`);
    await this.#port.save(SYSTEM_KIND, name, { due: at, data: {} });
  }

  /** For /status: the timers and how often they run. */
  describe(): string {
    const every = (ms: number) => (ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} s`);
    return [...this.#timers.values()]
      .map((t) => (t.everyMs ? `${t.name} every ${every(t.everyMs)}` : `${t.name} when needed`))
      .join(', ');
  }
}
