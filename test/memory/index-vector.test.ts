// Vector indexes: exact search against a plain brute force, HNSW recall and bookkeeping (replace, remove, re-add,
// growth), and the tiered index's switch to HNSW and its filtered search (a small allowed subset still gets the
// true top-k). The tiered tests keep f32 rows to compare orders exactly; i16 rows have their own test.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createVectorIndex, ExactIndex, HnswIndex, TopK } from '../../src/memory/index/vector-index.ts';

const DIMS = 32;

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Clustered vectors: 20 centroids plus noise. */
function dataset(n: number, seed = 1): Float32Array[] {
  const r = rng(seed);
  const centroids = Array.from({ length: 20 }, () => Float32Array.from({ length: DIMS }, () => r() - 0.5));
  return Array.from({ length: n }, (_, i) => Float32Array.from(centroids[i % 20]!, (c) => c + 0.4 * (r() - 0.5)));
}

function cosine(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return d / Math.sqrt(na * nb);
}

/** The reference: every vector scored, sorted, best k (ties: larger id first). */
function bruteForce(
  vectors: Map<number, Float32Array>,
  q: Float32Array,
  k: number,
  allow?: (id: number) => boolean,
): number[] {
  return [...vectors]
    .filter(([id]) => !allow || allow(id))
    .map(([id, v]) => ({ id, s: cosine(q, v) }))
    .sort((a, b) => b.s - a.s || b.id - a.id)
    .slice(0, k)
    .map((h) => h.id);
}

test('TopK keeps the best k, best first, ties to the larger id', () => {
  const top = new TopK(3);
  for (const [id, s] of [
    [1, 0.5],
    [2, 0.9],
    [3, 0.1],
    [4, 0.9],
    [5, 0.7],
    [6, 0.2],
  ] as const)
    top.push(id, s);
  assert.deepEqual(top.toArray(), [
    { id: 4, score: 0.9 },
    { id: 2, score: 0.9 },
    { id: 5, score: 0.7 },
  ]);
  assert.deepEqual(new TopK(0).toArray(), []);
});

test('ExactIndex returns the brute-force top-k, through replacements and removals', () => {
  const data = dataset(600);
  const index = new ExactIndex(DIMS, 4); // small start: growth is exercised
  const truth = new Map<number, Float32Array>();
  data.forEach((v, i) => {
    index.add(i + 1, v);
    truth.set(i + 1, v);
  });
  const r = rng(9);
  for (let i = 0; i < 150; i++) {
    const id = 1 + Math.floor(r() * 600);
    index.remove(id);
    truth.delete(id);
  }
  for (let i = 0; i < 50; i++) {
    const id = 1 + Math.floor(r() * 700); // replaces some, re-adds some removed, adds new ids
    const v = data[Math.floor(r() * 600)]!.map((x) => x + 0.05 * (r() - 0.5));
    index.add(id, v);
    truth.set(id, v);
  }
  assert.equal(index.size, truth.size);
  for (let i = 0; i < 20; i++) {
    const q = data[i * 7]!.map((x) => x + 0.1 * (r() - 0.5));
    assert.deepEqual(
      index.search(q, 10).map((h) => h.id),
      bruteForce(truth, q, 10),
    );
    const even = (id: number): boolean => id % 2 === 0;
    assert.deepEqual(
      index.search(q, 10, even).map((h) => h.id),
      bruteForce(truth, q, 10, even),
    );
  }
  const [first] = index.search(data[0]!, 1);
  assert.ok(first && Math.abs(first.score - cosine(data[0]!, truth.get(first.id)!)) < 1e-5, 'score is the cosine');
  assert.equal(index.search(data[0]!, 10, () => false).length, 0);
});

test('bad vectors and ids are refused with a clear error', () => {
  const index = new ExactIndex(DIMS);
  assert.throws(() => index.add(1, new Float32Array(DIMS)), /not all zeros/);
  assert.throws(() => index.add(1, new Float32Array(DIMS - 1).fill(1)), /32 numbers/);
  assert.throws(() => index.add(1, new Float32Array(DIMS).fill(NaN)), /finite/);
  assert.throws(() => index.add(0, new Float32Array(DIMS).fill(1)), /positive integer/);
  assert.throws(() => index.add(1.5, new Float32Array(DIMS).fill(1)), /positive integer/);
  assert.throws(() => index.search(new Float32Array(3), 5), /32 numbers/);
  assert.equal(index.size, 0);
});

