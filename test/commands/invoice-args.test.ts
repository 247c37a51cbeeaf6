// How `/invoice <client> <amount> [description]` is read: every promised amount form, client names with digits,
// the currency written in the command, and several readings (to ask about) when the words allow several.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeReading, readInvoiceArgs, type InvoiceArgsOptions } from '../../src/commands/invoice-args.ts';

const read = (args: string, options: Partial<InvoiceArgsOptions> = {}): string[] | string => {
  const r = readInvoiceArgs(args, { currency: 'EUR', ...options });
  return 'error' in r ? r.error : r.readings.map(describeReading);
};

test('the amounts the README promises, including a thousands group split by a space', () => {
  assert.deepEqual(read('Acme 1200'), ['Acme · 1,200.00 EUR']);
  assert.deepEqual(read('Acme Corp 1,200.50 March workshop'), ['Acme Corp · 1,200.50 EUR · March workshop']);
  assert.deepEqual(read('Acme 1 200,5'), ['Acme · 1,200.50 EUR']);
  assert.deepEqual(read("Acme 1'200.00"), ['Acme · 1,200.00 EUR']);
  assert.deepEqual(read('Acme 12,5'), ['Acme · 12.50 EUR']);
  assert.deepEqual(read('Acme 1.200,50'), ['Acme · 1,200.50 EUR']);
  assert.deepEqual(read('Acme 1\u202f200,50 fee'), ['Acme · 1,200.50 EUR · fee'], 'a narrow no-break space groups too');
  assert.deepEqual(read('Acme 1 200 000,50 rebuild'), ['Acme · 1,200,000.50 EUR · rebuild']);
});

test('client names may hold digits; a number in the description does not become the amount', () => {
  assert.deepEqual(read('Studio 54 GmbH 1200 design'), ['Studio 54 GmbH · 1,200.00 EUR · design']);
  assert.deepEqual(read('Area 51 Labs 1200'), ['Area 51 Labs · 1,200.00 EUR']);
  assert.deepEqual(read('3M 500'), ['3M · 500.00 EUR']);
  assert.deepEqual(read('Acme 1200 March 2025 workshop'), ['Acme · 1,200.00 EUR · March 2025 workshop']);
  assert.deepEqual(read('Acme 1200 for 10 hours'), ['Acme · 1,200.00 EUR · for 10 hours']);
  assert.deepEqual(read('Acme 1,200.50 10 hours'), ['Acme · 1,200.50 EUR · 10 hours'], 'separators mark the amount');
});

test('the currency written in the command wins over the default, in any of its forms', () => {
  assert.deepEqual(read('Acme £100'), ['Acme · 100.00 GBP']);
  assert.deepEqual(read('Acme 100 USD'), ['Acme · 100.00 USD']);
  assert.deepEqual(read('Acme USD 100 workshop'), ['Acme · 100.00 USD · workshop']);
  assert.deepEqual(read('Acme 100usd'), ['Acme · 100.00 USD']);
  assert.deepEqual(read('Acme 100€'), ['Acme · 100.00 EUR']);
  assert.deepEqual(read('Acme US$100'), ['Acme · 100.00 USD']);
  assert.deepEqual(read('Acme 1 200,5 chf'), ['Acme · 1,200.50 CHF']);
  assert.deepEqual(
    read('Acme 100 top priority'),
    ['Acme · 100.00 EUR · top priority'],
    '"top" in lower case is a word, not the paʻanga',
  );
  assert.deepEqual(read('Acme 100 XYZ'), ['Acme · 100.00 EUR · XYZ'], 'not an ISO 4217 code: part of the description');
  assert.match(read('Acme 100XYZ') as string, /couldn't read "100XYZ" as an amount/);
  assert.match(read('Acme €100 USD') as string, /two currencies there \(EUR and USD\)/);
});

test('a bare $ is the operator’s own dollar, or a question between the common dollars', () => {
  assert.deepEqual(read('Acme $100'), ['Acme · 100.00 USD', 'Acme · 100.00 CAD', 'Acme · 100.00 AUD']);
  assert.deepEqual(read('Acme $100', { currency: 'CAD' }), ['Acme · 100.00 CAD']);
});

test('two plausible readings are both offered, unless one names a known client', () => {
  assert.deepEqual(read('Studio 54 1200'), ['Studio · 54.00 EUR · 1200', 'Studio 54 · 1,200.00 EUR']);
  assert.deepEqual(read('Studio 54 1200', { isKnownClient: (n) => n === 'Studio 54' }), ['Studio 54 · 1,200.00 EUR']);
  assert.deepEqual(read('Acme 1 200'), ['Acme · 1,200.00 EUR', 'Acme 1 · 200.00 EUR']);
  assert.deepEqual(read('Studio 54 1200 EUR'), ['Studio 54 · 1,200.00 EUR'], 'a currency marks the amount');
});

test('what is not an invoice gets one sentence', () => {
  assert.match(read('Acme') as string, /^Usage: \/invoice <client> <amount>/);
  assert.match(read('Acme lots') as string, /^I couldn't find an amount in that\./);
  assert.equal(read('Acme 12abc'), 'I couldn\'t read "12abc" as an amount; write it like 1200 or 1,200.50.');
  assert.equal(
    read(`${'Verylongname '.repeat(12)}100`),
    'A client name can be at most 120 characters; write a shorter one.',
  );
  assert.equal(read(`Acme 100 ${'x'.repeat(501)}`), 'The description can be at most 500 characters; shorten it.');
});
