// The payments connector on the official stripe SDK. Every POST carries a key derived from the step's key
// (`<key>:invoice`, `<key>:item:0`, `<key>:finalize`, `<key>:send`, …), so a retry or a restart after a crash
// replays what Stripe already did instead of doing it again. Stripe prunes keys after 24 h, so when the step may
// be older than that, what an earlier attempt created is first looked up by its `solo_key` metadata.

import type { Agent } from 'node:http';
import type Stripe from 'stripe';
import type { ConnectorHealth } from '../../../src/ports/connector.ts';
import {
  PaymentsError,
  type CustomerInput,
  type InvoiceStatus,
  type IssuedInvoice,
  type IssueInvoiceInput,
  type PaymentEffectOptions,
  type PaymentLinkInput,
  type PaymentsConnector,
  type RefundInput,
} from '../../../src/ports/payments.ts';
import type { Logger } from '../../../src/observability/logger.ts';
import { toPaymentsError } from './errors.ts';
import { baseKey, checkCustomer, checkInvoice, checkLink, checkRefund, sha256 } from './input.ts';

/** Stripe prunes keys after at least 24 h; an hour less leaves room for clock skew. */
export const KEY_TRUST_MS = 23 * 60 * 60 * 1000;
/** How far before the step's start an object it created may carry its `created` time (clock skew). */
const SKEW_S = 600;

export interface StripePaymentsOptions {
  logger: Logger;
  /** host[:port] for the health line. */
  host: string;
  mode: 'test' | 'live';
  agent: Agent;
  now?: () => number;
}

type RequestOptions = Stripe.RequestOptions;

export class StripePayments implements PaymentsConnector {
  readonly name = 'payments';
  /** Requests made and how many of them Stripe answered as replays (Idempotent-Replayed). */
  readonly stats = { posts: 0, replayed: 0, lookups: 0 };
  readonly #load: () => Promise<Stripe>;
  #client: Stripe | undefined;
  #loading: Promise<Stripe> | undefined;
  readonly #log: Logger;
  readonly #options: StripePaymentsOptions;
  readonly #now: () => number;

  /** `load` gives the SDK client; it is called on first use, so a configured connector costs nothing at start. */
  constructor(load: () => Promise<Stripe>, options: StripePaymentsOptions) {
    this.#load = load;
    this.#options = options;
    this.#log = options.logger;
    this.#now = options.now ?? Date.now;
  }

