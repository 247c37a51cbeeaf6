// The first real workflow: a consultant's invoice. Deterministic, no model. Approval first; the invoice gets
// its number only when it is recorded, so a rejected or expired draft leaves no gap in the sequence.

import { z } from 'zod';
import { formatMoney } from '../domain/money.ts';
import { defineWorkflow } from '../engine/workflow.ts';
import type { Invoice, LedgerStore } from '../ports/engine-store.ts';

export const invoiceNumber = (n: number): string => `INV-${String(n).padStart(4, '0')}`;

export const invoiceInput = z.object({
  client: z.string().trim().min(1).max(120),
  amountMinor: z.number().int().positive(),
  currency: z.string().regex(/^[A-Z]{3}$/),
  description: z.string().trim().max(500).optional(),
});
export type InvoiceInput = z.infer<typeof invoiceInput>;

export type InvoiceResult = { status: 'recorded'; number: number } | { status: 'rejected' | 'expired' };

export function invoiceWorkflow(ledger: LedgerStore) {
  return defineWorkflow({
    name: 'invoice',
    version: 1,
    description: 'drafts an invoice, asks for approval, records it in the ledger',
    input: invoiceInput,
    async run(ctx, input): Promise<InvoiceResult> {
      const amount = formatMoney(input.amountMinor, input.currency);
      const decision = await ctx.approval('approve', {
        card: {
          title: `Invoice to ${input.client} for ${amount}`,
          details: [`To: ${input.client}`, `Amount: ${amount}`, ...(input.description ? [`For: ${input.description}`] : []), 'Number: the next in the sequence, given when recorded'],
        },
      });
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
