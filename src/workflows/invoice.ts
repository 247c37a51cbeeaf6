// A consultant's invoice, from the chat to the client. Deterministic, no model. One approval card covers the whole
// invoice: what the policy judges first (journaled), then on approval it is recorded under the next number (no gap:
// a rejected draft takes none), issued in Stripe when Stripe is configured (one Stripe invoice per invoice, whatever
// crashes happen: the step's key and start time go to the connector), rendered as a PDF with the business details,
// and mailed to the client with the PDF attached — the mail last, since a sent mail cannot be recalled. The Stripe
// issue and the mail are effect steps of their own: the policy still judges each (a deny stops it), and the card
// the operator approved named both, so that approval counts for them.
// Payment is not awaited here: the Stripe webhook and /paid mark the ledger (src/invoices/payments.ts), so a run
// ends when the invoice went out instead of waiting weeks for money that may come another way.

import { DateTime } from 'luxon';
import { z } from 'zod';
import { formatMoney } from '../domain/money.ts';
import { defineWorkflow, type WorkflowContext } from '../engine/workflow.ts';
import type { ClientProfile } from '../invoices/clients.ts';
import { invoiceNumber } from '../invoices/number.ts';
import {
  invoiceDocument,
  invoiceMailText,
  planInvoice,
  type InvoiceServices,
  type InvoicePlan,
} from '../invoices/plan.ts';
import { ConnectorError } from '../ports/connector.ts';
import { MailError, MailErrorCode } from '../ports/mail.ts';
import type { InvoiceDocument, SavedDocument } from '../ports/documents.ts';
import type { Invoice } from '../ports/engine-store.ts';

const invoiceInput = z.object({
  client: z.string().trim().min(1).max(120),
  amountMinor: z.number().int().positive(),
  currency: z.string().regex(/^[A-Z]{3}$/),
  description: z.string().trim().max(500).optional(),
});
export type InvoiceInput = z.infer<typeof invoiceInput>;

export type InvoiceResult = { status: 'recorded'; number: number } | { status: 'rejected' | 'expired' | 'denied' };

/** What an effect that may fail for good returns instead of unwinding the invoice: a refused mail voids nothing. */
type Outcome<T> = ({ status: 'done' } & T) | { status: 'failed'; reason: string };

/** A connector's permanent refusal becomes a result the operator reads; anything retryable is retried by the engine. */
async function permanent<T>(work: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { status: 'done', ...(await work()) };
  } catch (err) {
    if (err instanceof ConnectorError && !err.retryable)
      return { status: 'failed', reason: err.userMessage.replace(/\.$/, '') };
    throw err;
  }
}

function cardDetails(input: InvoiceInput, plan: InvoicePlan, amount: string): string[] {
  const { client } = plan;
  const lines = [
    `To: ${client.name}${client.known && client.name.toLowerCase() !== input.client.toLowerCase() ? ` (you wrote "${input.client}")` : ''}`,
    `Amount: ${amount}`,
  ];
  if (input.description) lines.push(`For: ${input.description}`);
  lines.push(
    'Number: the next in the sequence, given when recorded',
    `Due: ${plan.termsDays} days after the invoice date${client.termsDays !== undefined ? ' (from memory)' : ''}`,
  );
  lines.push(
    plan.business
      ? `PDF: with ${plan.business.name}'s details`
      : `PDF: none until you set ${plan.missing ?? 'your business details'}`,
  );
  if (plan.stripe)
    lines.push(
      plan.issue
        ? `Stripe: issued and sent to ${client.email ?? ''}`
        : `Stripe: not issued — memory has no email for ${client.name}`,
    );
  if (plan.mail)
    lines.push(
      plan.mailTo
        ? `Mail: the PDF to ${plan.mailTo} once approved`
        : `Mail: not sent — ${plan.business ? `memory has no email for ${client.name}` : 'there is no PDF to attach'}`,
    );
  if ((plan.stripe || plan.mail) && !client.email)
    lines.push(`(/remember ${client.name}: billing email name@example.com adds it)`);
  return lines;
}

type Issued = Outcome<{ invoiceId: string; number: string | null; hostedUrl: string | null }>;
type Mailed = Outcome<{ messageId: string; alreadySent: boolean }>;

