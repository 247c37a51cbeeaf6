// Building the in-process recall index from the store at start (MemoryService.start): every live memory, then the
// vectors of one model, a page at a time between the process's other work. The index's vector rows go to a file in
// the data folder (index/vector-rows.ts) when there is a model and the folder takes one.

import type { Logger } from '../observability/logger.ts';
import type { Memory, MemoryStore } from '../ports/store.ts';
import { RecallIndex } from './index/hybrid.ts';

/** Memories indexed between two turns of the event loop (~20 ms of work). */
const PAGE = 500;

/** Lets timers, I/O and requests run before going on. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A recall index whose vector rows are on disk when there is a model and a folder for them. */
export function newRecallIndex(
  dims: number,
  options: { vectors: boolean; dir: string | undefined; log: Logger },
): RecallIndex {
  if (!options.vectors || !options.dir) return new RecallIndex({ dims });
  try {
    return new RecallIndex({ dims, vectorDir: options.dir });
  } catch (err) {
    options.log.warn(
      { err, dir: options.dir },
      'cannot write the vector file in the data folder; vectors are kept in memory instead',
    );
    return new RecallIndex({ dims });
  }
}

/** The width of the model's stored vectors, undefined when none is stored yet. */
export async function storedDims(memories: MemoryStore, model: string): Promise<number | undefined> {
  const [first] = await memories.vectors(model, undefined, 1);
  return first?.vector.length;
}

function stopVectors(err: unknown, index: RecallIndex, log: Logger): void {
  log.warn(
    { err, loaded: index.vectors.size },
    'the recall index could not load every vector (see the error); recall uses keywords for the rest until the next start',
  );
}

/**
 * Reads every live memory into `index` (through `add`), then the vectors `model` has for them. A damaged vector in
 * the store is skipped; a vector file that cannot be written (a full disk) stops the vector part only. Either way
 * recall keeps the index's keywords and every vector it could load, and the log says why.
 */
export async function loadRecallIndex(
  index: RecallIndex,
  memories: MemoryStore,
  model: string | undefined,
  add: (m: Memory) => void,
  log: Logger,
): Promise<void> {
  let after: string | undefined;
  for (;;) {
    const page = await memories.scan(after, PAGE);
    for (const m of page) add(m);
    if (page.length < PAGE) break;
    after = page.at(-1)!.id;
    // A page at a time, between the process's other work: the embedded store answers synchronously, so without
    // this a large history (100k memories: ~4 s) would hold up start-up and every request until it was done.
    await turn();
  }
  if (!model) return;
  after = undefined;
  // Room for every vector at once (at most one per memory), rather than growing the index's arrays by steps.
  index.reserveVectors(index.size);
  for (;;) {
    const page = await memories.vectors(model, after, PAGE);
    const batch = page.map((v) => ({ id: Number(v.id), vector: v.vector }));
    try {
      index.setVectors(batch);
    } catch (err) {
      if (!(err instanceof RangeError)) return stopVectors(err, index, log);
      // A damaged vector (wrong width, zeros): the page one by one, without it. Its memory is found by keywords.
      for (const item of batch) {
        try {
          index.setVectors([item]);
        } catch (one) {
          if (!(one instanceof RangeError)) return stopVectors(one, index, log);
          log.warn(
            { err: one, memoryId: String(item.id) },
            'a stored vector is damaged; that memory is recalled by keywords',
          );
        }
      }
    }
    if (page.length < PAGE) break;
    after = page.at(-1)!.id;
    await turn();
  }
}
