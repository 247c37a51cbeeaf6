// Recall before the in-process index is built (start-up): keyword candidates straight from the store.

import { keywordTerms } from '../domain/text.ts';
import type { MemoryStore } from '../ports/store.ts';
import type { HitComponents } from './index/rank.ts';
import type { RecallHit } from './types.ts';

/** The share of query terms a memory contains is its score; ties keep the store's order, newest first. */
export async function storeRecall(memories: MemoryStore, query: string, k: number): Promise<RecallHit[]> {
  const terms = keywordTerms(query);
  if (terms.length === 0) return [];
  const candidates = await memories.candidates(terms, 500);
  return candidates
    .map((memory) => {
      const words = keywordTerms(memory.text, 256);
      const matched = terms.filter((t) => words.some((w) => w.startsWith(t))).length;
      const relevance = matched / terms.length;
      const components: HitComponents = {
        bm25: 0,
        keyword: relevance,
        vector: null,
        relevance,
        recency: 1,
        ageDays: 0,
        importance: memory.importance,
      };
      return { memory, score: relevance, components };
    })
    .sort((a, b) => b.score - a.score)
    .slice(0, k);
}