async function issueInStripe(
  ctx: WorkflowContext,
  s: InvoiceServices,
  plan: InvoicePlan,
  invoice: Invoice,
  approved: boolean,
) {
  const number = invoiceNumber(invoice.number);
  const client = plan.client as ClientProfile & { email: string };
  return ctx.act<Issued>('issue', {
    action: {
      kind: 'invoice.send',
      amount: { minor: invoice.amountMinor, currency: invoice.currency },
      recipients: [client.email],
      approved,
    },
    card: {
      title: `Issue ${number} in Stripe to ${client.name}`,
      details: [`To: ${client.email}`, `Amount: ${formatMoney(invoice.amountMinor, invoice.currency)}`],
    },
    run: async ({ idempotencyKey, signal, startedAt }) => {
      const payments = s.payments();
      if (!payments) return { status: 'failed', reason: 'Stripe is no longer configured (STRIPE_SECRET_KEY)' };
      return permanent(async () => {
        const issued = await payments.issueInvoice(
          {
            customer: { clientKey: client.key, name: client.name, email: client.email },
            lines: invoice.lines ?? [
              { description: invoice.description ?? 'Professional services', amountMinor: invoice.amountMinor },
            ],
            currency: invoice.currency,
            dueDays: plan.termsDays,
            description: `${number}${invoice.description ? `: ${invoice.description}` : ''}`,
            metadata: { ledger_invoice: number },
          },
          { idempotencyKey, signal, startedAt },
        );
        await s.ledger.updateInvoice(invoice.number, {
          stripeInvoiceId: issued.invoiceId,
          ...(issued.number ? { stripeNumber: issued.number } : {}),
          ...(issued.hostedUrl ? { hostedUrl: issued.hostedUrl } : {}),
        });
        await s.ledger.updateInvoice(invoice.number, { status: 'issued' }, ['recorded']);
        return { invoiceId: issued.invoiceId, number: issued.number, hostedUrl: issued.hostedUrl };
      });
    },
    // The saga's undo when the run is cancelled later: void it in Stripe (a paid one refuses, and the run waits for review).
    compensate: async (result, { idempotencyKey, signal, startedAt }) => {
      if (result.status !== 'done') return;
      const payments = s.payments();
      if (!payments)
        throw new Error(`Stripe is no longer configured, so invoice ${result.invoiceId} cannot be voided there`);
      await payments.voidInvoice(result.invoiceId, { idempotencyKey, signal, startedAt });
    },
    options: { maxAttempts: 5, timeoutMs: 60_000 },
  });
}

async function mailToClient(
  ctx: WorkflowContext,
  s: InvoiceServices,
  plan: InvoicePlan,
  invoice: Invoice,
  pdf: SavedDocument,
  document: InvoiceDocument,
  approved: boolean,
) {
  const number = invoiceNumber(invoice.number);
  const to = plan.mailTo ?? '';
  const text = invoiceMailText(document);
  const subject = `Invoice ${number} from ${plan.business?.name ?? ''}`.trim();
  return ctx.act<Mailed>('mail', {
    action: { kind: 'email.send', recipients: [to], approved },
    card: {
      title: `Email ${number} to ${to}`,
      details: [`To: ${to}`, `Subject: ${subject}`, `Attachment: ${number}.pdf`],
      text,
    },
    run: async ({ idempotencyKey, signal, approval }) => {
      const mail = s.mail();
      if (!mail) return { status: 'failed', reason: 'mail is no longer configured (SMTP_URL, IMAP_URL, MAIL_FROM)' };
      return permanent(async () => {
        // The same document renders the same bytes, so a retry attaches exactly the PDF on disk.
        const content = (await s.documents.read(pdf.file)) ?? (await s.documents.render(document));
        const sent = await mail.send(
          {
            to,
            subject,
            text: approval?.text ?? text,
            attachments: [{ filename: `${number}.pdf`, contentType: 'application/pdf', content }],
          },
          { idempotencyKey, signal },
        );
        // The server took the mail but refused the client's address: it went nowhere but to our own copy.
        if (sent.rejected.length > 0)
          throw new MailError(
            MailErrorCode.rejected,
            `The mail server refused ${sent.rejected.join(', ')}; check the address in ${plan.client.name}'s memory.`,
          );
        await s.ledger.updateInvoice(invoice.number, {
          mailMessageId: sent.messageId,
          mailedTo: to,
          mailedAt: new Date(),
        });
        return { messageId: sent.messageId, alreadySent: sent.alreadySent };
      });
    },
    // No compensation: a sent mail cannot be recalled, which is why it is the last effect.
    options: { maxAttempts: 5, timeoutMs: 60_000 },
  });
}

/**
 * The invoice saga on its own: a larger workflow (the consultant's pipeline) runs it inside its own run; its step
 * ids (plan, record, issue, pdf, mail, tell-*) must not clash with the caller's.
 */
