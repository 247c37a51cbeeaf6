// Hybrid ranking and the RecallIndex: the documented formula, items without vectors, recency and importance,
// entity/kind filters (also on a large index where vector search runs on HNSW), and keeping in step with writes.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecallIndex, type ItemMeta } from '../../src/memory/index/hybrid.ts';
import { DEFAULT_WEIGHTS, hybridRank } from '../../src/memory/index/rank.ts';

const DAY = 86_400_000;
const NOW = new Date('2026-12-01T00:00:00Z');
const daysAgo = (d: number): Date => new Date(NOW.getTime() - d * DAY);
const meta = (over: Partial<ItemMeta> = {}): ItemMeta => ({
  kind: 'fact',
  entities: [],
  importance: 0.5,
  updatedAt: NOW,
  ...over,
});

/** 8-d vectors: one axis per meaning, so similarities are easy to reason about. */
const axis = (i: number, tilt = 0): Float32Array => {
  const v = new Float32Array(8);
  v[i % 8] = 1;
  v[(i + 1) % 8] = tilt;
  return v;
};

test('hybridRank follows the documented formula and keeps every component', () => {
  const w = DEFAULT_WEIGHTS;
  const hits = hybridRank({
    candidates: [1, 2, 3],
    bm25: new Map([
      [1, 4],
      [2, 2],
    ]),
    cosine: new Map([
      [1, 0.5],
      [3, 0.9],
    ]),
    meta: (id) => ({
      importance: id === 3 ? 1 : 0,
      updatedAt: daysAgo(90).getTime(),
      ...(id === 2 && { lastUsedAt: daysAgo(0).getTime() }),
    }),
    queryHasTerms: true,
    queryHasVector: true,
    now: NOW,
    k: 10,
  });
  const byId = new Map(hits.map((h) => [h.id, h]));
  const boost = (recency: number, importance: number): number =>
    1 - w.recency - w.importance + w.recency * recency + w.importance * importance;
  // 1: best keyword (1.0) and cosine 0.5; 90 days old = half-life.
  const one = byId.get(1)!;
  assert.ok(Math.abs(one.components.recency - 0.5) < 1e-12);
  assert.ok(Math.abs(one.components.relevance - (w.keyword * 1 + w.vector * 0.5) / (w.keyword + w.vector)) < 1e-12);
  assert.ok(Math.abs(one.score - one.components.relevance * boost(0.5, 0)) < 1e-12);
  // 2: no vector, so relevance is its keyword part alone (0.5); used today, so recency 1.
  const two = byId.get(2)!;
  assert.equal(two.components.vector, null);
  assert.equal(two.components.keyword, 0.5);
  assert.equal(two.components.relevance, 0.5);
  assert.equal(two.components.recency, 1);
  // 3: no keyword match, cosine 0.9, important.
  const three = byId.get(3)!;
  assert.equal(three.components.bm25, 0);
  assert.ok(Math.abs(three.components.relevance - (w.vector * 0.9) / (w.keyword + w.vector)) < 1e-12);
  assert.ok(Math.abs(three.score - three.components.relevance * boost(0.5, 1)) < 1e-12);
  assert.deepEqual(
    hits.map((h) => h.id),
    [...hits].sort((a, b) => b.score - a.score).map((h) => h.id),
  );
});

test('hybridRank drops irrelevant candidates and honours k', () => {
  const rank = (k: number) =>
    hybridRank({
      candidates: [1, 2, 3],
      bm25: new Map([[1, 3]]),
      cosine: new Map([
        [2, -0.2],
        [3, 0.4],
      ]),
      meta: () => ({ importance: 1, updatedAt: NOW.getTime() }),
      queryHasTerms: true,
      queryHasVector: true,
      now: NOW,
      k,
    });
  assert.deepEqual(
    rank(1).map((h) => h.id),
    [1],
  );
  const all = rank(10);
  assert.deepEqual(
    all.map((h) => h.id).sort(),
    [1, 3],
    'a negative cosine and no keyword match is no relevance at all',
  );
});

