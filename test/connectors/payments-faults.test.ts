// Fault injection on every sub-step of issuing an invoice, with the real SDK against the Stripe fake: the
// connection cut after Stripe committed (once: the SDK's own re-send replays under our key; twice: the error
// reaches the engine, which retries), a 500 then success, an answer slower than the SDK's timeout (then 409 while
// the first request still runs), 429, and a 500 that Stripe saved under the key. Every time: exactly one invoice
// with its lines, one email, no effect twice. Last, the trap the issue names: the SDK's own keys do not survive a
// restart, ours do.

import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { createStripeClient, type StripePayments } from '../../adapters/connectors/payments/index.ts';
import { PaymentsError } from '../../src/ports/payments.ts';
import type { FaultKind } from '../fakes/stripe/server.ts';
import { connectorFor, invoiceFor, invoicesOf, retrying, StripeFake } from './payments-support.ts';

const SUBSTEPS = [
  'POST /v1/customers',
  'POST /v1/invoices',
  'POST /v1/invoiceitems',
  'POST /v1/invoices/:id/finalize',
  'POST /v1/invoices/:id/send',
  'POST /v1/invoices/:id',
  'GET /v1/invoices',
] as const;

let fake: StripeFake;
let payments: StripePayments;
let quick: StripePayments;
let n = 0;
before(async () => {
  fake = await new StripeFake().start();
  payments = await connectorFor(fake);
  quick = await connectorFor(fake, { timeoutMs: 250 });
});
after(async () => {
  await payments.close();
  await quick.close();
  await fake.close();
});
beforeEach(() => fake.clearFaults());

/** Issues one invoice under a fresh key and client with `fault` injected, retrying like the engine. */
async function issueWith(
  kind: FaultKind,
  match: string,
  options: { times?: number; fresh?: boolean; connector?: StripePayments; delayMs?: number } = {},
) {
  const label = `f${++n}`;
  const key = `run-${label}:issue`;
  fake.inject({ match, kind, times: options.times ?? 1, ...(options.delayMs ? { delayMs: options.delayMs } : {}) });
  const startedAt = new Date(fake.now());
  const connector = options.connector ?? payments;
  const { value, errors } = await retrying(
    () =>
      connector.issueInvoice(invoiceFor(label), {
        idempotencyKey: key,
        ...(options.fresh === false ? {} : { startedAt }),
      }),
    { delayMs: 100 },
  );
  const found = invoicesOf(fake, key);
  assert.deepEqual(
    found,
    [{ id: value.invoiceId, status: 'open', lines: [`${key}:item:0`, `${key}:item:1`], emails: 1 }],
    `${kind} on ${match}`,
  );
  assert.equal(
    [...fake.state.customers.values()].filter(
      (c) => (c['metadata'] as Record<string, string>)['solo_client'] === `client:acme-${label}`,
    ).length,
    1,
    'one customer',
  );
  const report = fake.report(key);
  assert.deepEqual(report.duplicates, [], 'no key performed twice');
  return { key, errors, report };
}

for (const match of SUBSTEPS) {
  const posts = match.startsWith('POST');
  if (posts) {
    test(`connection cut after the commit of ${match}, once: the SDK's re-send replays under our key`, async () => {
      const { errors } = await issueWith('drop', match);
      assert.deepEqual(errors, [], 'the caller never saw the cut');
      assert.ok(
        fake.log.some((r) => r.replayed),
        'the re-send was answered from the saved response',
      );
    });
  }
  // The invoice lookup (a GET) runs only when the keys may have expired.
  const modes = posts ? [true, false] : [false];
  test(`connection cut at ${match} twice, the step retried: one invoice${posts ? '' : ' (a read)'}`, async () => {
    for (const fresh of modes) {
      const { errors } = await issueWith('drop', match, { times: 2, fresh });
      assert.deepEqual(
        errors.map((e) => e.code),
        ['payments_unreachable'],
      );
    }
  });
  test(`500 at ${match} then success: one invoice`, async () => {
    for (const fresh of modes) {
      const { errors } = await issueWith('error500', match, { fresh });
      assert.deepEqual(
        errors.map((e) => [e.code, e.retryable]),
        [['payments_server_error', true]],
      );
    }
  });
  if (posts) {
    test(`${match} answering slower than the SDK's timeout: timeout, 409 while it runs, then the replay`, async () => {
      const { errors } = await issueWith('slow', match, { connector: quick, delayMs: 700 });
      const codes = errors.map((e) => e.code);
      assert.equal(codes[0], 'payments_unreachable', 'the timeout is a retryable connection error');
      assert.ok(
        codes.includes('payments_in_progress'),
        `the retry met the first request still running: ${codes.join(', ')}`,
      );
      assert.ok(errors.every((e) => e.retryable));
    });
  }
}

