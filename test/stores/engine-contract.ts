// Contract for the engine's store ports (runs, step journal, approvals, ledger); run by storeContract.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newEvent } from '../../src/domain/events.ts';
import type { ApprovalRecord, RunRecord, StepRecord } from '../../src/ports/engine-store.ts';
import type { Store } from '../../src/ports/store.ts';

export function engineContract(
  getStore: () => Store,
  it: (title: string, fn: () => Promise<void>) => void = (t, fn) => void test(t, fn),
): void {
  const run = (id: string, extra: Partial<RunRecord> = {}): RunRecord => ({
    id,
    workflow: 'invoice',
    version: 1,
    status: 'running',
    input: { client: 'Acme', nested: { createdAt: '2026-01-01T00:00:00.000Z' } },
    origin: { channel: 'web', chatId: 'operator' },
    createdAt: new Date(),
    updatedAt: new Date(),
    ...extra,
  });

  it('creates runs once and reads them back with dates, input untouched', async () => {
    const store = getStore();
    assert.equal(await store.runs.create(run('run-a')), true);
    assert.equal(await store.runs.create(run('run-a', { workflow: 'other' })), false);
    const got = await store.runs.get('run-a');
    assert.equal(got?.workflow, 'invoice');
    assert.ok(got?.createdAt instanceof Date);
    assert.deepEqual(got?.input, { client: 'Acme', nested: { createdAt: '2026-01-01T00:00:00.000Z' } });
    assert.equal(await store.runs.get('run-missing'), null);
  });

  it('updates runs with an expected status, and unsets fields', async () => {
    const store = getStore();
    await store.runs.create(run('run-b'));
    assert.equal(await store.runs.update('run-b', { status: 'suspended', waitingFor: 'ap1' }, ['running']), true);
    assert.equal(await store.runs.update('run-b', { status: 'completed' }, ['running']), false, 'not running any more');
    assert.equal((await store.runs.get('run-b'))?.waitingFor, 'ap1');
    assert.equal(await store.runs.update('run-b', { status: 'running', unset: ['waitingFor'] }), true);
    const got = await store.runs.get('run-b');
    assert.equal(got?.status, 'running');
    assert.equal(got && 'waitingFor' in got, false);
    assert.equal(await store.runs.update('run-nope', { status: 'failed' }), false);
  });

  it('lists runs newest first, by status, with a limit', async () => {
    const store = getStore();
    const base = Date.now() + 10_000;
    for (let i = 0; i < 4; i++)
      await store.runs.create(
        run(`run-list-${i}`, { createdAt: new Date(base + i), status: i % 2 ? 'suspended' : 'completed' }),
      );
    assert.deepEqual(
      (await store.runs.list({ limit: 2 })).map((r) => r.id),
      ['run-list-3', 'run-list-2'],
    );
    const suspended = await store.runs.list({ statuses: ['suspended'], limit: 10 });
    assert.deepEqual(
      suspended.filter((r) => r.id.startsWith('run-list')).map((r) => r.id),
      ['run-list-3', 'run-list-1'],
    );
    // By workflow, alone and with statuses: the newest of that workflow, however many others came after.
    await store.runs.create(run('run-list-lead', { createdAt: new Date(base - 5), workflow: 'consultant-pipeline' }));
    for (let i = 4; i < 7; i++) await store.runs.create(run(`run-list-${i}`, { createdAt: new Date(base + i) }));
    assert.deepEqual(
      (await store.runs.list({ workflow: 'consultant-pipeline', limit: 1 })).map((r) => r.id),
      ['run-list-lead'],
    );
    assert.deepEqual(await store.runs.list({ workflow: 'consultant-pipeline', statuses: ['completed'], limit: 5 }), []);
  });

  it('journals steps in order and replaces a step by id', async () => {
    const store = getStore();
    const step = (stepId: string, seq: number, extra: Partial<StepRecord> = {}): StepRecord => ({
      runId: 'run-steps',
      stepId,
      seq,
      kind: 'run',
      status: 'started',
      failures: 0,
      idempotencyKey: `run-steps:${stepId}`,
      startedAt: new Date(),
      ...extra,
    });
    await store.runs.saveStep(step('b', 2));
    await store.runs.saveStep(step('a', 1));
    await store.runs.saveStep(
      step('a', 1, {
        status: 'completed',
        result: { n: 1, at: '2026-01-01T00:00:00.000Z' },
        finishedAt: new Date(),
        durationMs: 3,
      }),
    );
    const steps = await store.runs.steps('run-steps');
    assert.deepEqual(
      steps.map((s) => [s.stepId, s.status]),
      [
        ['a', 'completed'],
        ['b', 'started'],
      ],
    );
    assert.deepEqual(
      steps[0]?.result,
      { n: 1, at: '2026-01-01T00:00:00.000Z' },
      'results come back exactly as journaled',
    );
    assert.ok(steps[0]?.finishedAt instanceof Date);
    assert.deepEqual(await store.runs.steps('run-none'), []);
  });

  it('journals and audits in one write: the event lands only when the write applies', async () => {
    const store = getStore();
    const event = (stepId: string) =>
      newEvent('step.completed', 'run:run-audit', {
        runId: 'run-audit',
        stepId,
        kind: 'run',
        attempts: 1,
        durationMs: 1,
        replayed: false,
      });
    await store.runs.create(run('run-audit'));
    await store.runs.saveStep(
      {
        runId: 'run-audit',
        stepId: 's1',
        seq: 1,
        kind: 'run',
        status: 'completed',
        failures: 0,
        idempotencyKey: 'run-audit:s1',
        startedAt: new Date(),
        result: 1,
      },
      event('s1'),
    );
    assert.equal(
      await store.runs.update('run-audit', { status: 'completed' }, ['suspended'], event('not-applied')),
      false,
    );
    assert.equal(await store.runs.update('run-audit', { status: 'completed' }, ['running'], event('applied')), true);
    const audit = await store.events.readStream('run:run-audit');
    assert.deepEqual(
      audit.map((e) => (e.type === 'step.completed' ? e.data.stepId : '')),
      ['s1', 'applied'],
    );
    assert.equal((await store.runs.steps('run-audit'))[0]?.result, 1);
  });

  it('decides an approval exactly once, even when taps race', async () => {
    const store = getStore();
    const approval: ApprovalRecord = {
      id: 'ap-1',
      runId: 'run-ap',
      stepId: 'approve',
      status: 'pending',
      card: { title: 'Invoice', details: ['To: Acme'] },
      createdAt: new Date(),
      expiresAt: new Date(Date.now() + 60_000),
    };
    assert.equal(await store.approvals.create(approval), true);
    assert.equal(await store.approvals.create(approval), false);
    assert.equal((await store.approvals.findByStep('run-ap', 'approve'))?.id, 'ap-1');
    assert.ok((await store.approvals.listPending()).some((a) => a.id === 'ap-1'));
    await store.approvals.update('ap-1', { deliveredAt: new Date(), editedText: 'new text' });
    const at = new Date();
    const results = await Promise.all(
      ['approved', 'rejected', 'approved'].map((status) =>
        store.approvals.decide('ap-1', { status: status as 'approved', by: 'operator', via: 'web', at }),
      ),
    );
    assert.equal(results.filter(Boolean).length, 1);
    const got = await store.approvals.get('ap-1');
    assert.notEqual(got?.status, 'pending');
    assert.equal(got?.decidedVia, 'web');
    assert.equal(got?.editedText, 'new text');
    assert.ok(got?.deliveredAt instanceof Date && got.decidedAt instanceof Date);
    assert.ok(!(await store.approvals.listPending()).some((a) => a.id === 'ap-1'));
    assert.equal(await store.approvals.decide('ap-missing', { status: 'approved', by: 'x', via: 'web', at }), false);
  });

  it('records invoices with gap-free numbers, idempotently by key, and voids them', async () => {
    const store = getStore();
    const input = (key: string) => ({
      client: 'Acme',
      amountMinor: 120_000,
      currency: 'EUR',
      runId: `run-${key}`,
      idempotencyKey: key,
    });
    const before = (await store.ledger.listInvoices(1))[0]?.number ?? 0;
    const first = await store.ledger.recordInvoice(input('inv-1'));
    const again = await store.ledger.recordInvoice({ ...input('inv-1'), client: 'changed' });
    const second = await store.ledger.recordInvoice({ ...input('inv-2'), description: 'workshop' });
    assert.equal(first.replayed, false);
    assert.equal(again.replayed, true);
    assert.equal(again.invoice.number, first.invoice.number);
    assert.equal(again.invoice.client, 'Acme');
    assert.deepEqual([first.invoice.number, second.invoice.number], [before + 1, before + 2]);
    const concurrent = await Promise.all(
      Array.from({ length: 6 }, (_, i) => store.ledger.recordInvoice(input(`inv-c${i}`))),
    );
    const numbers = concurrent.map((r) => r.invoice.number).sort((a, b) => a - b);
    assert.deepEqual(
      numbers,
      Array.from({ length: 6 }, (_, i) => before + 3 + i),
      'no gap and no duplicate under concurrency',
    );
    assert.equal(await store.ledger.voidInvoice(first.invoice.number), true);
    assert.equal(await store.ledger.voidInvoice(first.invoice.number), false);
    assert.equal(await store.ledger.voidInvoice(99_999), false);
    const list = await store.ledger.listInvoices(20);
    assert.equal(list[0]?.number, before + 8);
    assert.equal(list.find((i) => i.number === first.invoice.number)?.status, 'void');
    assert.equal(list.find((i) => i.number === second.invoice.number)?.description, 'workshop');
    assert.ok(list[0]?.createdAt instanceof Date);
  });

  it('invoices gain documents, a Stripe id and payment; status changes are compare-and-set', async () => {
    const store = getStore();
    const { invoice } = await store.ledger.recordInvoice({
      client: 'Acme Corp',
      amountMinor: 50_000,
      currency: 'EUR',
      runId: 'run-life',
      idempotencyKey: 'run-life:record',
      clientKey: 'client:acme-corp',
      email: 'billing@acme.example',
      lines: [{ description: 'Workshop', amountMinor: 50_000 }],
      issueDate: '2026-03-02',
      dueDate: '2026-03-16',
    });
    const n = invoice.number;
    assert.deepEqual((await store.ledger.getInvoice(n))?.lines, [{ description: 'Workshop', amountMinor: 50_000 }]);
    assert.equal((await store.ledger.getInvoice(n))?.dueDate, '2026-03-16');
    assert.equal(await store.ledger.getInvoice(99_998), null);
    const pdf = await store.ledger.updateInvoice(n, { pdfFile: `invoices/INV-${n}.pdf`, pdfSha256: 'ab'.repeat(32) });
    assert.equal(pdf?.status, 'recorded');
    assert.equal(pdf?.pdfFile, `invoices/INV-${n}.pdf`);
    const issued = await store.ledger.updateInvoice(
      n,
      { status: 'issued', stripeInvoiceId: 'in_life1', hostedUrl: 'https://pay.example/1' },
      ['recorded'],
    );
    assert.equal(issued?.status, 'issued');
    assert.equal(await store.ledger.updateInvoice(n, { status: 'issued' }, ['recorded']), null, 'no longer recorded');
    assert.equal((await store.ledger.findByStripeId('in_life1'))?.number, n);
    assert.equal(await store.ledger.findByStripeId('in_nobody'), null);
    const mailedAt = new Date('2026-03-02T10:00:00Z');
    await store.ledger.updateInvoice(n, {
      mailMessageId: '<solo-1@example.com>',
      mailedTo: 'billing@acme.example',
      mailedAt,
    });
    const paidAt = new Date('2026-03-05T09:30:00Z');
    const marks = await Promise.all(
      [1, 2, 3].map(() =>
        store.ledger.updateInvoice(n, { status: 'paid', paidAt, paidVia: 'stripe' }, ['recorded', 'issued']),
      ),
    );
    assert.equal(marks.filter((m) => m !== null).length, 1, 'exactly one of three concurrent marks wins');
    const paid = await store.ledger.getInvoice(n);
    assert.equal(paid?.status, 'paid');
    assert.ok(paid?.paidAt instanceof Date && paid.paidAt.getTime() === paidAt.getTime());
    assert.ok(paid?.mailedAt instanceof Date && paid.mailedAt.getTime() === mailedAt.getTime());
    assert.equal(paid?.stripeInvoiceId, 'in_life1', 'earlier fields are kept');
    assert.equal(await store.ledger.voidInvoice(n), false, 'a paid invoice is not voided');
    const issuedOnly = await store.ledger.recordInvoice({
      client: 'Globex',
      amountMinor: 100,
      currency: 'EUR',
      runId: 'run-life2',
      idempotencyKey: 'run-life2:record',
    });
    await store.ledger.updateInvoice(issuedOnly.invoice.number, { status: 'issued' });
    assert.equal(await store.ledger.voidInvoice(issuedOnly.invoice.number), true, 'an issued invoice can be voided');
    assert.equal((await store.ledger.getInvoice(issuedOnly.invoice.number))?.status, 'void');
  });

  it('leases a run to one owner at a time; expiry, renewal, release and take-over', async () => {
    const store = getStore();
    const t0 = new Date('2030-01-01T00:00:00Z');
    const at = (ms: number) => new Date(t0.getTime() + ms);
    const race = await Promise.all(
      ['p1', 'p2', 'p3'].map((owner) => store.runs.lease('lease-1', owner, at(30_000), t0)),
    );
    assert.equal(race.filter((r) => r.ok).length, 1, 'exactly one of three owners asking at once gets it');
    const winner = ['p1', 'p2', 'p3'][race.findIndex((r) => r.ok)] ?? '';
    const loser = winner === 'p1' ? 'p2' : 'p1';
    assert.deepEqual(await store.runs.lease('lease-1', loser, at(40_000), at(1000)), { ok: false, holder: winner });
    assert.equal(await store.runs.leaseHolder('lease-1', at(1000)), winner);
    assert.deepEqual(
      await store.runs.lease('lease-1', winner, at(60_000), at(20_000)),
      { ok: true },
      'the holder renews',
    );
    assert.equal(
      (await store.runs.lease('lease-1', loser, at(90_000), at(45_000))).ok,
      false,
      'renewed: not expired at 45 s',
    );
    assert.deepEqual(
      await store.runs.lease('lease-1', loser, at(120_000), at(45_000), winner),
      { ok: true },
      'taken over by naming the holder',
    );
    await store.runs.release('lease-1', winner);
    assert.equal(
      await store.runs.leaseHolder('lease-1', at(50_000)),
      loser,
      'a release by someone else changes nothing',
    );
    assert.equal(await store.runs.leaseHolder('lease-1', at(120_000)), undefined, 'expired');
    assert.deepEqual(
      await store.runs.lease('lease-1', winner, at(200_000), at(120_000)),
      { ok: true },
      'an expired lease is free',
    );
    await store.runs.release('lease-1', winner);
    assert.equal(await store.runs.leaseHolder('lease-1', at(120_001)), undefined);
    assert.deepEqual(
      await store.runs.lease('lease-1', 'p9', at(130_000), at(120_001)),
      { ok: true },
      'a released lease is free',
    );
  });
}
