// Store ports of the workflow engine: runs with their step journal, approvals, and the ledger the first
// workflow writes to. Implemented by stores/sqlite and stores/mongo; proven by test/stores/engine-contract.ts.

import type { NewEvent } from '../domain/events.ts';

export const RunStatus = {
  running: 'running',
  suspended: 'suspended',
  compensating: 'compensating',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
  needsReview: 'needs_review',
} as const;
export type RunStatus = (typeof RunStatus)[keyof typeof RunStatus];

export const FINISHED: readonly RunStatus[] = [RunStatus.completed, RunStatus.failed, RunStatus.cancelled];

export interface ErrorInfo {
  message: string;
  code?: string;
}

interface ReviewInfo {
  stepId: string;
  reason: string;
  intended: string;
  actual: string;
}

export interface RunOrigin {
  channel: string;
  chatId: string;
  /** Nobody asked for this run just now (a mail started it): its messages are proactive, held through quiet hours. */
  proactive?: boolean;
}

export interface RunRecord {
  id: string;
  workflow: string;
  version: number;
  status: RunStatus;
  input: unknown;
  origin: RunOrigin;
  createdAt: Date;
  updatedAt: Date;
  result?: unknown;
  error?: ErrorInfo;
  /** What a suspended run waits for: an approval's id, or `wait:<event>:<key>` for an outside event. */
  waitingFor?: string;
  review?: ReviewInfo;
  /** Why a compensating run unwinds: it is cancelled, or a step failed for good. */
  unwind?: 'cancel' | 'failure';
}

export type RunPatch = Partial<Omit<RunRecord, 'id' | 'workflow' | 'version' | 'input' | 'origin' | 'createdAt'>> & {
  /** Fields to remove. */
  unset?: ('result' | 'error' | 'waitingFor' | 'review' | 'unwind')[];
};

export const StepStatus = {
  started: 'started',
  completed: 'completed',
  failed: 'failed',
  skipped: 'skipped',
} as const;
export type StepStatus = (typeof StepStatus)[keyof typeof StepStatus];

export interface StepRecord {
  runId: string;
  stepId: string;
  /** Order of first execution within the run. */
  seq: number;
  kind: 'run' | 'approval' | 'compensation' | 'wait';
  status: StepStatus;
  /** Failed attempts so far (an attempt cut short by a crash does not count). */
  failures: number;
  idempotencyKey: string;
  startedAt: Date;
  finishedAt?: Date;
  durationMs?: number;
  result?: unknown;
  error?: ErrorInfo;
}

export interface RunStore {
  /** Creates the run; false (and nothing changes) when a run with that id exists. */
  create(run: RunRecord): Promise<boolean>;
  get(id: string): Promise<RunRecord | null>;
  /**
   * Applies the patch; with `expected`, only when the run is in one of those statuses. Returns whether it applied.
   * `event`, when given, is appended to the event log in the same write (one transaction where the store has
   * them), and only if the patch applied.
   */
  update(id: string, patch: RunPatch, expected?: RunStatus[], event?: NewEvent): Promise<boolean>;
  /** Newest first. */
  list(options?: { statuses?: RunStatus[]; workflow?: string; limit?: number }): Promise<RunRecord[]>;
  /** The journal, in seq order. */
  steps(runId: string): Promise<StepRecord[]>;
  /** Inserts or replaces the step (runId, stepId); `event` as in `update`. */
  saveStep(step: StepRecord, event?: NewEvent): Promise<void>;
  /**
   * Takes or renews the lease on executing a run, until `until`: granted when nobody holds it, the lease has
   * expired (its `until` is not after `now`), `owner` holds it already, or `takeOver` names the current holder.
   * Atomic: of two owners asking at once, one gets it. When refused, says who holds it.
   */
  lease(
    runId: string,
    owner: string,
    until: Date,
    now: Date,
    takeOver?: string,
  ): Promise<{ ok: true } | { ok: false; holder: string }>;
  /** The owner of an unexpired lease, if any. */
  leaseHolder(runId: string, now: Date): Promise<string | undefined>;
  /** Gives the lease up (only `owner`'s). */
  release(runId: string, owner: string): Promise<void>;
}

export const ApprovalStatus = {
  pending: 'pending',
  approved: 'approved',
  rejected: 'rejected',
  expired: 'expired',
  cancelled: 'cancelled',
} as const;
export type ApprovalStatus = (typeof ApprovalStatus)[keyof typeof ApprovalStatus];

/** What the operator sees on an approval card. */
export interface ApprovalCard {
  title: string;
  /** Lines such as "To: Acme Corp", "Amount: 1,200.00 EUR". */
  details: string[];
  /** Changes to existing data, one line each ("- old", "+ new"). */
  diff?: string[];
  /** Editable text payload (the Edit button replaces it). */
  text?: string;
}

