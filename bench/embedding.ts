// Embedding throughput: the Embedder (worker thread + transformers.js pipeline, tokenising and pooling included)
// against raw onnxruntime-node InferenceSession.run on pre-tokenised tensors of the same shapes, on a generated model
// with all-MiniLM-L6-v2's compute (6 layers × 384-d, 12 heads, 1536 feed-forward; q8 by default) and the same batch
// (32 sentences of 16 tokens). Also: cold load time, the memory a loaded worker costs (child process, the default, and
// worker thread) and what stays after its idle stop, main-thread event-loop delay while embedding, and how long a
// query waits behind a background backlog. The hub is out of reach here, so the weights are random: the figures are
// about compute and overhead, not about retrieval quality.
// Usage: node bench/embedding.ts [rounds=30] [dtype=q8]

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pino } from 'pino';
import {
  createEmbedder,
  DTYPE_FILE_SUFFIX,
  sessionOptions,
  type Isolation,
} from '../adapters/embedding/transformers/embedder.ts';
import { generateTinyModel, SYNONYM_GROUPS, STOPWORDS, TINY_MODEL_ID } from '../test/support/tiny-model.ts';
import { line, percentile, summary } from './stats.ts';

const MINILM_LIKE = { hidden: 384, layers: 6, heads: 12, intermediate: 1536 };
const BATCH = 32;
const WORDS_PER_SENTENCE = 14; // + [CLS] and [SEP] = 16 tokens
const logger = pino({ level: 'silent' });

const rssMb = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? NaN) / 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Deterministic sentences from the model's vocabulary, all the same token length (no padding in either path). */
export function benchSentences(count: number, words = WORDS_PER_SENTENCE): string[] {
  const pool = [...SYNONYM_GROUPS.flat(), ...STOPWORDS];
  return Array.from({ length: count }, (_, i) =>
    Array.from({ length: words }, (_, j) => pool[(i * 31 + j * 17 + j * j) % pool.length]).join(' '),
  );
}

export interface EmbeddingBenchResult {
  embedderPerSec: number;
  rawPerSec: number;
  ratio: number;
  coldLoadMs: number;
  rss: Record<Isolation, RssFigures>;
}

interface RssFigures {
  baseline: number;
  bot: number;
  worker: number;
  botAfterStop: number;
  workerAfterStop: number;
}

