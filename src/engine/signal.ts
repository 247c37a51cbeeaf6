// Signals: the one way in for a waiting run. A tap (approve, reject), an edit of a card's text, a review remedy, a
// cancel and an expiry all arrive here, are checked against the run's state, answered in one sentence and resume
// the run. Tapping twice, late or in another chat is an ordinary case. Later sources (a payment webhook, an email
// reply, a schedule firing) arrive the same way.

import { newEvent } from '../domain/events.ts';
import { truncate } from '../domain/text.ts';
import type { OutboundMessage, SentMessage } from '../domain/messages.ts';
import { FINISHED, RunStatus, type ApprovalRecord, type RunRecord } from '../ports/engine-store.ts';
import type { Remedy } from './buttons.ts';
import { approvalCard, decidedCard, describeStatus } from './cards.ts';
import type { Reply } from './engine.ts';

export type Signal =
  | { kind: 'decide'; approvalId: string; decision: 'approved' | 'rejected' }
  /** The approval ends as expired if it is due; nothing happens before. */
  | { kind: 'expire'; approvalId: string }
  | { kind: 'edit'; approvalId: string; text: string }
  | { kind: 'remedy'; runId: string; remedy: Remedy }
  | { kind: 'cancel'; runId: string }
  /** An outside event (a payment, an email reply, a schedule firing) for the run waiting on `event` + `key`. */
  | { kind: 'event'; event: string; key: string; payload: unknown };

export interface SignalFrom {
  /** Who sent it: `<channel>:<sender>`, or 'system'. */
  by: string;
  /** Where: the channel, or 'expiry'. */
  via: string;
  /** Answers go here (the chat that sent the signal); without it, to the run's chat. */
  reply?: Reply;
}

/** `applied`: it changed the run; `stale`: the run had moved on; `unknown`: no such approval or run. */
export interface SignalResult {
  status: 'applied' | 'stale' | 'unknown';
  run?: RunRecord | null;
}

/** What applySignal needs of the engine. */
export interface SignalTarget {
  readonly store: import('../ports/store.ts').Store;
  now(): Date;
  resumeAfterDecision(
    approval: ApprovalRecord,
    decision: string,
    by: string,
    via: string,
    reply?: Reply,
  ): Promise<void>;
  cancel(runId: string, reply?: Reply): Promise<RunRecord | null>;
  remedy(runId: string, remedy: Remedy, reply?: Reply): Promise<RunRecord | null>;
  addCardCopy(approvalId: string, ref: SentMessage['ref']): Promise<void>;
  resumeAfterEvent(runId: string, reason: string, reply?: Reply): Promise<void>;
  send(run: RunRecord, message: OutboundMessage, dedupeKey?: string): Promise<SentMessage | undefined>;
}

const time = (d: Date): string => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

async function answer(
  engine: SignalTarget,
  from: SignalFrom,
  runId: string,
  text: string | OutboundMessage,
): Promise<SentMessage | undefined> {
  const message = typeof text === 'string' ? { text } : text;
  if (from.reply) return from.reply(message);
  const run = await engine.store.runs.get(runId);
  return run ? engine.send(run, message) : undefined;
}

/** A decision or an expiry. The expiry check is made here and nowhere else. */
async function settle(
  engine: SignalTarget,
  signal: Extract<Signal, { kind: 'decide' | 'expire' }>,
  from: SignalFrom,
): Promise<SignalResult> {
  const { store } = engine;
  const quiet = signal.kind === 'expire';
  const approval = await store.approvals.get(signal.approvalId);
  if (!approval) {
    if (!quiet && from.reply)
      await from.reply({ text: 'That approval is not known here any more; /approvals lists what is waiting.' });
    return { status: 'unknown' };
  }
  if (approval.status !== 'pending') {
    if (!quiet)
      await answer(engine, from, approval.runId, `Already decided — ${decidedCard(approval).text} Nothing more to do.`);
    return { status: 'stale' };
  }
  const now = engine.now();
  const due = approval.expiresAt <= now;
  if (quiet && !due) return { status: 'stale' };
  const decision =
    due || signal.kind === 'expire'
      ? { status: 'expired' as const, by: 'system', via: 'expiry' }
      : { status: signal.decision, by: from.by, via: from.via };
  if (!(await store.approvals.decide(approval.id, { ...decision, at: now }))) {
    const current = await store.approvals.get(approval.id);
    if (!quiet)
      await answer(
        engine,
        from,
        approval.runId,
        `Already decided — ${current ? decidedCard(current).text : ''} Nothing more to do.`,
      );
    return { status: 'stale' };
  }
  if (due && !quiet)
    await answer(
      engine,
      from,
      approval.runId,
      `This approval expired at ${time(approval.expiresAt)}, so nothing was done.`,
    );
  if (!due)
    await answer(
      engine,
      from,
      approval.runId,
      `${decision.status === 'approved' ? 'Approved' : 'Rejected'}: ${approval.card.title}.`,
    );
  await engine.resumeAfterDecision(approval, decision.status, decision.by, decision.via, from.reply);
  return { status: 'applied', run: await store.runs.get(approval.runId) };
}

