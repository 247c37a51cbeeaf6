// Whole-store copy, for moving between stores (`solo migrate --to`): every record of every table, in the shape the
// store ports return it, with ids, positions, sequence numbers and times kept. Both stores implement it; the copy
// and its checks (src/maintenance/copy.ts) know only this.

import type { StoredEvent } from '../domain/events.ts';
import type { ApprovalRecord, Invoice, RunRecord, StepRecord } from './engine-store.ts';
import type { Identity, Memory } from './store.ts';

export interface CopyRecords {
  events: StoredEvent;
  identities: Identity;
  settings: { key: string; value: unknown };
  memories: Memory;
  memory_vectors: { model: string; id: string; vector: number[] };
  runs: RunRecord;
  steps: StepRecord;
  approvals: ApprovalRecord;
  invoices: Invoice;
}
export type CopyTable = keyof CopyRecords;

/**
 * In copy order: memories before their vectors, runs before their steps. Run leases are not copied: they only say
 * which running process executes a run, and a store is copied while no process runs.
 */
export const COPY_TABLES: readonly CopyTable[] = [
  'events',
  'identities',
  'settings',
  'memories',
  'memory_vectors',
  'runs',
  'steps',
  'approvals',
  'invoices',
];

export interface CopyPage<T extends CopyTable> {
  records: CopyRecords[T][];
  /** Pass back as `after` for the next page; absent on the last page. */
  next?: string;
}

export interface StoreCopy {
  count(table: CopyTable): Promise<number>;
  /** Records in a stable order, a page at a time. */
  read<T extends CopyTable>(table: T, after: string | undefined, limit: number): Promise<CopyPage<T>>;
  /** Writes records as they are (ids and positions included) into a store that does not hold them yet. */
  write<T extends CopyTable>(table: T, records: CopyRecords[T][]): Promise<void>;
  /** After the last write: counters and sequences continue after the copied records. */
  finish(): Promise<void>;
}
