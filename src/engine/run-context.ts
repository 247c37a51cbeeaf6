// One execution of a workflow function for one run: replays journaled steps, runs new ones with retries and
// timeouts, journals each result before the next step starts, and collects compensations.

import pRetry, { AbortError } from 'p-retry';
import type { OutboundMessage } from '../domain/messages.ts';
import type { ApprovalRecord, RunRecord, StepRecord } from '../ports/engine-store.ts';
import { errorInfo, Frontier, NeedsReview, Suspend, Unwind } from './signals.ts';
import {
  isRetriable,
  type ActOutcome,
  type ApprovalOutcome,
  type ApprovalRequest,
  type Effect,
  type StepInfo,
  type StepOptions,
  type WorkflowContext,
} from './workflow.ts';
import type { EngineInternals } from './internals.ts';

interface Compensation {
  stepId: string;
  run: () => Promise<void>;
}

const DEFAULTS = { maxAttempts: 3, timeoutMs: 30_000, minMs: 200, maxMs: 10_000, factor: 2 };

/** JSON in, JSON out: what a replay returns must equal what the first execution returned. */
const asJournaled = <T>(value: T): T => (value === undefined ? (null as T) : (JSON.parse(JSON.stringify(value)) as T));

export class RunContext implements WorkflowContext {
  readonly runId: string;
  readonly origin: RunRecord['origin'];
  /** Completed steps that can be undone, in completion order. */
  readonly compensations: Compensation[] = [];
  readonly #engine: EngineInternals;
  readonly #run: RunRecord;
  readonly #journal: Map<string, StepRecord>;
  readonly #collecting: boolean;
  readonly #seen = new Set<string>();
  #nextSeq: number;

  constructor(engine: EngineInternals, run: RunRecord, journal: StepRecord[], mode: 'forward' | 'collect') {
    this.#engine = engine;
    this.#run = run;
    this.runId = run.id;
    this.origin = run.origin;
    this.#journal = new Map(journal.map((s) => [s.stepId, s]));
    this.#nextSeq = journal.reduce((max, s) => Math.max(max, s.seq), 0) + 1;
    this.#collecting = mode === 'collect';
  }

  #claim(id: string): void {
    if (this.#seen.has(id))
      throw new Unwind('failure', {
        message: `step id "${id}" is used twice in one run; step ids must be unique`,
        code: 'duplicate_step',
      });
    this.#seen.add(id);
  }

  async step<T>(id: string, fn: (info: StepInfo) => Promise<T>, options: StepOptions<T> = {}): Promise<T> {
    this.#claim(id);
    const result = await this.runStep(id, 'run', fn, options);
    const { compensate } = options;
    if (compensate)
      this.compensations.push({ stepId: id, run: () => this.#compensate(id, (info) => compensate(result, info)) });
    return result;
  }

  async act<T>(id: string, effect: Effect<T>): Promise<ActOutcome<T>> {
    const verdict = await this.step(effect.steps?.policy ?? `${id}:policy`, () =>
      this.#engine.decideEffect(effect.action, this.runId),
    );
    if (verdict.outcome === 'deny') return { status: 'denied', reasons: verdict.reasons };
    // "allow" is the operator's standing approval, written in their approvals policy.
    const approval =
      verdict.outcome === 'approve'
        ? await this.approval(effect.steps?.approval ?? `${id}:approval`, { card: effect.card })
        : undefined;
    if (approval && approval.decision !== 'approved') return { status: approval.decision, approval };
    const options: StepOptions<T> = {
      ...effect.options,
      ...(effect.compensate ? { compensate: effect.compensate } : {}),
    };
    const result = await this.step(id, (info) => effect.run(approval ? { ...info, approval } : info), options);
    return approval ? { status: 'done', result, approval } : { status: 'done', result };
  }

  async say(id: string, message: OutboundMessage | string): Promise<void> {
    await this.step(id, async ({ idempotencyKey }) => {
      void (await this.#engine.send(
        this.#run,
        typeof message === 'string' ? { text: message } : message,
        `say:${idempotencyKey}`,
      ));
      return true;
    });
  }

  #info(stepId: string, attempt: number, signal: AbortSignal, startedAt: Date): StepInfo {
    return { runId: this.runId, stepId, idempotencyKey: `${this.runId}:${stepId}`, attempt, signal, startedAt };
  }

