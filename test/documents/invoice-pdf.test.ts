// Invoice PDFs from the real pdfkit: what the document says (read back from the PDF's own content streams), the
// same bytes for the same invoice (a replayed step rewrites the same file), and atomic saves under DATA_DIR.

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PdfInvoiceDocuments, renderInvoicePdf } from '../../adapters/documents/invoice-pdf.ts';
import type { InvoiceDocument } from '../../src/ports/documents.ts';
import { tempDir } from '../support/app.ts';
import { pdfText } from '../support/pdf-text.ts';

const invoice: InvoiceDocument = {
  number: 'INV-0007',
  issueDate: '2026-03-02',
  dueDate: '2026-04-01',
  currency: 'EUR',
  lines: [
    { description: 'Strategy workshop, 2 days', amountMinor: 240_000 },
    { description: 'Travel', amountMinor: 18_050 },
  ],
  seller: {
    name: 'Müller Consulting GmbH',
    address: ['Hauptstraße 1', '10115 Berlin', 'Germany'],
    taxId: 'DE123456789',
    email: 'jane@muller.example',
    bank: 'IBAN DE89 3704 0044 0532 0130 00',
  },
  buyer: { name: 'Acme Corp', email: 'billing@acme.example' },
  payUrl: 'https://invoice.stripe.com/i/acct_x/test_abc',
};

test('the PDF carries the seller, the client, the lines, the total, the dates and how to pay', async () => {
  const pdf = await renderInvoicePdf(invoice);
  assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
  const text = pdfText(pdf);
  for (const expected of [
    'Müller Consulting GmbH',
    'Hauptstraße 1',
    '10115 Berlin',
    'VAT / tax ID: DE123456789',
    'INVOICE',
    'Number: INV-0007',
    'Date: 2 March 2026',
    'Due: 1 April 2026',
    'Bill to',
    'Acme Corp',
    'billing@acme.example',
    'Strategy workshop, 2 days',
    '2,400.00 EUR',
    'Travel',
    '180.50 EUR',
    'Total due',
    '2,580.50 EUR',
    'Please pay by 1 April 2026, quoting INV-0007.',
    'Bank: IBAN DE89 3704 0044 0532 0130 00',
    'Pay online: https://invoice.stripe.com/i/acct_x/test_abc',
  ]) {
    assert.ok(text.includes(expected), `the PDF says "${expected}":\n${text}`);
  }
  assert.match(pdf.toString('latin1'), /\/Title \d+ 0 R/);
  assert.ok(!/Your (company|business)|placeholder|lorem/i.test(text), 'no placeholder text');
});

test('the same invoice renders to the same bytes; another invoice does not', async () => {
  const [a, b] = await Promise.all([renderInvoicePdf(invoice), renderInvoicePdf(structuredClone(invoice))]);
  assert.ok(a.equals(b), 'byte-identical');
  const other = await renderInvoicePdf({ ...invoice, dueDate: '2026-04-02' });
  assert.ok(!a.equals(other));
});

test('save writes invoices/<number>.pdf atomically and read finds it; no path escapes the folder', async () => {
  const dir = tempDir('solo-pdf-');
  const docs = new PdfInvoiceDocuments(dir);
  const first = await docs.save(invoice);
  const again = await docs.save(invoice);
  assert.deepEqual(first, again, 'a replay writes the same file');
  assert.equal(first.file, 'invoices/INV-0007.pdf');
  assert.ok(readFileSync(join(dir, first.file)).equals(await renderInvoicePdf(invoice)));
  assert.deepEqual(readdirSync(join(dir, 'invoices')), ['INV-0007.pdf'], 'no temporary file left behind');
  assert.ok((await docs.read(first.file))?.equals(readFileSync(join(dir, first.file))));
  assert.equal(await docs.read('invoices/INV-9999.pdf'), undefined);
  assert.equal(await docs.read('../../etc/passwd'), undefined);
  assert.ok(!existsSync(join(dir, 'invoices', 'INV-0007.pdf.tmp')));
});
