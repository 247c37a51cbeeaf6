// Money coming in: Stripe's invoice.paid / invoice.payment_failed (from the webhook) and /paid by hand. Each becomes
// an engine signal (`invoice.paid`, key INV-0001: a run that waits on the payment resumes; one arriving first is
// kept) and the ledger is marked paid by compare-and-set, so however often Stripe redelivers, and whether the webhook
// or /paid comes first, the invoice is marked once and the operator told once.

import { formatMoney } from '../domain/money.ts';
import type { OutboundMessage } from '../domain/messages.ts';
import type { Signal, SignalFrom } from '../engine/signal.ts';
import type { Logger } from '../observability/logger.ts';
import type { Invoice, LedgerStore } from '../ports/engine-store.ts';
import type { PaymentEvent } from '../ports/payments.ts';
import { invoiceNumber as formatNumber, parseInvoiceNumber } from './number.ts';

export interface PaymentDeps {
  ledger: Pick<LedgerStore, 'getInvoice' | 'findByStripeId' | 'updateInvoice'>;
  signal: (signal: Signal, from: SignalFrom) => Promise<{ status: string }>;
  notify: (message: OutboundMessage) => Promise<unknown>;
  logger: Logger;
  now?: () => Date;
}

const describe = (i: Invoice): string =>
  `${formatNumber(i.number)} · ${i.client} · ${formatMoney(i.amountMinor, i.currency)}`;

export type PaidOutcome =
  | { status: 'paid'; invoice: Invoice }
  | { status: 'already'; invoice: Invoice }
  | { status: 'void'; invoice: Invoice }
  | { status: 'unknown' };

/** Marks one invoice paid (once) and signals `invoice.paid` for it. */
export async function markPaid(
  d: PaymentDeps,
  number: number,
  via: 'stripe' | 'manual',
  extra: { stripeInvoiceId?: string; eventId?: string } = {},
): Promise<PaidOutcome> {
  const invoice = await d.ledger.getInvoice(number);
  if (!invoice) return { status: 'unknown' };
  const paid = await d.ledger.updateInvoice(
    number,
    {
      status: 'paid',
      paidAt: (d.now ?? (() => new Date()))(),
      paidVia: via,
      ...(extra.stripeInvoiceId && !invoice.stripeInvoiceId ? { stripeInvoiceId: extra.stripeInvoiceId } : {}),
    },
    ['recorded', 'issued'],
  );
  // Signalled also when it was paid already: a signal lost to a crash after the mark is sent again on redelivery.
  if (invoice.status !== 'void') {
    await d.signal(
      {
        kind: 'event',
        event: 'invoice.paid',
        key: formatNumber(number),
        payload: { number: formatNumber(number), via, ...extra },
      },
      { by: via === 'stripe' ? 'stripe' : 'operator', via: via === 'stripe' ? 'stripe-webhook' : 'command' },
    );
  }
  if (paid) return { status: 'paid', invoice: paid };
  const now = (await d.ledger.getInvoice(number)) ?? invoice;
  return now.status === 'void' ? { status: 'void', invoice: now } : { status: 'already', invoice: now };
}

/** The ledger invoice a Stripe event is about: by the number Solo OS put in its metadata, else by its Stripe id. */
async function ledgerInvoice(d: PaymentDeps, event: PaymentEvent): Promise<Invoice | undefined> {
  const number = parseInvoiceNumber(event.metadata['ledger_invoice'] ?? '');
  const byNumber = number === undefined ? null : await d.ledger.getInvoice(number);
  // A number that belongs to another Stripe invoice is another Solo OS's (two on one Stripe account): not ours.
  if (byNumber && (!byNumber.stripeInvoiceId || byNumber.stripeInvoiceId === event.stripeInvoiceId)) return byNumber;
  return (await d.ledger.findByStripeId(event.stripeInvoiceId)) ?? undefined;
}

/** The webhook's handler: resolves once the event is recorded (the webhook then answers 200). */
export function paymentEvents(d: PaymentDeps): (event: PaymentEvent) => Promise<void> {
  const log = d.logger.child({ component: 'payments' });
  return async (event) => {
    const invoice = await ledgerInvoice(d, event);
    if (event.type === 'invoice.paid') {
      if (!invoice) {
        // Not one of ours: kept as a signal under the Stripe id, nothing else.
        await d.signal(
          {
            kind: 'event',
            event: 'invoice.paid',
            key: event.stripeInvoiceId,
            payload: { stripeInvoiceId: event.stripeInvoiceId, eventId: event.eventId },
          },
          { by: 'stripe', via: 'stripe-webhook' },
        );
        log.info({ stripeInvoiceId: event.stripeInvoiceId }, 'a Stripe invoice that is not in the ledger was paid');
        return;
      }
      const outcome = await markPaid(d, invoice.number, 'stripe', {
        stripeInvoiceId: event.stripeInvoiceId,
        eventId: event.eventId,
      });
      if (outcome.status === 'paid') await d.notify({ text: `Paid: ${describe(outcome.invoice)} (Stripe).` });
      if (outcome.status === 'void') {
        // Money for an invoice the ledger voided (e.g. cancelled after Stripe had taken the payment): the operator
        // decides (refund or re-record); told once per Stripe event, however often it is redelivered.
        log.warn({ number: invoice.number }, 'Stripe says a voided invoice was paid');
        const told = await d.signal(
          {
            kind: 'event',
            event: 'invoice.paid_void',
            key: `${formatNumber(invoice.number)}:${event.eventId}`,
            payload: { stripeInvoiceId: event.stripeInvoiceId, eventId: event.eventId },
          },
          { by: 'stripe', via: 'stripe-webhook' },
        );
        if (told.status !== 'stale')
          await d.notify({
            text: `Stripe says ${describe(invoice)} was paid, but it is void in the ledger: refund it in Stripe, or record it again with /invoice.`,
          });
      }
      return;
    }
    // Every failed attempt is its own event: the key carries Stripe's event id, so only a redelivery is dropped.
    const key = `${invoice ? formatNumber(invoice.number) : event.stripeInvoiceId}:${event.eventId}`;
    const recorded = await d.signal(
      {
        kind: 'event',
        event: 'invoice.payment_failed',
        key,
        payload: { stripeInvoiceId: event.stripeInvoiceId, eventId: event.eventId },
      },
      { by: 'stripe', via: 'stripe-webhook' },
    );
    if (recorded.status === 'stale' || !invoice) return;
    await d.notify({
      text: `A payment of ${describe(invoice)} failed in Stripe${invoice.hostedUrl ? `; the client can try again at ${invoice.hostedUrl}` : ''}.`,
    });
  };
}
