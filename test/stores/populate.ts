// A store with some of everything, written through the ports: events in several streams (some with dedupe keys),
// identities, settings, memories (a correction, a forgotten one, a digest, vectors), runs with steps, approvals
// and invoices (one void). Used by the copy, backup and restore tests.

import { newEvent } from '../../src/domain/events.ts';
import type { Store } from '../../src/ports/store.ts';

export async function populate(store: Store, options: { events?: number } = {}): Promise<void> {
  const events = options.events ?? 300;
  for (let i = 0; i < events; i += 50) {
    await store.events.appendMany(
      Array.from({ length: Math.min(50, events - i) }, (_, j) =>
        newEvent(
          'message.received',
          `chat:web:${(i + j) % 7}`,
          { channel: 'web', chatId: String((i + j) % 7), senderId: 'operator', text: `message ${i + j}` },
          (i + j) % 3 === 0 ? `in-${i + j}` : undefined,
        ),
      ),
    );
  }
  await store.identities.upsert({
    channel: 'telegram',
    externalId: '777',
    label: 'me',
    linkedAt: new Date('2026-02-03T04:05:06Z'),
    via: 'config',
  });
  await store.settings.set('currency', 'CHF');
  await store.settings.set('quiet', { from: '22:00', to: '07:00', held: [1, 2] });
  const ids: string[] = [];
  for (let i = 0; i < 40; i++) {
    const m = await store.memories.add({
      text: `Client ${i % 5}: fact n${i} about ${['invoices', 'projects', 'meetings'][i % 3]}`,
      kind: i % 10 === 0 ? 'client' : 'fact',
      entities: [`client:client-${i % 5}`],
      ...(i % 10 === 0 ? { subject: `Client ${i % 5}` } : {}),
      importance: (i % 10) / 10,
      source: i % 2 ? { channel: 'web', eventPosition: i + 1 } : { importedFrom: `notes/${i}.md` },
      at: new Date(Date.UTC(2026, 0, 1 + i)),
    });
    ids.push(m.id);
    await store.memories.setVector(m.id, 'test-model', new Float32Array([i / 40, -i / 80, 0.5]));
  }
  const fix = await store.memories.add({
    text: 'Client 1: fact n1 corrected',
    kind: 'fact',
    entities: ['client:client-1'],
    source: { channel: 'web' },
    replaces: ids[1]!,
  });
  await store.memories.forget(ids[1]!, fix.id);
  await store.memories.forget(ids[7]!);
  await store.memories.touch([ids[2]!], new Date('2026-03-01T00:00:00Z'));
  const digest = await store.memories.add({
    text: 'Client 3: digest',
    kind: 'digest',
    entities: ['client:client-3'],
    source: {},
    digestOf: [ids[3]!, ids[8]!],
  });
  await store.memories.update(ids[3]!, { digestId: digest.id });
  for (let r = 0; r < 12; r++) {
    const id = `populate-run-${r}`;
    const at = new Date(Date.UTC(2026, 1, 1, r));
    await store.runs.create({
      id,
      workflow: 'invoice',
      version: 1,
      status: r % 3 ? 'completed' : 'suspended',
      input: { client: `Client ${r}`, nested: { n: r } },
      origin: { channel: 'web', chatId: 'operator' },
      createdAt: at,
      updatedAt: at,
      ...(r % 3 ? { result: { number: r } } : { waitingFor: `populate-approval-${r}` }),
    });
    await store.runs.saveStep({
      runId: id,
      stepId: 'draft',
      seq: 1,
      kind: 'run',
      status: 'completed',
      failures: r % 2,
      idempotencyKey: `${id}:draft`,
      startedAt: at,
      finishedAt: at,
      durationMs: 5,
      result: { text: `draft ${r}` },
    });
    await store.approvals.create({
      id: `populate-approval-${r}`,
      runId: id,
      stepId: 'approve',
      status: 'pending',
      card: { title: `Invoice ${r}`, details: [`Amount: ${r}`] },
      createdAt: at,
      expiresAt: new Date(Date.UTC(2099, 0, 1)),
    });
    if (r % 3)
      await store.approvals.decide(`populate-approval-${r}`, { status: 'approved', by: 'operator', via: 'web', at });
    if (r % 3)
      await store.ledger.recordInvoice({
        client: `Client ${r}`,
        amountMinor: 1000 * r,
        currency: 'EUR',
        description: `work ${r}`,
        runId: id,
        idempotencyKey: `${id}:record`,
      });
  }
  await store.ledger.voidInvoice(2);
}
