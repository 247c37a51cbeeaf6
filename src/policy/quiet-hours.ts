// Quiet hours: when Solo OS holds back what can wait (messages it starts on its own, non-urgent notices).
// Windows such as 22:00-07:00 cross midnight; whole days (sat, sun) can be quiet too. Local time comes from
// Intl in the policy's time zone, so daylight-saving changes are handled by the platform's tz data.
// Replies to the operator and approval cards are never held: callers only ask for what the policy can hold.

import { systemTimeZone, type Holdable, type Policy, type QuietHoursPolicy, type Weekday } from './schema.ts';

interface LocalTime {
  minutes: number; // minutes after local midnight
  seconds: number;
  weekday: Weekday;
}

const formats = new Map<string, Intl.DateTimeFormat>();
function localTime(at: Date, timeZone: string): LocalTime {
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formats.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(at).map((p) => [p.type, p.value]));
  return {
    minutes: Number(parts.hour) * 60 + Number(parts.minute),
    seconds: Number(parts.second),
    weekday: (parts.weekday ?? 'Sun').slice(0, 3).toLowerCase() as Weekday,
  };
}

const section = (policy: Policy | QuietHoursPolicy): QuietHoursPolicy =>
  'quiet_hours' in policy ? policy.quiet_hours : policy;

/** Minutes (wall clock) from `t` to the end of the quiet stretch it is in; 0 when it is not in one. */
function quietFor(t: LocalTime, q: QuietHoursPolicy): number {
  let longest = 0;
  if (q.all_day.includes(t.weekday)) longest = 24 * 60 - t.minutes;
  for (const w of q.hours) {
    const inside = w.from < w.to ? t.minutes >= w.from && t.minutes < w.to : t.minutes >= w.from || t.minutes < w.to;
    if (inside) longest = Math.max(longest, (w.to - t.minutes + 24 * 60) % (24 * 60) || 24 * 60);
  }
  return longest;
}

/**
 * Whether `now` is inside quiet hours. With `what`, only when the policy holds that kind of message
 * (`proactive` or `notifications`); anything else (replies, approval cards, urgent notices) is never quiet.
 */
export function isQuiet(now: Date, policy: Policy | QuietHoursPolicy, what?: Holdable): boolean {
  const q = section(policy);
  if (!q.enabled || (what !== undefined && !q.hold.includes(what))) return false;
  return quietFor(localTime(now, q.time_zone ?? systemTimeZone()), q) > 0;
}

/** The first moment at or after `now` that is not quiet (`now` itself when it is not quiet). */
export function nextAllowed(now: Date, policy: Policy | QuietHoursPolicy, what?: Holdable): Date {
  const q = section(policy);
  if (!isQuiet(now, q, what)) return now;
  const tz = q.time_zone ?? systemTimeZone();
  let t = now.getTime();
  // Jump to the wall-clock end of each quiet stretch (windows and whole days may chain), at most two weeks.
  for (let i = 0; i < 64; i++) {
    const local = localTime(new Date(t), tz);
    const minutes = quietFor(local, q);
    if (minutes === 0) break;
    t = t - (t % 1000) - local.seconds * 1000 + minutes * 60_000;
  }
  // A daylight-saving change can make a wall-clock jump overshoot by up to an hour: step back minute by minute.
  for (let i = 0; i < 120 && t - 60_000 > now.getTime() && quietFor(localTime(new Date(t - 60_000), tz), q) === 0; i++)
    t -= 60_000;
  return new Date(t);
}
