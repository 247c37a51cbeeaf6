// Booking through the whole app on a real Radicale: /book offers free slots (around what is already on the calendar)
// as buttons, a tap creates exactly one event for that slot, a second tap or a tap on the old offer changes nothing,
// and taps racing each other still make one event. /status shows the calendar's health.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventUidFor } from '../../src/calendar/uid.ts';
import type { SoloApp } from '../../src/main.ts';
import { api, say, startTestApp, type ApiMessage } from '../support/app.ts';
import { OtherApp, vcalendar } from '../support/calendar.ts';
import { makeCalendarFor, radicaleMissing, startRadicale, type Radicale } from '../support/radicale.ts';

const USER = 'ops';
const PASSWORD = 'ops-cal-pw-51b2';

const compact = (iso: string): string => new Date(iso).toISOString().replace(/[-:]|\.\d{3}/g, '');

describe('booking through the app on Radicale', { skip: radicaleMissing }, () => {
  let server: Radicale;
  let other: OtherApp;
  let app: SoloApp;
  let base: string;
  const busyUntil = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000 + 2 * 3_600_000);

  const tap = async (m: ApiMessage | undefined, label: string): Promise<{ status: number; messages: ApiMessage[] }> => {
    const button = m?.buttons.find((b) => b.label.startsWith(label));
    assert.ok(button, `a "${label}" button on: ${m?.text ?? '(none)'}`);
    const res = await api(base, 'POST', `/api/buttons/${encodeURIComponent(button.id)}`);
    return { status: res.status, messages: res.body.messages ?? [] };
  };
  const mine = async (): Promise<string[]> => (await other.resources()).filter((r) => r.startsWith('solo-'));

  before(async () => {
    server = await startRadicale({ [USER]: PASSWORD });
    const url = await makeCalendarFor(server, USER, PASSWORD);
    other = new OtherApp(url, USER, PASSWORD);
    // Something already on the calendar from now until two hours past the next full hour.
    assert.equal(
      await other.put(
        'existing.ics',
        vcalendar([
          'UID:existing-1',
          `DTSTART:${compact(new Date().toISOString())}`,
          `DTEND:${compact(busyUntil.toISOString())}`,
          'SUMMARY:Deep work',
        ]),
      ),
      201,
    );
    app = await startTestApp({ CALDAV_URL: url, CALDAV_USERNAME: USER, CALDAV_PASSWORD: PASSWORD });
    base = app.url;
    // Every hour of every day is working time, so the test does not depend on when it runs.
    assert.equal((await say(base, '/book hours'))[0]?.text, 'Slots are offered mon, tue, wed, thu, fri 09:00-17:00.');
    assert.equal(
      (await say(base, '/book hours weekends 9-5'))[0]?.text,
      'Write working hours like /book hours mon-fri 09:00-17:00 (days: mon … sun, ranges or lists).',
    );
    assert.equal(
      (await say(base, '/book hours mon-sun 00:00-24:00'))[0]?.text,
      'Slots will be offered mon, tue, wed, thu, fri, sat, sun 00:00-24:00.',
    );
  });
  after(async () => {
    await app?.stop();
    await server?.stop();
  });

  test('/status shows the calendar; /book offers free slots after what is already booked', async () => {
    assert.match(
      (await say(base, '/status'))[0]?.text ?? '',
      /\nCalendar: CalDAV ops at 127\.0\.0\.1:\d+\/ops\/work\/: ok \(\d+ ms\)/,
    );
    const [offer] = await say(base, '/book 45 Intro call with Acme');
    assert.match(offer?.text ?? '', /^Pick a time for "Intro call with Acme" \(45 min, [\w/+-]+\):\n1\. /);
    assert.deepEqual(
      offer?.buttons.map((b) => b.label.replace(/^(\d\.).*/, '$1')),
      ['1.', '2.', '3.', '4.', '5.', 'None of these'],
    );
    const run = (await app.store.runs.list({ limit: 1 }))[0];
    const slots = (
      (await app.store.runs.steps(run?.id ?? '')).find((s) => s.stepId === 'slots')?.result as {
        slots: { start: string; end: string }[];
      }
    ).slots;
    assert.equal(slots.length, 5);
    assert.ok(
      new Date(slots[0]!.start).getTime() >= busyUntil.getTime(),
      'the first slot starts after the existing event',
    );
    for (const s of slots) assert.equal(new Date(s.end).getTime() - new Date(s.start).getTime(), 45 * 60_000);

    const booked = await tap(offer, '2.');
    assert.equal(booked.status, 200);
    assert.match(
      booked.messages.at(-1)?.text ?? '',
      /^Booked "Intro call with Acme": \w{3} \d+ \w{3} \d{2}:\d{2}–\d{2}:\d{2} \(/,
    );
    const uid = eventUidFor(`${run?.id ?? ''}:event`);
    assert.deepEqual(await mine(), [`${uid}.ics`], 'exactly one event, named by the step key');
    const ics = (await other.get(`${uid}.ics`)).ics;
    assert.match(ics, /SUMMARY:Intro call with Acme/);
    const event = await app.connectors.calendar?.get(uid);
    assert.deepEqual(
      [event?.start, event?.end],
      [new Date(slots[1]!.start).toISOString(), new Date(slots[1]!.end).toISOString()],
      `the event is at the second slot:\n${ics}`,
    );

    const late = await tap(offer, '1.');
    assert.equal(late.messages[0]?.text, 'That choice is no longer open.');
    assert.deepEqual(await mine(), [`${uid}.ics`], 'a tap on the old offer books nothing');
  });

  test('two taps racing on one offer make one event; "None of these" books nothing', async () => {
    const [offer] = await say(base, '/book Review with Globex');
    const results = await Promise.all([tap(offer, '1.'), tap(offer, '3.')]);
    await app.engine.idle();
    const texts = results.flatMap((r) => r.messages.map((m) => m.text));
    assert.equal(texts.filter((t) => t.startsWith('Booked "Review with Globex"')).length, 1, texts.join(' | '));
    assert.equal((await mine()).length, 2, 'one more event, not two');

    const [third] = await say(base, '/book Lunch');
    const none = await tap(third, 'None of these');
    assert.equal(none.messages.at(-1)?.text, 'Nothing booked for "Lunch".');
    assert.equal((await mine()).length, 2);
  });
});
