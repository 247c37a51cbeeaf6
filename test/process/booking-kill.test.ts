// kill -9 while a booking creates its calendar event: the real process offers slots (Radicale), the operator taps
// one, and the process is SIGKILLed at a random moment after the tap; after a restart the run finishes (or the
// operator taps again, when the kill came before the tap was recorded). Every booking ends with exactly one event.
// Prints event creations attempted (connector calls, from the debug log of every life) against performed.
// BOOKING_KILL_SEED replays a sequence.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SqliteStore } from '../../adapters/stores/sqlite/index.ts';
import { eventUidFor } from '../../src/calendar/uid.ts';
import { api, tempDir, type ApiMessage } from '../support/app.ts';
import { OtherApp } from '../support/calendar.ts';
import { killHard, logLines, startProcess, type Started } from '../support/process.ts';
import { prng } from '../support/prng.ts';
import { makeCalendarFor, radicaleMissing, startRadicale } from '../support/radicale.ts';

const N = 5;
const USER = 'ops';
const PASSWORD = 'ops-kill-pw-93c1';

test(
  `${N} bookings, each tap followed by kill -9: exactly ${N} calendar events`,
  { skip: radicaleMissing, timeout: 240_000 },
  async (t) => {
    const seed = Number(process.env['BOOKING_KILL_SEED'] ?? Date.now() % 1_000_000);
    t.diagnostic(`BOOKING_KILL_SEED=${seed}`);
    const random = prng(seed);
    const server = await startRadicale({ [USER]: PASSWORD });
    const url = await makeCalendarFor(server, USER, PASSWORD);
    const other = new OtherApp(url, USER, PASSWORD);
    const env = {
      DATA_DIR: tempDir('solo-booking-kill-'),
      POLICIES_DIR: tempDir('solo-policies-'),
      CALDAV_URL: url,
      CALDAV_USERNAME: USER,
      CALDAV_PASSWORD: PASSWORD,
      RATE_LIMIT_PER_MINUTE: '0',
      LOG_LEVEL: 'debug',
    };
    let proc: Started = await startProcess(env, 30_000);
    const outputs: string[] = [];
    const restart = async () => {
      await killHard(proc.child);
      outputs.push(proc.output());
      proc = await startProcess(env, 30_000);
    };
    /** The last offer for a booking, as the web chat shows it (only buttons the bot sent can be tapped). */
    const offerFor = async (title: string): Promise<ApiMessage | undefined> => {
      const all = (await api(proc.url, 'GET', '/api/messages?after=0&limit=500')).body.messages ?? [];
      return all.filter((m) => m.text.startsWith(`Pick a time for "${title}"`)).at(-1);
    };
    let kills = 0;
    try {
      await api(proc.url, 'POST', '/api/messages', { text: '/book hours mon-sun 00:00-24:00' });
      for (let i = 1; i <= N; i++) {
        const title = `Meeting ${i}`;
        await api(proc.url, 'POST', '/api/messages', { text: `/book 30 ${title}`, id: `book-${i}` });
        for (let attempt = 0; attempt < 5; attempt++) {
          const offer = await offerFor(title);
          const button = offer?.buttons[Math.floor(random() * 3)];
          assert.ok(button, `an offer for ${title}`);
          const tapped = api(proc.url, 'POST', `/api/buttons/${encodeURIComponent(button.id)}`).catch(() => undefined);
          await new Promise((r) => setTimeout(r, random() * 400));
          await restart();
          kills++;
          await tapped;
          const store = new SqliteStore(env.DATA_DIR);
          await store.init();
          const runs = await store.runs.list({ limit: 100 });
          await store.close();
          // Waiting still means the tap was lost to the kill: tap again. Anything else goes on by itself.
          if (runs.find((r) => (r.input as { title?: string }).title === title)?.status !== 'suspended') break;
        }
      }
      // Let resumed runs finish.
      const store = new SqliteStore(env.DATA_DIR);
      await store.init();
      for (let i = 0; i < 100 && (await store.runs.list({ statuses: ['completed'], limit: 100 })).length < N; i++)
        await new Promise((r) => setTimeout(r, 100));
      const runs = await store.runs.list({ limit: 100 });
      await store.close();
      assert.equal(runs.length, N);
      for (const run of runs)
        assert.deepEqual(
          [run.status, (run.result as { status?: string } | undefined)?.status],
          ['completed', 'booked'],
          `${run.id}: ${JSON.stringify(run.review ?? run.error ?? '')}`,
        );
      const events = (await other.resources()).filter((r) => r.startsWith('solo-'));
      assert.deepEqual(
        events.sort(),
        runs.map((r) => `${eventUidFor(`${r.id}:event`)}.ics`).sort(),
        `exactly one event per booking (${kills} kills)`,
      );
      outputs.push(proc.output());
      const creates = outputs
        .flatMap((o) => logLines(o))
        .filter((l) => l.msg === 'connector call' && l['connector'] === 'calendar' && l['method'] === 'create');
      t.diagnostic(
        `kills ${kills}; calendar create: attempted ${creates.length} calls (${new Set(creates.map((l) => l['key'])).size} unique keys) → performed ${events.length} events`,
      );
      assert.equal(new Set(creates.map((l) => l['key'])).size, N, 'one key per booking');
      assert.ok(!outputs.some((o) => o.includes(PASSWORD)), 'the CalDAV password is in no log line');
    } finally {
      await killHard(proc.child);
      await server.stop();
    }
  },
);
