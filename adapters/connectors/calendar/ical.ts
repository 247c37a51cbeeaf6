// iCalendar (RFC 5545) for the calendar connector, on ical.js: writing our VEVENTs (escaping and 75-octet folding are
// ical.js's), reading anyone's (TZID via the IANA database or the object's VTIMEZONE, floating times in the
// operator's zone), patching a copy without losing what other apps put in it, and expanding recurrences in a range.

import ICAL from 'ical.js';
import { DateTime, IANAZone } from 'luxon';
import type { EventFields } from '../../../src/calendar/fields.ts';
import type { CalendarEvent, Occurrence } from '../../../src/ports/calendar.ts';

type Component = ICAL.Component;
type Time = ICAL.Time;

const PRODID = '-//Solo OS//Calendar connector//EN';
/** A weekly event from years back expands within this many steps; a minutely one from 1970 does not. */
const MAX_ITERATIONS = 50_000;

const utcTime = (iso: string): Time => ICAL.Time.fromJSDate(new Date(iso), true);
const dateTime = (iso: string): Time => ICAL.Time.fromDateString(iso);

/** A VCALENDAR holding one new VEVENT. */
export function buildCalendar(uid: string, fields: EventFields, now: Date): string {
  const root = new ICAL.Component(['vcalendar', [], []]);
  root.addPropertyWithValue('prodid', PRODID);
  root.addPropertyWithValue('version', '2.0');
  root.addPropertyWithValue('calscale', 'GREGORIAN');
  const vevent = new ICAL.Component('vevent');
  vevent.addPropertyWithValue('uid', uid);
  const stamp = ICAL.Time.fromJSDate(now, true);
  vevent.addPropertyWithValue('dtstamp', stamp);
  vevent.addPropertyWithValue('created', stamp.clone());
  vevent.addPropertyWithValue('last-modified', stamp.clone());
  vevent.addPropertyWithValue('sequence', 0);
  setTimes(vevent, fields);
  vevent.addPropertyWithValue('summary', fields.title);
  if (fields.description !== undefined) vevent.addPropertyWithValue('description', fields.description);
  if (fields.location !== undefined) vevent.addPropertyWithValue('location', fields.location);
  vevent.addPropertyWithValue('status', 'CONFIRMED');
  vevent.addPropertyWithValue('transp', 'OPAQUE');
  root.addSubcomponent(vevent);
  return root.toString() + '\r\n';
}

function setTimes(vevent: Component, fields: EventFields): void {
  for (const name of ['dtstart', 'dtend', 'duration']) vevent.removeAllProperties(name);
  const make = fields.allDay ? dateTime : utcTime;
  vevent.addPropertyWithValue('dtstart', make(fields.start));
  vevent.addPropertyWithValue('dtend', make(fields.end));
}

/** Parses an object resource; throws when it is not iCalendar or holds no VEVENT. */
function parseObject(text: string): { root: Component; master: Component; exceptions: Component[] } {
  const root = new ICAL.Component(ICAL.parse(text) as unknown[]);
  const vevents = root.getAllSubcomponents('vevent');
  const master = vevents.find((v) => !v.hasProperty('recurrence-id')) ?? vevents[0];
  if (!master) throw new Error('no VEVENT in the calendar object');
  return { root, master, exceptions: vevents.filter((v) => v !== master && v.hasProperty('recurrence-id')) };
}

/** luxon checks a zone by building an Intl formatter each time (~0.2 ms): remember the answers. */
const zoneValidity = new Map<string, boolean>();
function validZone(name: string): boolean {
  let valid = zoneValidity.get(name);
  if (valid === undefined) {
    valid = IANAZone.isValidZone(name);
    if (zoneValidity.size < 1000) zoneValidity.set(name, valid);
  }
  return valid;
}

/** The instant a DATE-TIME stands for: IANA TZIDs through luxon, other TZIDs through the object's VTIMEZONE. */
function instantOf(time: Time, tzid: string | undefined, zone: string): DateTime {
  const local = {
    year: time.year,
    month: time.month,
    day: time.day,
    hour: time.hour,
    minute: time.minute,
    second: time.second,
  };
  if (time.isDate) return DateTime.fromObject({ year: time.year, month: time.month, day: time.day }, { zone });
  if (time.zone?.tzid === 'UTC') return DateTime.fromObject(local, { zone: 'UTC' });
  if (tzid) {
    if (validZone(tzid)) return DateTime.fromObject(local, { zone: tzid });
    if (time.zone && time.zone.tzid === tzid && time.zone.component)
      return DateTime.fromSeconds(time.toUnixTime(), { zone: 'UTC' });
    // Old clients prefix IANA names ("/mozilla.org/20050126_1/Europe/Berlin").
    const suffix = /([A-Za-z_]+\/[A-Za-z_+-]+(?:\/[A-Za-z_+-]+)?)$/.exec(tzid)?.[1];
    if (suffix && validZone(suffix)) return DateTime.fromObject(local, { zone: suffix });
  }
  return DateTime.fromObject(local, { zone }); // floating: the operator's wall clock
}

