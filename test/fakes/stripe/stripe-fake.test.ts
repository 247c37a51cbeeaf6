// The Stripe fake is only worth what its faithfulness is worth: these tests drive it with raw HTTP (no SDK) and
// check Stripe's documented rules — idempotent replay, parameter mismatch, concurrent use, expiry, what is and is
// not saved — plus the invoice state machine, auth, form encoding and signed webhooks.

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, test } from 'node:test';
import { StripeFake } from './server.ts';

let fake: StripeFake;
before(async () => {
  fake = await new StripeFake().start();
});
after(() => fake.close());
beforeEach(() => fake.clearFaults());

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown> & { error?: { type: string; code?: string; message: string; param?: string } };
}

async function call(
  method: string,
  path: string,
  form: Record<string, string> = {},
  options: { key?: string; apiKey?: string } = {},
): Promise<Answer> {
  const body = new URLSearchParams(form).toString();
  const headers: Record<string, string> = { authorization: `Bearer ${options.apiKey ?? fake.apiKey}` };
  if (options.key) headers['idempotency-key'] = options.key;
  if (method === 'POST') headers['content-type'] = 'application/x-www-form-urlencoded';
  const res = await fetch(`${fake.url}${path}${method === 'GET' && body ? `?${body}` : ''}`, {
    method,
    headers,
    ...(method === 'POST' ? { body } : {}),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Answer['body'] };
}

const customer = async (): Promise<string> =>
  (await call('POST', '/v1/customers', { name: 'Acme', email: 'billing@acme.test' })).body.id as string;

async function openInvoice(): Promise<string> {
  const cus = await customer();
  const inv = await call('POST', '/v1/invoices', {
    customer: cus,
    currency: 'eur',
    collection_method: 'send_invoice',
    days_until_due: '14',
  });
  await call('POST', '/v1/invoiceitems', {
    customer: cus,
    invoice: inv.body.id as string,
    amount: '1200',
    currency: 'eur',
    description: 'Workshop',
  });
  assert.equal((await call('POST', `/v1/invoices/${String(inv.body.id)}/finalize`)).status, 200);
  return inv.body.id as string;
}

test('the same key and parameters replay the first answer, status and body, with Idempotent-Replayed', async () => {
  const form = { name: 'Replay Ltd', email: 'a@replay.test', 'metadata[solo_client]': 'client:replay' };
  const first = await call('POST', '/v1/customers', form, { key: 'k-replay' });
  const again = await call(
    'POST',
    '/v1/customers',
    { email: 'a@replay.test', 'metadata[solo_client]': 'client:replay', name: 'Replay Ltd' },
    { key: 'k-replay' },
  );
  assert.equal(first.status, 200);
  assert.equal(first.headers.get('idempotent-replayed'), null);
  assert.match(first.headers.get('request-id') ?? '', /^req_\w+$/);
  assert.equal(again.status, 200);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  assert.equal(again.headers.get('original-request'), first.headers.get('request-id'));
  assert.deepEqual(again.body, first.body, 'parameter order does not matter; the saved body comes back');
  assert.match(first.body.id as string, /^cus_\w+$/);
  assert.deepEqual(first.body['metadata'], { solo_client: 'client:replay' });
  assert.equal([...fake.state.customers.values()].filter((c) => c['email'] === 'a@replay.test').length, 1);
  assert.equal(fake.attempts.get('k-replay'), 2);
  assert.equal(fake.effects.get('k-replay'), 1);
});

test('the same key with other parameters or another endpoint is a 400 idempotency_error, and nothing runs', async () => {
  const first = await call('POST', '/v1/customers', { name: 'Mismatch', email: 'm@x.test' }, { key: 'k-mismatch' });
  const other = await call('POST', '/v1/customers', { name: 'Mismatch', email: 'other@x.test' }, { key: 'k-mismatch' });
  assert.equal(other.status, 400);
  assert.equal(other.body.error?.type, 'idempotency_error');
  assert.match(other.body.error?.message ?? '', /same parameters they were first used with/);
  const elsewhere = await call('POST', '/v1/payment_links', { 'line_items[0][quantity]': '1' }, { key: 'k-mismatch' });
  assert.equal(elsewhere.status, 400);
  assert.equal(elsewhere.body.error?.type, 'idempotency_error');
  assert.match(elsewhere.body.error?.message ?? '', /same endpoint/);
  const back = await call('POST', '/v1/customers', { name: 'Mismatch', email: 'm@x.test' }, { key: 'k-mismatch' });
  assert.equal(back.headers.get('idempotent-replayed'), 'true', 'the refusals did not overwrite the saved answer');
  assert.equal(back.body.id, first.body.id);
  assert.equal(fake.effects.get('k-mismatch'), 1);
});

test('a key whose first request is still running gets 409 idempotency_error; afterwards the answer replays', async () => {
  fake.inject({ match: 'POST /v1/customers', kind: 'slow', delayMs: 300 });
  const slow = call('POST', '/v1/customers', { name: 'Slow', email: 's@x.test' }, { key: 'k-slow' });
  await new Promise((r) => setTimeout(r, 50));
  const concurrent = await call('POST', '/v1/customers', { name: 'Slow', email: 's@x.test' }, { key: 'k-slow' });
  assert.equal(concurrent.status, 409);
  assert.equal(concurrent.body.error?.type, 'idempotency_error');
  const first = await slow;
  assert.equal(first.status, 200);
  const later = await call('POST', '/v1/customers', { name: 'Slow', email: 's@x.test' }, { key: 'k-slow' });
  assert.equal(later.headers.get('idempotent-replayed'), 'true');
  assert.equal(later.body.id, first.body.id);
  assert.equal(fake.effects.get('k-slow'), 1);
});

test('keys are pruned after 24 hours: the same key then runs again', async () => {
  const first = await call('POST', '/v1/customers', { name: 'Expiry', email: 'e@x.test' }, { key: 'k-expiry' });
  fake.advance(23 * 3600_000);
  assert.equal(
    (await call('POST', '/v1/customers', { name: 'Expiry', email: 'e@x.test' }, { key: 'k-expiry' })).body.id,
    first.body.id,
  );
  fake.advance(3600_000);
  const fresh = await call('POST', '/v1/customers', { name: 'Expiry', email: 'e@x.test' }, { key: 'k-expiry' });
  assert.notEqual(fresh.body.id, first.body.id);
  assert.equal(fresh.headers.get('idempotent-replayed'), null);
  assert.equal(fake.effects.get('k-expiry'), 2);
});

test('parameter errors are not saved (a corrected retry with the key runs); state errors are saved and replayed', async () => {
  const missing = await call('POST', '/v1/invoices', { currency: 'eur' }, { key: 'k-param' });
  assert.equal(missing.status, 400);
  assert.deepEqual([missing.body.error?.code, missing.body.error?.param], ['parameter_missing', 'customer']);
  const unknown = await call('POST', '/v1/invoices', { customer: await customer(), colour: 'red' }, { key: 'k-param' });
  assert.deepEqual(
    [unknown.status, unknown.body.error?.code, unknown.body.error?.param],
    [400, 'parameter_unknown', 'colour'],
  );
  const corrected = await call(
    'POST',
    '/v1/invoices',
    { customer: await customer(), currency: 'eur' },
    { key: 'k-param' },
  );
  assert.equal(corrected.status, 200);
  assert.equal(corrected.body['status'], 'draft');

  const id = await openInvoice();
  const refinalize = await call('POST', `/v1/invoices/${id}/finalize`, {}, { key: 'k-state' });
  assert.equal(refinalize.status, 400);
  assert.equal(refinalize.body.error?.type, 'invalid_request_error');
  const replayed = await call('POST', `/v1/invoices/${id}/finalize`, {}, { key: 'k-state' });
  assert.equal(replayed.status, 400);
  assert.equal(replayed.headers.get('idempotent-replayed'), 'true');
});

test('faults: 500 before the idempotency layer is not saved; a 500 after execution began is replayed', async () => {
  fake.inject({ match: 'POST /v1/customers', kind: 'error500' });
  assert.equal((await call('POST', '/v1/customers', { name: 'F' }, { key: 'k-500' })).status, 500);
  assert.equal((await call('POST', '/v1/customers', { name: 'F' }, { key: 'k-500' })).status, 200);
  assert.equal(fake.effects.get('k-500'), 1);

  fake.inject({ match: 'POST /v1/customers', kind: 'error500Saved' });
  const saved = await call('POST', '/v1/customers', { name: 'G' }, { key: 'k-500s' });
  assert.equal(saved.status, 500);
  assert.equal(saved.body.error?.type, 'api_error');
  const again = await call('POST', '/v1/customers', { name: 'G' }, { key: 'k-500s' });
  assert.deepEqual([again.status, again.headers.get('idempotent-replayed')], [500, 'true']);
  assert.equal(fake.effects.get('k-500s'), undefined, 'nothing happened');

  fake.inject({ match: 'POST /v1/customers', kind: 'rateLimit' });
  const limited = await call('POST', '/v1/customers', { name: 'H' }, { key: 'k-429' });
  assert.deepEqual([limited.status, limited.body.error?.code], [429, 'rate_limit']);
  assert.equal((await call('POST', '/v1/customers', { name: 'H' }, { key: 'k-429' })).status, 200);
});

test('faults: a connection dropped after the commit hides an effect that happened; the key replays it', async () => {
  fake.inject({ match: 'POST /v1/customers', kind: 'drop' });
  await assert.rejects(call('POST', '/v1/customers', { name: 'Dropped', email: 'd@x.test' }, { key: 'k-drop' }));
  assert.equal(fake.effects.get('k-drop'), 1, 'the customer was created although the client saw a socket error');
  const retry = await call('POST', '/v1/customers', { name: 'Dropped', email: 'd@x.test' }, { key: 'k-drop' });
  assert.equal(retry.headers.get('idempotent-replayed'), 'true');
  assert.equal([...fake.state.customers.values()].filter((c) => c['email'] === 'd@x.test').length, 1);
  assert.deepEqual(fake.report('k-drop'), { attempted: 2, keys: 1, performed: 1, duplicates: [] });
});

test('authentication: no key or a wrong key is a 401 that never echoes the key', async () => {
  const none = await fetch(`${fake.url}/v1/balance`);
  assert.equal(none.status, 401);
  const wrong = await call('GET', '/v1/balance', {}, { apiKey: 'sk_test_wrongwrongwrong1234' });
  assert.equal(wrong.status, 401);
  assert.ok(!(wrong.body.error?.message ?? '').includes('wrongwrongwrong'));
  assert.equal((await call('GET', '/v1/balance')).body['object'], 'balance');
});

test('the invoice state machine: items only on drafts, send and void only when open, paid is final', async () => {
  const cus = await customer();
  const inv = await call('POST', '/v1/invoices', {
    customer: cus,
    currency: 'EUR',
    collection_method: 'send_invoice',
    days_until_due: '30',
    'metadata[solo_key]': 'run-1:issue',
  });
  const id = inv.body.id as string;
  assert.match(id, /^in_\w+$/);
  assert.deepEqual([inv.body['status'], inv.body['currency'], inv.body['number']], ['draft', 'eur', null]);
  assert.equal((await call('POST', `/v1/invoices/${id}/send`)).status, 400, 'a draft cannot be sent');
  assert.equal((await call('POST', `/v1/invoices/${id}/void`)).status, 400, 'a draft cannot be voided');
  const item = await call('POST', '/v1/invoiceitems', {
    customer: cus,
    invoice: id,
    amount: '5000',
    currency: 'eur',
    description: 'Design',
    'metadata[solo_key]': 'run-1:issue:item:0',
  });
  assert.match(item.body.id as string, /^ii_\w+$/);
  assert.equal(
    (await call('POST', '/v1/invoiceitems', { customer: cus, invoice: id, amount: '5', currency: 'usd' })).body.error
      ?.param,
    'currency',
  );
  const open = await call('POST', `/v1/invoices/${id}/finalize`);
  assert.deepEqual([open.body['status'], open.body['amount_due']], ['open', 5000]);
  assert.match(open.body['number'] as string, /^[A-Z0-9]+-0\d{3}$/);
  assert.match(open.body['hosted_invoice_url'] as string, /^https:\/\/invoice\.stripe\.com\//);
  const lines = (
    open.body['lines'] as {
      data: { metadata: Record<string, string>; parent: { invoice_item_details: { invoice_item: string } } }[];
    }
  ).data;
  assert.deepEqual(
    lines.map((l) => [l.metadata['solo_key'], l.parent.invoice_item_details.invoice_item]),
    [['run-1:issue:item:0', item.body.id]],
  );
  assert.equal(
    (await call('POST', '/v1/invoiceitems', { customer: cus, invoice: id, amount: '5', currency: 'eur' })).body.error
      ?.code,
    'invoice_not_editable',
  );
  assert.equal((await call('POST', `/v1/invoices/${id}/send`)).status, 200);
  assert.deepEqual(
    fake.state.emails.filter((e) => e.invoice === id),
    [{ invoice: id, to: 'billing@acme.test' }],
  );
  assert.equal((await call('DELETE', `/v1/invoices/${id}`)).status, 400, 'only drafts can be deleted');
  const paid = await call('POST', `/v1/invoices/${id}/pay`);
  assert.deepEqual([paid.body['status'], paid.body['amount_paid'], paid.body['amount_remaining']], ['paid', 5000, 0]);
  assert.equal((await call('POST', `/v1/invoices/${id}/void`)).status, 400, 'a paid invoice cannot be voided');
  const payments = await call('GET', '/v1/invoice_payments', { invoice: id });
  const intent = (payments.body['data'] as { payment: { payment_intent: string } }[])[0]?.payment.payment_intent ?? '';
  assert.match(intent, /^pi_\w+$/);
  const refund = await call('POST', '/v1/refunds', { payment_intent: intent, amount: '2000' });
  assert.deepEqual([refund.body['status'], refund.body['amount']], ['succeeded', 2000]);
  assert.match(refund.body.id as string, /^re_\w+$/);
  assert.equal(
    (await call('POST', '/v1/refunds', { payment_intent: intent, amount: '3001' })).body.error?.code,
    'amount_too_large',
  );
  const listed = await call('GET', '/v1/invoices', { customer: cus });
  assert.deepEqual(
    (listed.body['data'] as { id: string }[]).map((i) => i.id),
    [id],
  );
  assert.equal((await call('GET', '/v1/invoices/in_missing')).status, 404);
});

test('nested form parameters: payment links with price_data, and deactivation', async () => {
  const link = await call('POST', '/v1/payment_links', {
    'line_items[0][price_data][currency]': 'eur',
    'line_items[0][price_data][unit_amount]': '9900',
    'line_items[0][price_data][product_data][name]': 'Audit',
    'line_items[0][quantity]': '1',
    'metadata[solo_key]': 'r:link',
  });
  assert.match(link.body.id as string, /^plink_\w+$/);
  assert.deepEqual(
    [link.body['active'], link.body['currency'], link.body['metadata']],
    [true, 'eur', { solo_key: 'r:link' }],
  );
  const off = await call('POST', `/v1/payment_links/${String(link.body.id)}`, { active: 'false' });
  assert.equal(off.body['active'], false);
  const bad = await call('POST', '/v1/payment_links', { 'line_items[0][quantity]': '1' });
  assert.deepEqual([bad.status, bad.body.error?.param], [400, 'line_items[0][price_data]']);
});

test('webhooks: events are POSTed with a Stripe-Signature that is an HMAC-SHA256 of "t.payload"', async () => {
  const received: { signature: string; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ signature: String(req.headers['stripe-signature']), body });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const hook = new StripeFake({ apiKey: fake.apiKey });
  await hook.start();
  try {
    hook.addWebhookEndpoint(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, 'whsec_test_secret');
    const previous = fake;
    fake = hook;
    const id = await openInvoice();
    await call('POST', `/v1/invoices/${id}/pay`);
    fake = previous;
    await hook.settled();
    const paid = received
      .map((r) => ({
        ...r,
        event: JSON.parse(r.body) as { type: string; data: { object: { id: string; status: string } } },
      }))
      .find((r) => r.event.type === 'invoice.paid');
    assert.ok(paid, `got ${received.length} events`);
    assert.deepEqual([paid.event.data.object.id, paid.event.data.object.status], [id, 'paid']);
    const [, t = '', v1 = ''] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(paid.signature) ?? [];
    assert.equal(v1, createHmac('sha256', 'whsec_test_secret').update(`${t}.${paid.body}`).digest('hex'));
    assert.ok(hook.deliveries.every((d) => d.status === 200));
  } finally {
    await hook.close();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