  async #compensate(stepId: string, undo: (info: StepInfo) => Promise<void>): Promise<void> {
    await this.runStep(
      `undo:${stepId}`,
      'compensation',
      async (info) => {
        await undo(info);
        return true;
      },
      { maxAttempts: 5 },
    );
    await this.#engine.emit('step.compensated', { runId: this.runId, stepId });
  }

  /** Replays the step from the journal, or runs it (intent journaled first: the outbox), then journals the result. */
  async runStep<T>(
    id: string,
    kind: StepRecord['kind'],
    fn: (info: StepInfo) => Promise<T>,
    options: StepOptions<T>,
  ): Promise<T> {
    const recorded = this.#journal.get(id);
    if (recorded?.status === 'completed' || recorded?.status === 'skipped') return recorded.result as T;
    if (this.#collecting && kind !== 'compensation') throw new Frontier();
    if (this.#engine.cancelRequested(this.runId) && kind !== 'compensation') throw new Unwind('cancel');

    const maxAttempts = options.maxAttempts ?? DEFAULTS.maxAttempts;
    const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
    const step: StepRecord = recorded ?? {
      runId: this.runId,
      stepId: id,
      seq: this.#nextSeq++,
      kind,
      status: 'started',
      failures: 0,
      idempotencyKey: `${this.runId}:${id}`,
      startedAt: this.#engine.now(),
    };
    if (step.failures >= maxAttempts)
      throw new NeedsReview(id, step.failures, step.error ?? { message: 'failed before' });
    await this.#engine.store.runs.saveStep(step);
    this.#journal.set(id, step);

    const started = performance.now();
    let attempt = 0;
    try {
      const value = await pRetry(
        async () => {
          attempt++;
          const controller = new AbortController();
          const timer = setTimeout(
            () => controller.abort(new Error(`step "${id}" timed out after ${timeoutMs} ms`)),
            timeoutMs,
          );
          try {
            const work = fn(this.#info(id, attempt, controller.signal, step.startedAt));
            const aborted = new Promise<never>((_, reject) =>
              controller.signal.addEventListener('abort', () => reject(controller.signal.reason as Error), {
                once: true,
              }),
            );
            return await Promise.race([work, aborted]);
          } catch (err) {
            if (!isRetriable(err)) throw new AbortError(err instanceof Error ? err : new Error(String(err)));
            throw err instanceof Error ? err : new Error(String(err));
          } finally {
            clearTimeout(timer);
          }
        },
        {
          retries: Math.max(0, maxAttempts - step.failures - 1),
          minTimeout: options.backoff?.minMs ?? DEFAULTS.minMs,
          maxTimeout: options.backoff?.maxMs ?? DEFAULTS.maxMs,
          factor: options.backoff?.factor ?? DEFAULTS.factor,
          randomize: true,
          onFailedAttempt: async ({ error, retriesLeft, retryDelay }) => {
            step.failures++;
            step.error = errorInfo(error);
            await this.#engine.store.runs.saveStep(step);
            if (retriesLeft > 0)
              await this.#engine.emit('step.retried', {
                runId: this.runId,
                stepId: id,
                attempt: step.failures,
                error: step.error.message,
                delayMs: retryDelay,
              });
          },
        },
      );
      const result = asJournaled(value);
      Object.assign(step, {
        status: 'completed',
        result,
        finishedAt: this.#engine.now(),
        durationMs: Math.round(performance.now() - started),
      });
      const completed = {
        runId: this.runId,
        stepId: id,
        kind,
        attempts: step.failures + 1,
        durationMs: step.durationMs ?? 0,
        replayed: false,
      };
      await this.#engine.store.runs.saveStep(step, this.#engine.eventFor('step.completed', completed));
      this.#engine.announce('step.completed', completed);
      return result;
    } catch (err) {
      // p-retry rejects with the error inside an AbortError, so the cause itself says whether retrying could help.
      const cause = err instanceof AbortError ? err.originalError : err;
      const retriable = isRetriable(cause);
      if (!retriable) {
        step.failures++;
        step.error = errorInfo(cause);
      }
      Object.assign(step, {
        status: 'failed',
        finishedAt: this.#engine.now(),
        durationMs: Math.round(performance.now() - started),
      });
      await this.#engine.store.runs.saveStep(step);
      await this.#engine.emit('step.failed', {
        runId: this.runId,
        stepId: id,
        attempts: step.failures,
        error: step.error?.message ?? 'failed',
        retriable,
      });
      if (retriable || kind === 'compensation')
        throw new NeedsReview(id, step.failures, step.error ?? errorInfo(cause));
      throw new Unwind('failure', { ...errorInfo(cause), message: `step "${id}" failed: ${errorInfo(cause).message}` });
    }
  }

  async wait<T = unknown>(id: string, on: { event: string; key: string }): Promise<T> {
    this.#claim(id);
    const recorded = this.#journal.get(id);
    if (recorded?.status === 'completed') return recorded.result as T;
    if (this.#collecting) throw new Frontier();
    if (this.#engine.cancelRequested(this.runId)) throw new Unwind('cancel');
    const engine = this.#engine;
    const arrived = async (): Promise<T | undefined> => {
      const signal = await engine.store.events.findByDedupeKey(`signal:${on.event}:${on.key}`);
      return signal?.type === 'signal.received' ? (signal.data.payload as T) : undefined;
    };
    const step: StepRecord = recorded ?? {
      runId: this.runId,
      stepId: id,
      seq: this.#nextSeq++,
      kind: 'wait',
      status: 'started',
      failures: 0,
      idempotencyKey: `${this.runId}:${id}`,
      startedAt: engine.now(),
    };
    const complete = async (payload: T): Promise<T> => {
      const finishedAt = engine.now();
      const done = {
        ...step,
        status: 'completed' as const,
        result: asJournaled(payload),
        finishedAt,
        durationMs: finishedAt.getTime() - step.startedAt.getTime(),
      };
      this.#journal.set(id, done);
      await engine.store.runs.saveStep(done);
      return done.result;
    };
    // Look for the event, register as the waiter, then look again: a signal appended meanwhile either finds the
    // waiter or is found by the second look, so it can never fall between the two.
    const early = await arrived();
    if (early !== undefined) return complete(early);
    if (!recorded) {
      await engine.store.runs.saveStep(step);
      this.#journal.set(id, step);
    }
    // One waiter per event and key (an invoice id, a Message-ID): the dedupe key is how a signal finds it.
    await engine.store.events.append({
      ...engine.eventFor('run.waiting', { runId: this.runId, stepId: id, event: on.event, key: on.key }),
      dedupeKey: `wait:${on.event}:${on.key}`,
    });
    const late = await arrived();
    if (late !== undefined) return complete(late);
    throw new Suspend(`wait:${on.event}:${on.key}`);
  }

  async approval(id: string, request: ApprovalRequest): Promise<ApprovalOutcome> {
    this.#claim(id);
    const recorded = this.#journal.get(id);
    if (recorded?.status === 'completed') return recorded.result as ApprovalOutcome;
    if (this.#collecting) throw new Frontier();
    if (this.#engine.cancelRequested(this.runId)) throw new Unwind('cancel');

    const engine = this.#engine;
    let approval = await engine.store.approvals.findByStep(this.runId, id);
    if (!approval) {
      const now = engine.now();
      approval = {
        id: engine.newApprovalId(),
        runId: this.runId,
        stepId: id,
        status: 'pending',
        card: request.card,
        createdAt: now,
        expiresAt: new Date(now.getTime() + (request.expiresInMs ?? engine.approvalExpiryMs())),
      } satisfies ApprovalRecord;
      await engine.store.approvals.create(approval);
      await engine.store.runs.saveStep({
        runId: this.runId,
        stepId: id,
        seq: this.#nextSeq++,
        kind: 'approval',
        status: 'started',
        failures: 0,
        idempotencyKey: `${this.runId}:${id}`,
        startedAt: now,
      });
      await engine.emit('approval.requested', {
        runId: this.runId,
        approvalId: approval.id,
        stepId: id,
        title: request.card.title,
        expiresAt: approval.expiresAt.toISOString(),
      });
    }
    if (approval.status === 'pending') {
      if (!approval.deliveredAt) await engine.sendCard(this.#run, approval);
      throw new Suspend(approval.id);
    }
    if (approval.status === 'cancelled') throw new Unwind('cancel');
    const outcome: ApprovalOutcome = {
      decision: approval.status,
      by: approval.decidedBy ?? 'system',
      via: approval.decidedVia ?? 'system',
      at: (approval.decidedAt ?? engine.now()).toISOString(),
      ...((approval.editedText ?? approval.card.text) ? { text: approval.editedText ?? approval.card.text } : {}),
    };
    const step = this.#journal.get(id);
    const finishedAt = engine.now();
    await engine.store.runs.saveStep({
      runId: this.runId,
      stepId: id,
      seq: step?.seq ?? this.#nextSeq++,
      kind: 'approval',
      status: 'completed',
      failures: 0,
      idempotencyKey: `${this.runId}:${id}`,
      startedAt: step?.startedAt ?? approval.createdAt,
      finishedAt,
      durationMs: finishedAt.getTime() - approval.createdAt.getTime(),
      result: outcome,
    });
    return outcome;
  }
}
