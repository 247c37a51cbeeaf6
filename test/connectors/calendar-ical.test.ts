// iCalendar text on its own: what we write (CRLF, 75-octet folding that never splits a character, TEXT escaping)
// reads back the same; patches keep what other apps put in an event; other apps' time zones read correctly.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  applyFields,
  buildCalendar,
  eventFrom,
  fieldsOf,
  occurrencesIn,
} from '../../adapters/connectors/calendar/ical.ts';
import { mergePatch, normalizeInput } from '../../src/calendar/fields.ts';
import { eventUidFor, updateMarkFor } from '../../src/calendar/uid.ts';
import { InputError } from '../../src/domain/errors.ts';

const NOW = new Date('2026-03-01T12:00:00Z');
const ZONE = 'Europe/Berlin';

test('what we write is RFC 5545 text: CRLF lines of at most 75 octets, folded between characters, escaped', () => {
  const description = 'Agenda; budget, scope\\ risks\nSecond line: Grüße 👋 ' + 'ä'.repeat(60) + ' 🎉'.repeat(20);
  const fields = normalizeInput({
    title: 'Call with Acme, Inc.; kickoff',
    start: '2026-03-30T09:00:00+02:00',
    end: '2026-03-30T10:30:00+02:00',
    description,
    location: 'Room 1, Floor 2',
  });
  const ics = buildCalendar('solo-abc', fields, NOW);
  assert.ok(ics.endsWith('\r\n'));
  assert.ok(!/[^\r]\n/.test(ics), 'every line ends in CRLF');
  const lines = ics.split('\r\n').slice(0, -1);
  for (const line of lines) assert.ok(Buffer.byteLength(line) <= 75, `${Buffer.byteLength(line)} octets: ${line}`);
  assert.ok(
    lines.some((l) => l.startsWith(' ')),
    'long lines are folded',
  );
  // Unfolded, every physical line is valid UTF-8 on its own: no character was cut in two.
  for (const line of lines) assert.equal(Buffer.from(line, 'utf8').toString('utf8'), line);
  const unfolded = ics.replace(/\r\n /g, '');
  assert.match(unfolded, /\r\nSUMMARY:Call with Acme\\, Inc\.\\; kickoff\r\n/);
  assert.match(unfolded, /\r\nDESCRIPTION:Agenda\\; budget\\, scope\\\\ risks\\nSecond line: Grüße 👋 /);
  assert.match(unfolded, /\r\nDTSTART:20260330T070000Z\r\nDTEND:20260330T083000Z\r\n/);
  assert.match(unfolded, /\r\nUID:solo-abc\r\n/);
  assert.match(unfolded, /\r\nDTSTAMP:20260301T120000Z\r\n/);

  const back = eventFrom(ics, ZONE);
  assert.equal(back.title, 'Call with Acme, Inc.; kickoff');
  assert.equal(back.description, description);
  assert.equal(back.location, 'Room 1, Floor 2');
  assert.equal(back.start, '2026-03-30T07:00:00.000Z');
  assert.equal(back.end, '2026-03-30T08:30:00.000Z');
  assert.equal(back.status, 'confirmed');
  assert.equal(back.recurring, false);
});

test('all-day events are written as dates with an exclusive end', () => {
  const ics = buildCalendar(
    'solo-day',
    normalizeInput({ title: 'Offsite', allDay: true, start: '2026-03-24', end: '2026-03-26' }),
    NOW,
  );
  assert.match(ics, /\r\nDTSTART;VALUE=DATE:20260324\r\nDTEND;VALUE=DATE:20260326\r\n/);
  const event = eventFrom(ics, ZONE);
  assert.deepEqual([event.allDay, event.start, event.end], [true, '2026-03-24', '2026-03-26']);
  const occ = occurrencesIn(ics, Date.parse('2026-03-20T00:00:00Z'), Date.parse('2026-03-30T00:00:00Z'), ZONE);
  assert.deepEqual(
    occ.map((o) => [o.start, o.end, o.busy]),
    [['2026-03-24', '2026-03-26', true]],
  );
});

