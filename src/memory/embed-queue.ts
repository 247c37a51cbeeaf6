// The background embedding queue of the memory service: ids wait here, are embedded in batches at 'background'
// priority (queries jump ahead inside the embedder), and each vector is stored before it is handed to the index.
// A failure (model unavailable, worker crash) drops the batch: those memories keep working on keywords and are
// embedded again at the next start's backfill.

import type { Logger } from '../observability/logger.ts';
import type { MemoryStore } from '../ports/store.ts';
import type { Embedder } from '../ports/embedder.ts';

const BATCH = 32;
const DELAY_MS = 20;

export class EmbedQueue {
  readonly #embedder: Embedder;
  readonly #store: MemoryStore;
  readonly #log: Logger;
  readonly #onVector: (id: string, vector: Float32Array) => void;
  readonly #pending = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #chain: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(options: {
    embedder: Embedder;
    store: MemoryStore;
    logger: Logger;
    onVector: (id: string, vector: Float32Array) => void;
  }) {
    this.#embedder = options.embedder;
    this.#store = options.store;
    this.#log = options.logger;
    this.#onVector = options.onVector;
  }

  /** The model vectors are stored under, or undefined when embeddings are off. */
  get model(): string | undefined {
    return this.#embedder.status().state === 'off' ? undefined : this.#embedder.model;
  }

  add(ids: Iterable<string>): void {
    for (const id of ids) this.#pending.add(id);
    if (!this.model || this.#pending.size === 0 || this.#timer || this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#chain = this.#chain.then(() => this.#run());
    }, DELAY_MS);
    this.#timer.unref();
  }

  async #run(): Promise<void> {
    const model = this.model;
    if (!model) return;
    while (this.#pending.size > 0 && !this.#closed) {
      const ids = [...this.#pending].slice(0, BATCH);
      for (const id of ids) this.#pending.delete(id);
      const memories = (await this.#store.getMany(ids)).filter((m) => !m.forgottenAt);
      if (memories.length === 0) continue;
      let vectors: Float32Array[];
      try {
        vectors = await this.#embedder.embed(
          memories.map((m) => m.text),
          { priority: 'background' },
        );
      } catch (err) {
        // The model is unavailable or the worker died: the memories keep working on keywords; the next
        // start (or the next write) tries again. /status says why.
        this.#log.warn({ err: (err as Error).message, count: memories.length }, 'embedding skipped');
        return;
      }
      for (const [i, m] of memories.entries()) {
        const v = vectors[i];
        if (!v) continue;
        await this.#store.setVector(m.id, model, v);
        this.#onVector(m.id, v);
      }
    }
  }

  /** Resolves when every queued embedding is written (tests and benchmarks wait on it). */
  async drain(): Promise<void> {
    while (this.#pending.size > 0 || this.#timer) {
      await new Promise((r) => setTimeout(r, 25));
      await this.#chain;
      if (!this.model) break;
    }
    await this.#chain;
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#chain.catch(() => undefined);
  }
}
