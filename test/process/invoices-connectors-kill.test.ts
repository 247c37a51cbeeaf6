// Acceptance of issue 16: 10 invoices approved through the web API of the real process, which is SIGKILLed after
// every approval at a random moment while the run is issuing in Stripe (the stripe SDK against the Stripe fake, with
// latency) and mailing the PDF (real SMTP + Dovecot), then restarted — and more kills until every run is done.
// Exactly 10 invoices in Stripe, 10 mails in the client's mailbox, no effect twice, no credential in the logs. Prints
// effects attempted (connector calls, from the process's debug log; HTTP requests) against performed (what the servers
// did) and the unique keys.
// INVOICE_KILL_SEED replays a sequence.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SqliteStore } from '../../adapters/stores/sqlite/index.ts';
import { messageIdForKey } from '../../src/mail/message-id.ts';
import { api, say, tempDir } from '../support/app.ts';
import { mailServerSkipReason, startMailServers } from '../support/mail-server.ts';
import { killHard, logLines, startProcess, type Started } from '../support/process.ts';
import { prng } from '../support/prng.ts';
import { StripeFake } from '../fakes/stripe/server.ts';

const N = 10;
const CLIENT = 'client@example.net';
const SECRET = 'whsec_kill_test_0123456789';
const skip = mailServerSkipReason();

