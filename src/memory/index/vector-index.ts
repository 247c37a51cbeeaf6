// The vector index the memory service uses where the store has no `$vectorSearch` (createVectorIndex): exact
// brute force below `exactBelow` vectors, HNSW (usearch) from there on. Every vector is also kept in an ExactIndex
// (i16 with a scale per row by default), which rescores HNSW hits exactly, answers filters that keep few items, covers items the graph has
// not taken in yet (start-up catch-up), and lets the graph be rebuilt without re-embedding.

import { HnswIndex, type HnswOptions } from './hnsw-index.ts';
import {
  checkId,
  ExactIndex,
  normalized,
  TopK,
  type RowPrecision,
  type ScoredId,
  type VectorIndex,
} from './vector-core.ts';

export { checkId, ExactIndex, normalized, TopK, type RowPrecision, type ScoredId } from './vector-core.ts';
export { HNSW_DEFAULTS, HnswIndex, type HnswOptions } from './hnsw-index.ts';

export interface VectorIndexOptions {
  /** Below this many vectors every search is exact (brute force); at it, an HNSW graph is built. Default 5000. */
  exactBelow?: number;
  hnsw?: HnswOptions;
  /** How the rows every search is scored with are kept: 'i16' (default, half the memory) or 'f32'. */
  precision?: RowPrecision;
}

/**
 * Exact below `exactBelow` vectors, HNSW from there on, exact answers for selective filters. Ids in `pending` are
 * in the ExactIndex but not yet in the graph (a deferred start-up build): searches cover them exactly until
 * catchUp() has moved them in, so results never depend on how far the graph has got.
 */
export class TieredVectorIndex implements VectorIndex {
  readonly dims: number;
  readonly exactBelow: number;
  readonly #exact: ExactIndex;
  readonly #hnswOptions: HnswOptions;
  readonly #pending = new Set<number>();
  #hnsw: HnswIndex | undefined;

  constructor(dims: number, options: VectorIndexOptions = {}) {
    this.dims = dims;
    this.#exact = new ExactIndex(dims, 1024, { precision: options.precision ?? 'i16' });
    this.exactBelow = Math.max(1, options.exactBelow ?? 5000);
    this.#hnswOptions = options.hnsw ?? {};
  }

  get size(): number {
    return this.#exact.size;
  }

  /** How the rows searches are scored with are kept. */
  get precision(): RowPrecision {
    return this.#exact.precision;
  }

  /** Vectors waiting to enter the graph. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Which search a query without a filter takes now. */
  get mode(): 'exact' | 'hnsw' {
    return this.#hnsw && this.size >= this.exactBelow && this.#pending.size <= this.size / 2 ? 'hnsw' : 'exact';
  }

  has(id: number): boolean {
    return this.#exact.has(id);
  }

