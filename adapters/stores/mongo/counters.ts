import { createHash } from 'node:crypto';
import { ObjectId, type Collection, type Db } from 'mongodb';

/**
 * A fixed ObjectId for a string key (first 12 bytes of its SHA-256). Every keyed document uses one as `_id`,
 * so that uniqueness rests on `_id`, which every MongoDB-compatible server enforces, rather than on secondary
 * unique indexes (created too, but not enforced by the test emulator) or on string ids (which it rejects).
 */
export const keyId = (key: string): ObjectId => new ObjectId(createHash('sha256').update(key).digest().subarray(0, 12));

/** A duplicate `_id` (E11000 on `_id`). Other E11000s, and other errors carrying code 11000, are not this. */
export function isDuplicateId(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; keyPattern?: Record<string, unknown>; message?: unknown };
  if (e.code !== 11000) return false;
  return e.keyPattern !== undefined ? '_id' in e.keyPattern : /dup key: \{ _id:/.test(String(e.message));
}

interface Counter {
  _id: ObjectId;
  name: string;
  value: number;
}

/** Monotonic counters in one collection: `next(name, n)` reserves n numbers and returns the first. */
export class Counters {
  readonly #counters: Collection<Counter>;
  constructor(db: Db) {
    this.#counters = db.collection<Counter>('counters');
  }

  async next(name: string, n = 1): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      try {
        const doc = await this.#counters.findOneAndUpdate(
          { _id: keyId(`counter:${name}`) },
          { $inc: { value: n }, $setOnInsert: { name } },
          { upsert: true, returnDocument: 'after' },
        );
        if (!doc) throw new Error(`counter ${name} was not returned`);
        return doc.value - n + 1;
      } catch (err) {
        // Two first-time upserts can race; the loser's retry increments the winner's document.
        if (!isDuplicateId(err) || attempt >= 2) throw err;
      }
    }
  }

  /** Raises a counter to at least `value` (after copying records that kept their numbers). */
  async atLeast(name: string, value: number): Promise<void> {
    await this.#counters.updateOne(
      { _id: keyId(`counter:${name}`) },
      { $max: { value }, $setOnInsert: { name } },
      { upsert: true },
    );
  }
}
