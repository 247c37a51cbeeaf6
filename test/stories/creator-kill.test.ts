// Story 2 under kill -9: the real process (bin/solo.js) on Dovecot, Radicale and the OpenAI-compatible fake is
// SIGKILLed at a random moment after each step that acts on the world (two publishing dates, the review card's
// approval, the replies card's approval) and restarted. After it all: exactly two calendar events, at the dates the
// approved review gave them; exactly one reply in each reader's mailbox; two reminders; every run completed once.
// CREATOR_KILL_SEED replays a sequence.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { SqliteStore } from '../../adapters/stores/sqlite/index.ts';
import { rawMail } from '../connectors/mail-harness.ts';
import { schemaName, userText } from '../agents/support.ts';
import { FakeOpenAI } from '../fakes/openai.ts';
import { api, tempDir, type ApiMessage } from '../support/app.ts';
import { OtherApp } from '../support/calendar.ts';
import { mailServerSkipReason, startMailServers } from '../support/mail-server.ts';
import { killHard, startProcess, type Started } from '../support/process.ts';
import { prng } from '../support/prng.ts';
import { makeCalendarFor, radicaleMissing, startRadicale } from '../support/radicale.ts';

const skip = mailServerSkipReason() ?? radicaleMissing;
const KEY = 'sk-test-creator-kill-0123456789';
const OPS = 'ops@example.com';
const inDays = (days: number): string => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const CSV = [
  'Subject,Topic,Send date,Recipients,Unique opens',
  'What I charge and why,pricing,2026-07-02,2000,1180',
  'Raising rates without losing clients,pricing,2026-07-23,2010,1150',
  'The invoice that paid for my year,pricing,2026-08-13,2040,1210',
  'My desk setup,tools,2026-07-09,2000,610',
  'Five apps I deleted,tools,2026-07-30,2020,650',
  'Notion vs paper,tools,2026-08-20,2050,590',
].join('\n');

