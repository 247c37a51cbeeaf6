// The durable workflow engine. A run's truth is its journal in the store: every step result is written before
// the next step starts, so after a crash `recover()` re-executes unfinished runs and journaled steps replay
// instead of running again. Approvals suspend a run; signals (a tap, a remedy, a cancel) resume it — they are the
// one way in for a waiting run. Failures either unwind the run (compensations in reverse order) or stop it for the
// operator's review. A run is executed by one process at a time: whoever holds its lease in the store.

import { newEvent, type EventDataMap, type EventType, type NewEvent } from '../domain/events.ts';
import { InputError } from '../domain/errors.ts';
import { randomId } from '../domain/ids.ts';
import type { OutboundMessage, SentMessage } from '../domain/messages.ts';
import type { Logger } from '../observability/logger.ts';
import { FINISHED, RunStatus, type ApprovalRecord, type RunOrigin, type RunRecord } from '../ports/engine-store.ts';
import type { Store } from '../ports/store.ts';
import type { ProposedAction } from '../policy/approvals.ts';
import { approvalCard, decidedCard, reviewMessage } from './cards.ts';
import type { EngineInternals, PolicyVerdict } from './internals.ts';
import { Leases } from './leases.ts';
import { RunContext } from './run-context.ts';
import { applySignal, type Signal, type SignalFrom, type SignalResult } from './signal.ts';
import { errorInfo, Frontier, NeedsReview, Suspend, Unwind } from './signals.ts';
import type { WorkflowDefinition } from './workflow.ts';

/** A dedupe key makes a send exactly-once: a message already recorded under it is not sent again. */
export type Reply = (message: OutboundMessage, options?: { dedupeKey?: string }) => Promise<SentMessage>;
export type EngineHook = (event: { type: EventType; runId: string; data: unknown }) => void;

/** How runs reach the operator: implemented by src/delivery, the one way out. */
export interface RunDelivery {
  /** A run's message when no reply is at hand: to the chat that started it, else the operator's other chats. */
  toRun(
    origin: RunOrigin,
    message: OutboundMessage,
    options?: { dedupeKey?: string },
  ): Promise<SentMessage | undefined>;
  /** Extra copies of a new approval card (the operator's preferred chat); returns what was sent. */
  copyCard(origin: RunOrigin, card: OutboundMessage, dedupeKey: string): Promise<SentMessage[]>;
  /** After a decision, expiry or withdrawal: every copy of the card on platforms that can edit shows it. */
  cardDecided(approval: ApprovalRecord, text: OutboundMessage): Promise<void>;
}

/** The approvals policy as the engine asks it: a journaled verdict per effect; a denial is reported by the policy. */
export interface EnginePolicy {
  decide(action: ProposedAction, runId: string): Promise<PolicyVerdict>;
}

const DEFAULT_APPROVAL_EXPIRY_HOURS = 72;
const runStream = (runId: string): string => `run:${runId}`;

export interface EngineOptions {
  store: Store;
  logger: Logger;
  delivery: RunDelivery;
  /** Without one, every effect waits for the operator's approval (the safe default). */
  policy?: EnginePolicy;
  /** Hours before an approval expires (default 72). */
  approvalExpiryHours?: number;
  /** Extra subscribers to engine events (the event log always gets them). */
  hooks?: EngineHook[];
  now?: () => Date;
  /** How long a run's lease lasts without renewal (default 30 s); tests shorten it. */
  leaseMs?: number;
}

/**
 * A connector's sentence for a transient failure ends in a promise ("; the call will be tried again.", "; Solo OS
 * will try again."). A run in review has spent its tries, so the card quotes the failure without the promise.
 */
const RETRY_PROMISE =
  /;\s*(?:the (?:call|update) will be tried again|(?:Solo OS|it) will try again)(?: shortly| in \d+ s)?\.$/;
const spent = (message: string): string => message.replace(RETRY_PROMISE, '.');