async function edit(
  engine: SignalTarget,
  signal: Extract<Signal, { kind: 'edit' }>,
  from: SignalFrom,
): Promise<SignalResult> {
  const approval = await engine.store.approvals.get(signal.approvalId);
  if (!approval || approval.status !== 'pending') {
    if (from.reply) await from.reply({ text: 'That card was decided in the meantime, so the edit was not applied.' });
    return { status: approval ? 'stale' : 'unknown' };
  }
  await engine.store.approvals.update(approval.id, { editedText: signal.text });
  const sent = await answer(engine, from, approval.runId, approvalCard({ ...approval, editedText: signal.text }));
  await engine.addCardCopy(approval.id, sent?.ref);
  return { status: 'applied' };
}

async function remedy(
  engine: SignalTarget,
  signal: Extract<Signal, { kind: 'remedy' }>,
  from: SignalFrom,
): Promise<SignalResult> {
  const run = await engine.store.runs.get(signal.runId);
  if (!run) {
    if (from.reply)
      await from.reply({ text: `There is no run ${truncate(signal.runId, 40)}. /runs lists recent runs.` });
    return { status: 'unknown' };
  }
  if (run.status !== RunStatus.needsReview) {
    await answer(
      engine,
      from,
      run.id,
      `Run ${run.id} is no longer waiting for review (${describeStatus(run)}); nothing to do.`,
    );
    return { status: 'stale', run };
  }
  const after = await engine.remedy(run.id, signal.remedy, from.reply);
  if (after && after.status !== RunStatus.needsReview)
    await answer(engine, from, run.id, `Run ${after.id}: ${describeStatus(after)}.`);
  return { status: 'applied', run: after };
}

async function cancel(
  engine: SignalTarget,
  signal: Extract<Signal, { kind: 'cancel' }>,
  from: SignalFrom,
): Promise<SignalResult> {
  const run = await engine.store.runs.get(signal.runId);
  if (!run) {
    if (from.reply)
      await from.reply({ text: `There is no run ${truncate(signal.runId, 40)}. /runs lists recent runs.` });
    return { status: 'unknown' };
  }
  if (FINISHED.includes(run.status)) {
    await answer(engine, from, run.id, `Run ${run.id} already ended (${run.status}); nothing to cancel.`);
    return { status: 'stale', run };
  }
  const after = await engine.cancel(run.id, from.reply);
  if (after?.status !== RunStatus.needsReview)
    await answer(engine, from, run.id, `Run ${run.id}: ${after ? describeStatus(after) : 'gone'}.`);
  return { status: 'applied', run: after };
}

/**
 * Records the event once under its key (a redelivered webhook changes nothing), then resumes the run waiting on it,
 * if one is. An event nobody waits for yet is kept: the run's wait step finds it when it gets there.
 */
async function outsideEvent(
  engine: SignalTarget,
  signal: Extract<Signal, { kind: 'event' }>,
  from: SignalFrom,
): Promise<SignalResult> {
  const { events } = engine.store;
  const recorded = await events.append(
    newEvent(
      'signal.received',
      `signals:${signal.event}`,
      { event: signal.event, key: signal.key, payload: JSON.parse(JSON.stringify(signal.payload ?? null)) as unknown },
      `signal:${signal.event}:${signal.key}`,
    ),
  );
  if (recorded.duplicate) return { status: 'stale' };
  const waiter = await events.findByDedupeKey(`wait:${signal.event}:${signal.key}`);
  if (waiter?.type !== 'run.waiting') return { status: 'applied' };
  await engine.resumeAfterEvent(waiter.data.runId, `${signal.event} ${signal.key} from ${from.via}`, from.reply);
  return { status: 'applied', run: await engine.store.runs.get(waiter.data.runId) };
}

export function applySignal(engine: SignalTarget, signal: Signal, from: SignalFrom): Promise<SignalResult> {
  switch (signal.kind) {
    case 'decide':
    case 'expire':
      return settle(engine, signal, from);
    case 'edit':
      return edit(engine, signal, from);
    case 'remedy':
      return remedy(engine, signal, from);
    case 'cancel':
      return cancel(engine, signal, from);
    case 'event':
      return outsideEvent(engine, signal, from);
  }
}