test('bad event input gets one sentence', () => {
  const refuse = (input: Parameters<typeof normalizeInput>[0], pattern: RegExp) =>
    assert.throws(
      () => normalizeInput(input),
      (err: unknown) => err instanceof InputError && pattern.test(err.userMessage),
    );
  refuse({ title: ' ', start: '2026-03-30T09:00:00Z', end: '2026-03-30T10:00:00Z' }, /needs a title/);
  refuse({ title: 'x', start: '2026-03-30T09:00:00', end: '2026-03-30T10:00:00Z' }, /with an offset/);
  refuse({ title: 'x', start: '2026-03-30T10:00:00Z', end: '2026-03-30T10:00:00Z' }, /end must be after its start/);
  refuse({ title: 'x', allDay: true, start: '2026-03-30', end: '2026-03-30' }, /exclusive/);
  refuse({ title: 'x', allDay: true, start: '2026-03-30T00:00:00Z', end: '2026-03-31' }, /all-day events take dates/);
  // Control characters that iCalendar cannot carry are dropped, line breaks kept.
  assert.equal(
    normalizeInput({
      title: 'a\u0000b',
      start: '2026-03-30T09:00:00Z',
      end: '2026-03-30T10:00:00Z',
      description: 'x\r\ny\u0007',
    }).description,
    'x\ny',
  );
});

const FOREIGN = [
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'PRODID:-//Microsoft Corporation//Outlook 16.0//EN',
  'BEGIN:VTIMEZONE',
  'TZID:W. Europe Standard Time',
  'BEGIN:STANDARD',
  'DTSTART:16011028T030000',
  'RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10',
  'TZOFFSETFROM:+0200',
  'TZOFFSETTO:+0100',
  'END:STANDARD',
  'BEGIN:DAYLIGHT',
  'DTSTART:16010325T020000',
  'RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3',
  'TZOFFSETFROM:+0100',
  'TZOFFSETTO:+0200',
  'END:DAYLIGHT',
  'END:VTIMEZONE',
  'BEGIN:VEVENT',
  'UID:outlook-1',
  'DTSTAMP:20260301T000000Z',
  'DTSTART;TZID=W. Europe Standard Time:20260331T093000',
  'DTEND;TZID=W. Europe Standard Time:20260331T103000',
  'SUMMARY:Board meeting',
  'LOCATION:HQ',
  'ATTENDEE;CN=Ann;PARTSTAT=ACCEPTED:mailto:ann@example.com',
  'X-MICROSOFT-CDO-BUSYSTATUS:BUSY',
  'BEGIN:VALARM',
  'ACTION:DISPLAY',
  'TRIGGER:-PT15M',
  'DESCRIPTION:Reminder',
  'END:VALARM',
  'END:VEVENT',
  'END:VCALENDAR',
  '',
].join('\r\n');

test("another app's zone: a Windows TZID through its VTIMEZONE, an old Mozilla prefix, a floating time", () => {
  // The fallback zone is New York's, so a TZID read as floating would show up as 13:30Z.
  assert.equal(eventFrom(FOREIGN, 'America/New_York').start, '2026-03-31T07:30:00.000Z'); // 09:30 CEST
  const mozilla = FOREIGN.replaceAll('W. Europe Standard Time', '/mozilla.org/20050126_1/Europe/Berlin').replace(
    /BEGIN:VTIMEZONE[\s\S]*END:VTIMEZONE\r\n/,
    '',
  );
  assert.equal(eventFrom(mozilla, 'America/New_York').start, '2026-03-31T07:30:00.000Z');
  const floating = FOREIGN.replace('DTSTART;TZID=W. Europe Standard Time:', 'DTSTART:').replace(
    'DTEND;TZID=W. Europe Standard Time:',
    'DTEND:',
  );
  assert.equal(eventFrom(floating, 'America/New_York').start, '2026-03-31T13:30:00.000Z'); // 09:30 in New York (EDT)
});

test("a patch changes only what it names and keeps the other app's attendees, alarms, X- properties and TZID", () => {
  const current = fieldsOf(FOREIGN, ZONE);
  const next = mergePatch(current, { title: 'Board meeting (moved room)', location: null });
  const mark = updateMarkFor('run9:rename');
  const patched = applyFields(FOREIGN, next, mark, ZONE, NOW);
  assert.ok(patched);
  const unfolded = patched.replace(/\r\n /g, '');
  for (const kept of [
    'ATTENDEE;CN=Ann;PARTSTAT=ACCEPTED:mailto:ann@example.com',
    'X-MICROSOFT-CDO-BUSYSTATUS:BUSY',
    'BEGIN:VALARM',
    'TRIGGER:-PT15M',
    'DTSTART;TZID=W. Europe Standard Time:20260331T093000',
    'BEGIN:VTIMEZONE',
  ]) {
    assert.ok(unfolded.includes(kept), `kept ${kept}`);
  }
  assert.ok(!unfolded.includes('LOCATION:'), 'a null clears the location');
  assert.match(unfolded, /SUMMARY:Board meeting \(moved room\)/);
  assert.match(unfolded, new RegExp(`X-SOLO-UPDATE:${mark}`));
  assert.equal(eventFrom(patched, ZONE).sequence, 0, 'a text change is not a rescheduling');
  assert.equal(fieldsOf(patched, ZONE).mark, mark);
  // The same patch again changes nothing.
  assert.equal(
    applyFields(
      patched,
      mergePatch(fieldsOf(patched, ZONE), { title: 'Board meeting (moved room)', location: null }),
      mark,
      ZONE,
      NOW,
    ),
    undefined,
  );
});

