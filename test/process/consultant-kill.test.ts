// The consultant's story on the real process, SIGKILLed at random moments all the way through: after the proposal's
// approval, while the client's emailed answer is being read and the kick-off booked, after the invoice's approval,
// and after the payment. Each time the process is restarted and the run goes on. In the end: one proposal mail and
// one invoice mail in the client's mailbox, one calendar event, one Stripe invoice, one engagement summary in
// memory, the run completed once. CONSULTANT_KILL_SEED replays a sequence.

import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { SqliteStore } from '../../adapters/stores/sqlite/index.ts';
import { rawMail } from '../connectors/mail-harness.ts';
import { FakeOpenAI } from '../fakes/openai.ts';
import { StripeFake } from '../fakes/stripe/server.ts';
import { schemaName, systemText } from '../agents/support.ts';
import { api, say, tempDir } from '../support/app.ts';
import { OtherApp } from '../support/calendar.ts';
import { mailServerSkipReason, startMailServers } from '../support/mail-server.ts';
import { killHard, startProcess, type Started } from '../support/process.ts';
import { prng } from '../support/prng.ts';
import { makeCalendarFor, radicaleMissing, startRadicale } from '../support/radicale.ts';

const ROOT = join(import.meta.dirname, '../..');
const CLIENT = 'client@example.net';
const OPS = 'ops@example.com';
const API_KEY = 'sk-test-kill-0123456789abcdef';
const skip = mailServerSkipReason() ?? radicaleMissing;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test(
  'the consultant story with kill -9 at every stage: every effect exactly once',
  { skip, timeout: 300_000 },
  async (t) => {
    const seed = Number(process.env['CONSULTANT_KILL_SEED'] ?? Date.now() % 1_000_000);
    t.diagnostic(`CONSULTANT_KILL_SEED=${seed}`);
    const random = prng(seed);
    const servers = await startMailServers();
    const radicale = await startRadicale({ ops: 'ops-cal-kill' });
    const calendarUrl = await makeCalendarFor(radicale, 'ops', 'ops-cal-kill');
    const calendar = new OtherApp(calendarUrl, 'ops', 'ops-cal-kill');
    const stripe = await new StripeFake().start();
    stripe.latency = [20, 80];
    const openai = await new FakeOpenAI({ apiKey: API_KEY }).start();
    openai.handle((req) => {
      const agent = schemaName(req.body);
      if (agent === 'qualify_output') {
        const cited = /\[m(\d+)\] Acme Corp/.exec(systemText(req.body))?.[1];
        return {
          json: {
            qualified: true,
            package: 'brand-sprint',
            reason: 'Fits the criteria.',
            used: cited ? [`m${cited}`] : [],
          },
        };
      }
      if (agent === 'draft_output')
        return {
          json: { subject: 'Proposal: Brand sprint', body: 'Hi Jane,\n\nhere is the Brand sprint.\n\nBest, Sam' },
        };
      return { status: 500, error: { message: `no script for ${agent}` } };
    });
    const policies = tempDir('solo-policies-');
    copyFileSync(join(ROOT, 'policies/qualification.yaml'), join(policies, 'qualification.yaml'));
    const ops = servers.users[0]!;
    const env = {
      DATA_DIR: tempDir('solo-consultant-kill-'),
      POLICIES_DIR: policies,
      PACKAGES_DIR: join(ROOT, 'packages'),
      TEMPLATES_DIR: join(ROOT, 'templates'),
      RATE_LIMIT_PER_MINUTE: '0',
      SMTP_URL: servers.url('smtp', ops),
      IMAP_URL: servers.url('imap', ops),
      MAIL_FROM: `Sam Consulting <${OPS}>`,
      MAIL_POLL_SECONDS: '5',
      CALDAV_URL: calendarUrl,
      CALDAV_USERNAME: 'ops',
      CALDAV_PASSWORD: 'ops-cal-kill',
      STRIPE_SECRET_KEY: stripe.apiKey,
      STRIPE_API_URL: stripe.url,
      OPENAI_BASE_URL: openai.baseURL,
      OPENAI_API_KEY: API_KEY,
      OPENAI_MODEL: 'gpt-4o-mini',
      OPENAI_MAX_RETRIES: '0',
    };
    let proc: Started = await startProcess(env, 30_000);
    let kills = 0;
    const restart = async () => {
      await killHard(proc.child);
      kills++;
      proc = await startProcess(env, 30_000);
    };
    const store = new SqliteStore(env.DATA_DIR);
    await store.init();
    try {
      await say(proc.url, '/business name Sam Consulting');
      await say(proc.url, '/business address 1 Market Street; Bristol');
      await say(proc.url, '/book hours mon-sun 00:00-24:00');
      await say(proc.url, `/remember Acme Corp: workshop in 2025 went well; billing email ${CLIENT}`);
      const lead = await api(proc.url, 'POST', '/api/messages', {
        text: `/lead Acme Corp ${CLIENT} wants a positioning sprint`,
        id: 'kill-lead-1',
      });
      assert.equal(lead.status, 200);
      const run = async () => (await store.runs.list({ limit: 20 })).find((r) => r.workflow === 'consultant');
      let replied = false;
      for (let round = 0; round < 80; round++) {
        const r = await run();
        if (r?.status === 'completed') break;
        const cards = (await api(proc.url, 'POST', '/api/messages', { text: '/approvals' })).body.messages ?? [];
        const approve = cards.flatMap((m) => m.buttons.filter((b) => b.label === 'Approve'))[0];
        if (approve) {
          // An approval (the proposal, then the invoice), and a kill at a random moment of what follows it.
          const tapped = api(proc.url, 'POST', `/api/buttons/${encodeURIComponent(approve.id)}`).catch(() => undefined);
          await sleep(50 + random() * 900);
          await restart();
          await tapped;
        } else if (r?.waitingFor?.startsWith('wait:mail.reply:') && !replied) {
          // The client answers the proposal; the restarted process reads the inbox at once, and is killed again.
          const proposal = r.waitingFor.slice('wait:mail.reply:'.length);
          await servers.deliver(
            rawMail(
              {
                From: `Jane Doe <${CLIENT}>`,
                To: OPS,
                Subject: 'Re: Proposal: Brand sprint',
                'Message-ID': '<jane-kill@example.net>',
                'In-Reply-To': proposal,
                References: proposal,
              },
              'Option 2, please.',
            ),
            [OPS],
            CLIENT,
          );
          replied = true;
          await restart();
          await sleep(random() * 1200);
          await restart();
        } else if (r?.waitingFor === 'wait:invoice.paid:INV-0001') {
          // Paid by hand, and a kill right after; while the run still waits, /paid again signals again (marked once).
          const done = say(proc.url, '/paid INV-0001').catch(() => undefined);
          await sleep(random() * 300);
          await restart();
          await done;
        } else {
          await sleep(300 + random() * 700);
          if (random() < 0.3) await restart();
        }
      }
      for (let i = 0; i < 100 && (await run())?.status !== 'completed'; i++) await sleep(100);
      const final = await run();
      assert.deepEqual(
        [final?.status, final?.result],
        ['completed', { status: 'complete', invoice: 'INV-0001' }],
        `${final?.status} ${final?.waitingFor ?? ''} ${JSON.stringify(final?.review ?? final?.error ?? '')}`,
      );
      assert.equal(
        (await store.events.readStream(`run:${final?.id ?? ''}`, { types: ['run.finished'] })).length,
        1,
        'finished once',
      );

      const mails = servers.messageIds(CLIENT);
      assert.equal(mails.length, 2, `one proposal and one invoice mail: ${mails.join(', ')}`);
      assert.equal(
        servers.delivered.filter((d) => d.to.includes(CLIENT)).length,
        2,
        'the SMTP server accepted each once',
      );
      assert.equal((await calendar.resources()).filter((x) => x.startsWith('solo-')).length, 1, 'one kick-off event');
      assert.equal(
        stripe.invoices().filter((i) => (i['metadata'] as Record<string, string>)['ledger_invoice']).length,
        1,
        'one Stripe invoice',
      );
      assert.deepEqual(stripe.report().duplicates, []);
      const memory = (await store.memories.byEntity('client:acme-corp', 50)).map((m) => m.text);
      assert.equal(memory.filter((m) => /Brand sprint engagement/.test(m)).length, 1, memory.join('\n'));
      assert.equal(
        memory.filter((m) => /proposal "Proposal: Brand sprint" for the Brand sprint/.test(m)).length,
        1,
        memory.join('\n'),
      );
      t.diagnostic(`kills ${kills}; model calls ${openai.requests.length}`);
    } finally {
      await store.close();
      await killHard(proc.child);
      await openai.stop();
      await stripe.close();
      await radicale.stop();
      await servers.stop();
    }
  },
);