const tzidOf = (component: Component, name: string): string | undefined => {
  const value = component.getFirstProperty(name)?.getParameter('tzid');
  return typeof value === 'string' ? value : undefined;
};

interface Span {
  allDay: boolean;
  /** all-day: local midnight in the zone; timed: the instant. */
  start: DateTime;
  end: DateTime;
}

type Length = { days: number; milliseconds: number };

/** DTSTART..DTEND (or DURATION) of one VEVENT. A missing end is one day for a date, zero length for a time. */
function spanOf(
  vevent: Component,
  zone: string,
  occurrence?: { time: Time; tzid: string | undefined; length: Length },
): Span {
  const dtstart = occurrence?.time ?? (vevent.getFirstPropertyValue('dtstart') as Time | null);
  if (!dtstart) throw new Error('VEVENT without DTSTART');
  const allDay = dtstart.isDate;
  const start = instantOf(dtstart, occurrence ? occurrence.tzid : tzidOf(vevent, 'dtstart'), zone);
  return { allDay, start, end: start.plus(occurrence?.length ?? lengthOf(vevent, zone, allDay)) };
}

/** Epoch ms of a time's wall clock read as UTC: within 14 hours of the truth, and cheap. */
const roughly = (t: Time): number => Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second);
const SLACK = 2 * 24 * 3600_000;

/** An event's length as luxon can add it: whole days as calendar days (DST-proof), the rest as exact time. */
function lengthOf(vevent: Component, zone: string, allDay: boolean): Length {
  const dtstart = vevent.getFirstPropertyValue('dtstart') as Time;
  const dtend = vevent.getFirstPropertyValue('dtend') as Time | null;
  if (dtend) {
    const s = instantOf(dtstart, tzidOf(vevent, 'dtstart'), zone);
    const e = instantOf(dtend, tzidOf(vevent, 'dtend'), zone);
    if (allDay) return { days: Math.max(1, Math.round(e.diff(s, 'days').days)), milliseconds: 0 };
    return { days: 0, milliseconds: Math.max(0, e.toMillis() - s.toMillis()) };
  }
  const duration = vevent.getFirstPropertyValue('duration') as ICAL.Duration | null;
  if (duration) {
    const sign = duration.isNegative ? -1 : 1;
    const days = sign * (duration.weeks * 7 + duration.days);
    const ms = sign * ((duration.hours * 60 + duration.minutes) * 60 + duration.seconds) * 1000;
    return { days: Math.max(0, days), milliseconds: Math.max(0, ms) };
  }
  return { days: allDay ? 1 : 0, milliseconds: 0 };
}

const text = (component: Component, name: string): string | undefined => {
  const value = component.getFirstPropertyValue(name);
  return typeof value === 'string' ? value : undefined;
};

function statusOf(component: Component): CalendarEvent['status'] {
  const status = text(component, 'status')?.toUpperCase();
  return status === 'CANCELLED' ? 'cancelled' : status === 'TENTATIVE' ? 'tentative' : 'confirmed';
}

const show = (span: Span, at: DateTime): string => (span.allDay ? (at.toISODate() ?? '') : (at.toUTC().toISO() ?? ''));

/** The event an object resource holds (its master VEVENT), in the port's shape. */
export function eventFrom(textIcs: string, zone: string, etag?: string): CalendarEvent {
  const { master, exceptions } = parseObject(textIcs);
  const span = spanOf(master, zone);
  const description = text(master, 'description');
  const location = text(master, 'location');
  return {
    uid: text(master, 'uid') ?? '',
    ...(etag === undefined ? {} : { etag }),
    title: text(master, 'summary') ?? '',
    start: show(span, span.start),
    end: show(span, span.end),
    allDay: span.allDay,
    ...(description === undefined ? {} : { description }),
    ...(location === undefined ? {} : { location }),
    status: statusOf(master),
    sequence: Number(master.getFirstPropertyValue('sequence') ?? 0) || 0,
    recurring: ['rrule', 'rdate'].some((p) => master.hasProperty(p)) || exceptions.length > 0,
  };
}

/** The fields of the master VEVENT as EventFields, to merge a patch into. */
export function fieldsOf(
  textIcs: string,
  zone: string,
): EventFields & { recurring: boolean; mark: string | undefined } {
  const event = eventFrom(textIcs, zone);
  const { master } = parseObject(textIcs);
  return {
    title: event.title,
    allDay: event.allDay,
    start: event.start,
    end: event.end,
    description: event.description,
    location: event.location,
    recurring: event.recurring,
    mark: text(master, 'x-solo-update'),
  };
}

/**
 * Writes `next` into the object's master VEVENT, keeping every property and component it does not touch (alarms,
 * attendees, other apps' X- properties, VTIMEZONEs, overridden occurrences). Times are rewritten only when they
 * changed, so another app's TZID stays as it was. Returns undefined when nothing would change.
 */
