// Shared by the payments connector tests: a fake Stripe, the real connector (real SDK) pointed at it, and the
// engine's retry rule in miniature (retry while the error says retrying can help), recording what was seen.

import { Writable } from 'node:stream';
import { createPaymentsConnector, type StripePayments } from '../../adapters/connectors/payments/index.ts';
import { createLogger, type Logger } from '../../src/observability/logger.ts';
import { PaymentsError, type IssueInvoiceInput } from '../../src/ports/payments.ts';
import { StripeFake } from '../fakes/stripe/server.ts';

export const silentLogger = (): Promise<Logger> =>
  createLogger({ LOG_LEVEL: 'silent', LOG_FORMAT: 'json' }, new Writable({ write: (_c, _e, done) => done() }));

export async function connectorFor(
  fake: StripeFake,
  options: { apiKey?: string; timeoutMs?: number; now?: () => number } = {},
): Promise<StripePayments> {
  const connector = createPaymentsConnector(
    { STRIPE_SECRET_KEY: options.apiKey ?? fake.apiKey, STRIPE_API_URL: fake.url },
    await silentLogger(),
    { timeoutMs: options.timeoutMs ?? 5000, now: options.now ?? (() => fake.now()) },
  );
  if (!connector) throw new Error('connector not created');
  return connector;
}

/** Like the engine: try again while the error is retryable (small fixed backoff), give up otherwise. */
export async function retrying<T>(
  work: () => Promise<T>,
  options: { attempts?: number; delayMs?: number } = {},
): Promise<{ value: T; errors: PaymentsError[] }> {
  const errors: PaymentsError[] = [];
  const attempts = options.attempts ?? 20;
  for (let i = 1; ; i++) {
    try {
      return { value: await work(), errors };
    } catch (err) {
      if (!(err instanceof PaymentsError) || !err.retryable || i >= attempts) throw err;
      errors.push(err);
      await new Promise((r) => setTimeout(r, err.retryAfterMs ?? options.delayMs ?? 20));
    }
  }
}

export const invoiceFor = (n: number | string, overrides: Partial<IssueInvoiceInput> = {}): IssueInvoiceInput => ({
  customer: { clientKey: `client:acme-${n}`, name: `Acme ${n} Ltd`, email: `billing+${n}@acme.test` },
  lines: [
    { description: 'Workshop, 2 days', amountMinor: 240_000 },
    { description: 'Travel', amountMinor: 18_050 },
  ],
  currency: 'EUR',
  dueDays: 14,
  description: `Invoice ${n}`,
  metadata: { ledger_invoice: `INV-${String(n).padStart(4, '0')}` },
  ...overrides,
});

/** The invoices carrying a step key, with their lines' item keys, and how many emails each got. */
export function invoicesOf(
  fake: StripeFake,
  key: string,
): { id: string; status: unknown; lines: string[]; emails: number }[] {
  return fake
    .invoices()
    .filter((i) => (i['metadata'] as Record<string, string>)['solo_key'] === key)
    .map((i) => ({
      id: i.id,
      status: i['status'],
      lines: (i['lines'] as { data: { metadata: Record<string, string> }[] }).data.map(
        (l) => l.metadata['solo_key'] ?? '?',
      ),
      emails: fake.state.emails.filter((e) => e.invoice === i.id).length,
    }));
}

export { StripeFake };
