// Retrieval quality of memory recall on the labelled set bench/data/retrieval-set.json (bench/retrieval-set.ts):
// recall@5 and MRR@10 for keyword-only, vector-only, hybrid, and hybrid + entity routing (what MemoryService.recall
// does: entities named in the query are searched first, the rest of the k places come from the whole index), overall
// and per query type. Every configuration goes through RecallIndex.search with the product's weights, so recency and
// importance move items in all four. Embeddings come from the real Embedder (transformers.js in its worker process),
// but the model is a GENERATED stand-in (test/support/tiny-model.ts): the hub is out of reach here, so no
// all-MiniLM-L6-v2. It knows synonyms only inside its small vocabulary and spells other words in letter pieces, so
// the vector figures say how the ranking uses a model that understands the set's words, not how MiniLM would score.
// Usage: node bench/retrieval.ts [--minilm] [--hnsw] [--weights=keyword:0.3,vector:0.7] [--misses=<config>]
//   --minilm  the stand-in gets MiniLM's shape (6 layers × 384-d): embedding time like the real model's compute;
//             its random layers blur the synonym rows, so its quality figures are lower and mean little
//   --hnsw    vector search on the HNSW graph (by default the index is exact below 5000 memories)
//   --weights other hybrid weights than DEFAULT_WEIGHTS (keyword, vector, recency, importance, halfLifeDays)
//   --misses  list the queries a configuration (keyword, vector, hybrid, entity) misses in its top 5

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createEmbedder } from '../adapters/embedding/transformers/embedder.ts';
import { EntityRegistry } from '../src/memory/entities.ts';
import { DEFAULT_WEIGHTS, RecallIndex, type HybridWeights, type RecallHit } from '../src/memory/index/hybrid.ts';
import { generateTinyModel, TINY_MODEL_ID } from '../test/support/tiny-model.ts';
import { loadRetrievalSet, QUERY_TYPES, SET_PATH, type RetrievalSet, type SetQuery } from './retrieval-set.ts';
import { line, summary } from './stats.ts';

export const CONFIGS = ['keyword', 'vector', 'hybrid', 'entity'] as const;
export type Config = (typeof CONFIGS)[number];
const LABELS: Record<Config, string> = { keyword: 'keyword', vector: 'vector', hybrid: 'hybrid', entity: 'hybrid+entity' };
const K = 10;

export interface Score { recall5: number; mrr10: number; n: number }

/** recall@5: share of a query's relevant memories in its top 5; MRR@10: 1 / rank of the first relevant in the top 10. */
export function scoreQuery(ranked: readonly number[], relevant: readonly number[]): { recall5: number; rr10: number } {
  const top5 = new Set(ranked.slice(0, 5));
  const found = relevant.filter((id) => top5.has(id)).length;
  const rank = ranked.slice(0, 10).findIndex((id) => relevant.includes(id));
  return { recall5: found / relevant.length, rr10: rank < 0 ? 0 : 1 / (rank + 1) };
}

function mean(queries: readonly SetQuery[], per: Map<string, { recall5: number; rr10: number }>): Score {
  let r = 0;
  let m = 0;
  for (const q of queries) {
    const s = per.get(q.id)!;
    r += s.recall5;
    m += s.rr10;
  }
  return { recall5: r / queries.length, mrr10: m / queries.length, n: queries.length };
}

/** MemoryService.recall's order: hits among the entities the query names, then the whole index for the rest. */
function routed(index: RecallIndex, registry: EntityRegistry, base: { query: string; vector: Float32Array; k: number; now: Date }): RecallHit[] {
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
  loadMs: number;
  corpusEmbedMs: number;
  queryEmbedMs: number[];
  /** Per configuration, per query id. */
  perQuery: Record<Config, Map<string, { recall5: number; rr10: number; top: number[] }>>;
  routedQueries: number;
}

export async function runRetrievalBench(options: { minilm?: boolean; hnsw?: boolean; weights?: Partial<HybridWeights> } = {}): Promise<RetrievalBenchResult> {
  const set = loadRetrievalSet();
  const modelsDir = mkdtempSync(join(tmpdir(), 'solo-retrieval-'));
  try {
    await generateTinyModel(join(modelsDir, TINY_MODEL_ID), { dtypes: ['q8'], ...(options.minilm && { hidden: 384, layers: 6, heads: 12, intermediate: 1536 }) });
    const embedder = createEmbedder({ model: TINY_MODEL_ID, dtype: 'q8', modelsDir, allowDownload: false, logger: pino({ level: 'silent' }) });
    try {
      let t = performance.now();
      await embedder.embed(['warm up'], { priority: 'query' });
      const loadMs = performance.now() - t;
      t = performance.now();
      const vectors = await embedder.embed(set.memories.map((m) => m.text), { priority: 'background' });
      const corpusEmbedMs = performance.now() - t;
      // One call per query, as recall makes it: a query's own embedding latency.
      const queryVectors: Float32Array[] = [];
      const queryEmbedMs: number[] = [];
      for (const q of set.queries) {
        t = performance.now();
        const [v] = await embedder.embed([q.text], { priority: 'query' });
        queryEmbedMs.push(performance.now() - t);
        queryVectors.push(v!);
      }
      const dims = vectors[0]!.length;
      const index = new RecallIndex({ dims, ...(options.hnsw && { exactBelow: 1 }), ...(options.weights && { weights: options.weights }) });
      index.upsertMany(set.memories.map((m, i) => ({
        id: m.id,
        text: m.text,
        vector: vectors[i]!,
        meta: { kind: m.kind, entities: m.entities, importance: m.importance, updatedAt: new Date(m.updatedAt) },
      })));
      const registry = new EntityRegistry();
      for (const c of set.clients) registry.add(c.key, c.name);
      const now = new Date(set.now);
      const perQuery = Object.fromEntries(CONFIGS.map((c) => [c, new Map()])) as RetrievalBenchResult['perQuery'];
      let routedQueries = 0;
      set.queries.forEach((q, i) => {
        const vector = queryVectors[i]!;
        if (registry.detect(q.text).length > 0) routedQueries++;
        const runs: Record<Config, RecallHit[]> = {
          keyword: index.search({ query: q.text, k: K, now }),
          vector: index.search({ query: '', vector, k: K, now }),
          hybrid: index.search({ query: q.text, vector, k: K, now }),
          entity: routed(index, registry, { query: q.text, vector, k: K, now }),
        };
        for (const c of CONFIGS) {
          const top = runs[c].map((h) => h.id);
          perQuery[c].set(q.id, { ...scoreQuery(top, q.relevant), top });
        }
      });
      return { set, dims, loadMs, corpusEmbedMs, queryEmbedMs, perQuery, routedQueries };
    } finally {
      await embedder.close();
    }
  } finally {
    rmSync(modelsDir, { recursive: true, force: true });
  }
}

