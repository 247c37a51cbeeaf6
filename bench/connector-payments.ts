// Cost of issuing one invoice through the payments connector over the raw stripe SDK, both against the local
// Stripe fake (answers at once), so what remains is loopback HTTP, the SDK, and what the connector adds: input
// checks, key derivation, the customer lookup, the "sent" mark and, when the step's keys may have expired, the
// invoice lookup. The raw line is the floor: the same invoice (draft, 2 items, finalize, send) in 5 SDK calls.

import { Writable } from 'node:stream';
import { createPaymentsConnector, createStripeClient } from '../adapters/connectors/payments/index.ts';
import { createLogger } from '../src/observability/logger.ts';
import { StripeFake } from '../test/fakes/stripe/server.ts';
import { line, percentile, summary } from './stats.ts';

const N = Number(process.env['BENCH_N'] ?? 200);
const WARMUP = 30;

const fake = await new StripeFake().start();
const logger = await createLogger(
  { LOG_LEVEL: 'info', LOG_FORMAT: 'json' },
  new Writable({ write: (_c, _e, done) => done() }),
);
const payments = createPaymentsConnector({ STRIPE_SECRET_KEY: fake.apiKey, STRIPE_API_URL: fake.url }, logger);
const { stripe, agent } = await createStripeClient(fake.apiKey, fake.url);
if (!payments) throw new Error('not configured');

const lines = [
  { description: 'Workshop, 2 days', amountMinor: 240_000 },
  { description: 'Travel', amountMinor: 18_050 },
];
// One customer per 20 invoices, as a small business has: the lookups page through what a client really has.
const customers: string[] = [];
for (let i = 0; i < Math.ceil((WARMUP + N) / 20) + 1; i++)
  customers.push(
    (
      await stripe.customers.create({
        name: `Bench ${i}`,
        email: `bench+${i}@example.com`,
        metadata: { solo_client: `client:bench-${i}` },
      })
    ).id,
  );
const customerOf = (i: number) => ({ id: customers[Math.floor(i / 20)] ?? '', n: Math.floor(i / 20) });

let seq = 0;
const variants: Array<[string, (i: number) => Promise<unknown>]> = [
  [
    'raw SDK: 5 calls (floor)',
    async (i) => {
      const customer = customerOf(i).id;
      const k = `raw-${++seq}`;
      const invoice = await stripe.invoices.create(
        {
          customer,
          currency: 'eur',
          collection_method: 'send_invoice',
          days_until_due: 14,
          auto_advance: false,
          pending_invoice_items_behavior: 'exclude',
        },
        { idempotencyKey: `${k}:invoice` },
      );
      for (const [j, l] of lines.entries())
        await stripe.invoiceItems.create(
          { customer, invoice: invoice.id, currency: 'eur', amount: l.amountMinor, description: l.description },
          { idempotencyKey: `${k}:item:${j}` },
        );
      await stripe.invoices.finalizeInvoice(invoice.id, { auto_advance: false }, { idempotencyKey: `${k}:finalize` });
      await stripe.invoices.sendInvoice(invoice.id, {}, { idempotencyKey: `${k}:send` });
    },
  ],
  [
    'connector: customer id, fresh keys',
    (i) =>
      payments.issueInvoice(
        { customer: customerOf(i).id, lines, currency: 'EUR', dueDays: 14 },
        { idempotencyKey: `a-${++seq}:issue`, startedAt: new Date() },
      ),
  ],
  [
    'connector: client, fresh keys',
    (i) => {
      const { n } = customerOf(i);
      return payments.issueInvoice(
        {
          customer: { clientKey: `client:bench-${n}`, name: `Bench ${n}`, email: `bench+${n}@example.com` },
          lines,
          currency: 'EUR',
          dueDays: 14,
        },
        { idempotencyKey: `b-${++seq}:issue`, startedAt: new Date() },
      );
    },
  ],
  [
    'connector: customer id, keys maybe expired',
    (i) =>
      payments.issueInvoice(
        { customer: customerOf(i).id, lines, currency: 'EUR', dueDays: 14 },
        { idempotencyKey: `c-${++seq}:issue` },
      ),
  ],
];
const replayKey = 'replay-1:issue';
await payments.issueInvoice(
  { customer: customers[0] ?? '', lines, currency: 'EUR', dueDays: 14 },
  { idempotencyKey: replayKey, startedAt: new Date() },
);
variants.push([
  'connector: the same step again (replays)',
  () =>
    payments.issueInvoice(
      { customer: customers[0] ?? '', lines, currency: 'EUR', dueDays: 14 },
      { idempotencyKey: replayKey, startedAt: new Date() },
    ),
]);

const times = new Map<string, number[]>(variants.map(([label]) => [label, []]));
for (let i = 0; i < WARMUP + N; i++) {
  for (const [label, run] of variants) {
    const t = performance.now();
    await run(i);
    if (i >= WARMUP) times.get(label)?.push(performance.now() - t);
  }
}
for (const [label, values] of times) line(label, summary(values, 'ms', 2));
const p = (label: string, q: number) =>
  percentile(
    [...(times.get(label) ?? [])].sort((a, b) => a - b),
    q,
  );
const floor = 'raw SDK: 5 calls (floor)';
console.log('');
for (const [label] of variants.slice(1)) {
  line(
    `overhead: ${label.replace('connector: ', '')}`,
    `${(p(label, 50) - p(floor, 50)).toFixed(2)} ms p50, ${(p(label, 95) - p(floor, 95)).toFixed(2)} ms p95, ${(p(label, 99) - p(floor, 99)).toFixed(2)} ms p99`,
  );
}
const perCall = p(floor, 50) / 5;
line('one SDK call on loopback', `${perCall.toFixed(2)} ms p50 (the floor / 5)`);
line(
  'connector requests per invoice',
  `fresh: 6 POSTs (+1 GET for a client); keys maybe expired: +1 GET (more pages for a client with >100 invoices)`,
);
line(
  'invoices in the fake',
  `${fake.invoices().length}, no key performed twice: ${fake.report().duplicates.length === 0}`,
);
line('RSS', `${(process.memoryUsage().rss / 1024 / 1024).toFixed(0)} MB`);
await payments.close();
agent.destroy();
await fake.close();
