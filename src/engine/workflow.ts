// What a workflow author writes against. A workflow is deterministic code: it decides, and every piece of I/O
// goes through `ctx.step(id, fn)` (journaled: a replay after a crash returns the recorded result instead of
// running `fn` again) or `ctx.approval(id, …)` (suspends the run until the operator decides).
// No Date.now(), Math.random(), network or store access directly in `run` — put them in steps.

import type { z } from 'zod';
import { SoloError } from '../domain/errors.ts';
import type { OutboundMessage } from '../domain/messages.ts';
import type { ProposedAction } from '../policy/approvals.ts';
import type { ApprovalCard, RunOrigin } from '../ports/engine-store.ts';

export interface StepInfo {
  runId: string;
  stepId: string;
  /** `<runId>:<stepId>`: the same on every attempt and after a restart. Hand it to the connector. */
  idempotencyKey: string;
  /** 1-based attempt number within this process's try of the step. */
  attempt: number;
  /** Aborted when the step's timeout elapses. */
  signal: AbortSignal;
  /** When the step first started, from the journal: the same on every attempt and after a restart. */
  startedAt: Date;
}

export interface StepOptions<T> {
  /** Attempts before the step fails for good (default 3). */
  maxAttempts?: number;
  /** Per attempt, in ms (default 30 s). */
  timeoutMs?: number;
  /** Exponential backoff with jitter between attempts (defaults: 200 ms doubling up to 10 s). */
  backoff?: { minMs?: number; maxMs?: number; factor?: number };
  /** Undoes this step's effect (saga); run in reverse order when the run is cancelled or a later step fails for good. */
  compensate?: (result: T, info: StepInfo) => Promise<void>;
}

export interface ApprovalRequest {
  card: ApprovalCard;
  /** Overrides the engine's expiry (APPROVAL_EXPIRY_HOURS, default 72 h). */
  expiresInMs?: number;
}

export interface ApprovalOutcome {
  decision: 'approved' | 'rejected' | 'expired';
  by: string;
  via: string;
  /** ISO time of the decision. */
  at: string;
  /** The card's text payload, as edited by the operator if they did. */
  text?: string;
}

/**
 * An effect on the world (record an invoice, send an email, create an event), declared in one place: what the
 * policy judges, what the operator sees when the policy asks for approval, the call itself and its undo.
 */
export interface Effect<T> {
  /** What the approvals policy decides on (kind, amount, recipients, agent, untrusted). */
  action: ProposedAction;
  /** The approval card, when the policy asks for the operator's approval. */
  card: ApprovalCard;
  /** The call, with the step's idempotency key (hand it to the connector) and the approval, if one was asked. */
  run: (info: StepInfo & { approval?: ApprovalOutcome }) => Promise<T>;
  /** Undoes the effect when the run is cancelled or a later step fails for good. */
  compensate?: (result: T, info: StepInfo) => Promise<void>;
  /** Retries and timeout of the call. */
  options?: Omit<StepOptions<T>, 'compensate'>;
  /** Step ids of the policy verdict and the approval (default `<id>:policy`, `<id>:approval`). */
  steps?: { policy?: string; approval?: string };
}

export type ActOutcome<T> =
  | { status: 'done'; result: T; approval?: ApprovalOutcome }
  | { status: 'denied'; reasons: string[] }
  | { status: 'rejected' | 'expired'; approval: ApprovalOutcome };

export interface WorkflowContext {
  readonly runId: string;
  readonly origin: RunOrigin;
  /**
   * An effect step: the policy's verdict (journaled, so a policy edit mid-run changes nothing), the operator's
   * approval when the policy asks for it, then the call with its idempotency key and compensation. Denied or not
   * approved, the call is never made.
   */
  act<T>(id: string, effect: Effect<T>): Promise<ActOutcome<T>>;
  /** Runs `fn` once for this run (journaled), with retries, timeout and optional compensation. Results must be JSON. */
  step<T>(id: string, fn: (info: StepInfo) => Promise<T>, options?: StepOptions<T>): Promise<T>;
  /** Sends the operator an approval card and suspends the run until it is decided (or expires). */
  approval(id: string, request: ApprovalRequest): Promise<ApprovalOutcome>;
  /** A message to the operator, sent once (a journaled step). */
  say(id: string, message: OutboundMessage | string): Promise<void>;
  /**
   * Suspends the run until an outside event arrives: `engine.signal({ kind: 'event', event, key, payload })` from a
   * payment webhook, an email reply, a schedule. An event that arrived before the run got here is not lost: it is
   * kept under its key and read at once. Returns the event's payload (JSON); the same on every replay.
   */
  wait<T = unknown>(id: string, on: { event: string; key: string }): Promise<T>;
}

export interface WorkflowDefinition<I = unknown, O = unknown> {
  name: string;
  version: number;
  description: string;
  input: z.ZodType<I>;
  run(ctx: WorkflowContext, input: I): Promise<O>;
}

/** Any workflow, whatever its input type (registries hold several). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- input types differ per workflow; each validates its own with zod
export type AnyWorkflow = WorkflowDefinition<any, unknown>;

export function defineWorkflow<I, O>(definition: WorkflowDefinition<I, O>): WorkflowDefinition<I, O> {
  return definition;
}

/** Thrown by a step when retrying cannot help (bad input, a permanent refusal). The run unwinds at once. */
export class NonRetriableError extends SoloError {
  constructor(message: string, options: { cause?: unknown; code?: string } = {}) {
    super(options.code ?? 'non_retriable', message, options.cause === undefined ? {} : { cause: options.cause });
  }
}

export function isRetriable(err: unknown): boolean {
  if (err instanceof NonRetriableError) return false;
  if (err instanceof SoloError) return err.retryable;
  return true;
}
