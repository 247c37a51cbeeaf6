// Textbook BM25 for the retrieval bench, written out plainly as the baseline keyword recall is measured against:
// k1 1.2, b 0.75, Lucene's idf log(1 + (N − df + 0.5) / (df + 0.5)) (Robertson–Spärck Jones with +1 so it never goes
// negative), whole-word matches only, one field, no recency. Two tokenisations: "plain" is the project's own word
// split (src/domain/text.ts: tokens for documents, keywordTerms for queries), "analysed" the keyword index's
// analyser (src/memory/index/analyze.ts: folding, stemming, CJK pairs, stopwords) without its fields, prefixes or dates.

import { keywordTerms, tokens } from '../src/domain/text.ts';
import { normalize, words } from '../src/memory/index/analyze.ts';

export const BM25_K1 = 1.2;
export const BM25_B = 0.75;

export type Tokenisation = 'plain' | 'analysed';

export const documentTerms = (text: string, t: Tokenisation): string[] =>
  t === 'plain' ? tokens(text) : words(normalize(text));
export const queryTerms = (text: string, t: Tokenisation): string[] =>
  t === 'plain' ? keywordTerms(text) : [...new Set(words(normalize(text)))];

export class TextbookBm25 {
  readonly #ids: number[] = [];
  readonly #tf: Array<Map<string, number>> = [];
  readonly #length: number[] = [];
  readonly #df = new Map<string, number>();
  readonly #postings = new Map<string, number[]>();
  #avg = 0;

  constructor(docs: ReadonlyArray<{ id: number; terms: readonly string[] }>) {
    for (const { id, terms } of docs) {
      const tf = new Map<string, number>();
      for (const t of terms) tf.set(t, (tf.get(t) ?? 0) + 1);
      const at = this.#ids.length;
      this.#ids.push(id);
      this.#tf.push(tf);
      this.#length.push(terms.length);
      for (const t of tf.keys()) {
        this.#df.set(t, (this.#df.get(t) ?? 0) + 1);
        let list = this.#postings.get(t);
        if (!list) this.#postings.set(t, (list = []));
        list.push(at);
      }
    }
    this.#avg = this.#length.reduce((a, b) => a + b, 0) / Math.max(1, this.#ids.length) || 1;
  }

  /** Every document with a positive score, best first (ties: larger id first), at most `k`. */
  search(terms: readonly string[], k: number): Array<{ id: number; score: number }> {
    const n = this.#ids.length;
    const scores = new Map<number, number>();
    for (const term of new Set(terms)) {
      const df = this.#df.get(term) ?? 0;
      if (df === 0) continue;
      const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
      for (const at of this.#postings.get(term)!) {
        const f = this.#tf[at]!.get(term)!;
        const norm = f + BM25_K1 * (1 - BM25_B + (BM25_B * this.#length[at]!) / this.#avg);
        scores.set(at, (scores.get(at) ?? 0) + (idf * f * (BM25_K1 + 1)) / norm);
      }
    }
    return [...scores]
      .map(([at, score]) => ({ id: this.#ids[at]!, score }))
      .sort((a, b) => b.score - a.score || b.id - a.id)
      .slice(0, k);
  }
}
