// Runs, step journal, approvals and ledger on MongoDB. Every write touches one document (no transactions):
// status guards ride in the update filter, and uniqueness rests on `_id`s derived from the key (see counters.ts).

import type { Collection, Db, Filter, ObjectId } from 'mongodb';
import { StoreError } from '../../../src/domain/errors.ts';
import type { NewEvent } from '../../../src/domain/events.ts';
import type { EventLog } from '../../../src/ports/store.ts';
import type {
  ApprovalDecision,
  ApprovalPatch,
  ApprovalRecord,
  ApprovalStore,
  Invoice,
  InvoicePatch,
  InvoiceStatus,
  LedgerStore,
  RunPatch,
  RunRecord,
  RunStatus,
  RunStore,
  StepRecord,
} from '../../../src/ports/engine-store.ts';
import { APPROVAL_DATES, compact, INVOICE_DATES, RUN_DATES, reviveDates, STEP_DATES } from '../codec.ts';
import { isDuplicateId, keyId } from './counters.ts';

export type Doc<T> = T & { _id: ObjectId };

/**
 * The record as the SQLite store keeps it: a JSON round trip with the top-level date fields revived. Inputs
 * and results come back exactly as JSON would give them (a Date inside a result becomes its ISO string, an
 * undefined property disappears instead of turning into BSON null), so both stores return the same values.
 */
export const asJson = <T>(value: T, dates: ReadonlySet<string>): T => reviveDates<T>(JSON.stringify(value), dates);

/** The record without `_id`: exactly the fields that were stored. */
export function strip<T>(doc: Doc<T>): T {
  const { _id, ...record } = doc;
  return record as T;
}

/**
 * `$set` of the fields that have a JSON value and `$unset` of the rest (an undefined value removes the field,
 * as it does in the SQLite store). A field both set and unset is unset; null when there is nothing to do.
 */
function changes(
  fields: object,
  dates: ReadonlySet<string>,
  unset: readonly string[] = [],
): { $set?: Record<string, unknown>; $unset?: Record<string, ''> } | null {
  const json = asJson(fields as Record<string, unknown>, dates);
  const $set: Record<string, unknown> = {};
  const $unset: Record<string, ''> = {};
  for (const key of Object.keys(fields)) {
    if (unset.includes(key) || !(key in json)) $unset[key] = '';
    else $set[key] = json[key];
  }
  for (const key of unset) $unset[key] = '';
  const update = { ...(Object.keys($set).length ? { $set } : {}), ...(Object.keys($unset).length ? { $unset } : {}) };
  return Object.keys(update).length ? update : null;
}

/** An E11000 on a secondary unique index over `field` (a real server; the test emulator does not enforce them). */
function isDuplicateOn(err: unknown, field: string): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; keyPattern?: Record<string, unknown>; message?: unknown };
  if (e.code !== 11000) return false;
  return e.keyPattern !== undefined
    ? field in e.keyPattern
    : new RegExp(`dup key: \\{ ${field}:`).test(String(e.message));
}

/** Mongo reads `limit(0)` as "no limit"; SQLite's LIMIT 0 returns nothing. */
const none = (limit: number): boolean => limit <= 0;

export const runId = (id: string): ObjectId => keyId(`run:${id}`);
export const stepKey = (step: { runId: string; stepId: string }): ObjectId =>
  keyId(`step:${step.runId}:${step.stepId}`);
export const approvalId = (id: string): ObjectId => keyId(`approval:${id}`);
const leaseId = (id: string): ObjectId => keyId(`lease:${id}`);
export const invoiceId = (number: number): ObjectId => keyId(`invoice:${number}`);

interface LeaseDoc {
  _id: ObjectId;
  owner: string;
  until: Date;
}

export class MongoRunStore implements RunStore {
  readonly #runs: Collection<Doc<RunRecord>>;
  readonly #steps: Collection<Doc<StepRecord>>;
  readonly #leases: Collection<LeaseDoc>;
  readonly #events: EventLog;

