// The fake's objects and what each endpoint does to them: customers, invoice items, invoices with Stripe's state
// machine (draft → open → paid | void | uncollectible), invoice payments, refunds, payment links, balance.
// Handlers check every parameter before changing anything, so a parameter error leaves no trace (and the
// idempotency layer does not save it), as on Stripe.

import { ApiError, noSuch, paramInvalid, paramMissing, stateError } from './errors.ts';
import type { Params } from './form.ts';
import { bool, currency, int, list, merge, metadata, need, only, str, type Metadata } from './params.ts';

export type Obj = Record<string, unknown> & { id: string; created: number };

export interface Context {
  /** Seconds since the epoch on the fake's clock. */
  now(): number;
  id(prefix: string): string;
  emit(type: string, object: Obj): void;
}

export class StripeState {
  readonly customers = new Map<string, Obj>();
  readonly invoices = new Map<string, Obj>();
  readonly invoiceItems = new Map<string, Obj>();
  readonly paymentIntents = new Map<string, Obj>();
  readonly invoicePayments = new Map<string, Obj>();
  readonly refunds = new Map<string, Obj>();
  readonly paymentLinks = new Map<string, Obj>();
  /** Invoice emails "sent" (Stripe test mode sends none; the fake counts them). */
  readonly emails: { invoice: string; to: string }[] = [];
  #numbers = 0;
  /** Internal per-invoice data that is not part of Stripe's object. */
  readonly #daysUntilDue = new Map<string, number>();

  customer(id: string, param?: string): Obj {
    const c = this.customers.get(id);
    if (!c) throw noSuch('customer', id, param);
    return c;
  }
  invoice(id: string, param?: string): Obj {
    const i = this.invoices.get(id);
    if (!i) throw noSuch('invoice', id, param);
    return i;
  }

  createCustomer(p: Params, ctx: Context): Obj {
    only(p, ['name', 'email', 'description', 'metadata', 'phone']);
    const c: Obj = {
      id: ctx.id('cus'),
      object: 'customer',
      address: null,
      balance: 0,
      created: ctx.now(),
      currency: null,
      default_source: null,
      delinquent: false,
      description: str(p, 'description') ?? null,
      discount: null,
      email: str(p, 'email') ?? null,
      invoice_prefix: '',
      invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
      livemode: false,
      metadata: metadata(p) ?? {},
      name: str(p, 'name') ?? null,
      next_invoice_sequence: 1,
      phone: str(p, 'phone') ?? null,
      preferred_locales: [],
      shipping: null,
      tax_exempt: 'none',
      test_clock: null,
    };
    c['invoice_prefix'] = c.id.slice(4, 12).toUpperCase();
    this.customers.set(c.id, c);
    ctx.emit('customer.created', c);
    return c;
  }

  listCustomers(p: Params): Record<string, unknown> {
    only(p, ['email', 'limit', 'starting_after', 'created']);
    const email = str(p, 'email');
    return list(
      '/v1/customers',
      [...this.customers.values()].filter((c) => email === undefined || c['email'] === email),
      p,
    );
  }

