// Hybrid recall: RecallIndex owns the in-process keyword and vector indexes plus the little metadata ranking and
// filtering need, kept in step with the store; rank.ts fuses their scores (keyword, vector, recency, importance).

import type { QueryOptions } from './analyze.ts';
import { DEFAULT_WEIGHTS, hybridRank, type HybridHit, type HybridWeights } from './rank.ts';
import { KeywordIndex } from './keyword-index.ts';
import { checkId, createVectorIndex, normalized, type ScoredId, type TieredVectorIndex } from './vector-index.ts';

export interface ItemMeta {
  kind: string;
  /** Entity keys (`client:acme-corp`), compared exactly. */
  entities: readonly string[];
  /** 0..1. */
  importance: number;
  updatedAt: Date;
  lastUsedAt?: Date | undefined;
  /** Provenance label shown in the context block ("chat 2026-11-02"). */
  source?: string | undefined;
}

export interface RecallItem {
  text: string;
  /** Absent: the item is not embedded yet (or its text changed); it still ranks by keyword. */
  vector?: Float32Array | undefined;
  meta: ItemMeta;
}

export interface RecallQuery {
  query: string;
  vector?: Float32Array | undefined;
  k: number;
  /** Keep items linked to ANY of these entities (empty or absent: no entity filter). */
  entities?: readonly string[] | undefined;
  /** Keep items of ANY of these kinds (empty or absent: no kind filter). */
  kinds?: readonly string[] | undefined;
  now: Date;
  minRelevance?: number | undefined;
}

export interface RecallHit extends HybridHit {
  meta: ItemMeta;
}

/**
 * What the index keeps per item: no text (the store has it; a hash tells an unchanged text on upsert), times as
 * numbers, kind and entity lists shared between items. With a year's 99k memories: ~11 MB, where objects holding the
 * text, Dates and an array per item took ~30 MB (idle RSS 203 → 178 MB with bench/year.ts).
 */
interface Entry {
  textHash: number;
  textLength: number;
  kind: string;
  entities: readonly string[];
  importance: number;
  updatedAt: number;
  /** NaN: never used. */
  lastUsedAt: number;
  source: string | undefined;
}

/** 53-bit hash of a text (two 32-bit FNV-1a variants): tells a changed text on upsert. */
function textHash(text: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 13);
  }
  return (a >>> 0) * 0x200000 + ((b >>> 0) & 0x1fffff);
}

export interface RecallIndexOptions {
  dims: number;
  exactBelow?: number;
  /** Candidates scored exactly per vector search once codes are used (VectorIndexOptions.rerank). */
  rerank?: number;
  /** A folder for the vector rows (on disk, see vector-rows.ts); without it they stay in memory. */
  vectorDir?: string;
  weights?: Partial<HybridWeights>;
  /** How many hits each index contributes before fusion: max(k · poolFactor, minPool). Defaults 4 and 40. */
  poolFactor?: number;
  minPool?: number;
  /** An entity filter keeping at most this many items is searched exactly among them. Default 5000. */
  exactSubsetMax?: number;
  /** Keyword matching: prefix, speaker and date weights (KEYWORD_DEFAULTS). */
  keyword?: Partial<QueryOptions>;
}

function checkMeta(meta: ItemMeta): ItemMeta {
  const date = (d: unknown, name: string): void => {
    if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new RangeError(`${name} must be a valid Date`);
  };
  if (typeof meta?.kind !== 'string') throw new TypeError('meta.kind must be a string');
  if (!Array.isArray(meta.entities) || !meta.entities.every((e) => typeof e === 'string')) {
    throw new TypeError('meta.entities must be an array of strings');
  }
  if (!(meta.importance >= 0 && meta.importance <= 1))
    throw new RangeError(`meta.importance must be within 0..1, got ${meta.importance}`);
  date(meta.updatedAt, 'meta.updatedAt');
  if (meta.lastUsedAt !== undefined) date(meta.lastUsedAt, 'meta.lastUsedAt');
  return { ...meta, entities: [...new Set(meta.entities)] };
}

/** Keyword + vector indexes and per-item metadata for hybrid recall; everything in process, rebuilt at start. */
export class RecallIndex {
  readonly dims: number;
  readonly keyword: KeywordIndex;
  readonly vectors: TieredVectorIndex;
  readonly weights: HybridWeights;
  readonly #items = new Map<number, Entry>();
  /** Shared kind strings and entity lists (most items repeat a few kinds and one client each). */
  readonly #shared = new Map<string, readonly string[]>();
  readonly #kinds = new Map<string, string>();
  readonly #byEntity = new Map<string, Set<number>>();
  readonly #byKind = new Map<string, Set<number>>();
  readonly #poolFactor: number;
  readonly #minPool: number;
  readonly #exactSubsetMax: number;

