// What a migrated fixture store must still hold, read through the store ports (the same checks for both stores).
// The records are the ones scripts/store-fixtures.ts has each era's code write.

import assert from 'node:assert/strict';
import type { Store } from '../../src/ports/store.ts';
import type { Era } from './fixtures.ts';

const day = (n: number) => new Date(Date.UTC(2026, 0, n, 9, 30));

export async function assertFixtureData(store: Store, era: Era): Promise<void> {
  const chat = await store.events.readStream('chat:web:operator');
  assert.equal(chat.length, 24, 'every chat event is there');
  assert.deepEqual(
    chat.map((e) => e.seq),
    Array.from({ length: 24 }, (_, i) => i + 1),
  );
  assert.equal(chat[0]?.type === 'message.received' && chat[0].data.text, 'fixture message 1');
  assert.deepEqual(chat[5]?.type === 'message.sent' && chat[5].data.buttons, [{ label: 'Undo', data: 'undo:3' }]);
  assert.equal((await store.events.findByDedupeKey('fixture-in-5'))?.seq, 9);
  assert.equal((await store.events.readStream('system')).at(-1)?.type, 'system.started');

  const telegram = (await store.identities.list()).find((i) => i.channel === 'telegram');
  assert.equal(telegram?.externalId, '4242');
  assert.equal(telegram?.linkedAt.toISOString(), day(2).toISOString());
  assert.equal(await store.settings.get('currency'), 'USD');
  assert.deepEqual(await store.settings.get('preferred-chat'), { channel: 'telegram', chatId: '4242' });

  if (era.notes) {
    const notes = await store.memories.getMany(['1', '2', '3', '4']);
    assert.deepEqual(
      notes.map((m) => m.text),
      ['Umbrella Co pays net 14', 'Globex wants a rebrand in May', 'Wayne Ltd quoted 40k', 'Call Hooli on Friday'],
    );
    assert.ok(notes.every((m) => m.kind === 'note' && m.importance === 0.5 && m.entities.length === 0));
    assert.deepEqual(notes[0]?.source, { channel: 'web', eventPosition: 1 });
    assert.ok(notes[1]?.forgottenAt instanceof Date, 'a forgotten note stays forgotten');
    assert.equal(await store.memories.count(), 3);
    assert.deepEqual(
      (await store.memories.candidates(['wayne'], 10)).map((m) => m.id),
      ['3'],
      'keyword search finds migrated notes',
    );
    assert.equal(
      (await store.memories.add({ text: 'after the migration', kind: 'note', source: {} })).id,
      '5',
      'new memories follow the notes',
    );
  } else {
    const umbrella = await store.memories.get('1');
    assert.equal(umbrella?.subject, 'Umbrella Co');
    assert.equal(umbrella?.lastUsedAt?.toISOString(), day(8).toISOString());
    assert.equal((await store.memories.get('2'))?.replacedBy, '3');
    assert.equal((await store.memories.get('3'))?.replaces, '2');
    assert.deepEqual((await store.memories.get('5'))?.digestOf, ['1', '4']);
    assert.deepEqual((await store.memories.get('4'))?.source, { importedFrom: 'notes/hooli.md' });
    const vectors = await store.memories.vectors('fixture-model', undefined, 10);
    assert.deepEqual(
      vectors.map((v) => [v.id, Array.from(v.vector)]),
      [
        ['1', [0.25, -0.5, 1]],
        ['3', [1, 0, -1]],
      ],
    );
    assert.deepEqual(
      (await store.memories.byEntity('client:wayne-ltd', 10)).map((m) => m.id),
      ['3'],
    );
    assert.equal((await store.memories.add({ text: 'after the migration', kind: 'note', source: {} })).id, '6');
  }

  if (era.engine) {
    assert.equal((await store.runs.get('fixture-run-done'))?.status, 'completed');
    assert.deepEqual(
      (await store.runs.steps('fixture-run-done')).map((s) => [s.stepId, s.status, s.finishedAt?.toISOString()]),
      [['record', 'completed', day(9).toISOString()]],
    );
    assert.deepEqual(
      (await store.approvals.listPending()).map((a) => a.id),
      ['fixture-approval'],
    );
    assert.equal((await store.approvals.get('fixture-approval-done'))?.decidedBy, 'operator');
    const invoices = await store.ledger.listInvoices();
    assert.deepEqual(
      invoices.map((i) => [i.number, i.client, i.status]),
      [
        [2, 'Globex', 'void'],
        [1, 'Umbrella Co', 'recorded'],
      ],
    );
    const next = await store.ledger.recordInvoice({
      client: 'Stark',
      amountMinor: 100,
      currency: 'EUR',
      runId: 'after',
      idempotencyKey: 'after:record',
    });
    assert.equal(next.invoice.number, 3, 'invoice numbers continue without a gap');
  } else {
    assert.equal(await store.runs.get('fixture-run-done'), null);
    assert.deepEqual(await store.ledger.listInvoices(), []);
  }
  if (era.leases) assert.equal(await store.runs.leaseHolder('fixture-run-waiting', day(9)), 'fixture-process');
}
