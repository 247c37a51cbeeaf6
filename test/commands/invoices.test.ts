// /invoice as the operator writes it, through the web API with a real engine and SQLite: amounts as the README
// promises, client names with digits, the currency in the command, /currency refusing what is not ISO 4217,
// "which did you mean?" buttons, and buttons whose choice is unknown deciding nothing.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { SoloApp } from '../../src/main.ts';
import { api, say, startTestApp, tapData as tapRaw, type ApiMessage } from '../support/app.ts';

/** Taps a button the bot sent (by its web id), or hands raw button data to the conductor as a platform would. */
let appRef: SoloApp | undefined;
const tapData = async (base: string, idOrData: string): Promise<ApiMessage[]> => {
  if (/^\d+\.\d+$/.test(idOrData)) {
    const res = await api(base, 'POST', `/api/buttons/${encodeURIComponent(idOrData)}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.messages ?? [];
  }
  return tapRaw(appRef!, idOrData);
};
const dataOf = async (app: SoloApp, message: ApiMessage | undefined, label: string): Promise<string> => {
  const [event] = await app.store.events.readStream('chat:web:operator', {
    afterSeq: Number(message?.id) - 1,
    limit: 1,
  });
  const button = event?.type === 'message.sent' ? event.data.buttons.find((b) => b.label === label) : undefined;
  return button?.data ?? '';
};
const card = (messages: ApiMessage[]): string =>
  messages.find((m) => m.text.startsWith('Approval needed'))?.text.split('\n')[0] ??
  `(no card: ${messages.map((m) => m.text).join(' / ')})`;

describe('/invoice reads what the operator wrote', () => {
  let app: SoloApp;
  let base: string;
  before(async () => {
    app = await startTestApp();
    appRef = app;
    base = app.url;
  });
  after(() => app.stop());

  test('amounts, client names with digits and the written currency', async () => {
    assert.equal(card(await say(base, '/invoice Acme 1 200,5')), 'Approval needed: Invoice to Acme for 1,200.50 EUR');
    assert.equal(
      card(await say(base, '/invoice Studio 54 GmbH 1200 design')),
      'Approval needed: Invoice to Studio 54 GmbH for 1,200.00 EUR',
    );
    assert.equal(card(await say(base, '/invoice Acme £100')), 'Approval needed: Invoice to Acme for 100.00 GBP');
    assert.equal(card(await say(base, '/invoice Acme 100 USD')), 'Approval needed: Invoice to Acme for 100.00 USD');
    assert.equal(card(await say(base, '/invoice Acme 100usd')), 'Approval needed: Invoice to Acme for 100.00 USD');
  });

  test('/currency takes ISO 4217 codes only', async () => {
    assert.equal(
      (await say(base, '/currency XYZ'))[0]?.text,
      '"XYZ" is not an ISO 4217 currency code; give one such as USD, EUR or GBP.',
    );
    assert.equal((await say(base, '/currency'))[0]?.text, 'New invoices use EUR.');
    assert.match((await say(base, '/currency $'))[0]?.text ?? '', /^A bare \$ could be USD, CAD, AUD/);
    assert.equal((await say(base, '/currency £'))[0]?.text, 'New invoices will use GBP.');
    await say(base, '/currency EUR');
  });

  test('a bare $ with a euro default asks which dollar; the tapped reading starts the invoice, once', async () => {
    const runsBefore = (await app.store.runs.list({ limit: 100 })).length;
    const [question] = await say(base, '/invoice Acme $100');
    assert.match(
      question?.text ?? '',
      /^I can read that 3 ways\. Which invoice did you mean\?\n1\. Acme · 100\.00 USD\n2\. Acme · 100\.00 CAD\n3\. Acme · 100\.00 AUD$/,
    );
    assert.equal((await app.store.runs.list({ limit: 100 })).length, runsBefore, 'nothing starts before the answer');
    const usd = question?.buttons[0];
    assert.equal(usd?.label, '1. Acme · 100.00 USD');
    assert.ok(Buffer.byteLength(await dataOf(app, question, usd?.label ?? '')) <= 64, 'button data fits Telegram');
    assert.equal(card(await tapData(base, usd?.id ?? '')), 'Approval needed: Invoice to Acme for 100.00 USD');
    const again = await tapData(base, question?.buttons[1]?.id ?? '');
    assert.deepEqual(
      again.map((m) => m.text),
      ['Already answered: the invoice to Acme · 100.00 USD. Nothing more to do.'],
    );
    assert.equal((await app.store.runs.list({ limit: 100 })).length, runsBefore + 1);
    await say(base, '/currency CAD');
    assert.equal(
      card(await say(base, '/invoice Acme $100')),
      'Approval needed: Invoice to Acme for 100.00 CAD',
      'the operator’s own dollar',
    );
    await say(base, '/currency EUR');
  });

  test('"Studio 54 1200" is asked about, unless Studio 54 is a known client', async () => {
    const [question] = await say(base, '/invoice Studio 54 1200');
    assert.deepEqual(
      question?.buttons.map((b) => b.label),
      ['1. Studio · 54.00 EUR · 1200', '2. Studio 54 · 1,200.00 EUR'],
    );
    assert.equal(
      card(await tapData(base, question?.buttons[1]?.id ?? '')),
      'Approval needed: Invoice to Studio 54 for 1,200.00 EUR',
    );
    await say(base, '/remember Studio 54: pays by bank transfer');
    assert.equal(
      card(await say(base, '/invoice Studio 54 1200')),
      'Approval needed: Invoice to Studio 54 for 1,200.00 EUR',
    );
  });

  test('an unknown choice or question decides nothing and says so in one sentence', async () => {
    const [question] = await say(base, '/invoice Area 52 1900');
    const id = /^iv:(\w+):\d$/.exec(await dataOf(app, question, question?.buttons[0]?.label ?? ''))?.[1];
    assert.ok(id, question?.text);
    const runsBefore = (await app.store.runs.list({ limit: 100 })).length;
    assert.deepEqual(
      (await tapData(base, `iv:${id}:7`)).map((m) => m.text),
      ['That button is not one of the choices I offered, so nothing was done.'],
    );
    assert.deepEqual(
      (await tapData(base, `iv:${id}:x`)).map((m) => m.text),
      ['That button is not one of the choices I offered, so nothing was done.'],
    );
    assert.deepEqual(
      (await tapData(base, 'iv:qnothere:0')).map((m) => m.text),
      ['That question is not known here any more; send the command again.'],
    );
    assert.equal((await app.store.runs.list({ limit: 100 })).length, runsBefore);
    assert.match(
      card(await tapData(base, question?.buttons[0]?.id ?? '')),
      /^Approval needed: Invoice to Area for 52\.00 EUR/,
      'the real buttons still work',
    );
  });

  test('tapping an approval button with an unknown choice decides nothing', async () => {
    const [approval] = await say(base, '/invoice Globex 99');
    const approve = await dataOf(app, approval, 'Approve');
    const forged = approve.replace(/:y$/, ':x');
    assert.notEqual(forged, approve);
    assert.deepEqual(
      (await tapData(base, forged)).map((m) => m.text),
      ['That button is not one I know (Approve, Reject, Edit or a review remedy), so nothing was decided.'],
    );
    const id = /^ap:([^:]+):y$/.exec(approve)?.[1] ?? '';
    assert.equal((await app.store.approvals.get(id))?.status, 'pending');
    assert.match((await tapData(base, approve))[0]?.text ?? '', /^Approved: Invoice to Globex/);
  });
});