  createInvoice(p: Params, ctx: Context): Obj {
    only(p, [
      'customer',
      'currency',
      'collection_method',
      'days_until_due',
      'description',
      'metadata',
      'auto_advance',
      'pending_invoice_items_behavior',
      'footer',
    ]);
    const customer = this.customer(need(p, 'customer'), 'customer');
    const method = str(p, 'collection_method') ?? 'charge_automatically';
    if (method !== 'charge_automatically' && method !== 'send_invoice')
      throw paramInvalid('collection_method', `Invalid collection_method: ${method}`);
    const days = int(p, 'days_until_due');
    if (method === 'send_invoice' && days === undefined)
      throw new ApiError(
        400,
        {
          type: 'invalid_request_error',
          code: 'parameter_missing',
          message:
            'Missing required param: days_until_due. Invoices with collection_method=send_invoice need days_until_due or due_date.',
          param: 'days_until_due',
        },
        true,
      );
    if (method !== 'send_invoice' && days !== undefined)
      throw paramInvalid('days_until_due', 'days_until_due can only be set when collection_method=send_invoice.');
    const behavior = str(p, 'pending_invoice_items_behavior') ?? 'exclude';
    if (behavior !== 'exclude' && behavior !== 'include')
      throw paramInvalid('pending_invoice_items_behavior', `Invalid pending_invoice_items_behavior: ${behavior}`);
    const cur = currency(p) ?? 'usd';
    const md = metadata(p) ?? {};
    const auto = bool(p, 'auto_advance') ?? false;
    const now = ctx.now();
    const invoice: Obj = {
      id: ctx.id('in'),
      object: 'invoice',
      account_country: 'DE',
      account_name: 'Solo OS fake',
      amount_due: 0,
      amount_overpaid: 0,
      amount_paid: 0,
      amount_remaining: 0,
      amount_shipping: 0,
      attempt_count: 0,
      attempted: false,
      auto_advance: auto,
      automatic_tax: { enabled: false, liability: null, status: null },
      automatically_finalizes_at: null,
      billing_reason: 'manual',
      collection_method: method,
      created: now,
      currency: cur,
      customer: customer.id,
      customer_email: customer['email'],
      customer_name: customer['name'],
      description: str(p, 'description') ?? null,
      discounts: [],
      due_date: null,
      effective_at: null,
      ending_balance: null,
      footer: str(p, 'footer') ?? null,
      hosted_invoice_url: null,
      invoice_pdf: null,
      issuer: { type: 'self' },
      last_finalization_error: null,
      latest_revision: null,
      lines: { object: 'list', data: [], has_more: false, total_count: 0, url: '' },
      livemode: false,
      metadata: md,
      next_payment_attempt: null,
      number: null,
      on_behalf_of: null,
      parent: null,
      payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
      period_end: now,
      period_start: now,
      post_payment_credit_notes_amount: 0,
      pre_payment_credit_notes_amount: 0,
      receipt_number: null,
      rendering: null,
      shipping_cost: null,
      shipping_details: null,
      starting_balance: 0,
      statement_descriptor: null,
      status: 'draft',
      status_transitions: { finalized_at: null, marked_uncollectible_at: null, paid_at: null, voided_at: null },
      subtotal: 0,
      subtotal_excluding_tax: 0,
      test_clock: null,
      total: 0,
      total_discount_amounts: [],
      total_excluding_tax: 0,
      total_pretax_credit_amounts: [],
      total_taxes: [],
      webhooks_delivered_at: null,
    };
    (invoice['lines'] as Record<string, unknown>)['url'] = `/v1/invoices/${invoice.id}/lines`;
    if (days !== undefined) this.#daysUntilDue.set(invoice.id, days);
    this.invoices.set(invoice.id, invoice);
    if (behavior === 'include') {
      for (const item of this.invoiceItems.values())
        if (item['customer'] === customer.id && item['invoice'] === null && item['currency'] === cur)
          this.#attach(invoice, item, ctx);
    }
    ctx.emit('invoice.created', invoice);
    return invoice;
  }

  listInvoices(p: Params): Record<string, unknown> {
    only(p, ['customer', 'status', 'limit', 'starting_after', 'created', 'collection_method']);
    const customer = str(p, 'customer');
    const status = str(p, 'status');
    return list(
      '/v1/invoices',
      [...this.invoices.values()].filter(
        (i) =>
          (customer === undefined || i['customer'] === customer) && (status === undefined || i['status'] === status),
      ),
      p,
    );
  }

