// Shared parts of the retrieval benches (bench/retrieval.ts): scores per query, averages over a subset, the table,
// and the embedding model — a real one from MODELS_DIR when it holds one, else the generated stand-in.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { createEmbedder, type Embedder } from '../adapters/embedding/transformers/embedder.ts';
import { generateTinyModel, TINY_MODEL_ID } from '../test/support/tiny-model.ts';
import { openUseModel, USE_MODEL } from './use-model.ts';

export interface QueryScore {
  recall5: number;
  rr10: number;
  top: number[];
}
export type PerQuery = Map<string, QueryScore>;
export interface Score {
  recall5: number;
  mrr10: number;
  n: number;
}

/** recall@5: share of a query's relevant memories in its top 5; MRR@10: 1 / rank of the first relevant in the top 10. */
export function scoreQuery(ranked: readonly number[], relevant: readonly number[]): QueryScore {
  const top5 = new Set(ranked.slice(0, 5));
  const found = relevant.filter((id) => top5.has(id)).length;
  const rank = ranked.slice(0, 10).findIndex((id) => relevant.includes(id));
  return { recall5: found / relevant.length, rr10: rank < 0 ? 0 : 1 / (rank + 1), top: ranked.slice(0, 10) };
}

export function mean(ids: readonly string[], per: PerQuery): Score {
  let r = 0;
  let m = 0;
  for (const id of ids) {
    const s = per.get(id)!;
    r += s.recall5;
    m += s.rr10;
  }
  return { recall5: r / ids.length, mrr10: m / ids.length, n: ids.length };
}

/** One row per subset of query ids, one `R@5 MRR@10` cell per configuration. */
export function printTable(
  rows: ReadonlyArray<[string, readonly string[]]>,
  columns: ReadonlyArray<[string, PerQuery]>,
): void {
  const cell = (s: string) => s.padEnd(15);
  console.log(`${'query type (n)'.padEnd(28)}${columns.map(([label]) => cell(label)).join('')}`);
  console.log(`${''.padEnd(28)}${columns.map(() => cell('R@5   MRR@10')).join('')}`);
  for (const [label, ids] of rows) {
    if (ids.length === 0) continue;
    const cells = columns.map(([, per]) => {
      const s = mean(ids, per);
      return cell(`${s.recall5.toFixed(3)} ${s.mrr10.toFixed(3)}`);
    });
    console.log(`${`${label} (${ids.length})`.padEnd(28)}${cells.join('')}`);
  }
}

/** A configuration ÷ a baseline on recall@5 and MRR@10, for the whole set and each half. */
export function printRatios(
  config: string,
  label: string,
  halves: ReadonlyArray<[string, readonly string[]]>,
  keyword: PerQuery,
  baseline: PerQuery,
): void {
  const parts = halves.map(([name, ids]) => {
    const k = mean(ids, keyword);
    const b = mean(ids, baseline);
    return `${name.trim()} ${(k.recall5 / b.recall5).toFixed(3)}× R@5, ${(k.mrr10 / b.mrr10).toFixed(3)}× MRR`;
  });
  console.log(`${`${config} ÷ ${label}:`.padEnd(31)} ${parts.join(' | ')}`);
}

export interface BenchModel {
  embedder: Embedder;
  /** Lines saying which model this is. */
  about: string[];
  real: boolean;
  close: () => Promise<void>;
}

/**
 * The real model when MODELS_DIR holds EMBEDDING_MODEL (default Xenova/all-MiniLM-L6-v2), as the product would load
 * it (no download); otherwise the generated stand-in, and the lines say so.
 */
export async function openModel(options: { minilm?: boolean; use?: boolean } = {}): Promise<BenchModel> {
  const logger = pino({ level: 'silent' });
  if (options.use) {
    const embedder = await openUseModel();
    return {
      embedder,
      real: true,
      about: [`MODEL: ${USE_MODEL} — a real sentence model, though not the one Solo OS ships with (--use).`],
      close: () => embedder.close(),
    };
  }
  const model = process.env.EMBEDDING_MODEL ?? 'Xenova/all-MiniLM-L6-v2';
  const dtype = process.env.EMBEDDING_DTYPE ?? 'q8';
  const dir = process.env.MODELS_DIR ? resolve(process.env.MODELS_DIR) : undefined;
  if (dir && existsSync(join(dir, model, 'config.json'))) {
    const embedder = createEmbedder({ model, dtype, modelsDir: dir, allowDownload: false, logger });
    return {
      embedder,
      real: true,
      about: [`MODEL: ${model} (${dtype}) from MODELS_DIR=${dir} — a real sentence model.`],
      close: () => embedder.close(),
    };
  }
  const tmp = mkdtempSync(join(tmpdir(), 'solo-retrieval-'));
  await generateTinyModel(join(tmp, TINY_MODEL_ID), {
    dtypes: ['q8'],
    ...(options.minilm && { hidden: 384, layers: 6, heads: 12, intermediate: 1536 }),
  });
  const embedder = createEmbedder({ model: TINY_MODEL_ID, dtype: 'q8', modelsDir: tmp, allowDownload: false, logger });
  const why = dir ? `MODELS_DIR=${dir} holds no ${model}` : 'MODELS_DIR is not set';
  return {
    embedder,
    real: false,
    about: [
      `MODEL: no real model (${why}; the model hub is out of reach here). Vector figures come from a GENERATED stand-in`,
      `       (${TINY_MODEL_ID}, ${options.minilm ? '6 layers, MiniLM-shaped' : 'embeddings only'}, q8, random weights; words of one synonym group share a row):`,
      "       it knows the client set's vocabulary and spells everything else in letter pieces, so on the conversation set",
      '       (other words, CJK) its vector and hybrid figures say little. Real-model figures: rerun with MODELS_DIR set.',
    ],
    close: async () => {
      await embedder.close();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/** Embeds the corpus in one call and each query on its own (as recall does), timing both. */
export async function embedAll(
  model: BenchModel,
  corpus: readonly string[],
  queries: readonly string[],
): Promise<{ corpus: Float32Array[]; queries: Float32Array[]; corpusMs: number; queryMs: number[] }> {
  let t = performance.now();
  const vectors = await model.embedder.embed([...corpus], { priority: 'background' });
  const corpusMs = performance.now() - t;
  const out: Float32Array[] = [];
  const queryMs: number[] = [];
  for (const q of queries) {
    t = performance.now();
    const [v] = await model.embedder.embed([q], { priority: 'query' });
    queryMs.push(performance.now() - t);
    out.push(v!);
  }
  return { corpus: vectors, queries: out, corpusMs, queryMs };
}
