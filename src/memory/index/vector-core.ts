// Vector index basics shared by the exact and HNSW indexes: the interface, input checks, top-k selection, and
// ExactIndex — unit-length rows in one flat typed array, searched by brute force. Fast enough below a few thousand
// vectors; also what the tiered index rescores HNSW hits with. Rows are f32 (exact) or i16 with a scale per row
// (half the memory; a cosine within ~1e-4 of the f32 one, recall@10 unchanged in bench/recall.ts, where i8 rows lost
// 1.5 points to near ties).

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
  if (!Number.isSafeInteger(id) || id <= 0)
    throw new RangeError(`memory id must be a positive integer, got ${String(id)}`);
}

/** A unit-length copy of `v` (throws on wrong length, zero length or non-finite values). */
export function normalized(v: Float32Array, dims: number): Float32Array {
  if (!(v instanceof Float32Array) || v.length !== dims) {
    throw new RangeError(
      `vector must be a Float32Array of ${dims} numbers, got ${v instanceof Float32Array ? v.length : typeof v}`,
    );
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

type Rows = Float32Array | Int16Array;

function dot(a: Float32Array, b: Rows, offset: number, dims: number): number {
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

/** How ExactIndex keeps its rows: f32 (exact), or i16 with one f32 scale per row (max |x| / 32767). */
export type RowPrecision = 'f32' | 'i16';

function makeRows(precision: RowPrecision, length: number): Rows {
  return precision === 'i16' ? new Int16Array(length) : new Float32Array(length);
}

/**
 * Brute force over unit-length rows kept in one growing typed array; removal moves the last row into the gap.
 * An i16 row takes 2·dims bytes plus a 4-byte scale instead of 4·dims: at 100k × 384-d, 77 MB instead of 154 MB.
 */
export class ExactIndex implements VectorIndex {
  readonly dims: number;
  readonly precision: RowPrecision;
  #data: Rows;
  /** i16 rows: what a row's integers are multiplied by to give the unit vector back. */
  #scales: Float32Array;
  #ids: Float64Array;
  readonly #slots = new Map<number, number>();

  constructor(dims: number, initialCapacity = 1024, options: { precision?: RowPrecision } = {}) {
    if (!Number.isInteger(dims) || dims <= 0) throw new RangeError(`dims must be a positive integer, got ${dims}`);
    this.dims = dims;
    this.precision = options.precision ?? 'f32';
    this.#data = makeRows(this.precision, initialCapacity * dims);
    this.#scales = new Float32Array(this.precision === 'f32' ? 0 : initialCapacity);
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
    const data = this.#data;
    if (data instanceof Float32Array) return data.set(unit, slot * this.dims);
    let max = 0;
    for (let i = 0; i < this.dims; i++) max = Math.max(max, Math.abs(unit[i]!));
    const scale = max / 32_767;
    const at = slot * this.dims;
    for (let i = 0; i < this.dims; i++) data[at + i] = Math.round(unit[i]! / scale);
    this.#scales[slot] = scale;
  }

  /** The cosine of a unit-length query with the row in `slot`. */
  #score(unit: Float32Array, slot: number): number {
    const d = dot(unit, this.#data, slot * this.dims, this.dims);
    return this.precision === 'f32' ? d : d * this.#scales[slot]!;
  }

  remove(id: number): void {
    const slot = this.#slots.get(id);
    if (slot === undefined) return;
    const last = this.#slots.size - 1;
    if (slot !== last) {
      const lastId = this.#ids[last]!;
      this.#data.copyWithin(slot * this.dims, last * this.dims, (last + 1) * this.dims);
      if (this.precision !== 'f32') this.#scales[slot] = this.#scales[last]!;
      this.#ids[slot] = lastId;
      this.#slots.set(lastId, slot);
    }
    this.#slots.delete(id);
  }

  /** The stored unit vector of `id` (f32: a view, copy it before keeping it across writes; i16: a decoded copy). */
  vector(id: number): Float32Array | undefined {
    const slot = this.#slots.get(id);
    return slot === undefined ? undefined : this.#row(slot);
  }

  #row(slot: number): Float32Array {
    const row = this.#data.subarray(slot * this.dims, (slot + 1) * this.dims);
    if (row instanceof Float32Array) return row;
    const scale = this.#scales[slot]!;
    return Float32Array.from(row, (x) => x * scale);
  }

  /** Cosine between a unit-length query and the stored vector of `id`; undefined when `id` has none. */
  cosine(unitQuery: Float32Array, id: number): number | undefined {
    const slot = this.#slots.get(id);
    return slot === undefined ? undefined : this.#score(unitQuery, slot);
  }

  search(q: Float32Array, k: number, allow?: (id: number) => boolean): ScoredId[] {
    return this.searchNormalized(normalized(q, this.dims), k, allow);
  }

  searchNormalized(unit: Float32Array, k: number, allow?: (id: number) => boolean): ScoredId[] {
    const n = this.#slots.size;
    const top = new TopK(Math.max(0, Math.min(k, n)));
    if (top.k === 0) return [];
    const ids = this.#ids;
    for (let slot = 0; slot < n; slot++) {
      const id = ids[slot]!;
      // The filter runs before the dot product, so a selective filter makes the scan cheap.
      if (allow && !allow(id)) continue;
      top.push(id, this.#score(unit, slot));
    }
    return top.toArray();
  }

  /** Exact top-k among the given ids only (ids without a vector are skipped). */
  searchAmong(unit: Float32Array, k: number, ids: Iterable<number>): ScoredId[] {
    const top = new TopK(k);
    for (const id of ids) {
      const slot = this.#slots.get(id);
      if (slot !== undefined) top.push(id, this.#score(unit, slot));
    }
    return top.toArray();
  }

  /** Every stored id with its unit vector, in slot order. */
  *entries(): Generator<[number, Float32Array]> {
    for (const [id, slot] of this.#slots) yield [id, this.#row(slot)];
  }

  #grow(): void {
    // 1.5×, not 2×: at 100k rows doubling leaves up to half the array unused.
    const capacity = Math.ceil(this.#ids.length * 1.5) + 16;
    const data = makeRows(this.precision, capacity * this.dims);
    data.set(this.#data);
    const scales = new Float32Array(this.precision === 'f32' ? 0 : capacity);
    scales.set(this.#scales);
    const ids = new Float64Array(capacity);
    ids.set(this.#ids);
    this.#data = data;
    this.#scales = scales;
    this.#ids = ids;
  }
}
