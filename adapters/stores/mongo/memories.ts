// Memories on MongoDB: one document per memory keyed by an ObjectId derived from its number, vectors per model
// in their own collection. Keyword candidates use a regex narrow on the server and the word-prefix rule here
// (the same rule as SQLite FTS5's "term"*). Vector search runs in-process (src/memory/index) on every store.

import type { Collection, Db, Filter, ObjectId } from 'mongodb';
import { tokens } from '../../../src/domain/text.ts';
import type {
  Memory,
  MemoryKind,
  MemoryPatch,
  MemorySource,
  MemoryStore,
  NewMemory,
} from '../../../src/ports/store.ts';
import { PROFILE_KINDS } from '../../../src/ports/store.ts';
import { Counters, keyId } from './counters.ts';

export interface MemoryDoc {
  _id: ObjectId;
  memoryId: number;
  text: string;
  kind: string;
  entities: string[];
  subject: string | null;
  importance: number;
  createdAt: Date;
  updatedAt: Date;
  lastUsedAt: Date | null;
  source: MemorySource;
  forgottenAt: Date | null;
  replacedBy: number | null;
  replaces: number | null;
  digestOf: string[] | null;
  digestId: number | null;
}

export interface VectorDoc {
  _id: ObjectId;
  model: string;
  memoryId: number;
  vector: number[];
}

export function toMemory(d: MemoryDoc): Memory {
  const m: Memory = {
    id: String(d.memoryId),
    text: d.text,
    kind: d.kind as MemoryKind,
    entities: d.entities,
    importance: d.importance,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
    source: Object.fromEntries(Object.entries(d.source).filter(([, v]) => v !== null && v !== undefined)),
  };
  if (d.subject !== null) m.subject = d.subject;
  if (d.lastUsedAt) m.lastUsedAt = d.lastUsedAt;
  if (d.forgottenAt) m.forgottenAt = d.forgottenAt;
  if (d.replacedBy !== null) m.replacedBy = String(d.replacedBy);
  if (d.replaces !== null) m.replaces = String(d.replaces);
  if (d.digestOf !== null) m.digestOf = d.digestOf;
  if (d.digestId !== null) m.digestId = String(d.digestId);
  return m;
}

const num = (id: string | undefined | null): number | null => (id != null && /^\d{1,15}$/.test(id) ? Number(id) : null);
export const memoryKey = (n: number): ObjectId => keyId(`memory:${n}`);
export const vectorKey = (model: string, n: number): ObjectId => keyId(`memory-vector:${model}:${n}`);

export class MongoMemoryStore implements MemoryStore {
  readonly #memories: Collection<MemoryDoc>;
  readonly #vectors: Collection<VectorDoc>;
  readonly #counters: Counters;

  constructor(db: Db) {
    this.#memories = db.collection<MemoryDoc>('memories');
    this.#vectors = db.collection<VectorDoc>('memory_vectors');
    this.#counters = new Counters(db);
  }

  async init(): Promise<void> {
    await this.#memories.createIndex({ memoryId: 1 }, { unique: true });
    await this.#memories.createIndex({ forgottenAt: 1, memoryId: 1 });
    await this.#memories.createIndex({ entities: 1, memoryId: -1 });
    await this.#vectors.createIndex({ model: 1, memoryId: 1 });
  }

  async add(input: NewMemory): Promise<Memory> {
    const memoryId = await this.#counters.next('memories');
    const at = input.at ?? new Date();
    const doc: MemoryDoc = {
      _id: memoryKey(memoryId),
      memoryId,
      text: input.text,
      kind: input.kind,
      entities: input.entities ?? [],
      subject: input.subject ?? null,
      importance: input.importance ?? 0.5,
      createdAt: at,
      updatedAt: at,
      lastUsedAt: null,
      source: input.source,
      forgottenAt: null,
      replacedBy: null,
      replaces: num(input.replaces),
      digestOf: input.digestOf ?? null,
      digestId: null,
    };
    await this.#memories.insertOne(doc);
    return toMemory(doc);
  }

  async get(id: string): Promise<Memory | null> {
    const n = num(id);
    if (n === null) return null;
    const doc = await this.#memories.findOne({ _id: memoryKey(n) });
    return doc ? toMemory(doc) : null;
  }

  async getMany(ids: string[]): Promise<Memory[]> {
    const ns = ids.map(num).filter((n): n is number => n !== null);
    if (ns.length === 0) return [];
    const docs = await this.#memories.find({ _id: { $in: ns.map(memoryKey) } }).toArray();
    const byId = new Map(docs.map((d) => [String(d.memoryId), toMemory(d)]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  async update(id: string, patch: MemoryPatch): Promise<Memory | null> {
    const n = num(id);
    if (n === null) return null;
    const set: Partial<MemoryDoc> = { updatedAt: new Date() };
    if (patch.text !== undefined) set.text = patch.text;
    if (patch.importance !== undefined) set.importance = patch.importance;
    if (patch.entities !== undefined) set.entities = patch.entities;
    if (patch.subject !== undefined) set.subject = patch.subject;
    if (patch.digestId !== undefined) set.digestId = num(patch.digestId);
    const doc = await this.#memories.findOneAndUpdate(
      { _id: memoryKey(n) },
      { $set: set },
      { returnDocument: 'after' },
    );
    return doc ? toMemory(doc) : null;
  }

  async forget(id: string, replacedBy?: string): Promise<boolean> {
    const n = num(id);
    if (n === null) return false;
    const result = await this.#memories.updateOne(
      { _id: memoryKey(n), forgottenAt: null },
      { $set: { forgottenAt: new Date(), replacedBy: num(replacedBy) } },
    );
    return result.modifiedCount === 1;
  }

  async restore(id: string): Promise<boolean> {
    const n = num(id);
    if (n === null) return false;
    const result = await this.#memories.updateOne(
      { _id: memoryKey(n), forgottenAt: { $ne: null } },
      { $set: { forgottenAt: null, replacedBy: null } },
    );
    return result.modifiedCount === 1;
  }

