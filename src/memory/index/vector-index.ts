// The vector index the memory service uses: every vector is a row scored exactly (vector-rows.ts, in memory or on
// disk). Below `exactBelow` vectors a search scores every row. From there on each vector also has a one-bit code in
// memory (sign-codes.ts): a search scans the codes for its best `rerank` candidates and scores only those exactly.
//
// Why not a graph (HNSW): a graph and the rows it rescores with have to stay in memory, ~185 MB at 100k 384-d
// vectors; codes plus rows on disk keep ~7 MB in the process for the same recall@10 (≥ 0.99 on bench/recall.ts),
// at ~7 ms a search instead of ~1. See ARCHITECTURE.md, "Memory".

import { SignCodes } from './sign-codes.ts';
import { checkId, normalized, normalizeInto, TopK, type ScoredId, type VectorIndex } from './vector-core.ts';
import { VectorRows } from './vector-rows.ts';

export { checkId, normalized, TopK, type ScoredId } from './vector-core.ts';

export interface VectorIndexOptions {
  /** Below this many vectors every search is exact; at it, codes are built. Default 5000. */
  exactBelow?: number;
  /** Candidates scored exactly per coded search (at least 16 × k). Default 1024. */
  rerank?: number;
  /** A folder for the rows (a file removed from it at once, see vector-rows.ts); without it they stay in memory. */
  dir?: string;
}

export class TieredVectorIndex implements VectorIndex {
  readonly dims: number;
  readonly exactBelow: number;
  readonly rerank: number;
  readonly #rows: VectorRows;
  #codes: SignCodes | undefined;
  #ids = new Float64Array(1024);
  readonly #slots = new Map<number, number>();
  /** How many vectors reserve() was told to expect. */
  #expected = 0;

  constructor(dims: number, options: VectorIndexOptions = {}) {
    if (!Number.isInteger(dims) || dims <= 0) throw new RangeError(`dims must be a positive integer, got ${dims}`);
    this.dims = dims;
    this.exactBelow = Math.max(1, options.exactBelow ?? 5000);
    this.rerank = Math.max(1, options.rerank ?? 1024);
    this.#rows = options.dir ? VectorRows.inFile(dims, options.dir) : VectorRows.inMemory(dims);
  }

  get size(): number {
    return this.#slots.size;
  }

  /** Which search a query takes now. */
  get mode(): 'exact' | 'coded' {
    return this.#codes ? 'coded' : 'exact';
  }

  /** Whether the rows are in a file (see vector-rows.ts). */
  get onDisk(): boolean {
    return this.#rows.onDisk;
  }

  has(id: number): boolean {
    return this.#slots.has(id);
  }

