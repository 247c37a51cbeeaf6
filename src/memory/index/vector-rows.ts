// The vectors the recall index scores exactly, one row per slot: a unit vector as i16 with one f32 scale per row
// (a cosine within ~1e-4 of f32; recall@10 unchanged in bench/recall.ts, where i8 rows lost 1.5 points to near
// ties). Kept in memory, or in a file: then a row is read back with one pread when it is scored and the OS page
// cache, not the process, holds the rest (100k × 384-d: 77 MB that leave the process's RSS; a pread is ~4 µs).
//
// The file is a cache of what the store holds, rebuilt at every start: it is removed from its folder as soon as it
// is open (nothing is left behind by a crash, two processes never share one) and disappears when it is closed.

import { closeSync, openSync, readSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Rows read from disk in one call while scanning every row. */
const SCAN_CHUNK_ROWS = 1024;

function dotRow(unit: Float32Array, ints: Int16Array, at: number, dims: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < dims; i += 4) {
    s0 += unit[i]! * ints[at + i]!;
    s1 += unit[i + 1]! * ints[at + i + 1]!;
    s2 += unit[i + 2]! * ints[at + i + 2]!;
    s3 += unit[i + 3]! * ints[at + i + 3]!;
  }
  for (; i < dims; i++) s0 += unit[i]! * ints[at + i]!;
  return s0 + s1 + s2 + s3;
}

function checkDims(dims: number): void {
  if (!Number.isInteger(dims) || dims <= 0) throw new RangeError(`dims must be a positive integer, got ${dims}`);
}

/** The row starting at byte `at` of `block`, decoded into `out`. */
function decode(block: Block, at: number, out: Float32Array): Float32Array {
  const scale = block.floats[at >> 2]!;
  const from = (at >> 1) + 2;
  for (let i = 0; i < out.length; i++) out[i] = block.ints[from + i]! * scale;
  return out;
}

/** A block of rows in memory, with the views scoring needs (a row: f32 scale, then the i16 values, 4-byte aligned). */
class Block {
  readonly bytes: Uint8Array;
  readonly ints: Int16Array;
  readonly floats: Float32Array;
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.ints = new Int16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 1);
    this.floats = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 2);
  }
}

export class VectorRows {
  readonly dims: number;
  /** Bytes per row: a 4-byte scale and the i16 values, padded to a multiple of 4. */
  readonly rowBytes: number;
  /** In memory: every row; in a file: one row (encoding and scoring). */
  #block: Block;
  #fd: number | undefined;
  /** Set when the file could not be removed while open (Windows): it is removed on close(). */
  #path: string | undefined;
  #scan: Block | undefined;
  #closed = false;

  private constructor(dims: number, fd: number | undefined, path: string | undefined, capacity: number) {
    checkDims(dims);
    this.dims = dims;
    this.rowBytes = 4 + Math.ceil(dims / 2) * 4;
    this.#fd = fd;
    this.#path = path;
    this.#block = new Block(new Uint8Array((fd === undefined ? capacity : 1) * this.rowBytes));
  }

  /** Rows in one growing array in the process. */
  static inMemory(dims: number, capacity = 1024): VectorRows {
    return new VectorRows(dims, undefined, undefined, Math.max(1, capacity));
  }

  /** Rows in a new file in `dir`, removed from the folder at once (see the top of this file). */
  static inFile(dims: number, dir: string): VectorRows {
    checkDims(dims); // before a file is opened
    const path = join(dir, `.recall-vectors-${process.pid}-${Date.now().toString(36)}.bin`);
    const fd = openSync(path, 'wx+', 0o600);
    try {
      unlinkSync(path);
      return new VectorRows(dims, fd, undefined, 1);
    } catch {
      return new VectorRows(dims, fd, path, 1);
    }
  }

  get onDisk(): boolean {
    return this.#fd !== undefined;
  }

