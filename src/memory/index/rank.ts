// Hybrid ranking: fuses keyword (BM25) and vector (cosine) relevance, then lets recency and importance move items
// up or down, keeping every component for "why did you remember that?" answers.
//
// Formula (all parts 0..1):
//   keyword    = bm25 / best bm25 of this query            (so the best keyword match is 1 whatever the corpus)
//   vector     = max(0, cosine(query, item))
//   relevance  = (wK·keyword·[query has terms] + wV·vector·[query and item have vectors])
//                / (wK·[query has terms] + wV·[query and item have vectors])
//                — the weights of the signals that exist for this item, so an item not embedded yet still ranks by
//                keyword alone rather than being treated as dissimilar;
//   recency    = 0.5 ^ (days since max(updatedAt, lastUsedAt) / halfLifeDays), or 1 when the query names a time
//                ("last May", "in March 2025"): the operator asked for that time, not for what is fresh
//   score      = relevance · (1 − wR − wI + wR·recency + wI·importance)
// Relevance gates: an old, unimportant item keeps (1 − wR − wI) of its relevance, a fresh important one all of it,
// and nothing irrelevant is lifted by importance alone. Items with relevance ≤ minRelevance are dropped.

export interface HybridWeights {
  keyword: number;
  vector: number;
  recency: number;
  importance: number;
  halfLifeDays: number;
}

export const DEFAULT_WEIGHTS: HybridWeights = {
  keyword: 0.3,
  vector: 0.7,
  // 0.1 each: a fresh, important item can gain up to 1.25× over an old, unimportant one — enough to settle near
  // ties, not to outrank a clearly better match. (0.15 each, 1.43×, lost to a textbook BM25 on the client-facts
  // set, where dates and importance are random: bench/retrieval.ts, tuned on the tune halves only.)
  recency: 0.1,
  importance: 0.1,
  halfLifeDays: 90,
};

export interface HitComponents {
  /** Raw BM25 (0 when no query term matched). */
  bm25: number;
  /** BM25 divided by the query's best BM25. */
  keyword: number;
  /** Cosine similarity; null when the query or the item has no vector. */
  vector: number | null;
  relevance: number;
  recency: number;
  /** Days since max(updatedAt, lastUsedAt). */
  ageDays: number;
  importance: number;
}

export interface HybridHit {
  id: number;
  score: number;
  components: HitComponents;
}

export interface RankInput {
  /** Candidate ids (the union of the keyword and vector hits). */
  candidates: Iterable<number>;
  /** BM25 per candidate; missing = 0. */
  bm25: ReadonlyMap<number, number>;
  /** Cosine per candidate that has a vector. */
  cosine: ReadonlyMap<number, number>;
  /** Times in ms since the epoch; lastUsedAt NaN or absent when never used. */
  meta: (id: number) => { importance: number; updatedAt: number; lastUsedAt?: number | undefined } | undefined;
  queryHasTerms: boolean;
  queryHasVector: boolean;
  /** The query names a time (a date term): recency is left out (1 for every item). */
  timeScoped?: boolean | undefined;
  now: Date;
  k: number;
  weights?: Partial<HybridWeights> | undefined;
  minRelevance?: number | undefined;
}

const DAY_MS = 86_400_000;

export function hybridRank(input: RankInput): HybridHit[] {
  const w = { ...DEFAULT_WEIGHTS, ...input.weights };
  const now = input.now.getTime();
  let best = 0;
  for (const s of input.bm25.values()) if (s > best) best = s;
  const hits: HybridHit[] = [];
  for (const id of input.candidates) {
    const meta = input.meta(id);
    if (!meta) continue;
    const bm25 = input.bm25.get(id) ?? 0;
    const keyword = best > 0 ? bm25 / best : 0;
    const cos = input.queryHasVector ? input.cosine.get(id) : undefined;
    let num = 0;
    let den = 0;
    if (input.queryHasTerms) {
      num += w.keyword * keyword;
      den += w.keyword;
    }
    if (cos !== undefined) {
      num += w.vector * Math.max(0, cos);
      den += w.vector;
    }
    const relevance = den > 0 ? num / den : 0;
    if (relevance <= (input.minRelevance ?? 0)) continue;
    const used = meta.lastUsedAt ?? NaN;
    const last = Number.isNaN(used) ? meta.updatedAt : Math.max(meta.updatedAt, used);
    const ageDays = Math.max(0, (now - last) / DAY_MS);
    const recency = input.timeScoped ? 1 : Math.pow(0.5, ageDays / w.halfLifeDays);
    const importance = meta.importance;
    const score = relevance * (1 - w.recency - w.importance + w.recency * recency + w.importance * importance);
    hits.push({
      id,
      score,
      components: { bm25, keyword, vector: cos ?? null, relevance, recency, ageDays, importance },
    });
  }
  hits.sort((a, b) => b.score - a.score || b.id - a.id);
  return hits.slice(0, Math.max(0, input.k));
}
