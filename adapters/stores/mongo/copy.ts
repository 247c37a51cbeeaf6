// Whole-store copy on MongoDB (src/ports/store-copy.ts): pages in `_id` order, documents written with the same
// derived `_id`s the store uses, and the counters raised past the copied numbers at the end.

import { ObjectId, type AnyBulkWriteOperation, type Db, type Document } from 'mongodb';
import type { CopyPage, CopyRecords, CopyTable, StoreCopy } from '../../../src/ports/store-copy.ts';
import { APPROVAL_DATES, compact, INVOICE_DATES, RUN_DATES, STEP_DATES } from '../codec.ts';
import { keyId } from './counters.ts';
import { approvalId, asJson, invoiceId, runId, stepKey, strip, type Doc } from './engine.ts';
import { dedupeId, toEvent, type EventDoc } from './event-log.ts';
import { memoryKey, toMemory, vectorKey, type MemoryDoc, type VectorDoc } from './memories.ts';
import { identityId, type IdentityDoc, type SettingDoc } from './records.ts';

const num = (id: string | undefined): number | null => (id === undefined ? null : Number(id));

const READ: { [T in CopyTable]: (doc: Document) => CopyRecords[T] } = {
  events: (d) => toEvent(d as EventDoc),
  identities: (d) => {
    const i = d as IdentityDoc;
    return { channel: i.channel, externalId: i.externalId, label: i.label, linkedAt: i.linkedAt, via: i.via };
  },
  settings: (d) => ({ key: (d as SettingDoc).key, value: (d as SettingDoc).value }),
  memories: (d) => toMemory(d as MemoryDoc),
  memory_vectors: (d) => ({
    model: (d as VectorDoc).model,
    id: String((d as VectorDoc).memoryId),
    vector: (d as VectorDoc).vector,
  }),
  runs: (d) => strip(d as Doc<CopyRecords['runs']>),
  steps: (d) => strip(d as Doc<CopyRecords['steps']>),
  approvals: (d) => strip(d as Doc<CopyRecords['approvals']>),
  invoices: (d) => strip(d as Doc<CopyRecords['invoices']>),
};

const WRITE: { [T in CopyTable]: (rec: CopyRecords[T]) => Document } = {
  events: (e) => {
    const doc: EventDoc = {
      _id: e.dedupeKey !== undefined ? dedupeId(e.dedupeKey) : new ObjectId(),
      position: e.position,
      stream: e.stream,
      seq: e.seq,
      type: e.type,
      v: e.v,
      at: e.at,
      data: e.data,
    };
    if (e.dedupeKey !== undefined) doc.dedupeKey = e.dedupeKey;
    return doc;
  },
  identities: (i) => ({
    _id: identityId(i.channel, i.externalId),
    channel: i.channel,
    externalId: i.externalId,
    label: i.label,
    linkedAt: i.linkedAt,
    via: i.via,
  }),
  settings: (s) => ({ _id: keyId(`setting:${s.key}`), key: s.key, value: s.value }),
  memories: (m) => {
    const n = Number(m.id);
    const doc: MemoryDoc = {
      _id: memoryKey(n),
      memoryId: n,
      text: m.text,
      kind: m.kind,
      entities: m.entities,
      subject: m.subject ?? null,
      importance: m.importance,
      createdAt: m.createdAt,
      updatedAt: m.updatedAt,
      lastUsedAt: m.lastUsedAt ?? null,
      source: compact(m.source),
      forgottenAt: m.forgottenAt ?? null,
      replacedBy: num(m.replacedBy),
      replaces: num(m.replaces),
      digestOf: m.digestOf ?? null,
      digestId: num(m.digestId),
    };
    return doc;
  },
  memory_vectors: (v) => ({
    _id: vectorKey(v.model, Number(v.id)),
    model: v.model,
    memoryId: Number(v.id),
    vector: v.vector,
  }),
  runs: (r) => ({ ...asJson(r, RUN_DATES), _id: runId(r.id) }),
  steps: (s) => ({ ...asJson(s, STEP_DATES), _id: stepKey(s) }),
  approvals: (a) => ({ ...asJson(a, APPROVAL_DATES), _id: approvalId(a.id) }),
  invoices: (i) => ({ ...asJson(i, INVOICE_DATES), _id: invoiceId(i.number) }),
};

export class MongoStoreCopy implements StoreCopy {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  async count(table: CopyTable): Promise<number> {
    return this.#db.collection(table).countDocuments({});
  }

  async read<T extends CopyTable>(table: T, after: string | undefined, limit: number): Promise<CopyPage<T>> {
    const docs = await this.#db
      .collection(table)
      .find(after ? { _id: { $gt: new ObjectId(after) } } : {})
      .sort({ _id: 1 })
      .limit(limit)
      .toArray();
    const read = READ[table] as (doc: Document) => CopyRecords[T];
    const last = docs.at(-1);
    return { records: docs.map(read), ...(docs.length === limit && last ? { next: last._id.toHexString() } : {}) };
  }

  async write<T extends CopyTable>(table: T, records: CopyRecords[T][]): Promise<void> {
    if (records.length === 0) return;
    const write = WRITE[table] as (rec: CopyRecords[T]) => Document;
    await this.#db.collection(table).insertMany(records.map(write), { ordered: true });
  }

  /** Counters continue after the highest position, memory number and per-stream sequence copied. */
  async finish(): Promise<void> {
    const max = async (collection: string, field: string): Promise<number> =>
      ((
        await this.#db
          .collection(collection)
          .find({}, { projection: { [field]: 1 } })
          .sort({ [field]: -1 })
          .limit(1)
          .next()
      )?.[field] as number | undefined) ?? 0;
    const raise = (name: string, value: number): AnyBulkWriteOperation => ({
      updateOne: {
        filter: { _id: keyId(`counter:${name}`) },
        update: { $max: { value }, $setOnInsert: { name } },
        upsert: true,
      },
    });
    const ops = [
      raise('events', await max('events', 'position')),
      raise('memories', await max('memories', 'memoryId')),
    ];
    const streams = this.#db
      .collection<EventDoc>('events')
      .aggregate<{ _id: string; seq: number }>([{ $group: { _id: '$stream', seq: { $max: '$seq' } } }]);
    for await (const s of streams) ops.push(raise(`stream:${s._id}`, s.seq));
    for (let i = 0; i < ops.length; i += 1000)
      await this.#db.collection('counters').bulkWrite(ops.slice(i, i + 1000), { ordered: false });
  }
}
