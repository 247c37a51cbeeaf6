// The embedding worker: loads the transformers.js feature-extraction model from MODELS_DIR (downloading it first
// when allowed), then answers one batch at a time with mean-pooled, L2-normalised vectors. It runs as a child
// process (forked with the init as argv[2]) or as a worker thread (workerData); see runner.ts.

import { parentPort, workerData } from 'node:worker_threads';
import { LogLevel, env, pipeline } from '@huggingface/transformers';
import type { FromWorker, LoadFailure, ToWorker, WorkerInit } from './runner.ts';

const port = parentPort;
const parentSend = process.send?.bind(process);
if (!port && !parentSend)
  throw new Error('worker.ts runs as a child process or worker thread of the embedder (see runner.ts)');
const init = (port ? workerData : JSON.parse(process.argv[2] ?? '{}')) as WorkerInit;
const send = (msg: FromWorker, transfer: ArrayBuffer[] = []) =>
  port ? port.postMessage(msg, transfer) : parentSend?.(msg);
const onMessage = (handler: (msg: ToWorker) => void) =>
  port ? port.on('message', handler) : process.on('message', handler);
// A child whose bot has gone (crashed, killed) leaves with it.
if (!port) process.on('disconnect', () => process.exit(0));

env.localModelPath = init.modelsDir;
env.cacheDir = init.modelsDir;
env.allowLocalModels = true;
env.allowRemoteModels = init.allowDownload;
env.logLevel = LogLevel.ERROR; // warnings would only clutter the bot's output; failures reach its log as messages
if (init.remoteHost) env.remoteHost = init.remoteHost.endsWith('/') ? init.remoteHost : `${init.remoteHost}/`;

/** A hub that never answers must not hang loading forever: the response headers must come within 30 s. */
const CONNECT_TIMEOUT_MS = 30_000;
env.fetch = async (input: string | URL | Request, options?: RequestInit) => {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new Error(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`)),
    CONNECT_TIMEOUT_MS,
  );
  try {
    return await fetch(input, { ...options, signal: controller.signal });
  } finally {
    clearTimeout(timer);
  }
};

function classify(err: unknown): { kind: LoadFailure; detail: string } {
  const e = err instanceof Error ? err : new Error(String(err));
  const cause = e.cause instanceof Error ? e.cause : undefined;
  const code = (cause as { code?: string } | undefined)?.code;
  if (/not found locally|local_files_only|allowRemoteModels=false/.test(e.message))
    return { kind: 'missing', detail: e.message };
  if (
    e.name === 'AbortError' ||
    e.message === 'fetch failed' ||
    /ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|ECONNRESET|no answer within/.test(`${e.message} ${code ?? ''}`)
  ) {
    return { kind: 'network', detail: cause?.message ?? code ?? e.message };
  }
  if (/Could not locate file|status: 40[14]|\(40[14]\)/i.test(e.message)) {
    return { kind: 'not_on_hub', detail: /\/resolve\/[^/]+\/([^"\s]+)"/.exec(e.message)?.[1] ?? e.message };
  }
  return { kind: 'error', detail: e.message };
}

type Extractor = Awaited<ReturnType<typeof pipeline<'feature-extraction'>>>;

interface TensorLike {
  type: string;
  dims: number[];
  data: ArrayLike<number> | BigInt64Array;
  to(type: string): TensorLike;
}

/**
 * What the feature-extraction pipeline does with `pooling: 'mean', normalize: true` — tokenise with padding and
 * truncation, run the model, mean-pool over the attention mask, L2-normalise — with the pooling done in one pass
 * over a Float32Array: the library's generic mean_pooling took ~10 % of a MiniLM-sized batch here.
 * (The mean's division is left out: normalising cancels it.)
 */
async function embedBatch(ex: Extractor, texts: string[]): Promise<{ dims: number; data: Float32Array }> {
  const inputs = ex.tokenizer(texts, { padding: true, truncation: true }) as unknown as { attention_mask: TensorLike };
  const outputs = (await ex.model(inputs)) as Record<string, TensorLike | undefined>;
  let hidden = outputs['last_hidden_state'] ?? outputs['logits'] ?? outputs['token_embeddings'];
  if (!hidden || hidden.dims.length !== 3) throw new Error('the model gave no [batch, tokens, dims] output');
  if (hidden.type !== 'float32') hidden = hidden.to('float32');
  const [batch = 0, seq = 0, dims = 0] = hidden.dims;
  const h = hidden.data as Float32Array;
  const mask = inputs.attention_mask.data;
  const out = new Float32Array(batch * dims);
  for (let b = 0; b < batch; b++) {
    const o = b * dims;
    for (let t = 0; t < seq; t++) {
      if (Number(mask[b * seq + t] ?? 0) === 0) continue;
      const row = (b * seq + t) * dims;
      for (let d = 0; d < dims; d++) out[o + d] = (out[o + d] ?? 0) + (h[row + d] ?? 0);
    }
    let sq = 0;
    for (let d = 0; d < dims; d++) sq += (out[o + d] ?? 0) ** 2;
    const scale = 1 / Math.max(Math.sqrt(sq), 1e-12);
    for (let d = 0; d < dims; d++) out[o + d] = (out[o + d] ?? 0) * scale;
  }
  return { dims, data: out };
}

let extractor: Extractor | undefined;
try {
  const started = performance.now();
  let lastSent = 0;
  extractor = await pipeline('feature-extraction', init.model, {
    dtype: init.dtype as 'q8',
    session_options: init.sessionOptions,
    progress_callback: (info) => {
      // Aggregate progress over all files; only a real download reports anything below 100 %.
      if (info.status !== 'progress_total') return;
      const now = performance.now();
      if (now - lastSent < 250 && info.progress < 100) return;
      lastSent = now;
      send({ type: 'progress', progress: info.progress, loaded: info.loaded, total: info.total });
    },
  });
  const warm = await embedBatch(extractor, ['warm up']);
  send({ type: 'ready', dims: warm.dims, loadMs: performance.now() - started });
} catch (err) {
  send({ type: 'failed', ...classify(err) }); // the main thread terminates this worker
}

onMessage((msg) => {
  void (async () => {
    try {
      if (!extractor) throw new Error('the model is not loaded');
      const { dims, data } = await embedBatch(extractor, msg.texts);
      send({ type: 'result', id: msg.id, dims, data }, [data.buffer as ArrayBuffer]);
    } catch (err) {
      send({ type: 'error', id: msg.id, message: err instanceof Error ? err.message : String(err) });
    }
  })();
});
