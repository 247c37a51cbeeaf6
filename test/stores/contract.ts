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
      assert.deepEqual(
        stream.map((e) => (e.type === 'message.received' ? e.data.text : '')),
        ['one', 'three'],
      );
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
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) => store.events.append(received('race', `try ${i}`, 'race-key'))),
      );
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
      assert.deepEqual(
        results.map((r) => r.duplicate),
        [false, false, true, false, true],
      );
      const x = await store.events.readStream('batch:x');
      assert.deepEqual(
        x.map((e) => e.seq),
        [1, 2, 3],
      );
      assert.deepEqual(
        x.map((e) => (e.type === 'message.received' ? e.data.text : '')),
        ['before', 'x1', 'x2'],
      );
      assert.deepEqual(
        (await store.events.readStream('batch:y')).map((e) => e.seq),
        [1],
      );
      assert.deepEqual(await store.events.appendMany([]), []);
    });

    it('appendMany of many events without keys numbers them all', async () => {
      const batch = Array.from({ length: 500 }, (_, i) => received('bulk', `event ${i}`));
      const results = await store.events.appendMany(batch);
      assert.equal(results.length, 500);
      const seqs = (await store.events.readStream('bulk')).map((e) => e.seq);
      assert.deepEqual(
        seqs,
        Array.from({ length: 500 }, (_, i) => i + 1),
      );
    });

    it('reads a stream after a sequence number, by type, with a limit', async () => {
      for (let i = 0; i < 5; i++) await store.events.append(received('read', `m${i}`));
      await store.events.append(
        newEvent('message.sent', 'read', { channel: 'web', chatId: 'c', text: 'out', buttons: [] }),
      );
      assert.deepEqual(
        (await store.events.readStream('read', { afterSeq: 3 })).map((e) => e.seq),
        [4, 5, 6],
      );
      assert.deepEqual(
        (await store.events.readStream('read', { limit: 2 })).map((e) => e.seq),
        [1, 2],
      );
      assert.deepEqual(
        (await store.events.readStream('read', { limit: 2, newest: true })).map((e) => e.seq),
        [5, 6],
      );
      assert.deepEqual(
        (await store.events.readStream('read', { afterSeq: 4, limit: 5, newest: true })).map((e) => e.seq),
        [5, 6],
      );
      const sent = await store.events.readStream('read', { types: ['message.sent'] });
      assert.deepEqual(
        sent.map((e) => e.type),
        ['message.sent'],
      );
      assert.deepEqual(await store.events.readStream('no-such-stream'), []);
    });

    it('reads by time range and global position', async () => {
      const before = await store.events.append(received('range', 'early'));
      await new Promise((r) => setTimeout(r, 15));
      const from = new Date();
      const inside = await store.events.append(received('range', 'inside'));
      await store.events.append(newEvent('message.handled', 'range', { channel: 'web', chatId: 'c' }));
      const byTime = await store.events.readRange({ from });
      assert.ok(byTime.every((e) => e.at.getTime() >= from.getTime()));
      assert.ok(byTime.some((e) => e.position === inside.event.position));
      assert.ok(!byTime.some((e) => e.position === before.event.position));
      assert.equal(
        (await store.events.readRange({ to: from, afterPosition: before.event.position - 1 })).at(0)?.position,
        before.event.position,
      );
      // A closed window [from, to): what came after it is left out, with or without types, page by page too.
      await new Promise((r) => setTimeout(r, 15));
      const to = new Date();
      const late = await store.events.append(received('range', 'late'));
      const window = await store.events.readRange({ from, to });
      assert.ok(window.some((e) => e.position === inside.event.position));
      assert.ok(!window.some((e) => e.position === late.event.position || e.position === before.event.position));
      assert.ok(window.every((e) => e.at.getTime() >= from.getTime() && e.at.getTime() < to.getTime()));
      assert.deepEqual(
        (await store.events.readRange({ from, to, types: ['message.handled'] })).map((e) => e.type),
        ['message.handled'],
      );
      const firstPage = await store.events.readRange({ from, to, types: ['message.received'], limit: 1 });
      assert.deepEqual(
        firstPage.map((e) => e.position),
        [inside.event.position],
      );
      assert.deepEqual(
        await store.events.readRange({ from, to, types: ['message.received'], afterPosition: inside.event.position }),
        [],
        'the late event is outside the window',
      );
      const after = await store.events.readRange({ afterPosition: inside.event.position, types: ['message.handled'] });
      assert.deepEqual(
        after.map((e) => e.type),
        ['message.handled'],
      );
      const positions = (await store.events.readRange({ limit: 50 })).map((e) => e.position);
      assert.deepEqual(
        positions,
        [...positions].sort((a, b) => a - b),
      );
      const last = await store.events.append(received('range', 'last'));
      const newest = (await store.events.readRange({ limit: 2, newest: true })).map((e) => e.position);
      assert.equal(newest.length, 2);
      assert.equal(newest[1], last.event.position, 'the newest events, in ascending order');
      assert.ok((newest[0] ?? 0) < (newest[1] ?? 0));
    });

    it('keeps operator identities', async () => {
      const identity = {
        channel: 'telegram',
        externalId: '42',
        label: 'me',
        linkedAt: new Date('2026-01-02T03:04:05Z'),
        via: 'config',
      };
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

    it('adds, finds, forgets and restores memories', async () => {
      const countBefore = await store.memories.count();
      const budget = await store.memories.add({
        text: 'Acme budgets are approved in March',
        kind: 'fact',
        entities: ['client:acme'],
        subject: 'Acme',
        source: { channel: 'web', eventPosition: 7 },
      });
      const other = await store.memories.add({
        text: 'Nobudget Ltd pays late',
        kind: 'note',
        source: { channel: 'web' },
      });
      assert.match(budget.id, /^\d+$/);
      assert.notEqual(budget.id, other.id);
      assert.equal(await store.memories.count(), countBefore + 2);
      const got = await store.memories.get(budget.id);
      assert.equal(got?.text, 'Acme budgets are approved in March');
      assert.equal(got?.kind, 'fact');
      assert.deepEqual(got?.entities, ['client:acme']);
      assert.equal(got?.subject, 'Acme');
      assert.equal(got?.importance, 0.5);
      assert.deepEqual(got?.source, { channel: 'web', eventPosition: 7 });
      assert.equal(got?.forgottenAt, undefined);
      // Word-prefix, case-insensitive: "budget" finds "budgets" but not "Nobudget".
      const found = await store.memories.candidates(['budget'], 10);
      assert.deepEqual(
        found.map((n) => n.id),
        [budget.id],
      );
      assert.deepEqual(
        (await store.memories.candidates(['ACME', 'late'], 10)).map((n) => n.id),
        [other.id, budget.id],
      );
      assert.deepEqual(await store.memories.candidates(['zzz'], 10), []);
      assert.deepEqual(await store.memories.candidates([], 10), []);
      assert.deepEqual(
        (await store.memories.byEntity('client:acme', 10)).map((m) => m.id),
        [budget.id],
      );
      assert.deepEqual(
        (await store.memories.getMany([other.id, budget.id, '999999'])).map((m) => m.id),
        [other.id, budget.id],
      );
      // Entities changed by an update are found by the new ones and no longer by the ones dropped.
      await store.memories.update(budget.id, { entities: ['client:acme', 'client:borova'] });
      assert.deepEqual(
        (await store.memories.byEntity('client:borova', 10)).map((m) => m.id),
        [budget.id],
      );
      await store.memories.update(budget.id, { entities: ['client:acme'] });
      assert.deepEqual(await store.memories.byEntity('client:borova', 10), []);

      assert.equal(await store.memories.forget(budget.id), true);
      assert.equal(await store.memories.forget(budget.id), false);
      assert.ok((await store.memories.get(budget.id))?.forgottenAt instanceof Date);
      assert.deepEqual(await store.memories.candidates(['budget'], 10), []);
      assert.deepEqual(await store.memories.byEntity('client:acme', 10), []);
      assert.equal(await store.memories.count(), countBefore + 1);
      assert.equal(await store.memories.restore(budget.id), true);
      assert.equal(await store.memories.restore(budget.id), false);
      assert.deepEqual(
        (await store.memories.candidates(['budget'], 10)).map((n) => n.id),
        [budget.id],
      );
      assert.equal(await store.memories.get('999999'), null);
      assert.equal(await store.memories.get('not-an-id'), null);
      assert.equal(await store.memories.forget('not-an-id'), false);
    });

    it('updates memories in place and records corrections, uses and digests', async () => {
      const old = await store.memories.add({
        text: 'Initech pays net 30',
        kind: 'fact',
        entities: ['client:initech'],
        source: { channel: 'web' },
      });
      const updated = await store.memories.update(old.id, { text: 'Initech pays net 45', importance: 0.9 });
      assert.equal(updated?.text, 'Initech pays net 45');
      assert.equal(updated?.importance, 0.9);
      assert.ok(updated && updated.updatedAt.getTime() >= old.updatedAt.getTime());
      assert.deepEqual(
        (await store.memories.candidates(['45'], 10)).map((m) => m.id),
        [old.id],
        'keyword search sees the new text',
      );
      assert.deepEqual(await store.memories.candidates(['30'], 10), [], 'and not the old one');
      assert.equal(await store.memories.update('999999', { text: 'x' }), null);

      const fix = await store.memories.add({
        text: 'Initech pays net 60',
        kind: 'fact',
        entities: ['client:initech'],
        source: { channel: 'web' },
        replaces: old.id,
      });
      assert.equal(await store.memories.forget(old.id, fix.id), true);
      assert.equal((await store.memories.get(old.id))?.replacedBy, fix.id);
      assert.equal((await store.memories.get(fix.id))?.replaces, old.id);
      assert.equal(await store.memories.restore(old.id), true);
      assert.equal((await store.memories.get(old.id))?.replacedBy, undefined, 'a restore clears the replacement link');

      const at = new Date('2026-05-01T10:00:00Z');
      await store.memories.touch([fix.id], at);
      assert.equal((await store.memories.get(fix.id))?.lastUsedAt?.toISOString(), at.toISOString());

      const digest = await store.memories.add({
        text: 'digest',
        kind: 'digest',
        source: {},
        digestOf: [old.id, fix.id],
      });
      assert.deepEqual((await store.memories.get(digest.id))?.digestOf, [old.id, fix.id]);
      await store.memories.update(old.id, { digestId: digest.id });
      assert.equal((await store.memories.get(old.id))?.digestId, digest.id);
    });

    it('stores vectors per model and lists what is missing, scanning in id order', async () => {
      const a = await store.memories.add({ text: 'vector a', kind: 'note', source: {} });
      const b = await store.memories.add({ text: 'vector b', kind: 'note', source: {} });
      await store.memories.setVector(a.id, 'test-model', new Float32Array([0.5, -0.25, 1]));
      await store.memories.setVector(a.id, 'test-model', new Float32Array([0.5, -0.25, 2]));
      const vectors = await store.memories.vectors('test-model', undefined, 1000);
      const va = vectors.find((v) => v.id === a.id);
      assert.deepEqual(Array.from(va?.vector ?? []), [0.5, -0.25, 2], 'the last write wins');
      assert.equal(
        vectors.some((v) => v.id === b.id),
        false,
      );
      assert.deepEqual(
        (await store.memories.vectors('other-model', undefined, 1000)).filter((v) => v.id === a.id),
        [],
      );
      const missing = (await store.memories.missingVectors('test-model', 100_000)).map((m) => m.id);
      assert.ok(missing.includes(b.id) && !missing.includes(a.id));
      await store.memories.forget(a.id);
      assert.equal(
        (await store.memories.vectors('test-model', undefined, 1000)).some((v) => v.id === a.id),
        false,
        'retracted memories have no live vector',
      );
      const scanned = await store.memories.scan(undefined, 100_000);
      assert.ok(scanned.some((m) => m.id === b.id) && !scanned.some((m) => m.id === a.id));
      const ids = scanned.map((m) => Number(m.id));
      assert.deepEqual(
        ids,
        [...ids].sort((x, y) => x - y),
      );
      assert.deepEqual(
        (await store.memories.scan(b.id, 10)).filter((m) => Number(m.id) <= Number(b.id)),
        [],
      );
    });

    it('lists compactable memories: old, unimportant, not profiles or digests', async () => {
      const old = new Date('2020-01-01T00:00:00Z');
      const low = await store.memories.add({
        text: 'old low fact',
        kind: 'fact',
        importance: 0.2,
        source: {},
        at: old,
      });
      const high = await store.memories.add({
        text: 'old high fact',
        kind: 'fact',
        importance: 0.9,
        source: {},
        at: old,
      });
      const profile = await store.memories.add({
        text: 'old profile',
        kind: 'client',
        importance: 0.2,
        source: {},
        at: old,
      });
      const recent = await store.memories.add({ text: 'new low fact', kind: 'fact', importance: 0.2, source: {} });
      const ids = (
        await store.memories.compactable({
          before: new Date('2021-01-01T00:00:00Z'),
          maxImportance: 0.4,
          limit: 10_000,
        })
      ).map((m) => m.id);
      assert.ok(ids.includes(low.id));
      for (const m of [high, profile, recent]) assert.ok(!ids.includes(m.id), m.text);
    });

    it('limits memory candidates, newest first', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 6; i++)
        ids.push(
          (await store.memories.add({ text: `limitword item ${i}`, kind: 'note', source: { channel: 'web' } })).id,
        );
      assert.deepEqual(
        (await store.memories.candidates(['limitword'], 3)).map((n) => n.id),
        ids.slice(-3).reverse(),
      );
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
      const note = await store.memories.add({ text: 'durable note', kind: 'note', source: { channel: 'web' } });
      await store.settings.set('durable', true);
      store = await target.reopen(store);
      assert.equal((await store.events.findByDedupeKey('durable-key'))?.position, event.position);
      assert.equal((await store.memories.get(note.id))?.text, 'durable note');
      assert.equal(await store.settings.get('durable'), true);
      const next = await store.events.append(received('durable', 'after reopen'));
      assert.equal(next.event.seq, 2);
      assert.ok(next.event.position > event.position);
    });
  });
}
