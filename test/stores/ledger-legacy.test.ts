// Invoices recorded before invoices became documents (no dates, PDF, Stripe or mail fields) read as they were and
// take the new fields and statuses without a migration: the change is additive inside the JSON document.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { SqliteStore } from '../../adapters/stores/sqlite/index.ts';
import { tempDir } from '../support/app.ts';

test('a legacy invoice row reads, lists, gains fields, is paid and found by its Stripe id', async () => {
  const dir = tempDir('solo-legacy-');
  const first = new SqliteStore(dir);
  await first.init();
  await first.close();
  // Exactly what the previous version wrote.
  const legacy = {
    client: 'Acme',
    amountMinor: 120_000,
    currency: 'EUR',
    runId: 'r-old',
    idempotencyKey: 'r-old:record',
    number: 1,
    status: 'recorded',
    createdAt: '2025-06-01T10:00:00.000Z',
  };
  const db = new DatabaseSync(join(dir, 'solo.db'));
  db.prepare('INSERT INTO invoices (number, idempotency_key, doc) VALUES (?, ?, ?)').run(
    1,
    legacy.idempotencyKey,
    JSON.stringify(legacy),
  );
  db.close();

  const store = new SqliteStore(dir);
  await store.init();
  try {
    const read = await store.ledger.getInvoice(1);
    assert.equal(read?.client, 'Acme');
    assert.ok(read?.createdAt instanceof Date);
    assert.equal(read?.dueDate, undefined);
    assert.equal((await store.ledger.listInvoices(5))[0]?.status, 'recorded');
    assert.equal(
      (
        await store.ledger.recordInvoice({
          client: 'Globex',
          amountMinor: 5,
          currency: 'EUR',
          runId: 'r-new',
          idempotencyKey: 'r-new:record',
        })
      ).invoice.number,
      2,
      'numbering continues after the legacy row',
    );
    await store.ledger.updateInvoice(1, { stripeInvoiceId: 'in_legacy' });
    const paid = await store.ledger.updateInvoice(1, { status: 'paid', paidAt: new Date(), paidVia: 'manual' }, [
      'recorded',
      'issued',
    ]);
    assert.equal(paid?.status, 'paid');
    assert.equal((await store.ledger.findByStripeId('in_legacy'))?.number, 1);
  } finally {
    await store.close();
  }
});