test(
  `${N} invoices approved with kill -9s in between: ${N} in Stripe, ${N} mails, nothing twice`,
  { skip, timeout: 420_000 },
  async (t) => {
    const seed = Number(process.env['INVOICE_KILL_SEED'] ?? Date.now() % 1_000_000);
    t.diagnostic(`INVOICE_KILL_SEED=${seed}`);
    const random = prng(seed);
    const servers = await startMailServers();
    const stripe = await new StripeFake().start();
    // Every Stripe answer comes 20-80 ms after the work is done: kills land between "done" and "heard".
    stripe.latency = [20, 80];
    const ops = servers.users[0]!;
    const env = {
      DATA_DIR: tempDir('solo-invoice-kill-'),
      POLICIES_DIR: tempDir('solo-policies-'),
      LOG_LEVEL: 'debug',
      RATE_LIMIT_PER_MINUTE: '0',
      SMTP_URL: servers.url('smtp', ops),
      IMAP_URL: servers.url('imap', ops),
      MAIL_FROM: `Solo Ops <${ops.address}>`,
      MAIL_POLL_SECONDS: '3600',
      STRIPE_SECRET_KEY: stripe.apiKey,
      STRIPE_API_URL: stripe.url,
      STRIPE_WEBHOOK_SECRET: SECRET,
    };
    const outputs: string[] = [];
    let proc: Started | undefined;
    const restart = async () => {
      if (proc) {
        await killHard(proc.child);
        outputs.push(proc.output());
      }
      proc = await startProcess(env, 30_000);
      return proc;
    };
    let kills = 0;
    try {
      let p = await restart();
      await say(p.url, '/business name Müller Consulting GmbH');
      await say(p.url, '/business address Hauptstraße 1; 10115 Berlin');
      await say(p.url, `/remember Acme Corp: billing email ${CLIENT}`);
      for (let i = 1; i <= N; i++) {
        // A stable id per request: were a reply lost to a kill, resending it would not start a second run.
        const res = await api(p.url, 'POST', '/api/messages', {
          text: `/invoice Acme ${i * 100} Workshop day ${i}`,
          id: `kill-invoice-${i}`,
        });
        assert.equal(res.status, 200);
        if (i === N / 2) {
          p = await restart();
          kills++;
        }
      }

      // One approval at a time, each followed by a kill at a random moment of its run; then the survivors are
      // approved again until nothing waits. Runs cut short continue after each restart (recover).
      const store = new SqliteStore(env.DATA_DIR);
      await store.init();
      const completed = async () => (await store.runs.list({ statuses: ['completed'], limit: 100 })).length;
      for (let round = 0; round < 60 && (await completed()) < N; round++) {
        const cards = (await api(p.url, 'POST', '/api/messages', { text: '/approvals' })).body.messages ?? [];
        const approve = cards.flatMap((m) => m.buttons.filter((b) => b.label === 'Approve'))[0];
        if (approve) {
          const tapped = api(p.url, 'POST', `/api/buttons/${encodeURIComponent(approve.id)}`).catch(() => undefined);
          await new Promise((r) => setTimeout(r, 50 + random() * 900));
          p = await restart();
          kills++;
          await tapped;
        } else {
          // Nothing waits for approval: let the resumed runs work, and now and then kill them again.
          await new Promise((r) => setTimeout(r, 300 + random() * 700));
          if (random() < 0.5) {
            p = await restart();
            kills++;
          }
        }
      }
      await store.close();
      const stopped = new Promise((r) => p.child.once('exit', r));
      p.child.kill('SIGTERM');
      await stopped;
      outputs.push(p.output());
      proc = undefined;

      const final = new SqliteStore(env.DATA_DIR);
      await final.init();
      try {
        const runs = (await final.runs.list({ limit: 100 })).filter((r) => r.workflow === 'invoice');
        assert.equal(runs.length, N, 'one run per /invoice, however the requests and kills fell');
        for (const run of runs) {
          assert.equal(
            run.status,
            'completed',
            `${run.id}: ${run.status} ${JSON.stringify(run.review ?? run.error ?? '')}`,
          );
          assert.equal(
            (await final.events.readStream(`run:${run.id}`, { types: ['run.finished'] })).length,
            1,
            `${run.id} finished once`,
          );
        }
        const ledger = await final.ledger.listInvoices(100);
        assert.deepEqual(
          ledger.map((i) => i.number).sort((a, b) => a - b),
          Array.from({ length: N }, (_, i) => i + 1),
          'INV-0001..INV-0010, no gap',
        );
        assert.ok(
          ledger.every((i) => i.status === 'issued' && i.stripeInvoiceId && i.mailMessageId && i.pdfFile),
          'each issued, mailed, with a PDF',
        );

        // Stripe: exactly one invoice per ledger invoice, each finalized and sent once; no key did anything twice.
        const inStripe = stripe.invoices().filter((i) => (i['metadata'] as Record<string, string>)['ledger_invoice']);
        assert.equal(inStripe.length, N, `exactly ${N} invoices in Stripe`);
        assert.deepEqual(
          new Set(inStripe.map((i) => (i['metadata'] as Record<string, string>)['ledger_invoice'])).size,
          N,
        );
        assert.ok(
          inStripe.every(
            (i) => i['status'] === 'open' && stripe.state.emails.filter((e) => e.invoice === i.id).length === 1,
          ),
          'each sent by Stripe once',
        );
        assert.deepEqual(new Set(ledger.map((i) => i.stripeInvoiceId)), new Set(inStripe.map((i) => i.id)));
        const http = stripe.report();
        assert.deepEqual(http.duplicates, [], 'no Stripe key took effect twice');

        // Mail: exactly N in the client's mailbox, one per run, under the Message-ID of its step key.
        const expected = runs.map((r) => messageIdForKey(`${r.id}:mail`, 'example.com')).sort();
        assert.deepEqual(
          servers.messageIds(CLIENT).sort(),
          expected,
          `exactly ${N} mails in the client's INBOX, each once`,
        );
        const accepted = servers.delivered.filter((d) => d.to.includes(CLIENT)).length;
        assert.equal(accepted, N, 'the SMTP server accepted each mail once');
        assert.deepEqual(servers.messageIds(ops.address, 'Solo Outbox'), [], 'no mail left in doubt');

        // Attempted (calls the process made, counted from its debug log across every life) vs performed.
        const calls = outputs.flatMap((o) => logLines(o)).filter((l) => l.msg === 'connector call');
        const attempts = (connector: string, method: string) =>
          calls.filter((l) => l['connector'] === connector && l['method'] === method);
        const issueCalls = attempts('payments', 'issueInvoice');
        const mailCalls = attempts('mail', 'send');
        const created = [...stripe.effects.entries()].filter(([k]) => k.endsWith(':issue:invoice'));
        const resumed = (await final.events.readRange({ types: ['run.resumed'] })).filter(
          (e) => e.type === 'run.resumed' && e.data.reason === 'restart',
        ).length;
        t.diagnostic(`kills ${kills}; runs resumed after a restart ${resumed}`);
        t.diagnostic(
          `Stripe issue: attempted ${issueCalls.length} calls (${new Set(issueCalls.map((l) => l['key'])).size} unique keys) → performed ${created.reduce((n, [, c]) => n + c, 0)} invoices created, ${inStripe.length} in Stripe`,
        );
        t.diagnostic(
          `Stripe HTTP: ${http.attempted} keyed requests over ${http.keys} keys → ${http.performed} effects, duplicates ${http.duplicates.length}`,
        );
        t.diagnostic(
          `Mail send: attempted ${mailCalls.length} calls (${new Set(mailCalls.map((l) => l['key'])).size} unique keys) → performed ${accepted} SMTP deliveries, ${servers.messageIds(CLIENT).length} in the client's INBOX`,
        );
        assert.equal(new Set(issueCalls.map((l) => l['key'])).size, N);
        assert.equal(created.length, N);
        assert.ok(
          created.every(([, c]) => c === 1),
          'performed = unique keys',
        );
        assert.equal(new Set(mailCalls.map((l) => l['key'])).size, N);
        assert.ok(issueCalls.length >= N && mailCalls.length >= N);
        assert.ok(kills >= N, `at least one kill per approval (${kills})`);

        // Every life logged at debug level, connector calls and failures included: no credential in any line.
        const secrets = [stripe.apiKey, SECRET, ops.password, encodeURIComponent(ops.password)];
        const leaked = secrets.filter((s) => outputs.some((o) => o.includes(s)));
        assert.deepEqual(
          leaked.map((s) => `${s.slice(0, 4)}…`),
          [],
          'no Stripe key, webhook secret or mail password in the logs',
        );
      } finally {
        await final.close();
      }
    } finally {
      if (proc) await killHard(proc.child);
      await stripe.close();
      await servers.stop();
    }
  },
);