export class Engine implements EngineInternals {
  readonly store: Store;
  readonly log: Logger;
  readonly delivery: RunDelivery;
  readonly #policy: EnginePolicy | undefined;
  readonly #expiryHours: number;
  readonly #hooks: EngineHook[];
  readonly #now: () => Date;
  readonly #leases: Leases;
  readonly #workflows = new Map<string, WorkflowDefinition<unknown, unknown>>();
  readonly #locks = new Map<string, Promise<void>>();
  readonly #replies = new Map<string, Reply>();
  readonly #cancelling = new Set<string>();

  constructor(options: EngineOptions) {
    this.store = options.store;
    this.log = options.logger.child({ component: 'engine' });
    this.delivery = options.delivery;
    this.#policy = options.policy;
    this.#expiryHours = options.approvalExpiryHours ?? DEFAULT_APPROVAL_EXPIRY_HOURS;
    this.#hooks = options.hooks ?? [];
    this.#now = options.now ?? (() => new Date());
    this.#leases = new Leases(options.store.runs, this.log, options.leaseMs);
  }

  register<I, O>(workflow: WorkflowDefinition<I, O>): this {
    if (this.#workflows.has(workflow.name)) throw new Error(`workflow ${workflow.name} is registered twice`);
    this.#workflows.set(workflow.name, workflow);
    return this;
  }

  workflows(): WorkflowDefinition<unknown, unknown>[] {
    return [...this.#workflows.values()];
  }

  // ---- EngineInternals (used by RunContext) ----

  now(): Date {
    return this.#now();
  }
  newApprovalId(): string {
    return randomId('a');
  }
  approvalExpiryMs(): number {
    return this.#expiryHours * 3_600_000;
  }
  async decideEffect(action: ProposedAction, runId: string): Promise<PolicyVerdict> {
    if (!this.#policy)
      return { outcome: 'approve', reasons: ['no approvals policy is configured, so the operator decides'] };
    return this.#policy.decide(action, runId);
  }
  cancelRequested(runId: string): boolean {
    return this.#cancelling.has(runId);
  }
  async emit<K extends EventType>(type: K, data: EventDataMap[K]): Promise<void> {
    await this.store.events.append(this.eventFor(type, data));
    this.announce(type, data);
  }
  /** The event-log entry of an engine event, for writes that journal and audit together. */
  eventFor<K extends EventType>(type: K, data: EventDataMap[K]): NewEvent {
    return newEvent(type, runStream((data as { runId?: string }).runId ?? 'engine'), data);
  }
  /** Tells the log and the hooks about an engine event already written to the event log. */
  announce<K extends EventType>(type: K, data: EventDataMap[K]): void {
    const runId = (data as { runId?: string }).runId ?? 'engine';
    this.log.debug({ event: type, data }, 'engine event');
    for (const hook of this.#hooks) {
      try {
        hook({ type, runId, data });
      } catch (err) {
        this.log.warn({ err }, 'an engine hook failed');
      }
    }
  }
  async send(run: RunRecord, message: OutboundMessage, dedupeKey?: string): Promise<SentMessage | undefined> {
    const options = dedupeKey === undefined ? {} : { dedupeKey };
    const reply = this.#replies.get(run.id);
    return reply ? reply(message, options) : this.delivery.toRun(run.origin, message, options);
  }
  async sendCard(run: RunRecord, approval: ApprovalRecord): Promise<void> {
    const card = approvalCard(approval);
    const sent = await this.send(run, card, `card:${approval.id}`);
    const copies = await this.delivery
      .copyCard(run.origin, card, `card:${approval.id}`)
      .catch((err: unknown) => (this.log.warn({ err }, 'could not copy an approval card'), []));
    const deliveries = [sent, ...copies].flatMap((m) => (m?.ref ? [m.ref] : []));
    await this.store.approvals.update(approval.id, {
      deliveredAt: this.#now(),
      ...(deliveries.length ? { deliveries } : {}),
    });
  }

  /** Remembers another copy of a pending card (shown again by /approvals) so a decision updates it too. */
  async addCardCopy(approvalId: string, ref: SentMessage['ref']): Promise<void> {
    if (!ref) return;
    const approval = await this.store.approvals.get(approvalId);
    if (approval) await this.store.approvals.update(approvalId, { deliveries: [...(approval.deliveries ?? []), ref] });
  }

  /** Every copy of a decided card shows the decision. */
  async cardsDecided(approvalId: string): Promise<void> {
    const approval = await this.store.approvals.get(approvalId);
    if (!approval?.deliveries?.length) return;
    await this.delivery
      .cardDecided(approval, decidedCard(approval))
      .catch((err: unknown) => this.log.warn({ err, approvalId }, 'updating approval cards failed'));
  }

  // ---- Starting and running ----

  /** Starts a run (idempotent by id: a second start with the same id returns the existing run) and executes it. */
  async start(
    name: string,
    input: unknown,
    options: { id?: string; origin: RunOrigin; reply?: Reply },
  ): Promise<{ run: RunRecord; created: boolean }> {
    const { run, created, done } = await this.begin(name, input, options);
    await done;
    return { run: (await this.store.runs.get(run.id)) ?? run, created };
  }

  /**
   * Records a run (idempotent by id, like start) and resolves once it is in the store; `done` settles when this
   * execution suspends or finishes. A scheduled fire uses it: the run is durable before the schedule moves on, and
   * the fire does not wait for the work.
   */
  async begin(
    name: string,
    input: unknown,
    options: { id?: string; origin: RunOrigin; reply?: Reply },
  ): Promise<{ run: RunRecord; created: boolean; done: Promise<void> }> {
    const workflow = this.#workflows.get(name);
    if (!workflow) throw new InputError(`There is no workflow called ${name}.`);
    const parsed = workflow.input.safeParse(input);
    if (!parsed.success)
      throw new InputError(`That input does not fit ${name}: ${parsed.error.issues[0]?.message ?? 'invalid'}.`);
    const now = this.#now();
    const run: RunRecord = {
      id: options.id ?? randomId('r'),
      workflow: name,
      version: workflow.version,
      status: RunStatus.running,
      input: parsed.data,
      origin: options.origin,
      createdAt: now,
      updatedAt: now,
    };
    const created = await this.store.runs.create(run);
    if (created) await this.emit('run.started', { runId: run.id, workflow: name, version: workflow.version });
    return { run, created, done: this.execute(run.id, options.reply) };
  }

  /**
   * Executes a run until it suspends or finishes. One execution per run at a time: in this process by a chain per
   * run, across processes by the run's lease (a run another live process holds is left to it).
   */
  execute(runId: string, reply?: Reply): Promise<void> {
    const previous = this.#locks.get(runId) ?? Promise.resolve();
    const next = previous.then(() =>
      this.#leases.hold(runId, this.#now, () => this.#withReply(runId, reply, () => this.#execute(runId))),
    );
    const settled = next.catch(() => undefined);
    this.#locks.set(runId, settled);
    void settled.then(() => {
      if (this.#locks.get(runId) === settled) this.#locks.delete(runId);
    });
    return next;
  }

  async #withReply(runId: string, reply: Reply | undefined, fn: () => Promise<void>): Promise<void> {
    if (reply) this.#replies.set(runId, reply);
    try {
      await fn();
    } finally {
      if (reply) this.#replies.delete(runId);
    }
  }

  async #execute(runId: string): Promise<void> {
    const run = await this.store.runs.get(runId);
    if (!run || (run.status !== RunStatus.running && run.status !== RunStatus.compensating)) return;
    if (run.unwind === 'cancel') this.#cancelling.add(runId);
    const workflow = this.#workflows.get(run.workflow);
    if (!workflow) {
      await this.#toReview(run, {
        stepId: '(start)',
        reason: `workflow ${run.workflow} is not registered in this version`,
        intended: 'the run continues',
        actual: 'it cannot be executed',
      });
      return;
    }
    const journal = await this.store.runs.steps(runId);
    if (run.status === RunStatus.compensating) return this.#unwind(run, workflow, journal);
    const ctx = new RunContext(this, run, journal, 'forward');
    try {
      const result = (await workflow.run(ctx, workflow.input.parse(run.input))) ?? null;
      await this.#finish(run, RunStatus.completed, { result: JSON.parse(JSON.stringify(result)) as unknown });
    } catch (signal) {
      await this.#afterThrow(run, workflow, signal);
    }
  }

