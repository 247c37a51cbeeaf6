// What a button on a run's message sends back, as data every platform can carry (Telegram allows 64 bytes):
// `ap:<approval id>:y|n|e` (approve, reject, edit) and `rv:<run id>:retry|skip|cancel` (review remedies).
// Encoding and decoding live together, and decoding validates: anything else decodes to undefined and decides
// nothing.

import { z } from 'zod';

export const APPROVAL_ACTION = 'ap';
export const REVIEW_ACTION = 'rv';

export type ApprovalChoice = 'approve' | 'reject' | 'edit';
export type Remedy = 'retry' | 'skip' | 'cancel';

export type RunButton =
  { kind: 'approval'; approvalId: string; choice: ApprovalChoice } | { kind: 'remedy'; runId: string; remedy: Remedy };

const CHOICE_CODES = { approve: 'y', reject: 'n', edit: 'e' } as const satisfies Record<ApprovalChoice, string>;
const CHOICES = { y: 'approve', n: 'reject', e: 'edit' } as const;

const id = z.string().regex(/^[\w-]{1,48}$/);
const approvalData = z.tuple([z.literal(APPROVAL_ACTION), id, z.enum(['y', 'n', 'e'])]);
const reviewData = z.tuple([z.literal(REVIEW_ACTION), id, z.enum(['retry', 'skip', 'cancel'])]);

export function encodeButton(button: RunButton): string {
  return button.kind === 'approval'
    ? `${APPROVAL_ACTION}:${button.approvalId}:${CHOICE_CODES[button.choice]}`
    : `${REVIEW_ACTION}:${button.runId}:${button.remedy}`;
}

/** The button a run's message carried, or undefined for data no run button has (an unknown choice included). */
export function decodeButton(data: string): RunButton | undefined {
  const parts = data.split(':');
  const approval = approvalData.safeParse(parts);
  if (approval.success) return { kind: 'approval', approvalId: approval.data[1], choice: CHOICES[approval.data[2]] };
  const review = reviewData.safeParse(parts);
  if (review.success) return { kind: 'remedy', runId: review.data[1], remedy: review.data[2] };
  return undefined;
}