  updateInvoice(id: string, p: Params): Obj {
    only(p, ['metadata', 'description', 'footer', 'days_until_due', 'auto_advance']);
    const invoice = this.invoice(id);
    const md = metadata(p);
    const description = str(p, 'description');
    const days = int(p, 'days_until_due');
    const draftOnly = days !== undefined;
    if (draftOnly && invoice['status'] !== 'draft')
      throw stateError('You can only update days_until_due on a draft invoice.', 'invoice_not_editable');
    if (invoice['status'] === 'void' && (description !== undefined || str(p, 'footer') !== undefined))
      throw stateError('This invoice is void and can no longer be edited.', 'invoice_not_editable');
    invoice['metadata'] = merge(invoice['metadata'] as Metadata, md);
    if (description !== undefined) invoice['description'] = description;
    if (days !== undefined) this.#daysUntilDue.set(id, days);
    return invoice;
  }

  createInvoiceItem(p: Params, ctx: Context): Obj {
    only(p, ['customer', 'invoice', 'amount', 'currency', 'description', 'metadata', 'quantity', 'discountable']);
    const customer = this.customer(need(p, 'customer'), 'customer');
    const amount = int(p, 'amount');
    if (amount === undefined) throw paramMissing('amount');
    const invoiceId = str(p, 'invoice');
    const invoice = invoiceId === undefined ? undefined : this.invoice(invoiceId, 'invoice');
    const cur = currency(p) ?? (invoice?.['currency'] as string | undefined);
    if (cur === undefined) throw paramMissing('currency');
    const md = metadata(p) ?? {};
    if (invoice) {
      if (invoice['customer'] !== customer.id)
        throw paramInvalid('invoice', `The invoice ${invoice.id} belongs to another customer.`);
      if (invoice['currency'] !== cur)
        throw paramInvalid(
          'currency',
          `The currency ${cur} does not match the invoice's currency ${String(invoice['currency'])}.`,
        );
      if (invoice['status'] !== 'draft')
        throw stateError(
          `You can only add invoice items to a draft invoice; ${invoice.id} is ${String(invoice['status'])}.`,
          'invoice_not_editable',
        );
    }
    const now = ctx.now();
    const item: Obj = {
      id: ctx.id('ii'),
      object: 'invoiceitem',
      amount,
      currency: cur,
      customer: customer.id,
      date: now,
      description: str(p, 'description') ?? null,
      discountable: true,
      discounts: [],
      invoice: null,
      livemode: false,
      metadata: md,
      parent: null,
      period: { start: now, end: now },
      pricing: { price_details: null, type: 'price_details', unit_amount_decimal: String(amount) },
      proration: false,
      quantity: 1,
      tax_rates: [],
      test_clock: null,
      created: now,
    };
    this.invoiceItems.set(item.id, item);
    if (invoice) this.#attach(invoice, item, ctx);
    return item;
  }