function smallIndex(): RecallIndex {
  const index = new RecallIndex({ dims: 8 });
  index.upsert(1, {
    text: 'Acme budget for the spring campaign is 40k',
    vector: axis(0),
    meta: meta({ entities: ['client:acme'] }),
  });
  index.upsert(2, {
    text: 'Acme prefers invoices as PDF',
    vector: axis(1),
    meta: meta({ entities: ['client:acme'], kind: 'preference' }),
  });
  index.upsert(3, {
    text: 'Borova budget approved in March',
    vector: axis(0, 0.3),
    meta: meta({ entities: ['client:borova'] }),
  });
  index.upsert(4, { text: 'Zenith budget talks next week', meta: meta({ entities: ['client:zenith'] }) }); // not embedded yet
  index.upsert(5, { text: 'Team offsite in Lisbon', vector: axis(4), meta: meta({ kind: 'note' }) });
  return index;
}

test('RecallIndex: keyword, vector and hybrid queries; items without vectors still rank by keyword', () => {
  const index = smallIndex();
  assert.deepEqual(
    index.search({ query: 'lisbon', k: 5, now: NOW }).map((h) => h.id),
    [5],
  );
  const byVector = index.search({ query: '', vector: axis(0), k: 2, now: NOW });
  assert.deepEqual(
    byVector.map((h) => h.id),
    [1, 3],
  );
  assert.ok(Math.abs(byVector[0]!.components.vector! - 1) < 1e-6);
  const hybrid = index.search({ query: 'budget', vector: axis(0), k: 5, now: NOW });
  assert.deepEqual(new Set(hybrid.map((h) => h.id)), new Set([1, 3, 4]), 'every budget memory, embedded or not');
  const acme = hybrid.find((h) => h.id === 1)!;
  const borova = hybrid.find((h) => h.id === 3)!;
  assert.ok(Math.abs(acme.components.vector! - 1) < 1e-6);
  assert.ok(Math.abs(borova.components.vector! - 1 / Math.sqrt(1.09)) < 1e-6);
  assert.ok(borova.components.keyword > acme.components.keyword, 'the shorter text has the higher BM25');
  assert.deepEqual(acme.meta.entities, ['client:acme']);
  // Not embedded yet: its relevance is its keyword part alone, neither zeroed nor penalised.
  const zenith = hybrid.find((h) => h.id === 4)!;
  assert.equal(zenith.components.vector, null);
  assert.equal(zenith.components.relevance, zenith.components.keyword);
  assert.ok(zenith.components.keyword > 0.5);
  assert.deepEqual(index.search({ query: 'the of', k: 5, now: NOW }), [], 'nothing to search with');
});

test('RecallIndex: entity filter keeps items with ANY of the entities; kinds narrow further', () => {
  const index = smallIndex();
  const ids = (q: Parameters<RecallIndex['search']>[0]): number[] =>
    index
      .search(q)
      .map((h) => h.id)
      .sort();
  assert.deepEqual(ids({ query: 'budget', k: 10, now: NOW, entities: ['client:acme'] }), [1]);
  assert.deepEqual(ids({ query: 'budget', k: 10, now: NOW, entities: ['client:acme', 'client:zenith'] }), [1, 4]);
  assert.deepEqual(
    ids({ query: '', vector: axis(0), k: 10, now: NOW, entities: ['client:acme'] }),
    [1, 2].filter((id) => id === 1),
  );
  assert.deepEqual(ids({ query: 'acme', k: 10, now: NOW, kinds: ['preference'] }), [2]);
  assert.deepEqual(ids({ query: 'acme', k: 10, now: NOW, entities: ['client:acme'], kinds: ['fact'] }), [1]);
  assert.deepEqual(ids({ query: 'budget', k: 10, now: NOW, entities: ['client:nobody'] }), []);
  assert.deepEqual(ids({ query: 'budget', k: 10, now: NOW, kinds: ['digest'] }), []);
  assert.deepEqual(
    ids({ query: 'budget', k: 10, now: NOW, entities: [], kinds: [] }),
    [1, 3, 4],
    'empty filters filter nothing',
  );
});

