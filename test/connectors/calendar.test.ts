// The calendar connector against a real Radicale: one event per step key however often the step runs, updates that
// re-read instead of overwriting another app's change, cancels that can be repeated, and typed errors.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CalDavCalendar } from '../../adapters/connectors/calendar/caldav.ts';
import { CalendarError } from '../../adapters/connectors/calendar/errors.ts';
import { createCalendarConnector } from '../../adapters/connectors/calendar/index.ts';
import { eventUidFor } from '../../src/calendar/uid.ts';
import type { CalendarPort, EventInput } from '../../src/ports/calendar.ts';
import { captureLog, OtherApp, vcalendar, type CapturedLog } from '../support/calendar.ts';
import { freePort, makeCalendarFor, radicaleMissing, startRadicale, type Radicale } from '../support/radicale.ts';

const USER = 'ops';
const PASSWORD = 'ops-secret-pw-7f3a';
const ZONE = 'Europe/Berlin';
const meeting = (title = 'Call with Acme'): EventInput => ({
  title,
  start: '2026-03-30T09:00:00+02:00',
  end: '2026-03-30T10:00:00+02:00',
  location: 'Video',
});

describe('calendar connector on Radicale', { skip: radicaleMissing }, () => {
  let server: Radicale;
  let url: string;
  let other: OtherApp;
  let log: CapturedLog;
  let calendar: CalendarPort;

  const connector = async (
    overrides: Partial<ConstructorParameters<typeof CalDavCalendar>[0]> = {},
  ): Promise<CalDavCalendar> =>
    new CalDavCalendar({ url, username: USER, password: PASSWORD, timeZone: ZONE, ...overrides }, log.logger);

  before(async () => {
    server = await startRadicale({ [USER]: PASSWORD });
    url = await makeCalendarFor(server, USER, PASSWORD);
    other = new OtherApp(url, USER, PASSWORD);
    log = await captureLog();
    const made = await createCalendarConnector(
      { CALDAV_URL: url, CALDAV_USERNAME: USER, CALDAV_PASSWORD: PASSWORD, CALDAV_CALENDAR: undefined },
      log.logger,
      { timeZone: ZONE },
    );
    assert.ok(made);
    calendar = made;
  });
  after(async () => {
    await calendar?.close();
    await server?.stop();
  });

  test('create puts the event on the server once; the same key again is recognised, not duplicated', async () => {
    const first = await calendar.create(meeting(), { idempotencyKey: 'run-a:book' });
    assert.equal(first.created, true);
    assert.equal(first.uid, eventUidFor('run-a:book'));
    assert.deepEqual(
      [first.title, first.start, first.end, first.location],
      ['Call with Acme', '2026-03-30T07:00:00.000Z', '2026-03-30T08:00:00.000Z', 'Video'],
    );
    assert.ok(first.etag);

    // The step runs again: in this process, and in a new one that knows nothing (a restart after a crash).
    const again = await calendar.create(meeting(), { idempotencyKey: 'run-a:book' });
    const fresh = await connector();
    const afterRestart = await fresh.create(meeting('A different title on the replay'), {
      idempotencyKey: 'run-a:book',
    });
    for (const repeat of [again, afterRestart]) {
      assert.equal(repeat.created, false);
      assert.equal(repeat.uid, first.uid);
      assert.equal(repeat.title, 'Call with Acme', 'the event that is there is returned as it is');
    }
    const mine = (await other.resources()).filter((r) => r === `${first.uid}.ics`);
    assert.equal(mine.length, 1);
    const list = await calendar.list({ from: '2026-03-30T00:00:00+02:00', to: '2026-03-31T00:00:00+02:00' });
    assert.equal(list.filter((o) => o.uid === first.uid).length, 1);

    const second = await calendar.create(meeting(), { idempotencyKey: 'run-b:book' });
    assert.equal(second.created, true);
    assert.notEqual(second.uid, first.uid, 'another key is another event');
  });

  test("a stale update is re-read and merged: the other app's change is kept, ours applied", async () => {
    const event = await calendar.create(meeting(), { idempotencyKey: 'run-c:book' });
    // Another app edits the location after our create, so the connector's ETag is now stale.
    await other.edit(`${event.uid}.ics`, (ics) => ics.replace('LOCATION:Video', 'LOCATION:Acme HQ\\, Room 4'));
    const before = log
      .text()
      .split('\n')
      .filter((l) => l.includes('changed meanwhile')).length;
    const updated = await calendar.update(
      event.uid,
      { title: 'Kickoff with Acme' },
      { idempotencyKey: 'run-c:rename' },
    );
    assert.equal(updated.title, 'Kickoff with Acme');
    assert.equal(updated.location, 'Acme HQ, Room 4');
    assert.equal(
      log
        .text()
        .split('\n')
        .filter((l) => l.includes('changed meanwhile')).length,
      before + 1,
      'exactly one 412 and re-read',
    );
    const onServer = await calendar.get(event.uid);
    assert.deepEqual([onServer?.title, onServer?.location], ['Kickoff with Acme', 'Acme HQ, Room 4']);
  });

  test('another app changing the event between our read and our write, twice, still ends with both changes', async () => {
    const event = await calendar.create(meeting(), { idempotencyKey: 'run-d:book' });
    let interleaved = 0;
    // This client's fetch lets the other app edit the event right before each of our conditional PUTs, twice.
    const racing = await connector({
      fetch: async (input, init) => {
        const headers = new Headers(init?.headers);
        if (init?.method === 'PUT' && headers.has('if-match') && interleaved < 2) {
          interleaved++;
          await other.edit(`${event.uid}.ics`, (ics) =>
            ics.replace(/DESCRIPTION:[^\r]*\r\n|(?=SUMMARY:)/, `DESCRIPTION:edited elsewhere ${interleaved}\r\n`),
          );
        }
        return fetch(input, init);
      },
    });
    const updated = await racing.update(
      event.uid,
      { start: '2026-03-30T11:00:00+02:00' },
      { idempotencyKey: 'run-d:move' },
    );
    assert.equal(interleaved, 2);
    assert.deepEqual(
      [updated.start, updated.end, updated.description],
      ['2026-03-30T09:00:00.000Z', '2026-03-30T10:00:00.000Z', 'edited elsewhere 2'],
    );
    assert.equal(updated.sequence, 1, 'moving an event raises SEQUENCE once');
  });

  test('endless conflicts stop after the bound with a retryable conflict error', async () => {
    const event = await calendar.create(meeting(), { idempotencyKey: 'run-e:book' });
    let edits = 0;
    const hopeless = await connector({
      maxConflictRetries: 2,
      fetch: async (input, init) => {
        if (init?.method === 'PUT' && new Headers(init.headers).has('if-match')) {
          edits++;
          await other.edit(`${event.uid}.ics`, (ics) => ics.replace(/SUMMARY:[^\r]*/, `SUMMARY:Their title ${edits}`));
        }
        return fetch(input, init);
      },
    });
    await assert.rejects(
      hopeless.update(event.uid, { location: 'Ours' }, { idempotencyKey: 'run-e:relocate' }),
      (err: unknown) => {
        assert.ok(err instanceof CalendarError);
        assert.equal(err.code, 'calendar_conflict');
        assert.equal(err.retryable, true);
        assert.match(err.userMessage, /kept changing/);
        return true;
      },
    );
    assert.equal(edits, 3, 'the first try and two re-reads');
    assert.equal((await calendar.get(event.uid))?.location, 'Video', 'nothing of ours was written over theirs');
  });

  test('a replayed update (same key) after another app changed the event again does not undo their change', async () => {
    const event = await calendar.create(meeting(), { idempotencyKey: 'run-f:book' });
    await calendar.update(event.uid, { title: 'Ours' }, { idempotencyKey: 'run-f:rename' });
    await other.edit(`${event.uid}.ics`, (ics) => ics.replace(/SUMMARY:[^\r]*/, 'SUMMARY:Theirs\\, later'));
    const replay = await (await connector()).update(event.uid, { title: 'Ours' }, { idempotencyKey: 'run-f:rename' });
    assert.equal(replay.title, 'Theirs, later');
    assert.equal((await calendar.get(event.uid))?.title, 'Theirs, later');
  });

  test('updating an event that is gone is a typed, final error', async () => {
    await assert.rejects(
      calendar.update(eventUidFor('never-created'), { title: 'x' }, { idempotencyKey: 'run-g:rename' }),
      (err: unknown) => {
        assert.ok(err instanceof CalendarError);
        assert.equal(err.code, 'calendar_event_not_found');
        assert.equal(err.retryable, false);
        return true;
      },
    );
  });

  test('cancel is the compensation: the event is gone, and a second cancel (404) is fine', async () => {
    const event = await calendar.create(meeting(), { idempotencyKey: 'run-h:book' });
    assert.deepEqual(await calendar.cancel(event.uid, { idempotencyKey: 'run-h:undo' }), {
      uid: event.uid,
      cancelled: true,
    });
    assert.deepEqual(await calendar.cancel(event.uid, { idempotencyKey: 'run-h:undo' }), {
      uid: event.uid,
      cancelled: false,
    });
    assert.deepEqual(await (await connector()).cancel(event.uid, { idempotencyKey: 'run-h:undo' }), {
      uid: event.uid,
      cancelled: false,
    });
    assert.ok(!(await other.resources()).includes(`${event.uid}.ics`));
    assert.equal(await calendar.get(event.uid), undefined);
    // A compensation whose create never reached the server (or was never journaled) can cancel by the key alone.
    assert.deepEqual(await calendar.cancel(eventUidFor('run-h:never'), { idempotencyKey: 'run-h:undo2' }), {
      uid: eventUidFor('run-h:never'),
      cancelled: false,
    });
  });

  test('events another app stored under its own name are found by UID for get, update and cancel', async () => {
    const uid = 'phone-event-1@example.com';
    assert.equal(
      await other.put(
        '0E5C-phone.ics',
        vcalendar([`UID:${uid}`, 'DTSTART:20260331T100000Z', 'DTEND:20260331T110000Z', 'SUMMARY:Dentist']),
      ),
      201,
    );
    assert.equal((await calendar.get(uid))?.title, 'Dentist');
    assert.equal(
      (await calendar.update(uid, { title: 'Dentist (moved)' }, { idempotencyKey: 'run-i:rename' })).title,
      'Dentist (moved)',
    );
    assert.match((await other.get('0E5C-phone.ics')).ics, /SUMMARY:Dentist \(moved\)/);
    assert.deepEqual(await (await connector()).cancel(uid, { idempotencyKey: 'run-i:undo' }), { uid, cancelled: true });
    assert.equal((await other.get('0E5C-phone.ics')).status, 404);
  });

  test('bad input is refused before any request, with one sentence', async () => {
    await assert.rejects(
      calendar.create(
        { title: 'x', start: '2026-03-30T10:00:00Z', end: '2026-03-30T09:00:00Z' },
        { idempotencyKey: 'run-j:book' },
      ),
      (err: unknown) => {
        assert.ok(err instanceof CalendarError);
        assert.equal(err.code, 'calendar_bad_input');
        assert.equal(err.retryable, false);
        assert.equal(err.userMessage, "The event's end must be after its start.");
        return true;
      },
    );
    assert.ok(!(await other.resources()).includes(`${eventUidFor('run-j:book')}.ics`));
  });

  test('health() is one line: who, where, ok and the latency', async () => {
    const health = await calendar.health();
    assert.equal(health.state, 'ok');
    assert.match(
      health.detail,
      new RegExp(`^CalDAV ops at 127\\.0\\.0\\.1:${server.port}/ops/work/: ok \\(\\d+ ms\\)$`),
    );
  });

  test('a wrong password is a final, typed error naming the settings; the password is in no message and no log line', async () => {
    const wrong = 'wrong-pw-91c2e';
    const bad = await connector({ password: wrong });
    await assert.rejects(bad.create(meeting(), { idempotencyKey: 'run-k:book' }), (err: unknown) => {
      assert.ok(err instanceof CalendarError);
      assert.equal(err.code, 'calendar_auth');
      assert.equal(err.retryable, false);
      assert.equal(
        err.userMessage,
        `The calendar server at 127.0.0.1:${server.port} refused the login for ops; check CALDAV_USERNAME and CALDAV_PASSWORD.`,
      );
      assert.ok(!`${err.message} ${err.userMessage} ${String(err.stack)}`.includes(wrong));
      return true;
    });
    const health = await bad.health();
    assert.equal(health.state, 'misconfigured');
    assert.match(health.detail, /refused the login for ops/);
    const secrets = [
      wrong,
      PASSWORD,
      Buffer.from(`${USER}:${wrong}`).toString('base64'),
      Buffer.from(`${USER}:${PASSWORD}`).toString('base64'),
    ];
    for (const secret of secrets)
      assert.ok(!log.text().includes(secret), 'no password or credentials header in the log');
    assert.ok(log.text().includes('calendar_auth'), 'the failure itself is logged');
  });

  test('a server that is down is retryable; once it is back, the same key creates the event once', async () => {
    const flaky = await connector({ timeoutMs: 3000 });
    assert.equal((await flaky.health()).state, 'ok'); // the calendar is found while the server is up
    await server.pause();
    try {
      await assert.rejects(flaky.create(meeting(), { idempotencyKey: 'run-l:book' }), (err: unknown) => {
        assert.ok(err instanceof CalendarError);
        assert.equal(err.code, 'calendar_unreachable');
        assert.equal(err.retryable, true);
        assert.match(err.userMessage, /cannot be reached \(ECONNREFUSED\); the call will be tried again\.$/);
        return true;
      });
      const health = await flaky.health();
      assert.equal(health.state, 'down');
      assert.match(
        health.detail,
        /^CalDAV ops at 127\.0\.0\.1:\d+\/ops\/work\/: The calendar server at .* cannot be reached/,
      );
    } finally {
      await server.start();
    }
    const created = await flaky.create(meeting(), { idempotencyKey: 'run-l:book' });
    assert.equal(created.created, true);
    assert.equal((await flaky.create(meeting(), { idempotencyKey: 'run-l:book' })).created, false);
  });

  test('nothing listening at all: retryable before the calendar was ever found', async () => {
    const nowhere = await connector({ url: `http://127.0.0.1:${await freePort()}/ops/work/` });
    await assert.rejects(
      nowhere.busy({ from: '2026-03-30T00:00:00Z', to: '2026-03-31T00:00:00Z' }),
      (err: unknown) => err instanceof CalendarError && err.retryable && err.code === 'calendar_unreachable',
    );
  });

  test('a wrong collection URL is a final error naming CALDAV_URL', async () => {
    const lost = await connector({ url: `${server.url}ops/no-such-calendar/` });
    await assert.rejects(lost.list({ from: '2026-03-30T00:00:00Z', to: '2026-03-31T00:00:00Z' }), (err: unknown) => {
      assert.ok(err instanceof CalendarError);
      assert.equal(err.code, 'calendar_not_found');
      assert.equal(err.retryable, false);
      assert.match(err.userMessage, /check CALDAV_URL\.$/);
      return true;
    });
    assert.equal((await lost.health()).state, 'misconfigured');
  });
});

