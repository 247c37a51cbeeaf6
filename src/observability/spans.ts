// A run as a trace: the run is the root span, each journaled step a child span, each model call a span under the
// step it ran in (with its tokens and cost), and policy verdicts and approvals as attributes of their steps. Built
// from what the store already keeps (the run, its journal, its event stream), so the dashboard's waterfall and the
// OTLP export show the same shape. Ids derive from the run id, so a trace exported twice is the same trace.

import { createHash } from 'node:crypto';
import type { StoredEvent } from '../domain/events.ts';
import type { ApprovalRecord, RunRecord, StepRecord } from '../ports/engine-store.ts';

type SpanAttributes = Record<string, string | number | boolean>;

export interface SpanSpec {
  traceId: string;
  spanId: string;
  parentId?: string;
  name: string;
  kind: 'run' | 'step' | 'llm';
  start: Date;
  end: Date;
  status: 'ok' | 'error' | 'unset';
  message?: string;
  attributes: SpanAttributes;
}

const hex = (text: string, length: number): string => createHash('sha256').update(text).digest('hex').slice(0, length);
const traceIdOf = (runId: string): string => hex(`trace:${runId}`, 32);
const spanIdOf = (key: string): string => hex(`span:${key}`, 16);

type Called = Extract<StoredEvent, { type: 'llm.called' }>;
type Failed = Extract<StoredEvent, { type: 'llm.failed' }>;

/** A model call's span: it ends when it was recorded and lasted its latency. */
function llmSpan(e: Called | Failed, traceId: string, parentId: string | undefined): SpanSpec {
  const end = e.at;
  const attributes: SpanAttributes = {
    'gen_ai.request.model': e.data.model,
    'gen_ai.operation.name': 'chat',
    'llm.attempts': e.data.attempts,
  };
  if (e.data.agent) attributes['solo.agent'] = e.data.agent;
  if (e.data.runId) attributes['solo.run_id'] = e.data.runId;
  if (e.type === 'llm.failed') {
    return {
      traceId,
      spanId: spanIdOf(`llm:${e.data.callId}`),
      ...(parentId ? { parentId } : {}),
      name: `llm ${e.data.agent ?? e.data.model}`,
      kind: 'llm',
      start: end,
      end,
      status: 'error',
      message: e.data.error,
      attributes,
    };
  }
  Object.assign(attributes, {
    'gen_ai.usage.input_tokens': e.data.promptTokens,
    'gen_ai.usage.output_tokens': e.data.completionTokens,
    'llm.cost_usd': e.data.costUsd,
    'llm.latency_ms': e.data.latencyMs,
    'llm.fallback': e.data.fallback,
  });
  if (e.data.promptVersion) attributes['solo.prompt_version'] = e.data.promptVersion;
  const start = new Date(end.getTime() - e.data.latencyMs);
  return {
    traceId,
    spanId: spanIdOf(`llm:${e.data.callId}`),
    ...(parentId ? { parentId } : {}),
    name: `llm ${e.data.agent ?? e.data.model}`,
    kind: 'llm',
    start,
    end,
    status: 'ok',
    attributes,
  };
}

/** A model call outside any run (a chat turn's router call): a trace of its own. */
export const standaloneLlmSpan = (e: Called | Failed): SpanSpec =>
  llmSpan(e, hex(`trace:llm:${e.data.callId}`, 32), undefined);

const isVerdict = (v: unknown): v is { outcome: string; reasons: string[] } =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as { outcome?: unknown }).outcome === 'string' &&
  Array.isArray((v as { reasons?: unknown }).reasons);

export interface RunTraceInput {
  run: RunRecord;
  steps: StepRecord[];
  /** The run's stream (`run:<id>`): model calls, retries, decisions. */
  events: StoredEvent[];
  approvals: ApprovalRecord[];
  /** End of a run not finished yet (its span is open): now. */
  now: Date;
}

export function runSpans({ run, steps, events, approvals, now }: RunTraceInput): SpanSpec[] {
  const traceId = traceIdOf(run.id);
  const rootId = spanIdOf(`run:${run.id}`);
  const finished = events.findLast((e) => e.type === 'run.finished');
  const end = finished?.at ?? (['completed', 'failed', 'cancelled'].includes(run.status) ? run.updatedAt : now);
  const failed = run.status === 'failed' || run.status === 'needs_review';
  const root: SpanSpec = {
    traceId,
    spanId: rootId,
    name: `run ${run.workflow}`,
    kind: 'run',
    start: run.createdAt,
    end,
    status: failed ? 'error' : run.status === 'completed' ? 'ok' : 'unset',
    ...(run.error ? { message: run.error.message } : run.review ? { message: run.review.reason } : {}),
    attributes: {
      'solo.run_id': run.id,
      'solo.workflow': run.workflow,
      'solo.workflow_version': run.version,
      'solo.run_status': run.status,
    },
  };
  const spans: SpanSpec[] = [root];
  const stepSpans = steps.map((step): SpanSpec => {
    const attempts = step.failures + (step.status === 'completed' ? 1 : 0);
    const attributes: SpanAttributes = {
      'solo.step_id': step.stepId,
      'solo.step_kind': step.kind,
      'solo.step_status': step.status,
      'solo.attempts': attempts,
      'solo.idempotency_key': step.idempotencyKey,
    };
    if (isVerdict(step.result)) {
      attributes['solo.policy.outcome'] = step.result.outcome;
      attributes['solo.policy.reasons'] = step.result.reasons.join('; ');
    }
    const approval = step.kind === 'approval' ? approvals.find((a) => a.stepId === step.stepId) : undefined;
    if (approval) {
      attributes['solo.approval.status'] = approval.status;
      if (approval.decidedBy) attributes['solo.approval.decided_by'] = approval.decidedBy;
      if (approval.decidedVia) attributes['solo.approval.decided_via'] = approval.decidedVia;
      if (approval.editedText !== undefined) attributes['solo.approval.edited'] = true;
    }
    const stepEnd =
      step.finishedAt ?? (step.durationMs !== undefined ? new Date(step.startedAt.getTime() + step.durationMs) : end);
    return {
      traceId,
      spanId: spanIdOf(`step:${run.id}:${step.stepId}`),
      parentId: rootId,
      name: `${step.kind === 'run' ? 'step' : step.kind} ${step.stepId}`,
      kind: 'step',
      start: step.startedAt,
      end: stepEnd < step.startedAt ? step.startedAt : stepEnd,
      status: step.status === 'failed' ? 'error' : step.status === 'completed' ? 'ok' : 'unset',
      ...(step.error && step.status !== 'completed' ? { message: step.error.message } : {}),
      attributes,
    };
  });
  spans.push(...stepSpans);
  // A model call belongs to the step of kind "run" whose time it fell in (the step that made it); else to the run.
  for (const e of events) {
    if (e.type !== 'llm.called' && e.type !== 'llm.failed') continue;
    const t = e.at.getTime();
    const owner = steps.findIndex(
      (s) => s.kind === 'run' && s.startedAt.getTime() <= t && t <= (s.finishedAt ?? end).getTime(),
    );
    spans.push(llmSpan(e, traceId, owner >= 0 ? stepSpans[owner]!.spanId : rootId));
  }
  return spans;
}