/** RSS of this process's children (the embedding process, when there is one). */
function childrenRssMb(): number {
  const children = readFileSync(`/proc/self/task/${process.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  return children.reduce((sum, pid) => {
    try {
      return sum + Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
    } catch {
      return sum; // already gone
    }
  }, 0);
}

/** Child mode: RSS of a bot-like process before, with and after a loaded embedding worker (printed as JSON). */
async function rssChild(modelsDir: string, model: string, dtype: string, isolation: Isolation): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
  await sleep(200);
  gc();
  const baseline = rssMb();
  const embedder = createEmbedder({ model, dtype, modelsDir, allowDownload: false, logger, idleMs: 300, isolation });
  for (let i = 0; i < 5; i++) await embedder.embed(benchSentences(BATCH));
  const figures: Partial<RssFigures> = { baseline, bot: rssMb() - baseline, worker: childrenRssMb() };
  while (embedder.status().state !== 'idle') await sleep(50);
  await sleep(1000);
  gc();
  figures.botAfterStop = rssMb() - baseline;
  figures.workerAfterStop = childrenRssMb();
  await embedder.close();
  process.stdout.write(JSON.stringify(figures));
}

function measureRss(modelsDir: string, model: string, dtype: string, isolation: Isolation): RssFigures {
  const r = spawnSync(
    process.execPath,
    ['--expose-gc', fileURLToPath(import.meta.url), '--rss-child', modelsDir, model, dtype, isolation],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`RSS child failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as RssFigures;
}

export async function benchEmbedding(
  options: { rounds?: number; dtype?: 'q8' | 'fp32' } = {},
): Promise<EmbeddingBenchResult> {
  const rounds = options.rounds ?? 30;
  const dtype = options.dtype ?? 'q8';
  const modelsDir = mkdtempSync(join(tmpdir(), 'solo-bench-embed-'));
  try {
    const model = 'bench/minilm-like';
    let t = performance.now();
    await generateTinyModel(join(modelsDir, model), { ...MINILM_LIKE, dtypes: [dtype] });
    await generateTinyModel(join(modelsDir, TINY_MODEL_ID), { dtypes: [dtype] });
    console.log(
      `generated a MiniLM-like model (${MINILM_LIKE.layers} × ${MINILM_LIKE.hidden}-d, ${dtype}) in ${((performance.now() - t) / 1000).toFixed(1)} s; batch ${BATCH} × ${WORDS_PER_SENTENCE + 2} tokens`,
    );
    const sentences = benchSentences(BATCH);

    // Cold start: worker thread, transformers.js import, session creation, warm-up.
    const embedder = createEmbedder({ model, dtype, modelsDir, allowDownload: false, logger, batchSize: BATCH });
    const lean = createEmbedder({ model, dtype, modelsDir, allowDownload: false, logger }); // default batch size
    t = performance.now();
    await embedder.embed(['warm up']);
    const coldLoadMs = performance.now() - t;

    // Raw onnxruntime on the same file, the same execution provider, and the same token ids.
    const { env, AutoTokenizer } = await import('@huggingface/transformers');
    env.localModelPath = modelsDir;
    env.allowRemoteModels = false;
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(
      join(modelsDir, model, 'onnx', `model${DTYPE_FILE_SUFFIX[dtype]}.onnx`),
      { executionProviders: ['cpu'], ...sessionOptions() },
    );
    const tokenizer = await AutoTokenizer.from_pretrained(model);
    const encoded = tokenizer(sentences, { padding: true, truncation: true }) as Record<
      string,
      { data: BigInt64Array; dims: number[] }
    >;
    const feeds = Object.fromEntries(
      ['input_ids', 'attention_mask', 'token_type_ids'].map((k) => {
        const v = encoded[k];
        if (!v) throw new Error(`tokenizer gave no ${k}`);
        return [k, new ort.Tensor('int64', v.data, v.dims)];
      }),
    );
    const shape = feeds['input_ids']?.dims.join('×') ?? '?';

    // Same model, same answer: raw output mean-pooled and normalised equals the embedder's vector.
    const rawOut = (await session.run(feeds))['last_hidden_state'];
    const [first] = await embedder.embed([sentences[0] ?? '']);
    if (rawOut && first) {
      const [, seq = 0, dim = 0] = rawOut.dims;
      const data = rawOut.data as Float32Array;
      const pooled = new Float32Array(dim);
      for (let s = 0; s < seq; s++)
        for (let d = 0; d < dim; d++) pooled[d] = (pooled[d] ?? 0) + (data[s * dim + d] ?? 0) / seq;
      const norm = Math.hypot(...pooled);
      const cos = pooled.reduce((sum, x, i) => sum + (x / norm) * (first[i] ?? 0), 0);
      if (cos < 0.999) throw new Error(`embedder and raw onnxruntime disagree (cosine ${cos.toFixed(4)})`);
    }

    // Interleaved rounds so drift (turbo, other load) hits both paths alike.
    const raw: number[] = [];
    const emb: number[] = [];
    for (let i = 0; i < 3; i++) {
      await session.run(feeds);
      await embedder.embed(sentences);
    }
    for (let i = 0; i < rounds; i++) {
      t = performance.now();
      await session.run(feeds);
      raw.push(performance.now() - t);
      t = performance.now();
      await embedder.embed(sentences);
      emb.push(performance.now() - t);
    }
    // From the median batch: other programs on a small machine make the mean swing.
    const perSec = (times: number[]) =>
      (BATCH * 1000) /
      (percentile(
        [...times].sort((a, b) => a - b),
        50,
      ) || NaN);
    const rawPerSec = perSec(raw);
    const embedderPerSec = perSec(emb);
    await session.release();

    await embedder.close();

    // The defaults from here: queued work (10 × 32 texts at once) while the main thread's event loop is watched.
    await lean.embed(sentences);
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    t = performance.now();
    await Promise.all(Array.from({ length: 10 }, () => lean.embed(sentences, { priority: 'background' })));
    const queuedPerSec = (10 * BATCH * 1000) / (performance.now() - t);
    delay.disable();

    // A query behind a backlog of background work waits for at most the batch in flight.
    const backlog = lean.embed(benchSentences(BATCH * 20), { priority: 'background' });
    const queryMs: number[] = [];
    for (let i = 0; i < 15; i++) {
      await sleep(37);
      t = performance.now();
      await lean.embed(['when is the client invoice due'], { priority: 'query' });
      queryMs.push(performance.now() - t);
    }
    await backlog;
    const idleQuery: number[] = [];
    for (let i = 0; i < 10; i++) {
      t = performance.now();
      await lean.embed(['when is the client invoice due'], { priority: 'query' });
      idleQuery.push(performance.now() - t);
    }
    await lean.close();

    const rss = {
      process: measureRss(modelsDir, model, dtype, 'process'),
      thread: measureRss(modelsDir, model, dtype, 'thread'),
    };
    const tinyRss = measureRss(modelsDir, TINY_MODEL_ID, dtype, 'process');

    const ratio = embedderPerSec / rawPerSec;
    line(`raw onnxruntime (${shape} int64)`, `${rawPerSec.toFixed(0)} sentences/s   batch ${summary(raw, 'ms')}`);
    line(
      'Embedder (worker + transformers.js)',
      `${embedderPerSec.toFixed(0)} sentences/s   batch ${summary(emb, 'ms')}`,
    );
    line('Embedder / raw onnxruntime', `${(ratio * 100).toFixed(1)} %`, '≥ 90 %');
    line('default batch (8): 10 × 32 texts queued', `${queuedPerSec.toFixed(0)} sentences/s`);
    line(
      'main-thread event-loop delay meanwhile',
      `p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms  max ${(delay.max / 1e6).toFixed(1)} ms`,
    );
    line('query behind a background backlog', summary(queryMs, 'ms'));
    line('query with nothing queued', summary(idleQuery, 'ms'));
    line('cold load (worker + import + session)', `${coldLoadMs.toFixed(0)} ms`);
    line('RSS of the bot-like process, no worker', `${rss.process.baseline.toFixed(0)} MB`);
    line(
      'child process: bot + worker, loaded',
      `+${rss.process.bot.toFixed(0)} MB + ${rss.process.worker.toFixed(0)} MB (worker process; tiny model ${tinyRss.worker.toFixed(0)} MB)`,
    );
    line(
      'child process: after the idle stop',
      `+${rss.process.botAfterStop.toFixed(0)} MB + ${rss.process.workerAfterStop.toFixed(0)} MB`,
    );
    line('worker thread: bot, loaded', `+${rss.thread.bot.toFixed(0)} MB`);
    line('worker thread: after the idle stop', `+${rss.thread.botAfterStop.toFixed(0)} MB (not given back)`);
    return { embedderPerSec, rawPerSec, ratio, coldLoadMs, rss };
  } finally {
    rmSync(modelsDir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  if (process.argv[2] === '--rss-child') {
    await rssChild(
      process.argv[3] ?? '',
      process.argv[4] ?? '',
      process.argv[5] ?? 'q8',
      process.argv[6] === 'thread' ? 'thread' : 'process',
    );
  } else {
    const dtype = process.argv[3] === 'fp32' ? 'fp32' : 'q8';
    await benchEmbedding({ rounds: Number(process.argv[2] ?? 30), dtype });
  }
}