describe('calendar discovery from the server root', { skip: radicaleMissing }, () => {
  let server: Radicale;
  let log: CapturedLog;
  before(async () => {
    server = await startRadicale({ solo: 'solo-pw', multi: 'multi-pw' });
    await makeCalendarFor(server, 'solo', 'solo-pw', 'only', 'Only');
    await makeCalendarFor(server, 'multi', 'multi-pw', 'work', 'Work');
    await makeCalendarFor(server, 'multi', 'multi-pw', 'home', 'Home');
    log = await captureLog();
  });
  after(async () => server?.stop());

  const make = (user: string, password: string, calendar?: string) =>
    createCalendarConnector(
      { CALDAV_URL: server.url, CALDAV_USERNAME: user, CALDAV_PASSWORD: password, CALDAV_CALENDAR: calendar },
      log.logger,
      { timeZone: 'Europe/Berlin' },
    );

  test("an account with one calendar needs nothing more than the server's URL", async () => {
    const health = await (await make('solo', 'solo-pw'))?.health();
    assert.equal(health?.state, 'ok');
    assert.match(health?.detail ?? '', /\/solo\/only\/: ok/);
  });

  test('with several calendars, CALDAV_CALENDAR picks one by name or path; without it, one sentence lists them', async () => {
    assert.match((await (await make('multi', 'multi-pw', 'home'))?.health())?.detail ?? '', /\/multi\/home\/: ok/);
    assert.match((await (await make('multi', 'multi-pw', 'work'))?.health())?.detail ?? '', /\/multi\/work\/: ok/);
    const unsure = await make('multi', 'multi-pw');
    await assert.rejects(unsure!.busy({ from: '2026-03-30T00:00:00Z', to: '2026-03-31T00:00:00Z' }), (err: unknown) => {
      assert.ok(err instanceof CalendarError);
      assert.equal(err.code, 'calendar_ambiguous');
      assert.match(
        err.userMessage,
        /^The account multi has several calendars \((Work, Home|Home, Work)\); set CALDAV_CALENDAR/,
      );
      return true;
    });
    const typo = await make('multi', 'multi-pw', 'Holidays');
    assert.match((await typo!.health()).detail, /has no calendar "Holidays" \(it has: .*\); check CALDAV_CALENDAR\./);
  });

  test('a wrong password during discovery is the same typed error', async () => {
    await assert.rejects(
      (await make('solo', 'nope'))!.list({ from: '2026-03-30T00:00:00Z', to: '2026-03-31T00:00:00Z' }),
      (err: unknown) => err instanceof CalendarError && err.code === 'calendar_auth' && !err.retryable,
    );
  });

  test('the factory returns undefined when CALDAV_URL is not set', async () => {
    assert.equal(
      await createCalendarConnector(
        { CALDAV_URL: undefined, CALDAV_USERNAME: undefined, CALDAV_PASSWORD: undefined, CALDAV_CALENDAR: undefined },
        log.logger,
      ),
      undefined,
    );
  });
});