  async ensureCustomer(input: CustomerInput, effect: PaymentEffectOptions): Promise<{ customerId: string }> {
    return { customerId: await this.#customer(checkCustomer(input), effect) };
  }

  async issueInvoice(input: IssueInvoiceInput, effect: PaymentEffectOptions): Promise<IssuedInvoice> {
    const plan = checkInvoice(input);
    const key = baseKey(effect.idempotencyKey);
    const customerId = typeof plan.customer === 'string' ? plan.customer : await this.#customer(plan.customer, effect);
    const found = this.#fresh(effect) ? undefined : await this.#findInvoice(customerId, key, effect.startedAt);
    let invoice =
      found ??
      (await this.#post(`create the invoice of step ${key}`, `${key}:invoice`, effect, (o) =>
        this.#stripe.invoices.create(
          {
            customer: customerId,
            currency: plan.currency,
            collection_method: 'send_invoice',
            days_until_due: plan.dueDays,
            auto_advance: false,
            // Items are attached to this draft by id, so nothing pending on the customer can slip into it.
            pending_invoice_items_behavior: 'exclude',
            ...(plan.description === undefined ? {} : { description: plan.description }),
            metadata: { ...plan.metadata, solo_key: key },
          },
          o,
        ),
      ));
    const id = invoice.id;
    if (invoice.status === 'draft') {
      const present = found ? await this.#lineKeys(invoice) : new Set<string>();
      for (const [i, line] of plan.lines.entries()) {
        const itemKey = `${key}:item:${i}`;
        if (present.has(itemKey)) continue;
        await this.#post(`add line ${i + 1} to invoice ${id}`, itemKey, effect, (o) =>
          this.#stripe.invoiceItems.create(
            {
              customer: customerId,
              invoice: id,
              currency: plan.currency,
              amount: line.amountMinor,
              description: line.description,
              metadata: { solo_key: itemKey },
            },
            o,
          ),
        );
      }
      invoice = await this.#post(`finalize invoice ${id}`, `${key}:finalize`, effect, (o) =>
        this.#stripe.invoices.finalizeInvoice(id, { auto_advance: false }, o),
      );
    }
    // Stripe records no "sent" flag, so a mark after the send tells a resumption days later not to send again.
    if (invoice.status === 'open' && invoice.metadata?.['solo_sent'] !== 'yes') {
      await this.#post(`send invoice ${id}`, `${key}:send`, effect, (o) =>
        this.#stripe.invoices.sendInvoice(id, {}, o),
      );
      invoice = await this.#post(`mark invoice ${id} as sent`, `${key}:sent`, effect, (o) =>
        this.#stripe.invoices.update(id, { metadata: { solo_sent: 'yes' } }, o),
      );
    }
    return {
      invoiceId: id,
      customerId,
      number: invoice.number,
      status: (invoice.status ?? 'draft') as InvoiceStatus,
      hostedUrl: invoice.hosted_invoice_url ?? null,
      amountDueMinor: invoice.amount_due,
      currency: invoice.currency,
    };
  }

  async voidInvoice(
    invoiceId: string,
    effect: PaymentEffectOptions,
  ): Promise<{ invoiceId: string; status: InvoiceStatus | 'deleted' }> {
    const key = baseKey(effect.idempotencyKey);
    let current: Stripe.Invoice;
    try {
      current = await this.#get(`look up invoice ${invoiceId}`, effect, () =>
        this.#stripe.invoices.retrieve(invoiceId),
      );
    } catch (err) {
      // Our own earlier attempt may have deleted the draft.
      if (err instanceof PaymentsError && err.code === 'payments_not_found') return { invoiceId, status: 'deleted' };
      throw err;
    }
    switch (current.status) {
      case 'void':
        return { invoiceId, status: 'void' };
      case 'draft':
        await this.#get(`delete draft invoice ${invoiceId}`, effect, () => this.#stripe.invoices.del(invoiceId));
        return { invoiceId, status: 'deleted' };
      case 'paid':
        throw new PaymentsError(
          'payments_invoice_paid',
          `Stripe invoice ${current.number ?? invoiceId} is already paid, so it cannot be voided; refund it instead.`,
        );
      default: {
        const voided = await this.#post(`void invoice ${invoiceId}`, key, effect, (o) =>
          this.#stripe.invoices.voidInvoice(invoiceId, {}, o),
        );
        return { invoiceId, status: (voided.status ?? 'void') as InvoiceStatus };
      }
    }
  }

  async paymentLink(input: PaymentLinkInput, effect: PaymentEffectOptions): Promise<{ linkId: string; url: string }> {
    const plan = checkLink(input);
    const key = baseKey(effect.idempotencyKey);
    const found = this.#fresh(effect)
      ? undefined
      : await this.#find(
          `look up the payment link of step ${key}`,
          effect,
          () => this.#stripe.paymentLinks.list({ limit: 100 }),
          (l) => l.metadata?.['solo_key'] === key,
        );
    const link =
      found ??
      (await this.#post(`create the payment link of step ${key}`, key, effect, (o) =>
        this.#stripe.paymentLinks.create(
          {
            line_items: [
              {
                price_data: {
                  currency: plan.currency,
                  unit_amount: plan.amountMinor,
                  product_data: { name: plan.name },
                },
                quantity: 1,
              },
            ],
            metadata: { ...plan.metadata, solo_key: key },
          },
          o,
        ),
      ));
    return { linkId: link.id, url: link.url };
  }

  async deactivatePaymentLink(linkId: string, effect: PaymentEffectOptions): Promise<void> {
    await this.#post(`deactivate payment link ${linkId}`, baseKey(effect.idempotencyKey), effect, (o) =>
      this.#stripe.paymentLinks.update(linkId, { active: false }, o),
    );
  }

  async refund(
    input: RefundInput,
    effect: PaymentEffectOptions,
  ): Promise<{ refundId: string; status: string; amountMinor: number }> {
    const { invoiceId, paymentId, amountMinor, reason } = checkRefund(input);
    const key = baseKey(effect.idempotencyKey);
    let intent = paymentId;
    if (invoiceId !== undefined) {
      const payment = await this.#find(
        `look up the payment of invoice ${invoiceId}`,
        effect,
        () => this.#stripe.invoicePayments.list({ invoice: invoiceId, limit: 10 }),
        (p) => p.status === 'paid' && p.payment.type === 'payment_intent',
      );
      const pi = payment?.payment.payment_intent;
      if (pi === undefined)
        throw new PaymentsError(
          'payments_not_paid',
          `Stripe invoice ${invoiceId} has no card or bank payment to refund.`,
        );
      intent = typeof pi === 'string' ? pi : pi.id;
    }
    const paymentIntent = intent as string;
    const found = this.#fresh(effect)
      ? undefined
      : await this.#find(
          `look up the refund of step ${key}`,
          effect,
          () => this.#stripe.refunds.list({ payment_intent: paymentIntent, limit: 100 }),
          (r) => r.metadata?.['solo_key'] === key,
        );
    const refund =
      found ??
      (await this.#post(`refund payment ${paymentIntent}`, key, effect, (o) =>
        this.#stripe.refunds.create(
          {
            payment_intent: paymentIntent,
            ...(amountMinor === undefined ? {} : { amount: amountMinor }),
            ...(reason ? { reason } : {}),
            metadata: { solo_key: key },
          },
          o,
        ),
      ));
    return { refundId: refund.id, status: refund.status ?? 'pending', amountMinor: refund.amount };
  }

  async health(): Promise<ConnectorHealth> {
    const { host, mode } = this.#options;
    const started = performance.now();
    try {
      await this.#ready();
      await this.#stripe.balance.retrieve({}, { timeout: 5000, maxNetworkRetries: 0 });
      return {
        connector: this.name,
        state: 'ok',
        detail: `Stripe (${mode} mode) at ${host}: ok (${Math.round(performance.now() - started)} ms)`,
      };
    } catch (err) {
      const e = toPaymentsError(err, 'check the connection');
      if (e.code === 'payments_auth' || e.code === 'payments_permission')
        return { connector: this.name, state: 'misconfigured', detail: `Stripe at ${host}: ${e.userMessage}` };
      return { connector: this.name, state: 'down', detail: `Stripe at ${host}: unreachable (${e.code})` };
    }
  }

  async close(): Promise<void> {
    this.#options.agent.destroy();
  }

  /** Loads the SDK once (about 35 MB and most of a second here, so only when payments are first used). */
  async #ready(): Promise<void> {
    if (this.#client) return;
    this.#loading ??= this.#load().catch((err: unknown) => {
      this.#loading = undefined;
      throw err;
    });
    this.#client = await this.#loading;
  }

  get #stripe(): Stripe {
    if (!this.#client) throw new Error('the Stripe SDK is used before it was loaded');
    return this.#client;
  }

  /** Keys can be trusted when the step started less than KEY_TRUST_MS ago; otherwise look before creating. */
  #fresh(effect: PaymentEffectOptions): boolean {
    return effect.startedAt !== undefined && this.#now() - effect.startedAt.getTime() < KEY_TRUST_MS;
  }

  /** A customer belongs to a client, not to a step: found by email and clientKey, created under a key of the client. */
  async #customer(input: CustomerInput, effect: PaymentEffectOptions): Promise<string> {
    const found = await this.#find(
      `look up the customer ${input.email}`,
      effect,
      () => this.#stripe.customers.list({ email: input.email, limit: 100 }),
      (c) => c.metadata?.['solo_client'] === input.clientKey,
    );
    if (found) return found.id;
    const key = `customer:${sha256(`${input.clientKey}\n${input.name}\n${input.email}`).slice(0, 40)}`;
    const created = await this.#post(`create the customer ${input.email}`, key, effect, (o) =>
      this.#stripe.customers.create(
        { name: input.name, email: input.email, metadata: { solo_client: input.clientKey } },
        o,
      ),
    );
    return created.id;
  }

  async #findInvoice(customer: string, key: string, startedAt: Date | undefined): Promise<Stripe.Invoice | undefined> {
    const created =
      startedAt === undefined ? {} : { created: { gte: Math.floor(startedAt.getTime() / 1000) - SKEW_S } };
    const found = await this.#find(
      `look up the invoice of step ${key}`,
      {},
      () => this.#stripe.invoices.list({ customer, limit: 100, ...created }),
      (i) => i.metadata?.['solo_key'] === key,
    );
    if (found)
      this.#log.info(
        { invoice: found.id, key, status: found.status },
        'payments: resuming an invoice an earlier attempt created',
      );
    return found;
  }

  /** The `solo_key`s of a draft's lines: which items an earlier attempt already added. */
  async #lineKeys(invoice: Stripe.Invoice): Promise<Set<string>> {
    const keys = new Set<string>();
    const lines = invoice.lines.has_more ? undefined : invoice.lines.data;
    const all =
      lines ??
      (await this.#collect(`read the lines of invoice ${invoice.id}`, () =>
        this.#stripe.invoices.listLineItems(invoice.id, { limit: 100 }),
      ));
    for (const line of all) if (line.metadata?.['solo_key']) keys.add(line.metadata['solo_key']);
    return keys;
  }

  async #post<T extends object>(
    action: string,
    key: string,
    effect: PaymentEffectOptions,
    call: (options: RequestOptions) => Promise<Stripe.Response<T>>,
  ): Promise<Stripe.Response<T>> {
    this.#checkSignal(effect, action);
    this.stats.posts++;
    try {
      await this.#ready();
      const result = await call({ idempotencyKey: key });
      const replayed = result.lastResponse.headers['idempotent-replayed'] === 'true';
      if (replayed) this.stats.replayed++;
      this.#log.debug({ key, replayed, requestId: result.lastResponse.requestId }, `payments: ${action}`);
      return result;
    } catch (err) {
      throw toPaymentsError(err, action);
    }
  }

  async #get<T>(action: string, effect: PaymentEffectOptions, call: () => Promise<T>): Promise<T> {
    this.#checkSignal(effect, action);
    try {
      await this.#ready();
      return await call();
    } catch (err) {
      throw toPaymentsError(err, action);
    }
  }

  /** The first listed object that matches, following pages (Stripe lists newest first). */
  async #find<T>(
    action: string,
    effect: { signal?: AbortSignal },
    list: () => AsyncIterable<T>,
    match: (item: T) => boolean,
  ): Promise<T | undefined> {
    this.#checkSignal(effect, action);
    this.stats.lookups++;
    try {
      await this.#ready();
      for await (const item of list()) if (match(item)) return item;
      return undefined;
    } catch (err) {
      throw toPaymentsError(err, action);
    }
  }

  async #collect<T>(action: string, list: () => AsyncIterable<T>): Promise<T[]> {
    const all: T[] = [];
    await this.#find(action, {}, list, (item) => {
      all.push(item);
      return false;
    });
    return all;
  }

  #checkSignal(effect: { signal?: AbortSignal }, action: string): void {
    if (effect.signal?.aborted)
      throw new PaymentsError('payments_aborted', `Solo OS stopped waiting to ${action}; it will try again.`, {
        retryable: true,
        cause: effect.signal.reason,
      });
  }
}