test('HnswIndex: recall against exact, replace, remove and re-add of a removed key, growth', () => {
  const data = dataset(3000, 2);
  const hnsw = new HnswIndex(DIMS, { connectivity: 16, expansionAdd: 64, expansionSearch: 64, quantization: 'f32' });
  const exact = new ExactIndex(DIMS);
  data.slice(0, 1000).forEach((v, i) => {
    hnsw.add(i + 1, v); // one by one: native capacity grows as needed
    exact.add(i + 1, v);
  });
  hnsw.addManyNormalized(
    data.slice(1000).map((_, i) => 1001 + i),
    (() => {
      const rows = new Float32Array(2000 * DIMS);
      data.slice(1000).forEach((v, i) => {
        const n = Math.hypot(...v);
        rows.set(
          v.map((x) => x / n),
          i * DIMS,
        );
        exact.add(1001 + i, v);
      });
      return rows;
    })(),
  );
  assert.equal(hnsw.size, 3000);
  assert.ok(hnsw.capacity >= 3000);
  let found = 0;
  for (let i = 0; i < 100; i++) {
    const q = data[i * 30]!;
    const truth = new Set(exact.search(q, 10).map((h) => h.id));
    found += hnsw.search(q, 10).filter((h) => truth.has(h.id)).length;
  }
  assert.ok(found / 1000 >= 0.95, `recall@10 ${found / 1000}`);

  // Removed ids never come back; a removed key can be added again; a replaced vector is found at its new place.
  for (let id = 1; id <= 100; id++) hnsw.remove(id);
  assert.equal(hnsw.size, 2900);
  assert.equal(hnsw.has(5), false);
  for (let i = 0; i < 20; i++) assert.ok(hnsw.search(data[i]!, 20).every((h) => h.id > 100));
  const far = Float32Array.from({ length: DIMS }, (_, i) => (i % 2 ? 3 : -3));
  hnsw.add(5, far);
  hnsw.add(
    2000,
    far.map((x) => -x),
  );
  assert.equal(hnsw.size, 2901);
  assert.equal(hnsw.search(far, 1)[0]?.id, 5);
  assert.equal(
    hnsw.search(
      far.map((x) => -x),
      1,
    )[0]?.id,
    2000,
  );
  assert.ok(Math.abs(hnsw.search(far, 1)[0]!.score - 1) < 1e-3);

  // Churn reuses freed slots instead of growing without end.
  const capacity = hnsw.capacity;
  for (let round = 0; round < 3000; round++) {
    const id = 200 + (round % 500);
    hnsw.remove(id);
    hnsw.add(id, data[round % 3000]!);
  }
  assert.equal(hnsw.capacity, capacity);
  assert.equal(hnsw.size, 2901);
});

test('tiered index: exact below the threshold, HNSW from it, back to exact well below it', () => {
  const data = dataset(400, 3);
  const index = createVectorIndex(DIMS, { precision: 'f32', exactBelow: 250 });
  data.slice(0, 249).forEach((v, i) => index.add(i + 1, v));
  assert.equal(index.mode, 'exact');
  index.add(250, data[249]!);
  assert.equal(index.mode, 'hnsw');
  index.addMany(data.slice(250).map((vector, i) => ({ id: 251 + i, vector })));
  assert.equal(index.size, 400);
  const truth = new Map(data.map((v, i) => [i + 1, v]));
  const hits = index.search(data[10]!, 5);
  for (const h of hits)
    assert.ok(Math.abs(h.score - cosine(data[10]!, truth.get(h.id)!)) < 1e-5, 'HNSW hits carry exact cosines');
  for (let id = 1; id <= 160; id++) index.remove(id);
  assert.equal(index.mode, 'exact'); // 240 < 250
  for (let id = 161; id <= 280; id++) index.remove(id);
  assert.equal(index.size, 120);
  truth.forEach((_, id) => id <= 280 && truth.delete(id));
  assert.deepEqual(
    index.search(data[300]!, 10).map((h) => h.id),
    bruteForce(truth, data[300]!, 10),
  );
});

test('tiered index: a filter that keeps a small subset still gets the true top-k', () => {
  const data = dataset(5000, 4);
  const index = createVectorIndex(DIMS, {
    precision: 'f32',
    exactBelow: 1000,
    hnsw: { expansionAdd: 64, expansionSearch: 32 },
  });
  index.addMany(data.map((vector, i) => ({ id: i + 1, vector })));
  assert.equal(index.mode, 'hnsw');
  const truth = new Map(data.map((v, i) => [i + 1, v]));
  const r = rng(5);
  for (const keep of [0.002, 0.02, 0.3]) {
    const allowed = new Set([...truth.keys()].filter(() => r() < keep));
    const allow = (id: number): boolean => allowed.has(id);
    for (let i = 0; i < 10; i++) {
      const q = data[Math.floor(r() * 5000)]!;
      const got = index.search(q, 10, allow).map((h) => h.id);
      const want = bruteForce(truth, q, 10, allow);
      assert.equal(got.length, want.length, `filter keeping ${keep}`);
      if (keep < 0.1) assert.deepEqual(got, want, `filter keeping ${keep}`);
      else
        assert.ok(
          got.filter((id) => want.includes(id)).length >= 9,
          `filter keeping ${keep}: ${got.join()} vs ${want.join()}`,
        );
      assert.ok(got.every(allow));
    }
  }
});

