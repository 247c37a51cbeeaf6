import type { Collection, Db } from 'mongodb';

interface Counter {
  _id: string;
  value: number;
}

/** Monotonic counters in one collection: `next(name, n)` reserves n numbers and returns the first. */
export class Counters {
  readonly #counters: Collection<Counter>;
  constructor(db: Db) {
    this.#counters = db.collection<Counter>('counters');
  }

  async next(name: string, n = 1): Promise<number> {
    const doc = await this.#counters.findOneAndUpdate({ _id: name }, { $inc: { value: n } }, { upsert: true, returnDocument: 'after' });
    if (!doc) throw new Error(`counter ${name} was not returned`);
    return doc.value - n + 1;
  }
}

/** Duplicate key (E11000): the one error code every MongoDB-compatible server agrees on. */
export const isDuplicateKey = (err: unknown): boolean =>
  typeof err === 'object' && err !== null && ((err as { code?: unknown }).code === 11000 || /E11000|duplicate key/i.test(String((err as Error).message)));
