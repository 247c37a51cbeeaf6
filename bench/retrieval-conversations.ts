// Recall on the long-conversation set (bench/data/conversation-set.json): every turn in one RecallIndex, each
// question asked on its own date (so "last May" means the May before it), scored for textbook BM25 (plain and
// analysed tokens, bench/bm25.ts), keyword-only, vector-only and hybrid recall. Run by bench/retrieval.ts.

import { RecallIndex } from '../src/memory/index/hybrid.ts';
import type { HybridWeights } from '../src/memory/index/rank.ts';
import type { QueryOptions } from '../src/memory/index/analyze.ts';
import { documentTerms, queryTerms, TextbookBm25 } from './bm25.ts';
import { CONVERSATION_TYPES, loadConversationSet, type ConversationSet } from './conversation-set.ts';
import { embedAll, scoreQuery, type BenchModel, type PerQuery } from './retrieval-score.ts';

export const CONVERSATION_CONFIGS = ['bm25', 'bm25a', 'index', 'keyword', 'vector', 'hybrid'] as const;
export type ConversationConfig = (typeof CONVERSATION_CONFIGS)[number];
const K = 10;

export interface ConversationBenchResult {
  set: ConversationSet;
  perQuery: Record<ConversationConfig, PerQuery>;
  corpusEmbedMs: number;
}

export async function runConversationBench(
  model: BenchModel | undefined,
  options: { weights?: Partial<HybridWeights>; keyword?: Partial<QueryOptions> } = {},
): Promise<ConversationBenchResult> {
  const set = loadConversationSet();
  const embedded = model
    ? await embedAll(
        model,
        set.memories.map((m) => m.text),
        set.queries.map((q) => q.text),
      )
    : undefined;
  const dims = embedded?.corpus[0]?.length ?? 8;
  const index = new RecallIndex({
    dims,
    ...(options.weights && { weights: options.weights }),
    ...(options.keyword && { keyword: options.keyword }),
  });
  index.upsertMany(
    set.memories.map((m, i) => ({
      id: m.id,
      text: m.text,
      ...(embedded && { vector: embedded.corpus[i]! }),
      meta: { kind: 'note', entities: [], importance: 0.5, updatedAt: new Date(m.updatedAt) },
    })),
  );
  const plain = new TextbookBm25(set.memories.map((m) => ({ id: m.id, terms: documentTerms(m.text, 'plain') })));
  const analysed = new TextbookBm25(set.memories.map((m) => ({ id: m.id, terms: documentTerms(m.text, 'analysed') })));
  const perQuery = Object.fromEntries(
    CONVERSATION_CONFIGS.map((c) => [c, new Map()]),
  ) as ConversationBenchResult['perQuery'];
  set.queries.forEach((q, i) => {
    const now = new Date(q.asked);
    const vector = embedded?.queries[i];
    const runs: Record<ConversationConfig, number[]> = {
      bm25: plain.search(queryTerms(q.text, 'plain'), K).map((h) => h.id),
      bm25a: analysed.search(queryTerms(q.text, 'analysed'), K).map((h) => h.id),
      index: index.keyword.search(q.text, K, undefined, now).map((h) => h.id),
      keyword: index.search({ query: q.text, k: K, now }).map((h) => h.id),
      vector: vector ? index.search({ query: '', vector, k: K, now }).map((h) => h.id) : [],
      hybrid: vector ? index.search({ query: q.text, vector, k: K, now }).map((h) => h.id) : [],
    };
    for (const c of CONVERSATION_CONFIGS) perQuery[c].set(q.id, scoreQuery(runs[c], q.relevant));
  });
  return { set, perQuery, corpusEmbedMs: embedded?.corpusMs ?? 0 };
}

/** Table rows: the whole set, each half, each question type. */
export function conversationRows(set: ConversationSet): Array<[string, string[]]> {
  const ids = (f: (q: ConversationSet['queries'][number]) => boolean) => set.queries.filter(f).map((q) => q.id);
  return [
    ['all', ids(() => true)],
    ['  tune half', ids((q) => q.split === 'tune')],
    ['  held-out half', ids((q) => q.split === 'held-out')],
    ...CONVERSATION_TYPES.map((t): [string, string[]] => [t, ids((q) => q.type === t)]),
  ];
}