  constructor(options: RecallIndexOptions) {
    this.dims = options.dims;
    this.keyword = new KeywordIndex(options.keyword);
    const vectorOptions = {
      ...(options.exactBelow !== undefined && { exactBelow: options.exactBelow }),
      ...(options.rerank !== undefined && { rerank: options.rerank }),
      ...(options.vectorDir && { dir: options.vectorDir }),
    };
    this.vectors = createVectorIndex(options.dims, vectorOptions);
    this.weights = { ...DEFAULT_WEIGHTS, ...options.weights };
    this.#poolFactor = options.poolFactor ?? 4;
    this.#minPool = options.minPool ?? 40;
    this.#exactSubsetMax = options.exactSubsetMax ?? 5000;
  }

  get size(): number {
    return this.#items.size;
  }

  has(id: number): boolean {
    return this.#items.has(id);
  }

  get(id: number): { meta: ItemMeta; embedded: boolean } | undefined {
    const item = this.#items.get(id);
    return item && { meta: this.#meta(item), embedded: this.vectors.has(id) };
  }

  /**
   * Adds or replaces an item. Without `vector`, an unchanged text keeps its vector and a changed text drops it
   * (it no longer describes the text) until setVector brings a new one.
   */
  upsert(id: number, item: RecallItem): void {
    checkId(id);
    const meta = checkMeta(item.meta);
    if (typeof item.text !== 'string') throw new TypeError('text must be a string');
    const unit = item.vector === undefined ? undefined : normalized(item.vector, this.dims);
    const old = this.#items.get(id);
    if (old) this.#unlink(id, old);
    const hash = textHash(item.text);
    const changed = !old || old.textHash !== hash || old.textLength !== item.text.length;
    if (changed) this.keyword.add(id, item.text);
    if (unit) this.vectors.add(id, unit);
    else if (old && changed) this.vectors.remove(id);
    const entry: Entry = {
      textHash: hash,
      textLength: item.text.length,
      kind: this.#kind(meta.kind),
      entities: this.#list(meta.entities),
      importance: meta.importance,
      updatedAt: meta.updatedAt.getTime(),
      lastUsedAt: meta.lastUsedAt?.getTime() ?? NaN,
      source: meta.source,
    };
    this.#items.set(id, entry);
    this.#link(id, entry);
  }

  #kind(kind: string): string {
    let shared = this.#kinds.get(kind);
    if (shared === undefined) this.#kinds.set(kind, (shared = kind));
    return shared;
  }

