// The first real workflow: a consultant's invoice. Deterministic, no model. Recording is an effect step: the
// approvals policy decides first (journaled, so a policy edit mid-run changes nothing): deny stops the run, approve
// (the default for invoices) sends the card, allow (a rule such as "small invoices go out") records at once. The
// invoice gets its number only when it is recorded, so a rejected or expired draft leaves no gap in the sequence.

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

export type InvoiceResult = { status: 'recorded'; number: number } | { status: 'rejected' | 'expired' | 'denied' };

export function invoiceWorkflow(ledger: LedgerStore) {
  return defineWorkflow({
    name: 'invoice',
    version: 1,
    description: 'drafts an invoice, asks for approval, records it in the ledger',
    input: invoiceInput,
    async run(ctx, input): Promise<InvoiceResult> {
      const amount = formatMoney(input.amountMinor, input.currency);
      const outcome = await ctx.act('record', {
        action: { kind: 'invoice.send', amount: { minor: input.amountMinor, currency: input.currency } },
        card: {
          title: `Invoice to ${input.client} for ${amount}`,
          details: [`To: ${input.client}`, `Amount: ${amount}`, ...(input.description ? [`For: ${input.description}`] : []), 'Number: the next in the sequence, given when recorded'],
        },
        run: async ({ idempotencyKey }): Promise<Invoice> => {
          const { description, ...rest } = input;
          const { invoice } = await ledger.recordInvoice({ ...rest, ...(description ? { description } : {}), runId: ctx.runId, idempotencyKey });
          return invoice;
        },
        compensate: async (recorded) => void (await ledger.voidInvoice(recorded.number)),
        // The step ids runs of this workflow have journaled since before effect steps existed.
        steps: { policy: 'policy', approval: 'approve' },
      });
      if (outcome.status === 'denied') {
        await ctx.say('tell-denied', `The invoice to ${input.client} for ${amount} is not allowed by policy: ${outcome.reasons.join('; ')}.`);
        return { status: 'denied' };
      }
      if (outcome.status !== 'done') {
        await ctx.say('tell-not-recorded', `The invoice to ${input.client} for ${amount} was not recorded (${outcome.status}).`);
        return { status: outcome.status };
      }
      await ctx.say('tell-recorded', `Recorded ${invoiceNumber(outcome.result.number)}: ${input.client}, ${amount}.`);
      return { status: 'recorded', number: outcome.result.number };
    },
  });
}