describe('a CalDAV server that is overloaded', () => {
  test("503 and 429 are retryable with their Retry-After wait; 400 is final; no answer is a retryable timeout; the caller's abort wins", async () => {
    const { createServer } = await import('node:http');
    let answer: { status: number; headers: Record<string, string> } = { status: 503, headers: { 'retry-after': '7' } };
    // Answers the lookup as a calendar collection, then every write with the status under test.
    const fake = createServer((req, res) => {
      req.resume();
      if (req.method === 'PROPFIND') {
        res.writeHead(207, { 'content-type': 'application/xml; charset=utf-8' });
        res.end(
          `<?xml version="1.0"?><multistatus xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><response><href>${req.url}</href><propstat><prop><resourcetype><collection/><C:calendar/></resourcetype></prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>`,
        );
        return;
      }
      if (answer.status === 0) return; // hang
      res.writeHead(answer.status, answer.headers);
      res.end('busy');
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    const address = fake.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const log = await captureLog();
      const calendar = new CalDavCalendar(
        { url: `http://127.0.0.1:${port}/ops/work/`, username: 'ops', password: 'x-secret', timeZone: ZONE },
        log.logger,
      );
      const attempt = () => calendar.create(meeting(), { idempotencyKey: 'run-z:book' });
      await assert.rejects(
        attempt(),
        (err: unknown) =>
          err instanceof CalendarError &&
          err.code === 'calendar_server_error' &&
          err.retryable &&
          err.retryAfterMs === 7000 &&
          err.status === 503,
      );
      answer = { status: 429, headers: { 'retry-after': '2' } };
      await assert.rejects(
        attempt(),
        (err: unknown) =>
          err instanceof CalendarError &&
          err.code === 'calendar_rate_limited' &&
          err.retryable &&
          err.retryAfterMs === 2000 &&
          /in 2 s\.$/.test(err.userMessage),
      );
      answer = { status: 400, headers: {} };
      await assert.rejects(
        attempt(),
        (err: unknown) => err instanceof CalendarError && err.code === 'calendar_rejected' && !err.retryable,
      );
      // A server that takes the request and never answers: a timeout, retryable.
      answer = { status: 0, headers: {} };
      const slow = new CalDavCalendar(
        {
          url: `http://127.0.0.1:${port}/ops/work/`,
          username: 'ops',
          password: 'x-secret',
          timeZone: ZONE,
          timeoutMs: 300,
        },
        log.logger,
      );
      await assert.rejects(
        slow.create(meeting(), { idempotencyKey: 'run-z:book' }),
        (err: unknown) => err instanceof CalendarError && err.code === 'calendar_timeout' && err.retryable,
      );
      // The caller's own abort (the engine's step timeout, a shutdown) comes back as the caller's reason.
      const stop = new AbortController();
      const pending = slow.create(meeting(), { idempotencyKey: 'run-z:book', signal: stop.signal });
      stop.abort(new Error('step cancelled'));
      await assert.rejects(pending, /step cancelled/);
      assert.ok(!log.text().includes('x-secret'));
    } finally {
      fake.closeAllConnections();
      await new Promise((r) => fake.close(r));
    }
  });
});