test('429 from the rate limiter is retryable and changes nothing', async () => {
  const { errors } = await issueWith('rateLimit', 'POST /v1/invoices');
  assert.deepEqual(
    errors.map((e) => [e.code, e.retryable]),
    [['payments_rate_limited', true]],
  );
});

test('a 500 that Stripe saved under the key replays until the key is pruned; then the lookup and the key make one invoice', async () => {
  const key = 'run-saved500:issue';
  const startedAt = new Date(fake.now());
  fake.inject({ match: 'POST /v1/invoices', kind: 'error500Saved' });
  for (let i = 0; i < 3; i++) {
    await assert.rejects(
      payments.issueInvoice(invoiceFor('s500'), { idempotencyKey: key, startedAt }),
      (err: unknown) => err instanceof PaymentsError && err.code === 'payments_server_error' && err.retryable,
    );
  }
  assert.deepEqual(invoicesOf(fake, key), [], 'the 500 was replayed, nothing was created');
  fake.advance(25 * 3600_000);
  const issued = await payments.issueInvoice(invoiceFor('s500'), { idempotencyKey: key, startedAt });
  assert.deepEqual(invoicesOf(fake, key), [
    { id: issued.invoiceId, status: 'open', lines: [`${key}:item:0`, `${key}:item:1`], emails: 1 },
  ]);
});

test("the trap: the SDK's own per-call key does not survive a restart; the step's key does", async () => {
  const { stripe, agent } = await createStripeClient(fake.apiKey, fake.url);
  try {
    const customer = (await stripe.customers.create({ name: 'Trap', email: 'trap@x.test' })).id;
    const create = (idempotencyKey?: string) =>
      stripe.invoices.create(
        { customer, currency: 'eur', metadata: { trap: idempotencyKey ?? 'sdk' } },
        idempotencyKey ? { idempotencyKey } : {},
      );
    // Stripe commits, the answer is lost (the SDK's own re-send too), the process "restarts" and asks again.
    fake.inject({ match: 'POST /v1/invoices', kind: 'drop', times: 2 });
    await assert.rejects(create());
    await create();
    fake.inject({ match: 'POST /v1/invoices', kind: 'drop', times: 2 });
    await assert.rejects(create('run-trap:invoice'));
    await create('run-trap:invoice');
    const byTrap = (t: string) =>
      fake.invoices().filter((i) => (i['metadata'] as Record<string, string>)['trap'] === t).length;
    assert.equal(byTrap('sdk'), 2, 'with the SDK-made key (stripe-node-retry-…) the restart created a second invoice');
    assert.equal(byTrap('run-trap:invoice'), 1, 'with the step key it did not');
    assert.ok(fake.log.some((r) => r.key?.startsWith('stripe-node-retry-')));
  } finally {
    agent.destroy();
  }
});

test('report: requests with an effect key vs distinct effects', () => {
  const all = fake.report();
  assert.deepEqual(
    all.duplicates.filter((k) => !k.startsWith('stripe-node-retry-')),
    [],
  );
  // Printed for the record: attempts include every retry, re-send and replay; effects happened once per key.
  console.log(`# faults: ${all.attempted} keyed requests under ${all.keys} keys -> ${all.performed} effects performed`);
  assert.ok(all.attempted > all.performed);
});
