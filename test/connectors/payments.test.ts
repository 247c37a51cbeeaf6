// The payments connector with the real stripe SDK against the Stripe fake: an invoice is issued once per step key
// (customer → draft → items → finalize → send), replays and resumptions create nothing new, keys that Stripe has
// forgotten (24 h) are covered by the metadata lookup, compensations are idempotent, bad input never reaches Stripe.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { StripePayments } from '../../adapters/connectors/payments/index.ts';
import { PaymentsError } from '../../src/ports/payments.ts';
import { runToExit } from '../support/process.ts';
import { connectorFor, invoiceFor, invoicesOf, StripeFake } from './payments-support.ts';

const HOUR = 3600_000;
let fake: StripeFake;
let payments: StripePayments;
before(async () => {
  fake = await new StripeFake().start();
  payments = await connectorFor(fake);
});
after(async () => {
  await payments.close();
  await fake.close();
});

const now = (): Date => new Date(fake.now());

test('an invoice is issued once: customer, draft, its lines, finalized and sent, every POST under a key of ours', async () => {
  const key = 'run-a:issue';
  const issued = await payments.issueInvoice(invoiceFor('a'), { idempotencyKey: key, startedAt: now() });
  assert.match(issued.invoiceId, /^in_\w+$/);
  assert.match(issued.customerId, /^cus_\w+$/);
  assert.deepEqual([issued.status, issued.amountDueMinor, issued.currency], ['open', 258_050, 'eur']);
  assert.match(issued.number ?? '', /-\d{4}$/);
  assert.match(issued.hostedUrl ?? '', /^https:\/\/invoice\.stripe\.com\//);
  assert.deepEqual(invoicesOf(fake, key), [
    { id: issued.invoiceId, status: 'open', lines: [`${key}:item:0`, `${key}:item:1`], emails: 1 },
  ]);
  const invoice: Record<string, unknown> = fake.state.invoices.get(issued.invoiceId) ?? {};
  assert.deepEqual(invoice['metadata'], { ledger_invoice: 'INV-000a', solo_key: key, solo_sent: 'yes' });
  assert.deepEqual([invoice['collection_method'], invoice['description']], ['send_invoice', 'Invoice a']);
  const customer: Record<string, unknown> = fake.state.customers.get(issued.customerId) ?? {};
  assert.deepEqual(
    [customer['email'], customer['name'], customer['metadata']],
    ['billing+a@acme.test', 'Acme a Ltd', { solo_client: 'client:acme-a' }],
  );
  const posts = fake.log.filter((r) => r.method === 'POST');
  assert.ok(
    posts.every((r) => r.key !== undefined && (r.key.startsWith(`${key}:`) || r.key.startsWith('customer:'))),
    'no SDK-made key, no unkeyed POST',
  );
  assert.equal(fake.unkeyedEffects, 0);
});

test('the same step again replays (fresh keys) or finds the invoice (keys maybe expired): nothing new in Stripe', async () => {
  const key = 'run-b:issue';
  const first = await payments.issueInvoice(invoiceFor('b'), { idempotencyKey: key, startedAt: now() });
  const before = fake.log.length;
  const replayed = await payments.issueInvoice(invoiceFor('b'), { idempotencyKey: key, startedAt: now() });
  assert.deepEqual(replayed, first);
  assert.ok(
    fake.log
      .slice(before)
      .filter((r) => r.method === 'POST')
      .every((r) => r.replayed),
    'every POST of the second call was a replay',
  );
  const looked = fake.log.length;
  const found = await payments.issueInvoice(invoiceFor('b'), { idempotencyKey: key });
  assert.deepEqual(found, first);
  assert.equal(fake.log.slice(looked).filter((r) => r.method === 'POST').length, 0, 'found sent: no POST at all');
  assert.equal(invoicesOf(fake, key).length, 1);
  assert.deepEqual(fake.report(key).duplicates, []);
});

test('a step resumed after Stripe forgot its keys (25 h) finds the draft by metadata and completes it once', async () => {
  const key = 'run-c:issue';
  const startedAt = now();
  // The first attempt dies after adding line 1 of 2 (both the send and the SDK's one re-send are cut).
  fake.inject({ match: 'POST /v1/invoiceitems', kind: 'drop', times: 1 });
  fake.inject({ match: 'POST /v1/invoiceitems', kind: 'error500', times: 1 });
  await assert.rejects(
    payments.issueInvoice(invoiceFor('c'), { idempotencyKey: key, startedAt }),
    (err: unknown) => err instanceof PaymentsError && err.retryable,
  );
  assert.deepEqual(
    invoicesOf(fake, key).map((i) => [i.status, i.lines]),
    [['draft', [`${key}:item:0`]]],
  );
  fake.advance(25 * HOUR);
  const issued = await payments.issueInvoice(invoiceFor('c'), { idempotencyKey: key, startedAt });
  assert.equal(issued.status, 'open');
  assert.deepEqual(invoicesOf(fake, key), [
    { id: issued.invoiceId, status: 'open', lines: [`${key}:item:0`, `${key}:item:1`], emails: 1 },
  ]);
  assert.equal(fake.effects.get(`${key}:invoice`), 1, 'the expired invoice key was not used again');

  // Days later again, the invoice is found sent: no second email, no second anything.
  fake.advance(48 * HOUR);
  const again = await payments.issueInvoice(invoiceFor('c'), { idempotencyKey: key, startedAt });
  assert.equal(again.invoiceId, issued.invoiceId);
  assert.equal(invoicesOf(fake, key)[0]?.emails, 1);
});

test('a customer belongs to a client: found again by email and client key, whatever the step', async () => {
  const input = { clientKey: 'client:globex', name: 'Globex', email: 'ap@globex.test' };
  const a = await payments.ensureCustomer(input, { idempotencyKey: 'run-d:customer' });
  const b = await payments.ensureCustomer(input, { idempotencyKey: 'run-e:customer' });
  const c = await payments.ensureCustomer(
    { ...input, clientKey: 'client:globex-eu' },
    { idempotencyKey: 'run-f:customer' },
  );
  assert.equal(a.customerId, b.customerId);
  assert.notEqual(a.customerId, c.customerId);
  const issued = await payments.issueInvoice(invoiceFor('d', { customer: a.customerId }), {
    idempotencyKey: 'run-d:issue',
    startedAt: now(),
  });
  assert.equal(issued.customerId, a.customerId);
  assert.equal([...fake.state.customers.values()].filter((x) => x['email'] === 'ap@globex.test').length, 2);
});

test('bad input gets one sentence and never reaches Stripe', async () => {
  const before = fake.log.length;
  const cases: [Parameters<StripePayments['issueInvoice']>[0], RegExp][] = [
    [invoiceFor('x', { lines: [] }), /at least one line/],
    [invoiceFor('x', { lines: [{ description: 'Work', amountMinor: 12.5 }] }), /whole number of cents/],
    [invoiceFor('x', { currency: 'euro' }), /not a currency code/],
    [invoiceFor('x', { dueDays: -1 }), /payment term/],
    [invoiceFor('x', { metadata: { solo_key: 'mine' } }), /reserved/],
    [invoiceFor('x', { customer: { clientKey: 'c', name: 'N', email: 'not-an-email' } }), /not an email address/],
    [invoiceFor('x', { customer: 'acme' }), /not a Stripe customer id/],
  ];
  for (const [input, message] of cases) {
    await assert.rejects(payments.issueInvoice(input, { idempotencyKey: 'run-x:issue' }), (err: unknown) => {
      assert.ok(err instanceof PaymentsError);
      assert.equal(err.code, 'payments_bad_input');
      assert.equal(err.retryable, false);
      assert.match(err.userMessage, message);
      return true;
    });
  }
  await assert.rejects(payments.issueInvoice(invoiceFor('x'), { idempotencyKey: ' ' }), /step key/);
  assert.equal(fake.log.length, before);
});

test('a very long step key is hashed into keys Stripe accepts (255 characters)', async () => {
  const key = `run-${'y'.repeat(300)}:issue`;
  const issued = await payments.issueInvoice(invoiceFor('y'), { idempotencyKey: key, startedAt: now() });
  const again = await payments.issueInvoice(invoiceFor('y'), { idempotencyKey: key });
  assert.equal(again.invoiceId, issued.invoiceId);
  assert.ok(fake.log.every((r) => (r.key?.length ?? 0) <= 255));
});

test('void is the compensation: idempotent, a draft is deleted, a paid invoice is refused with a clear sentence', async () => {
  const issued = await payments.issueInvoice(invoiceFor('v'), { idempotencyKey: 'run-v:issue', startedAt: now() });
  assert.deepEqual(await payments.voidInvoice(issued.invoiceId, { idempotencyKey: 'run-v:undo:issue' }), {
    invoiceId: issued.invoiceId,
    status: 'void',
  });
  assert.deepEqual(await payments.voidInvoice(issued.invoiceId, { idempotencyKey: 'run-v:undo:issue' }), {
    invoiceId: issued.invoiceId,
    status: 'void',
  });
  assert.deepEqual(await payments.voidInvoice(issued.invoiceId, { idempotencyKey: 'run-v2:undo:issue' }), {
    invoiceId: issued.invoiceId,
    status: 'void',
  });
  assert.equal(fake.state.invoices.get(issued.invoiceId)?.['status'], 'void');
  assert.equal(fake.effects.get('run-v:undo:issue'), 1);

  fake.inject({ match: 'POST /v1/invoices/:id/finalize', kind: 'error500', times: 1 });
  await assert.rejects(payments.issueInvoice(invoiceFor('w'), { idempotencyKey: 'run-w:issue', startedAt: now() }));
  const [draft] = invoicesOf(fake, 'run-w:issue');
  assert.equal(draft?.status, 'draft');
  assert.deepEqual(await payments.voidInvoice(draft.id, { idempotencyKey: 'run-w:undo' }), {
    invoiceId: draft.id,
    status: 'deleted',
  });
  assert.deepEqual(await payments.voidInvoice(draft.id, { idempotencyKey: 'run-w:undo' }), {
    invoiceId: draft.id,
    status: 'deleted',
  });
  assert.equal(fake.state.invoices.has(draft.id), false);

  const paid = await payments.issueInvoice(invoiceFor('p'), { idempotencyKey: 'run-p:issue', startedAt: now() });
  await fetch(`${fake.url}/v1/invoices/${paid.invoiceId}/pay`, {
    method: 'POST',
    headers: { authorization: `Bearer ${fake.apiKey}` },
  });
  await assert.rejects(payments.voidInvoice(paid.invoiceId, { idempotencyKey: 'run-p:undo' }), (err: unknown) => {
    assert.ok(err instanceof PaymentsError);
    assert.deepEqual([err.code, err.retryable], ['payments_invoice_paid', false]);
    assert.match(err.userMessage, /already paid.*refund it instead/);
    return true;
  });

  // The compensation of a paid invoice: a refund, once per key, found again after the key expired.
  const refund = await payments.refund(
    { invoiceId: paid.invoiceId, amountMinor: 50_000 },
    { idempotencyKey: 'run-p:refund', startedAt: now() },
  );
  assert.match(refund.refundId, /^re_\w+$/);
  assert.deepEqual([refund.status, refund.amountMinor], ['succeeded', 50_000]);
  assert.deepEqual(
    await payments.refund(
      { invoiceId: paid.invoiceId, amountMinor: 50_000 },
      { idempotencyKey: 'run-p:refund', startedAt: now() },
    ),
    refund,
  );
  fake.advance(30 * HOUR);
  assert.deepEqual(
    await payments.refund({ invoiceId: paid.invoiceId, amountMinor: 50_000 }, { idempotencyKey: 'run-p:refund' }),
    refund,
  );
  assert.equal(fake.state.refunds.size, 1);
  await assert.rejects(
    payments.refund({ invoiceId: issued.invoiceId }, { idempotencyKey: 'run-v:refund' }),
    (err: unknown) => err instanceof PaymentsError && err.code === 'payments_not_paid',
  );
});

test('payment links: created once per key, found after the key expired, deactivated idempotently', async () => {
  const input = { description: 'Strategy call', amountMinor: 15_000, currency: 'EUR', metadata: { offer: 'call' } };
  const link = await payments.paymentLink(input, { idempotencyKey: 'run-l:link', startedAt: now() });
  assert.match(link.linkId, /^plink_\w+$/);
  assert.match(link.url, /^https:\/\/buy\.stripe\.com\//);
  assert.deepEqual(await payments.paymentLink(input, { idempotencyKey: 'run-l:link', startedAt: now() }), link);
  fake.advance(25 * HOUR);
  assert.deepEqual(await payments.paymentLink(input, { idempotencyKey: 'run-l:link' }), link);
  assert.equal(fake.state.paymentLinks.size, 1);
  await payments.deactivatePaymentLink(link.linkId, { idempotencyKey: 'run-l:undo:link' });
  await payments.deactivatePaymentLink(link.linkId, { idempotencyKey: 'run-l:undo:link' });
  assert.equal(fake.state.paymentLinks.get(link.linkId)?.['active'], false);
});

test('health: one line with mode, host and latency; a refused key is misconfigured, a dead server down', async () => {
  const ok = await payments.health();
  assert.equal(ok.state, 'ok');
  assert.match(ok.detail, /^Stripe \(test mode\) at 127\.0\.0\.1:\d+: ok \(\d+ ms\)$/);
  const wrong = await connectorFor(fake, { apiKey: 'sk_test_wrongwrongwrongwrong' });
  const refused = await wrong.health();
  assert.equal(refused.state, 'misconfigured');
  assert.match(refused.detail, /check STRIPE_SECRET_KEY/);
  assert.ok(!refused.detail.includes('wrongwrong'), 'the key never appears');
  await assert.rejects(
    wrong.issueInvoice(invoiceFor('z'), { idempotencyKey: 'run-z:issue' }),
    (err: unknown) => err instanceof PaymentsError && err.code === 'payments_auth' && !err.retryable,
  );
  await wrong.close();

  const gone = await new StripeFake().start();
  const orphan = await connectorFor(gone);
  await gone.close();
  const down = await orphan.health();
  assert.equal(down.state, 'down');
  assert.match(down.detail, /unreachable \(payments_unreachable\)/);
  await orphan.close();
});

test('without STRIPE_SECRET_KEY there is no connector; with it the SDK is loaded only on first use', async () => {
  const index = new URL('../../adapters/connectors/payments/index.ts', import.meta.url).href;
  const script = `
    import { registerHooks } from 'node:module';
    let loaded = 0;
    registerHooks({ resolve(specifier, context, next) { if (specifier === 'stripe') loaded++; return next(specifier, context); } });
    const { createPaymentsConnector } = await import(${JSON.stringify(index)});
    const logger = { child: () => logger, debug() {}, info() {}, warn() {}, error() {} };
    const none = createPaymentsConnector({ STRIPE_API_URL: 'https://api.stripe.com' }, logger);
    const some = createPaymentsConnector({ STRIPE_SECRET_KEY: ${JSON.stringify(fake.apiKey)}, STRIPE_API_URL: ${JSON.stringify(fake.url)} }, logger);
    const before = loaded;
    const health = await some.health();
    console.log(JSON.stringify({ none: none === undefined, before, after: loaded, state: health.state }));
    await some.close();`;
  const result = await runToExit(['--input-type=module', '-e', script], {});
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout.trim()), { none: true, before: 0, after: 1, state: 'ok' });
});