  /** Without multi-document transactions, a journal write and its audit event are two writes, journal first. */
  constructor(db: Db, events: EventLog) {
    this.#events = events;
    this.#runs = db.collection<Doc<RunRecord>>('runs');
    this.#steps = db.collection<Doc<StepRecord>>('steps');
    this.#leases = db.collection<LeaseDoc>('run_leases');
  }

  async init(): Promise<void> {
    await this.#runs.createIndex({ status: 1, createdAt: 1 });
    await this.#runs.createIndex({ createdAt: 1 });
    await this.#steps.createIndex({ runId: 1, seq: 1 });
  }

  async create(run: RunRecord): Promise<boolean> {
    try {
      await this.#runs.insertOne({ ...asJson(run, RUN_DATES), _id: runId(run.id) });
      return true;
    } catch (err) {
      if (isDuplicateId(err)) return false;
      throw err;
    }
  }

  async get(id: string): Promise<RunRecord | null> {
    const doc = await this.#runs.findOne({ _id: runId(id) });
    return doc ? strip(doc) : null;
  }

  async update(id: string, patch: RunPatch, expected?: RunStatus[], event?: NewEvent): Promise<boolean> {
    const applied = await this.#update(id, patch, expected);
    if (applied && event) await this.#events.append(event);
    return applied;
  }

  async #update(id: string, patch: RunPatch, expected?: RunStatus[]): Promise<boolean> {
    const { unset, ...fields } = patch;
    // The status guard is part of the filter, so check-and-write is one atomic single-document update.
    const filter: Filter<Doc<RunRecord>> = { _id: runId(id), ...(expected ? { status: { $in: expected } } : {}) };
    const update = changes(fields, RUN_DATES, unset);
    if (!update) return (await this.#runs.countDocuments(filter, { limit: 1 })) === 1;
    return (await this.#runs.updateOne(filter, update)).matchedCount === 1;
  }

  async list(options: { statuses?: RunStatus[]; workflow?: string; limit?: number } = {}): Promise<RunRecord[]> {
    const limit = options.limit ?? 20;
    if (none(limit)) return [];
    const filter: Filter<Doc<RunRecord>> = {
      ...(options.statuses?.length ? { status: { $in: options.statuses } } : {}),
      ...(options.workflow !== undefined ? { workflow: options.workflow } : {}),
    };
    // _id breaks ties between runs created in the same millisecond, so the order is at least stable.
    const docs = await this.#runs.find(filter).sort({ createdAt: -1, _id: -1 }).limit(limit).toArray();
    return docs.map(strip);
  }

  async steps(runId: string): Promise<StepRecord[]> {
    const docs = await this.#steps.find({ runId }).sort({ seq: 1 }).toArray();
    return docs.map(strip);
  }

  async saveStep(step: StepRecord, event?: NewEvent): Promise<void> {
    await this.#saveStep(step);
    if (event) await this.#events.append(event);
  }

  async #saveStep(step: StepRecord): Promise<void> {
    const _id = stepKey(step);
    const doc = { ...asJson(step, STEP_DATES), _id };
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#steps.replaceOne({ _id }, doc, { upsert: true });
        return;
      } catch (err) {
        // Two first-time upserts of one step can race; the loser's retry replaces the winner's document.
        if (!isDuplicateId(err) || attempt >= 2) throw err;
      }
    }
  }

  // A lease is one document per run, _id derived from the run id. Taking a free lease is an insert (the _id makes
  // it unique); taking an expired, own or named one is an update whose filter holds only then. Both are atomic
  // single-document writes. (Not one upsert: the test emulator reports an upsert's _id collision with a generic
  // code, and a real server's answer is the same either way.)
  async lease(
    runId: string,
    owner: string,
    until: Date,
    now: Date,
    takeOver?: string,
  ): Promise<{ ok: true } | { ok: false; holder: string }> {
    const _id = leaseId(runId);
    const owners = takeOver === undefined ? [owner] : [owner, takeOver];
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await this.#leases.insertOne({ _id, owner, until });
        return { ok: true };
      } catch (err) {
        if (!isDuplicateId(err)) throw err;
      }
      const taken = await this.#leases.updateOne(
        { _id, $or: [{ until: { $lte: now } }, { owner: { $in: owners } }] },
        { $set: { owner, until } },
      );
      if (taken.matchedCount === 1) return { ok: true };
      const holder = (await this.#leases.findOne({ _id }))?.owner;
      if (holder !== undefined) return { ok: false, holder };
      // Released between the two writes: try again.
    }
    return { ok: false, holder: '' };
  }

  async leaseHolder(runId: string, now: Date): Promise<string | undefined> {
    return (await this.#leases.findOne({ _id: leaseId(runId), until: { $gt: now } }))?.owner;
  }

  async release(runId: string, owner: string): Promise<void> {
    await this.#leases.deleteOne({ _id: leaseId(runId), owner });
  }
}

