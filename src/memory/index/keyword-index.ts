// In-memory inverted index with BM25 (k1 1.2, b 0.75) for memory recall, kept in step with the store on every write.
// Words come from analyze.ts (folded, stemmed, CJK as character pairs, stopwords dropped); a chat turn's speaker
// and date are indexed as fields ("@jane", "#2025-05-14"). A query term matches its word at full weight, longer words
// it is a prefix of at `prefixWeight` ("budget" finds "budgetary"), and a turn's speaker at `speakerWeight`. As in
// BM25F, each match's count is length-normalised by its own field (body words by b 0.75 against the average body
// length, stopwords counted as plain BM25 counts them; speaker and date keys not at all) and weighted, the sum
// saturates once by k1, and document frequency counts every document any of them touches. With body words alone
// this is exactly BM25. A date phrase ("last May", resolved against the query's `now`) is one more term over the
// date keys. Prefixes are resolved on a sorted key dictionary by binary search. Scoring accumulates into typed
// arrays that live across queries (stamped per query), so a query allocates nothing proportional to the corpus.

import { analyzeDocument, analyzeQuery, type QueryOptions, type QueryTerm } from './analyze.ts';
import { checkId, TopK, type ScoredId } from './vector-core.ts';

export type { QueryTerm } from './analyze.ts';

const K1 = 1.2;
const B = 0.75;
/** First characters of field keys: "@speaker", "#2025-05-14" (analysed words never start with either). */
const AT = 0x40;
const HASH = 0x23;

/**
 * Chosen on the tune halves of both sets in bench/retrieval.ts (flat around these: speaker 1.3–2 and date 1–1.3 score
 * alike; a prefix weight above 0.25 costs MRR on conversations).
 */
export const KEYWORD_DEFAULTS: QueryOptions = {
  prefixWeight: 0.25,
  minPrefix: 3,
  speakerWeight: 1.3,
  dateWeight: 1,
  maxTerms: 24,
};

interface Posting {
  term: string;
  slots: Int32Array;
  tfs: Uint16Array;
  n: number;
}

