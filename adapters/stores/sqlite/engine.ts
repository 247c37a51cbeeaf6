// Runs, step journal, approvals and ledger on the embedded store. Records are JSON documents next to the
// columns that queries filter on; every multi-row change is one transaction.

import type { DatabaseSync } from 'node:sqlite';
import {
  type ApprovalDecision,
  type ApprovalPatch,
  type ApprovalRecord,
  type ApprovalStore,
  type Invoice,
  type InvoicePatch,
  type InvoiceStatus,
  type LedgerStore,
  type RunPatch,
  type RunRecord,
  type RunStatus,
  type RunStore,
  type StepRecord,
} from '../../../src/ports/engine-store.ts';
import { APPROVAL_DATES, compact, INVOICE_DATES, RUN_DATES, reviveDates, STEP_DATES } from '../codec.ts';
import type { NewEvent } from '../../../src/domain/events.ts';
import { inTransaction, statement } from './database.ts';
import type { SqliteEventLog } from './event-log.ts';

type DocRow = { doc: string };
const placeholders = (n: number): string => Array.from({ length: n }, () => '?').join(', ');

function applyRunPatch(run: RunRecord, patch: RunPatch): RunRecord {
  const { unset, ...fields } = patch;
  const next = { ...run, ...fields } as RunRecord & Record<string, unknown>;
  for (const key of unset ?? []) delete next[key];
  return next;
}

export class SqliteRunStore implements RunStore {
  readonly #db: DatabaseSync;
  readonly #events: SqliteEventLog;
  constructor(db: DatabaseSync, events: SqliteEventLog) {
    this.#db = db;
    this.#events = events;
  }

  async create(run: RunRecord): Promise<boolean> {
    const result = statement(
      this.#db,
      'INSERT INTO runs (id, status, created_at, doc) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
    ).run(run.id, run.status, run.createdAt.getTime(), JSON.stringify(run));
    return result.changes === 1;
  }

  #get(id: string): RunRecord | null {
    const row = statement(this.#db, 'SELECT doc FROM runs WHERE id = ?').get(id) as DocRow | undefined;
    return row ? reviveDates<RunRecord>(row.doc, RUN_DATES) : null;
  }

  async get(id: string): Promise<RunRecord | null> {
    return this.#get(id);
  }