export class MongoApprovalStore implements ApprovalStore {
  readonly #approvals: Collection<Doc<ApprovalRecord>>;
  constructor(db: Db) {
    this.#approvals = db.collection<Doc<ApprovalRecord>>('approvals');
  }

  async init(): Promise<void> {
    await this.#approvals.createIndex({ status: 1, createdAt: 1 });
    await this.#approvals.createIndex({ runId: 1, stepId: 1 }, { unique: true });
  }

  async create(approval: ApprovalRecord): Promise<boolean> {
    try {
      await this.#approvals.insertOne({ ...asJson(approval, APPROVAL_DATES), _id: approvalId(approval.id) });
      return true;
    } catch (err) {
      // Same id, or (on a real server) another approval for the same step: like SQLite's ON CONFLICT DO NOTHING.
      if (isDuplicateId(err) || isDuplicateOn(err, 'runId')) return false;
      throw err;
    }
  }

  async get(id: string): Promise<ApprovalRecord | null> {
    const doc = await this.#approvals.findOne({ _id: approvalId(id) });
    return doc ? strip(doc) : null;
  }

  async findByStep(runId: string, stepId: string): Promise<ApprovalRecord | null> {
    const doc = await this.#approvals.findOne({ runId, stepId });
    return doc ? strip(doc) : null;
  }

  async decide(id: string, decision: ApprovalDecision): Promise<boolean> {
    // One conditional update: of racing taps, only the one that still finds it pending modifies it.
    const result = await this.#approvals.updateOne(
      { _id: approvalId(id), status: 'pending' },
      { $set: { status: decision.status, decidedAt: decision.at, decidedBy: decision.by, decidedVia: decision.via } },
    );
    return result.modifiedCount === 1;
  }

  async update(id: string, patch: ApprovalPatch): Promise<void> {
    const update = changes(patch, APPROVAL_DATES);
    // Only while pending (the port's word): once decided, what was decided on stays as it was.
    if (update) await this.#approvals.updateOne({ _id: approvalId(id), status: 'pending' }, update);
  }

  async listPending(limit = 100): Promise<ApprovalRecord[]> {
    if (none(limit)) return [];
    const docs = await this.#approvals
      .find({ status: 'pending' })
      .sort({ createdAt: 1, _id: 1 })
      .limit(limit)
      .toArray();
    return docs.map(strip);
  }
}

/** Attempts at taking the next invoice number before giving up; each lost attempt means another invoice got in. */
const MAX_NUMBER_ATTEMPTS = 50;

export class MongoLedgerStore implements LedgerStore {
  readonly #invoices: Collection<Doc<Invoice>>;
  constructor(db: Db) {
    this.#invoices = db.collection<Doc<Invoice>>('invoices');
  }

