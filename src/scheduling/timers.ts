// Every piece of periodic work the process does, in one list, each ready to become a scheduler job: what it is,
// how often, and what it runs. A run that fails is logged and tried again at the next tick; ticks never overlap.
// Today's list (main.ts): the engine's approval expiry and orphaned-run sweep (engine.timers()).
//
// The other timers in the process are not periodic work but part of one operation, and stay where they are:
// - waits inside a call: step timeouts and retry backoff (engine/run-context.ts, llm/retry.ts), a run lease's
//   renewal while the run executes (engine/leases.ts), connector and API call deadlines (adapters/*);
// - one-shot deferrals: quiet hours' release at the end of the quiet period (delivery/quiet.ts: it re-arms from the
//   stored held list at start), the policy and prompt watchers' debounce (policy/loader.ts, agents/catalog.ts);
// - idle housekeeping of one resource: the embedder's idle stop, the SQLite WAL checkpoint after writes pause,
//   the mail poller's interval (started and stopped with its connector), a platform's reconnect backoff
//   (compose/supervised-channel.ts), Telegram's "typing…" and Discord's slash-command deferral.

import type { Logger } from '../observability/logger.ts';

export interface Timer {
  name: string;
  everyMs: number;
  run: () => Promise<unknown>;
}

export function startTimers(timers: Timer[], logger: Logger): { stop(): void } {
  const log = logger.child({ component: 'timers' });
  const handles = timers.map((timer) => {
    let busy = false;
    const handle = setInterval(() => {
      if (busy) return;
      busy = true;
      timer
        .run()
        .catch((err: unknown) => log.error({ err, timer: timer.name }, `${timer.name} failed; trying again at the next tick`))
        .finally(() => (busy = false));
    }, timer.everyMs);
    handle.unref();
    return handle;
  });
  return { stop: () => handles.forEach((h) => clearInterval(h)) };
}
