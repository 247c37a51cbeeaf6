// The memory layer: one canonical record of clients, content and decisions that every agent draws on.
// Writes go to the store first (durable), then to the event log (audit), then to the in-process recall index.
// Embeddings are computed in the background (by the embedder port, a child process): remember() never waits, and recall works
// on keywords alone until a memory's vector arrives or when no model is available.

import { newEvent, type NewEvent } from '../domain/events.ts';
import { InputError } from '../domain/errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Memory, MemoryKind, MemorySource, Store } from '../ports/store.ts';
import { PROFILE_KINDS } from '../ports/store.ts';
import type { Embedder } from '../ports/embedder.ts';
import { EmbedQueue } from './embed-queue.ts';
import { correctionTargets, factTerms, sameFact } from './same-fact.ts';
import { EntityRegistry, entityKey, leadingSubject, profileEntityKind } from './entities.ts';
import { graphemeLength } from '../domain/text.ts';
import { buildContext } from './index/context.ts';
import { RecallIndex, type RecallHit as IndexHit } from './index/hybrid.ts';
import { loadRecallIndex, newRecallIndex, storedDims } from './rebuild.ts';
import { storeRecall } from './store-recall.ts';
import type { MemoryStatus, RecallHit, RecallOptions, RememberInput, RememberResult } from './types.ts';
import { describeSource } from './source.ts';

export const MEMORY_STREAM = 'memory';
const MAX_TEXT = 4000;
const QUERY_EMBED_TIMEOUT_MS = 400;
/** Memories read per store call when walking all of them. */
const SCAN_PAGE = 500;
/** all-MiniLM-L6-v2's width; another model's first vector re-creates the index at its width. */
const DEFAULT_DIMS = 384;

export type { MemoryStatus, RecallHit, RecallOptions, RememberInput, RememberResult } from './types.ts';

export { describeSource };

/** The audit event of a new memory; a workflow's write carries a dedupe key, so a replayed step appends it once. */
function addedEvent(memory: Memory): NewEvent {
  const { source } = memory;
  return newEvent(
    'memory.added',
    MEMORY_STREAM,
    {
      memoryId: memory.id,
      kind: memory.kind,
      text: memory.text,
      entities: memory.entities,
      ...(source.channel ? { channel: source.channel } : {}),
      ...(source.runId ? { runId: source.runId } : {}),
      ...(source.importedFrom ? { importedFrom: source.importedFrom } : {}),
    },
    source.runId ? `memory.added:${memory.id}` : undefined,
  );
}

export class MemoryService {
  readonly #store: Store;
  readonly #embedder: Embedder | undefined;
  readonly #log: Logger;
  /** Where the recall index keeps its vector rows (a file removed at once, see index/vector-rows.ts). */
  readonly #indexDir: string | undefined;
  #index = new RecallIndex({ dims: DEFAULT_DIMS });
  readonly #entities = new EntityRegistry();
  readonly #embeds: EmbedQueue | undefined;
  #ready: Promise<void> | undefined;
  #indexed = false;

  constructor(options: { store: Store; embedder?: Embedder; logger: Logger; indexDir?: string }) {
    this.#store = options.store;
    this.#indexDir = options.indexDir;
    this.#embedder = options.embedder;
    this.#log = options.logger.child({ component: 'memory' });
    this.#embeds = options.embedder
      ? new EmbedQueue({
          embedder: options.embedder,
          store: this.#store.memories,
          logger: this.#log,
          onVector: (id, v) => this.#setVector(id, v),
        })
      : undefined;
  }