export interface ApprovalRecord {
  id: string;
  runId: string;
  stepId: string;
  status: ApprovalStatus;
  card: ApprovalCard;
  createdAt: Date;
  expiresAt: Date;
  /** Set once the card was sent. */
  deliveredAt?: Date;
  /** Every copy of the card on platforms that can edit it, so a decision can update them all. */
  deliveries?: { channel: string; chatId: string; messageId: string }[];
  decidedAt?: Date;
  decidedBy?: string;
  decidedVia?: string;
  /** The operator's replacement for card.text. */
  editedText?: string;
}

export type ApprovalPatch = Partial<Pick<ApprovalRecord, 'deliveredAt' | 'editedText' | 'deliveries'>>;

export interface ApprovalDecision {
  status: Exclude<ApprovalStatus, 'pending'>;
  by: string;
  via: string;
  at: Date;
}

export interface ApprovalStore {
  /** Creates the approval; false when one exists for that id. */
  create(approval: ApprovalRecord): Promise<boolean>;
  get(id: string): Promise<ApprovalRecord | null>;
  findByStep(runId: string, stepId: string): Promise<ApprovalRecord | null>;
  /** Decides a pending approval: true for exactly one caller; false when it was no longer pending. */
  decide(id: string, decision: ApprovalDecision): Promise<boolean>;
  /** Changes a pending approval's fields (delivery time and copies, edited text). */
  update(id: string, patch: ApprovalPatch): Promise<void>;
  /** Pending approvals, oldest first. */
  listPending(limit?: number): Promise<ApprovalRecord[]>;
}

/** recorded → issued (in Stripe) → paid; void from recorded or issued (the number stays used). */
export type InvoiceStatus = 'recorded' | 'issued' | 'paid' | 'void';

interface InvoiceLine {
  description: string;
  amountMinor: number;
}

export interface Invoice {
  /** Gap-free: 1, 2, 3, … in the order invoices were recorded. Shown as INV-0001. */
  number: number;
  client: string;
  amountMinor: number;
  currency: string;
  description?: string;
  runId: string;
  idempotencyKey: string;
  status: InvoiceStatus;
  createdAt: Date;
  // Everything below came with real invoice documents: optional, so invoices recorded before read as they were.
  /** The client's memory entity (`client:acme-corp`), when memory knows the client. */
  clientKey?: string;
  /** Where the invoice goes by mail (from the client's memory). */
  email?: string;
  lines?: InvoiceLine[];
  /** Invoice date and due date, YYYY-MM-DD in the operator's time zone. */
  issueDate?: string;
  dueDate?: string;
  /** The PDF, relative to DATA_DIR (`invoices/INV-0001.pdf`), and the SHA-256 of its bytes. */
  pdfFile?: string;
  pdfSha256?: string;
  stripeInvoiceId?: string;
  /** Stripe's own number and the page where the client pays. */
  stripeNumber?: string;
  hostedUrl?: string;
  /** The mail that carried the PDF to the client. */
  mailMessageId?: string;
  mailedTo?: string;
  mailedAt?: Date;
  paidAt?: Date;
  paidVia?: 'stripe' | 'manual';
}

/** Fields an invoice gains after it was recorded (documents, Stripe, mail, payment) and its status. */
export type InvoicePatch = Partial<
  Omit<Invoice, 'number' | 'runId' | 'idempotencyKey' | 'createdAt' | 'client' | 'amountMinor' | 'currency'>
>;

export interface LedgerStore {
  /**
   * Records an invoice under the next number. Idempotent by key: the same key returns the invoice recorded
   * the first time (`replayed: true`) and takes no number.
   */
  recordInvoice(
    input: Omit<Invoice, 'number' | 'status' | 'createdAt'>,
  ): Promise<{ invoice: Invoice; replayed: boolean }>;
  /** Compensation: marks a recorded or issued invoice void (the number stays used). False when it was not (missing, paid or already void). */
  voidInvoice(number: number): Promise<boolean>;
  getInvoice(number: number): Promise<Invoice | null>;
  /** The invoice issued as this Stripe invoice (`in_…`). */
  findByStripeId(stripeInvoiceId: string): Promise<Invoice | null>;
  /**
   * Applies the patch; with `expected`, only while the invoice is in one of those statuses (a compare-and-set: of
   * two callers marking it paid, one wins). Returns the invoice after the change, or null when it did not apply.
   */
  updateInvoice(number: number, patch: InvoicePatch, expected?: InvoiceStatus[]): Promise<Invoice | null>;
  /** Newest first. */
  listInvoices(limit?: number): Promise<Invoice[]>;
}
