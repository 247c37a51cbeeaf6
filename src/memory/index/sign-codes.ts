// One bit per dimension for every vector, kept in the process to pick the candidates that are then scored exactly:
// the sign of (vector − mean), and one factor per vector. 384-d: 48 bytes + 4 instead of 768 for an i16 row, so
// 100k vectors cost 5 MB in memory while their rows stay on disk (vector-rows.ts).
//
// A query is not quantised (asymmetric scoring): its inner product with a code is a sum of 48 table lookups (one
// per byte, tables built per query), scaled by the vector's factor ‖d‖² / ‖d‖₁ with d = vector − mean: the
// RaBitQ estimator of ⟨query, d⟩ (Gao & Long, SIGMOD 2024), without its random rotation. On bench/recall.ts
// (100k clustered 384-d vectors) the exact top 10 is among the estimator's best 640 in 98.1% of cases and among its
// best 1000 in 99.6%; with the factor ‖d‖₁ / D (the sign code's own scale) it took 1280 for 99%.

/** A bounded min-heap of (score, slot): keeps the best `capacity` seen. */
class BestSlots {
  readonly scores: Float64Array;
  readonly slots: Int32Array;
  size = 0;
  constructor(capacity: number) {
    this.scores = new Float64Array(capacity);
    this.slots = new Int32Array(capacity);
  }

  push(score: number, slot: number): void {
    const { scores, slots } = this;
    if (this.size < scores.length) {
      let i = this.size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (scores[parent]! <= score) break;
        scores[i] = scores[parent]!;
        slots[i] = slots[parent]!;
        i = parent;
      }
      scores[i] = score;
      slots[i] = slot;
      return;
    }
    if (score <= scores[0]!) return;
    // Replace the worst (the root) and sift down.
    const n = this.size;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && scores[right]! < scores[left]! ? right : left;
      if (scores[child]! >= score) break;
      scores[i] = scores[child]!;
      slots[i] = slots[child]!;
      i = child;
    }
    scores[i] = score;
    slots[i] = slot;
  }

  result(): Int32Array {
    return this.slots.slice(0, this.size);
  }
}

