// Connectors that fail, through the whole app: a Stripe key Stripe refuses and a calendar server that is not there.
// The operator reads one sentence naming the connector and what to do (in /status, in the invoice's summary, in the
// review of a booking), never a stack trace; the invoice is still recorded with its PDF; and no credential reaches
// a reply or a log line (the app's own logger at debug level, with its redact list).

import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { startSolo, type SoloApp } from '../../src/main.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { api, say, tempDir, type ApiMessage } from '../support/app.ts';
import { StripeFake } from '../fakes/stripe/server.ts';

const WRONG_KEY = 'sk_test_wrong_key_never_shown_9f3a';
const CAL_PASSWORD = 'cal-pw-never-shown-77c1';
const WEBHOOK_SECRET = 'whsec_errors_test_4455667788';

/** A port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  await new Promise((r) => server.close(r));
  return typeof address === 'object' && address ? address.port : 0;
}

describe('connector failures as the operator sees them', () => {
  let stripe: StripeFake;
  let app: SoloApp;
  let base: string;
  let port: number;
  let log = '';
  const replies: string[] = [];

  const chat = async (text: string): Promise<ApiMessage[]> => {
    const messages = await say(base, text);
    replies.push(...messages.map((m) => m.text));
    return messages;
  };

  before(async () => {
    stripe = await new StripeFake().start();
    port = await closedPort();
    const config = loadConfig({
      DATA_DIR: tempDir(),
      PORT: '0',
      LOG_LEVEL: 'debug',
      POLICIES_DIR: tempDir('solo-policies-'),
      EMBEDDING_MODEL: 'off',
      RATE_LIMIT_PER_MINUTE: '0',
      STRIPE_SECRET_KEY: WRONG_KEY,
      STRIPE_API_URL: stripe.url,
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      CALDAV_URL: `http://127.0.0.1:${port}/ops/calendar/`,
      CALDAV_USERNAME: 'ops',
      CALDAV_PASSWORD: CAL_PASSWORD,
    });
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => void ((log += chunk.toString()), done()) });
    app = await startSolo(config, { logger: await createLogger(config, sink) });
    base = app.url;
  });
  after(async () => {
    await app?.stop();
    await stripe?.close();
  });

  test('/status says which connector is wrong and what to do', async () => {
    const status = (await chat('/status'))[0]?.text ?? '';
    assert.match(
      status,
      /\nPayments: misconfigured — Stripe[^\n]* at 127\.0\.0\.1:\d+: Stripe refused the API key; check STRIPE_SECRET_KEY; webhook at \/stripe\/webhook/,
    );
    assert.match(
      status,
      new RegExp(
        `\\nCalendar: down — CalDAV ops at 127\\.0\\.0\\.1:${port}[^\\n]*: The calendar server at 127\\.0\\.0\\.1:${port} cannot be reached \\(ECONNREFUSED\\)`,
      ),
    );
    assert.match(status, /\nMail: not configured \(set SMTP_URL, IMAP_URL and MAIL_FROM\)/);
  });

  test('an invoice Stripe refuses to issue is still recorded with its PDF; the summary says why in one sentence', async () => {
    await chat('/business name Sam Solo Consulting');
    await chat('/business address 1 Main St; Springfield');
    await chat('/remember Acme Corp: billing email billing@acme.example');
    const [card] = await chat('/invoice Acme 250 Audit');
    const approve = card?.buttons.find((b) => b.label === 'Approve');
    assert.ok(approve, card?.text);
    const res = await api(base, 'POST', `/api/buttons/${encodeURIComponent(approve.id)}`);
    const texts = (res.body.messages ?? []).map((m) => m.text);
    replies.push(...texts);
    assert.equal(
      texts.at(-1),
      'Recorded INV-0001: Acme Corp, 250.00 EUR.\nNot issued in Stripe: Stripe refused the API key; check STRIPE_SECRET_KEY.\nPDF: invoices/INV-0001.pdf.',
    );
    const invoice = await app.store.ledger.getInvoice(1);
    assert.equal(invoice?.status, 'recorded');
    assert.equal(invoice?.stripeInvoiceId, undefined);
    assert.equal(stripe.invoices().length, 0, 'nothing reached Stripe');
  });

  test('/book with the calendar down: tried again, then a review that says what is wrong', async () => {
    const messages = await chat('/book 30 Intro call');
    const review = messages.find((m) => m.text.includes('needs your review'));
    assert.match(
      review?.text ?? '',
      new RegExp(
        `What happened: step "slots" failed 3 times: The calendar server at 127\\.0\\.0\\.1:${port} cannot be reached \\(ECONNREFUSED\\)\\.\n`,
      ),
      'the tries are spent: the card does not promise another',
    );
    assert.ok(!messages.some((m) => /\n\s+at /.test(m.text)), 'no stack trace');
  });

  test('no credential in any reply or log line', async () => {
    assert.ok(log.includes('"msg":"connector call"'), 'the connector calls were logged at debug level');
    for (const secret of [
      WRONG_KEY,
      CAL_PASSWORD,
      WEBHOOK_SECRET,
      Buffer.from(`ops:${CAL_PASSWORD}`).toString('base64'),
    ]) {
      assert.ok(!log.includes(secret), `a credential (${secret.slice(0, 6)}…) is in the log`);
      assert.ok(!replies.some((r) => r.includes(secret)), `a credential (${secret.slice(0, 6)}…) is in a reply`);
    }
  });
});
