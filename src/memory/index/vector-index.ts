// In-process vector indexes for memory recall (cosine similarity), used where the store has no `$vectorSearch`.
// ExactIndex: flat Float32Array rows, brute force; exact, and fast enough below a few thousand vectors.
// HnswIndex: usearch's HNSW graph (native, prebuilt); approximate, sub-millisecond at 100k.
// TieredVectorIndex (createVectorIndex): keeps every vector in an ExactIndex (the truth, used for exact rescoring
// and for filters that reject most items) and adds an HNSW graph once the set is large enough to need one.

import usearch from 'usearch';

export interface ScoredId {
  id: number;
  /** Cosine similarity, -1..1. */
  score: number;
}

export interface VectorIndex {
  readonly dims: number;
  readonly size: number;
  /** Adds or replaces the vector of `id`. Vectors need not be normalised; a zero or non-finite vector is refused. */
  add(id: number, v: Float32Array): void;
  remove(id: number): void;
  has(id: number): boolean;
  /** Best `k` by cosine, highest first; `allow` (when given) keeps only the ids it accepts. */
  search(q: Float32Array, k: number, allow?: (id: number) => boolean): ScoredId[];
}

export function checkId(id: number): void {
  if (!Number.isSafeInteger(id) || id <= 0) throw new RangeError(`memory id must be a positive integer, got ${String(id)}`);
}

/** A unit-length copy of `v` (throws on wrong length, zero length or non-finite values). */
export function normalized(v: Float32Array, dims: number): Float32Array {
  if (!(v instanceof Float32Array) || v.length !== dims) {
    throw new RangeError(`vector must be a Float32Array of ${dims} numbers, got ${v instanceof Float32Array ? v.length : typeof v}`);
  }
  let sum = 0;
  for (let i = 0; i < dims; i++) sum += v[i]! * v[i]!;
  if (!Number.isFinite(sum) || sum === 0) throw new RangeError('vector must be finite and not all zeros');
  const inv = 1 / Math.sqrt(sum);
  const out = new Float32Array(dims);
  for (let i = 0; i < dims; i++) out[i] = v[i]! * inv;
  return out;
}

/** Keeps the best `k` (score, id) pairs seen, best first; ties go to the larger (newer) id. */
export class TopK {
  readonly k: number;
  readonly ids: Float64Array;
  readonly scores: Float64Array;
  count = 0;
  constructor(k: number) {
    this.k = Math.max(0, Math.floor(k));
    this.ids = new Float64Array(this.k);
    this.scores = new Float64Array(this.k);
  }
  push(id: number, score: number): void {
    const { ids, scores, k } = this;
    let i: number;
    if (this.count < k) i = this.count++;
    else {
      if (k === 0) return;
      const floor = scores[k - 1]!;
      if (score < floor || (score === floor && id <= ids[k - 1]!)) return;
      i = k - 1;
    }
    while (i > 0 && (scores[i - 1]! < score || (scores[i - 1] === score && ids[i - 1]! < id))) {
      scores[i] = scores[i - 1]!;
      ids[i] = ids[i - 1]!;
      i--;
    }
    scores[i] = score;
    ids[i] = id;
  }
  toArray(): ScoredId[] {
    const out: ScoredId[] = [];
    for (let i = 0; i < this.count; i++) out.push({ id: this.ids[i]!, score: this.scores[i]! });
    return out;
  }
}

function dot(a: Float32Array, b: Float32Array, offset: number, dims: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < dims; i += 4) {
    s0 += a[i]! * b[offset + i]!;
    s1 += a[i + 1]! * b[offset + i + 1]!;
    s2 += a[i + 2]! * b[offset + i + 2]!;
    s3 += a[i + 3]! * b[offset + i + 3]!;
  }
  for (; i < dims; i++) s0 += a[i]! * b[offset + i]!;
  return s0 + s1 + s2 + s3;
}

/** Brute force over unit-length rows kept in one growing Float32Array; removal moves the last row into the gap. */
export class ExactIndex implements VectorIndex {
  readonly dims: number;
  #data: Float32Array;
  #ids: Float64Array;
  readonly #slots = new Map<number, number>();

  constructor(dims: number, initialCapacity = 1024) {
    if (!Number.isInteger(dims) || dims <= 0) throw new RangeError(`dims must be a positive integer, got ${dims}`);
    this.dims = dims;
    this.#data = new Float32Array(initialCapacity * dims);
    this.#ids = new Float64Array(initialCapacity);
  }

  get size(): number {
    return this.#slots.size;
  }

  has(id: number): boolean {
    return this.#slots.has(id);
  }