function lowerBound(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class KeywordIndex {
  readonly options: QueryOptions;
  readonly #byTerm = new Map<string, Posting>();
  /** Every term with at least one live posting, in code-unit order (the order `<` compares strings in). */
  readonly #sorted: string[] = [];
  readonly #slotOf = new Map<number, number>();
  readonly #freeSlots: number[] = [];
  #slotCount = 0;
  #idOf = new Float64Array(1024);
  #length = new Uint32Array(1024);
  #docTerms: Array<Posting[] | undefined> = [];
  #totalLength = 0;
  // Per-query scratch, indexed by slot; an entry is valid only when its stamp equals the current pass.
  #tf = new Float64Array(1024);
  #tfStamp = new Uint32Array(1024);
  #score = new Float64Array(1024);
  #scoreStamp = new Uint32Array(1024);
  #touched = new Int32Array(1024);
  #scored = new Int32Array(1024);
  #epoch = 0;

  constructor(options: Partial<QueryOptions> = {}) {
    this.options = { ...KEYWORD_DEFAULTS, ...options };
  }

  get size(): number {
    return this.#slotOf.size;
  }

  /** Number of distinct words indexed. */
  get terms(): number {
    return this.#sorted.length;
  }

  has(id: number): boolean {
    return this.#slotOf.has(id);
  }

  /** Indexes `text` under `id`, replacing what was there. */
  add(id: number, text: string): void {
    checkId(id);
    if (typeof text !== 'string') throw new TypeError('text must be a string');
    this.remove(id);
    const { words, fields, length } = analyzeDocument(text);
    const counts = new Map<string, number>();
    for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1);
    for (const f of fields) counts.set(f, (counts.get(f) ?? 0) + 1);
    const slot = this.#freeSlots.pop() ?? this.#slotCount++;
    if (slot >= this.#idOf.length) this.#grow(slot + 1);
    this.#slotOf.set(id, slot);
    this.#idOf[slot] = id;
    this.#length[slot] = length;
    this.#totalLength += length;
    const postings: Posting[] = [];
    for (const [term, tf] of counts) {
      let p = this.#byTerm.get(term);
      if (!p) {
        p = { term, slots: new Int32Array(4), tfs: new Uint16Array(4), n: 0 };
        this.#byTerm.set(term, p);
        this.#sorted.splice(lowerBound(this.#sorted, term), 0, term);
      }
      if (p.n === p.slots.length) {
        const slots = new Int32Array(p.n * 2);
        slots.set(p.slots);
        const tfs = new Uint16Array(p.n * 2);
        tfs.set(p.tfs);
        p.slots = slots;
        p.tfs = tfs;
      }
      p.slots[p.n] = slot;
      p.tfs[p.n] = Math.min(tf, 65535);
      p.n++;
      postings.push(p);
    }
    this.#docTerms[slot] = postings;
  }

  remove(id: number): void {
    const slot = this.#slotOf.get(id);
    if (slot === undefined) return;
    for (const p of this.#docTerms[slot] ?? []) {
      // Unordered postings: move the last entry into the removed one's place.
      const at = p.slots.subarray(0, p.n).indexOf(slot);
      if (at >= 0) {
        p.n--;
        p.slots[at] = p.slots[p.n]!;
        p.tfs[at] = p.tfs[p.n]!;
      }
      if (p.n === 0) {
        this.#byTerm.delete(p.term);
        const i = lowerBound(this.#sorted, p.term);
        if (this.#sorted[i] === p.term) this.#sorted.splice(i, 1);
      }
    }
    this.#docTerms[slot] = undefined;
    this.#totalLength -= this.#length[slot]!;
    this.#length[slot] = 0;
    this.#slotOf.delete(id);
    this.#freeSlots.push(slot);
  }

  /** Query terms of `query` under this index's options; date phrases need `now`. */
  analyze(query: string, now?: Date): QueryTerm[] {
    return analyzeQuery(query, now, this.options);
  }

  /**
   * Best `k` ids by BM25, highest first (ties: larger id first). `allow` restricts which ids are returned; corpus
   * statistics (document frequencies, average length) always cover every indexed document. `now` resolves date
   * phrases ("last May"); without it they stay plain words.
   */
  search(query: string, k: number, allow?: (id: number) => boolean, now?: Date): ScoredId[] {
    return this.searchWith(this.analyze(query, now), k, allow).hits;
  }

  /**
   * `search` on already analysed terms. `also` asks for the BM25 of specific ids too (0 when they match nothing),
   * so hybrid ranking can give vector-only candidates their exact keyword score.
   */
  searchWith(
    terms: readonly QueryTerm[],
    k: number,
    allow?: (id: number) => boolean,
    also: readonly number[] = [],
  ): { hits: ScoredId[]; scoreOf: Map<number, number> } {
    const scoreOf = new Map<number, number>();
    const n = this.#slotOf.size;
    if (terms.length === 0 || n === 0) return { hits: [], scoreOf };
    const scoreEpoch = this.#nextEpoch();
    let scoredCount = 0;
    const score = this.#score;
    const scoreStamp = this.#scoreStamp;
    const scored = this.#scored;
    for (const term of terms) {
      const touchedCount = this.#gather(term);
      if (touchedCount === 0) continue;
      // Document frequency is the number of documents touched; #tf holds length-normalised counts, so BM25's
      // saturation is f·(k1 + 1) / (f + k1).
      const idf = term.weight * Math.log(1 + (n - touchedCount + 0.5) / (touchedCount + 0.5));
      const tf = this.#tf;
      const touched = this.#touched;
      for (let i = 0; i < touchedCount; i++) {
        const s = touched[i]!;
        const f = tf[s]!;
        const add = (idf * f * (K1 + 1)) / (f + K1);
        if (scoreStamp[s] !== scoreEpoch) {
          scoreStamp[s] = scoreEpoch;
          score[s] = 0;
          scored[scoredCount++] = s;
        }
        score[s]! += add;
      }
    }
    const top = new TopK(Math.max(0, k));
    const idOf = this.#idOf;
    for (let i = 0; i < scoredCount; i++) {
      const s = scored[i]!;
      const id = idOf[s]!;
      if (allow && !allow(id)) continue;
      top.push(id, score[s]!);
    }
    for (const id of also) {
      const s = this.#slotOf.get(id);
      scoreOf.set(id, s !== undefined && scoreStamp[s] === scoreEpoch ? score[s]! : 0);
    }
    return { hits: top.toArray(), scoreOf };
  }

  /** Weighted term frequency of `term` per document into #tf (stamped); returns how many documents it touched. */
  #gather(term: QueryTerm): number {
    const termEpoch = this.#nextEpoch();
    const n = this.#slotOf.size;
    const avgLength = this.#totalLength / n || 1;
    const length = this.#length;
    const tf = this.#tf;
    const tfStamp = this.#tfStamp;
    const touched = this.#touched;
    let touchedCount = 0;
    const add = (p: Posting, weight: number): void => {
      const field = p.term.charCodeAt(0) === AT || p.term.charCodeAt(0) === HASH;
      for (let j = 0; j < p.n; j++) {
        const s = p.slots[j]!;
        if (tfStamp[s] !== termEpoch) {
          tfStamp[s] = termEpoch;
          tf[s] = 0;
          touched[touchedCount++] = s;
        }
        tf[s]! += field ? weight * p.tfs[j]! : (weight * p.tfs[j]!) / (1 - B + (B * length[s]!) / avgLength);
      }
    };
    for (const alt of term.alts) {
      if (!alt.prefix) {
        const p = this.#byTerm.get(alt.key);
        if (p) add(p, alt.weight);
        continue;
      }
      // A prefix alternative next to the same key matched whole only adds the longer keys.
      const longerOnly = term.alts.some((a) => !a.prefix && a.key === alt.key);
      for (let i = lowerBound(this.#sorted, alt.key); i < this.#sorted.length; i++) {
        const key = this.#sorted[i]!;
        if (!key.startsWith(alt.key)) break;
        if (longerOnly && key.length === alt.key.length) continue;
        add(this.#byTerm.get(key)!, alt.weight);
      }
    }
    return touchedCount;
  }

  #nextEpoch(): number {
    if (this.#epoch >= 0xfffffff0) {
      this.#epoch = 0;
      this.#tfStamp.fill(0);
      this.#scoreStamp.fill(0);
    }
    return ++this.#epoch;
  }

  #grow(min: number): void {
    let capacity = this.#idOf.length;
    while (capacity < min) capacity *= 2;
    const grow = <T extends Float64Array | Uint32Array | Int32Array>(a: T, make: (n: number) => T): T => {
      const b = make(capacity);
      b.set(a);
      return b;
    };
    this.#idOf = grow(this.#idOf, (c) => new Float64Array(c));
    this.#length = grow(this.#length, (c) => new Uint32Array(c));
    this.#tf = new Float64Array(capacity);
    this.#tfStamp = new Uint32Array(capacity);
    this.#score = new Float64Array(capacity);
    this.#scoreStamp = new Uint32Array(capacity);
    this.#touched = new Int32Array(capacity);
    this.#scored = new Int32Array(capacity);
  }
}
