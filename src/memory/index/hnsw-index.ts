// HNSW over usearch (native, prebuilt): approximate cosine search in about a millisecond at 100k vectors. Keys are
// memory ids as bigint; usearch grows its capacity itself (next power of two) and reuses removed slots, and a
// replacement is a removal then an insert because it refuses duplicate keys.

import usearch from 'usearch';
import { checkId, normalized, type ScoredId, type VectorIndex } from './vector-core.ts';

export interface HnswOptions {
  /** Graph degree M (usearch `connectivity`); more = better recall, more memory, slower inserts. */
  connectivity?: number;
  /** Candidate list size while inserting (efConstruction). */
  expansionAdd?: number;
  /** Candidate list size while searching (ef); the main recall/latency knob. */
  expansionSearch?: number;
  /** How usearch stores vectors; the tiered index rescores exactly from its own f32 copy, so i8 costs little. */
  quantization?: 'f32' | 'f16' | 'i8';
  /** Threads for bulk inserts (0 = all cores). Single inserts and searches always run on the calling thread. */
  threads?: number;
}

/**
 * Tuned on bench/recall.ts (384-d, 100k clustered memories, this 2-core machine): M 32 and ef 128 give recall@10 ≈ 0.99
 * once the tiered index rescores 4k graph candidates exactly; i8 storage halves build time and memory against f16
 * and its ranking error is removed by that rescoring. M 16 / ef 64 stayed near 0.9 on the same data.
 */
export const HNSW_DEFAULTS: Required<HnswOptions> = {
  connectivity: 32,
  expansionAdd: 128,
  expansionSearch: 128,
  quantization: 'i8',
  threads: 0,
};

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
    this.#index.add(
      BigUint64Array.from(ids, (id) => BigInt(id)),
      rows,
      this.options.threads,
    );
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
