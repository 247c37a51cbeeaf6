// One contract for every Store implementation: test/stores/sqlite.test.ts and mongo.test.ts run it.
// `skip` names tests a backend cannot prove, with the reason; they show as skipped, never as passed.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { EVENT_VERSIONS, newEvent, type NewEvent } from '../../src/domain/events.ts';
import type { Store } from '../../src/ports/store.ts';
import { engineContract } from './engine-contract.ts';

export interface ContractTarget {
  /** A fresh, empty store (not yet initialised). */
  create(): Promise<Store>;
  /** The same data as `store`, opened again after it was closed. */
  reopen(store: Store): Promise<Store>;
  skip?: Record<string, string>;
}

const received = (stream: string, text: string, key?: string): NewEvent =>
  newEvent('message.received', stream, { channel: 'web', chatId: 'c', senderId: 's', text }, key);

export function storeContract(name: string, target: ContractTarget): void {
  describe(`store contract: ${name}`, () => {
    let store: Store;
    const it = (title: string, fn: () => Promise<void>): void => {
      const reason = target.skip?.[title];
      void test(title, reason ? { skip: reason } : {}, fn);
    };

    before(async () => {
      store = await target.create();
      await store.init();
    });
    after(async () => {
      await store.close();
    });

    it('appends with per-stream sequence numbers and increasing global positions', async () => {
      const a1 = await store.events.append(received('seq:a', 'one'));
      const b1 = await store.events.append(received('seq:b', 'two'));
      const a2 = await store.events.append(received('seq:a', 'three'));
      assert.deepEqual([a1.event.seq, b1.event.seq, a2.event.seq], [1, 1, 2]);
      assert.ok(a1.event.position < b1.event.position && b1.event.position < a2.event.position);
      assert.equal(a1.event.v, EVENT_VERSIONS['message.received']);
      assert.ok(a1.event.at instanceof Date);
      assert.equal(a2.duplicate, false);
      const stream = await store.events.readStream('seq:a');
      assert.deepEqual(stream.map((e) => (e.type === 'message.received' ? e.data.text : '')), ['one', 'three']);
    });

    it('append with a dedupe key is idempotent', async () => {
      const first = await store.events.append(received('dedupe', 'hello', 'key-1'));
      const again = await store.events.append(received('dedupe', 'hello again', 'key-1'));
      assert.equal(first.duplicate, false);
      assert.equal(again.duplicate, true);
      assert.equal(again.event.position, first.event.position);
      assert.equal(again.event.type === 'message.received' && again.event.data.text, 'hello');
      assert.equal((await store.events.readStream('dedupe')).length, 1);
      assert.equal((await store.events.findByDedupeKey('key-1'))?.position, first.event.position);
      assert.equal(await store.events.findByDedupeKey('key-unknown'), null);
    });

    it('concurrent appends with one dedupe key store exactly one event', async () => {
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => store.events.append(received('race', `try ${i}`, 'race-key'))));
      assert.equal(results.filter((r) => !r.duplicate).length, 1);
      assert.equal(new Set(results.map((r) => r.event.position)).size, 1);
      assert.equal((await store.events.readStream('race')).length, 1);
    });

    it('appendMany keeps order, numbers streams and skips known dedupe keys', async () => {
      await store.events.append(received('batch:x', 'before', 'batch-known'));
      const results = await store.events.appendMany([
        received('batch:x', 'x1'),
        received('batch:y', 'y1'),
        received('batch:x', 'dup of known', 'batch-known'),
        received('batch:x', 'x2', 'batch-new'),
        received('batch:x', 'dup in batch', 'batch-new'),
      ]);
      assert.deepEqual(results.map((r) => r.duplicate), [false, false, true, false, true]);
      const x = await store.events.readStream('batch:x');
      assert.deepEqual(x.map((e) => e.seq), [1, 2, 3]);
      assert.deepEqual(x.map((e) => (e.type === 'message.received' ? e.data.text : '')), ['before', 'x1', 'x2']);
      assert.deepEqual((await store.events.readStream('batch:y')).map((e) => e.seq), [1]);
      assert.deepEqual(await store.events.appendMany([]), []);
    });

    it('appendMany of many events without keys numbers them all', async () => {
      const batch = Array.from({ length: 500 }, (_, i) => received('bulk', `event ${i}`));
      const results = await store.events.appendMany(batch);
      assert.equal(results.length, 500);
      const seqs = (await store.events.readStream('bulk')).map((e) => e.seq);
      assert.deepEqual(seqs, Array.from({ length: 500 }, (_, i) => i + 1));
    });

    it('reads a stream after a sequence number, by type, with a limit', async () => {
      for (let i = 0; i < 5; i++) await store.events.append(received('read', `m${i}`));
      await store.events.append(newEvent('message.sent', 'read', { channel: 'web', chatId: 'c', text: 'out', buttons: [] }));
      assert.deepEqual((await store.events.readStream('read', { afterSeq: 3 })).map((e) => e.seq), [4, 5, 6]);
      assert.deepEqual((await store.events.readStream('read', { limit: 2 })).map((e) => e.seq), [1, 2]);
      const sent = await store.events.readStream('read', { types: ['message.sent'] });
      assert.deepEqual(sent.map((e) => e.type), ['message.sent']);
      assert.deepEqual(await store.events.readStream('no-such-stream'), []);
    });

    it('reads by time range and global position', async () => {
      const before = await store.events.append(received('range', 'early'));
      await new Promise((r) => setTimeout(r, 15));
      const from = new Date();
      const inside = await store.events.append(received('range', 'inside'));
      await store.events.append(newEvent('note.forgotten', 'range', { noteId: '1', channel: 'web' }));
      const byTime = await store.events.readRange({ from });
      assert.ok(byTime.every((e) => e.at.getTime() >= from.getTime()));
      assert.ok(byTime.some((e) => e.position === inside.event.position));
      assert.ok(!byTime.some((e) => e.position === before.event.position));
      assert.equal((await store.events.readRange({ to: from, afterPosition: before.event.position - 1 })).at(0)?.position, before.event.position);
      const after = await store.events.readRange({ afterPosition: inside.event.position, types: ['note.forgotten'] });
      assert.deepEqual(after.map((e) => e.type), ['note.forgotten']);
      const positions = (await store.events.readRange({ limit: 50 })).map((e) => e.position);
      assert.deepEqual(positions, [...positions].sort((a, b) => a - b));
    });

    it('keeps operator identities', async () => {
      const identity = { channel: 'telegram', externalId: '42', label: 'me', linkedAt: new Date('2026-01-02T03:04:05Z'), via: 'config' };
      assert.equal(await store.identities.upsert(identity), true);
      assert.equal(await store.identities.upsert({ ...identity, label: 'still me' }), false);
      const got = await store.identities.get('telegram', '42');
      assert.equal(got?.label, 'still me');
      assert.equal(got?.linkedAt.toISOString(), '2026-01-02T03:04:05.000Z');
      assert.equal(await store.identities.get('telegram', '43'), null);
      assert.equal(await store.identities.get('slack', '42'), null);
      assert.ok((await store.identities.list()).some((i) => i.channel === 'telegram' && i.externalId === '42'));
      assert.equal(await store.identities.remove('telegram', '42'), true);
      assert.equal(await store.identities.remove('telegram', '42'), false);
      assert.equal(await store.identities.get('telegram', '42'), null);
    });

    it('adds, finds, forgets and restores notes', async () => {
      const countBefore = await store.notes.count();
      const budget = await store.notes.add({ text: 'Acme budgets are approved in March', source: { channel: 'web', eventPosition: 7 } });
      const other = await store.notes.add({ text: 'Nobudget Ltd pays late', source: { channel: 'web' } });
      assert.match(budget.id, /^\d+$/);
      assert.notEqual(budget.id, other.id);
      assert.equal(await store.notes.count(), countBefore + 2);
      const got = await store.notes.get(budget.id);
      assert.equal(got?.text, 'Acme budgets are approved in March');
      assert.deepEqual(got?.source, { channel: 'web', eventPosition: 7 });
      assert.equal(got?.forgottenAt, undefined);
      // Word-prefix, case-insensitive: "budget" finds "budgets" but not "Nobudget".
      const found = await store.notes.candidates(['budget'], 10);
      assert.deepEqual(found.map((n) => n.id), [budget.id]);
      assert.deepEqual((await store.notes.candidates(['ACME', 'late'], 10)).map((n) => n.id), [other.id, budget.id]);
      assert.deepEqual(await store.notes.candidates(['zzz'], 10), []);
      assert.deepEqual(await store.notes.candidates([], 10), []);

      assert.equal(await store.notes.forget(budget.id), true);
      assert.equal(await store.notes.forget(budget.id), false);
      assert.ok((await store.notes.get(budget.id))?.forgottenAt instanceof Date);
      assert.deepEqual(await store.notes.candidates(['budget'], 10), []);
      assert.equal(await store.notes.count(), countBefore + 1);
      assert.equal(await store.notes.restore(budget.id), true);
      assert.equal(await store.notes.restore(budget.id), false);
      assert.deepEqual((await store.notes.candidates(['budget'], 10)).map((n) => n.id), [budget.id]);
      assert.equal(await store.notes.get('999999'), null);
      assert.equal(await store.notes.get('not-an-id'), null);
      assert.equal(await store.notes.forget('not-an-id'), false);
    });

    it('limits note candidates, newest first', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) ids.push((await store.notes.add({ text: `limitword item ${i}`, source: { channel: 'web' } })).id);
      assert.deepEqual((await store.notes.candidates(['limitword'], 3)).map((n) => n.id), ids.slice(-3).reverse());
    });

    it('stores settings as JSON values', async () => {
      assert.equal(await store.settings.get('missing'), undefined);
      await store.settings.set('currency', 'EUR');
      await store.settings.set('invoice', { next: 3, prefix: 'INV' });
      await store.settings.set('currency', 'USD');
      assert.equal(await store.settings.get('currency'), 'USD');
      assert.deepEqual(await store.settings.get('invoice'), { next: 3, prefix: 'INV' });
    });

    engineContract(() => store, it);

    it('keeps everything across close and reopen', async () => {
      const { event } = await store.events.append(received('durable', 'kept', 'durable-key'));
      const note = await store.notes.add({ text: 'durable note', source: { channel: 'web' } });
      await store.settings.set('durable', true);
      store = await target.reopen(store);
      assert.equal((await store.events.findByDedupeKey('durable-key'))?.position, event.position);
      assert.equal((await store.notes.get(note.id))?.text, 'durable note');
      assert.equal(await store.settings.get('durable'), true);
      const next = await store.events.append(received('durable', 'after reopen'));
      assert.equal(next.event.seq, 2);
      assert.ok(next.event.position > event.position);
    });
  });
}
