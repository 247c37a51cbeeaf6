// The dashboard's runs: the list with its filters, the review queue, and one run's timeline — steps with attempts,
// durations and errors, every model call (agent, prompt version, tokens, cost, latency), every policy verdict and
// approval with who decided where — plus the same run as a trace (spans) for the waterfall.

import type { StoredEvent } from '../domain/events.ts';
import { RunStatus, type RunRecord } from '../ports/engine-store.ts';
import { runSpans, type SpanSpec } from '../observability/spans.ts';
import type { DashboardSources } from './sources.ts';

/** How many runs the list reads before filtering by workflow and date (newest first). */
const SCAN_LIMIT = 2000;
const REMEDIES = ['retry', 'skip', 'cancel'] as const;

export interface RunFilter {
  workflow?: string;
  status?: RunStatus;
  from?: Date;
  /** Exclusive. */
  to?: Date;
  limit?: number;
}

export const RUN_STATUSES: readonly RunStatus[] = Object.values(RunStatus);

const summary = (r: RunRecord) => ({
  id: r.id,
  workflow: r.workflow,
  status: r.status,
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
  ...(r.error ? { error: r.error.message } : {}),
  ...(r.waitingFor ? { waitingFor: r.waitingFor } : {}),
});

export async function listRuns(s: DashboardSources, filter: RunFilter) {
  const scanned = await s.store.runs.list({
    ...(filter.status ? { statuses: [filter.status] } : {}),
    limit: SCAN_LIMIT,
  });
  const runs = scanned
    .filter((r) => (filter.workflow ? r.workflow === filter.workflow : true))
    .filter((r) => (filter.from ? r.createdAt >= filter.from : true) && (filter.to ? r.createdAt < filter.to : true))
    .slice(0, Math.min(filter.limit ?? 100, 500));
  const review = await s.store.runs.list({ statuses: [RunStatus.needsReview], limit: 50 });
  return {
    runs: runs.map(summary),
    workflows: s.engine
      .workflows()
      .map((w) => w.name)
      .sort(),
    statuses: RUN_STATUSES,
    review: review.map((r) => ({ ...summary(r), review: r.review, remedies: REMEDIES })),
  };
}

type RunEvent<K extends StoredEvent['type']> = Extract<StoredEvent, { type: K }>;
const ofType = <K extends StoredEvent['type']>(events: StoredEvent[], type: K): RunEvent<K>[] =>
  events.filter((e): e is RunEvent<K> => e.type === type);

export async function runTimeline(s: DashboardSources, runId: string) {
  const run = await s.store.runs.get(runId);
  if (!run) return undefined;
  const [steps, events] = await Promise.all([
    s.store.runs.steps(runId),
    s.store.events.readStream(`run:${runId}`, { limit: 5000 }),
  ]);
  const approvals = (
    await Promise.all(
      steps.filter((st) => st.kind === 'approval').map((st) => s.store.approvals.findByStep(runId, st.stepId)),
    )
  ).filter((a) => a !== null);
  // Violations live in the policy stream; the newest few hundred are enough to find a run's.
  const violations = (
    await s.store.events.readStream('policy', { types: ['policy.violation'], newest: true, limit: 500 })
  ).filter((e): e is RunEvent<'policy.violation'> => e.type === 'policy.violation' && e.data.runId === runId);
  const retries = ofType(events, 'step.retried');
  const timeline = steps.map((st) => {
    const approval = approvals.find((a) => a.stepId === st.stepId);
    return {
      stepId: st.stepId,
      kind: st.kind,
      status: st.status,
      attempts: st.failures + (st.status === 'completed' ? 1 : 0),
      startedAt: st.startedAt,
      ...(st.finishedAt ? { finishedAt: st.finishedAt } : {}),
      ...(st.durationMs !== undefined ? { durationMs: st.durationMs } : {}),
      ...(st.error ? { error: st.error.message } : {}),
      retries: retries
        .filter((e) => e.data.stepId === st.stepId)
        .map((e) => ({ at: e.at, attempt: e.data.attempt, error: e.data.error, delayMs: e.data.delayMs })),
      ...(approval
        ? {
            approval: {
              id: approval.id,
              status: approval.status,
              title: approval.card.title,
              edited: approval.editedText !== undefined,
              ...(approval.decidedBy ? { decidedBy: approval.decidedBy } : {}),
              ...(approval.decidedVia ? { decidedVia: approval.decidedVia } : {}),
              ...(approval.decidedAt ? { decidedAt: approval.decidedAt } : {}),
            },
          }
        : {}),
    };
  });
  type Call = { at: Date; callId: string; ok: boolean; model: string; agent: string | null; attempts: number } & Record<
    string,
    unknown
  >;
  const calls = events.flatMap((e): Call[] => {
    if (e.type === 'llm.called') {
      const d = e.data;
      return [
        {
          at: e.at,
          callId: d.callId,
          ok: true,
          model: d.model,
          agent: d.agent ?? null,
          promptVersion: d.promptVersion ?? null,
          promptTokens: d.promptTokens,
          completionTokens: d.completionTokens,
          costUsd: d.costUsd,
          latencyMs: d.latencyMs,
          attempts: d.attempts,
        },
      ];
    }
    if (e.type === 'llm.failed')
      return [
        {
          at: e.at,
          callId: e.data.callId,
          ok: false,
          model: e.data.model,
          agent: e.data.agent ?? null,
          error: e.data.error,
          attempts: e.data.attempts,
        },
      ];
    return [];
  });
  const decisions = [
    ...ofType(events, 'action.proposed').map((e) => ({
      at: e.at,
      kind: 'policy' as const,
      what: e.data.action,
      agent: e.data.agent,
      outcome: e.data.outcome,
      reasons: e.data.reasons,
      untrusted: e.data.untrusted,
    })),
    ...ofType(events, 'approval.decided').map((e) => ({
      at: e.at,
      kind: 'approval' as const,
      approvalId: e.data.approvalId,
      outcome: e.data.decision,
      by: e.data.by,
      via: e.data.via,
    })),
    ...violations.map((e) => ({
      at: e.at,
      kind: 'violation' as const,
      policy: e.data.policy,
      rule: e.data.rule,
      detail: e.data.detail,
    })),
  ].sort((a, b) => a.at.getTime() - b.at.getTime());
  const spans: SpanSpec[] = runSpans({ run, steps, events, approvals, now: s.engine.now() });
  return {
    run: {
      ...summary(run),
      version: run.version,
      input: run.input,
      ...(run.result !== undefined ? { result: run.result } : {}),
      ...(run.review ? { review: run.review, remedies: REMEDIES } : {}),
    },
    steps: timeline,
    calls,
    decisions,
    spans: spans.map((sp) => ({ ...sp, start: sp.start.getTime(), end: sp.end.getTime() })),
  };
}

export type Remedy = (typeof REMEDIES)[number];
export const isRemedy = (v: unknown): v is Remedy =>
  typeof v === 'string' && (REMEDIES as readonly string[]).includes(v);
