// How runs talk to the operator: approval cards and review requests, as channel-neutral messages.

import type { OutboundMessage } from '../domain/messages.ts';
import type { ApprovalRecord, RunRecord } from '../ports/engine-store.ts';
import { encodeButton, type ApprovalChoice, type Remedy } from './buttons.ts';

const approvalData = (approvalId: string, choice: ApprovalChoice): string =>
  encodeButton({ kind: 'approval', approvalId, choice });
const reviewData = (runId: string, remedy: Remedy): string => encodeButton({ kind: 'remedy', runId, remedy });

const time = (d: Date): string => d.toISOString().replace('T', ' ').slice(0, 16) + ' UTC';

export function approvalCard(approval: ApprovalRecord): OutboundMessage {
  const { card } = approval;
  const text = approval.editedText ?? card.text;
  const lines = [`Approval needed: ${card.title}`, ...card.details];
  if (card.diff?.length) lines.push('Changes:', ...card.diff.map((l) => `  ${l}`));
  if (text !== undefined) lines.push('', text);
  lines.push('', `Run ${approval.runId} · expires ${time(approval.expiresAt)}`);
  const buttons = [
    { label: 'Approve', data: approvalData(approval.id, 'approve') },
    { label: 'Reject', data: approvalData(approval.id, 'reject') },
  ];
  if (text !== undefined) buttons.push({ label: 'Edit', data: approvalData(approval.id, 'edit') });
  return { text: lines.join('\n'), buttons };
}

export function decidedCard(approval: ApprovalRecord): OutboundMessage {
  const who =
    approval.decidedVia === 'expiry'
      ? 'expired'
      : `${approval.status} by ${approval.decidedBy ?? 'operator'} via ${approval.decidedVia ?? '?'}`;
  return { text: `${approval.card.title}: ${who} at ${time(approval.decidedAt ?? approval.createdAt)}.` };
}

export function reviewMessage(run: RunRecord): OutboundMessage {
  const review = run.review;
  if (!review) return { text: `Run ${run.id} (${run.workflow}) needs review.` };
  const undoing = review.stepId.startsWith('undo:');
  return {
    text: [
      `Run ${run.id} (${run.workflow}) stopped and needs your review.`,
      `What happened: ${review.reason}`,
      `Intended: ${review.intended}`,
      `Actual: ${review.actual}`,
      `/run ${run.id} shows the timeline.`,
    ].join('\n'),
    buttons: [
      { label: undoing ? 'Retry the undo' : 'Retry step', data: reviewData(run.id, 'retry') },
      { label: 'Skip step', data: reviewData(run.id, 'skip') },
      ...(undoing ? [] : [{ label: 'Cancel and compensate', data: reviewData(run.id, 'cancel') }]),
    ],
  };
}

/** A run's status in a few words, for replies and lists. */
export function describeStatus(run: RunRecord): string {
  switch (run.status) {
    case 'suspended':
      return 'waiting for approval';
    case 'needs_review':
      return 'needs your review';
    case 'compensating':
      return run.unwind === 'cancel' ? 'cancelling' : 'undoing after a failure';
    case 'completed': {
      const status = (run.result as { status?: unknown } | null)?.status;
      return typeof status === 'string' && status !== 'completed' ? `completed (${status})` : 'completed';
    }
    case 'failed':
      return `failed: ${run.error?.message ?? 'unknown error'}`;
    case 'cancelled':
    case 'running':
      return run.status;
  }
}