  #list(entities: readonly string[]): readonly string[] {
    const key = entities.join('\u0000');
    let shared = this.#shared.get(key);
    if (!shared) this.#shared.set(key, (shared = Object.freeze([...entities])));
    return shared;
  }

  #meta(e: Entry): ItemMeta {
    return {
      kind: e.kind,
      entities: e.entities,
      importance: e.importance,
      updatedAt: new Date(e.updatedAt),
      ...(Number.isNaN(e.lastUsedAt) ? {} : { lastUsedAt: new Date(e.lastUsedAt) }),
      ...(e.source !== undefined && { source: e.source }),
    };
  }

  /** Start-up rebuild: like upsert for each, with the vectors written in one batch. */
  upsertMany(items: ReadonlyArray<{ id: number } & RecallItem>): void {
    const vectors: Array<{ id: number; vector: Float32Array }> = [];
    // Check every vector before changing anything, so a bad one cannot leave texts indexed without vectors.
    for (const { vector } of items) if (vector !== undefined) normalized(vector, this.dims);
    for (const { id, text, vector, meta } of items) {
      this.upsert(id, { text, meta });
      if (vector) vectors.push({ id, vector });
    }
    this.vectors.addMany(vectors);
  }

  /** Stores the embedding of a known item; false when the id is unknown (e.g. removed meanwhile). */
  setVector(id: number, vector: Float32Array): boolean {
    if (!this.#items.has(id)) return false;
    this.vectors.add(id, vector);
    return true;
  }

  /**
   * Start-up: vectors of known items in one batch (unknown ids skipped; all-or-nothing on a bad vector). Returns
   * how many were stored.
   */
  setVectors(batch: ReadonlyArray<{ id: number; vector: Float32Array }>): number {
    const known = batch.filter((b) => this.#items.has(b.id));
    this.vectors.addMany(known);
    return known.length;
  }

  /** Room for `n` vectors at once (start-up: the number of memories). */
  reserveVectors(n: number): void {
    this.vectors.reserve(n);
  }

  /** Releases the vector rows' file; the index is not used afterwards. */
  close(): void {
    this.vectors.close();
  }

  /** Records use (recall answers); recency then counts from `at`. */
  touch(ids: readonly number[], at: Date): void {
    for (const id of ids) {
      const item = this.#items.get(id);
      if (item && !(item.lastUsedAt >= at.getTime())) item.lastUsedAt = at.getTime();
    }
  }

  remove(id: number): void {
    const item = this.#items.get(id);
    if (!item) return;
    this.#unlink(id, item);
    this.#items.delete(id);
    this.keyword.remove(id);
    this.vectors.remove(id);
  }

  search(q: RecallQuery): RecallHit[] {
    if (!Number.isInteger(q.k) || q.k <= 0 || q.k > 1000)
      throw new RangeError(`k must be an integer within 1..1000, got ${q.k}`);
    if (!(q.now instanceof Date) || Number.isNaN(q.now.getTime())) throw new RangeError('now must be a valid Date');
    const terms = this.keyword.analyze(q.query ?? '', q.now);
    const unit = q.vector === undefined ? undefined : normalized(q.vector, this.dims);
    const filter = this.#filter(q.entities, q.kinds);
    if (filter === null || (terms.length === 0 && !unit)) return [];
    const { allow, allowed } = filter;
    const pool = Math.max(q.k * this.#poolFactor, this.#minPool);
    let vectorHits: ScoredId[] = [];
    if (unit) {
      vectorHits =
        allowed && allowed.size <= this.#exactSubsetMax
          ? this.vectors.searchAmong(unit, pool, allowed)
          : this.vectors.searchNormalized(unit, pool, allow);
    }
    const cosine = new Map(vectorHits.map((h) => [h.id, h.score]));
    const { hits: keywordHits, scoreOf } = this.keyword.searchWith(terms, pool, allow, [...cosine.keys()]);
    const bm25 = new Map(scoreOf);
    for (const h of keywordHits) {
      bm25.set(h.id, h.score);
      if (unit && !cosine.has(h.id)) {
        const c = this.vectors.cosine(unit, h.id);
        if (c !== undefined) cosine.set(h.id, c);
      }
    }
    const ranked = hybridRank({
      candidates: new Set([...bm25.keys(), ...cosine.keys()]),
      bm25,
      cosine,
      meta: (id) => {
        const e = this.#items.get(id);
        return e && { importance: e.importance, updatedAt: e.updatedAt, lastUsedAt: e.lastUsedAt };
      },
      queryHasTerms: terms.length > 0,
      queryHasVector: unit !== undefined,
      timeScoped: terms.some((t) => t.kind === 'date'),
      now: q.now,
      k: q.k,
      weights: this.weights,
      minRelevance: q.minRelevance,
    });
    return ranked.map((h) => ({ ...h, meta: this.#meta(this.#items.get(h.id)!) }));
  }

  /** null: the filter matches nothing; else a predicate (none: no filter) and, for entity filters, the id set. */
  #filter(
    entities: readonly string[] | undefined,
    kinds: readonly string[] | undefined,
  ): { allow?: (id: number) => boolean; allowed?: ReadonlySet<number> } | null {
    const kindSet = kinds && kinds.length > 0 ? new Set(kinds) : undefined;
    if (entities && entities.length > 0) {
      // Materialise the (usually small) set of items linked to any of the entities, narrowed by kind.
      const allowed = new Set<number>();
      for (const e of entities) {
        for (const id of this.#byEntity.get(e) ?? []) {
          if (!kindSet || kindSet.has(this.#items.get(id)!.kind)) allowed.add(id);
        }
      }
      return allowed.size === 0 ? null : { allow: (id) => allowed.has(id), allowed };
    }
    if (kindSet) {
      if (![...kindSet].some((k) => (this.#byKind.get(k)?.size ?? 0) > 0)) return null;
      return { allow: (id) => kindSet.has(this.#items.get(id)?.kind ?? '') };
    }
    return {};
  }

  #link(id: number, meta: Entry): void {
    for (const e of meta.entities) {
      let set = this.#byEntity.get(e);
      if (!set) this.#byEntity.set(e, (set = new Set()));
      set.add(id);
    }
    let kind = this.#byKind.get(meta.kind);
    if (!kind) this.#byKind.set(meta.kind, (kind = new Set()));
    kind.add(id);
  }

  #unlink(id: number, meta: Entry): void {
    for (const e of meta.entities) {
      const set = this.#byEntity.get(e);
      set?.delete(id);
      if (set?.size === 0) this.#byEntity.delete(e);
    }
    const kind = this.#byKind.get(meta.kind);
    kind?.delete(id);
    if (kind?.size === 0) this.#byKind.delete(meta.kind);
  }
}