  async init(): Promise<void> {
    await this.#invoices.createIndex({ number: 1 }, { unique: true });
    await this.#invoices.createIndex({ idempotencyKey: 1 }, { unique: true });
    await this.#invoices.createIndex({ stripeInvoiceId: 1 }, { sparse: true });
  }

  async #byKey(idempotencyKey: string): Promise<Invoice | null> {
    const doc = await this.#invoices.findOne({ idempotencyKey });
    return doc ? strip(doc) : null;
  }

  /**
   * Gap-free without transactions: the number is the highest recorded + 1, and the invoice's `_id` is derived
   * from its number, so of two recorders that pick the same number only one insert succeeds; the other reads
   * again and takes the next. Numbers are taken only by inserts that succeeded, and invoices are never
   * deleted, so there is never a gap, not even after a crash.
   */
  async recordInvoice(
    input: Omit<Invoice, 'number' | 'status' | 'createdAt'>,
  ): Promise<{ invoice: Invoice; replayed: boolean }> {
    for (let attempt = 0; attempt < MAX_NUMBER_ATTEMPTS; attempt++) {
      // Checked again after each lost number: the winner may have been a concurrent call with the same key.
      const existing = await this.#byKey(input.idempotencyKey);
      if (existing) return { invoice: existing, replayed: true };
      const last = await this.#invoices
        .find({}, { projection: { number: 1 } })
        .sort({ number: -1 })
        .limit(1)
        .next();
      const invoice = asJson<Invoice>(
        { ...input, number: (last?.number ?? 0) + 1, status: 'recorded', createdAt: new Date() },
        INVOICE_DATES,
      );
      try {
        await this.#invoices.insertOne({ ...invoice, _id: invoiceId(invoice.number) });
        return { invoice, replayed: false };
      } catch (err) {
        if (isDuplicateOn(err, 'idempotencyKey')) {
          // A real server's unique index caught a concurrent call with the same key: that one's invoice stands.
          const winner = await this.#byKey(input.idempotencyKey);
          if (winner) return { invoice: winner, replayed: true };
        }
        if (!isDuplicateId(err) && !isDuplicateOn(err, 'number')) throw err;
      }
    }
    throw new StoreError(
      'ledger_busy',
      'Could not give the invoice a number: too many invoices were being recorded at once; try again.',
      {
        retryable: true,
      },
    );
  }

  async voidInvoice(number: number): Promise<boolean> {
    return (await this.updateInvoice(number, { status: 'void' }, ['recorded', 'issued'])) !== null;
  }

  async getInvoice(number: number): Promise<Invoice | null> {
    const doc = await this.#invoices.findOne({ _id: invoiceId(number) });
    return doc ? strip(doc) : null;
  }

  async findByStripeId(stripeInvoiceId: string): Promise<Invoice | null> {
    const doc = await this.#invoices.find({ stripeInvoiceId }).sort({ number: 1 }).limit(1).next();
    return doc ? strip(doc) : null;
  }

  /** One document, the status guard in the filter: of two callers expecting the same status, one wins. */
  async updateInvoice(number: number, patch: InvoicePatch, expected?: InvoiceStatus[]): Promise<Invoice | null> {
    const filter: Filter<Doc<Invoice>> = expected
      ? { _id: invoiceId(number), status: { $in: expected } }
      : { _id: invoiceId(number) };
    const update = changes(compact(patch), INVOICE_DATES);
    if (!update)
      return this.getInvoice(number).then((found) =>
        found && (!expected || expected.includes(found.status)) ? found : null,
      );
    const doc = await this.#invoices.findOneAndUpdate(filter, { $set: update.$set ?? {} }, { returnDocument: 'after' });
    return doc ? strip(doc) : null;
  }

  async listInvoices(limit = 50): Promise<Invoice[]> {
    if (none(limit)) return [];
    const docs = await this.#invoices.find({}).sort({ number: -1 }).limit(limit).toArray();
    return docs.map(strip);
  }
}
