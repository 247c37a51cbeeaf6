// Free-slot logic on its own: working hours in the operator's zone across DST changes, busy intervals, steps,
// buffers, counts, and one-sentence refusals of bad queries.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findFreeSlots, mergeIntervals } from '../../src/calendar/slots.ts';
import { InputError } from '../../src/domain/errors.ts';
import type { FreeSlotQuery } from '../../src/ports/calendar.ts';

const WEEKDAYS = { days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' };
const query = (over: Partial<FreeSlotQuery> = {}): FreeSlotQuery => ({
  from: '2026-03-23T00:00:00+01:00',
  to: '2026-04-04T00:00:00+02:00',
  durationMinutes: 60,
  workingHours: WEEKDAYS,
  timeZone: 'Europe/Berlin',
  count: 100,
  ...over,
});
const utc = (iso: string) => new Date(iso).toISOString();

test('working hours stay 09:00-17:00 on the wall clock across the spring DST change in Berlin', () => {
  const slots = findFreeSlots([], query());
  const byDay = new Map<string, string[]>();
  for (const s of slots)
    byDay.set(s.start.slice(0, 10), [...(byDay.get(s.start.slice(0, 10)) ?? []), s.start.slice(11)]);
  assert.deepEqual(
    [...byDay.keys()],
    [
      '2026-03-23',
      '2026-03-24',
      '2026-03-25',
      '2026-03-26',
      '2026-03-27',
      '2026-03-30',
      '2026-03-31',
      '2026-04-01',
      '2026-04-02',
      '2026-04-03',
    ],
  );
  for (const starts of byDay.values()) assert.equal(starts.length, 8, 'eight one-hour slots between 09:00 and 17:00');
  // Before the change 09:00 is 08:00 UTC; after it, 07:00 UTC.
  assert.equal(slots[0]?.start, '2026-03-23T09:00:00+01:00');
  assert.equal(utc(slots[0]?.start ?? ''), '2026-03-23T08:00:00.000Z');
  const monday = slots.find((s) => s.start.startsWith('2026-03-30'));
  assert.equal(monday?.start, '2026-03-30T09:00:00+02:00');
  assert.equal(utc(monday?.start ?? ''), '2026-03-30T07:00:00.000Z');
  assert.equal(slots.at(-1)?.end, '2026-04-03T17:00:00+02:00');
});

test('and across the autumn change: 09:00 is 07:00 UTC on Friday and 08:00 UTC on Monday', () => {
  const slots = findFreeSlots(
    [],
    query({ from: '2026-10-23T00:00:00+02:00', to: '2026-10-27T00:00:00+01:00', count: 100 }),
  );
  const firsts = slots
    .filter((s) => s.start.endsWith('T09:00:00+02:00') || s.start.endsWith('T09:00:00+01:00'))
    .map((s) => utc(s.start));
  assert.deepEqual(firsts, ['2026-10-23T07:00:00.000Z', '2026-10-26T08:00:00.000Z']);
});

test('busy intervals push slots to the grid after them; slots never overlap each other or a busy time', () => {
  const busy = [
    { start: '2026-03-23T09:30:00+01:00', end: '2026-03-23T10:10:00+01:00' },
    { start: '2026-03-23T11:10:00+01:00', end: '2026-03-23T16:30:00+01:00' },
  ];
  const slots = findFreeSlots(busy, query({ to: '2026-03-24T00:00:00+01:00' }));
  // 09:00-10:00 collides with 09:30; the grid after 10:10 is 10:30, but 10:30-11:30 collides with 11:10; after 16:30
  // only 30 minutes are left before 17:00. So: no slot at all that day.
  assert.deepEqual(slots, []);
  const shorter = findFreeSlots(busy, query({ to: '2026-03-24T00:00:00+01:00', durationMinutes: 30 }));
  assert.deepEqual(
    shorter.map((s) => s.start.slice(11, 16)),
    ['09:00', '10:30', '16:30'],
  );
});

test('step and buffer: a 45-minute slot on a 15-minute grid with 15 minutes kept free around meetings', () => {
  const busy = [{ start: '2026-03-23T10:00:00Z', end: '2026-03-23T11:00:00Z' }]; // 11:00-12:00 in Berlin
  const slots = findFreeSlots(
    busy,
    query({ to: '2026-03-24T00:00:00+01:00', durationMinutes: 45, stepMinutes: 15, bufferMinutes: 15, count: 3 }),
  );
  assert.deepEqual(
    slots.map((s) => `${s.start.slice(11, 16)}-${s.end.slice(11, 16)}`),
    ['09:00-09:45', '09:45-10:30', '12:15-13:00'],
  );
});

test('a search starting mid-morning starts on the next grid point, and count limits the answer', () => {
  const slots = findFreeSlots([], query({ from: '2026-03-23T10:07:00+01:00', count: 2 }));
  assert.deepEqual(slots, [
    { start: '2026-03-23T10:30:00+01:00', end: '2026-03-23T11:30:00+01:00' },
    { start: '2026-03-23T11:30:00+01:00', end: '2026-03-23T12:30:00+01:00' },
  ]);
});

test('weekends and other zones: Saturday hours in New York', () => {
  const slots = findFreeSlots(
    [],
    query({ timeZone: 'America/New_York', workingHours: { days: [6], start: '10:00', end: '12:00' }, count: 10 }),
  );
  assert.deepEqual(
    slots.map((s) => s.start),
    ['2026-03-28T10:00:00-04:00', '2026-03-28T11:00:00-04:00'],
  );
});

test('mergeIntervals joins overlapping and touching intervals and widens by the pad', () => {
  assert.deepEqual(
    mergeIntervals([
      { start: 5, end: 7 },
      { start: 1, end: 3 },
      { start: 3, end: 4 },
      { start: 6, end: 9 },
    ]),
    [
      { start: 1, end: 4 },
      { start: 5, end: 9 },
    ],
  );
  assert.deepEqual(
    mergeIntervals(
      [
        { start: 10, end: 20 },
        { start: 24, end: 30 },
      ],
      2,
    ),
    [{ start: 8, end: 32 }],
  );
});

test('bad queries are refused with one sentence', () => {
  const refuse = (over: Partial<FreeSlotQuery>, pattern: RegExp) =>
    assert.throws(
      () => findFreeSlots([], query(over)),
      (err: unknown) => err instanceof InputError && pattern.test(err.userMessage),
    );
  refuse({ timeZone: 'Mars/Olympus' }, /not a time zone name/);
  refuse({ from: '2026-03-23 09:00' }, /not a date and time with an offset/);
  refuse({ to: '2026-03-22T00:00:00Z' }, /must be after its start/);
  refuse({ durationMinutes: 0 }, /at least one minute/);
  refuse({ durationMinutes: 1.5 }, /whole number/);
  refuse({ workingHours: { days: [1], start: '17:00', end: '09:00' } }, /end after they start/);
  refuse({ workingHours: { days: [0], start: '09:00', end: '17:00' } }, /ISO weekdays/);
  refuse({ workingHours: { days: [1], start: '9am', end: '17:00' } }, /not a time such as 09:00/);
  refuse({ to: '2028-03-23T00:00:00Z' }, /at most 366 days/);
});