  async update(id: string, patch: RunPatch, expected?: RunStatus[], event?: NewEvent): Promise<boolean> {
    return inTransaction(this.#db, () => {
      const run = this.#get(id);
      if (!run || (expected && !expected.includes(run.status))) return false;
      const next = applyRunPatch(run, patch);
      statement(this.#db, 'UPDATE runs SET status = ?, doc = ? WHERE id = ?').run(
        next.status,
        JSON.stringify(next),
        id,
      );
      if (event) this.#events.appendInTransaction(event);
      return true;
    });
  }

  async list(options: { statuses?: RunStatus[]; workflow?: string; limit?: number } = {}): Promise<RunRecord[]> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (options.statuses?.length) {
      where.push(`status IN (${placeholders(options.statuses.length)})`);
      params.push(...options.statuses);
    }
    if (options.workflow !== undefined) {
      where.push("json_extract(doc, '$.workflow') = ?");
      params.push(options.workflow);
    }
    const rows = statement(
      this.#db,
      `SELECT doc FROM runs ${where.length ? `WHERE ${where.join(' AND ')} ` : ''}ORDER BY created_at DESC, rowid DESC LIMIT ?`,
    ).all(...params, options.limit ?? 20);
    return (rows as unknown as DocRow[]).map((r) => reviveDates<RunRecord>(r.doc, RUN_DATES));
  }

  async steps(runId: string): Promise<StepRecord[]> {
    const rows = statement(this.#db, 'SELECT doc FROM steps WHERE run_id = ? ORDER BY seq').all(
      runId,
    ) as unknown as DocRow[];
    return rows.map((r) => reviveDates<StepRecord>(r.doc, STEP_DATES));
  }

  async saveStep(step: StepRecord, event?: NewEvent): Promise<void> {
    if (!event) return this.#saveStep(step);
    inTransaction(this.#db, () => {
      this.#saveStep(step);
      this.#events.appendInTransaction(event);
    });
  }

  #saveStep(step: StepRecord): void {
    statement(
      this.#db,
      'INSERT INTO steps (run_id, step_id, seq, doc) VALUES (?, ?, ?, ?) ON CONFLICT (run_id, step_id) DO UPDATE SET seq = excluded.seq, doc = excluded.doc',
    ).run(step.runId, step.stepId, step.seq, JSON.stringify(step));
  }

  // One statement each: SQLite serialises writers across processes, so two owners asking at once cannot both win.
  async lease(
    runId: string,
    owner: string,
    until: Date,
    now: Date,
    takeOver?: string,
  ): Promise<{ ok: true } | { ok: false; holder: string }> {
    const result = statement(
      this.#db,
      `INSERT INTO run_leases (run_id, owner, until) VALUES (?, ?, ?)
       ON CONFLICT (run_id) DO UPDATE SET owner = excluded.owner, until = excluded.until
       WHERE run_leases.until <= ? OR run_leases.owner = ? OR run_leases.owner = ?`,
    ).run(runId, owner, until.getTime(), now.getTime(), owner, takeOver ?? owner);
    if (result.changes === 1) return { ok: true };
    const row = statement(this.#db, 'SELECT owner FROM run_leases WHERE run_id = ?').get(runId) as
      { owner: string } | undefined;
    return { ok: false, holder: row?.owner ?? '' };
  }

  async leaseHolder(runId: string, now: Date): Promise<string | undefined> {
    const row = statement(this.#db, 'SELECT owner FROM run_leases WHERE run_id = ? AND until > ?').get(
      runId,
      now.getTime(),
    ) as { owner: string } | undefined;
    return row?.owner;
  }

  async release(runId: string, owner: string): Promise<void> {
    statement(this.#db, 'DELETE FROM run_leases WHERE run_id = ? AND owner = ?').run(runId, owner);
  }
}

export class SqliteApprovalStore implements ApprovalStore {
  readonly #db: DatabaseSync;
  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  async create(approval: ApprovalRecord): Promise<boolean> {
    const result = statement(
      this.#db,
      'INSERT INTO approvals (id, run_id, step_id, status, created_at, doc) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
    ).run(
      approval.id,
      approval.runId,
      approval.stepId,
      approval.status,
      approval.createdAt.getTime(),
      JSON.stringify(approval),
    );
    return result.changes === 1;
  }

  #get(id: string): ApprovalRecord | null {
    const row = statement(this.#db, 'SELECT doc FROM approvals WHERE id = ?').get(id) as DocRow | undefined;
    return row ? reviveDates<ApprovalRecord>(row.doc, APPROVAL_DATES) : null;
  }

  async get(id: string): Promise<ApprovalRecord | null> {
    return this.#get(id);
  }

  async findByStep(runId: string, stepId: string): Promise<ApprovalRecord | null> {
    const row = statement(this.#db, 'SELECT doc FROM approvals WHERE run_id = ? AND step_id = ?').get(runId, stepId) as
      DocRow | undefined;
    return row ? reviveDates<ApprovalRecord>(row.doc, APPROVAL_DATES) : null;
  }

  async decide(id: string, decision: ApprovalDecision): Promise<boolean> {
    return inTransaction(this.#db, () => {
      const approval = this.#get(id);
      if (!approval || approval.status !== 'pending') return false;
      const next: ApprovalRecord = {
        ...approval,
        status: decision.status,
        decidedAt: decision.at,
        decidedBy: decision.by,
        decidedVia: decision.via,
      };
      statement(this.#db, 'UPDATE approvals SET status = ?, doc = ? WHERE id = ?').run(
        next.status,
        JSON.stringify(next),
        id,
      );
      return true;
    });
  }

  async update(id: string, patch: ApprovalPatch): Promise<void> {
    inTransaction(this.#db, () => {
      const approval = this.#get(id);
      // Only while pending: once decided, what was decided on stays as it was.
      if (!approval || approval.status !== 'pending') return;
      statement(this.#db, 'UPDATE approvals SET doc = ? WHERE id = ?').run(
        JSON.stringify({ ...approval, ...patch }),
        id,
      );
    });
  }

  async listPending(limit = 100): Promise<ApprovalRecord[]> {
    const rows = statement(
      this.#db,
      "SELECT doc FROM approvals WHERE status = 'pending' ORDER BY created_at, rowid LIMIT ?",
    ).all(limit) as unknown as DocRow[];
    return rows.map((r) => reviveDates<ApprovalRecord>(r.doc, APPROVAL_DATES));
  }
}

