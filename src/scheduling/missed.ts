// The missed-run policy: what a schedule does when it fires after its due time because Solo OS was not running (or
// was paused by the machine). A fire later than LATE_AFTER_MS counts as missed; within it, it is just a little
// late and runs. Policies: skip the missed runs, run once for all of them (the default), or run each one that is
// still within a window. A pure function of the due times and the clock, so tests can move the clock at will.

import { z } from 'zod';

const MISSED_POLICIES = ['skip', 'once', 'all'] as const;
type MissedPolicy = (typeof MISSED_POLICIES)[number];

export const missedRule = z.object({ policy: z.enum(MISSED_POLICIES), windowMs: z.number().int().positive() });
export type MissedRule = z.infer<typeof missedRule>;

export const DEFAULT_MISSED: MissedRule = { policy: 'once', windowMs: 24 * 3_600_000 };
/** A fire this late is still on time (a restart, a slow start); later than this, the due time was missed. */
export const LATE_AFTER_MS = 60_000;
/** Due times looked at per fire, and runs started per fire at most (a minutely schedule after a week away). */
const MAX_SCAN = 10_000;
const MAX_RUNS = 100;

export interface FirePlan {
  /** Due times to start a run for now, oldest first. */
  fire: Date[];
  /** Due times that were missed (more than LATE_AFTER_MS ago): how many (at least, when too many to count), first, last. */
  missed: { count: number; first?: Date; last?: Date; atLeast?: boolean };
  /** Missed due times that get no run. */
  skipped: number;
  /** When it is due next (null: a one-off, done). */
  next: Date | null;
}

/**
 * What to run when a schedule due at `due` fires at `now`: every due time from `due` up to `now` (`nextDue` gives
 * the one after a time, or null), sorted into on time and missed, and the policy applied to the missed ones.
 */
export function planFires(input: {
  due: Date;
  now: Date;
  rule: MissedRule;
  nextDue: (after: Date) => Date | null;
}): FirePlan {
  const { due, now, rule, nextDue } = input;
  if (due.getTime() > now.getTime()) return { fire: [], missed: { count: 0 }, skipped: 0, next: due };
  const late = (d: Date) => now.getTime() - d.getTime() > LATE_AFTER_MS;
  const list = (from: Date | null): Date[] => {
    const out: Date[] = [];
    for (let d = from; d && d.getTime() <= now.getTime() && out.length < MAX_SCAN; d = nextDue(d)) out.push(d);
    return out;
  };
  let dues = list(due);
  const last = dues.at(-1)!;
  const capped = (nextDue(last)?.getTime() ?? Infinity) <= now.getTime();
  let uncounted = false;
  if (capped) {
    // Too many to list (a minutely schedule after weeks away): the first ones are counted, and the recent ones (the
    // catch-up window, the on-time margin) are listed from there to now.
    const reach = Math.max(rule.policy === 'all' ? rule.windowMs : 0, LATE_AFTER_MS);
    const recent = list(nextDue(new Date(Math.max(last.getTime(), now.getTime() - reach - 1))));
    if (recent.length > 0) dues = [...dues.filter((d) => d.getTime() < recent[0]!.getTime()), ...recent];
    uncounted = true;
  }
  const missed = dues.filter(late);
  const onTime = dues.filter((d) => !late(d));
  let fire: Date[];
  switch (rule.policy) {
    case 'skip':
      fire = onTime;
      break;
    case 'once':
      // One run stands for all of them: the latest due time (on time or not).
      fire = missed.length > 0 ? dues.slice(-1) : onTime;
      break;
    case 'all':
      fire = dues.filter((d) => now.getTime() - d.getTime() <= rule.windowMs).slice(-MAX_RUNS);
      break;
  }
  const ranMissed = fire.filter(late).length;
  return {
    fire,
    missed:
      missed.length === 0
        ? { count: 0 }
        : { count: missed.length, first: missed[0]!, last: missed.at(-1)!, ...(uncounted ? { atLeast: true } : {}) },
    skipped: missed.length - ranMissed,
    next: nextDue(now),
  };
}

/** "run once", "skip", "run each within 24 h", for lists and messages. */
export function describeRule(rule: MissedRule): string {
  if (rule.policy === 'skip') return 'skip';
  if (rule.policy === 'once') return 'run once';
  const hours = rule.windowMs / 3_600_000;
  return `run each within ${Number.isInteger(hours) ? `${hours} h` : `${Math.round(rule.windowMs / 60_000)} min`}`;
}

/** `missed: skip|once|all [within 12h]` at the end of a /schedule or /remind; the text before it and the rule. */
export function readMissedOption(text: string): { text: string; rule?: MissedRule } | { error: string } {
  const m = /\s+(?:if\s+)?missed[:=]?\s*(\S+)(?:\s+(?:within\s+)?(\d+)\s*(h|hours?|d|days?|m|min|minutes?))?\s*$/i.exec(
    text,
  );
  if (!m) return { text };
  const policy = (m[1] ?? '').toLowerCase();
  if (!(MISSED_POLICIES as readonly string[]).includes(policy))
    return {
      error: `"missed: ${m[1]}" is not a policy I know; use missed: skip, missed: once or missed: all within 24h.`,
    };
  const amount = m[2] ? Number(m[2]) : undefined;
  const unit = (m[3] ?? 'h').toLowerCase();
  const windowMs =
    amount === undefined
      ? DEFAULT_MISSED.windowMs
      : amount * (unit.startsWith('d') ? 86_400_000 : unit.startsWith('m') ? 60_000 : 3_600_000);
  if (windowMs <= 0 || windowMs > 366 * 86_400_000)
    return { error: 'The catch-up window must be more than 0 and at most a year.' };
  return { text: text.slice(0, m.index), rule: { policy: policy as MissedPolicy, windowMs } };
}
