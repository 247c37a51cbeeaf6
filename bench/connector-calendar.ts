// The calendar connector's overhead over raw tsdav against the same local Radicale: create (validation, ical.js,
// UID from the key), update (patch merged into the last copy, If-Match) and a week's busy times (query, parse,
// recurrence expansion). Raw and connector calls alternate, so server noise falls on both alike. Wall time is
// mostly Radicale's (Python, fsync); the CPU column is this process's own time per call, the connector's real cost.

import { Writable } from 'node:stream';
// eslint-disable-next-line no-restricted-imports -- the bench measures against the raw SDK on purpose
import { calendarQuery, createCalendarObject, updateCalendarObject } from 'tsdav';
import { createCalendarConnector } from '../adapters/connectors/calendar/index.ts';
import { createLogger } from '../src/observability/logger.ts';
import { makeCalendarFor, radicaleMissing, startRadicale } from '../test/support/radicale.ts';
import { line, percentile, summary } from './stats.ts';

if (radicaleMissing) {
  console.log(`skipped: ${radicaleMissing}`);
  process.exit(0);
}
const N = Number(process.env['BENCH_N'] ?? 200);
const WARMUP = 20;

const server = await startRadicale({ bench: 'bench-pw' });
const url = await makeCalendarFor(server, 'bench', 'bench-pw');
const headers = { authorization: `Basic ${Buffer.from('bench:bench-pw').toString('base64')}` };
const logger = await createLogger(
  { LOG_LEVEL: 'info', LOG_FORMAT: 'json' },
  new Writable({ write: (_c, _e, done) => done() }),
);
const calendar = await createCalendarConnector(
  { CALDAV_URL: url, CALDAV_USERNAME: 'bench', CALDAV_PASSWORD: 'bench-pw', CALDAV_CALENDAR: undefined },
  logger,
  { timeZone: 'Europe/Berlin' },
);
if (!calendar) throw new Error('connector not configured');

const at = (i: number) => {
  const day = 1 + (i % 28);
  const hour = 8 + (i % 9);
  return {
    start: `2026-06-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:00:00+02:00`,
    end: `2026-06-${String(day).padStart(2, '0')}T${String(hour).padStart(2, '0')}:45:00+02:00`,
  };
};
const stamp = (iso: string) =>
  new Date(iso)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
/** What a careful hand-written raw client would send: the same fields, no library. */
const rawIcs = (uid: string, i: number, title: string) =>
  [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//bench//raw//EN',
    'BEGIN:VEVENT',
    `UID:${uid}`,
    `DTSTAMP:${stamp(new Date().toISOString())}`,
    `DTSTART:${stamp(at(i).start)}`,
    `DTEND:${stamp(at(i).end)}`,
    `SUMMARY:${title}`,
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join('\r\n');

interface Sample {
  wall: number[];
  cpu: number[];
}
const samples = new Map<string, Sample>();
async function measure(label: string, record: boolean, run: () => Promise<unknown>): Promise<void> {
  const cpu = process.cpuUsage();
  const t = performance.now();
  await run();
  const wall = performance.now() - t;
  const used = process.cpuUsage(cpu);
  if (!record) return;
  const s = samples.get(label) ?? { wall: [], cpu: [] };
  s.wall.push(wall);
  s.cpu.push((used.user + used.system) / 1000);
  samples.set(label, s);
}

const rawEtags = new Map<number, { url: string; etag: string; i: number }>();
const uids = new Map<number, string>();
for (let i = 0; i < WARMUP + N; i++) {
  const record = i >= WARMUP;
  await measure('create: raw tsdav', record, async () => {
    const res = await createCalendarObject({
      calendar: { url },
      filename: `raw-${i}.ics`,
      iCalString: rawIcs(`raw-${i}`, i, `Raw ${i}`),
      headers,
    });
    if (res.status !== 201) throw new Error(`raw create answered ${res.status}`);
    rawEtags.set(i, { url: new URL(`raw-${i}.ics`, url).href, etag: res.headers.get('etag') ?? '', i });
  });
  await measure('create: connector', record, async () => {
    const event = await calendar.create({ title: `Booked ${i}`, ...at(i) }, { idempotencyKey: `bench:book-${i}` });
    uids.set(i, event.uid);
  });
}
for (let i = 0; i < WARMUP + N; i++) {
  const record = i >= WARMUP;
  const raw = rawEtags.get(i);
  await measure('update: raw tsdav (If-Match)', record, async () => {
    if (!raw) return;
    const res = await updateCalendarObject({
      calendarObject: { url: raw.url, etag: raw.etag, data: rawIcs(`raw-${i}`, i, `Raw ${i} renamed`) },
      headers,
    });
    if (res.status >= 300) throw new Error(`raw update answered ${res.status}`);
  });
  await measure('update: connector', record, () =>
    calendar.update(uids.get(i) ?? '', { title: `Booked ${i} renamed` }, { idempotencyKey: `bench:rename-${i}` }),
  );
}
const week = { from: '2026-06-08T00:00:00+02:00', to: '2026-06-15T00:00:00+02:00' };
for (let i = 0; i < WARMUP + Math.min(N, 100); i++) {
  const record = i >= WARMUP;
  await measure('busy week: raw calendar-query', record, () =>
    calendarQuery({
      url,
      props: { 'd:getetag': {}, 'c:calendar-data': {} },
      filters: {
        'comp-filter': {
          _attributes: { name: 'VCALENDAR' },
          'comp-filter': {
            _attributes: { name: 'VEVENT' },
            'time-range': { _attributes: { start: stamp(week.from), end: stamp(week.to) } },
          },
        },
      },
      depth: '1',
      headers,
    }),
  );
  await measure('busy week: connector', record, () => calendar.busy(week));
}

console.log(`calendar connector vs raw tsdav on Radicale ${server.url} (${N} calls each, interleaved)`);
for (const [label, s] of samples) {
  line(`${label} wall`, summary(s.wall, 'ms', 2));
  line(`${label} cpu`, summary(s.cpu, 'ms', 2));
}
const p = (label: string, kind: keyof Sample, q: number) =>
  percentile(
    [...(samples.get(label)?.[kind] ?? [])].sort((a, b) => a - b),
    q,
  );
console.log('');
for (const [op, raw, ours] of [
  ['create', 'create: raw tsdav', 'create: connector'],
  ['update', 'update: raw tsdav (If-Match)', 'update: connector'],
  ['busy (one week)', 'busy week: raw calendar-query', 'busy week: connector'],
] as const) {
  const diff = (kind: keyof Sample, q: number) => (p(ours, kind, q) - p(raw, kind, q)).toFixed(2);
  line(
    `${op}: connector overhead`,
    `wall p50 ${diff('wall', 50)} / p95 ${diff('wall', 95)} / p99 ${diff('wall', 99)} ms; cpu p50 ${diff('cpu', 50)} ms`,
  );
}
await calendar.close();
await server.stop();