export class SqliteLedgerStore implements LedgerStore {
  readonly #db: DatabaseSync;
  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  async recordInvoice(
    input: Omit<Invoice, 'number' | 'status' | 'createdAt'>,
  ): Promise<{ invoice: Invoice; replayed: boolean }> {
    return inTransaction(this.#db, () => {
      const existing = statement(this.#db, 'SELECT doc FROM invoices WHERE idempotency_key = ?').get(
        input.idempotencyKey,
      ) as DocRow | undefined;
      if (existing) return { invoice: reviveDates<Invoice>(existing.doc, INVOICE_DATES), replayed: true };
      // Number and row in one transaction: a number is used only by an invoice that exists, so there are no gaps.
      const { last } = statement(this.#db, 'SELECT COALESCE(MAX(number), 0) AS last FROM invoices').get() as {
        last: number;
      };
      const invoice: Invoice = { ...input, number: last + 1, status: 'recorded', createdAt: new Date() };
      statement(this.#db, 'INSERT INTO invoices (number, idempotency_key, doc) VALUES (?, ?, ?)').run(
        invoice.number,
        invoice.idempotencyKey,
        JSON.stringify(invoice),
      );
      return { invoice, replayed: false };
    });
  }

  async voidInvoice(number: number): Promise<boolean> {
    return (await this.updateInvoice(number, { status: 'void' }, ['recorded', 'issued'])) !== null;
  }

  #get(number: number): Invoice | null {
    const row = statement(this.#db, 'SELECT doc FROM invoices WHERE number = ?').get(number) as DocRow | undefined;
    return row ? reviveDates<Invoice>(row.doc, INVOICE_DATES) : null;
  }

  async getInvoice(number: number): Promise<Invoice | null> {
    return this.#get(number);
  }

  async findByStripeId(stripeInvoiceId: string): Promise<Invoice | null> {
    const row = statement(
      this.#db,
      "SELECT doc FROM invoices WHERE json_extract(doc, '$.stripeInvoiceId') = ? ORDER BY number LIMIT 1",
    ).get(stripeInvoiceId) as DocRow | undefined;
    return row ? reviveDates<Invoice>(row.doc, INVOICE_DATES) : null;
  }

  async updateInvoice(number: number, patch: InvoicePatch, expected?: InvoiceStatus[]): Promise<Invoice | null> {
    return inTransaction(this.#db, () => {
      const invoice = this.#get(number);
      if (!invoice || (expected && !expected.includes(invoice.status))) return null;
      // Through JSON, as the row will be read back: an undefined field in the patch leaves the stored one as it was.
      const next = reviveDates<Invoice>(JSON.stringify({ ...invoice, ...compact(patch) }), INVOICE_DATES);
      statement(this.#db, 'UPDATE invoices SET doc = ? WHERE number = ?').run(JSON.stringify(next), number);
      return next;
    });
  }

  async listInvoices(limit = 50): Promise<Invoice[]> {
    const rows = statement(this.#db, 'SELECT doc FROM invoices ORDER BY number DESC LIMIT ?').all(
      limit,
    ) as unknown as DocRow[];
    return rows.map((r) => reviveDates<Invoice>(r.doc, INVOICE_DATES));
  }
}