  add(id: number, v: Float32Array): void {
    checkId(id);
    const unit = normalized(v, this.dims);
    this.#exact.addNormalized(id, unit);
    // A pending id stays pending: catchUp reads its latest vector from the ExactIndex.
    if (this.#hnsw && !this.#pending.has(id)) this.#hnsw.addNormalized(id, unit);
    else if (!this.#hnsw && this.size >= this.exactBelow) this.#build();
  }

  /**
   * Start-up path: checks every vector first (all or nothing), then inserts them into the graph in one native
   * multi-threaded batch — or, with `deferGraph`, leaves them pending for catchUp() so start-up does not wait.
   */
  addMany(items: ReadonlyArray<{ id: number; vector: Float32Array }>, options: { deferGraph?: boolean } = {}): void {
    const units = items.map(({ id, vector }) => {
      checkId(id);
      return normalized(vector, this.dims);
    });
    items.forEach(({ id }, i) => this.#exact.addNormalized(id, units[i]!));
    if (!this.#hnsw && this.size < this.exactBelow) return;
    if (options.deferGraph) {
      this.#hnsw ??= new HnswIndex(this.dims, this.#hnswOptions);
      for (const { id } of items) this.#pending.add(id);
      return;
    }
    if (!this.#hnsw) return this.#build();
    const ids = [...new Set(items.map((it) => it.id))].filter((id) => !this.#pending.has(id));
    this.#insert(ids);
  }

  /** Moves pending vectors into the graph, `batch` at a time, yielding to the event loop between batches. */
  async catchUp(batch = 64): Promise<void> {
    while (this.#hnsw && this.#pending.size > 0) {
      const ids: number[] = [];
      for (const id of this.#pending) {
        ids.push(id);
        if (ids.length >= batch) break;
      }
      this.#insert(ids);
      for (const id of ids) this.#pending.delete(id);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  remove(id: number): void {
    this.#exact.remove(id);
    this.#pending.delete(id);
    this.#hnsw?.remove(id);
    // Hysteresis: the graph goes only when the set has shrunk well below the threshold.
    if (this.#hnsw && this.size < this.exactBelow / 2) {
      this.#hnsw = undefined;
      this.#pending.clear();
    }
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
    if (!hnsw || this.mode === 'exact' || k <= 0) return this.#exact.searchNormalized(unit, k, allow);
    const hits = this.#graphSearch(hnsw, unit, k, allow);
    if (this.#pending.size === 0) return hits;
    // Not yet in the graph: scored exactly and merged.
    const top = new TopK(k);
    for (const h of hits) top.push(h.id, h.score);
    for (const id of this.#pending) if (!allow || allow(id)) top.push(id, this.#exact.cosine(unit, id)!);
    return top.toArray();
  }

  /** Exact top-k among the given ids only (ids without a vector are skipped): for small, known subsets. */
  searchAmong(unit: Float32Array, k: number, ids: Iterable<number>): ScoredId[] {
    return this.#exact.searchAmong(unit, k, ids);
  }

  #graphSearch(
    hnsw: HnswIndex,
    unit: Float32Array,
    k: number,
    allow: ((id: number) => boolean) | undefined,
  ): ScoredId[] {
    // Graph candidates (4k, at least 40) rescored from the ExactIndex's rows, scaled per row: undoes the coarser
    // ranking of usearch's i8 (one scale for every vector).
    if (!allow) return this.#rescore(unit, hnsw.nearest(unit, Math.max(4 * k, 40)), k);
    // Filtered: over-fetch from the graph while that stays shallow (where HNSW is accurate); a filter so selective
    // that the allowed items would sit deep in the graph's ranking gets an exact scan instead, which is cheap then
    // because the scan computes dot products only for allowed ids.
    const n = hnsw.size;
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
    const pending = this.#pending;
    return this.#exact.searchNormalized(unit, k, pending.size === 0 ? allow : (id) => !pending.has(id) && allow(id));
  }

  #rescore(unit: Float32Array, hits: ScoredId[], k: number): ScoredId[] {
    const top = new TopK(k);
    for (const h of hits) top.push(h.id, this.#exact.cosine(unit, h.id) ?? h.score);
    return top.toArray();
  }

  /** Inserts the current vectors of `ids` (all in the ExactIndex) into the graph in one native batch. */
  #insert(ids: readonly number[]): void {
    if (!this.#hnsw || ids.length === 0) return;
    const rows = new Float32Array(ids.length * this.dims);
    ids.forEach((id, i) => rows.set(this.#exact.vector(id)!, i * this.dims));
    this.#hnsw.addManyNormalized(ids, rows);
  }

  #build(): void {
    this.#hnsw = new HnswIndex(this.dims, this.#hnswOptions);
    this.#pending.clear();
    this.#insert([...this.#exact.entries()].map(([id]) => id));
  }
}

/** The vector index the memory service uses where the store cannot search vectors itself. */
export function createVectorIndex(dims: number, options: VectorIndexOptions = {}): TieredVectorIndex {
  return new TieredVectorIndex(dims, options);
}
