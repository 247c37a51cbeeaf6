// Money coming in, on a real engine and SQLite ledger: a Stripe payment marks the invoice paid and tells the operator
// once however often it is delivered; /paid and the webhook racing mark it once; a failed payment is told once per
// Stripe event; an event for another Stripe invoice is not ours; a run waiting for the payment resumes.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { z } from 'zod';
import { defineWorkflow } from '../../src/engine/workflow.ts';
import { parseInvoiceNumber } from '../../src/invoices/number.ts';
import { markPaid, paymentEvents, type PaymentDeps } from '../../src/invoices/payments.ts';
import type { PaymentEvent } from '../../src/ports/payments.ts';
import { harness, origin } from '../engine/harness.ts';

const waitForPay = defineWorkflow({
  name: 'thanks',
  version: 1,
  description: 'waits for a payment',
  input: z.object({ number: z.string() }),
  async run(ctx, input) {
    const paid = await ctx.wait<{ via: string }>('paid', { event: 'invoice.paid', key: input.number });
    await ctx.say('thank', `Thanks for paying ${input.number} (${paid.via}).`);
    return paid;
  },
});

const event = (
  type: PaymentEvent['type'],
  eventId: string,
  stripeInvoiceId: string,
  ledger?: string,
): PaymentEvent => ({ type, eventId, stripeInvoiceId, metadata: ledger ? { ledger_invoice: ledger } : {} });

test('invoice numbers are read as INV-0007, inv-7, #7 or 7', () => {
  assert.deepEqual(['INV-0007', 'inv-7', '#7', '7', ' INV7 '].map(parseInvoiceNumber), [7, 7, 7, 7, 7]);
  assert.deepEqual(['', 'INV-', 'seven', '7.5', '-3', '0'].map(parseInvoiceNumber), [
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
  ]);
});

test('paid once, told once; failures told per event; not ours is left alone; a waiting run resumes', async () => {
  const h = await harness([waitForPay]);
  const notices: string[] = [];
  const d: PaymentDeps = {
    ledger: h.store.ledger,
    signal: (s, f) => h.engine.signal(s, f),
    notify: async (m) => void notices.push(m.text),
    logger: pino({ level: 'silent' }),
  };
  const onEvent = paymentEvents(d);
  const record = (n: number) =>
    h.store.ledger.recordInvoice({
      client: `Client ${n}`,
      amountMinor: n * 1000,
      currency: 'EUR',
      runId: `r${n}`,
      idempotencyKey: `r${n}:record`,
    });
  await record(1);
  await record(2);
  await record(3);
  await h.store.ledger.updateInvoice(1, { status: 'issued', stripeInvoiceId: 'in_one' });
  await h.store.ledger.updateInvoice(2, { status: 'issued', stripeInvoiceId: 'in_two' });
  await h.engine.start('thanks', { number: 'INV-0001' }, { id: 'r-thanks', origin });
  assert.equal((await h.store.runs.get('r-thanks'))?.status, 'suspended');

  await onEvent(event('invoice.payment_failed', 'evt_f1', 'in_one', 'INV-0001'));
  await onEvent(event('invoice.payment_failed', 'evt_f1', 'in_one', 'INV-0001'));
  await onEvent(event('invoice.payment_failed', 'evt_f2', 'in_one', 'INV-0001'));
  assert.deepEqual(
    notices,
    [
      'A payment of INV-0001 · Client 1 · 10.00 EUR failed in Stripe.',
      'A payment of INV-0001 · Client 1 · 10.00 EUR failed in Stripe.',
    ],
    'two failures, one redelivery',
  );

  notices.length = 0;
  await Promise.all([
    onEvent(event('invoice.paid', 'evt_p1', 'in_one', 'INV-0001')),
    onEvent(event('invoice.paid', 'evt_p1', 'in_one', 'INV-0001')),
    markPaid(d, 1, 'manual'),
  ]);
  await onEvent(event('invoice.paid', 'evt_p1', 'in_one', 'INV-0001'));
  await h.engine.idle();
  const one = await h.store.ledger.getInvoice(1);
  assert.equal(one?.status, 'paid');
  assert.ok(notices.length <= 1, `told at most once: ${notices.join(' | ')}`);
  if (one?.paidVia === 'stripe') assert.deepEqual(notices, ['Paid: INV-0001 · Client 1 · 10.00 EUR (Stripe).']);
  const thanks = await h.store.runs.get('r-thanks');
  assert.equal(thanks?.status, 'completed', 'the run waiting for the payment of INV-0001 resumed');
  assert.ok(h.sent.some((m) => m.text.startsWith('Thanks for paying INV-0001')));

  // The metadata names INV-0002, but INV-0002 is another Stripe invoice: not ours; nothing by that id either.
  notices.length = 0;
  await onEvent(event('invoice.paid', 'evt_p9', 'in_elsewhere', 'INV-0002'));
  assert.equal((await h.store.ledger.getInvoice(2))?.status, 'issued');
  assert.deepEqual(notices, []);
  // Found by its Stripe id when the metadata is missing.
  await onEvent(event('invoice.paid', 'evt_p2', 'in_two'));
  assert.equal((await h.store.ledger.getInvoice(2))?.status, 'paid');
  assert.deepEqual(notices, ['Paid: INV-0002 · Client 2 · 20.00 EUR (Stripe).']);

  await h.store.ledger.updateInvoice(3, { status: 'issued', stripeInvoiceId: 'in_three' });
  await h.store.ledger.voidInvoice(3);
  assert.equal((await markPaid(d, 3, 'manual')).status, 'void');
  // Paid in Stripe although void in the ledger: not marked paid; the operator is told once, redeliveries or not.
  notices.length = 0;
  await onEvent(event('invoice.paid', 'evt_p3', 'in_three', 'INV-0003'));
  await onEvent(event('invoice.paid', 'evt_p3', 'in_three', 'INV-0003'));
  assert.equal((await h.store.ledger.getInvoice(3))?.status, 'void');
  assert.deepEqual(notices, [
    'Stripe says INV-0003 · Client 3 · 30.00 EUR was paid, but it is void in the ledger: refund it in Stripe, or record it again with /invoice.',
  ]);
  assert.equal((await markPaid(d, 99, 'manual')).status, 'unknown');
  assert.equal((await markPaid(d, 2, 'manual')).status, 'already');
  await h.close();
});