test('tiered index: a deferred graph build answers exactly meanwhile and catches up in batches', async () => {
  const data = dataset(1500, 6);
  const index = createVectorIndex(DIMS, {
    precision: 'f32',
    exactBelow: 300,
    hnsw: { expansionAdd: 64, expansionSearch: 64 },
  });
  index.addMany(
    data.map((vector, i) => ({ id: i + 1, vector })),
    { deferGraph: true },
  );
  assert.equal(index.pending, 1500);
  assert.equal(index.mode, 'exact');
  const truth = new Map(data.map((v, i) => [i + 1, v]));
  const q = data[77]!;
  assert.deepEqual(
    index.search(q, 10).map((h) => h.id),
    bruteForce(truth, q, 10),
  );
  // Writes while pending: a replaced vector and a removal are honoured by the catch-up.
  const moved = Float32Array.from({ length: DIMS }, (_, i) => (i % 3 ? 2 : -2));
  index.add(10, moved);
  truth.set(10, moved);
  index.remove(11);
  truth.delete(11);
  const catching = index.catchUp(100);
  assert.ok(index.pending > 0, 'catchUp yields to the event loop');
  await new Promise((resolve) => setImmediate(resolve));
  assert.ok(index.pending > 0 && index.pending < 1499, `part way: ${index.pending}`);
  // Part graph, part pending: still every vector is searched.
  const odd = (id: number): boolean => id % 2 === 1;
  assert.deepEqual(index.search(moved, 1)[0]?.id, 10);
  assert.ok(index.search(q, 10, odd).every((h) => odd(h.id)));
  await catching;
  assert.equal(index.pending, 0);
  assert.equal(index.mode, 'hnsw');
  assert.equal(index.search(moved, 1)[0]?.id, 10);
  assert.ok(!index.search(data[10]!, 50).some((h) => h.id === 11));
  let found = 0;
  for (let i = 0; i < 50; i++) {
    const want = new Set(bruteForce(truth, data[i * 29]!, 10));
    found += index.search(data[i * 29]!, 10).filter((h) => want.has(h.id)).length;
  }
  assert.ok(found / 500 >= 0.95, `recall@10 ${found / 500}`);
});

test('i16 rows: scores within 1e-4 of the cosine, the top-k that of f32 up to near ties', () => {
  const data = dataset(3000, 8);
  const truth = new Map(data.map((v, i) => [i + 1, v]));
  const rows = new ExactIndex(DIMS, 16, { precision: 'i16' }); // small start: growth copies scales too
  data.forEach((v, i) => rows.add(i + 1, v));
  for (let id = 1; id <= 300; id += 3) {
    rows.remove(id); // removal moves the last row (and its scale) into the gap
    truth.delete(id);
  }
  const r = rng(9);
  for (let t = 0; t < 30; t++) {
    const q = data[Math.floor(r() * 3000)]!;
    const hits = rows.search(q, 10);
    const want = bruteForce(truth, q, 10);
    assert.equal(hits.length, 10);
    hits.forEach((h, i) => {
      const exact = cosine(q, truth.get(h.id)!);
      assert.ok(Math.abs(h.score - exact) < 1e-4, `score ${h.score} vs cosine ${exact}`);
      // A different id at a rank is only allowed where the true cosines are that close.
      assert.ok(Math.abs(exact - cosine(q, truth.get(want[i]!)!)) < 2e-4, `rank ${i}: ${h.id} for ${want[i]}`);
    });
  }
  const decoded = rows.vector(3000)!;
  assert.ok(cosine(decoded, data[2999]!) > 0.9999, 'vector() decodes the row');
  assert.equal(rows.precision, 'i16');
});

test('the tiered index keeps i16 rows unless told otherwise, and rescores graph hits with them', () => {
  const data = dataset(1200, 10);
  const index = createVectorIndex(DIMS, { exactBelow: 500 });
  index.addMany(data.map((vector, i) => ({ id: i + 1, vector })));
  assert.equal(index.mode, 'hnsw');
  assert.equal(index.precision, 'i16');
  assert.equal(createVectorIndex(DIMS, { precision: 'f32' }).precision, 'f32');
  const truth = new Map(data.map((v, i) => [i + 1, v]));
  let found = 0;
  for (let i = 0; i < 40; i++) {
    const q = data[i * 29]!;
    const hits = index.search(q, 10);
    for (const h of hits) assert.ok(Math.abs(h.score - cosine(q, truth.get(h.id)!)) < 1e-4);
    const want = new Set(bruteForce(truth, q, 10));
    found += hits.filter((h) => want.has(h.id)).length;
  }
  assert.ok(found / 400 >= 0.95, `recall@10 ${found / 400}`);
});
