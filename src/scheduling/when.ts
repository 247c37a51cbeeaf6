// When a schedule fires, from what the operator typed: a cron expression, a recurring phrase ("every weekday at
// 8:00", "on the 1st of every month") turned into cron, or a one-off time ("in 3 days", "tomorrow at 9") read by
// chrono-node. Everything is wall-clock time in the operator's zone; cron-parser and luxon do the zone arithmetic,
// so 08:00 stays 08:00 across daylight-saving changes.

import { CronExpressionParser } from 'cron-parser';
import * as chrono from 'chrono-node/en';
import { DateTime } from 'luxon';

export type When =
  /** Recurring: `cron` in the zone; `text` is how the operator wrote it. */
  | { kind: 'cron'; cron: string; text: string }
  /** Once, at an ISO instant. */
  | { kind: 'once'; at: string; text: string };

export interface WhenContext {
  now: Date;
  timeZone: string;
}

export type WhenResult = { when: When } | { error: string };

/** A day given without a time means this time (a reminder "on 12 Jan" comes at 09:00, not at noon). */
const DEFAULT_TIME = { hour: 9, minute: 0 };
const DAYS: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const DAY = '(?:sun(?:day)?|mon(?:day)?|tue(?:s|sday)?|wed(?:nesday)?|thu(?:r|rs|rsday)?|fri(?:day)?|sat(?:urday)?)';
const ORDINAL = '(\\d{1,2})(?:st|nd|rd|th)?';
/** Words around a time that say nothing ("at 9", "on Monday"). */
const FILLER = /^[\s,.;:!]*(?:(?:at|on|by|around|please|to)\b[\s,.;:!]*)*/i;

/** Recurring phrases: each gives the cron fields other than the time of day. Tried in order, at the start. */
const RECURRING: { re: RegExp; fields: (m: RegExpExecArray) => CronDays | string }[] = [
  {
    re: /^(?:every|each)\s+(?:week\s*day|working\s+day|business\s+day)s?\b|^(?:on\s+)?weekdays\b/i,
    fields: () => ({ dom: '*', dow: '1-5' }),
  },
  { re: /^(?:every|each)\s+weekends?\b|^(?:on\s+)?weekends\b/i, fields: () => ({ dom: '*', dow: '0,6' }) },
  { re: /^(?:every|each)\s+day\b|^daily\b/i, fields: () => ({ dom: '*', dow: '*' }) },
  {
    re: new RegExp(`^(?:every|each)\\s+(${DAY}(?:\\s*(?:,|and|&)\\s*${DAY})*)\\b|^(?:on\\s+)?(${DAY}s)\\b`, 'i'),
    fields: (m) => {
      const names = (m[1] ?? m[2] ?? '').toLowerCase().split(/\s*(?:,|and|&)\s*/);
      const days = names.map((n) => DAYS[n.slice(0, 3)]);
      if (days.some((d) => d === undefined)) return `I do not know the day in "${m[0]}".`;
      return { dom: '*', dow: [...new Set(days)].sort().join(',') };
    },
  },
  {
    re: new RegExp(
      `^(?:on\\s+)?the\\s+(?:${ORDINAL}|(last))(?:\\s+day)?\\s+of\\s+(?:every|each|the)\\s+month\\b|^(?:every|each)\\s+month\\s+on\\s+the\\s+(?:${ORDINAL}|(last))(?:\\s+day)?\\b|^monthly\\s+on\\s+the\\s+(?:${ORDINAL}|(last))\\b`,
      'i',
    ),
    fields: (m) => {
      if (m[2] || m[4] || m[6]) return { dom: 'L', dow: '*' };
      const day = Number(m[1] ?? m[3] ?? m[5]);
      if (!(day >= 1 && day <= 31)) return `A month has no day ${day}.`;
      // Months without that day are skipped by cron; the 29th-31st would silently miss some months.
      if (day > 28)
        return `Not every month has a ${day}th; use "on the last day of every month", or a day up to the 28th.`;
      return { dom: String(day), dow: '*' };
    },
  },
  { re: /^monthly\b/i, fields: () => ({ dom: '1', dow: '*' }) },
];