  /** Rebuilds the recall index from the store in the background; recall uses store keyword search until it is done. */
  start(): Promise<void> {
    this.#ready ??= this.#rebuild().catch((err: unknown) => {
      this.#log.error({ err }, 'rebuilding the recall index failed; recall uses keyword search on the store');
    });
    return this.#ready;
  }

  async #rebuild(): Promise<void> {
    const started = performance.now();
    const model = this.#vectorModel();
    const dims = (model ? await storedDims(this.#store.memories, model) : undefined) ?? this.#index.dims;
    this.#replaceIndex(newRecallIndex(dims, { vectors: model !== undefined, dir: this.#indexDir, log: this.#log }));
    await loadRecallIndex(this.#index, this.#store.memories, model, (m) => this.#indexMemory(m), this.#log);
    if (model) void this.#backfill(model);
    this.#indexed = true;
    this.#log.debug(
      { memories: this.#index.size, vectors: this.#index.vectors.size, ms: Math.round(performance.now() - started) },
      'recall index built',
    );
  }

  #replaceIndex(index: RecallIndex): void {
    this.#index.close();
    this.#index = index;
  }

  #vectorModel(): string | undefined {
    return this.#embeds?.model;
  }

  async #backfill(model: string): Promise<void> {
    const missing = await this.#store.memories.missingVectors(model, 100_000);
    this.#embeds?.add(missing.filter((m) => !m.digestId).map((m) => m.id));
  }

  #indexMemory(m: Memory): void {
    if (m.forgottenAt || m.digestId) {
      this.#index.remove(Number(m.id));
      return;
    }
    const meta = {
      kind: m.kind,
      entities: m.entities,
      importance: m.importance,
      updatedAt: m.updatedAt,
      ...(m.lastUsedAt ? { lastUsedAt: m.lastUsedAt } : {}),
    };
    this.#index.upsert(Number(m.id), { text: m.text, meta });
    // The first entity of a memory with a subject is the one it is about (see remember()).
    if (m.subject && m.entities[0]) this.#entities.add(m.entities[0], m.subject);
  }

  #setVector(id: string, vector: Float32Array): void {
    if (vector.length !== this.#index.dims) {
      // A model of another width: rebuild at that width from the store (recall uses store search meanwhile).
      this.#indexed = false;
      this.#ready = this.#rebuild().catch((err: unknown) =>
        this.#log.error({ err }, 'rebuilding the recall index failed'),
      );
      return;
    }
    try {
      this.#index.setVector(Number(id), vector);
    } catch (err) {
      // The vector file failed (disk full, I/O error): the vector is stored, and the next start loads it.
      this.#log.warn(
        { err, memoryId: id },
        'a vector could not be added to the recall index; it is loaded at next start',
      );
    }
  }

  /** Resolves when queued embeddings are written (tests and benchmarks wait on it). */
  async settled(): Promise<void> {
    await this.#ready;
    await this.#embeds?.drain();
  }

  /** Entity keys named in a text (known names, or a leading "Name:" subject). */
  entitiesIn(text: string): string[] {
    return this.#entities.detect(text);
  }

  /** Names of known clients, contacts and projects (for the router's prompt). */
  knownNames(limit: number): string[] {
    return this.#entities.names(limit);
  }

  entityName(key: string): string | undefined {
    return this.#entities.name(key);
  }

  /** What a text is about: a leading "Name:" (a known entity, or a new one of the kind's entity kind) and every known name in it. */
  #about(
    text: string,
    kind: MemoryKind,
    given: { subject?: string; entities?: string[] } = {},
  ): { entities: string[]; subject?: string } {
    let subject = given.subject;
    const entities = new Set(given.entities ?? []);
    const lead = subject ? undefined : leadingSubject(text);
    if (lead) {
      const known = this.#entities.detect(lead.name);
      const key = known[0] ?? entityKey(profileEntityKind(kind) ?? 'client', lead.name);
      entities.add(key);
      subject = this.#entities.name(key) ?? lead.name;
    }
    for (const e of this.#entities.detect(text)) entities.add(e);
    return { entities: [...entities], ...(subject ? { subject } : {}) };
  }

  async remember(input: RememberInput): Promise<RememberResult> {
    const text = input.text.trim();
    if (text === '') throw new InputError('There is nothing to remember in an empty message.');
    const length = graphemeLength(text);
    if (length > MAX_TEXT)
      throw new InputError(
        `That is ${length} characters; a memory holds at most ${MAX_TEXT}. Split it, or import it as a file.`,
      );
    const kind = input.kind ?? 'fact';
    const { entities, subject } = this.#about(text, kind, input);
    if (subject && entities.length > 0) this.#entities.add(entities[0]!, subject);

    // A workflow step cut short by a crash runs again: the same text from the same run is that write, not another
    // memory (whatever `dedupe` says).
    // The memories about the entity, read once for both checks below.
    const linked =
      entities.length > 0 && (input.source.runId || input.dedupe !== 'none')
        ? await this.#store.memories.byEntity(entities[0]!, 200)
        : [];
    const runId = input.source.runId;
    const repeated = runId
      ? linked.find((m) => m.kind === kind && m.text === text && m.source.runId === runId && !m.forgottenAt)
      : undefined;
    if (repeated) {
      // The crash may have come between the row and its event: the event is appended now, once (its dedupe key).
      await this.#store.events.append(addedEvent(repeated));
      return { memory: repeated, action: 'unchanged' };
    }
    const existing = input.dedupe === 'none' ? undefined : this.#canonical(kind, entities, text, linked);
    if (existing) {
      if (existing.text === text) return { memory: existing, action: 'unchanged' };
      // An update is a correction: the old version stays (retracted, pointing at the new one) and can come back.
      const reason = PROFILE_KINDS.has(kind) ? 'profile' : 'same fact';
      const updated = await this.#replace(existing, {
        text,
        entities: [...new Set([...existing.entities, ...entities])],
        source: input.source,
        reason,
        ...(input.importance !== undefined ? { importance: input.importance } : {}),
      });
      return { memory: updated, action: 'updated', previous: existing, previousText: existing.text };
    }
    const memory = await this.#store.memories.add({
      text,
      kind,
      entities,
      ...(subject ? { subject } : {}),
      importance: input.importance ?? (kind === 'decision' || PROFILE_KINDS.has(kind) ? 0.7 : 0.5),
      source: input.source,
      ...(input.at ? { at: input.at } : {}),
    });
    await this.#store.events.append(addedEvent(memory));
    this.#written(memory);
    return { memory, action: 'created' };
  }

  /** The live memory a new one should update instead of sitting next to: a profile of the same entity, or the same fact about it. */
  #canonical(kind: MemoryKind, entities: string[], text: string, linked: Memory[]): Memory | undefined {
    if (entities.length === 0) return undefined;
    if (PROFILE_KINDS.has(kind)) return linked.find((m) => m.kind === kind);
    const names = entities.map((e) => this.#entities.name(e) ?? e.slice(e.indexOf(':') + 1).replaceAll('-', ' '));
    const terms = factTerms(text, names);
    return linked.find((m) => m.kind === kind && sameFact(terms, factTerms(m.text, names)));
  }

  #written(m: Memory): void {
    this.#indexMemory(m);
    if (!m.forgottenAt && !m.digestId) {
      this.#embeds?.add([m.id]);
    }
  }

  async get(id: string): Promise<Memory | null> {
    return this.#store.memories.get(id);
  }

  /** Replaces a live memory's text in place (an import's changed paragraph); the old text stays in the event log. */
  async revise(id: string, text: string, reason: string): Promise<Memory | null> {
    const before = await this.#store.memories.get(id);
    if (!before || before.forgottenAt) return null;
    if (before.text === text) return before;
    const updated = await this.#store.memories.update(id, { text });
    if (!updated) return null;
    await this.#store.events.append(
      newEvent('memory.updated', MEMORY_STREAM, { memoryId: id, text, previousText: before.text, reason }),
    );
    this.#written(updated);
    return updated;
  }

  /** Live memories by where they were imported from (for re-imports). */
  async importedSources(): Promise<Map<string, Memory>> {
    const out = new Map<string, Memory>();
    let after: string | undefined;
    for (;;) {
      const page = await this.#store.memories.scan(after, SCAN_PAGE);
      for (const m of page) if (m.source.importedFrom) out.set(m.source.importedFrom, m);
      if (page.length < SCAN_PAGE) break;
      after = page.at(-1)!.id;
    }
    return out;
  }

  async #queryVector(query: string): Promise<Float32Array | undefined> {
    if (!this.#vectorModel() || !this.#embedder || this.#index.vectors.size === 0) return undefined;
    const state = this.#embedder.status().state;
    if (state === 'unavailable') return undefined;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), QUERY_EMBED_TIMEOUT_MS);
    try {
      const [v] = await this.#embedder.embed([query], { priority: 'query', signal: controller.signal });
      return v;
    } catch {
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Hybrid recall: keyword + vector + recency + importance. Entities named in the query are searched first. */
  async recall(query: string, options: RecallOptions = {}): Promise<RecallHit[]> {
    const k = options.k ?? 5;
    if (!this.#indexed) return storeRecall(this.#store.memories, query, k);
    const vector = await this.#queryVector(query);
    const now = new Date();
    const base = { query, k, now, ...(vector ? { vector } : {}), ...(options.kinds ? { kinds: options.kinds } : {}) };
    const named = options.entities ?? this.#entities.detect(query);
    let ranked: IndexHit[] = named.length > 0 ? this.#search({ ...base, entities: named }) : [];
    if (ranked.length < k && !options.entities) {
      const seen = new Set(ranked.map((h) => h.id));
      ranked = [...ranked, ...this.#search(base).filter((h) => !seen.has(h.id))].slice(0, k);
    }
    const memories = await this.#store.memories.getMany(ranked.map((h) => String(h.id)));
    const byId = new Map(memories.map((m) => [m.id, m]));
    const hits = ranked.flatMap((h) => {
      const memory = byId.get(String(h.id));
      return memory && !memory.forgottenAt ? [{ memory, score: h.score, components: h.components }] : [];
    });
    if (options.touch && hits.length > 0) {
      const ids = hits.map((h) => h.memory.id);
      await this.#store.memories.touch(ids, now);
      this.#index.touch(
        hits.map((h) => Number(h.memory.id)),
        now,
      );
    }
    return hits;
  }

  /** The index's search; when its vector file fails (an I/O error), the same search on keywords alone. */
  #search(q: Parameters<RecallIndex['search']>[0]): IndexHit[] {
    if (!q.vector) return this.#index.search(q);
    try {
      return this.#index.search(q);
    } catch (err) {
      this.#log.warn({ err }, 'vector search failed; this recall uses keywords only');
      const { vector: _vector, ...keywords } = q;
      return this.#index.search(keywords);
    }
  }

  /** A token-budgeted block of the memories most relevant to `query`, for an agent's prompt. */
  async context(
    query: string,
    options: { maxTokens: number; k?: number; entities?: string[]; wrap?: (m: Memory) => string },
  ): Promise<{ text: string; used: Memory[] }> {
    const hits = await this.recall(query, {
      k: options.k ?? 12,
      touch: true,
      ...(options.entities ? { entities: options.entities } : {}),
    });
    const wrap = options.wrap ?? ((m: Memory) => m.text);
    const built = buildContext(
      hits.map((h) => ({
        id: Number(h.memory.id),
        text: wrap(h.memory),
        source: describeSource(h.memory.source, h.memory.createdAt),
      })),
      { maxTokens: options.maxTokens },
    );
    const used = new Set(built.used.map(String));
    return { text: built.text, used: hits.map((h) => h.memory).filter((m) => used.has(m.id)) };
  }

  /** Retracts a memory (kept in the store and the event log). False when it was not live. */
  async forget(id: string, reason = 'operator'): Promise<Memory | null> {
    const memory = await this.#store.memories.get(id);
    if (!memory || !(await this.#store.memories.forget(id))) return null;
    await this.#store.events.append(newEvent('memory.forgotten', MEMORY_STREAM, { memoryId: id, reason }));
    this.#index.remove(Number(id));
    return memory;
  }

  async restore(id: string): Promise<Memory | null> {
    if (!(await this.#store.memories.restore(id))) return null;
    const memory = await this.#store.memories.get(id);
    if (!memory) return null;
    await this.#store.events.append(newEvent('memory.restored', MEMORY_STREAM, { memoryId: id }));
    this.#written(memory);
    return memory;
  }

  /**
   * Replaces a memory with corrected text: the old one is retracted (pointing at its replacement), the new one
   * keeps its kind, entities and importance. Without an id, only a memory that is plainly the same fact about
   * the same entity is replaced (see correctionCandidates); null when there is none, or the id is not live.
   */
  async correct(
    target: string | undefined,
    text: string,
    source: MemorySource,
  ): Promise<{ old: Memory; replacement: Memory } | null> {
    const trimmed = text.trim();
    if (trimmed === '') throw new InputError('What is the corrected text? Try: /correct 12 Acme pays net 45');
    const old =
      target !== undefined ? await this.#store.memories.get(target) : (await this.correctionCandidates(trimmed)).clear;
    if (!old || old.forgottenAt) return null;
    const replacement = await this.#replace(old, {
      text: trimmed,
      entities: [...new Set([...old.entities, ...this.#entities.detect(trimmed)])],
      source,
      reason: 'correction',
    });
    return { old, replacement };
  }

  /** What a correction without an id could replace: see correctionTargets. */
  async correctionCandidates(text: string): Promise<{ clear?: Memory; close: Memory[] }> {
    const about = this.#about(text, 'fact').entities;
    const hits = (await this.recall(text, { k: 5 })).map((h) => h.memory);
    const linked = about[0] ? await this.#store.memories.byEntity(about[0], 50) : [];
    return correctionTargets(
      text,
      about,
      hits,
      linked,
      (e) => this.#entities.name(e) ?? e.slice(e.indexOf(':') + 1).replaceAll('-', ' '),
    );
  }

  /** The correction chain: `next` replaces `old`, which is retracted and kept (store and event log). */
  async #replace(
    old: Memory,
    next: { text: string; entities: string[]; source: MemorySource; reason: string; importance?: number },
  ): Promise<Memory> {
    const replacement = await this.#store.memories.add({
      text: next.text,
      kind: old.kind,
      entities: next.entities,
      ...(old.subject ? { subject: old.subject } : {}),
      importance: next.importance ?? old.importance,
      source: next.source,
      replaces: old.id,
    });
    await this.#store.memories.forget(old.id, replacement.id);
    await this.#store.events.append(
      newEvent('memory.corrected', MEMORY_STREAM, {
        memoryId: old.id,
        replacedBy: replacement.id,
        text: next.text,
        previousText: old.text,
        reason: next.reason,
      }),
    );
    this.#index.remove(Number(old.id));
    this.#written(replacement);
    return replacement;
  }

  /** Undoes a correction: the replacement is retracted and the original comes back. */
  async uncorrect(replacementId: string): Promise<{ restored: Memory } | null> {
    const replacement = await this.#store.memories.get(replacementId);
    if (!replacement?.replaces || replacement.forgottenAt) return null;
    await this.forget(replacementId, 'correction undone');
    const restored = await this.restore(replacement.replaces);
    return restored ? { restored } : null;
  }

  async status(): Promise<MemoryStatus> {
    const memories = await this.#store.memories.count();
    const embedder = this.#embedder?.status() ?? {
      state: 'off' as const,
      model: 'none',
      reason: 'EMBEDDING_MODEL=off',
    };
    // Counted by the index: a forgotten memory and a changed text drop their vectors there (a counter here drifted).
    return { memories, indexed: this.#index.size, vectors: this.#index.vectors.size, embedder };
  }

  /** Memories a digest summarises, and digests and originals as stored. */
  async getMany(ids: string[]): Promise<Memory[]> {
    return this.#store.memories.getMany(ids);
  }

  /** Called by compaction after it links originals to a digest. */
  reindex(memories: Memory[]): void {
    for (const m of memories) this.#written(m);
  }

  async close(): Promise<void> {
    await this.#embeds?.close();
    this.#index.close();
  }
}
