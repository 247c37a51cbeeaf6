// The /invoice workflow and its approval card through the web API, with a real engine and SQLite store.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import { defineWorkflow } from '../../src/engine/workflow.ts';
import type { SoloApp } from '../../src/main.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { api, say, startTestApp, tempDir, type ApiMessage } from '../support/app.ts';

const tap = async (base: string, button: { id: string } | undefined) => {
  assert.ok(button, 'the button exists');
  const res = await api(base, 'POST', `/api/buttons/${encodeURIComponent(button.id)}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.messages ?? [];
};
const button = (m: ApiMessage | undefined, label: string) => m?.buttons.find((b) => b.label === label);
const runIdOf = (m: ApiMessage | undefined): string => /Run (r\w+)/.exec(m?.text ?? '')?.[1] ?? '';

// A text payload workflow, to exercise the Edit button.
const draft = defineWorkflow({
  name: 'textdraft',
  version: 1,
  description: 'send a text after approval',
  input: z.object({ text: z.string() }),
  async run(ctx, input) {
    const outcome = await ctx.approval('approve', {
      card: { title: 'Send a note', details: ['To: Acme'], text: input.text },
    });
    if (outcome.decision === 'approved') await ctx.say('send', `Sending: ${outcome.text ?? ''}`);
    return outcome.decision;
  },
});

describe('invoice workflow through the web chat', () => {
  let app: SoloApp;
  let base: string;
  before(async () => {
    app = await startTestApp(
      {},
      {
        workflows: [draft],
        extend: (r, { engine }) =>
          r.command({
            name: 'textdraft',
            description: 'test',
            run: async (ctx, args) =>
              void (await engine.start(
                'textdraft',
                { text: args },
                { origin: { channel: 'web', chatId: 'operator' }, reply: ctx.reply },
              )),
          }),
      },
    );
    base = app.url;
  });
  after(() => app.stop());

  test('/invoice asks for approval; Approve records INV-0001; a second tap is harmless', async () => {
    const [card] = await say(base, '/invoice Acme Corp 1,200.50 March workshop');
    assert.match(
      card?.text ?? '',
      /^Approval needed: Invoice to Acme Corp for 1,200\.50 EUR\nTo: Acme Corp\nAmount: 1,200\.50 EUR\nFor: March workshop/,
    );
    assert.deepEqual(
      card?.buttons.map((b) => b.label),
      ['Approve', 'Reject'],
    );
    const replies = await tap(base, button(card, 'Approve'));
    assert.deepEqual(
      replies.map((m) => m.text),
      [
        'Approved: Invoice to Acme Corp for 1,200.50 EUR.',
        'Recorded INV-0001: Acme Corp, 1,200.50 EUR.\nNo PDF: set your business name and address (/business name …) first.',
      ],
    );
    const again = await tap(base, button(card, 'Approve'));
    assert.match(again[0]?.text ?? '', /^Already decided — .*approved by web:operator via web.* Nothing more to do\.$/);
    assert.equal(again.length, 1);
    const rejectLate = await tap(base, button(card, 'Reject'));
    assert.match(rejectLate[0]?.text ?? '', /Already decided/);
    assert.match(
      (await say(base, '/invoices'))[0]?.text ?? '',
      /^INV-0001 · Acme Corp · 1,200\.50 EUR · recorded · \d{4}-\d{2}-\d{2}$/,
    );
    const decided = await app.store.events.readRange({ types: ['approval.decided'] });
    const last = decided.at(-1);
    const data = last?.type === 'approval.decided' ? last.data : undefined;
    assert.deepEqual(data && { decision: data.decision, by: data.by, via: data.via }, {
      decision: 'approved',
      by: 'web:operator',
      via: 'web',
    });
  });

  test('Reject records nothing and takes no number', async () => {
    const [card] = await say(base, '/invoice Globex 99');
    const replies = await tap(base, button(card, 'Reject'));
    assert.equal(replies[1]?.text, 'The invoice to Globex for 99.00 EUR was not recorded (rejected).');
    const [next] = await say(base, '/invoice Initech 10.5');
    await tap(base, button(next, 'Approve'));
    assert.match((await say(base, '/invoices'))[0]?.text ?? '', /^INV-0002 · Initech · 10\.50 EUR/);
  });

  test('an unreadable amount gets one clear message and starts nothing', async () => {
    const before = (await app.store.runs.list({ limit: 100 })).length;
    assert.equal(
      (await say(base, '/invoice Acme 12abc'))[0]?.text,
      'I couldn\'t read "12abc" as an amount; write it like 1200 or 1,200.50.',
    );
    assert.match((await say(base, '/invoice Acme'))[0]?.text ?? '', /^Usage: \/invoice <client> <amount>/);
    assert.match((await say(base, '/invoice Acme lots'))[0]?.text ?? '', /couldn't find an amount/);
    assert.equal((await app.store.runs.list({ limit: 100 })).length, before);
  });

  test('currency comes from settings', async () => {
    assert.equal((await say(base, '/currency usd'))[0]?.text, 'New invoices will use USD.');
    const [card] = await say(base, '/invoice Hooli 5000');
    assert.match(card?.text ?? '', /Amount: 5,000\.00 USD/);
    await tap(base, button(card, 'Reject'));
    await say(base, '/currency EUR');
  });

  test('/approvals shows every pending card again; /cancel withdraws one', async () => {
    const [c1] = await say(base, '/invoice Umbrella 300');
    const [c2] = await say(base, '/invoice Soylent 400');
    const pending = await say(base, '/approvals');
    assert.deepEqual(
      pending.map((m) => runIdOf(m)),
      [runIdOf(c1), runIdOf(c2)],
    );
    assert.deepEqual(
      pending[0]?.buttons.map((b) => b.label),
      c1?.buttons.map((b) => b.label),
      'the same buttons as the original card',
    );
    const cancelled = await say(base, `/cancel ${runIdOf(c1)}`);
    assert.match(cancelled.at(-1)?.text ?? '', new RegExp(`Run ${runIdOf(c1)}: cancelled`));
    assert.match((await tap(base, button(c1, 'Approve')))[0]?.text ?? '', /Already decided — .*cancelled/);
    assert.deepEqual(
      (await say(base, '/approvals')).map((m) => runIdOf(m)),
      [runIdOf(c2)],
    );
    // A tap on the copy /approvals showed decides the same approval as the original card.
    await tap(base, button(pending[1], 'Reject'));
    assert.equal((await say(base, '/approvals'))[0]?.text, 'Nothing is waiting for your approval.');
    assert.match((await say(base, `/cancel ${runIdOf(c2)}`))[0]?.text ?? '', /already ended \(completed\)/);
  });

  test('/runs and /run show the run and its timeline', async () => {
    const [card] = await say(base, '/invoice Tyrell 1234');
    const id = runIdOf(card);
    assert.match(
      (await say(base, '/runs'))[0]?.text ?? '',
      new RegExp(`^${id} invoice · waiting for approval · \\d+s ago`),
    );
    await tap(base, button(card, 'Approve'));
    const timeline = (await say(base, `/run ${id}`))[0]?.text ?? '';
    assert.match(timeline, new RegExp(`^Run ${id} · invoice v1 · completed \\(recorded\\)`));
    assert.match(timeline, /\n✓ approve · approved by web:operator via web · \d+ ms/);
    assert.match(timeline, /\n✓ record · 1 attempt · \d+ ms/);
    assert.match(timeline, /\n✓ tell-recorded · 1 attempt/);
    assert.match(timeline, /Result: \{"status":"recorded","number":\d+\}/);
    assert.match((await say(base, '/run nope'))[0]?.text ?? '', /There is no run nope/);
  });

  test('Edit replaces the draft text before approval', async () => {
    const [card] = await say(base, '/textdraft Hello Acme, see attached.');
    assert.deepEqual(
      card?.buttons.map((b) => b.label),
      ['Approve', 'Reject', 'Edit'],
    );
    assert.match((await tap(base, button(card, 'Edit')))[0]?.text ?? '', /Send the new text/);
    const [edited] = await say(base, 'Hello Acme, the proposal is attached.');
    assert.match(edited?.text ?? '', /Approval needed: Send a note[\s\S]*Hello Acme, the proposal is attached\./);
    const replies = await tap(base, button(edited, 'Approve'));
    assert.equal(replies.at(-1)?.text, 'Sending: Hello Acme, the proposal is attached.');
  });
});

describe('invoice approvals policy', () => {
  let app: SoloApp;
  let base = '';
  before(async () => {
    const policies = tempDir('solo-policies-');
    writeFileSync(
      join(policies, 'approvals.yaml'),
      [
        'approvals:',
        '  rules:',
        '    - name: small invoices go out',
        '      actions: invoice.send',
        '      then: allow',
        '    - name: big ones wait',
        '      actions: invoice.send',
        '      amount_over: [500 EUR]',
        '      then: approve',
        '    - name: never this much',
        '      actions: invoice.send',
        '      amount_over: [100000 EUR]',
        '      then: deny',
        '',
      ].join('\n'),
    );
    app = await startTestApp({ POLICIES_DIR: policies });
    base = app.url;
  });
  after(() => app.stop());

  test('under the threshold it is recorded without a card; over it a card waits; far over it is refused and reported', async () => {
    const small = await say(base, '/invoice Initech 120');
    assert.match(small.at(-1)?.text ?? '', /^Recorded INV-\d{4}: Initech, 120\.00 EUR\./);
    assert.ok(!small.some((m) => m.text.startsWith('Approval needed')));
    const big = await say(base, '/invoice Initech 900');
    assert.match(big.at(-1)?.text ?? '', /^Approval needed: Invoice to Initech for 900\.00 EUR/);
    const huge = await say(base, '/invoice Initech 250000');
    assert.match(huge.at(-1)?.text ?? '', /^The invoice to Initech for 250,000\.00 EUR is not allowed by policy: /);
    const violations = await app.store.events.readRange({ types: ['policy.violation'] });
    assert.equal(violations.length, 1);
    assert.equal(await app.store.ledger.listInvoices(10).then((l) => l.length), 1, 'only the small one is recorded');
  });
});

describe('APPROVAL_EXPIRY_HOURS', () => {
  test('a card expires after the configured hours (default 72)', async () => {
    const app = await startTestApp({ APPROVAL_EXPIRY_HOURS: '5' });
    try {
      await say(app.url, '/invoice Cyberdyne 700');
      const [approval] = await app.store.approvals.listPending();
      assert.ok(approval);
      assert.equal(approval.expiresAt.getTime() - approval.createdAt.getTime(), 5 * 3_600_000);
    } finally {
      await app.stop();
    }
    const defaults = await startTestApp();
    try {
      await say(defaults.url, '/invoice Cyberdyne 700');
      const [approval] = await defaults.store.approvals.listPending();
      assert.equal((approval?.expiresAt.getTime() ?? 0) - (approval?.createdAt.getTime() ?? 0), 72 * 3_600_000);
    } finally {
      await defaults.stop();
    }
  });

  test('an expired approval says so and does nothing', async () => {
    const app = await startTestApp({ APPROVAL_EXPIRY_HOURS: '0.00001' }); // 36 ms
    try {
      const [card] = await say(app.url, '/invoice Cyberdyne 700');
      await new Promise((r) => setTimeout(r, 60));
      const replies = await tap(app.url, button(card, 'Approve'));
      assert.match(replies[0]?.text ?? '', /^This approval expired at .* UTC, so nothing was done\.$/);
      assert.match(replies[1]?.text ?? '', /was not recorded \(expired\)/);
      assert.doesNotMatch((await say(app.url, '/invoices'))[0]?.text ?? '', /Cyberdyne/);
    } finally {
      await app.stop();
    }
  });
});
