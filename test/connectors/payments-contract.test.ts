// Contract tests against Stripe's real test mode, run when STRIPE_TEST_SECRET_KEY (sk_test_…) is set: the
// idempotency rules the fake reproduces, checked on the real API with raw HTTP, and the connector's invoice
// flow end to end (issue, replay, lookup, void). Every object is created under a random run id and the
// customers are deleted afterwards. Without the key (or with a live key) the tests are skipped with the reason.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import { createPaymentsConnector, type StripePayments } from '../../adapters/connectors/payments/index.ts';
import { invoiceFor, silentLogger } from './payments-support.ts';

const KEY = process.env['STRIPE_TEST_SECRET_KEY'] ?? '';
const API = process.env['STRIPE_TEST_API_URL'] ?? 'https://api.stripe.com';
const skip =
  KEY === ''
    ? 'STRIPE_TEST_SECRET_KEY is not set (a Stripe test-mode secret key runs these against the real API)'
    : /^(sk|rk)_test_/.test(KEY)
      ? false
      : 'STRIPE_TEST_SECRET_KEY is not a test-mode key (sk_test_…); refusing to touch live data';
const run = randomUUID().slice(0, 8);
const customers: string[] = [];
let payments: StripePayments | undefined;

async function call(method: string, path: string, form: Record<string, string> = {}, key?: string) {
  const body = new URLSearchParams(form).toString();
  const res = await fetch(`${API}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${KEY}`,
      'content-type': 'application/x-www-form-urlencoded',
      ...(key ? { 'idempotency-key': key } : {}),
    },
    ...(method === 'POST' ? { body } : {}),
  });
  return {
    status: res.status,
    headers: res.headers,
    body: (await res.json()) as Record<string, unknown> & { error?: { type: string; message: string } },
  };
}

after(async () => {
  for (const id of customers) await call('DELETE', `/v1/customers/${id}`).catch(() => undefined);
  await payments?.close();
});

test('Stripe test mode: the idempotency rules the fake follows', { skip, timeout: 60_000 }, async () => {
  const key = `solo-contract-${run}:customer`;
  const form = {
    name: `Solo contract ${run}`,
    email: `contract+${run}@example.com`,
    'metadata[solo_client]': `client:contract-${run}`,
  };
  const first = await call('POST', '/v1/customers', form, key);
  assert.equal(first.status, 200);
  customers.push(first.body['id'] as string);
  assert.match(first.headers.get('request-id') ?? '', /^req_\w+$/);
  const again = await call('POST', '/v1/customers', form, key);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  assert.equal(again.body['id'], first.body['id']);
  const other = await call('POST', '/v1/customers', { ...form, name: 'Someone else' }, key);
  assert.equal(other.status, 400);
  assert.equal(other.body.error?.type, 'idempotency_error');
  const found = await call('GET', `/v1/customers?email=${encodeURIComponent(form.email)}`);
  assert.deepEqual(
    (found.body['data'] as { id: string }[]).map((c) => c.id),
    [first.body['id']],
  );
});

test(
  'Stripe test mode: an invoice issued once, replayed, found by metadata, voided idempotently',
  { skip, timeout: 120_000 },
  async () => {
    payments = createPaymentsConnector({ STRIPE_SECRET_KEY: KEY, STRIPE_API_URL: API }, await silentLogger());
    assert.ok(payments);
    assert.equal((await payments.health()).state, 'ok');
    const key = `solo-contract-${run}:issue`;
    const input = invoiceFor(`contract-${run}`, {
      customer: {
        clientKey: `client:contract-inv-${run}`,
        name: `Solo contract ${run}`,
        email: `contract-inv+${run}@example.com`,
      },
    });
    const issued = await payments.issueInvoice(input, { idempotencyKey: key, startedAt: new Date() });
    customers.push(issued.customerId);
    assert.deepEqual([issued.status, issued.amountDueMinor, issued.currency], ['open', 258_050, 'eur']);
    assert.match(issued.hostedUrl ?? '', /^https:\/\//);
    assert.deepEqual(
      await payments.issueInvoice(input, { idempotencyKey: key, startedAt: new Date() }),
      issued,
      'replayed under the keys',
    );
    assert.equal(
      (await payments.issueInvoice(input, { idempotencyKey: key })).invoiceId,
      issued.invoiceId,
      'found by its solo_key',
    );
    const listed = await call('GET', `/v1/invoices?customer=${issued.customerId}`);
    assert.equal((listed.body['data'] as unknown[]).length, 1, 'exactly one invoice in Stripe');
    const lines = await call('GET', `/v1/invoices/${issued.invoiceId}/lines`);
    assert.deepEqual(
      (lines.body['data'] as { metadata: Record<string, string> }[]).map((l) => l.metadata['solo_key']).sort(),
      [`${key}:item:0`, `${key}:item:1`],
    );
    assert.equal((await payments.voidInvoice(issued.invoiceId, { idempotencyKey: `${key}:undo` })).status, 'void');
    assert.equal((await payments.voidInvoice(issued.invoiceId, { idempotencyKey: `${key}:undo` })).status, 'void');
  },
);
