// Control flow between a workflow's code and the engine. These are thrown through the workflow function and
// caught by the engine; they are not failures and never reach a user as such. They extend Error only so that
// anything in between that inspects thrown values (and the linter) sees an Error.

import { SoloError } from '../domain/errors.ts';
import type { ErrorInfo } from '../ports/engine-store.ts';

/** The run waits: for an approval (its id), or for an outside event (`wait:<event>:<key>`). */
export class Suspend extends Error {
  readonly waitingFor: string;
  constructor(waitingFor: string) {
    super(`suspended, waiting for ${waitingFor}`);
    this.waitingFor = waitingFor;
  }
}

/** The run must be unwound: compensations run in reverse order. */
export class Unwind extends Error {
  readonly reason: 'cancel' | 'failure';
  readonly error: ErrorInfo | undefined;
  constructor(reason: 'cancel' | 'failure', error?: ErrorInfo) {
    super(`unwinding: ${reason}`);
    this.reason = reason;
    this.error = error;
  }
}

/** A step failed after all its attempts: the operator decides (retry, skip, cancel). */
export class NeedsReview extends Error {
  readonly stepId: string;
  readonly attempts: number;
  readonly error: ErrorInfo;
  constructor(stepId: string, attempts: number, error: ErrorInfo) {
    super(`step ${stepId} needs review`);
    this.stepId = stepId;
    this.attempts = attempts;
    this.error = error;
  }
}

/** While collecting compensations, the replay reached the first step that never completed. */
export class Frontier extends Error {}

export function errorInfo(err: unknown): ErrorInfo {
  // A SoloError's one sentence for the operator (a connector's "Stripe refused the API key; check …"), not its detail.
  if (err instanceof SoloError) return { message: err.userMessage, code: err.code };
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' ? { message: err.message, code } : { message: err.message };
  }
  return { message: String(err) };
}
