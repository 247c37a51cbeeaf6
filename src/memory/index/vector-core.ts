// Vector index basics: the interface, input checks and top-k selection.

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
  return normalizeInto(v, dims, new Float32Array(dims), 0);
}

/** Writes `v` scaled to unit length into `out` at `offset` (checks as `normalized`); returns that part of `out`. */
export function normalizeInto(v: Float32Array, dims: number, out: Float32Array, offset: number): Float32Array {
  if (!(v instanceof Float32Array) || v.length !== dims) {
    throw new RangeError(
      `vector must be a Float32Array of ${dims} numbers, got ${v instanceof Float32Array ? v.length : typeof v}`,
    );
  }
  let sum = 0;
  for (let i = 0; i < dims; i++) sum += v[i]! * v[i]!;
  if (!Number.isFinite(sum) || sum === 0) throw new RangeError('vector must be finite and not all zeros');
  const inv = 1 / Math.sqrt(sum);
  for (let i = 0; i < dims; i++) out[offset + i] = v[i]! * inv;
  return out.subarray(offset, offset + dims);
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
