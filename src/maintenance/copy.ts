// Copies one store into another (`solo migrate --to`), then checks the copy: the same number of records in every
// table, and sample records (first, last and evenly spread ones) read back through the target's own store ports
// exactly as the source returned them.

import { isDeepStrictEqual } from 'node:util';
import { StoreError } from '../domain/errors.ts';
import { COPY_TABLES, type CopyRecords, type CopyTable, type StoreCopy } from '../ports/store-copy.ts';
import type { Store } from '../ports/store.ts';

export interface CopyReport {
  counts: Record<CopyTable, number>;
  /** How many sample records were read back through the target's ports and matched. */
  sampled: number;
}

const PAGE = 1000;
const SAMPLES_PER_TABLE = 25;

/** Whether the target holds anything at all (a copy goes only into an empty store). */
export async function holdings(copy: StoreCopy): Promise<Partial<Record<CopyTable, number>>> {
  const out: Partial<Record<CopyTable, number>> = {};
  for (const table of COPY_TABLES) {
    const n = await copy.count(table);
    if (n > 0) out[table] = n;
  }
  return out;
}

export async function copyStore(
  from: Store,
  to: Store,
  progress: (line: string) => void = () => undefined,
): Promise<CopyReport> {
  const counts = {} as Record<CopyTable, number>;
  const samples: { [T in CopyTable]?: CopyRecords[T][] } = {};
  for (const table of COPY_TABLES) {
    const total = await from.copy.count(table);
    const every = Math.max(1, Math.floor(total / SAMPLES_PER_TABLE));
    const kept: unknown[] = [];
    let copied = 0;
    let after: string | undefined;
    for (;;) {
      const page = await from.copy.read(table, after, PAGE);
      await to.copy.write(table, page.records);
      for (const [i, record] of page.records.entries())
        if ((copied + i) % every === 0 || (!page.next && i === page.records.length - 1)) kept.push(record);
      copied += page.records.length;
      if (copied % 100_000 < PAGE && copied >= 100_000)
        progress(`${table}: ${copied.toLocaleString('en')} of ${total.toLocaleString('en')}`);
      if (!page.next) break;
      after = page.next;
    }
    counts[table] = copied;
    (samples as Record<string, unknown[]>)[table] = kept;
    progress(`${table}: ${copied.toLocaleString('en')} copied`);
  }
  await to.copy.finish();
  let sampled = 0;
  for (const table of COPY_TABLES) {
    const there = await to.copy.count(table);
    if (there !== counts[table])
      throw mismatch(`${table} holds ${there} records in the target and ${counts[table]} in the source`);
    for (const record of (samples as Record<string, unknown[]>)[table] ?? []) {
      await checkSample(to, table, record as never);
      sampled++;
    }
  }
  return { counts, sampled };
}

const mismatch = (what: string) =>
  new StoreError(
    'copy_mismatch',
    `The copy does not match its source: ${what}; the source is unchanged, and the target should be emptied before trying again.`,
  );

/** Reads one copied record back through the target's ports and compares it with the source's. */
async function checkSample<T extends CopyTable>(target: Store, table: T, record: CopyRecords[T]): Promise<void> {
  const got = await readBack(target, table, record);
  if (!isDeepStrictEqual(got, record)) {
    throw mismatch(
      `a ${table} record reads back differently (${JSON.stringify(record).slice(0, 120)} became ${JSON.stringify(got ?? null).slice(0, 120)})`,
    );
  }
}

async function readBack(s: Store, table: CopyTable, record: unknown): Promise<unknown> {
  switch (table) {
    case 'events': {
      const e = record as CopyRecords['events'];
      return (await s.events.readRange({ afterPosition: e.position - 1, limit: 1 }))[0];
    }
    case 'identities': {
      const i = record as CopyRecords['identities'];
      return s.identities.get(i.channel, i.externalId);
    }
    case 'settings': {
      const { key } = record as CopyRecords['settings'];
      return { key, value: await s.settings.get(key) };
    }
    case 'memories':
      return s.memories.get((record as CopyRecords['memories']).id);
    case 'memory_vectors': {
      const v = record as CopyRecords['memory_vectors'];
      // The ports list the vectors of live memories only; a retracted memory's vector is counted, not read.
      if ((await s.memories.get(v.id))?.forgottenAt) return record;
      const [got] = await s.memories.vectors(v.model, String(Number(v.id) - 1), 1);
      return got && { model: v.model, id: got.id, vector: Array.from(got.vector) };
    }
    case 'runs':
      return s.runs.get((record as CopyRecords['runs']).id);
    case 'steps': {
      const step = record as CopyRecords['steps'];
      return (await s.runs.steps(step.runId)).find((x) => x.stepId === step.stepId);
    }
    case 'approvals':
      return s.approvals.get((record as CopyRecords['approvals']).id);
    case 'invoices': {
      const { number } = record as CopyRecords['invoices'];
      const newest = (await s.ledger.listInvoices(1))[0]?.number ?? 0;
      return (await s.ledger.listInvoices(newest - number + 1)).find((i) => i.number === number);
    }
  }
}