  async #afterThrow(run: RunRecord, workflow: WorkflowDefinition<unknown, unknown>, signal: unknown): Promise<void> {
    if (signal instanceof Suspend) {
      const data = signal.waitingFor.startsWith('wait:')
        ? { runId: run.id, waitingFor: signal.waitingFor }
        : { runId: run.id, approvalId: signal.waitingFor };
      const patch = { status: RunStatus.suspended, waitingFor: signal.waitingFor, updatedAt: this.#now() };
      if (await this.store.runs.update(run.id, patch, [RunStatus.running], this.eventFor('run.suspended', data)))
        this.announce('run.suspended', data);
      // An event that arrived after the wait looked for it but before the run was marked suspended found the run
      // still running and could not resume it: resume it now (after this execution, on the run's own chain).
      if (
        signal.waitingFor.startsWith('wait:') &&
        (await this.#waitArrived({ ...run, waitingFor: signal.waitingFor }))
      ) {
        this.resumeAfterEvent(run.id, 'the event arrived while the run was suspending').catch((err: unknown) =>
          this.log.error({ err, runId: run.id }, 'resuming a run failed'),
        );
      }
      return;
    }
    if (signal instanceof NeedsReview) {
      await this.#toReview(run, {
        stepId: signal.stepId,
        reason: `step "${signal.stepId}" failed ${signal.attempts} time${signal.attempts === 1 ? '' : 's'}: ${spent(signal.error.message)}`,
        intended: `step "${signal.stepId}" completes and the run goes on`,
        actual: `the steps before it completed; "${signal.stepId}" did not`,
      });
      return;
    }
    const unwind = signal instanceof Unwind ? signal : new Unwind('failure', errorInfo(signal));
    if (!(signal instanceof Unwind))
      this.log.warn({ err: signal, runId: run.id }, 'workflow code threw; unwinding the run');
    const patch = {
      status: RunStatus.compensating,
      unwind: unwind.reason,
      updatedAt: this.#now(),
      ...(unwind.error ? { error: unwind.error } : {}),
    };
    await this.store.runs.update(run.id, patch);
    await this.#unwind({ ...run, ...patch }, workflow, await this.store.runs.steps(run.id));
  }

  /** Replays the run to collect its compensations, runs them in reverse order, then ends it failed or cancelled. */
  async #unwind(
    run: RunRecord,
    workflow: WorkflowDefinition<unknown, unknown>,
    journal: Awaited<ReturnType<Store['runs']['steps']>>,
  ): Promise<void> {
    const ctx = new RunContext(this, run, journal, 'collect');
    try {
      await workflow.run(ctx, workflow.input.parse(run.input));
    } catch (signal) {
      if (!(signal instanceof Frontier || signal instanceof Unwind || signal instanceof Suspend))
        this.log.debug({ err: signal }, 'replay for compensation stopped');
    }
    for (const compensation of [...ctx.compensations].reverse()) {
      try {
        await compensation.run();
      } catch (signal) {
        const failure = signal instanceof NeedsReview ? signal.error.message : errorInfo(signal).message;
        await this.#toReview(run, {
          stepId: `undo:${compensation.stepId}`,
          reason: `undoing step "${compensation.stepId}" failed: ${failure}`,
          intended: `every completed step is undone and the run ends ${run.unwind === 'cancel' ? 'cancelled' : 'failed'}`,
          actual: `"${compensation.stepId}" is still in effect`,
        });
        return;
      }
    }
    const status = run.unwind === 'cancel' ? RunStatus.cancelled : RunStatus.failed;
    await this.#finish(run, status, {});
    const undone = ctx.compensations.length;
    const why = status === RunStatus.cancelled ? 'was cancelled' : `failed: ${run.error?.message ?? 'unknown error'}`;
    await this.send(run, {
      text: `Run ${run.id} (${run.workflow}) ${why}.${undone ? ` Undid ${undone} completed step${undone === 1 ? '' : 's'}.` : ''}`,
    });
  }

  async #finish(run: RunRecord, status: RunStatus, fields: { result?: unknown }): Promise<void> {
    const data = { runId: run.id, workflow: run.workflow, status, ...(run.error ? { error: run.error.message } : {}) };
    await this.store.runs.update(
      run.id,
      { status, updatedAt: this.#now(), ...fields, unset: ['waitingFor', 'review'] },
      undefined,
      this.eventFor('run.finished', data),
    );
    this.#cancelling.delete(run.id);
    this.announce('run.finished', data);
  }

  async #toReview(run: RunRecord, review: NonNullable<RunRecord['review']>): Promise<void> {
    await this.store.runs.update(run.id, { status: RunStatus.needsReview, review, updatedAt: this.#now() });
    await this.emit('run.needs_review', { runId: run.id, stepId: review.stepId, reason: review.reason });
    await this.send({ ...run, review }, reviewMessage({ ...run, status: RunStatus.needsReview, review }));
  }

  /**
   * At start-up (and every lease period, for runs a stopped process left behind): re-executes every run that was
   * running or unwinding, and every suspended run whose approval was decided just before the stop (the decision is
   * durable, the resume was not). A run whose lease another live process holds is left to it.
   */
  async recover(): Promise<{ resumed: number; suspended: number }> {
    let suspended = 0;
    for (const run of await this.store.runs.list({ statuses: [RunStatus.suspended], limit: 100_000 })) {
      if (run.waitingFor?.startsWith('wait:') && !(await this.#waitArrived(run))) {
        suspended++;
        continue;
      }
      const approval =
        run.waitingFor && !run.waitingFor.startsWith('wait:') ? await this.store.approvals.get(run.waitingFor) : null;
      if (approval && approval.status === 'pending') suspended++;
      else
        await this.store.runs.update(
          run.id,
          { status: RunStatus.running, updatedAt: this.#now(), unset: ['waitingFor'] },
          [RunStatus.suspended],
        );
    }
    const active = (
      await this.store.runs.list({ statuses: [RunStatus.running, RunStatus.compensating], limit: 100_000 })
    ).filter((r) => !this.#locks.has(r.id));
    let resumed = 0;
    for (const run of active.reverse()) {
      if (!(await this.#leases.free(run.id, this.#now))) continue;
      resumed++;
      await this.emit('run.resumed', { runId: run.id, reason: 'restart' });
      this.execute(run.id).catch((err: unknown) => this.log.error({ err, runId: run.id }, 'resuming a run failed'));
    }
    return { resumed, suspended };
  }

  /** Whether the outside event a suspended run waits for has arrived (its wait step completed, or the signal is in). */
  async #waitArrived(run: RunRecord): Promise<boolean> {
    const [, event = '', ...rest] = (run.waitingFor ?? '').split(':');
    return (await this.store.events.findByDedupeKey(`signal:${event}:${rest.join(':')}`)) !== null;
  }

  /** Waits until every execution under way has settled (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#locks.size > 0) await Promise.all([...this.#locks.values()]);
  }

  /** The engine's periodic work, for the process's timer list (src/scheduling/timers.ts). */
  timers(): { name: string; everyMs: number; run: () => Promise<unknown> }[] {
    return [
      { name: 'approval expiry', everyMs: 30_000, run: () => this.expireDue() },
      { name: 'orphaned runs', everyMs: this.#leases.periodMs, run: () => this.recover() },
    ];
  }

  /** Ends approvals past their expiry as "expired" and resumes their runs. */
  async expireDue(): Promise<number> {
    let expired = 0;
    for (const approval of await this.store.approvals.listPending(1000)) {
      const result = await applySignal(
        this,
        { kind: 'expire', approvalId: approval.id },
        { by: 'system', via: 'expiry' },
      );
      if (result.status === 'applied') expired++;
    }
    return expired;
  }

  /**
   * The one way in for a waiting run: an approval decided or edited, a review remedy, a cancel. The engine checks
   * the signal against the run's state (a second tap, a late tap or a tap elsewhere is an ordinary case), answers
   * on `from.reply` (or the run's chat), and resumes the run.
   */
  signal(signal: Signal, from: SignalFrom): Promise<SignalResult> {
    return applySignal(this, signal, from);
  }

  /** Resumes a run suspended on an outside event once the event arrived (the wait step reads it on replay). */
  async resumeAfterEvent(runId: string, reason: string, reply?: Reply): Promise<void> {
    const resumed = { runId, reason };
    const patch = { status: RunStatus.running, updatedAt: this.#now(), unset: ['waitingFor' as const] };
    if (await this.store.runs.update(runId, patch, [RunStatus.suspended], this.eventFor('run.resumed', resumed))) {
      this.announce('run.resumed', resumed);
      await this.execute(runId, reply);
    }
  }

  /** Records a decision's event, updates the cards and resumes the run it suspended. */
  async resumeAfterDecision(
    approval: ApprovalRecord,
    decision: string,
    by: string,
    via: string,
    reply?: Reply,
  ): Promise<void> {
    await this.emit('approval.decided', { runId: approval.runId, approvalId: approval.id, decision, by, via });
    await this.cardsDecided(approval.id);
    const resumed = { runId: approval.runId, reason: `approval ${decision}` };
    const patch = { status: RunStatus.running, updatedAt: this.#now(), unset: ['waitingFor' as const] };
    if (
      await this.store.runs.update(approval.runId, patch, [RunStatus.suspended], this.eventFor('run.resumed', resumed))
    )
      this.announce('run.resumed', resumed);
    await this.execute(approval.runId, reply);
  }

  /** Cancels a run that has not finished: pending approvals are withdrawn and completed steps compensated. */
  async cancel(runId: string, reply?: Reply): Promise<RunRecord | null> {
    const run = await this.store.runs.get(runId);
    if (!run || FINISHED.includes(run.status)) return run;
    this.#cancelling.add(runId);
    if (
      run.waitingFor &&
      (await this.store.approvals.decide(run.waitingFor, {
        status: 'cancelled',
        by: 'operator',
        via: 'cancel',
        at: this.#now(),
      }))
    ) {
      await this.cardsDecided(run.waitingFor);
    }
    const status = run.status === RunStatus.running ? RunStatus.running : RunStatus.compensating;
    await this.store.runs.update(runId, {
      status,
      unwind: 'cancel',
      updatedAt: this.#now(),
      unset: ['waitingFor', 'review'],
    });
    await this.execute(runId, reply);
    return this.store.runs.get(runId);
  }

  /** The operator's remedy for a run in review: retry the failed step, skip it, or cancel and compensate. */
  async remedy(runId: string, remedy: 'retry' | 'skip' | 'cancel', reply?: Reply): Promise<RunRecord | null> {
    const run = await this.store.runs.get(runId);
    if (!run || run.status !== RunStatus.needsReview || !run.review) return run;
    if (remedy === 'cancel') return this.cancel(runId, reply);
    const stepId = run.review.stepId;
    const step = (await this.store.runs.steps(runId)).find((s) => s.stepId === stepId);
    if (step) {
      const { error: _error, ...rest } = step;
      await this.store.runs.saveStep(
        remedy === 'retry' ? { ...rest, status: 'started', failures: 0 } : { ...rest, status: 'skipped', result: null },
      );
    }
    const status = stepId.startsWith('undo:') || run.unwind ? RunStatus.compensating : RunStatus.running;
    await this.store.runs.update(runId, { status, updatedAt: this.#now(), unset: ['review'] }, [RunStatus.needsReview]);
    await this.emit('run.resumed', { runId, reason: `operator chose ${remedy} for ${stepId}` });
    await this.execute(runId, reply);
    return this.store.runs.get(runId);
  }
}