test('moving an event keeps its length, writes UTC and raises SEQUENCE', () => {
  const moved = applyFields(
    FOREIGN,
    mergePatch(fieldsOf(FOREIGN, ZONE), { start: '2026-04-01T14:00:00+02:00' }),
    'm',
    ZONE,
    NOW,
  );
  assert.ok(moved);
  const event = eventFrom(moved, ZONE);
  assert.deepEqual(
    [event.start, event.end, event.sequence],
    ['2026-04-01T12:00:00.000Z', '2026-04-01T13:00:00.000Z', 1],
  );
  assert.throws(
    () => mergePatch({ ...fieldsOf(FOREIGN, ZONE), recurring: true }, { start: '2026-04-01T14:00:00+02:00' }),
    (err: unknown) => err instanceof InputError && /recurring event/.test(err.userMessage),
  );
});

test('UIDs come from the step key: stable, distinct, URL-safe', () => {
  assert.equal(eventUidFor('r1:book'), eventUidFor('r1:book'));
  assert.notEqual(eventUidFor('r1:book'), eventUidFor('r2:book'));
  assert.match(eventUidFor('r1:book'), /^solo-[0-9a-f]{32}$/);
  assert.notEqual(updateMarkFor('r1:book'), eventUidFor('r1:book').slice(5, 29));
});

test('recurrences: a ten-year daily series, and an occurrence moved from before the range into it', () => {
  const vcal = (...lines: string[]) =>
    ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//t//EN', ...lines, 'END:VCALENDAR', ''].join('\r\n');
  const daily = vcal(
    'BEGIN:VEVENT',
    'UID:d',
    'DTSTAMP:20260101T000000Z',
    'DTSTART;TZID=Europe/Berlin:20160302T120000',
    'DTEND;TZID=Europe/Berlin:20160302T130000',
    'RRULE:FREQ=DAILY',
    'END:VEVENT',
  );
  const days = occurrencesIn(daily, Date.parse('2026-03-28T00:00:00Z'), Date.parse('2026-03-31T00:00:00Z'), ZONE);
  assert.deepEqual(
    days.map((o) => o.start),
    ['2026-03-28T11:00:00.000Z', '2026-03-29T10:00:00.000Z', '2026-03-30T10:00:00.000Z'],
  );
  const weekly = vcal(
    'BEGIN:VEVENT',
    'UID:w',
    'DTSTAMP:20260101T000000Z',
    'DTSTART:20160104T090000Z',
    'DTEND:20160104T100000Z',
    'RRULE:FREQ=WEEKLY',
    'SUMMARY:Weekly',
    'END:VEVENT',
    'BEGIN:VEVENT',
    'UID:w',
    'DTSTAMP:20260101T000000Z',
    'RECURRENCE-ID:20260316T090000Z',
    'DTSTART:20260331T150000Z',
    'DTEND:20260331T160000Z',
    'SUMMARY:Moved far',
    'END:VEVENT',
    'BEGIN:VEVENT',
    'UID:w',
    'DTSTAMP:20260101T000000Z',
    'RECURRENCE-ID:20260330T090000Z',
    'STATUS:CANCELLED',
    'DTSTART:20260330T090000Z',
    'DTEND:20260330T100000Z',
    'END:VEVENT',
  );
  const week = occurrencesIn(weekly, Date.parse('2026-03-30T00:00:00Z'), Date.parse('2026-04-07T00:00:00Z'), ZONE);
  assert.deepEqual(
    week.map((o) => [o.title, o.start, o.recurrenceId]),
    [
      ['Moved far', '2026-03-31T15:00:00.000Z', '2026-03-16T09:00:00.000Z'],
      ['Weekly', '2026-04-06T09:00:00.000Z', '2026-04-06T09:00:00.000Z'],
    ],
  );
});
