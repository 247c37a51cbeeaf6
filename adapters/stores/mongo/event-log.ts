import { ObjectId, type Collection, type Db, type Filter } from 'mongodb';
import { EVENT_VERSIONS, type NewEvent, type StoredEvent } from '../../../src/domain/events.ts';
import type { AppendResult, EventLog, ReadRangeOptions, ReadStreamOptions } from '../../../src/ports/store.ts';
import { Counters, isDuplicateId, keyId } from './counters.ts';

/** `_id` is derived from the dedupe key when there is one (uniqueness by `_id`), a fresh ObjectId otherwise. */
export interface EventDoc {
  _id: ObjectId;
  position: number;
  stream: string;
  seq: number;
  type: string;
  v: number;
  at: Date;
  data: unknown;
  dedupeKey?: string;
}

const MAX_READ = 10_000;

export function toEvent(doc: EventDoc): StoredEvent {
  const event = {
    type: doc.type,
    v: doc.v,
    stream: doc.stream,
    seq: doc.seq,
    position: doc.position,
    at: doc.at,
    data: doc.data,
  } as StoredEvent;
  if (doc.dedupeKey !== undefined) event.dedupeKey = doc.dedupeKey;
  return event;
}

export const dedupeId = (key: string): ObjectId => keyId(`dedupe:${key}`);
const idFor = (event: NewEvent): ObjectId =>
  event.dedupeKey !== undefined ? dedupeId(event.dedupeKey) : new ObjectId();

export class MongoEventLog implements EventLog {
  readonly #events: Collection<EventDoc>;
  readonly #counters: Counters;

  constructor(db: Db) {
    this.#events = db.collection<EventDoc>('events');
    this.#counters = new Counters(db);
  }

  async init(): Promise<void> {
    await this.#events.createIndex({ stream: 1, seq: 1 }, { unique: true });
    await this.#events.createIndex({ position: 1 }, { unique: true });
    await this.#events.createIndex(
      { dedupeKey: 1 },
      { unique: true, partialFilterExpression: { dedupeKey: { $exists: true } } },
    );
    await this.#events.createIndex({ at: 1 });
    await this.#events.createIndex({ type: 1, position: 1 });
    await this.#events.createIndex({ type: 1, at: 1 });
  }

  async append(event: NewEvent): Promise<AppendResult> {
    if (event.dedupeKey !== undefined) {
      const existing = await this.findByDedupeKey(event.dedupeKey);
      if (existing) return { event: existing, duplicate: true };
    }
    const position = await this.#counters.next('events');
    const seq = await this.#counters.next(`stream:${event.stream}`);
    const doc = this.#doc(event, position, seq);
    try {
      await this.#events.insertOne(doc);
    } catch (err) {
      // Lost a race with a concurrent append of the same dedupe key: that one wins.
      if (event.dedupeKey !== undefined && isDuplicateId(err)) {
        const winner = await this.findByDedupeKey(event.dedupeKey);
        if (winner) return { event: winner, duplicate: true };
      }
      throw err;
    }
    return { event: toEvent(doc), duplicate: false };
  }

  async appendMany(events: NewEvent[]): Promise<AppendResult[]> {
    if (events.length === 0) return [];
    // With dedupe keys in play, go one by one so that a repeated key resolves to its first occurrence.
    if (events.some((e) => e.dedupeKey !== undefined)) {
      const results: AppendResult[] = [];
      for (const e of events) results.push(await this.append(e));
      return results;
    }
    // Otherwise reserve every number in a few round trips and insert in one.
    const first = await this.#counters.next('events', events.length);
    const perStream = new Map<string, number>();
    for (const e of events) perStream.set(e.stream, (perStream.get(e.stream) ?? 0) + 1);
    const nextSeq = new Map<string, number>();
    for (const [stream, n] of perStream) nextSeq.set(stream, await this.#counters.next(`stream:${stream}`, n));
    const docs = events.map((e, i) => {
      const seq = nextSeq.get(e.stream) ?? 1;
      nextSeq.set(e.stream, seq + 1);
      return this.#doc(e, first + i, seq);
    });
    await this.#events.insertMany(docs, { ordered: true });
    return docs.map((d) => ({ event: toEvent(d), duplicate: false }));
  }

  #doc(event: NewEvent, position: number, seq: number): EventDoc {
    const doc: EventDoc = {
      _id: idFor(event),
      position,
      stream: event.stream,
      seq,
      type: event.type,
      v: EVENT_VERSIONS[event.type],
      at: new Date(),
      data: event.data,
    };
    if (event.dedupeKey !== undefined) doc.dedupeKey = event.dedupeKey;
    return doc;
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<StoredEvent[]> {
    const filter: Filter<EventDoc> = { stream, seq: { $gt: options.afterSeq ?? 0 } };
    if (options.types?.length) filter.type = { $in: options.types };
    const docs = await this.#events
      .find(filter)
      .sort({ seq: options.newest ? -1 : 1 })
      .limit(Math.min(options.limit ?? MAX_READ, MAX_READ))
      .toArray();
    return (options.newest ? docs.reverse() : docs).map(toEvent);
  }

  async readRange(options: ReadRangeOptions = {}): Promise<StoredEvent[]> {
    const filter: Filter<EventDoc> = { position: { $gt: options.afterPosition ?? 0 } };
    if (options.from || options.to) {
      filter.at = { ...(options.from ? { $gte: options.from } : {}), ...(options.to ? { $lt: options.to } : {}) };
    }
    if (options.types?.length) filter.type = { $in: options.types };
    const docs = await this.#events
      .find(filter)
      .sort({ position: options.newest ? -1 : 1 })
      .limit(Math.min(options.limit ?? MAX_READ, MAX_READ))
      .toArray();
    return (options.newest ? docs.reverse() : docs).map(toEvent);
  }

  async findByDedupeKey(dedupeKey: string): Promise<StoredEvent | null> {
    const doc = await this.#events.findOne({ _id: dedupeId(dedupeKey) });
    return doc ? toEvent(doc) : null;
  }
}
