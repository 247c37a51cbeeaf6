// The Stripe webhook endpoint on a real HTTP server, fed by the fake's signed deliveries: invoice.paid and
// invoice.payment_failed reach onEvent with the invoice, its metadata and the event id; other events are
// acknowledged and ignored; a bad, missing or expired signature is a 400 and nothing happens; a redelivery
// carries the same event id; a failing onEvent answers 500 so Stripe delivers again.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, test } from 'node:test';
import { createStripeWebhook, type StripePayments } from '../../adapters/connectors/payments/index.ts';
import type { PaymentEvent } from '../../src/ports/payments.ts';
import type { Obj } from '../fakes/stripe/resources.ts';
import { connectorFor, invoiceFor, silentLogger, StripeFake } from './payments-support.ts';

const SECRET = 'whsec_test_0123456789abcdef';
let fake: StripeFake;
let payments: StripePayments;
let server: Server;
let url = '';
const received: PaymentEvent[] = [];
let failNext = false;

before(async () => {
  fake = await new StripeFake().start();
  payments = await connectorFor(fake);
  const handler = createStripeWebhook({
    secret: SECRET,
    logger: await silentLogger(),
    onEvent: async (event) => {
      if (failNext) {
        failNext = false;
        throw new Error('store down');
      }
      received.push(event);
    },
  });
  server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/stripe/webhook`;
  fake.addWebhookEndpoint(url, SECRET);
});
after(async () => {
  await payments.close();
  await fake.close();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});
beforeEach(async () => {
  await fake.settled();
  received.length = 0;
});

const pay = (invoice: string, form: Record<string, string> = {}) =>
  fetch(`${fake.url}/v1/invoices/${invoice}/pay`, {
    method: 'POST',
    headers: { authorization: `Bearer ${fake.apiKey}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
const lastEvent = (type: string): Obj => {
  const event = fake.events.filter((e) => e['type'] === type).at(-1);
  assert.ok(event, `no ${type} event`);
  return event;
};

test('invoice.paid reaches onEvent once with the Stripe invoice, its metadata and the event id', async () => {
  const issued = await payments.issueInvoice(invoiceFor('h1'), {
    idempotencyKey: 'run-h1:issue',
    startedAt: new Date(fake.now()),
  });
  await fake.settled();
  assert.deepEqual(received, [], 'created, finalized and sent events are acknowledged and ignored');
  assert.ok(fake.deliveries.length > 0 && fake.deliveries.every((d) => d.status === 200));
  assert.equal((await pay(issued.invoiceId)).status, 200);
  await fake.settled();
  const event = lastEvent('invoice.paid');
  assert.deepEqual(received, [
    {
      type: 'invoice.paid',
      eventId: event.id,
      stripeInvoiceId: issued.invoiceId,
      metadata: { ledger_invoice: 'INV-00h1', solo_key: 'run-h1:issue', solo_sent: 'yes' },
    },
  ]);
  assert.match(event.id, /^evt_\w+$/);
});

test('invoice.payment_failed reaches onEvent too', async () => {
  const issued = await payments.issueInvoice(invoiceFor('h2'), {
    idempotencyKey: 'run-h2:issue',
    startedAt: new Date(fake.now()),
  });
  assert.equal((await pay(issued.invoiceId, { payment_method: 'pm_card_chargeDeclined' })).status, 402);
  await fake.settled();
  assert.deepEqual(
    received.map((e) => [e.type, e.stripeInvoiceId, e.eventId]),
    [['invoice.payment_failed', issued.invoiceId, lastEvent('invoice.payment_failed').id]],
  );
});

test('a redelivered event carries the same event id (the caller dedupes)', async () => {
  const event = lastEvent('invoice.paid');
  const [first] = await fake.deliver(event);
  const [second] = await fake.deliver(event);
  assert.deepEqual([first?.status, second?.status], [200, 200]);
  assert.deepEqual(
    received.map((e) => e.eventId),
    [event.id, event.id],
  );
});

test('a wrong secret, an expired or missing signature, or a tampered body: 400 and nothing happens', async () => {
  const event = lastEvent('invoice.paid');
  assert.equal((await fake.deliver(event, { secret: 'whsec_someone_else_0000' }))[0]?.status, 400);
  assert.equal(
    (await fake.deliver(event, { timestamp: Math.floor(Date.now() / 1000) - 301 }))[0]?.status,
    400,
    'older than the 5 min tolerance',
  );
  assert.equal(
    (await fake.deliver(event, { timestamp: Math.floor(Date.now() / 1000) - 240 }))[0]?.status,
    200,
    'within the tolerance',
  );
  received.length = 0;
  const body = JSON.stringify(event);
  const unsigned = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  assert.equal(unsigned.status, 400);
  const t = Math.floor(Date.now() / 1000);
  const { createHmac } = await import('node:crypto');
  const signature = `t=${t},v1=${createHmac('sha256', SECRET).update(`${t}.${body}`).digest('hex')}`;
  const tampered = await fetch(url, {
    method: 'POST',
    headers: { 'stripe-signature': signature },
    body: body.replace('"paid"', '"void"'),
  });
  assert.equal(tampered.status, 400);
  const genuine = await fetch(url, { method: 'POST', headers: { 'stripe-signature': signature }, body });
  assert.equal(genuine.status, 200);
  assert.equal(received.length, 1, 'only the genuine delivery got through');
});

test('onEvent failing answers 500 so Stripe retries; wrong method and oversized bodies are refused', async () => {
  failNext = true;
  const event = lastEvent('invoice.paid');
  assert.equal((await fake.deliver(event))[0]?.status, 500);
  assert.deepEqual(received, []);
  assert.equal((await fake.deliver(event))[0]?.status, 200);
  assert.equal(received.length, 1);
  assert.equal((await fetch(url)).status, 405);
  const big = await fetch(url, {
    method: 'POST',
    headers: { 'stripe-signature': 't=1,v1=00' },
    body: 'x'.repeat(600 * 1024),
  }).catch(() => undefined);
  assert.ok(big === undefined || big.status === 413);
});
