// Local sentence embeddings for memory: the Embedder port (src/ports/embedder.ts) implemented on transformers.js, which runs in
// a worker (worker.ts: a child process by default, or a worker thread; see runner.ts) so the chat never
// waits for it. Texts queue up here; 'query' work jumps ahead of 'background' work, and small requests are packed
// into batches. The worker starts on first use and stops after `idleMs` without work, so an idle bot does not hold
// the model. A model that is missing (downloads off) or cannot be downloaded makes the embedder 'unavailable' with a
// one-sentence reason; memory then keeps to keyword recall.

import { EmbedderError, type Embedder, type EmbedderState, type EmbedderStatus } from '../../../src/ports/embedder.ts';
import type { Logger } from '../../../src/observability/logger.ts';
import {
  missingModelFiles,
  sessionOptions,
  startRunner,
  type FromWorker,
  type Isolation,
  type LoadFailure,
  type Runner,
  type ToWorker,
  type WorkerInit,
} from './runner.ts';

export { DTYPE_FILE_SUFFIX, missingModelFiles, sessionOptions, type Isolation } from './runner.ts';

export type { Embedder } from '../../../src/ports/embedder.ts';
export { EmbedderError } from '../../../src/ports/embedder.ts';

export interface EmbedderOptions {
  /** Hub model id, e.g. Xenova/all-MiniLM-L6-v2, or "off". */
  model: string;
  /** q8 (default of the settings), fp32, fp16 or q4: picks onnx/model{_quantized,,_fp16,_q4}.onnx. */
  dtype: string;
  modelsDir: string;
  allowDownload: boolean;
  logger: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
  /** Stop the worker after this long without work (default 5 minutes). */
  idleMs?: number;
  /**
   * Texts per model call (default 8). On a 2-core machine throughput was flat from 4 to 32 for a MiniLM-sized model,
   * while a query waits for the batch in flight: ~35 ms at 8, ~150 ms at 32.
   */
  batchSize?: number;
  /** First wait before trying a failed download again; doubles up to 32× (default 60 s). */
  retryMs?: number;
  /** Model hub (or mirror) to download from (default https://huggingface.co/). */
  remoteHost?: string;
  /** onnxruntime intra-op threads (default: onnxruntime's choice, one per core). */
  threads?: number;
  /** 'process' (default: memory goes back when it stops, a native crash stays contained) or 'thread'. */
  isolation?: Isolation;
  /** Worker script (tests wrap the real one); default ./worker.ts. */
  workerUrl?: URL;
}

interface Job {
  texts: string[];
  /** Indices of texts not yet sent, shortest first (a batch is padded to its longest text). */
  order: number[];
  next: number;
  out: Float32Array[];
  remaining: number;
  settled: boolean;
  resolve: (v: Float32Array[]) => void;
  reject: (e: unknown) => void;
  detach: () => void;
}

interface Batch {
  id: number;
  parts: { job: Job; indices: number[] }[];
}

const MAX_BACKOFF = 32;

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error
    ? reason
    : new DOMException(typeof reason === 'string' ? reason : 'The operation was aborted.', 'AbortError');
}

export function createEmbedder(options: EmbedderOptions): Embedder {
  return new WorkerEmbedder(options);
}

class WorkerEmbedder implements Embedder {
  readonly model: string;
  readonly #o: EmbedderOptions;
  readonly #log: EmbedderOptions['logger'];
  #state: EmbedderState;
  #dims: number | undefined;
  #reason: string | undefined;
  #progress: number | undefined;
  #worker: Runner | undefined;
  #queries: Job[] = [];
  #background: Job[] = [];
  #inFlight: Batch | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  #retryAt = 0;
  #failures = 0;
  #failure: LoadFailure | undefined;
  #nextId = 1;
  #lastProgressLog = 0;
  #loadStarted = 0;
  #closed = false;

  constructor(options: EmbedderOptions) {
    this.#o = options;
    this.#log = options.logger;
    this.model = options.model;
    this.#state = options.model === 'off' ? 'off' : 'idle';
  }