function printTable(r: RetrievalBenchResult): void {
  const rows: Array<[string, SetQuery[]]> = [['all', r.set.queries]];
  for (const type of QUERY_TYPES) {
    const qs = r.set.queries.filter((q) => q.type === type);
    rows.push([type, qs]);
    if (type === 'paraphrase') {
      rows.push(['  naming the client', qs.filter((q) => q.named)]);
      rows.push(['  no client (own notes)', qs.filter((q) => !q.named)]);
    }
  }
  const cell = (s: string) => s.padEnd(16);
  console.log(`${'query type (n)'.padEnd(30)}${CONFIGS.map((c) => cell(LABELS[c])).join('')}`);
  console.log(`${''.padEnd(30)}${CONFIGS.map(() => cell('R@5   MRR@10')).join('')}`);
  for (const [label, qs] of rows) {
    const cells = CONFIGS.map((c) => {
      const s = mean(qs, r.perQuery[c]);
      return cell(`${s.recall5.toFixed(3)} ${s.mrr10.toFixed(3)}`);
    });
    console.log(`${`${label} (${qs.length})`.padEnd(30)}${cells.join('')}`);
  }
}

function parseWeights(spec: string | undefined): Partial<HybridWeights> | undefined {
  if (!spec) return undefined;
  const out: Partial<HybridWeights> = {};
  for (const part of spec.split(',')) {
    const [key, value] = part.split(':');
    if (!key || !(key in DEFAULT_WEIGHTS) || !Number.isFinite(Number(value))) throw new Error(`--weights: "${part}" is not name:number with a name of ${Object.keys(DEFAULT_WEIGHTS).join(', ')}`);
    out[key as keyof HybridWeights] = Number(value);
  }
  return out;
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const minilm = args.includes('--minilm');
  const hnsw = args.includes('--hnsw');
  const weights = parseWeights(args.find((a) => a.startsWith('--weights='))?.slice('--weights='.length));
  const misses = args.find((a) => a.startsWith('--misses='))?.slice('--misses='.length) as Config | undefined;
  const r = await runRetrievalBench({ minilm, hnsw, ...(weights && { weights }) });
  const { set } = r;
  console.log(`set: ${SET_PATH.slice(SET_PATH.lastIndexOf('/bench/') + 1)} — ${set.memories.length} memories about ${set.clients.length} fictional clients and the business's own notes, ${set.queries.length} labelled queries (seed ${set.seed})`);
  console.log(`MODEL: a GENERATED stand-in (${TINY_MODEL_ID}, ${r.dims}-d, ${minilm ? '6 layers, MiniLM-shaped' : 'embeddings only'}, q8, random weights; synonyms share`);
  console.log('       embedding rows), NOT all-MiniLM-L6-v2: no model hub here. Vector figures show the ranking with a model that');
  console.log('       knows the set\'s vocabulary; names and numbers are spelled in letter pieces (weak). Real-model figures need a rerun.');
  if (minilm) console.log('--minilm: the random layers blur the synonym rows: read the timing, not the quality figures.');
  console.log(`vector search: ${hnsw ? 'HNSW graph (forced)' : 'exact (the index builds HNSW from 5000 vectors)'}; ranking: RecallIndex, weights ${JSON.stringify({ ...DEFAULT_WEIGHTS, ...weights })}${weights ? '' : ' (DEFAULT_WEIGHTS)'}`);
  console.log('');
  line('model load (worker + session)', `${r.loadMs.toFixed(0)} ms`);
  line(`embedding the corpus (${set.memories.length} texts)`, `${(r.corpusEmbedMs / 1000).toFixed(2)} s  (${(set.memories.length / (r.corpusEmbedMs / 1000)).toFixed(0)} texts/s)`);
  line('embedding one query', summary(r.queryEmbedMs, 'ms'));
  line('queries routed by a named client', `${r.routedQueries} of ${set.queries.length}`);
  console.log('');
  printTable(r);
  if (misses && CONFIGS.includes(misses)) {
    const byId = new Map(set.memories.map((m) => [m.id, m.text]));
    console.log(`\nmissed in the top 5 by ${LABELS[misses]}:`);
    for (const q of set.queries) {
      const s = r.perQuery[misses].get(q.id)!;
      if (s.recall5 === 1) continue;
      console.log(`  [${q.type}] ${q.text}\n    want: ${q.relevant.map((id) => byId.get(id)).join(' | ')}\n    got:  ${byId.get(s.top[0] ?? -1) ?? '(nothing)'}`);
    }
  }
}
