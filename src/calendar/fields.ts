// Event fields checked before anything reaches a calendar server: instants with offsets (kept as UTC), all-day
// dates with an exclusive end, readable text. A patch is merged into the server's current copy here.

import { DateTime } from 'luxon';
import { InputError } from '../domain/errors.ts';
import type { EventInput, EventPatch } from '../ports/calendar.ts';
import { parseInstant } from './slots.ts';

/** A validated event: UTC instants for timed events, ISO dates for all-day ones (end exclusive). */
export interface EventFields {
  title: string;
  allDay: boolean;
  start: string;
  end: string;
  description?: string | undefined;
  location?: string | undefined;
}

const LIMITS = { title: 1000, location: 1000, description: 20_000 } as const;

/** Control characters iCalendar TEXT cannot carry (tabs and line breaks are kept). */
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;

function cleanText(value: string | undefined, field: keyof typeof LIMITS, label: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new InputError(`The event's ${label} must be text.`);
  const cleaned = value.replace(/\r\n?/g, '\n').replace(CONTROL, '');
  if (cleaned.length > LIMITS[field])
    throw new InputError(`The event's ${label} is longer than ${LIMITS[field]} characters.`);
  return cleaned;
}

function date(value: string, label: string): DateTime {
  const parsed = /^\d{4}-\d{2}-\d{2}$/.test(value) ? DateTime.fromISO(value, { zone: 'UTC' }) : undefined;
  if (!parsed?.isValid)
    throw new InputError(
      `The event's ${label} "${value}" is not a date such as 2026-03-30 (all-day events take dates).`,
    );
  return parsed;
}

/** Checks and normalises what a workflow asked for. */
export function normalizeInput(input: EventInput): EventFields {
  const title = cleanText(input.title, 'title', 'title')?.trim();
  if (!title) throw new InputError('The event needs a title.');
  const allDay = input.allDay === true;
  let start: string;
  let end: string;
  if (allDay) {
    const s = date(input.start, 'start');
    const e = date(input.end, 'end');
    if (e <= s)
      throw new InputError(
        'An all-day event must end after the day it starts (the end date is exclusive: one day on the 30th ends on the 31st).',
      );
    start = s.toISODate() as string;
    end = e.toISODate() as string;
  } else {
    const s = parseInstant(input.start, "The event's start");
    const e = parseInstant(input.end, "The event's end");
    if (e <= s) throw new InputError("The event's end must be after its start.");
    start = s.toUTC().toISO() as string;
    end = e.toUTC().toISO() as string;
  }
  return {
    title,
    allDay,
    start,
    end,
    description: cleanText(input.description, 'description', 'description'),
    location: cleanText(input.location, 'location', 'location'),
  };
}

/** The event after `patch`: fields not named stay as they are; a new start alone keeps the event's length. */
export function mergePatch(current: EventFields & { recurring: boolean }, patch: EventPatch): EventFields {
  const movesTime =
    patch.start !== undefined ||
    patch.end !== undefined ||
    (patch.allDay !== undefined && patch.allDay !== current.allDay);
  if (movesTime && current.recurring) {
    throw new InputError(
      'This is a recurring event; change its times in your calendar app (only single events can be moved here).',
    );
  }
  const allDay = patch.allDay ?? current.allDay;
  if (allDay !== current.allDay && (patch.start === undefined || patch.end === undefined)) {
    throw new InputError(`To make the event ${allDay ? 'all-day' : 'timed'}, give both its new start and end.`);
  }
  let end = patch.end ?? current.end;
  if (patch.start !== undefined && patch.end === undefined) {
    // Keep the length: calendar days for all-day events, exact time otherwise.
    if (allDay) {
      const days = date(current.end, 'end').diff(date(current.start, 'start'), 'days').days;
      end = date(patch.start, 'start').plus({ days }).toISODate() as string;
    } else {
      const ms = Date.parse(current.end) - Date.parse(current.start);
      end = parseInstant(patch.start, "The event's start").plus({ milliseconds: ms }).toUTC().toISO() as string;
    }
  }
  const pick = (key: 'description' | 'location'): string | undefined => {
    const value = patch[key];
    return value === null ? undefined : (value ?? current[key]);
  };
  const description = pick('description');
  const location = pick('location');
  return normalizeInput({
    title: patch.title ?? current.title,
    allDay,
    start: patch.start ?? current.start,
    end,
    ...(description === undefined ? {} : { description }),
    ...(location === undefined ? {} : { location }),
  });
}
