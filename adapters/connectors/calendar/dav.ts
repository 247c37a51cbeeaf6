// Small pieces the CalDAV adapter needs around tsdav: time-range stamps, calendar-query filters, reading what
// tsdav's XML parsing hands back, and turning input checks into the connector's typed error.

import { DateTime } from 'luxon';
import { InputError } from '../../../src/domain/errors.ts';
import { badInput } from './errors.ts';

/** An instant as a CalDAV time-range value: 20260330T070000Z. */
export const stamp = (ms: number): string =>
  new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

/** A calendar-query filter on the calendar's VEVENTs. */
export const vevent = (inner: Record<string, unknown>) => ({
  'comp-filter': { _attributes: { name: 'VCALENDAR' }, 'comp-filter': { _attributes: { name: 'VEVENT' }, ...inner } },
});

/** The calendar-data property of a multistatus response, however the XML parser shaped it. */
export function calendarData(props: Record<string, unknown> | undefined): string | undefined {
  const data = props?.['calendarData'];
  if (typeof data === 'string') return data;
  if (data && typeof data === 'object') {
    const inner = (data as { _cdata?: unknown; _text?: unknown })._cdata ?? (data as { _text?: unknown })._text;
    if (typeof inner === 'string') return inner;
  }
  return undefined;
}

export const etagOf = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined;

/** Checks of input become the connector's own typed error (never retryable). */
export function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof InputError) throw badInput(err.userMessage);
    throw err;
  }
}

/** An occurrence boundary as epoch ms: dates are local midnights in `zone`. */
export function toMillis(value: string, zone: string): number {
  return value.length === 10 ? DateTime.fromISO(value, { zone }).toMillis() : Date.parse(value);
}