  /** Writes unit vectors to consecutive slots from `first` (one write on disk). */
  writeMany(first: number, units: readonly Float32Array[]): void {
    this.#open();
    if (units.length === 0) return;
    const fd = this.#fd;
    const block =
      fd === undefined ? this.#reserve(first + units.length) : new Block(new Uint8Array(units.length * this.rowBytes));
    const base = fd === undefined ? first : 0;
    units.forEach((unit, i) => this.#encode(block, base + i, unit));
    if (fd !== undefined) this.#pwrite(block.bytes, first);
  }

  write(slot: number, unit: Float32Array): void {
    this.writeMany(slot, [unit]);
  }

  /** Copies row `from` over row `to` (removal moves the last row into the gap). */
  copy(from: number, to: number): void {
    this.#open();
    if (from === to) return;
    if (this.#fd === undefined) {
      this.#block.bytes.copyWithin(to * this.rowBytes, from * this.rowBytes, (from + 1) * this.rowBytes);
      return;
    }
    this.#locate(from);
    this.#pwrite(this.#block.bytes, to);
  }

  /** The cosine of a unit-length query with row `slot`. */
  score(unit: Float32Array, slot: number): number {
    const at = this.#locate(slot);
    return dotRow(unit, this.#block.ints, (at >> 1) + 2, this.dims) * this.#block.floats[at >> 2]!;
  }

  /** Row `slot` decoded. */
  vector(slot: number): Float32Array {
    return decode(this.#block, this.#locate(slot), new Float32Array(this.dims));
  }

  /**
   * Visits rows 0..count-1 in order with their decoded vector (one reused array: copy it to keep it). On disk the
   * rows are read a chunk at a time.
   */
  forEach(count: number, visit: (slot: number, vector: Float32Array) => void): void {
    const v = new Float32Array(this.dims);
    this.#chunks(count, (block, first, rows) => {
      for (let r = 0; r < rows; r++) visit(first + r, decode(block, r * this.rowBytes, v));
    });
  }

  /** Scores rows 0..count-1 (those `want` accepts) against a unit-length query, in slot order. */
  scan(
    unit: Float32Array,
    count: number,
    visit: (slot: number, score: number) => void,
    want?: (slot: number) => boolean,
  ): void {
    this.#chunks(count, (block, first, rows) => {
      for (let r = 0; r < rows; r++) {
        if (want && !want(first + r)) continue;
        const at = r * this.rowBytes;
        visit(first + r, dotRow(unit, block.ints, (at >> 1) + 2, this.dims) * block.floats[at >> 2]!);
      }
    });
  }

  /** Frees the rows (and removes the file); any later use throws. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#block = new Block(new Uint8Array(0));
    const fd = this.#fd;
    if (fd === undefined) return;
    closeSync(fd);
    if (this.#path) rmSync(this.#path, { force: true });
  }

  #open(): void {
    if (this.#closed) throw new Error('the recall index was closed');
  }

  #chunks(count: number, each: (block: Block, first: number, rows: number) => void): void {
    this.#open();
    const fd = this.#fd;
    if (fd === undefined) {
      // In memory the whole array is one chunk, viewed from row 0.
      if (count > 0) each(this.#block, 0, count);
      return;
    }
    const scan = (this.#scan ??= new Block(new Uint8Array(SCAN_CHUNK_ROWS * this.rowBytes)));
    for (let first = 0; first < count; first += SCAN_CHUNK_ROWS) {
      const rows = Math.min(SCAN_CHUNK_ROWS, count - first);
      this.#pread(scan.bytes, rows * this.rowBytes, first);
      each(scan, first, rows);
    }
  }

  /** Where row `slot` starts in #block (bytes): the whole array in memory, the one-row block it is read into on disk. */
  #locate(slot: number): number {
    this.#open();
    if (this.#fd === undefined) return slot * this.rowBytes;
    this.#pread(this.#block.bytes, this.rowBytes, slot);
    return 0;
  }

  #encode(block: Block, slot: number, unit: Float32Array): void {
    let max = 0;
    for (let i = 0; i < this.dims; i++) max = Math.max(max, Math.abs(unit[i]!));
    const scale = max / 32_767;
    const at = slot * this.rowBytes;
    block.floats[at >> 2] = scale;
    const from = (at >> 1) + 2;
    for (let i = 0; i < this.dims; i++) block.ints[from + i] = scale === 0 ? 0 : Math.round(unit[i]! / scale);
  }

  /** In memory: grows the array (1.5×) to hold `rows` rows. */
  #reserve(rows: number): Block {
    const have = this.#block.bytes.byteLength / this.rowBytes;
    if (rows > have) {
      const bytes = new Uint8Array(Math.max(rows, Math.ceil(have * 1.5) + 16) * this.rowBytes);
      bytes.set(this.#block.bytes);
      this.#block = new Block(bytes);
    }
    return this.#block;
  }

  #pwrite(bytes: Uint8Array, slot: number): void {
    let done = 0;
    while (done < bytes.byteLength) {
      done += writeSync(this.#fd!, bytes, done, bytes.byteLength - done, slot * this.rowBytes + done);
    }
  }

  #pread(bytes: Uint8Array, length: number, slot: number): void {
    let done = 0;
    while (done < length) {
      const n = readSync(this.#fd!, bytes, done, length - done, slot * this.rowBytes + done);
      if (n === 0) throw new Error(`recall vector file ended at row ${slot}: it was changed outside Solo OS`);
      done += n;
    }
  }
}