interface CronDays {
  dom: string;
  dow: string;
}

// Intervals that divide the hour or the day evenly (cron's step of 7 minutes would leave a short gap at the hour).
const EVERY_N = /^(?:every|each)\s+(\d{1,2})\s*(minutes?|mins?|hours?|hrs?)\b/i;
const HOURLY = /^(?:every|each)\s+hour\b|^hourly\b/i;
const MINUTE_STEPS = new Set([1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30]);
const HOUR_STEPS = new Set([1, 2, 3, 4, 6, 8, 12]);

/** Five or six cron fields (minute hour day month weekday, seconds first when six). */
const CRON_FIELD =
  /^(?:\*|\?|L|[0-9A-Za-z]{1,3}(?:-[0-9A-Za-z]{1,3})?|\d{1,2}[LW]|\d#\d)(?:\/\d{1,2})?(?:,(?:\*|[0-9A-Za-z]{1,3}(?:-[0-9A-Za-z]{1,3})?)(?:\/\d{1,2})?)*$/;
const isCronField = (token: string): boolean => CRON_FIELD.test(token) && !/^[A-Za-z]{4,}$/.test(token);

/** Reads a whole `<when>`: recurring or once. The text must be a time and nothing else. */
export function parseWhen(text: string, context: WhenContext): WhenResult {
  const input = text.trim();
  if (!input) return { error: 'When? Give a time such as "every day at 08:00", "tomorrow at 9" or a cron expression.' };
  const read = readWhen(input, context, 'whole');
  if ('error' in read) return read;
  const rest = input.slice(read.end).replace(FILLER, '').trim();
  if (rest && read.when.kind === 'once') {
    // The time of day first: "at 9am every weekday" is "every weekday at 9am".
    const swapped = `${rest} ${input.slice(0, read.end).trim()}`;
    const recurring = readRecurring(swapped, context);
    if (recurring && !('error' in recurring) && recurring.end === swapped.length)
      return { when: { ...recurring.when, text: input } };
  }
  if (rest) return { error: `I read "${input.slice(0, read.end).trim()}" as the time, but not "${rest}".` };
  return { when: read.when };
}

/**
 * Reads `<when> <what>` (or `<what> <when>` for a one-off: "call Bob tomorrow at 9"): the time, and the rest of
 * the text. A recurring time must come first.
 */
export function splitWhen(text: string, context: WhenContext): { when: When; rest: string } | { error: string } {
  const input = text.trim();
  const read = readWhen(input, context, 'prefix');
  if (!('error' in read)) return { when: read.when, rest: input.slice(read.end).replace(FILLER, '').trim() };
  // A one-off time at the end: "call Bob tomorrow at 9".
  const results = chrono.parse(input, reference(context), { forwardDate: true });
  const last = results.at(-1);
  if (last && last.index > 0 && input.slice(last.index + last.text.length).trim() === '') {
    const once = onceFrom(last, context);
    if ('error' in once) return once;
    return {
      when: once.when,
      rest: input
        .slice(0, last.index)
        .replace(FILLER, '')
        .trim()
        .replace(/\s+(?:at|on|by)$/i, ''),
    };
  }
  return read;
}

type Read = { when: When; end: number } | { error: string };

function readWhen(input: string, context: WhenContext, mode: 'whole' | 'prefix'): Read {
  return readCron(input, mode) ?? readRecurring(input, context) ?? readOnce(input, context);
}

function readCron(input: string, mode: 'whole' | 'prefix'): Read | undefined {
  const tokens = input.split(/\s+/);
  let count = 0;
  while (count < tokens.length && count < 6 && isCronField(tokens[count]!)) count++;
  // A prefix takes a sixth field (seconds first) only when it is not a plain word: "0 9 * * mon call Bob" is five
  // fields and a reminder, "*/3 * * * * * tick" is six.
  if (count < 5) return undefined;
  const fields = mode === 'whole' || (count === 6 && !/^[A-Za-z]+$/.test(tokens[5]!)) ? count : 5;
  if (mode === 'whole' && fields !== tokens.length) return undefined;
  const cron = tokens.slice(0, fields).join(' ');
  try {
    CronExpressionParser.parse(cron);
  } catch (err) {
    return { error: `That cron expression does not work: ${(err as Error).message}.` };
  }
  const end = tokens.slice(0, fields).reduce((at, token) => input.indexOf(token, at) + token.length, 0);
  return { when: { kind: 'cron', cron, text: cron }, end };
}

function readRecurring(input: string, context: WhenContext): Read | undefined {
  const hourly = HOURLY.exec(input);
  if (hourly) {
    // "every hour at :15" / "every hour at 15 past"
    const minute = /^\s*(?:at\s+)?(?::(\d{2})|(\d{1,2})\s+(?:minutes?\s+)?past)\b/i.exec(input.slice(hourly[0].length));
    const m = minute ? Number(minute[1] ?? minute[2]) : 0;
    if (m > 59) return { error: 'An hour has 60 minutes; give a minute from :00 to :59.' };
    const end = hourly[0].length + (minute?.[0].length ?? 0);
    return { when: { kind: 'cron', cron: `${m} * * * *`, text: input.slice(0, end).trim() }, end };
  }
  const step = EVERY_N.exec(input);
  if (step) {
    const n = Number(step[1]);
    const minutes = /^m/i.test(step[2] ?? '');
    const allowed = minutes ? MINUTE_STEPS : HOUR_STEPS;
    if (!allowed.has(n)) {
      return {
        error: `Every ${n} ${minutes ? 'minutes' : 'hours'} does not divide the ${minutes ? 'hour' : 'day'} evenly; use one of ${[...allowed].join(', ')}, or a cron expression.`,
      };
    }
    const cron = minutes ? `*/${n} * * * *` : `0 */${n} * * *`;
    return { when: { kind: 'cron', cron, text: step[0].trim() }, end: step[0].length };
  }
  for (const { re, fields } of RECURRING) {
    const m = re.exec(input);
    if (!m) continue;
    const days = fields(m);
    if (typeof days === 'string') return { error: days };
    const time = readTimeOfDay(input, m[0].length, context);
    if ('error' in time) return time;
    const cron = `${time.minute} ${time.hour} ${days.dom} * ${days.dow}`;
    return { when: { kind: 'cron', cron, text: input.slice(0, time.end).trim() }, end: time.end };
  }
  return undefined;
}

/** The time of day right after `from` ("at 8", "9am", "08:00", "at noon"); 09:00 when none is given. */
function readTimeOfDay(
  input: string,
  from: number,
  context: WhenContext,
): { hour: number; minute: number; end: number } | { error: string } {
  const after = input.slice(from);
  const lead = /^[\s,]*/.exec(after)?.[0].length ?? 0;
  const text = after.slice(lead);
  const [result] = chrono.parse(text, reference(context));
  const starts = result !== undefined && (result.index === 0 || /^at\s+$/i.test(text.slice(0, result.index)));
  if (
    !result ||
    !starts ||
    !result.start.isCertain('hour') ||
    result.start.isCertain('day') ||
    result.tags().has('result/relativeDate')
  ) {
    if (/^at\b/i.test(text))
      return { error: `I could not read the time in "${text.trim()}"; write it like 08:00 or 9am.` };
    return { ...DEFAULT_TIME, end: from };
  }
  return {
    hour: result.start.get('hour') ?? 0,
    minute: result.start.get('minute') ?? 0,
    end: from + lead + result.index + result.text.length,
  };
}

function readOnce(input: string, context: WhenContext): Read {
  const lead = FILLER.exec(input)?.[0].length ?? 0;
  const [result] = chrono.parse(input.slice(lead), reference(context), { forwardDate: true });
  if (!result || result.index !== 0) {
    return {
      error: `I could not read a time in "${input}". Try "in 3 days", "tomorrow at 9", "on 12 Jan", "every weekday at 8:00" or a cron expression such as 0 8 * * 1-5.`,
    };
  }
  const once = onceFrom(result, context);
  return 'error' in once ? once : { when: once.when, end: lead + result.text.length };
}

const TIME_OF_DAY = /^casualReference\/(?:morning|afternoon|evening|noon|midnight|tonight|night)$/;

/** The instant of a chrono result, in the operator's zone; a time already past is refused. */
function onceFrom(result: chrono.ParsedResult, context: WhenContext): { when: When } | { error: string } {
  const tags = result.tags();
  let at: DateTime;
  if (tags.has('result/relativeDateAndTime')) {
    // "in 90 minutes": a duration from now, whatever the wall clock does meanwhile.
    at = DateTime.fromJSDate(result.date(), { zone: context.timeZone });
  } else {
    const c = result.start;
    const dayOnly =
      !c.isCertain('hour') && !tags.has('result/relativeDate') && ![...tags].some((t) => TIME_OF_DAY.test(t));
    at = wallClock(
      {
        year: c.get('year') ?? 0,
        month: c.get('month') ?? 1,
        day: c.get('day') ?? 1,
        hour: dayOnly ? DEFAULT_TIME.hour : (c.get('hour') ?? 0),
        minute: dayOnly ? DEFAULT_TIME.minute : (c.get('minute') ?? 0),
        second: dayOnly ? 0 : (c.get('second') ?? 0),
      },
      context.timeZone,
    );
  }
  if (at.toMillis() <= context.now.getTime())
    return {
      error: `${formatInstant(at.toJSDate(), context.timeZone, context.now)} has already passed; give a time in the future.`,
    };
  return { when: { kind: 'once', at: at.toUTC().toISO() ?? at.toJSDate().toISOString(), text: result.text.trim() } };
}

/** A wall-clock time in a zone: a time skipped by a daylight-saving change moves forward; a repeated one is the first. */
export function wallClock(
  fields: { year: number; month: number; day: number; hour: number; minute: number; second?: number },
  zone: string,
): DateTime {
  const dt = DateTime.fromObject(fields, { zone });
  const offsets = dt.getPossibleOffsets();
  return offsets.length > 1 ? offsets.reduce((a, b) => (a.toMillis() <= b.toMillis() ? a : b)) : dt;
}

/** chrono's reference: now, with the zone's current offset (chrono takes offsets, not zone names). */
function reference(context: WhenContext): chrono.ParsingReference {
  return { instant: context.now, timezone: DateTime.fromJSDate(context.now, { zone: context.timeZone }).offset };
}

/** The first time the schedule is due strictly after `after`; null when a one-off's time is not after it. */
export function nextDue(when: When, after: Date, timeZone: string): Date | null {
  if (when.kind === 'once') {
    const at = new Date(when.at);
    return at.getTime() > after.getTime() ? at : null;
  }
  const next = CronExpressionParser.parse(when.cron, { currentDate: after, tz: timeZone }).next().toDate();
  return next.getTime() > after.getTime()
    ? next
    : CronExpressionParser.parse(when.cron, { currentDate: new Date(after.getTime() + 1000), tz: timeZone })
        .next()
        .toDate();
}

/** "Tue 31 Mar 08:00" in the zone (with the year when it is not this year's). */
export function formatInstant(at: Date, timeZone: string, now: Date = at): string {
  const dt = DateTime.fromJSDate(at, { zone: timeZone });
  const sameYear = dt.year === DateTime.fromJSDate(now, { zone: timeZone }).year;
  return dt.toFormat(sameYear ? 'ccc d LLL HH:mm' : 'ccc d LLL yyyy HH:mm');
}

/** How a schedule recurs, for lists: "every weekday at 8:00" or "once, Tue 31 Mar 09:00". */
export function describeWhen(when: When, timeZone: string, now?: Date): string {
  if (when.kind === 'once') return `once, ${formatInstant(new Date(when.at), timeZone, now)}`;
  return when.text === when.cron ? `cron ${when.cron}` : when.text;
}

/** The local calendar day [start, end) that contains `at`, and the day before it, in the zone. */
export function localDay(at: Date, timeZone: string, offsetDays = 0): { start: Date; end: Date; label: string } {
  const day = DateTime.fromJSDate(at, { zone: timeZone }).startOf('day').plus({ days: offsetDays });
  return { start: day.toJSDate(), end: day.plus({ days: 1 }).toJSDate(), label: day.toFormat('ccc d LLL') };
}
