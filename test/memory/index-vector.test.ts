// Vector indexes: the rows (i16 with a scale per row, in memory and in a file removed from its folder at once),
// the sign codes (their estimator checked against a plain computation, their candidates against brute force), and
// the tiered index: exact below its threshold, coded from it (recall against brute force, filters, replacements,
// removals), the same answers with its rows in memory or on disk.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SignCodes } from '../../src/memory/index/sign-codes.ts';
import { createVectorIndex, normalized, TieredVectorIndex, TopK } from '../../src/memory/index/vector-index.ts';
import { VectorRows } from '../../src/memory/index/vector-rows.ts';

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

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'solo-vectors-'));
  dirs.push(dir);
  return dir;
}

/** Same hits as the brute force, where a different id at a rank is allowed only for a near tie (i16 rows). */
function assertNearTruth(
  hits: ReadonlyArray<{ id: number; score: number }>,
  truth: Map<number, Float32Array>,
  q: Float32Array,
  want: number[],
): void {
  assert.equal(hits.length, want.length);
  hits.forEach((h, i) => {
    const exact = cosine(q, truth.get(h.id)!);
    assert.ok(Math.abs(h.score - exact) < 1e-4, `score ${h.score} vs cosine ${exact}`);
    assert.ok(Math.abs(exact - cosine(q, truth.get(want[i]!)!)) < 2e-4, `rank ${i}: ${h.id} for ${want[i]}`);
  });
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

test('rows in memory and on disk: scores within 1e-4 of the cosine, copies, decoding, scans', () => {
  const data = dataset(2500, 8).map((v) => normalized(v, DIMS));
  const dir = tempDir();
  const memory = VectorRows.inMemory(DIMS, 4); // small start: growth is exercised
  const disk = VectorRows.inFile(DIMS, dir);
  assert.deepEqual(readdirSync(dir), [], 'the file is removed from its folder at once');
  assert.equal(disk.onDisk, true);
  assert.equal(memory.onDisk, false);
  for (const rows of [memory, disk]) {
    rows.writeMany(0, data.slice(0, 2000)); // a chunk boundary (1024 rows) is crossed by scans
    data.slice(2000).forEach((v, i) => rows.write(2000 + i, v));
    rows.copy(2499, 7); // removal moves the last row into a gap
  }
  const expected = (slot: number): Float32Array => data[slot === 7 ? 2499 : slot]!;
  const q = normalized(dataset(1, 99)[0]!, DIMS);
  for (const slot of [0, 7, 1023, 1024, 2498]) {
    const want = cosine(q, expected(slot));
    assert.ok(Math.abs(memory.score(q, slot) - want) < 1e-4, `memory row ${slot}`);
    assert.equal(disk.score(q, slot), memory.score(q, slot), `disk row ${slot}`);
    assert.ok(cosine(disk.vector(slot), expected(slot)) > 0.9999, 'vector() decodes the row');
  }
  for (const rows of [memory, disk]) {
    const scores: number[] = [];
    rows.scan(
      q,
      2499,
      (slot, score) => (scores[slot] = score),
      (slot) => slot % 2 === 0,
    );
    assert.equal(scores.filter((s) => s !== undefined).length, 1250, 'want() skips rows');
    assert.ok(Math.abs(scores[1024]! - cosine(q, expected(1024))) < 1e-4);
    let seen = 0;
    rows.forEach(2499, (slot, v) => {
      if (slot === 1500) assert.ok(cosine(v, expected(1500)) > 0.9999);
      seen++;
    });
    assert.equal(seen, 2499);
  }
  disk.close();
  disk.close(); // twice is fine
  assert.throws(() => disk.score(q, 0), /closed/);
});

test('rows: a folder that cannot take the file, or a bad width, is a clear error and leaves no file', () => {
  assert.throws(() => VectorRows.inFile(DIMS, join(tempDir(), 'missing', 'deeper')), /ENOENT/);
  const dir = tempDir();
  assert.throws(() => VectorRows.inFile(0, dir), /dims must be a positive integer/);
  assert.deepEqual(readdirSync(dir), []);
});

test('sign codes: the best estimate is the brute-force best of the estimator, for whole and partial words', () => {
  for (const dims of [32, 13]) {
    const r = rng(dims);
    const vectors = Array.from({ length: 300 }, () =>
      normalized(
        Float32Array.from({ length: dims }, () => r() - 0.5),
        dims,
      ),
    );
    const mean = new Float32Array(dims);
    vectors.forEach((v) => v.forEach((x, i) => (mean[i]! += x / vectors.length)));
    const codes = new SignCodes(mean, 8); // small start: growth is exercised
    vectors.forEach((v, slot) => codes.set(slot, v));
    // The estimator written out: Σ q_i · sign(v_i − mean_i), times ‖d‖² / ‖d‖₁.
    const estimate = (q: Float32Array, v: Float32Array): number => {
      let dot = 0;
      let l1 = 0;
      let l2 = 0;
      for (let i = 0; i < dims; i++) {
        const d = v[i]! - mean[i]!;
        dot += d >= 0 ? q[i]! : -q[i]!;
        l1 += Math.abs(d);
        l2 += d * d;
      }
      return (dot * l2) / l1;
    };
    for (let t = 0; t < 20; t++) {
      const q = normalized(
        Float32Array.from({ length: dims }, () => r() - 0.5),
        dims,
      );
      const ranked = vectors.map((v, slot) => ({ slot, e: estimate(q, v) })).sort((a, b) => b.e - a.e);
      assert.equal(codes.candidates(q, 1, vectors.length)[0], ranked[0]!.slot, `${dims}-d, query ${t}`);
      const five = new Set(codes.candidates(q, 5, vectors.length));
      assert.deepEqual(five, new Set(ranked.slice(0, 5).map((x) => x.slot)));
      const even = codes.candidates(q, 5, vectors.length, (slot) => slot % 2 === 0);
      assert.deepEqual(
        new Set(even),
        new Set(
          ranked
            .filter((x) => x.slot % 2 === 0)
            .slice(0, 5)
            .map((x) => x.slot),
        ),
      );
      const among = [3, 30, 60, 90, 120, 150];
      const bestAmong = ranked.find((x) => among.includes(x.slot))!.slot;
      assert.deepEqual([...codes.candidatesAmong(q, 1, among)], [bestAmong]);
    }
    codes.copy(299, 0);
    const q = vectors[299]!;
    assert.ok(codes.candidates(q, 2, 300).includes(0), 'a copied code scores as its source');
  }
});

test('tiered index: exact below the threshold (the brute-force top-k), through replacements and removals', () => {
  const data = dataset(600);
  const index = createVectorIndex(DIMS, { exactBelow: 10_000 });
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
  assert.equal(index.mode, 'exact');
  for (let i = 0; i < 20; i++) {
    const q = data[i * 7]!.map((x) => x + 0.1 * (r() - 0.5));
    assertNearTruth(index.search(q, 10), truth, q, bruteForce(truth, q, 10));
    const even = (id: number): boolean => id % 2 === 0;
    assertNearTruth(index.search(q, 10, even), truth, q, bruteForce(truth, q, 10, even));
  }
  assert.equal(index.search(data[0]!, 10, () => false).length, 0);
  assert.equal(index.search(data[0]!, 0).length, 0);
});

test('bad vectors and ids are refused with a clear error, and a bad batch changes nothing', () => {
  const index = createVectorIndex(DIMS);
  assert.throws(() => index.add(1, new Float32Array(DIMS)), /not all zeros/);
  assert.throws(() => index.add(1, new Float32Array(DIMS - 1).fill(1)), /32 numbers/);
  assert.throws(() => index.add(1, new Float32Array(DIMS).fill(NaN)), /finite/);
  assert.throws(() => index.add(0, new Float32Array(DIMS).fill(1)), /positive integer/);
  assert.throws(() => index.add(1.5, new Float32Array(DIMS).fill(1)), /positive integer/);
  assert.throws(() => index.search(new Float32Array(3), 5), /32 numbers/);
  assert.throws(
    () =>
      index.addMany([
        { id: 1, vector: new Float32Array(DIMS).fill(1) },
        { id: 2, vector: new Float32Array(DIMS) },
      ]),
    /not all zeros/,
  );
  assert.equal(index.size, 0);
  assert.throws(() => new TieredVectorIndex(0), /dims/);
});

test('tiered index: coded from the threshold, recall against brute force, back to exact well below it', () => {
  const data = dataset(3000, 3);
  // rerank 64 of 3000: the codes really choose (the default depth would score every row at this size).
  const index = createVectorIndex(DIMS, { exactBelow: 1000, rerank: 64 });
  data.slice(0, 999).forEach((v, i) => index.add(i + 1, v));
  assert.equal(index.mode, 'exact');
  index.add(1000, data[999]!);
  assert.equal(index.mode, 'coded');
  index.addMany(data.slice(1000).map((vector, i) => ({ id: 1001 + i, vector })));
  assert.equal(index.size, 3000);
  const truth = new Map(data.map((v, i) => [i + 1, v]));
  const recall = (): number => {
    let found = 0;
    for (let i = 0; i < 50; i++) {
      const q = data[i * 53]!.map((x, j) => x + 0.05 * Math.sin(i + j));
      const hits = index.search(q, 10);
      for (const h of hits) assert.ok(Math.abs(h.score - cosine(q, truth.get(h.id)!)) < 1e-4, 'exact scores');
      const want = new Set(bruteForce(truth, q, 10));
      found += hits.filter((h) => want.has(h.id)).length;
    }
    return found / 500;
  };
  assert.ok(recall() >= 0.9, `recall@10 ${recall()}`);
  // Replacements and removals keep codes and rows in step (removal moves the last slot into the gap).
  const moved = Float32Array.from({ length: DIMS }, (_, i) => (i % 3 ? 2 : -2));
  index.add(10, moved);
  truth.set(10, moved);
  for (let id = 2000; id <= 2600; id++) {
    index.remove(id);
    truth.delete(id);
  }
  assert.equal(index.search(moved, 1)[0]?.id, 10);
  assert.ok(!index.search(data[2100]!, 50).some((h) => h.id >= 2000 && h.id <= 2600));
  assert.ok(recall() >= 0.9, `after writes: recall@10 ${recall()}`);
  for (let id = 1; id <= 1999; id++) index.remove(id);
  assert.equal(index.mode, 'exact', '400 < 1000 / 2');
  truth.forEach((_, id) => id <= 1999 && truth.delete(id));
  const q = data[2800]!;
  assertNearTruth(index.search(q, 10), truth, q, bruteForce(truth, q, 10));
});

test('tiered index: a filter or a subset within the rerank depth gets the true top-k', () => {
  const data = dataset(5000, 4);
  const index = createVectorIndex(DIMS, { exactBelow: 1000, rerank: 64 });
  index.addMany(data.map((vector, i) => ({ id: i + 1, vector })));
  assert.equal(index.mode, 'coded');
  const truth = new Map(data.map((v, i) => [i + 1, v]));
  const r = rng(5);
  for (const keep of [0.002, 0.01, 0.3]) {
    const allowed = new Set([...truth.keys()].filter(() => r() < keep));
    const allow = (id: number): boolean => allowed.has(id);
    for (let i = 0; i < 10; i++) {
      const q = data[Math.floor(r() * 5000)]!;
      const want = bruteForce(truth, q, 10, allow);
      const got = index.search(q, 10, allow);
      assert.ok(got.every((h) => allow(h.id)));
      const among = index.searchAmong(normalized(q, DIMS), 10, [...allowed, 999_999]);
      if (allowed.size <= 64) {
        assertNearTruth(got, truth, q, want);
        assertNearTruth(among, truth, q, want);
      } else {
        assert.ok(got.filter((h) => want.includes(h.id)).length >= 8, `filter keeping ${keep}`);
        assert.ok(among.filter((h) => want.includes(h.id)).length >= 8, `subset of ${allowed.size}`);
      }
    }
  }
});

test('tiered index: rows on disk answer exactly as rows in memory, and close() releases them', () => {
  const data = dataset(2500, 11);
  const dir = tempDir();
  const disk = new TieredVectorIndex(DIMS, { exactBelow: 1000, rerank: 100, dir });
  const memory = new TieredVectorIndex(DIMS, { exactBelow: 1000, rerank: 100 });
  assert.equal(disk.onDisk, true);
  for (const index of [disk, memory]) {
    index.addMany(data.map((vector, i) => ({ id: i + 1, vector })));
    index.addMany([
      { id: 5, vector: data[0]! },
      { id: 5, vector: data[1]! }, // the same id twice in a batch: the later vector wins
      { id: 9000, vector: data[2]! },
      { id: 9000, vector: data[3]! },
    ]);
    for (let id = 100; id < 300; id++) index.remove(id);
  }
  assert.equal(disk.size, memory.size);
  assert.ok(cosine(disk.vector(5)!, data[1]!) > 0.9999);
  assert.ok(cosine(disk.vector(9000)!, data[3]!) > 0.9999);
  for (let i = 0; i < 30; i++) {
    const q = data[i * 61]!;
    assert.deepEqual(disk.search(q, 10), memory.search(q, 10));
    assert.deepEqual(
      disk.search(q, 5, (id) => id % 3 === 0),
      memory.search(q, 5, (id) => id % 3 === 0),
    );
  }
  assert.deepEqual(readdirSync(dir), []);
  disk.close();
  assert.throws(() => disk.search(data[0]!, 3), /closed/);
});
