// The first real workflow: a consultant's invoice. Deterministic, no model. The approvals policy decides first
// (journaled, so a policy edit mid-run changes nothing): deny stops the run, approve (the default for invoices)
// sends the card, allow (a rule such as "small invoices go out") records at once. The invoice gets its number
// only when it is recorded, so a rejected or expired draft leaves no gap in the sequence.

import { z } from 'zod';
import { formatMoney } from '../domain/money.ts';
import { defineWorkflow } from '../engine/workflow.ts';
import { decide } from '../policy/approvals.ts';
import type { Policy } from '../policy/schema.ts';
import { violationFromDecision, type ViolationReport } from '../policy/violations.ts';
import type { Invoice, LedgerStore } from '../ports/engine-store.ts';

export const invoiceNumber = (n: number): string => `INV-${String(n).padStart(4, '0')}`;

export const invoiceInput = z.object({
  client: z.string().trim().min(1).max(120),
  amountMinor: z.number().int().positive(),
  currency: z.string().regex(/^[A-Z]{3}$/),
  description: z.string().trim().max(500).optional(),
});
export type InvoiceInput = z.infer<typeof invoiceInput>;

export type InvoiceResult = { status: 'recorded'; number: number } | { status: 'rejected' | 'expired' | 'denied' };

export interface InvoicePolicy {
  /** The approvals policy in force. */
  policy: () => Policy;
  /** Records a refused invoice (event log and operator notice). */
  onViolation?: (report: ViolationReport) => Promise<void>;
}

export function invoiceWorkflow(ledger: LedgerStore, gate?: InvoicePolicy) {
  return defineWorkflow({
    name: 'invoice',
    version: 1,
    description: 'drafts an invoice, asks for approval, records it in the ledger',
    input: invoiceInput,
    async run(ctx, input): Promise<InvoiceResult> {
      const amount = formatMoney(input.amountMinor, input.currency);
      const verdict = gate
        ? await ctx.step('policy', async () => {
            const action = { kind: 'invoice.send', amount: { minor: input.amountMinor, currency: input.currency } };
            const d = decide(action, gate.policy());
            const violation = violationFromDecision(action, d, ctx.runId);
            if (violation) await gate.onViolation?.(violation);
            return { outcome: d.outcome, reasons: d.reasons };
          })
        : { outcome: 'approve' as const, reasons: [] };
      if (verdict.outcome === 'deny') {
        await ctx.say('tell-denied', `The invoice to ${input.client} for ${amount} is not allowed by policy: ${verdict.reasons.join('; ')}.`);
        return { status: 'denied' };
      }
      const card = {
        title: `Invoice to ${input.client} for ${amount}`,
        details: [`To: ${input.client}`, `Amount: ${amount}`, ...(input.description ? [`For: ${input.description}`] : []), 'Number: the next in the sequence, given when recorded'],
      };
      // "allow" is the operator's standing approval, written in their approvals policy.
      const decision = verdict.outcome === 'allow' ? { decision: 'approved' as const } : await ctx.approval('approve', { card });
      if (decision.decision !== 'approved') {
        await ctx.say('tell-not-recorded', `The invoice to ${input.client} for ${amount} was not recorded (${decision.decision}).`);
        return { status: decision.decision };
      }
      const invoice = await ctx.step(
        'record',
        async ({ idempotencyKey }): Promise<Invoice> => {
          const { description, ...rest } = input;
          const { invoice: recorded } = await ledger.recordInvoice({ ...rest, ...(description ? { description } : {}), runId: ctx.runId, idempotencyKey });
          return recorded;
        },
        { compensate: async (recorded) => void (await ledger.voidInvoice(recorded.number)) },
      );
      await ctx.say('tell-recorded', `Recorded ${invoiceNumber(invoice.number)}: ${input.client}, ${amount}.`);
      return { status: 'recorded', number: invoice.number };
    },
  });
}
