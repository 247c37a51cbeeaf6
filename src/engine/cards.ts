// How runs talk to the operator: approval cards and review requests, as channel-neutral messages.

import type { OutboundMessage } from '../domain/messages.ts';
import type { ApprovalRecord, RunRecord } from '../ports/engine-store.ts';

export const APPROVAL_ACTION = 'ap';
export const REVIEW_ACTION = 'rv';

/** Button data: `ap:<approvalId>:y|n|e` (approve, reject, edit) — well under Telegram's 64 bytes. */
export const approvalData = (approvalId: string, choice: 'y' | 'n' | 'e'): string => `${APPROVAL_ACTION}:${approvalId}:${choice}`;
export const reviewData = (runId: string, remedy: 'retry' | 'skip' | 'cancel'): string => `${REVIEW_ACTION}:${runId}:${remedy}`;

const time = (d: Date): string => d.toISOString().replace('T', ' ').slice(0, 16) + ' UTC';

export function approvalCard(approval: ApprovalRecord): OutboundMessage {
  const { card } = approval;
  const text = approval.editedText ?? card.text;
  const lines = [`Approval needed: ${card.title}`, ...card.details];
  if (card.diff?.length) lines.push('Changes:', ...card.diff.map((l) => `  ${l}`));
  if (text !== undefined) lines.push('', text);
  lines.push('', `Run ${approval.runId} · expires ${time(approval.expiresAt)}`);
  const buttons = [
    { label: 'Approve', data: approvalData(approval.id, 'y') },
    { label: 'Reject', data: approvalData(approval.id, 'n') },
  ];
  if (text !== undefined) buttons.push({ label: 'Edit', data: approvalData(approval.id, 'e') });
  return { text: lines.join('\n'), buttons };
}

export function decidedCard(approval: ApprovalRecord): OutboundMessage {
  const who = approval.decidedVia === 'expiry' ? 'expired' : `${approval.status} by ${approval.decidedBy ?? 'operator'} via ${approval.decidedVia ?? '?'}`;
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