test('RecallIndex: recency (updatedAt or lastUsedAt) and importance reorder equally relevant items', () => {
  const index = new RecallIndex({ dims: 8 });
  index.upsert(1, { text: 'quarterly report due', vector: axis(2), meta: meta({ updatedAt: daysAgo(400) }) });
  index.upsert(2, { text: 'quarterly report due', vector: axis(2), meta: meta({ updatedAt: daysAgo(10) }) });
  const q = { query: 'quarterly report', vector: axis(2), k: 2, now: NOW };
  assert.deepEqual(
    index.search(q).map((h) => h.id),
    [2, 1],
  );
  index.touch([1], daysAgo(1));
  assert.deepEqual(
    index.search(q).map((h) => h.id),
    [1, 2],
    'used yesterday beats updated ten days ago',
  );
  assert.equal(index.get(1)?.meta.lastUsedAt?.getTime(), daysAgo(1).getTime());
  index.touch([1], daysAgo(5)); // older use does not move lastUsedAt back
  assert.equal(index.get(1)?.meta.lastUsedAt?.getTime(), daysAgo(1).getTime());
  index.upsert(2, { text: 'quarterly report due', meta: meta({ updatedAt: daysAgo(1), importance: 1 }) });
  assert.deepEqual(
    index.search(q).map((h) => h.id),
    [2, 1],
    'same age, more important',
  );
  assert.equal(index.get(2)?.embedded, true, 'same text without a vector keeps the vector');
});

test('RecallIndex: a changed text drops its stale vector; removal is complete', () => {
  const index = smallIndex();
  index.upsert(1, { text: 'Acme moved to quarterly billing', meta: meta({ entities: ['client:acme'] }) });
  assert.equal(index.get(1)?.embedded, false);
  assert.ok(!index.search({ query: '', vector: axis(0), k: 10, now: NOW }).some((h) => h.id === 1));
  assert.deepEqual(
    index.search({ query: 'billing', k: 5, now: NOW }).map((h) => h.id),
    [1],
  );
  assert.equal(index.setVector(1, axis(6)), true);
  assert.equal(index.search({ query: '', vector: axis(6), k: 1, now: NOW })[0]?.id, 1);
  assert.equal(index.setVector(99, axis(6)), false, 'unknown id');
  assert.equal(
    index.setVectors([
      { id: 2, vector: axis(7) },
      { id: 98, vector: axis(7) },
    ]),
    1,
  );
  assert.equal(index.search({ query: '', vector: axis(7), k: 1, now: NOW })[0]?.id, 2);
  assert.equal(index.vectors.has(98), false);
  index.remove(1);
  index.remove(1);
  assert.equal(index.size, 4);
  assert.ok(!index.search({ query: 'acme billing', vector: axis(6), k: 10, now: NOW }).some((h) => h.id === 1));
  assert.deepEqual(
    index.search({ query: 'acme', k: 10, now: NOW, entities: ['client:acme'] }).map((h) => h.id),
    [2],
  );
});

test('RecallIndex refuses bad input without changing anything', () => {
  const index = smallIndex();
  assert.throws(() => index.search({ query: 'x', k: 0, now: NOW }), /k must be/);
  assert.throws(() => index.search({ query: 'x', k: 5, now: new Date('nope') }), /now/);
  assert.throws(() => index.upsert(9, { text: 'x', meta: meta({ importance: 2 }) }), /importance/);
  assert.throws(() => index.upsert(9, { text: 'x', meta: meta({ updatedAt: new Date(NaN) }) }), /updatedAt/);
  assert.throws(() => index.upsert(9, { text: 'x', vector: new Float32Array(3), meta: meta() }), /8 numbers/);
  assert.throws(
    () =>
      index.upsertMany([
        { id: 9, text: 'x', meta: meta() },
        { id: 10, text: 'y', vector: new Float32Array(8), meta: meta() },
      ]),
    /zeros/,
  );
  assert.equal(index.size, 5);
  assert.equal(index.has(9), false);
});