/** Byte b of a word is its bits 8b..8b+7 only on little-endian machines (all Node.js targets but a few IBM ones). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function wordsOf(codes: Uint8Array, bytes: number): Uint32Array | undefined {
  return LITTLE_ENDIAN && bytes % 4 === 0
    ? new Uint32Array(codes.buffer, codes.byteOffset, codes.byteLength >> 2)
    : undefined;
}

export class SignCodes {
  readonly dims: number;
  /** Bytes per code. */
  readonly bytes: number;
  /** What every vector is centred on before its signs are taken (the mean of the vectors the codes were built from). */
  readonly mean: Float32Array;
  #codes: Uint8Array;
  /** The codes as 32-bit words when a code is a whole number of them (384-d: 12): a quarter of the loads. */
  #words: Uint32Array | undefined;
  #factors: Float32Array;
  readonly #table: Float32Array;

  constructor(mean: Float32Array, capacity = 1024) {
    this.dims = mean.length;
    this.bytes = Math.ceil(this.dims / 8);
    this.mean = Float32Array.from(mean);
    this.#codes = new Uint8Array(Math.max(1, capacity) * this.bytes);
    this.#words = wordsOf(this.#codes, this.bytes);
    this.#factors = new Float32Array(Math.max(1, capacity));
    this.#table = new Float32Array(this.bytes * 256);
  }

  /** Room for `n` codes without growing (start-up knows how many to expect). */
  reserve(n: number): void {
    if (n > this.#factors.length) this.#grow(n);
  }

  /** The code of a unit vector in `slot`. */
  set(slot: number, unit: Float32Array): void {
    if (slot >= this.#factors.length) this.#grow(slot + 1);
    const { dims, bytes, mean } = this;
    const codes = this.#codes;
    const at = slot * bytes;
    codes.fill(0, at, at + bytes);
    let l1 = 0;
    let l2 = 0;
    for (let i = 0; i < dims; i++) {
      const d = unit[i]! - mean[i]!;
      l1 += Math.abs(d);
      l2 += d * d;
      if (d >= 0) codes[at + (i >> 3)]! |= 1 << (i & 7);
    }
    this.#factors[slot] = l1 === 0 ? 0 : l2 / l1;
  }

  /** Copies the code in `from` over the one in `to`. */
  copy(from: number, to: number): void {
    if (from === to) return;
    this.#codes.copyWithin(to * this.bytes, from * this.bytes, (from + 1) * this.bytes);
    this.#factors[to] = this.#factors[from]!;
  }

  /** Up to `r` slots of 0..count-1 (those `want` accepts) with the best estimates for a unit-length query, unordered. */
  candidates(unit: Float32Array, r: number, count: number, want?: (slot: number) => boolean): Int32Array {
    this.#fillTable(unit);
    const best = new BestSlots(Math.max(1, Math.min(r, count)));
    // The hot loop of every vector search (100k codes: ~3 ms): locals only, and no heap call for the many codes
    // that cannot enter the best r.
    const table = this.#table;
    const factors = this.#factors;
    const words = this.#words;
    const perCode = this.bytes >> 2;
    const full = best.scores.length;
    let floor = -Infinity;
    for (let slot = 0; slot < count; slot++) {
      if (want && !want(slot)) continue;
      let s = 0;
      if (words) {
        for (let w = 0, at = slot * perCode; w < perCode; w++, at++) {
          const x = words[at]!;
          const base = w << 10;
          s +=
            table[base | (x & 255)]! +
            table[base | 256 | ((x >>> 8) & 255)]! +
            table[base | 512 | ((x >>> 16) & 255)]! +
            table[base | 768 | (x >>> 24)]!;
        }
        s *= factors[slot]!;
      } else s = this.#estimate(slot);
      if (s <= floor) continue;
      best.push(s, slot);
      if (best.size === full) floor = best.scores[0]!;
    }
    return best.result();
  }

  /** `candidates` among the given slots only. */
  candidatesAmong(unit: Float32Array, r: number, slots: readonly number[]): Int32Array {
    this.#fillTable(unit);
    const best = new BestSlots(Math.max(1, Math.min(r, slots.length)));
    for (const slot of slots) best.push(this.#estimate(slot), slot);
    return best.result();
  }

  #estimate(slot: number): number {
    const table = this.#table;
    const codes = this.#codes;
    let s = 0;
    for (let b = 0, at = slot * this.bytes; b < this.bytes; b++, at++) s += table[(b << 8) | codes[at]!]!;
    return s * this.#factors[slot]!;
  }

  /** table[b·256 + v] = Σ over the bits j of byte value v of ±query[8b + j] (+ for a set bit, − for a clear one). */
  #fillTable(unit: Float32Array): void {
    const table = this.#table;
    for (let b = 0; b < this.bytes; b++) {
      const base = b << 8;
      const dims = Math.min(8, this.dims - 8 * b);
      let none = 0;
      for (let j = 0; j < dims; j++) none -= unit[8 * b + j]!;
      table[base] = none;
      // Each value is a smaller value (its lowest set bit cleared) with that one sign turned from − to +.
      for (let v = 1; v < 256; v++) {
        const low = 31 - Math.clz32(v & -v);
        table[base + v] = table[base + (v & (v - 1))]! + (low < dims ? 2 * unit[8 * b + low]! : 0);
      }
    }
  }

  #grow(needed: number): void {
    const capacity = Math.max(needed, Math.ceil(this.#factors.length * 1.5) + 16);
    const codes = new Uint8Array(capacity * this.bytes);
    codes.set(this.#codes);
    const factors = new Float32Array(capacity);
    factors.set(this.#factors);
    this.#codes = codes;
    this.#words = wordsOf(codes, this.bytes);
    this.#factors = factors;
  }
}