  async candidates(terms: string[], limit: number): Promise<Memory[]> {
    const clean = terms.map((t) => t.toLowerCase()).filter((t) => /^[\p{L}\p{N}]+$/u.test(t));
    if (clean.length === 0) return [];
    const docs = await this.#memories
      .find({ forgottenAt: null, $or: clean.map((t) => ({ text: { $regex: t, $options: 'i' } })) })
      .sort({ memoryId: -1 })
      .limit(limit * 4)
      .toArray();
    return docs
      .filter((d) => {
        const words = tokens(d.text);
        return clean.some((t) => words.some((w) => w.startsWith(t)));
      })
      .slice(0, limit)
      .map(toMemory);
  }

  async count(): Promise<number> {
    return this.#memories.countDocuments({ forgottenAt: null });
  }

  async scan(afterId: string | undefined, limit: number): Promise<Memory[]> {
    const docs = await this.#memories
      .find({ forgottenAt: null, memoryId: { $gt: num(afterId) ?? 0 } })
      .sort({ memoryId: 1 })
      .limit(limit)
      .toArray();
    return docs.map(toMemory);
  }

  async byEntity(entity: string, limit: number): Promise<Memory[]> {
    const docs = await this.#memories
      .find({ forgottenAt: null, entities: entity })
      .sort({ memoryId: -1 })
      .limit(limit)
      .toArray();
    return docs.map(toMemory);
  }

  async touch(ids: string[], at: Date): Promise<void> {
    const ns = ids.map(num).filter((n): n is number => n !== null);
    if (ns.length === 0) return;
    await this.#memories.updateMany({ _id: { $in: ns.map(memoryKey) } }, { $set: { lastUsedAt: at } });
  }

  async setVector(id: string, model: string, vector: Float32Array): Promise<void> {
    const n = num(id);
    if (n === null) return;
    await this.#vectors.replaceOne(
      { _id: vectorKey(model, n) },
      { model, memoryId: n, vector: Array.from(vector) },
      { upsert: true },
    );
  }

  async vectors(
    model: string,
    afterId: string | undefined,
    limit: number,
  ): Promise<Array<{ id: string; vector: Float32Array }>> {
    const out: Array<{ id: string; vector: Float32Array }> = [];
    let after = num(afterId) ?? 0;
    // Vectors of retracted memories stay stored (a restore needs no re-embedding) and are skipped here.
    while (out.length < limit) {
      const docs = await this.#vectors
        .find({ model, memoryId: { $gt: after } })
        .sort({ memoryId: 1 })
        .limit(limit)
        .toArray();
      if (docs.length === 0) break;
      after = docs.at(-1)!.memoryId;
      const live = new Set(
        (
          await this.#memories
            .find(
              { _id: { $in: docs.map((d) => memoryKey(d.memoryId)) }, forgottenAt: null },
              { projection: { memoryId: 1 } },
            )
            .toArray()
        ).map((d) => d.memoryId),
      );
      for (const d of docs)
        if (live.has(d.memoryId) && out.length < limit)
          out.push({ id: String(d.memoryId), vector: Float32Array.from(d.vector) });
    }
    return out;
  }

  async missingVectors(model: string, limit: number): Promise<Memory[]> {
    const out: Memory[] = [];
    let after = 0;
    while (out.length < limit) {
      const docs = await this.#memories
        .find({ forgottenAt: null, memoryId: { $gt: after } })
        .sort({ memoryId: 1 })
        .limit(500)
        .toArray();
      if (docs.length === 0) break;
      after = docs.at(-1)!.memoryId;
      const have = new Set(
        (
          await this.#vectors
            .find({ _id: { $in: docs.map((d) => vectorKey(model, d.memoryId)) } }, { projection: { memoryId: 1 } })
            .toArray()
        ).map((v) => v.memoryId),
      );
      for (const d of docs) if (!have.has(d.memoryId) && out.length < limit) out.push(toMemory(d));
    }
    return out;
  }

  async compactable(options: { before: Date; maxImportance: number; limit: number }): Promise<Memory[]> {
    const filter: Filter<MemoryDoc> = {
      forgottenAt: null,
      digestId: null,
      kind: { $nin: [...PROFILE_KINDS, 'digest'] },
      importance: { $lte: options.maxImportance },
    };
    const docs = await this.#memories.find(filter).sort({ memoryId: 1 }).toArray();
    return docs
      .filter((d) => (d.lastUsedAt ?? d.updatedAt).getTime() < options.before.getTime())
      .slice(0, options.limit)
      .map(toMemory);
  }
}
