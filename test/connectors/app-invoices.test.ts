// The whole app with real connectors, through the web API: Dovecot + an SMTP server for mail, the Stripe fake (the
// real stripe SDK) for payments, the Stripe webhook on the app's own HTTP server. An approved /invoice is matched to
// the client's memory profile ("Acme" is Acme Corp), issued in Stripe once, rendered as a PDF with the business
// details and mailed to the client with that PDF; the webhook marks it paid and tells the operator once.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
// eslint-disable-next-line no-restricted-imports -- test oracle: parses the mail as it landed in the client's mailbox
import { simpleParser } from 'mailparser';
import { messageIdForKey } from '../../src/mail/message-id.ts';
import type { SoloApp } from '../../src/main.ts';
import { api, say, startTestApp, type ApiMessage } from '../support/app.ts';
import { mailServerSkipReason, startMailServers, type MailServers } from '../support/mail-server.ts';
import { pdfText } from '../support/pdf-text.ts';
import { StripeFake } from '../fakes/stripe/server.ts';

const skip = mailServerSkipReason();
const SECRET = 'whsec_app_test_0123456789';
const CLIENT = 'client@example.net';

const tap = async (base: string, m: ApiMessage | undefined, label: string): Promise<ApiMessage[]> => {
  const button = m?.buttons.find((b) => b.label === label);
  assert.ok(button, `a ${label} button on: ${m?.text ?? '(no message)'}`);
  const res = await api(base, 'POST', `/api/buttons/${encodeURIComponent(button.id)}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.messages ?? [];
};

describe('invoices with real mail, Stripe and the webhook', { skip }, () => {
  let servers: MailServers;
  let stripe: StripeFake;
  let app: SoloApp;
  let base: string;

  const notices = async (prefix: string): Promise<string[]> =>
    (await app.store.events.readStream('chat:web:operator', { types: ['message.sent'] })).flatMap((e) =>
      e.type === 'message.sent' && e.data.text.startsWith(prefix) ? [e.data.text] : [],
    );

  /** The mail with this Message-ID as it landed in a mailbox, parsed. */
  const landed = async (user: string, messageId: string) => {
    const out = servers.doveadm(['fetch', '-u', user, 'text', 'mailbox', 'INBOX', 'header', 'Message-ID', messageId]);
    return simpleParser(out.replace(/^text:\n/, ''));
  };

  before(async () => {
    servers = await startMailServers();
    stripe = await new StripeFake().start();
    const ops = servers.users[0]!;
    app = await startTestApp({
      SMTP_URL: servers.url('smtp', ops),
      IMAP_URL: servers.url('imap', ops),
      MAIL_FROM: `Solo Ops <${ops.address}>`,
      MAIL_POLL_SECONDS: '3600',
      STRIPE_SECRET_KEY: stripe.apiKey,
      STRIPE_API_URL: stripe.url,
      STRIPE_WEBHOOK_SECRET: SECRET,
      RATE_LIMIT_PER_MINUTE: '0',
    });
    base = app.url;
    stripe.addWebhookEndpoint(`${base}/stripe/webhook`, SECRET);
  });
  after(async () => {
    await app?.stop();
    await stripe?.close();
    await servers?.stop();
  });

  test('/business sets what invoices carry; /status has a line per connector', async () => {
    assert.match(
      (await say(base, '/business'))[0]?.text ?? '',
      /Invoices get no PDF until you set your business name and address/,
    );
    await say(base, '/business name Müller Consulting GmbH');
    await say(base, '/business address Hauptstraße 1; 10115 Berlin; Germany');
    assert.match(
      (await say(base, '/business vat DE123456789'))[0]?.text ?? '',
      /^Saved\. New invoices carry these details\.\nName: Müller Consulting GmbH\nAddress: Hauptstraße 1; 10115 Berlin; Germany\nVAT \/ tax id: DE123456789/,
    );
    assert.equal(
      (await say(base, '/business terms soon'))[0]?.text,
      'Payment terms are a number of days from 0 to 365, e.g. /business terms 30.',
    );
    const status = (await say(base, '/status'))[0]?.text ?? '';
    assert.match(
      status,
      /\nMail: SMTP ops@example\.com at 127\.0\.0\.1:\d+: ok \(\d+ ms\); IMAP ops@example\.com at 127\.0\.0\.1:\d+: ok \(\d+ ms\); inbox checked every 3600 s/,
    );
    assert.match(
      status,
      /\nPayments: Stripe \(test mode\) at 127\.0\.0\.1:\d+: ok \(\d+ ms\); webhook at \/stripe\/webhook/,
    );
    assert.match(status, /\nCalendar: not configured \(set CALDAV_URL, CALDAV_USERNAME and CALDAV_PASSWORD\)/);
    assert.ok(!status.includes(stripe.apiKey) && !status.includes(servers.users[0]!.password), 'no secret in /status');
  });

  test('an approved invoice for "Acme" is Acme Corp\'s: issued in Stripe once, a PDF, mailed with the PDF', async () => {
    await say(base, '/remember Acme Corp: billing email client@example.net, pays net 30');
    const [card] = await say(base, '/invoice Acme 1200 March workshop');
    const text = card?.text ?? '';
    assert.match(
      text,
      /^Approval needed: Invoice to Acme Corp for 1,200\.00 EUR\nTo: Acme Corp \(you wrote "Acme"\)\nAmount: 1,200\.00 EUR\nFor: March workshop\n/,
    );
    assert.match(
      text,
      /\nDue: 30 days after the invoice date \(from memory\)\nPDF: with Müller Consulting GmbH's details\nStripe: issued and sent to client@example\.net\nMail: the PDF to "Acme Corp" <client@example\.net> once approved/,
    );
    const runId = /Run (r\w+)/.exec(text)?.[1] ?? '';
    const replies = await tap(base, card, 'Approve');
    const summary = replies.at(-1)?.text ?? '';
    assert.match(
      summary,
      /^Recorded INV-0001: Acme Corp, 1,200\.00 EUR\.\nIssued in Stripe as [\w-]+: https:\/\/invoice\.stripe\.com\/\S+\.\nPDF: invoices\/INV-0001\.pdf\.\nMailed to "Acme Corp" <client@example\.net>\.$/,
    );
    assert.equal(
      replies.filter((m) => m.text.startsWith('Approval needed')).length,
      0,
      'one card covered the Stripe issue and the mail',
    );

    // Stripe: exactly one invoice, finalized and sent, for Acme Corp's customer, with the line and the ledger number.
    const inStripe = stripe
      .invoices()
      .filter((i) => (i['metadata'] as Record<string, string>)['ledger_invoice'] === 'INV-0001');
    assert.equal(inStripe.length, 1);
    const issued = inStripe[0]!;
    assert.equal(issued['status'], 'open');
    assert.equal((issued['metadata'] as Record<string, string>)['solo_key'], `${runId}:issue`);
    assert.deepEqual(
      (issued['lines'] as { data: { description: string; amount: number }[] }).data.map((l) => [
        l.description,
        l.amount,
      ]),
      [['March workshop', 120_000]],
    );
    assert.equal(
      Number(issued['due_date']) - Number((issued['status_transitions'] as Record<string, number>)['finalized_at']),
      30 * 86_400,
      'due in 30 days, from memory',
    );
    const customer = stripe.state.customers.get(String(issued['customer']));
    assert.deepEqual([customer?.['name'], customer?.['email']], ['Acme Corp', CLIENT]);

    // The ledger knows all of it.
    const invoice = await app.store.ledger.getInvoice(1);
    assert.equal(invoice?.status, 'issued');
    assert.equal(invoice?.stripeInvoiceId, issued.id);
    assert.equal(invoice?.clientKey, 'client:acme-corp');
    assert.equal(invoice?.mailMessageId, messageIdForKey(`${runId}:mail`, 'example.com'));

    // The PDF on disk says who, what and how to pay.
    const pdf = readFileSync(join(app.config.DATA_DIR, 'invoices', 'INV-0001.pdf'));
    const words = pdfText(pdf);
    for (const expected of [
      'Müller Consulting GmbH',
      'Hauptstraße 1',
      'VAT / tax ID: DE123456789',
      'Number: INV-0001',
      'Acme Corp',
      CLIENT,
      'March workshop',
      '1,200.00 EUR',
      `Pay online: ${String(issued['hosted_invoice_url'])}`,
    ]) {
      assert.ok(words.includes(expected), `PDF says "${expected}"`);
    }

    // The client's mailbox: exactly one mail, from us, with that PDF attached byte for byte.
    assert.deepEqual(servers.messageIds(CLIENT), [invoice?.mailMessageId]);
    const mail = await landed(CLIENT, invoice?.mailMessageId ?? '');
    assert.equal(mail.subject, 'Invoice INV-0001 from Müller Consulting GmbH');
    assert.match(
      mail.text ?? '',
      /please find attached invoice INV-0001 for 1,200\.00 EUR, due on \d{4}-\d{2}-\d{2}\.\nYou can also pay it online: https:\/\/invoice\.stripe\.com/,
    );
    assert.deepEqual(
      mail.attachments.map((a) => [a.filename, a.contentType]),
      [['INV-0001.pdf', 'application/pdf']],
    );
    assert.ok(mail.attachments[0]?.content.equals(pdf), 'the attachment is the PDF on disk');

    const shown = (await say(base, '/invoice INV-0001'))[0];
    assert.match(
      shown?.text ?? '',
      /^INV-0001 · Acme Corp · 1,200\.00 EUR · issued\nDate \d{4}-\d{2}-\d{2} · due \d{4}-\d{2}-\d{2} · client@example\.net\n- March workshop: 1,200\.00 EUR\nPDF: invoices\/INV-0001\.pdf\nStripe: [\w-]+ · https:\/\/invoice\.stripe\.com\/\S+\nMailed to "Acme Corp" <client@example\.net> on \d{4}-\d{2}-\d{2}$/,
    );
    assert.deepEqual(
      shown?.buttons.map((b) => b.label),
      ['Mark paid'],
    );
  });

  test('Stripe says it is paid: the ledger is marked and the operator told once, however often Stripe redelivers', async () => {
    const invoice = await app.store.ledger.getInvoice(1);
    const paid = await fetch(`${stripe.url}/v1/invoices/${invoice?.stripeInvoiceId ?? ''}/pay`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stripe.apiKey}` },
    });
    assert.equal(paid.status, 200);
    await stripe.settled();
    const event = stripe.events.filter((e) => e['type'] === 'invoice.paid').at(-1);
    assert.ok(event);
    assert.equal(stripe.deliveries.filter((d) => d.id === event.id)[0]?.status, 200);
    await stripe.deliver(event);
    await stripe.deliver(event);
    assert.equal((await app.store.ledger.getInvoice(1))?.status, 'paid');
    assert.equal((await app.store.ledger.getInvoice(1))?.paidVia, 'stripe');
    assert.deepEqual(await notices('Paid:'), ['Paid: INV-0001 · Acme Corp · 1,200.00 EUR (Stripe).']);
    const signals = await app.store.events.readStream('signals:invoice.paid');
    assert.deepEqual(
      signals.map((s) => (s.type === 'signal.received' ? s.data.key : '')),
      ['INV-0001'],
      'one invoice.paid signal, keyed by the invoice number',
    );
    assert.match(
      (await say(base, '/paid INV-0001'))[0]?.text ?? '',
      /^INV-0001 was already paid on \d{4}-\d{2}-\d{2} \(Stripe\)\. Nothing changed\.$/,
    );
    const forged = await fetch(`${base}/stripe/webhook`, {
      method: 'POST',
      headers: { 'stripe-signature': 't=1,v1=00' },
      body: JSON.stringify(event),
    });
    assert.equal(forged.status, 400);
  });

  test('a client memory has no email for: recorded with a PDF, not issued, not mailed; /paid by hand', async () => {
    const [card] = await say(base, '/invoice Initech 300');
    assert.match(
      card?.text ?? '',
      /\nStripe: not issued — memory has no email for Initech\nMail: not sent — memory has no email for Initech\n\(\/remember Initech: billing email name@example\.com adds it\)/,
    );
    const summary = (await tap(base, card, 'Approve')).at(-1)?.text ?? '';
    assert.equal(
      summary,
      'Recorded INV-0002: Initech, 300.00 EUR.\nPDF: invoices/INV-0002.pdf.\nNot mailed: memory has no email for Initech.',
    );
    assert.equal(
      stripe.invoices().filter((i) => (i['metadata'] as Record<string, string>)['ledger_invoice'] === 'INV-0002')
        .length,
      0,
    );
    assert.equal((await say(base, '/paid 2'))[0]?.text, 'Marked INV-0002 paid: Initech, 300.00 EUR.');
    assert.equal((await say(base, '/paid INV-0099'))[0]?.text, 'There is no INV-0099. /invoices lists them.');
    assert.equal((await say(base, '/invoice 99'))[0]?.text, 'There is no INV-0099. /invoices lists them.');
    assert.match(
      (await say(base, '/invoice #2'))[0]?.text ?? '',
      /^INV-0002 · Initech · 300\.00 EUR · paid\n[^]*\nPaid on \d{4}-\d{2}-\d{2} \(marked by hand\)$/,
    );
    assert.equal((await say(base, '/paid'))[0]?.text, 'Usage: /paid <invoice number>, e.g. /paid INV-0001');
    assert.match(
      (await say(base, '/invoices'))[0]?.text ?? '',
      /^INV-0002 · Initech · 300\.00 EUR · paid · .*\nINV-0001 · Acme Corp · 1,200\.00 EUR · paid/,
    );
  });

  test('an address the mail server refuses: the invoice stays issued and the operator reads why', async () => {
    await say(base, '/remember Globex: billing email nobody@example.net');
    const [card] = await say(base, '/invoice Globex 99');
    const summary = (await tap(base, card, 'Approve')).at(-1)?.text ?? '';
    assert.match(
      summary,
      /^Recorded INV-0003: Globex, 99\.00 EUR\.\nIssued in Stripe as [\w-]+: \S+\.\nPDF: invoices\/INV-0003\.pdf\.\nNot mailed: The mail server refused nobody@example\.net; check the address in Globex's memory\.$/,
    );
    assert.equal((await app.store.ledger.getInvoice(3))?.status, 'issued');
  });

  test('the mail server keeps deferring: the run waits for review; Cancel voids the invoice in Stripe and in the ledger', async () => {
    servers.failData = 451;
    try {
      const [card] = await say(base, '/invoice Acme 450');
      const replies = await tap(base, card, 'Approve');
      const review = replies.find((m) => m.text.includes('needs your review'));
      assert.match(review?.text ?? '', /What happened: step "mail" failed 5 times: .*(SMTP|mail server)/i);
      const invoice = await app.store.ledger.getInvoice(4);
      assert.equal(invoice?.status, 'issued');
      const cancelled = await tap(base, review, 'Cancel and compensate');
      assert.match(cancelled.map((m) => m.text).join('\n'), /\(invoice\) was cancelled\. Undid 2 completed steps\./);
      assert.equal((await app.store.ledger.getInvoice(4))?.status, 'void');
      assert.equal(
        stripe.state.invoices.get(invoice?.stripeInvoiceId ?? '')?.['status'],
        'void',
        'voided in Stripe too',
      );
    } finally {
      servers.failData = undefined;
    }
  });
});
