// The payments port: customers, invoices, payment links and refunds, each effect once per idempotency key.
// Amounts are integer minor units (cents); currencies ISO 4217 in any case. No SDK type appears here.

import { ConnectorError, type Connector, type EffectOptions } from './connector.ts';

export interface PaymentEffectOptions extends EffectOptions {
  /**
   * When the step first started (the engine's journal has it). Stripe forgets idempotency keys after 24 h, so
   * when this is missing or older than 23 h the connector first looks for what an earlier attempt created
   * (by its `solo_key` metadata) instead of trusting the keys alone.
   */
  startedAt?: Date;
}

/** A client as Solo OS knows it; `clientKey` is stable (e.g. `client:acme-corp`) and ties the Stripe customer to it. */
export interface CustomerInput {
  clientKey: string;
  name: string;
  email: string;
}

interface InvoiceLine {
  description: string;
  amountMinor: number;
}

export interface IssueInvoiceInput {
  /** An existing customer id, or the client to find or create. */
  customer: string | CustomerInput;
  lines: InvoiceLine[];
  currency: string;
  /** Days the client has to pay, counted from when the invoice is sent. */
  dueDays: number;
  description?: string;
  /** Copied onto the invoice (and so onto its webhooks), e.g. `{ ledger_invoice: 'INV-0042' }`. */
  metadata?: Record<string, string>;
}

export type InvoiceStatus = 'draft' | 'open' | 'paid' | 'void' | 'uncollectible';

export interface IssuedInvoice {
  invoiceId: string;
  customerId: string;
  /** The provider's invoice number, given when it was finalized. */
  number: string | null;
  status: InvoiceStatus;
  /** The page where the client pays. */
  hostedUrl: string | null;
  amountDueMinor: number;
  currency: string;
}

export interface PaymentLinkInput {
  description: string;
  amountMinor: number;
  currency: string;
  metadata?: Record<string, string>;
}

export interface RefundInput {
  /** The paid invoice to refund (its payment is looked up), or the payment itself. */
  invoiceId?: string;
  paymentId?: string;
  /** Part of the payment; the whole of it when left out. */
  amountMinor?: number;
  reason?: 'duplicate' | 'fraudulent' | 'requested_by_customer';
}

export interface PaymentsConnector extends Connector {
  /** Finds the client's customer (by email and clientKey) or creates it once. */
  ensureCustomer(input: CustomerInput, effect: PaymentEffectOptions): Promise<{ customerId: string }>;
  /** Customer (if needed) → draft invoice → its items → finalize → send: one invoice per key, whatever crashes happen. */
  issueInvoice(input: IssueInvoiceInput, effect: PaymentEffectOptions): Promise<IssuedInvoice>;
  /** The compensation of issueInvoice: voids an open invoice (deletes a draft). Already void counts as done. */
  voidInvoice(
    invoiceId: string,
    effect: PaymentEffectOptions,
  ): Promise<{ invoiceId: string; status: InvoiceStatus | 'deleted' }>;
  paymentLink(input: PaymentLinkInput, effect: PaymentEffectOptions): Promise<{ linkId: string; url: string }>;
  /** The compensation of paymentLink: nobody can pay through it any more. */
  deactivatePaymentLink(linkId: string, effect: PaymentEffectOptions): Promise<void>;
  /** The compensation of a payment taken: gives the money back, once per key. */
  refund(
    input: RefundInput,
    effect: PaymentEffectOptions,
  ): Promise<{ refundId: string; status: string; amountMinor: number }>;
}

/** What the webhook endpoint hands on; `eventId` lets the caller drop Stripe's redeliveries. */
export interface PaymentEvent {
  type: 'invoice.paid' | 'invoice.payment_failed';
  eventId: string;
  stripeInvoiceId: string;
  metadata: Record<string, string>;
}

export class PaymentsError extends ConnectorError {
  /** How long Stripe asked us to wait before trying again, when it said. */
  readonly retryAfterMs: number | undefined;
  constructor(
    code: string,
    userMessage: string,
    options: { cause?: unknown; retryable?: boolean; detail?: string; retryAfterMs?: number } = {},
  ) {
    super('payments', code, userMessage, options);
    this.retryAfterMs = options.retryAfterMs;
  }
}
