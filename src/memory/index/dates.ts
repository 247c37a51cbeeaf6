// Dates for keyword recall: turns "last May", "in March 2025", "on 14 May", "3 weeks ago", "yesterday" in a question
// into the days, months or years they mean (relative to when it is asked), and finds explicit dates in a memory's
// text. Keys are "#2025", "#2025-05", "#2025-05-14": a month key is a prefix of its days, a year key of its months.
// Hand-written rather than chrono-node: chrono reads neither "last May" nor "in 2024", and reads "the week before
// the launch" as last week; here every rule is one line and a phrase that is not a date stays plain words.

const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];
const SHORT = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sept?', 'oct', 'nov', 'dec'];
const MONTH = `(${MONTHS.join('|')}|${SHORT.join('|')})`;
const COUNT: Record<string, number> = {
  a: 1,
  an: 1,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
};
const DAY_MS = 86_400_000;

/** What a date phrase means: keys matched as prefixes ("#2025-05" covers every day of May 2025). */
export interface DateMatch {
  keys: string[];
  /** The phrase as found, e.g. "last may". */
  phrase: string;
}

const pad = (n: number): string => String(n).padStart(2, '0');
const monthIndex = (word: string): number => {
  const w = word.slice(0, 3);
  return SHORT.findIndex((s) => s.startsWith(w));
};
const dayKey = (y: number, m: number, d: number): string => `#${y}-${pad(m + 1)}-${pad(d)}`;
const monthKey = (y: number, m: number): string => `#${y}-${pad(m + 1)}`;
const keyOf = (t: number): string => {
  const d = new Date(t);
  return dayKey(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
};
const days = (from: number, count: number): string[] =>
  Array.from({ length: count }, (_, i) => keyOf(from + i * DAY_MS));
const validDay = (y: number, m: number, d: number): boolean =>
  d >= 1 && d <= new Date(Date.UTC(y, m + 1, 0)).getUTCDate();

/** The latest (year of) month `m` at or before the month of `now`; `strict` excludes the current month ("last May"). */
function latestMonth(now: Date, m: number, strict: boolean): number {
  const y = now.getUTCFullYear();
  const cur = now.getUTCMonth();
  return m < cur || (m === cur && !strict) ? y : y - 1;
}

type Rule = [RegExp, (m: RegExpExecArray, now: Date) => string[] | undefined];

// Tried in order on lower-cased text; a match blanks its span so later rules do not read it again.
const RULES: Rule[] = [
  [/\b(\d{4})-(\d{2})-(\d{2})\b/g, (m) => [dayKey(+m[1]!, +m[2]! - 1, +m[3]!)]],
  [/\b(\d{4})-(\d{2})\b/g, (m) => (+m[2]! >= 1 && +m[2]! <= 12 ? [monthKey(+m[1]!, +m[2]! - 1)] : undefined)],
  [
    new RegExp(`\\b(\\d{1,2})(?:st|nd|rd|th)?(?: of)? ${MONTH}\\b,?(?: (\\d{4})\\b)?`, 'g'),
    (m, now) => day(+m[1]!, m[2]!, m[3], now),
  ],
  [
    new RegExp(`\\b${MONTH} (\\d{1,2})(?:st|nd|rd|th)?\\b(?:,? (\\d{4})\\b)?`, 'g'),
    (m, now) => day(+m[2]!, m[1]!, m[3], now),
  ],
  [new RegExp(`\\b${MONTH},? (\\d{4})\\b`, 'g'), (m) => [monthKey(+m[2]!, monthIndex(m[1]!))]],
  [
    new RegExp(
      `\\b(last|this|next|in|early|late|mid|during|since|until|through|of|back in|early in|late in) ${MONTH}\\b`,
      'g',
    ),
    (m, now) => qualified(m[1]!, monthIndex(m[2]!), now),
  ],
  [
    /\b(january|february|march|april|june|july|august|september|october|november|december)\b/g,
    (m, now) => qualified('in', monthIndex(m[1]!), now),
  ],
  [
    /\b(\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve) (day|week|month|year)s? ago\b/g,
    (m, now) => ago(m[1]!, m[2]!, now),
  ],
  [/\b(last|this|past) (week|month|year)\b/g, (m, now) => span(m[1]!, m[2]!, now)],
  [/\b(yesterday|today)\b/g, (m, now) => [keyOf(now.getTime() - (m[1] === 'yesterday' ? DAY_MS : 0))]],
  [/\b(?:in|during|since|of|from|back in) ((?:19|20)\d{2})\b/g, (m) => [`#${m[1]}`]],
];

function day(d: number, monthWord: string, year: string | undefined, now: Date): string[] | undefined {
  const m = monthIndex(monthWord);
  if (year !== undefined) return validDay(+year, m, d) ? [dayKey(+year, m, d)] : undefined;
  // No year: the latest such day not after today.
  let y = now.getUTCFullYear();
  if (Date.UTC(y, m, d) > now.getTime()) y--;
  return validDay(y, m, d) ? [dayKey(y, m, d)] : undefined;
}

function qualified(q: string, m: number, now: Date): string[] {
  const y = now.getUTCFullYear();
  if (q === 'this') return [monthKey(y, m)];
  if (q === 'next') return [monthKey(m > now.getUTCMonth() ? y : y + 1, m)];
  return [monthKey(latestMonth(now, m, q === 'last'), m)];
}

function ago(count: string, unit: string, now: Date): string[] | undefined {
  const n = COUNT[count] ?? Number(count);
  if (!(n >= 1 && n <= 400)) return undefined;
  const t = now.getTime();
  if (unit === 'day') return days(t - (n + 1) * DAY_MS, 3);
  if (unit === 'week') return days(t - (7 * n + 3) * DAY_MS, 7);
  if (unit === 'month') {
    const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - n, 1));
    return [monthKey(d.getUTCFullYear(), d.getUTCMonth())];
  }
  return [`#${now.getUTCFullYear() - n}`];
}

