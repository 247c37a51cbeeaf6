// Busy times and free slots from a real Radicale calendar that other apps filled: a weekly meeting with an
// exception and a moved occurrence, a daily lunch that ends, all-day events (one marked free), a cancelled event,
// UTC, zoned and floating times, across the Berlin DST change on Sunday 2026-03-29.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createCalendarConnector } from '../../adapters/connectors/calendar/index.ts';
import type { CalendarPort } from '../../src/ports/calendar.ts';
import { BERLIN_VTIMEZONE, captureLog, OtherApp, vcalendar } from '../support/calendar.ts';
import { makeCalendarFor, radicaleMissing, startRadicale, type Radicale } from '../support/radicale.ts';

const ZONE = 'Europe/Berlin';
const FROM = '2026-03-23T00:00:00+01:00';
const TO = '2026-04-07T00:00:00+02:00';
const withZone = (...vevents: string[][]) =>
  vcalendar(...vevents).replace('BEGIN:VEVENT', `${BERLIN_VTIMEZONE.join('\r\n')}\r\nBEGIN:VEVENT`);

describe('busy times and free slots on Radicale', { skip: radicaleMissing }, () => {
  let server: Radicale;
  let calendar: CalendarPort;

  before(async () => {
    server = await startRadicale({ ops: 'pw-busy' });
    const url = await makeCalendarFor(server, 'ops', 'pw-busy');
    const other = new OtherApp(url, 'ops', 'pw-busy');
    const put = async (name: string, ics: string) => assert.equal(await other.put(name, ics), 201, name);
    await put(
      'sync.ics',
      withZone(
        [
          'UID:sync-1',
          'SUMMARY:Team sync',
          'DTSTART;TZID=Europe/Berlin:20260105T100000',
          'DTEND;TZID=Europe/Berlin:20260105T110000',
          'RRULE:FREQ=WEEKLY;BYDAY=MO',
          'EXDATE;TZID=Europe/Berlin:20260323T100000',
        ],
        [
          'UID:sync-1',
          'SUMMARY:Team sync (moved)',
          'RECURRENCE-ID;TZID=Europe/Berlin:20260330T100000',
          'DTSTART;TZID=Europe/Berlin:20260330T140000',
          'DTEND;TZID=Europe/Berlin:20260330T150000',
        ],
      ),
    );
    await put(
      'lunch.ics',
      withZone([
        'UID:lunch-1',
        'SUMMARY:Lunch',
        'DTSTART;TZID=Europe/Berlin:20260302T120000',
        'DTEND;TZID=Europe/Berlin:20260302T130000',
        'RRULE:FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR;UNTIL=20260327T235959Z',
      ]),
    );
    await put(
      'offsite.ics',
      vcalendar(['UID:offsite-1', 'SUMMARY:Offsite', 'DTSTART;VALUE=DATE:20260324', 'DTEND;VALUE=DATE:20260325']),
    );
    await put(
      'birthday.ics',
      vcalendar([
        'UID:bday-1',
        "SUMMARY:Mum's birthday",
        'DTSTART;VALUE=DATE:20260325',
        'DTEND;VALUE=DATE:20260326',
        'TRANSP:TRANSPARENT',
        'RRULE:FREQ=YEARLY',
      ]),
    );
    await put(
      'workshop.ics',
      withZone([
        'UID:workshop-1',
        'SUMMARY:Workshop',
        'DTSTART;TZID=Europe/Berlin:20260326T090000',
        'DTEND;TZID=Europe/Berlin:20260326T123000',
      ]),
    );
    await put(
      'standup.ics',
      vcalendar(['UID:standup-1', 'SUMMARY:Standup call', 'DTSTART:20260327T080000Z', 'DTEND:20260327T090000Z']),
    );
    await put('floating.ics', vcalendar(['UID:focus-1', 'SUMMARY:Focus', 'DTSTART:20260327T150000', 'DURATION:PT1H']));
    await put(
      'cancelled.ics',
      vcalendar([
        'UID:allhands-1',
        'SUMMARY:All-hands',
        'STATUS:CANCELLED',
        'DTSTART:20260323T080000Z',
        'DTEND:20260323T160000Z',
      ]),
    );
    const made = await createCalendarConnector(
      { CALDAV_URL: url, CALDAV_USERNAME: 'ops', CALDAV_PASSWORD: 'pw-busy', CALDAV_CALENDAR: undefined },
      (await captureLog()).logger,
      { timeZone: ZONE },
    );
    assert.ok(made);
    calendar = made;
    await calendar.create(
      { title: 'Acme call', start: '2026-03-31T13:00:00+02:00', end: '2026-03-31T14:00:00+02:00' },
      { idempotencyKey: 'run-busy:book' },
    );
  });
  after(async () => {
    await calendar?.close();
    await server?.stop();
  });

  test('busy() lists exactly the times taken: recurrences expanded, exceptions honoured, free and cancelled events left out', async () => {
    const busy = await calendar.busy({ from: FROM, to: TO, timeZone: ZONE });
    const shown = busy.map((b) => `${b.start.slice(0, 16)}-${b.end.slice(11, 16)} ${b.uid}`);
    assert.deepEqual(shown, [
      '2026-03-23T11:00-12:00 lunch-1', // Monday: the sync is EXDATEd, the all-hands cancelled
      '2026-03-23T23:00-23:00 offsite-1', // Tuesday all day in Berlin: 23:00Z to 23:00Z
      '2026-03-24T11:00-12:00 lunch-1',
      '2026-03-25T11:00-12:00 lunch-1', // the birthday is marked free
      '2026-03-26T08:00-11:30 workshop-1',
      '2026-03-26T11:00-12:00 lunch-1',
      '2026-03-27T08:00-09:00 standup-1',
      '2026-03-27T11:00-12:00 lunch-1', // lunch ends with this Friday (UNTIL)
      '2026-03-27T14:00-15:00 focus-1', // floating 15:00 is Berlin's wall clock
      '2026-03-30T12:00-13:00 sync-1', // after the DST change; this one was moved to 14:00 CEST
      '2026-03-31T11:00-12:00 solo-' + busy.find((b) => b.uid.startsWith('solo-'))?.uid.slice(5),
      '2026-04-06T08:00-09:00 sync-1', // 10:00 CEST is 08:00 UTC (it was 09:00 UTC in January)
    ]);
    assert.equal(busy.find((b) => b.uid === 'offsite-1')?.end, '2026-03-24T23:00:00.000Z');
  });

  test('list() shows each occurrence of a recurring event with its recurrence id and title', async () => {
    const list = await calendar.list({
      from: '2026-03-30T00:00:00+02:00',
      to: '2026-04-07T00:00:00+02:00',
      timeZone: ZONE,
    });
    const syncs = list.filter((o) => o.uid === 'sync-1');
    assert.deepEqual(
      syncs.map((o) => [o.title, o.start, o.recurrenceId]),
      [
        ['Team sync (moved)', '2026-03-30T12:00:00.000Z', '2026-03-30T08:00:00.000Z'],
        ['Team sync', '2026-04-06T08:00:00.000Z', '2026-04-06T08:00:00.000Z'],
      ],
    );
    const bday = list.find((o) => o.uid === 'bday-1');
    assert.equal(bday, undefined, 'the yearly birthday is not in this range');
    const wholeWeek = await calendar.list({ from: FROM, to: TO, timeZone: ZONE });
    assert.deepEqual(
      wholeWeek.filter((o) => o.uid === 'bday-1').map((o) => [o.start, o.end, o.allDay, o.busy]),
      [['2026-03-25', '2026-03-26', true, false]],
    );
  });

  test('an all-day event just past a range edge in UTC is still found (the query is widened, then cut exactly)', async () => {
    // Up to 00:30 on Tuesday in Berlin, which is still Monday in UTC: the offsite has begun.
    const busy = await calendar.busy({ from: '2026-03-23T20:00:00Z', to: '2026-03-23T23:30:00Z', timeZone: ZONE });
    assert.deepEqual(
      busy.map((b) => b.uid),
      ['offsite-1'],
    );
    // In New York the same all-day event is another 24 hours.
    const ny = await calendar.busy({
      from: '2026-03-24T00:00:00Z',
      to: '2026-03-26T00:00:00Z',
      timeZone: 'America/New_York',
    });
    assert.deepEqual(
      ny.filter((b) => b.uid === 'offsite-1').map((b) => [b.start, b.end]),
      [['2026-03-24T04:00:00.000Z', '2026-03-25T04:00:00.000Z']],
    );
  });

  test('free slots: Mon-Fri 09:00-17:00 in Berlin around all of it, DST-correct', async () => {
    const slots = await calendar.freeSlots({
      from: FROM,
      to: TO,
      durationMinutes: 60,
      workingHours: { days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' },
      timeZone: ZONE,
      count: 100,
    });
    const byDay: Record<string, string[]> = {};
    for (const s of slots) (byDay[s.start.slice(0, 10)] ??= []).push(`${s.start.slice(11, 16)}${s.start.slice(19)}`);
    const hours = (offset: string, ...h: number[]) => h.map((x) => `${String(x).padStart(2, '0')}:00${offset}`);
    assert.deepEqual(byDay, {
      '2026-03-23': hours('+01:00', 9, 10, 11, 13, 14, 15, 16),
      // Tuesday the 24th: the offsite takes the whole day.
      '2026-03-25': hours('+01:00', 9, 10, 11, 13, 14, 15, 16),
      '2026-03-26': hours('+01:00', 13, 14, 15, 16),
      '2026-03-27': hours('+01:00', 10, 11, 13, 14, 16),
      '2026-03-30': hours('+02:00', 9, 10, 11, 12, 13, 15, 16),
      '2026-03-31': hours('+02:00', 9, 10, 11, 12, 14, 15, 16),
      '2026-04-01': hours('+02:00', 9, 10, 11, 12, 13, 14, 15, 16),
      '2026-04-02': hours('+02:00', 9, 10, 11, 12, 13, 14, 15, 16),
      '2026-04-03': hours('+02:00', 9, 10, 11, 12, 13, 14, 15, 16),
      '2026-04-06': hours('+02:00', 9, 11, 12, 13, 14, 15, 16),
    });
    const firstThree = await calendar.freeSlots({
      from: '2026-03-26T00:00:00+01:00',
      to: TO,
      durationMinutes: 90,
      workingHours: { days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' },
      timeZone: ZONE,
      count: 3,
    });
    assert.deepEqual(firstThree, [
      { start: '2026-03-26T13:00:00+01:00', end: '2026-03-26T14:30:00+01:00' },
      { start: '2026-03-26T14:30:00+01:00', end: '2026-03-26T16:00:00+01:00' },
      { start: '2026-03-27T10:00:00+01:00', end: '2026-03-27T11:30:00+01:00' },
    ]);
  });
});
