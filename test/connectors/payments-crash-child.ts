// Child process for the payments crash test: issues COUNT invoices through the real connector and SDK, with a
// journal file standing in for the engine's (a step's start is written before the call, its result after).
// The parent SIGKILLs this process at random points and starts it again until it finishes.

import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { createPaymentsConnector } from '../../adapters/connectors/payments/index.ts';
import { invoiceFor, retrying, silentLogger } from './payments-support.ts';

const journal = process.env['JOURNAL'] ?? '';
const count = Number(process.env['COUNT'] ?? 10);
const started = new Map<number, number>();
const done = new Set<number>();
if (existsSync(journal)) {
  for (const line of readFileSync(journal, 'utf8').split('\n')) {
    try {
      const entry = JSON.parse(line) as { n: number; startedAt?: number; invoice?: string };
      if (entry.startedAt !== undefined) started.set(entry.n, entry.startedAt);
      if (entry.invoice !== undefined) done.add(entry.n);
    } catch {
      // a line cut by the kill: that step simply was not journaled
    }
  }
}

const payments = createPaymentsConnector(
  { STRIPE_SECRET_KEY: process.env['STRIPE_SECRET_KEY'] ?? '', STRIPE_API_URL: process.env['STRIPE_API_URL'] ?? '' },
  await silentLogger(),
  { timeoutMs: 2000 },
);
if (!payments) throw new Error('Stripe is not configured');
for (let n = 0; n < count; n++) {
  if (done.has(n)) continue;
  let startedAt = started.get(n);
  if (startedAt === undefined) {
    startedAt = Date.now();
    appendFileSync(journal, `${JSON.stringify({ n, startedAt })}\n`);
  }
  // Even steps hand over the start time (keys trusted); odd ones do not (the invoice is looked up first).
  const effect = { idempotencyKey: `crash-run-${n}:issue`, ...(n % 2 === 0 ? { startedAt: new Date(startedAt) } : {}) };
  const input = invoiceFor(n, {
    customer: { clientKey: `client:crash-${n % 3}`, name: `Crash Client ${n % 3}`, email: `ap+${n % 3}@crash.test` },
  });
  const { value } = await retrying(() => payments.issueInvoice(input, effect), { attempts: 50, delayMs: 20 });
  appendFileSync(journal, `${JSON.stringify({ n, invoice: value.invoiceId })}\n`);
}
await payments.close();
process.stdout.write('all issued\n');