function span(which: string, unit: string, now: Date): string[] {
  const t = now.getTime();
  const y = now.getUTCFullYear();
  if (unit === 'week') {
    // Calendar weeks from Monday; "past week" is the last seven days.
    const monday = t - ((now.getUTCDay() + 6) % 7) * DAY_MS;
    if (which === 'this') return days(monday, ((now.getUTCDay() + 6) % 7) + 1);
    return which === 'last' ? days(monday - 7 * DAY_MS, 7) : days(t - 7 * DAY_MS, 8);
  }
  if (unit === 'month') {
    if (which === 'this') return [monthKey(y, now.getUTCMonth())];
    const d = new Date(Date.UTC(y, now.getUTCMonth() - 1, 1));
    return which === 'last' ? [monthKey(d.getUTCFullYear(), d.getUTCMonth())] : days(t - 30 * DAY_MS, 31);
  }
  return [`#${which === 'this' ? y : y - 1}`];
}

/** Date phrases of a lower-cased question, resolved against `now`, and the text with those phrases blanked. */
export function findDates(text: string, now: Date): { matches: DateMatch[]; rest: string } {
  let rest = text;
  const matches: DateMatch[] = [];
  if (!/\d|ago|day|week|month|year|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec/.test(text))
    return { matches, rest };
  for (const [re, resolve] of RULES) {
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(rest)) !== null) {
      const keys = resolve(m, now);
      if (!keys) continue;
      matches.push({ keys, phrase: m[0] });
      rest = rest.slice(0, m.index) + ' '.repeat(m[0].length) + rest.slice(m.index + m[0].length);
    }
  }
  return { matches, rest };
}

/** Explicit dates in a memory's text (ISO days and months, "14 May 2025", "May 2025"): keys to index it under. */
export function explicitDates(text: string): string[] {
  if (!/\d{4}/.test(text)) return [];
  let rest = text.toLowerCase();
  const out = new Set<string>();
  // Only phrases that carry their own year: a memory has no "now" to resolve "last May" or "14 May" against.
  RULES.slice(0, 5).forEach(([re, resolve], i) => {
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(rest)) !== null) {
      if (i !== 0 && i !== 1 && i !== 4 && m[3] === undefined) continue;
      const keys = resolve(m, new Date(0));
      if (!keys) continue;
      for (const k of keys) out.add(k);
      rest = rest.slice(0, m.index) + ' '.repeat(m[0].length) + rest.slice(m.index + m[0].length);
    }
  });
  return [...out];
}
