// The endpoints the fake serves: what the payments connector uses, plus what tests need to drive it.

import { noSuch } from './errors.ts';
import type { Params } from './form.ts';
import type { Context, Obj, StripeState } from './resources.ts';

export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  pattern: RegExp;
  /** Whether a successful call changes something (counted as an effect). */
  effect: boolean;
  run(state: StripeState, params: Params, ids: string[], ctx: Context): Obj | Record<string, unknown>;
}

const get =
  (s: StripeState, map: keyof StripeState, kind: string) =>
  (id: string): Obj => {
    const found = (s[map] as Map<string, Obj>).get(id);
    if (!found) throw noSuch(kind, id);
    return found;
  };

export const ROUTES: Route[] = [
  {
    method: 'GET',
    pattern: /^\/v1\/balance$/,
    effect: false,
    run: () => ({
      object: 'balance',
      available: [{ amount: 0, currency: 'usd', source_types: { card: 0 } }],
      livemode: false,
      pending: [{ amount: 0, currency: 'usd', source_types: { card: 0 } }],
    }),
  },
  { method: 'POST', pattern: /^\/v1\/customers$/, effect: true, run: (s, p, _, c) => s.createCustomer(p, c) },
  { method: 'GET', pattern: /^\/v1\/customers$/, effect: false, run: (s, p) => s.listCustomers(p) },
  { method: 'GET', pattern: /^\/v1\/customers\/([^/]+)$/, effect: false, run: (s, _, [id = '']) => s.customer(id) },
  { method: 'POST', pattern: /^\/v1\/invoiceitems$/, effect: true, run: (s, p, _, c) => s.createInvoiceItem(p, c) },
  {
    method: 'GET',
    pattern: /^\/v1\/invoiceitems\/([^/]+)$/,
    effect: false,
    run: (s, _, [id = '']) => get(s, 'invoiceItems', 'invoiceitem')(id),
  },
  { method: 'POST', pattern: /^\/v1\/invoices$/, effect: true, run: (s, p, _, c) => s.view(s.createInvoice(p, c)) },
  {
    method: 'GET',
    pattern: /^\/v1\/invoices$/,
    effect: false,
    run: (s, p) => {
      const l = s.listInvoices(p);
      return { ...l, data: (l['data'] as Obj[]).map((i) => s.view(i)) };
    },
  },
  {
    method: 'GET',
    pattern: /^\/v1\/invoices\/([^/]+)$/,
    effect: false,
    run: (s, _, [id = '']) => s.view(s.invoice(id)),
  },
  {
    method: 'POST',
    pattern: /^\/v1\/invoices\/([^/]+)$/,
    effect: true,
    run: (s, p, [id = '']) => s.view(s.updateInvoice(id, p)),
  },
  {
    method: 'DELETE',
    pattern: /^\/v1\/invoices\/([^/]+)$/,
    effect: true,
    run: (s, _, [id = ''], c) => s.deleteDraft(id, c),
  },
  {
    method: 'GET',
    pattern: /^\/v1\/invoices\/([^/]+)\/lines$/,
    effect: false,
    run: (s, p, [id = '']) => s.lines(id, p),
  },
  {
    method: 'POST',
    pattern: /^\/v1\/invoices\/([^/]+)\/finalize$/,
    effect: true,
    run: (s, p, [id = ''], c) => s.view(s.finalize(id, p, c)),
  },
  {
    method: 'POST',
    pattern: /^\/v1\/invoices\/([^/]+)\/send$/,
    effect: true,
    run: (s, p, [id = ''], c) => s.view(s.send(id, p, c)),
  },
  {
    method: 'POST',
    pattern: /^\/v1\/invoices\/([^/]+)\/void$/,
    effect: true,
    run: (s, p, [id = ''], c) => s.view(s.void(id, p, c)),
  },
  {
    method: 'POST',
    pattern: /^\/v1\/invoices\/([^/]+)\/mark_uncollectible$/,
    effect: true,
    run: (s, p, [id = ''], c) => s.view(s.markUncollectible(id, p, c)),
  },
  {
    method: 'POST',
    pattern: /^\/v1\/invoices\/([^/]+)\/pay$/,
    effect: true,
    run: (s, p, [id = ''], c) => s.view(s.pay(id, p, c)),
  },
  { method: 'GET', pattern: /^\/v1\/invoice_payments$/, effect: false, run: (s, p) => s.listInvoicePayments(p) },
  {
    method: 'GET',
    pattern: /^\/v1\/payment_intents\/([^/]+)$/,
    effect: false,
    run: (s, _, [id = '']) => get(s, 'paymentIntents', 'payment_intent')(id),
  },
  { method: 'POST', pattern: /^\/v1\/refunds$/, effect: true, run: (s, p, _, c) => s.createRefund(p, c) },
  { method: 'GET', pattern: /^\/v1\/refunds$/, effect: false, run: (s, p) => s.listRefunds(p) },
  { method: 'POST', pattern: /^\/v1\/payment_links$/, effect: true, run: (s, p, _, c) => s.createPaymentLink(p, c) },
  { method: 'GET', pattern: /^\/v1\/payment_links$/, effect: false, run: (s, p) => s.listPaymentLinks(p) },
  {
    method: 'GET',
    pattern: /^\/v1\/payment_links\/([^/]+)$/,
    effect: false,
    run: (s, _, [id = '']) => get(s, 'paymentLinks', 'payment_link')(id),
  },
  {
    method: 'POST',
    pattern: /^\/v1\/payment_links\/([^/]+)$/,
    effect: true,
    run: (s, p, [id = '']) => s.updatePaymentLink(id, p),
  },
];