  #attach(invoice: Obj, item: Obj, ctx: Context): void {
    item['invoice'] = invoice.id;
    const lines = invoice['lines'] as { data: Obj[]; total_count: number };
    lines.data.push({
      id: ctx.id('il'),
      object: 'line_item',
      amount: item['amount'],
      currency: item['currency'],
      description: item['description'],
      discount_amounts: [],
      discountable: true,
      discounts: [],
      invoice: invoice.id,
      livemode: false,
      metadata: item['metadata'],
      created: item.created,
      parent: {
        type: 'invoice_item_details',
        invoice_item_details: {
          invoice_item: item.id,
          proration: false,
          proration_details: { credited_items: null },
          subscription: null,
        },
        subscription_item_details: null,
      },
      period: item['period'],
      pretax_credit_amounts: [],
      pricing: item['pricing'],
      quantity: 1,
      taxes: [],
    });
    lines.total_count = lines.data.length;
    const total = lines.data.reduce((sum, l) => sum + (l['amount'] as number), 0);
    Object.assign(invoice, {
      subtotal: total,
      subtotal_excluding_tax: total,
      total,
      total_excluding_tax: total,
      amount_due: total,
      amount_remaining: total,
    });
  }

  /** An invoice as an API answer: at most 10 lines inline, like Stripe. */
  view(invoice: Obj): Obj {
    const lines = invoice['lines'] as { data: Obj[] };
    return {
      ...invoice,
      lines: { ...(invoice['lines'] as object), data: lines.data.slice(0, 10), has_more: lines.data.length > 10 },
    };
  }

  lines(id: string, p: Params): Record<string, unknown> {
    only(p, ['limit', 'starting_after']);
    const data = [...(this.invoice(id)['lines'] as { data: Obj[] }).data].reverse();
    return list(`/v1/invoices/${id}/lines`, data, p);
  }

  finalize(id: string, p: Params, ctx: Context): Obj {
    only(p, ['auto_advance']);
    const invoice = this.invoice(id);
    const auto = bool(p, 'auto_advance');
    if (invoice['status'] !== 'draft')
      throw stateError(
        "This invoice is already finalized, you can't re-finalize a non-draft invoice.",
        'invoice_not_editable',
      );
    const now = ctx.now();
    this.#numbers++;
    const customer = this.customers.get(invoice['customer'] as string);
    const days = this.#daysUntilDue.get(id);
    Object.assign(invoice, {
      status: 'open',
      number: `${(customer?.['invoice_prefix'] as string | undefined) ?? 'FAKE'}-${String(this.#numbers).padStart(4, '0')}`,
      effective_at: now,
      hosted_invoice_url: `https://invoice.stripe.com/i/acct_fake/test_${id.slice(3)}`,
      invoice_pdf: `https://pay.stripe.com/invoice/acct_fake/test_${id.slice(3)}/pdf`,
      due_date: days === undefined ? null : now + days * 86_400,
      ...(auto === undefined ? {} : { auto_advance: auto }),
    });
    (invoice['status_transitions'] as Record<string, unknown>)['finalized_at'] = now;
    ctx.emit('invoice.finalized', invoice);
    if (invoice['amount_due'] === 0) this.#markPaid(invoice, ctx, undefined);
    return invoice;
  }

  send(id: string, p: Params, ctx: Context): Obj {
    only(p, []);
    const invoice = this.invoice(id);
    if (invoice['collection_method'] !== 'send_invoice')
      throw stateError('You can only manually send an invoice if its collection method is send_invoice.');
    if (invoice['status'] !== 'open')
      throw stateError(
        `You can only send an invoice that is open; ${id} is ${String(invoice['status'])}.`,
        'invoice_not_editable',
      );
    const email = this.customers.get(invoice['customer'] as string)?.['email'];
    if (typeof email !== 'string' || email === '')
      throw stateError('The customer has no email address to send this invoice to.', 'customer_email_invalid');
    this.emails.push({ invoice: id, to: email });
    ctx.emit('invoice.sent', invoice);
    return invoice;
  }

  void(id: string, p: Params, ctx: Context): Obj {
    only(p, []);
    const invoice = this.invoice(id);
    if (invoice['status'] !== 'open' && invoice['status'] !== 'uncollectible') {
      throw stateError(
        `You can only void an open or uncollectible invoice; ${id} is ${String(invoice['status'])}.`,
        'invoice_not_editable',
      );
    }
    Object.assign(invoice, { status: 'void', amount_remaining: 0 });
    (invoice['status_transitions'] as Record<string, unknown>)['voided_at'] = ctx.now();
    ctx.emit('invoice.voided', invoice);
    return invoice;
  }

  markUncollectible(id: string, p: Params, ctx: Context): Obj {
    only(p, []);
    const invoice = this.invoice(id);
    if (invoice['status'] !== 'open')
      throw stateError(`You can only mark an open invoice uncollectible; ${id} is ${String(invoice['status'])}.`);
    invoice['status'] = 'uncollectible';
    (invoice['status_transitions'] as Record<string, unknown>)['marked_uncollectible_at'] = ctx.now();
    ctx.emit('invoice.marked_uncollectible', invoice);
    return invoice;
  }

  deleteDraft(id: string, ctx: Context): Record<string, unknown> {
    const invoice = this.invoice(id);
    if (invoice['status'] !== 'draft')
      throw stateError('You can only delete draft invoices. Void finalized invoices instead.', 'invoice_not_editable');
    this.invoices.delete(id);
    for (const item of this.invoiceItems.values()) if (item['invoice'] === id) this.invoiceItems.delete(item.id);
    ctx.emit('invoice.deleted', invoice);
    return { id, object: 'invoice', deleted: true };
  }

  /** Pays an open invoice (a test card, or out of band); emits invoice.paid. A failure emits invoice.payment_failed. */
  pay(id: string, p: Params, ctx: Context): Obj {
    only(p, ['paid_out_of_band', 'payment_method']);
    const outOfBand = bool(p, 'paid_out_of_band') ?? false;
    const card = str(p, 'payment_method');
    const invoice = this.invoice(id);
    if (invoice['status'] !== 'open' && invoice['status'] !== 'uncollectible')
      throw stateError(`Invoice is already ${String(invoice['status'])}`, 'invoice_not_editable');
    if (card === 'pm_card_chargeDeclined') {
      Object.assign(invoice, { attempted: true, attempt_count: (invoice['attempt_count'] as number) + 1 });
      ctx.emit('invoice.payment_failed', invoice);
      throw new ApiError(402, { type: 'card_error', code: 'card_declined', message: 'Your card was declined.' });
    }
    const intent = outOfBand ? undefined : this.#intent(invoice, ctx);
    this.#markPaid(invoice, ctx, intent);
    return invoice;
  }

  #intent(invoice: Obj, ctx: Context): Obj {
    const amount = invoice['amount_due'] as number;
    const intent: Obj = {
      id: ctx.id('pi'),
      object: 'payment_intent',
      amount,
      amount_received: amount,
      currency: invoice['currency'],
      customer: invoice['customer'],
      created: ctx.now(),
      latest_charge: ctx.id('ch'),
      livemode: false,
      metadata: {},
      status: 'succeeded',
      amount_refunded: 0,
    };
    this.paymentIntents.set(intent.id, intent);
    return intent;
  }

  #markPaid(invoice: Obj, ctx: Context, intent: Obj | undefined): void {
    const now = ctx.now();
    const paid = invoice['amount_due'] as number;
    Object.assign(invoice, {
      status: 'paid',
      amount_paid: paid,
      amount_remaining: 0,
      attempted: true,
      attempt_count: (invoice['attempt_count'] as number) + 1,
    });
    (invoice['status_transitions'] as Record<string, unknown>)['paid_at'] = now;
    if (intent) {
      const payment: Obj = {
        id: ctx.id('inpay'),
        object: 'invoice_payment',
        amount_paid: paid,
        amount_requested: paid,
        created: now,
        currency: invoice['currency'],
        invoice: invoice.id,
        is_default: true,
        livemode: false,
        payment: { type: 'payment_intent', payment_intent: intent.id },
        status: 'paid',
        status_transitions: { canceled_at: null, paid_at: now },
      };
      this.invoicePayments.set(payment.id, payment);
    }
    ctx.emit('invoice.paid', invoice);
    ctx.emit('invoice.payment_succeeded', invoice);
  }

  listInvoicePayments(p: Params): Record<string, unknown> {
    only(p, ['invoice', 'limit', 'starting_after', 'status']);
    const invoice = str(p, 'invoice');
    return list(
      '/v1/invoice_payments',
      [...this.invoicePayments.values()].filter((x) => invoice === undefined || x['invoice'] === invoice),
      p,
    );
  }

  createRefund(p: Params, ctx: Context): Obj {
    only(p, ['payment_intent', 'charge', 'amount', 'reason', 'metadata']);
    const id = str(p, 'payment_intent');
    if (id === undefined) throw paramMissing('payment_intent');
    const intent = this.paymentIntents.get(id);
    if (!intent) throw noSuch('payment_intent', id, 'payment_intent');
    const amount = int(p, 'amount');
    const reason = str(p, 'reason');
    if (reason !== undefined && !['duplicate', 'fraudulent', 'requested_by_customer'].includes(reason))
      throw paramInvalid('reason', `Invalid reason: ${reason}`);
    const md = metadata(p) ?? {};
    const left = (intent['amount_received'] as number) - (intent['amount_refunded'] as number);
    if (left === 0)
      throw stateError(
        `Charge ${String(intent['latest_charge'])} has already been refunded.`,
        'charge_already_refunded',
      );
    const value = amount ?? left;
    if (value < 1 || value > left)
      throw stateError(
        `Refund amount (${value}) is greater than unrefunded amount on charge (${left})`,
        'amount_too_large',
      );
    intent['amount_refunded'] = (intent['amount_refunded'] as number) + value;
    const refund: Obj = {
      id: ctx.id('re'),
      object: 'refund',
      amount: value,
      charge: intent['latest_charge'],
      created: ctx.now(),
      currency: intent['currency'],
      metadata: md,
      payment_intent: id,
      reason: reason ?? null,
      status: 'succeeded',
    };
    this.refunds.set(refund.id, refund);
    ctx.emit('refund.created', refund);
    return refund;
  }

  listRefunds(p: Params): Record<string, unknown> {
    only(p, ['payment_intent', 'charge', 'limit', 'starting_after']);
    const intent = str(p, 'payment_intent');
    return list(
      '/v1/refunds',
      [...this.refunds.values()].filter((r) => intent === undefined || r['payment_intent'] === intent),
      p,
    );
  }

  createPaymentLink(p: Params, ctx: Context): Obj {
    only(p, ['line_items', 'metadata', 'after_completion']);
    const items = p['line_items'];
    if (!Array.isArray(items) || items.length === 0) throw paramMissing('line_items');
    let cur: string | undefined;
    items.forEach((raw, i) => {
      if (typeof raw !== 'object' || Array.isArray(raw)) throw paramInvalid(`line_items[${i}]`, 'Invalid line item');
      const data = raw['price_data'];
      if (typeof data !== 'object' || Array.isArray(data)) throw paramMissing(`line_items[${i}][price_data]`);
      const c = currency(data) ?? '';
      if (c === '') throw paramMissing(`line_items[${i}][price_data][currency]`);
      if ((int(data, 'unit_amount') ?? -1) < 0) throw paramMissing(`line_items[${i}][price_data][unit_amount]`);
      const product = data['product_data'];
      if (typeof product !== 'object' || Array.isArray(product) || !str(product, 'name'))
        throw paramMissing(`line_items[${i}][price_data][product_data][name]`);
      if ((int(raw, 'quantity') ?? 0) < 1) throw paramMissing(`line_items[${i}][quantity]`);
      cur ??= c;
    });
    const link: Obj = {
      id: ctx.id('plink'),
      object: 'payment_link',
      active: true,
      after_completion: { type: 'hosted_confirmation', hosted_confirmation: { custom_message: null } },
      created: ctx.now(),
      currency: cur,
      livemode: false,
      metadata: metadata(p) ?? {},
      url: '',
    };
    link['url'] = `https://buy.stripe.com/test_${link.id.slice(6)}`;
    this.paymentLinks.set(link.id, link);
    return link;
  }

  updatePaymentLink(id: string, p: Params): Obj {
    only(p, ['active', 'metadata']);
    const link = this.paymentLinks.get(id);
    if (!link) throw noSuch('payment_link', id);
    const active = bool(p, 'active');
    const md = metadata(p);
    if (active !== undefined) link['active'] = active;
    link['metadata'] = merge(link['metadata'] as Metadata, md);
    return link;
  }

  listPaymentLinks(p: Params): Record<string, unknown> {
    only(p, ['active', 'limit', 'starting_after']);
    const active = bool(p, 'active');
    return list(
      '/v1/payment_links',
      [...this.paymentLinks.values()].filter((l) => active === undefined || l['active'] === active),
      p,
    );
  }
}