  /** Makes room for `n` vectors at once (start-up: the number of memories), instead of growing by steps. */
  reserve(n: number): void {
    this.#expected = Math.max(this.#expected, n);
    if (n > this.#ids.length) this.#growIds(n);
    this.#codes?.reserve(n);
  }

  add(id: number, v: Float32Array): void {
    checkId(id);
    this.addMany([{ id, vector: v }]);
  }

  /** Adds or replaces many vectors; new ids are written to disk in one call. */
  addMany(items: ReadonlyArray<{ id: number; vector: Float32Array }>): void {
    // Checked first, all or nothing; an id given twice keeps its later vector. One array for the batch's unit
    // vectors, not one per vector: start-up loads 100k, and each small array would be its own allocation.
    const batch = new Float32Array(items.length * this.dims);
    const units = new Map<number, Float32Array>();
    items.forEach(({ id, vector }, i) => {
      checkId(id);
      units.set(id, normalizeInto(vector, this.dims, batch, i * this.dims));
    });
    // Rows are written before any id is linked to its slot: a failed write (a full disk) leaves every id either
    // with its old vector or without one, never pointing at a row that is not there.
    const fresh: Array<[number, Float32Array]> = [];
    for (const [id, unit] of units) {
      const slot = this.#slots.get(id);
      if (slot === undefined) {
        fresh.push([id, unit]);
        continue;
      }
      this.#rows.write(slot, unit);
      this.#codes?.set(slot, unit);
    }
    const first = this.#slots.size;
    this.#rows.writeMany(
      first,
      fresh.map(([, unit]) => unit),
    );
    if (first + fresh.length > this.#ids.length) this.#growIds(first + fresh.length);
    fresh.forEach(([id, unit], i) => {
      this.#ids[first + i] = id;
      this.#slots.set(id, first + i);
      this.#codes?.set(first + i, unit);
    });
    if (!this.#codes && this.size >= this.exactBelow) this.#buildCodes();
  }

  remove(id: number): void {
    const slot = this.#slots.get(id);
    if (slot === undefined) return;
    const last = this.#slots.size - 1;
    if (slot !== last) {
      const lastId = this.#ids[last]!;
      this.#rows.copy(last, slot);
      this.#codes?.copy(last, slot);
      this.#ids[slot] = lastId;
      this.#slots.set(lastId, slot);
    }
    this.#slots.delete(id);
    // Hysteresis: the codes go only when the set has shrunk well below the threshold.
    if (this.#codes && this.size < this.exactBelow / 2) this.#codes = undefined;
  }

  /** Cosine between a unit-length query and the vector of `id`; undefined when `id` has no vector. */
  cosine(unitQuery: Float32Array, id: number): number | undefined {
    const slot = this.#slots.get(id);
    return slot === undefined ? undefined : this.#rows.score(unitQuery, slot);
  }

  /** The stored unit vector of `id` (decoded from its row). */
  vector(id: number): Float32Array | undefined {
    const slot = this.#slots.get(id);
    return slot === undefined ? undefined : this.#rows.vector(slot);
  }

  search(q: Float32Array, k: number, allow?: (id: number) => boolean): ScoredId[] {
    return this.searchNormalized(normalized(q, this.dims), k, allow);
  }

  searchNormalized(unit: Float32Array, k: number, allow?: (id: number) => boolean): ScoredId[] {
    const n = this.size;
    const top = new TopK(Math.max(0, Math.min(k, n)));
    if (top.k === 0) return [];
    const ids = this.#ids;
    // The filter runs before any scoring, so a selective filter makes either scan cheap.
    const want = allow && ((slot: number) => allow(ids[slot]!));
    const r = this.#depth(k);
    if (!this.#codes || r >= n) {
      this.#rows.scan(unit, n, (slot, score) => top.push(ids[slot]!, score), want);
      return top.toArray();
    }
    for (const slot of this.#codes.candidates(unit, r, n, want)) top.push(ids[slot]!, this.#rows.score(unit, slot));
    return top.toArray();
  }

  /** Top-k among the given ids only (ids without a vector are skipped): exact up to `rerank` of them. */
  searchAmong(unit: Float32Array, k: number, ids: Iterable<number>): ScoredId[] {
    const slots: number[] = [];
    for (const id of new Set(ids)) {
      const slot = this.#slots.get(id);
      if (slot !== undefined) slots.push(slot);
    }
    const top = new TopK(k);
    const r = this.#depth(k);
    const chosen = this.#codes && slots.length > r ? this.#codes.candidatesAmong(unit, r, slots) : slots;
    for (const slot of chosen) top.push(this.#ids[slot]!, this.#rows.score(unit, slot));
    return top.toArray();
  }

  /** Releases the rows' file (an index is replaced when the recall index is rebuilt). */
  close(): void {
    this.#rows.close();
  }

  /** How many code candidates are scored exactly for a top-k. */
  #depth(k: number): number {
    return Math.max(this.rerank, 16 * k);
  }

  /** Codes for every row, centred on the mean of the rows there are now (read back once). */
  #buildCodes(): void {
    const n = this.size;
    const mean = new Float64Array(this.dims);
    this.#rows.forEach(n, (_, v) => {
      for (let i = 0; i < this.dims; i++) mean[i]! += v[i]!;
    });
    const codes = new SignCodes(
      Float32Array.from(mean, (x) => x / n),
      Math.ceil(n * 1.5),
    );
    this.#rows.forEach(n, (slot, v) => codes.set(slot, v));
    this.#codes = codes;
  }

  #growIds(needed = 0): void {
    const ids = new Float64Array(Math.max(needed, Math.ceil(this.#ids.length * 1.5) + 16));
    ids.set(this.#ids);
    this.#ids = ids;
  }
}

/** The vector index the memory service uses where the store cannot search vectors itself. */
export function createVectorIndex(dims: number, options: VectorIndexOptions = {}): TieredVectorIndex {
  return new TieredVectorIndex(dims, options);
}