  status(): EmbedderStatus {
    const s: EmbedderStatus = { state: this.#state, model: this.model };
    if (this.#dims !== undefined) s.dims = this.#dims;
    if (this.#reason !== undefined && this.#state === 'unavailable') s.reason = this.#reason;
    if (this.#progress !== undefined && this.#state === 'downloading') s.progress = this.#progress;
    return s;
  }

  embed(
    texts: string[],
    options: { priority?: 'query' | 'background'; signal?: AbortSignal } = {},
  ): Promise<Float32Array[]> {
    if (this.#closed) return Promise.reject(new EmbedderError('embedder_closed', 'The embedder has been closed.'));
    if (this.#state === 'off')
      return Promise.reject(new EmbedderError('embedder_off', 'Embeddings are off (EMBEDDING_MODEL=off).'));
    if (!Array.isArray(texts) || texts.some((t) => typeof t !== 'string'))
      return Promise.reject(new TypeError('embed() takes an array of strings'));
    if (options.signal?.aborted) return Promise.reject(abortError(options.signal));
    if (texts.length === 0) return Promise.resolve([]);
    if (this.#state === 'unavailable' && !this.#mayRetry()) return Promise.reject(this.#unavailableError());

    return new Promise<Float32Array[]>((resolve, reject) => {
      const order = texts.map((_, i) => i).sort((a, b) => (texts[a]?.length ?? 0) - (texts[b]?.length ?? 0));
      const queue = options.priority === 'query' ? this.#queries : this.#background;
      const signal = options.signal;
      const onAbort = () => signal && this.#settle(job, abortError(signal));
      const job: Job = {
        texts,
        order,
        next: 0,
        out: new Array<Float32Array>(texts.length),
        remaining: texts.length,
        settled: false,
        resolve,
        reject,
        detach: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      queue.push(job);
      this.#startWorker();
      this.#pump();
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#failAll(new EmbedderError('embedder_closed', 'The embedder has been closed.'));
    await this.#stopWorker();
    if (this.#state !== 'off') this.#state = 'idle';
  }

  // ── worker lifecycle ──────────────────────────────────────────────────────────────────────────────────────────

  #mayRetry(): boolean {
    // A missing model with downloads off is looked for again at once (someone may have run `npm run models`);
    // anything else (a failed download, a file that does not load) waits for the backoff.
    if (this.#failure === 'missing' && !this.#o.allowDownload)
      return missingModelFiles(this.#o.modelsDir, this.model, this.#o.dtype).length === 0;
    return Date.now() >= this.#retryAt;
  }

  #unavailableError(): EmbedderError {
    return new EmbedderError('embedder_unavailable', this.#reason ?? `Embedding model ${this.model} is unavailable.`, {
      retryable: true,
    });
  }

  #startWorker(): void {
    clearTimeout(this.#idleTimer);
    if (this.#worker) {
      this.#worker.ref();
      return;
    }
    const missing = missingModelFiles(this.#o.modelsDir, this.model, this.#o.dtype);
    if (missing.length > 0 && !this.#o.allowDownload) {
      this.#unavailable('missing', `missing ${missing.join(', ')}`);
      return;
    }
    const init: WorkerInit = {
      model: this.model,
      dtype: this.#o.dtype,
      modelsDir: this.#o.modelsDir,
      allowDownload: this.#o.allowDownload,
      sessionOptions: sessionOptions(this.#o.threads),
    };
    if (this.#o.remoteHost !== undefined) init.remoteHost = this.#o.remoteHost;
    this.#state = missing.length > 0 ? 'downloading' : 'loading';
    this.#progress = missing.length > 0 ? 0 : undefined;
    this.#loadStarted = performance.now();
    this.#log.info(
      { model: this.model, dtype: this.#o.dtype, modelsDir: this.#o.modelsDir, download: missing.length > 0 },
      missing.length > 0 ? 'embedding model: downloading' : 'embedding model: loading',
    );
    const script = this.#o.workerUrl ?? new URL('./worker.ts', import.meta.url);
    const worker: Runner = startRunner(this.#o.isolation ?? 'process', script, init, {
      message: (msg) => this.#onMessage(worker, msg),
      crash: (err) => this.#onCrash(worker, err),
    });
    this.#worker = worker;
  }

  async #stopWorker(): Promise<void> {
    clearTimeout(this.#idleTimer);
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker) await worker.stop();
  }

  #onMessage(worker: Runner, msg: FromWorker): void {
    if (worker !== this.#worker) return;
    switch (msg.type) {
      case 'progress': {
        // Files read from MODELS_DIR report 100 % at once; only a download is worth a state and log lines.
        if (this.#state !== 'downloading' && msg.progress >= 100) return;
        this.#state = 'downloading';
        this.#progress = Math.round(msg.progress * 10) / 10;
        const now = performance.now();
        if (now - this.#lastProgressLog > 2000 || msg.progress >= 100) {
          this.#lastProgressLog = now;
          this.#log.info(
            {
              model: this.model,
              progress: this.#progress,
              loadedMb: +(msg.loaded / 1e6).toFixed(1),
              totalMb: +(msg.total / 1e6).toFixed(1),
            },
            `embedding model: downloading ${this.#progress.toFixed(0)}%`,
          );
        }
        return;
      }
      case 'ready':
        this.#state = 'ready';
        this.#dims = msg.dims;
        this.#reason = undefined;
        this.#progress = undefined;
        this.#failures = 0;
        this.#log.info(
          { model: this.model, dims: msg.dims, loadMs: Math.round(performance.now() - this.#loadStarted) },
          'embedding model: ready',
        );
        this.#pump();
        return;
      case 'failed':
        this.#unavailable(msg.kind, msg.detail);
        return;
      case 'result':
      case 'error': {
        const batch = this.#inFlight;
        if (!batch || batch.id !== msg.id) return;
        this.#inFlight = undefined;
        if (msg.type === 'error') {
          const err = new EmbedderError('embed_failed', `Embedding failed: ${msg.message}`);
          for (const part of batch.parts) this.#settle(part.job, err);
        } else {
          let row = 0;
          for (const { job, indices } of batch.parts) {
            for (const i of indices) job.out[i] = msg.data.slice(row * msg.dims, ++row * msg.dims);
            job.remaining -= indices.length;
            if (job.remaining === 0) this.#settle(job);
          }
        }
        this.#pump();
        return;
      }
    }
  }

  #onCrash(worker: Runner, err: Error): void {
    if (worker !== this.#worker) return; // stopped on purpose, or already handled
    this.#worker = undefined;
    const loading = this.#state === 'loading' || this.#state === 'downloading';
    this.#log.error({ err, model: this.model }, 'embedding worker crashed');
    const error = new EmbedderError(
      'embedder_crashed',
      `The embedding worker stopped unexpectedly (${err.message}); the next request starts a new one.`,
      { cause: err, retryable: true },
    );
    this.#failAll(error);
    if (loading) this.#unavailable('error', err.message);
    else this.#state = 'idle';
  }

  #unavailable(kind: LoadFailure, detail: string): void {
    this.#failures = Math.min(this.#failures + 1, 16);
    this.#failure = kind;
    const wait = (this.#o.retryMs ?? 60_000) * Math.min(MAX_BACKOFF, 2 ** (this.#failures - 1));
    this.#retryAt = Date.now() + wait;
    this.#state = 'unavailable';
    this.#progress = undefined;
    this.#reason = this.#reasonFor(kind, detail, wait);
    this.#log.warn(
      { model: this.model, dtype: this.#o.dtype, kind, detail },
      `embedding model unavailable: ${this.#reason}`,
    );
    this.#failAll(this.#unavailableError());
    void this.#stopWorker();
  }

  #reasonFor(kind: LoadFailure, rawDetail: string, waitMs: number): string {
    const detail = rawDetail.trim().replace(/[.\s]+$/, '');
    const where = `MODELS_DIR (${this.#o.modelsDir})`;
    const retry = `; memory uses keyword recall and tries again in ${Math.ceil(waitMs / 60_000)} min`;
    switch (kind) {
      case 'missing':
        return `Embedding model ${this.model} (${this.#o.dtype}) is not in ${where} and downloads are off: run \`npm run models\` or set EMBEDDING_DOWNLOAD=yes.`;
      case 'network':
        return `Embedding model ${this.model} could not be downloaded into ${where} because the model hub is unreachable (${detail})${retry}, or run \`npm run models\` once the network is back.`;
      case 'not_on_hub':
        return `Embedding model ${this.model} is not on the model hub with ${this.#o.dtype} weights (no ${detail} there); check EMBEDDING_MODEL and EMBEDDING_DTYPE.`;
      case 'error':
        return `Embedding model ${this.model} (${this.#o.dtype}) from ${where} failed to load: ${detail}${retry}.`;
    }
  }

  // ── queue ─────────────────────────────────────────────────────────────────────────────────────────────────────

  /** Sends the next batch when the worker is ready and idle: queries first, small jobs packed together. */
  #pump(): void {
    if (this.#inFlight || this.#state !== 'ready' || !this.#worker) return;
    const size = Math.max(1, this.#o.batchSize ?? 8);
    const batch: Batch = { id: this.#nextId++, parts: [] };
    let count = 0;
    for (const queue of [this.#queries, this.#background]) {
      while (count < size && queue.length > 0) {
        const job = queue[0];
        if (!job) break;
        const indices = job.order.slice(job.next, job.next + (size - count));
        job.next += indices.length;
        count += indices.length;
        batch.parts.push({ job, indices });
        if (job.next >= job.order.length) queue.shift();
      }
    }
    if (count === 0) {
      this.#scheduleIdleStop();
      return;
    }
    const texts = batch.parts.flatMap(({ job, indices }) => indices.map((i) => job.texts[i] ?? ''));
    this.#inFlight = batch;
    this.#worker.send({ type: 'embed', id: batch.id, texts } satisfies ToWorker);
  }

  #scheduleIdleStop(): void {
    const worker = this.#worker;
    if (!worker) return;
    worker.unref(); // an idle embedder never keeps the process alive
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => {
      if (this.#worker !== worker || this.#inFlight || this.#queries.length + this.#background.length > 0) return;
      this.#log.debug({ model: this.model }, 'embedding worker stopped after idling');
      void this.#stopWorker();
      if (this.#state === 'ready') this.#state = 'idle';
    }, this.#o.idleMs ?? 300_000);
    this.#idleTimer.unref();
  }

  /** Resolves (no error) or rejects a job once, and takes it out of the queues. */
  #settle(job: Job, error?: unknown): void {
    if (job.settled) return;
    job.settled = true;
    job.detach();
    this.#queries = this.#queries.filter((j) => j !== job);
    this.#background = this.#background.filter((j) => j !== job);
    if (error === undefined) job.resolve(job.out);
    else job.reject(error);
  }

  #failAll(error: unknown): void {
    const jobs = new Set([...this.#queries, ...this.#background, ...(this.#inFlight?.parts.map((p) => p.job) ?? [])]);
    this.#inFlight = undefined;
    for (const job of jobs) this.#settle(job, error);
  }
}
