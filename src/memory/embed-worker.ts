// The embedding worker thread: loads the transformers.js feature-extraction pipeline (mean pooling, L2-normalised)
// from MODELS_DIR, downloading it first when allowed, then answers one batch at a time. It runs off the main
// thread so tokenising and onnxruntime never block the chat. The protocol types live in embedder.ts.

import { parentPort, workerData } from 'node:worker_threads';
import { LogLevel, env, pipeline } from '@huggingface/transformers';
import type { FromWorker, LoadFailure, ToWorker, WorkerInit } from './embedder.ts';

const port = parentPort;
if (!port) throw new Error('embed-worker.ts runs as a worker thread (see embedder.ts)');
const init = workerData as WorkerInit;
const send = (msg: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(msg, transfer);

env.localModelPath = init.modelsDir;
env.cacheDir = init.modelsDir;
env.allowLocalModels = true;
env.allowRemoteModels = init.allowDownload;
env.logLevel = LogLevel.ERROR; // its warnings would go to the bot's stdout; failures reach the bot's log instead
if (init.remoteHost) env.remoteHost = init.remoteHost.endsWith('/') ? init.remoteHost : `${init.remoteHost}/`;

/** A hub that never answers must not hang loading forever: the response headers must come within 30 s. */
const CONNECT_TIMEOUT_MS = 30_000;
env.fetch = async (input: string | URL | Request, options?: RequestInit) => {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS);
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
  if (/not found locally|local_files_only|allowRemoteModels=false/.test(e.message)) return { kind: 'missing', detail: e.message };
  if (e.name === 'AbortError' || e.message === 'fetch failed' || /ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|ECONNRESET|no answer within/.test(`${e.message} ${code ?? ''}`)) {
    return { kind: 'network', detail: cause?.message ?? code ?? e.message };
  }
  if (/Could not locate file|status: 40[14]|\(40[14]\)/i.test(e.message)) {
    return { kind: 'not_on_hub', detail: /\/resolve\/[^/]+\/([^"\s]+)"/.exec(e.message)?.[1] ?? e.message };
  }
  return { kind: 'error', detail: e.message };
}

type Extractor = Awaited<ReturnType<typeof pipeline<'feature-extraction'>>>;

let extractor: Extractor | undefined;
try {
  const started = performance.now();
  let lastSent = 0;
  extractor = await pipeline('feature-extraction', init.model, {
    dtype: init.dtype as 'q8',
    ...(init.threads ? { session_options: { intraOpNumThreads: init.threads } } : {}),
    progress_callback: (info) => {
      // Aggregate progress over all files; only a real download reports anything below 100 %.
      if (info.status !== 'progress_total') return;
      const now = performance.now();
      if (now - lastSent < 250 && info.progress < 100) return;
      lastSent = now;
      send({ type: 'progress', progress: info.progress, loaded: info.loaded, total: info.total });
    },
  });
  const warm = await extractor(['warm up'], { pooling: 'mean', normalize: true });
  send({ type: 'ready', dims: warm.dims.at(-1) ?? 0, loadMs: performance.now() - started });
} catch (err) {
  send({ type: 'failed', ...classify(err) }); // the main thread terminates this worker
}

port.on('message', (msg: ToWorker) => {
  void (async () => {
    try {
      if (!extractor) throw new Error('the model is not loaded');
      const out = await extractor(msg.texts, { pooling: 'mean', normalize: true });
      const dims = out.dims.at(-1) ?? 0;
      const data = out.data instanceof Float32Array ? out.data : Float32Array.from(out.data as ArrayLike<number>);
      // Transfer only a buffer this result owns.
      const own = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : data.slice();
      send({ type: 'result', id: msg.id, dims, data: own }, [own.buffer as ArrayBuffer]);
    } catch (err) {
      send({ type: 'error', id: msg.id, message: err instanceof Error ? err.message : String(err) });
    }
  })();
});