test('the creator story survives kill -9 after every effectful step', { skip, timeout: 300_000 }, async (t) => {
  const seed = Number(process.env['CREATOR_KILL_SEED'] ?? Date.now() % 1_000_000);
  t.diagnostic(`CREATOR_KILL_SEED=${seed}`);
  const random = prng(seed);
  const servers = await startMailServers();
  const radicale = await startRadicale({ ops: 'ops-kill-pw-41' });
  const url = await makeCalendarFor(radicale, 'ops', 'ops-kill-pw-41');
  const calendar = new OtherApp(url, 'ops', 'ops-kill-pw-41');
  const fake = await new FakeOpenAI({ apiKey: KEY }).start();
  fake.handle((req) => {
    const agent = schemaName(req.body).replace(/_output$/, '');
    if (agent === 'monitoring')
      return { json: { summary: 'Pricing opens far better: it goes first.', attention: ['Mail the pricing readers'] } };
    if (agent === 'draft')
      return {
        json: {
          subject: 'Re',
          body: /halfway/.test(JSON.stringify(req.body))
            ? 'Between jobs, never halfway.'
            : `Reply to: ${userText(req.body).slice(0, 20)}`,
        },
      };
    return { status: 500, error: { message: `no script for ${agent}` } };
  });
  const ops = servers.users[0]!;
  const DATA_DIR = tempDir('solo-creator-kill-');
  const env = {
    DATA_DIR,
    POLICIES_DIR: tempDir('solo-policies-'),
    RATE_LIMIT_PER_MINUTE: '0',
    TIMEZONE: 'UTC',
    OPENAI_BASE_URL: fake.baseURL,
    OPENAI_API_KEY: KEY,
    OPENAI_MODEL: 'gpt-4o-mini',
    OPENAI_MAX_RETRIES: '0',
    SMTP_URL: servers.url('smtp', ops),
    IMAP_URL: servers.url('imap', ops),
    MAIL_FROM: `Sam <${OPS}>`,
    MAIL_POLL_SECONDS: '5',
    CALDAV_URL: url,
    CALDAV_USERNAME: 'ops',
    CALDAV_PASSWORD: 'ops-kill-pw-41',
  };
  let proc: Started | undefined;
  let kills = 0;
  /** Kills at a random moment once `started` says the run began (its effects are then in flight), and restarts. */
  const killAfterRandomDelay = async (
    request: Promise<unknown>,
    started: () => Promise<boolean> = async () => true,
  ) => {
    // The answer may never come (the process dies under it): a failed request is expected.
    const pending = request.catch(() => undefined);
    for (let i = 0; i < 100 && !(await started()); i++) await sleep(100);
    await sleep(random() * 500);
    await killHard(proc!.child);
    kills++;
    await pending;
    proc = await startProcess(env, 30_000);
  };
  const store = async <T>(read: (s: SqliteStore) => Promise<T>): Promise<T> => {
    const s = new SqliteStore(DATA_DIR);
    await s.init();
    try {
      return await read(s);
    } finally {
      await s.close();
    }
  };
  const runsOf = (workflow: string) =>
    store(async (s) => (await s.runs.list({ limit: 200 })).filter((r) => r.workflow === workflow));
  const settled = async (workflow: string, count: number) => {
    for (let i = 0; i < 200; i++) {
      const runs = await runsOf(workflow);
      if (runs.filter((r) => r.status === 'completed').length >= count) return runs;
      await sleep(100);
    }
    const transcript = ((await api(proc!.url, 'GET', '/api/messages?after=0&limit=500')).body.messages ?? []).map((m) =>
      m.text.slice(0, 160),
    );
    throw new Error(
      `${workflow}: ${JSON.stringify((await runsOf(workflow)).map((r) => [r.status, r.input, r.review ?? r.error]))}\n${transcript.join('\n')}`,
    );
  };
  const send = (text: string, id?: string) => api(proc!.url, 'POST', '/api/messages', id ? { text, id } : { text });
  const lastCard = async (title: string): Promise<ApiMessage | undefined> =>
    ((await api(proc!.url, 'GET', '/api/messages?after=0&limit=500')).body.messages ?? [])
      .filter((m) => m.text.startsWith(`Approval needed: ${title}`) && m.buttons.length > 0)
      .at(-1);
  /** Taps Approve on the card, kills at a random moment, and taps again after the restart while the run still waits. */
  const approveThroughKill = async (workflow: string, title: string, runs = 1) => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const button = (await lastCard(title))?.buttons.find((b) => b.label === 'Approve');
      if (!button) break;
      await killAfterRandomDelay(api(proc!.url, 'POST', `/api/buttons/${encodeURIComponent(button.id)}`));
      if (!(await runsOf(workflow)).some((r) => r.status === 'suspended')) break;
    }
    return settled(workflow, runs);
  };
  const piece = (id: string) =>
    store(
      async (s) =>
        (await s.settings.get<{ publishOn?: string; priority: string; eventUid?: string }>(`content.piece:${id}`))!,
    );
  const dates = { first: inDays(10), second: inDays(17) };

  try {
    proc = await startProcess(env, 30_000);
    writeFileSync(join(DATA_DIR, 'import', 'newsletter.csv'), CSV);
    assert.equal((await send('/stats newsletter.csv', 'stats')).status, 200);
    await send('/idea tools: My 2026 tool stack', 'idea-1');
    await send('/idea pricing: How I set my day rate', 'idea-2');
    // Each publishing date: the command, a kill at a random moment, a restart; a command lost to the kill is sent again.
    for (const [ref, date] of [
      ['p7', dates.first],
      ['p8', dates.second],
    ] as const) {
      for (let attempt = 0; attempt < 5; attempt++) {
        const made = async () =>
          (await runsOf('content-schedule')).some((r) => (r.input as { pieceId: string }).pieceId === ref);
        await killAfterRandomDelay(send(`/calendar ${ref} ${date}`, `cal-${ref}-${attempt}`), made);
        if (await made()) break;
      }
    }
    await settled('content-schedule', 2);
    assert.deepEqual([(await piece('p7')).publishOn, (await piece('p8')).publishOn], [dates.first, dates.second]);

    assert.equal((await send('/patterns', 'patterns')).status, 200);
    // The import's own review found nothing to change (nothing was planned then); this one applies.
    const review = await approveThroughKill('content-review', 'Revise the content calendar', 2);
    assert.deepEqual(
      review.map((r) => r.result),
      [{ status: 'applied', changed: 2 }, { status: 'nothing_to_change' }],
    );
    assert.deepEqual(
      [
        (await piece('p8')).publishOn,
        (await piece('p8')).priority,
        (await piece('p7')).publishOn,
        (await piece('p7')).priority,
      ],
      [dates.first, 'high', dates.second, 'low'],
    );

    const deliver = (from: string, subject: string, id: string, body: string) =>
      servers.deliver(rawMail({ To: OPS, From: from, Subject: subject, 'Message-ID': id }, body), [OPS], from);
    await deliver(
      'client@example.net',
      'Your day rate piece',
      '<k1@example.net>',
      'About "How I set my day rate": do you change what you charge halfway through a job?',
    );
    await deliver('other@example.net', 'Tools', '<k2@example.net>', 'Which of your tools would you drop first?');
    for (let i = 0; i < 150; i++) {
      const questions = await store(async (s) => (await s.settings.get<unknown[]>('content.questions')) ?? []);
      if (questions.length === 2) break;
      await sleep(200);
    }
    assert.equal((await send('/replies', 'replies')).status, 200);
    await approveThroughKill('content-replies', 'Replies to 2 audience questions');

    // The outside world: two events at the dates the approved review gave them, one reply per reader.
    const events = (await calendar.resources()).filter((r) => r.startsWith('solo-'));
    assert.equal(events.length, 2, `exactly two calendar events after ${kills} kills: ${events.join(', ')}`);
    const starts = await Promise.all(
      events.map(async (e) => /DTSTART;VALUE=DATE:(\d{8})/.exec((await calendar.get(e)).ics)?.[1]),
    );
    assert.deepEqual(starts.sort(), [dates.first, dates.second].map((d) => d.replace(/-/g, '')).sort());
    const p8Event = (await calendar.get(`${(await piece('p8')).eventUid}.ics`)).ics;
    assert.match(
      p8Event,
      new RegExp(`DTSTART;VALUE=DATE:${dates.first.replace(/-/g, '')}`),
      'the pricing piece moved to the first date',
    );
    assert.deepEqual(
      [servers.messageIds('client@example.net').length, servers.messageIds('other@example.net').length],
      [1, 1],
      'one reply each, whatever the kills',
    );
    const schedules = (await send('/schedules')).body.messages?.[0]?.text ?? '';
    assert.equal(schedules.match(/Publish "/g)?.length, 2, schedules);
    for (const w of ['content-schedule', 'content-review', 'content-replies'])
      for (const r of await runsOf(w)) assert.equal(r.status, 'completed', `${w} ${r.id}`);
    t.diagnostic(`kills ${kills}, model calls ${fake.completions.length}`);
  } finally {
    if (proc) await killHard(proc.child);
    await fake.stop();
    await radicale.stop();
    await servers.stop();
  }
});