export async function runInvoice(
  ctx: WorkflowContext,
  s: InvoiceServices,
  input: InvoiceInput,
): Promise<InvoiceResult> {
  const amount = formatMoney(input.amountMinor, input.currency);
  // Who the client is, the business details and which connectors are set up, fixed once for this run.
  const plan = await ctx.step('plan', () => planInvoice(s, input.client));
  const outcome = await ctx.act('record', {
    action: { kind: 'invoice.send', amount: { minor: input.amountMinor, currency: input.currency } },
    card: { title: `Invoice to ${plan.client.name} for ${amount}`, details: cardDetails(input, plan, amount) },
    run: async ({ idempotencyKey }): Promise<Invoice> => {
      const today = DateTime.now().setZone(plan.timeZone);
      const lines = [{ description: input.description ?? 'Professional services', amountMinor: input.amountMinor }];
      const { invoice } = await s.ledger.recordInvoice({
        client: plan.client.name,
        amountMinor: input.amountMinor,
        currency: input.currency,
        ...(input.description ? { description: input.description } : {}),
        runId: ctx.runId,
        idempotencyKey,
        clientKey: plan.client.key,
        ...(plan.client.email ? { email: plan.client.email } : {}),
        lines,
        issueDate: today.toISODate() ?? '',
        dueDate: today.plus({ days: plan.termsDays }).toISODate() ?? '',
      });
      return invoice;
    },
    compensate: async (recorded) => void (await s.ledger.voidInvoice(recorded.number)),
    // The step ids runs of this workflow have journaled since before effect steps existed.
    steps: { policy: 'policy', approval: 'approve' },
  });
  if (outcome.status === 'denied') {
    await ctx.say(
      'tell-denied',
      `The invoice to ${plan.client.name} for ${amount} is not allowed by policy: ${outcome.reasons.join('; ')}.`,
    );
    return { status: 'denied' };
  }
  if (outcome.status !== 'done') {
    await ctx.say(
      'tell-not-recorded',
      `The invoice to ${plan.client.name} for ${amount} was not recorded (${outcome.status}).`,
    );
    return { status: outcome.status };
  }
  const invoice = outcome.result;
  const number = invoiceNumber(invoice.number);
  // The operator approved a card that named the Stripe issue and the mail: that approval is theirs too.
  const approved = outcome.approval?.decision === 'approved';
  const notes: string[] = [];

  const issued = plan.issue ? await issueInStripe(ctx, s, plan, invoice, approved) : undefined;
  const stripe = issued?.status === 'done' ? issued.result : undefined;
  if (stripe?.status === 'done')
    notes.push(
      `Issued in Stripe${stripe.number ? ` as ${stripe.number}` : ''}${stripe.hostedUrl ? `: ${stripe.hostedUrl}` : ''}.`,
    );
  else if (stripe) notes.push(`Not issued in Stripe: ${stripe.reason}.`);
  else if (issued) notes.push(`Not issued in Stripe (${issued.status}).`);

  const document = invoiceDocument(invoice, plan, stripe?.status === 'done' ? stripe : undefined);
  const pdf = document
    ? await ctx.step('pdf', async () => {
        const saved = await s.documents.save(document);
        await s.ledger.updateInvoice(invoice.number, { pdfFile: saved.file, pdfSha256: saved.sha256 });
        return saved;
      })
    : undefined;
  notes.push(pdf ? `PDF: ${pdf.file}.` : `No PDF: set ${plan.missing ?? 'your business details'} first.`);

  if (plan.mailTo && pdf && document) {
    const mailed = await mailToClient(ctx, s, plan, invoice, pdf, document, approved);
    const result = mailed.status === 'done' ? mailed.result : undefined;
    if (result?.status === 'done') notes.push(`Mailed to ${plan.mailTo}.`);
    else
      notes.push(
        `Not mailed: ${result?.status === 'failed' ? result.reason : mailed.status === 'denied' ? mailed.reasons.join('; ') : mailed.status}.`,
      );
  } else if (plan.mail) {
    notes.push(
      `Not mailed: ${plan.mailTo ? 'there is no PDF to attach' : `memory has no email for ${plan.client.name}`}.`,
    );
  }
  await ctx.say('tell-recorded', `Recorded ${number}: ${plan.client.name}, ${amount}.\n${notes.join('\n')}`);
  return { status: 'recorded', number: invoice.number };
}

export function invoiceWorkflow(s: InvoiceServices) {
  return defineWorkflow({
    name: 'invoice',
    version: 1,
    description: 'drafts an invoice, asks for approval, records it, issues it in Stripe, makes the PDF and mails it',
    input: invoiceInput,
    run: (ctx, input): Promise<InvoiceResult> => runInvoice(ctx, s, input),
  });
}
