// Text renderings of runs for /runs and /run: the run's trace as an operator reads it.

import { describeStatus } from '../engine/cards.ts';
import type { ApprovalRecord, RunRecord, StepRecord } from '../ports/engine-store.ts';

export function ago(then: Date, now: Date): string {
  const s = Math.max(0, Math.round((now.getTime() - then.getTime()) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

const MARK: Record<StepRecord['status'], string> = { completed: '✓', failed: '✗', skipped: '↷', started: '…' };

function stepLine(step: StepRecord, approvals: ApprovalRecord[]): string {
  const attempts = step.failures + (step.status === 'completed' ? 1 : 0);
  const parts = [`${MARK[step.status]} ${step.stepId}`];
  if (step.kind === 'approval') {
    const a = approvals.find((x) => x.stepId === step.stepId);
    parts.push(
      a && a.status !== 'pending'
        ? `${a.status} by ${a.decidedBy ?? '?'} via ${a.decidedVia ?? '?'}`
        : 'waiting for approval',
    );
  } else {
    if (step.kind === 'compensation') parts.push('(undo)');
    if (attempts > 0) parts.push(`${attempts} attempt${attempts === 1 ? '' : 's'}`);
  }
  if (step.durationMs !== undefined) parts.push(`${step.durationMs} ms`);
  if (step.error && step.status !== 'completed') parts.push(`last error: ${step.error.message}`);
  return parts.join(' · ');
}

export function formatTimeline(run: RunRecord, steps: StepRecord[], approvals: ApprovalRecord[]): string {
  const header = `Run ${run.id} · ${run.workflow} v${run.version} · ${describeStatus(run)} · started ${run.createdAt.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
  const lines = [header, ...steps.map((s) => stepLine(s, approvals))];
  if (steps.length === 0) lines.push('(no steps yet)');
  if (run.review) lines.push(`Review: ${run.review.reason}`);
  if (run.result !== undefined) lines.push(`Result: ${JSON.stringify(run.result)}`);
  return lines.join('\n');
}

export { describeStatus };
