// Free slots from busy intervals: pure logic, no I/O. Working hours are wall-clock times in the operator's zone,
// so 09:00 stays 09:00 across a DST change (luxon does the zone arithmetic); slot lengths are real minutes.

import { DateTime, IANAZone } from 'luxon';
import { InputError } from '../domain/errors.ts';
import type { FreeSlotQuery, Slot } from '../ports/calendar.ts';

const MINUTE = 60_000;
const MAX_RANGE_DAYS = 366;
const MAX_COUNT = 500;

interface Interval {
  start: number;
  end: number;
}

/** Parses an ISO instant (with offset or Z) or throws one sentence naming the field. */
export function parseInstant(value: string, field: string): DateTime {
  const parsed = DateTime.fromISO(value, { setZone: true });
  if (!parsed.isValid || !/(Z|[+-]\d{2}(:?\d{2})?)$/i.test(value.trim())) {
    throw new InputError(
      `${field} "${value}" is not a date and time with an offset, such as 2026-03-30T09:00:00+02:00.`,
    );
  }
  return parsed;
}

function clock(value: string, field: string): { hour: number; minute: number } {
  const match = /^(\d{1,2}):(\d{2})$/.exec(value.trim());
  const hour = Number(match?.[1]);
  const minute = Number(match?.[2]);
  if (!match || hour > 24 || minute > 59 || (hour === 24 && minute !== 0)) {
    throw new InputError(`Working hours ${field} "${value}" is not a time such as 09:00.`);
  }
  return { hour, minute };
}

function positive(value: number | undefined, fallback: number, field: string, max: number): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < 0 || n > max)
    throw new InputError(`${field} must be a whole number from 0 to ${max} (got ${String(value)}).`);
  return n;
}

/** Sorts and merges overlapping or touching intervals, each widened by `pad` ms on both sides. */
export function mergeIntervals(intervals: Iterable<Interval>, pad = 0): Interval[] {
  const sorted = [...intervals].map((i) => ({ start: i.start - pad, end: i.end + pad })).filter((i) => i.end > i.start);
  sorted.sort((a, b) => a.start - b.start);
  const merged: Interval[] = [];
  for (const next of sorted) {
    const last = merged.at(-1);
    if (last && next.start <= last.end) last.end = Math.max(last.end, next.end);
    else merged.push({ ...next });
  }
  return merged;
}

/**
 * The first `count` free slots of `durationMinutes` inside working hours between `from` and `to`, earliest first.
 * Slots start on a `stepMinutes` grid counted from the start of each day's window and do not overlap one another,
 * so each one is a real alternative to offer.
 */
export function findFreeSlots(busy: Iterable<{ start: string; end: string }>, query: FreeSlotQuery): Slot[] {
  const zone = query.timeZone;
  if (!IANAZone.isValidZone(zone)) throw new InputError(`"${zone}" is not a time zone name such as Europe/Berlin.`);
  const from = parseInstant(query.from, 'The start of the search').toMillis();
  const to = parseInstant(query.to, 'The end of the search').toMillis();
  if (to <= from) throw new InputError('The end of the search must be after its start.');
  if (to - from > MAX_RANGE_DAYS * 24 * 60 * MINUTE)
    throw new InputError(`Free slots can be searched at most ${MAX_RANGE_DAYS} days ahead at once.`);
  const duration = positive(query.durationMinutes, 0, 'The duration in minutes', 24 * 60) * MINUTE;
  if (duration === 0) throw new InputError('The duration must be at least one minute.');
  const step = positive(query.stepMinutes, 30, 'The step in minutes', 24 * 60) * MINUTE || MINUTE;
  const pad = positive(query.bufferMinutes, 0, 'The buffer in minutes', 24 * 60) * MINUTE;
  const count = positive(query.count, 0, 'The number of slots', MAX_COUNT);
  const open = clock(query.workingHours.start, 'start');
  const close = clock(query.workingHours.end, 'end');
  if (open.hour * 60 + open.minute >= close.hour * 60 + close.minute)
    throw new InputError('Working hours must end after they start on the same day.');
  const days = new Set(query.workingHours.days);
  if (days.size === 0 || [...days].some((d) => !Number.isInteger(d) || d < 1 || d > 7)) {
    throw new InputError('Working days must be ISO weekdays from 1 (Monday) to 7 (Sunday).');
  }

  const taken = mergeIntervals(
    [...busy].map((b) => ({
      start: parseInstant(b.start, 'A busy start').toMillis(),
      end: parseInstant(b.end, 'A busy end').toMillis(),
    })),
    pad,
  );
  const slots: Slot[] = [];
  let next = 0; // index of the first busy interval that may still matter
  for (
    let day = DateTime.fromMillis(from, { zone }).startOf('day');
    day.toMillis() < to && slots.length < count;
    day = day.plus({ days: 1 })
  ) {
    if (!days.has(day.weekday)) continue;
    // Wall-clock times of this very day: luxon gives 09:00 the day's own offset (a time in a DST gap moves forward).
    const windowStart = day.set(open).toMillis();
    const windowEnd = close.hour === 24 ? day.plus({ days: 1 }).toMillis() : day.set(close).toMillis();
    const lo = Math.max(windowStart, from);
    const hi = Math.min(windowEnd, to);
    let t = windowStart + Math.ceil((lo - windowStart) / step) * step;
    while (t + duration <= hi && slots.length < count) {
      while (next < taken.length && (taken[next] as Interval).end <= t) next++;
      const blocker = taken[next];
      if (blocker && blocker.start < t + duration) {
        t = windowStart + Math.ceil((blocker.end - windowStart) / step) * step;
        continue;
      }
      slots.push({ start: iso(t, zone), end: iso(t + duration, zone) });
      t = windowStart + Math.ceil((t + duration - windowStart) / step) * step;
    }
  }
  return slots;
}

const iso = (ms: number, zone: string): string =>
  DateTime.fromMillis(ms, { zone }).toISO({ suppressMilliseconds: true }) ?? new Date(ms).toISOString();