test('RecallIndex on coded search: an entity filter returns the true top-k among that entity, unfiltered recall stays high', () => {
  const dims = 16;
  let seed = 7;
  const r = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const centers = Array.from({ length: 12 }, () => Float32Array.from({ length: dims }, () => r() - 0.5));
  const items = Array.from({ length: 3000 }, (_, i) => ({
    id: i + 1,
    text: `memory ${i} about topic${i % 12} for client${i % 50}`,
    vector: Float32Array.from(centers[i % 12]!, (c) => c + 0.3 * (r() - 0.5)),
    meta: meta({ entities: [`client:c${i % 50}`], updatedAt: daysAgo(i % 30) }),
  }));
  // A small rerank depth, so the codes choose candidates at this size (the default scores every row here).
  const index = new RecallIndex({ dims, exactBelow: 500, rerank: 64 });
  index.upsertMany(items);
  assert.equal(index.vectors.mode, 'coded');
  const cos = (a: Float32Array, b: Float32Array): number => {
    let d = 0,
      na = 0,
      nb = 0;
    for (let i = 0; i < dims; i++) [d, na, nb] = [d + a[i]! * b[i]!, na + a[i]! * a[i]!, nb + b[i]! * b[i]!];
    return d / Math.sqrt(na * nb);
  };
  for (let t = 0; t < 20; t++) {
    const q = items[Math.floor(r() * 3000)]!.vector;
    const entity = `client:c${t}`;
    const want = items
      .filter((it) => it.meta.entities[0] === entity)
      .map((it) => ({ id: it.id, s: cos(q, it.vector) }))
      .sort((a, b) => b.s - a.s || b.id - a.id)
      .slice(0, 10)
      .map((h) => h.id);
    const got = index.vectors.searchAmong(
      Float32Array.from(q, (x) => x / Math.hypot(...q)),
      10,
      items.filter((it) => it.meta.entities[0] === entity).map((it) => it.id),
    );
    assert.deepEqual(
      got.map((h) => h.id),
      want,
    );
    const hits = index.search({ query: '', vector: q, k: 10, now: NOW, entities: [entity] });
    assert.ok(hits.every((h) => h.meta.entities.includes(entity)));
    assert.deepEqual(new Set(hits.map((h) => h.id)), new Set(want), 'same ten, ordered by the hybrid score');
  }
});

test('RecallIndex: a question naming a time turns recency off, so an old turn from that month beats a fresh one', () => {
  const index = new RecallIndex({ dims: 8 });
  const asked = new Date('2025-08-10T12:00:00Z');
  index.upsert(1, {
    text: '[3:4] Jane (2024-05-10): Booked a hotel in Porto for the fair',
    meta: meta({ updatedAt: new Date('2024-05-10T18:00:00Z') }),
  });
  index.upsert(2, {
    text: '[9:1] Jane (2025-08-01): Booked a hotel in Lisbon for the fair',
    meta: meta({ updatedAt: new Date('2025-08-01T18:00:00Z') }),
  });
  const plain = index.search({ query: 'Which hotel did Jane book?', k: 2, now: asked });
  assert.deepEqual(
    plain.map((h) => h.id),
    [2, 1],
    'same words: the fresh one first',
  );
  assert.ok(plain[1]!.components.recency < 0.1);
  const dated = index.search({ query: 'Which hotel did Jane book in May 2024?', k: 2, now: asked });
  assert.deepEqual(
    dated.map((h) => h.id),
    [1, 2],
  );
  assert.ok(
    dated.every((h) => h.components.recency === 1),
    'recency is 1 for every hit of a dated question',
  );
});