export function applyFields(
  textIcs: string,
  next: EventFields,
  mark: string,
  zone: string,
  now: Date,
): string | undefined {
  const { root, master } = parseObject(textIcs);
  const before = fieldsOf(textIcs, zone);
  const timesChanged =
    before.allDay !== next.allDay || !sameInstant(before.start, next.start) || !sameInstant(before.end, next.end);
  const textChanged =
    before.title !== next.title || before.description !== next.description || before.location !== next.location;
  if (!timesChanged && !textChanged) return undefined;
  if (timesChanged) {
    setTimes(master, next);
    // RFC 5546: a change of time is a significant change, announced by a higher SEQUENCE.
    master.updatePropertyWithValue('sequence', (Number(master.getFirstPropertyValue('sequence') ?? 0) || 0) + 1);
  }
  master.updatePropertyWithValue('summary', next.title);
  for (const name of ['description', 'location'] as const) {
    if (next[name] === undefined) master.removeAllProperties(name);
    else master.updatePropertyWithValue(name, next[name]);
  }
  const stamp = ICAL.Time.fromJSDate(now, true);
  master.updatePropertyWithValue('dtstamp', stamp);
  master.updatePropertyWithValue('last-modified', stamp.clone());
  master.updatePropertyWithValue('x-solo-update', mark);
  return root.toString() + '\r\n';
}

const sameInstant = (a: string, b: string): boolean =>
  a === b || (a.length > 10 && b.length > 10 && Date.parse(a) === Date.parse(b));

/**
 * Every occurrence of the object's events overlapping [from, to): recurrences expanded by ical.js (RRULE, RDATE,
 * EXDATE, RECURRENCE-ID overrides), cancelled ones left out. All-day and floating times are placed in `zone`.
 */
export function occurrencesIn(textIcs: string, from: number, to: number, zone: string): Occurrence[] {
  const { root } = parseObject(textIcs);
  const byUid = new Map<string, Component[]>();
  for (const vevent of root.getAllSubcomponents('vevent')) {
    const uid = text(vevent, 'uid') ?? '';
    byUid.set(uid, [...(byUid.get(uid) ?? []), vevent]);
  }
  const out: Occurrence[] = [];
  for (const [uid, vevents] of byUid) {
    const master = vevents.find((v) => !v.hasProperty('recurrence-id'));
    const overrides = vevents.filter((v) => v.hasProperty('recurrence-id'));
    const emit = (vevent: Component, span: Span, recurrenceId?: string) => {
      if (statusOf(vevent) === 'cancelled' || span.end.toMillis() <= from || span.start.toMillis() >= to) return;
      if (span.end.toMillis() === span.start.toMillis() && !span.allDay) return; // a point in time takes no time
      const location = text(vevent, 'location');
      out.push({
        uid,
        title: text(vevent, 'summary') ?? '',
        start: show(span, span.start),
        end: show(span, span.end),
        allDay: span.allDay,
        ...(recurrenceId === undefined ? {} : { recurrenceId }),
        busy: text(vevent, 'transp')?.toUpperCase() !== 'TRANSPARENT',
        ...(location === undefined ? {} : { location }),
      });
    };
    if (!master) {
      for (const v of overrides) emit(v, spanOf(v, zone)); // only overridden instances were shared with us
      continue;
    }
    const event = new ICAL.Event(master, { exceptions: overrides });
    if (!event.isRecurring()) {
      emit(master, spanOf(master, zone));
      continue;
    }
    const tzid = tzidOf(master, 'dtstart');
    const first = master.getFirstPropertyValue('dtstart') as Time;
    const length = lengthOf(master, zone, first.isDate);
    const reach = length.days * 24 * 3600_000 + length.milliseconds + SLACK;
    // A THISANDFUTURE exception shifts later occurrences: then every one is placed exactly.
    const shifted = event.rangeExceptions.length > 0;
    const seen = new Set<Component>();
    const iterator = event.iterator();
    for (let i = 0, next = iterator.next(); next && i < MAX_ITERATIONS; i++, next = iterator.next()) {
      // Far before the range: skip without zone arithmetic, the bulk of a long series.
      if (!shifted && roughly(next) + reach < from) continue;
      if (roughly(next) - SLACK >= to) break;
      const original = instantOf(next, tzid, zone);
      if (original.toMillis() >= to) break;
      const details = event.getOccurrenceDetails(next);
      const recurrenceId = show({ allDay: next.isDate, start: original, end: original }, original);
      const item = details.item as ICAL.Event;
      if (item === event) {
        emit(master, spanOf(master, zone, { time: next, tzid, length }), recurrenceId);
      } else {
        seen.add(item.component);
        emit(item.component, spanOf(item.component, zone), recurrenceId);
      }
    }
    // Overrides not met above (their original time was skipped or past the range) may still be moved into it.
    for (const v of overrides) {
      if (seen.has(v)) continue;
      const rid = v.getFirstPropertyValue('recurrence-id') as Time;
      const original = instantOf(rid, tzidOf(v, 'recurrence-id'), zone);
      emit(v, spanOf(v, zone), show({ allDay: rid.isDate, start: original, end: original }, original));
    }
  }
  return out.sort((a, b) => a.start.localeCompare(b.start));
}