  add(id: number, v: Float32Array): void {
    checkId(id);
    this.addNormalized(id, normalized(v, this.dims));
  }

  /** `add` for a vector already checked and normalised by the caller. */
  addNormalized(id: number, unit: Float32Array): void {
    let slot = this.#slots.get(id);
    if (slot === undefined) {
      slot = this.#slots.size;
      if (slot >= this.#ids.length) this.#grow();
      this.#slots.set(id, slot);
      this.#ids[slot] = id;
    }
    this.#data.set(unit, slot * this.dims);
  }

  remove(id: number): void {
    const slot = this.#slots.get(id);
    if (slot === undefined) return;
    const last = this.#slots.size - 1;
    if (slot !== last) {
      const lastId = this.#ids[last]!;
      this.#data.copyWithin(slot * this.dims, last * this.dims, (last + 1) * this.dims);
      this.#ids[slot] = lastId;
      this.#slots.set(lastId, slot);
    }
    this.#slots.delete(id);
  }

  /** The stored unit vector of `id` (a view: copy it before keeping it across writes). */
  vector(id: number): Float32Array | undefined {
    const slot = this.#slots.get(id);
    return slot === undefined ? undefined : this.#data.subarray(slot * this.dims, (slot + 1) * this.dims);
  }

  /** Cosine between a unit-length query and the stored vector of `id`; undefined when `id` has none. */
  cosine(unitQuery: Float32Array, id: number): number | undefined {
    const slot = this.#slots.get(id);
    return slot === undefined ? undefined : dot(unitQuery, this.#data, slot * this.dims, this.dims);
  }

  search(q: Float32Array, k: number, allow?: (id: number) => boolean): ScoredId[] {
    return this.searchNormalized(normalized(q, this.dims), k, allow);
  }

  searchNormalized(unit: Float32Array, k: number, allow?: (id: number) => boolean): ScoredId[] {
    const n = this.#slots.size;
    const top = new TopK(Math.max(0, Math.min(k, n)));
    if (top.k === 0) return [];
    const data = this.#data;
    const ids = this.#ids;
    const dims = this.dims;
    for (let slot = 0; slot < n; slot++) {
      const id = ids[slot]!;
      // The filter runs before the dot product, so a selective filter makes the scan cheap.
      if (allow && !allow(id)) continue;
      top.push(id, dot(unit, data, slot * dims, dims));
    }
    return top.toArray();
  }

  /** Exact top-k among the given ids only (ids without a vector are skipped). */
  searchAmong(unit: Float32Array, k: number, ids: Iterable<number>): ScoredId[] {
    const top = new TopK(k);
    for (const id of ids) {
      const slot = this.#slots.get(id);
      if (slot !== undefined) top.push(id, dot(unit, this.#data, slot * this.dims, this.dims));
    }
    return top.toArray();
  }

  /** Every stored id with its unit vector, in slot order. */
  *entries(): Generator<[number, Float32Array]> {
    for (const [id, slot] of this.#slots) yield [id, this.#data.subarray(slot * this.dims, (slot + 1) * this.dims)];
  }

  #grow(): void {
    const capacity = this.#ids.length * 2;
    const data = new Float32Array(capacity * this.dims);
    data.set(this.#data);
    const ids = new Float64Array(capacity);
    ids.set(this.#ids);
    this.#data = data;
    this.#ids = ids;
  }
}

export interface HnswOptions {
  /** Graph degree M (usearch `connectivity`); more = better recall, more memory, slower inserts. */
  connectivity?: number;
  /** Candidate list size while inserting (efConstruction). */
  expansionAdd?: number;
  /** Candidate list size while searching (ef); the main recall/latency knob. */
  expansionSearch?: number;
  /** How usearch stores vectors; the tiered index rescores exactly from its own f32 copy, so f16 costs little. */
  quantization?: 'f32' | 'f16' | 'i8';
  /** Threads for bulk inserts (0 = all cores). Single inserts and searches always run on the calling thread. */
  threads?: number;
}

export const HNSW_DEFAULTS: Required<HnswOptions> = { connectivity: 16, expansionAdd: 128, expansionSearch: 64, quantization: 'f16', threads: 0 };

const SCALARS = { f32: usearch.ScalarKind.F32, f16: usearch.ScalarKind.F16, i8: usearch.ScalarKind.I8 } as const;

/** usearch HNSW (cosine). Keys are the memory ids as bigint. It keeps no JS copy of the vectors. */
export class HnswIndex implements VectorIndex {
  readonly dims: number;
  readonly options: Required<HnswOptions>;
  readonly #index: InstanceType<typeof usearch.Index>;
  readonly #ids = new Set<number>();

  constructor(dims: number, options: HnswOptions = {}) {
    if (!Number.isInteger(dims) || dims <= 0) throw new RangeError(`dims must be a positive integer, got ${dims}`);
    this.dims = dims;
    this.options = { ...HNSW_DEFAULTS, ...options };
    this.#index = new usearch.Index({
      dimensions: dims,
      metric: usearch.MetricKind.Cos,
      quantization: SCALARS[this.options.quantization],
      connectivity: this.options.connectivity,
      expansion_add: this.options.expansionAdd,
      expansion_search: this.options.expansionSearch,
      multi: false,
    });
  }

  get size(): number {
    return this.#ids.size;
  }

  /** Slots reserved natively (usearch grows to the next power of two and reuses removed slots). */
  get capacity(): number {
    return this.#index.capacity();
  }

  has(id: number): boolean {
    return this.#ids.has(id);
  }

  add(id: number, v: Float32Array): void {
    checkId(id);
    this.addNormalized(id, normalized(v, this.dims));
  }

  addNormalized(id: number, unit: Float32Array): void {
    // usearch refuses duplicate keys: a replacement is a removal then an insert (the freed slot is reused).
    if (this.#ids.has(id)) this.#index.remove(BigInt(id));
    this.#index.add(BigInt(id), unit, 1);
    this.#ids.add(id);
  }

  /** Inserts many rows (`rows` holds ids.length unit vectors back to back) in one native call, on several threads. */
  addManyNormalized(ids: readonly number[], rows: Float32Array): void {
    if (rows.length !== ids.length * this.dims) throw new RangeError('rows must hold ids.length vectors');
    if (ids.length === 0) return;
    if (new Set(ids).size !== ids.length) throw new RangeError('ids must be distinct');
    const existing = ids.filter((id) => this.#ids.has(id));
    if (existing.length > 0) this.#index.remove(BigUint64Array.from(existing, (id) => BigInt(id)));
    this.#index.add(BigUint64Array.from(ids, (id) => BigInt(id)), rows, this.options.threads);
    for (const id of ids) this.#ids.add(id);
  }

  remove(id: number): void {
    if (!this.#ids.delete(id)) return;
    this.#index.remove(BigInt(id));
  }

  search(q: Float32Array, k: number, allow?: (id: number) => boolean): ScoredId[] {
    return this.searchNormalized(normalized(q, this.dims), k, allow);
  }

  /**
   * Approximate top-k. With `allow`, over-fetches (4k, then 4× more, up to `maxFetch`) and filters; a filter that
   * rejects nearly everything can leave fewer than k here — TieredVectorIndex then falls back to exact search.
   */
  searchNormalized(unit: Float32Array, k: number, allow?: (id: number) => boolean, maxFetch = 4096): ScoredId[] {
    const n = this.#ids.size;
    if (k <= 0 || n === 0) return [];
    if (!allow) return this.nearest(unit, k);
    let fetch = Math.min(n, Math.max(4 * k, 40));
    for (;;) {
      const hits = this.nearest(unit, fetch).filter((h) => allow(h.id));
      if (hits.length >= k || fetch >= n || fetch >= maxFetch) return hits.slice(0, k);
      fetch = Math.min(n, maxFetch, fetch * 4);
    }
  }

  /** The graph's k nearest to a unit-length query, unfiltered. */
  nearest(unit: Float32Array, k: number): ScoredId[] {
    if (k <= 0 || this.#ids.size === 0) return [];
    const m = this.#index.search(unit, Math.min(k, this.#ids.size), 1);
    const out: ScoredId[] = [];
    for (let i = 0; i < m.keys.length; i++) out.push({ id: Number(m.keys[i]), score: 1 - m.distances[i]! });
    return out;
  }
}

export interface VectorIndexOptions {
  /** Below this many vectors every search is exact (brute force); at it, an HNSW graph is built. Default 5000. */
  exactBelow?: number;
  hnsw?: HnswOptions;
}

/**
 * Exact below `exactBelow` vectors, HNSW above, exact fallback for selective filters. Every vector is also kept as
 * f32 in an ExactIndex, so HNSW hits are rescored with exact cosines and a tier change needs no re-embedding.
 */
export class TieredVectorIndex implements VectorIndex {
  readonly dims: number;
  readonly exactBelow: number;
  readonly #exact: ExactIndex;
  readonly #hnswOptions: HnswOptions;
  #hnsw: HnswIndex | undefined;

  constructor(dims: number, options: VectorIndexOptions = {}) {
    this.dims = dims;
    this.#exact = new ExactIndex(dims);
    this.exactBelow = Math.max(1, options.exactBelow ?? 5000);
    this.#hnswOptions = options.hnsw ?? {};
  }

  get size(): number {
    return this.#exact.size;
  }

  /** Which search a query without a filter takes now. */
  get mode(): 'exact' | 'hnsw' {
    return this.#hnsw && this.size >= this.exactBelow ? 'hnsw' : 'exact';
  }

  has(id: number): boolean {
    return this.#exact.has(id);
  }

  add(id: number, v: Float32Array): void {
    checkId(id);
    const unit = normalized(v, this.dims);
    this.#exact.addNormalized(id, unit);
    if (this.#hnsw) this.#hnsw.addNormalized(id, unit);
    else if (this.size >= this.exactBelow) this.#build();
  }

  /** Start-up path: checks every vector first (all or nothing), then inserts them into the graph in one batch. */
  addMany(items: ReadonlyArray<{ id: number; vector: Float32Array }>): void {
    const units = items.map(({ id, vector }) => {
      checkId(id);
      return normalized(vector, this.dims);
    });
    items.forEach(({ id }, i) => this.#exact.addNormalized(id, units[i]!));
    if (!this.#hnsw) {
      if (this.size >= this.exactBelow) this.#build();
      return;
    }
    const last = new Map<number, Float32Array>();
    items.forEach(({ id }, i) => last.set(id, units[i]!));
    const rows = new Float32Array(last.size * this.dims);
    let r = 0;
    for (const unit of last.values()) rows.set(unit, r++ * this.dims);
    this.#hnsw.addManyNormalized([...last.keys()], rows);
  }

  remove(id: number): void {
    this.#exact.remove(id);
    this.#hnsw?.remove(id);
    // Hysteresis: the graph goes only when the set has shrunk well below the threshold.
    if (this.#hnsw && this.size < this.exactBelow / 2) this.#hnsw = undefined;
  }

  /** Cosine between a unit-length query and the vector of `id`; undefined when `id` has no vector. */
  cosine(unitQuery: Float32Array, id: number): number | undefined {
    return this.#exact.cosine(unitQuery, id);
  }

  search(q: Float32Array, k: number, allow?: (id: number) => boolean): ScoredId[] {
    return this.searchNormalized(normalized(q, this.dims), k, allow);
  }

  searchNormalized(unit: Float32Array, k: number, allow?: (id: number) => boolean): ScoredId[] {
    const hnsw = this.#hnsw;
    if (!hnsw || this.size < this.exactBelow || k <= 0) return this.#exact.searchNormalized(unit, k, allow);
    if (!allow) return this.#rescore(unit, hnsw.nearest(unit, k), k);
    // Filtered: over-fetch from the graph while that stays shallow (where HNSW is accurate); a filter so selective
    // that the allowed items would sit deep in the graph's ranking gets an exact scan instead, which is cheap then
    // because the scan computes dot products only for allowed ids.
    const n = this.size;
    const maxDepth = Math.max(16 * k, 160);
    let fetch = Math.min(n, Math.max(4 * k, 40));
    for (let round = 0; round < 2; round++) {
      const hits = hnsw.nearest(unit, fetch).filter((h) => allow(h.id));
      if (hits.length >= k) return this.#rescore(unit, hits, k);
      if (fetch >= n) break;
      const needed = hits.length === 0 ? Infinity : Math.ceil((2 * k * fetch) / hits.length);
      if (needed > maxDepth) break;
      fetch = Math.min(n, needed);
    }
    return this.#exact.searchNormalized(unit, k, allow);
  }

  /** Exact top-k among the given ids only (ids without a vector are skipped): for small, known subsets. */
  searchAmong(unit: Float32Array, k: number, ids: Iterable<number>): ScoredId[] {
    return this.#exact.searchAmong(unit, k, ids);
  }

  #rescore(unit: Float32Array, hits: ScoredId[], k: number): ScoredId[] {
    const top = new TopK(k);
    for (const h of hits) top.push(h.id, this.#exact.cosine(unit, h.id) ?? h.score);
    return top.toArray();
  }

  #build(): void {
    const hnsw = new HnswIndex(this.dims, this.#hnswOptions);
    const ids: number[] = [];
    const rows = new Float32Array(this.#exact.size * this.dims);
    for (const [id, unit] of this.#exact.entries()) {
      rows.set(unit, ids.length * this.dims);
      ids.push(id);
    }
    hnsw.addManyNormalized(ids, rows);
    this.#hnsw = hnsw;
  }
}

/** The vector index the memory service uses where the store cannot search vectors itself. */
export function createVectorIndex(dims: number, options: VectorIndexOptions = {}): TieredVectorIndex {
  return new TieredVectorIndex(dims, options);
}
