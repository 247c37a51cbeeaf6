// Child process for the calendar crash test: creates N events with distinct step keys, writing each result to a
// journal file (as the engine journals a step: JOURNAL_LAG_MS later) only after the connector returned. The parent
// SIGKILLs it at random points; with KILL_AFTER_PUT=i it kills itself once the server has created event i, before
// the answer is read.

import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { createCalendarConnector } from '../../adapters/connectors/calendar/index.ts';
import { createLogger } from '../../src/observability/logger.ts';

const env = (name: string): string => process.env[name] ?? '';
const journal = env('JOURNAL');
const count = Number(env('EVENTS'));
const run = env('RUN');
const killAt = process.env['KILL_AFTER_PUT'];
// The engine needs a moment to journal a step's result (a store write); this child models it with a pause.
const lagMs = Number(process.env['JOURNAL_LAG_MS'] ?? 0);

const done = new Set(
  existsSync(journal)
    ? readFileSync(journal, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => Number(line.split(' ')[0]))
    : [],
);
let current = -1;
const calendar = await createCalendarConnector(
  {
    CALDAV_URL: env('CALDAV_URL'),
    CALDAV_USERNAME: env('CALDAV_USERNAME'),
    CALDAV_PASSWORD: env('CALDAV_PASSWORD'),
    CALDAV_CALENDAR: undefined,
  },
  await createLogger({ LOG_LEVEL: 'warn', LOG_FORMAT: 'json' }),
  {
    timeZone: 'Europe/Berlin',
    fetch: async (input, init) => {
      const res = await fetch(input, init);
      // The server has created the event; we die before the connector (or the journal) hears of it.
      if (init?.method === 'PUT' && killAt !== undefined && current === Number(killAt) && res.status === 201)
        process.kill(process.pid, 'SIGKILL');
      return res;
    },
  },
);
if (!calendar) throw new Error('CALDAV_URL is not set');
process.stdout.write('ready\n');
for (let i = 0; i < count; i++) {
  if (done.has(i)) continue;
  current = i;
  const hour = String(8 + (i % 9)).padStart(2, '0');
  const day = String(1 + Math.floor(i / 9)).padStart(2, '0');
  const result = await calendar.create(
    {
      title: `Crash test ${i}`,
      start: `2026-06-${day}T${hour}:00:00+02:00`,
      end: `2026-06-${day}T${hour}:45:00+02:00`,
    },
    { idempotencyKey: `${run}:book-${i}` },
  );
  if (lagMs > 0) await new Promise((r) => setTimeout(r, lagMs));
  const fd = openSync(journal, 'a');
  writeSync(fd, `${i} ${result.uid} ${result.created ? 'created' : 'recognised'}\n`);
  fsyncSync(fd);
  closeSync(fd);
}
process.stdout.write('done\n');
