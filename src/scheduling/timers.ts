// Every piece of periodic work the process does, in one list, each ready to become a scheduler job: what it is,
// how often, and what it runs. A run that fails is logged and tried again at the next tick; ticks never overlap.

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
