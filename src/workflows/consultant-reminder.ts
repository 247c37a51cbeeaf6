// The polite reminder for an overdue invoice, started by the follow-up the consultant's pipeline schedules for the
// morning after the due date. Nothing happens when the invoice is paid or void by then; otherwise the reminder mail
// waits on an approval card (Approve / Edit / Reject) and goes out once, in the invoice mail's thread.

import { z } from 'zod';
import { formatMoney } from '../domain/money.ts';
import { defineWorkflow, NonRetriableError } from '../engine/workflow.ts';
import type { LedgerStore } from '../ports/engine-store.ts';
import type { MailPort } from '../ports/mail.ts';
import { REMINDER_WORKFLOW } from './consultant.ts';
import { invoiceNumber } from '../invoices/number.ts';

export interface ReminderServices {
  ledger: Pick<LedgerStore, 'getInvoice'>;
  mail: () => MailPort | undefined;
}

export type OverdueResult = { status: 'paid' | 'void' | 'no_email' | 'sent' | 'rejected' | 'expired' | 'denied' };

export function overdueReminderWorkflow(s: ReminderServices) {
  return defineWorkflow({
    name: REMINDER_WORKFLOW,
    version: 1,
    description: 'a polite reminder for an overdue invoice, mailed after your approval',
    input: z.object({ number: z.number().int().positive() }),
    async run(ctx, input): Promise<OverdueResult> {
      const invoice = await ctx.step('check', async () => {
        const i = await s.ledger.getInvoice(input.number);
        if (!i) throw new NonRetriableError(`There is no invoice ${invoiceNumber(input.number)}.`);
        return {
          status: i.status,
          client: i.client,
          email: i.email ?? null,
          amount: formatMoney(i.amountMinor, i.currency),
          due: i.dueDate ?? '',
          thread: i.mailMessageId ?? null,
          url: i.hostedUrl ?? null,
        };
      });
      const number = invoiceNumber(input.number);
      if (invoice.status === 'paid' || invoice.status === 'void') return { status: invoice.status };
      if (!invoice.email) {
        await ctx.say(
          'tell-no-email',
          `${number} (${invoice.client}, ${invoice.amount}) is overdue since ${invoice.due}, and memory has no email to remind them at.`,
        );
        return { status: 'no_email' };
      }
      const email = invoice.email;
      const text = [
        'Hello,',
        '',
        `a friendly reminder that invoice ${number} for ${invoice.amount} was due on ${invoice.due}. If it is already on its way, please ignore this note.`,
        ...(invoice.url ? [`You can pay it online: ${invoice.url}`] : []),
        '',
        'Thank you, and kind regards',
      ].join('\n');
      const sent = await ctx.act('remind', {
        action: { kind: 'email.send', recipients: [email] },
        card: {
          title: `Reminder: ${number} to ${invoice.client} is overdue`,
          details: [
            `To: ${email}`,
            `Amount: ${invoice.amount}, due ${invoice.due}`,
            "A polite reminder, in the invoice mail's thread",
          ],
          text,
        },
        run: async ({ approval, idempotencyKey, signal }) => {
          const mail = s.mail();
          if (!mail)
            throw new NonRetriableError(
              'Mail is not configured (SMTP_URL, IMAP_URL, MAIL_FROM), so the reminder cannot be sent.',
            );
          const thread = invoice.thread ? { inReplyTo: invoice.thread, references: [invoice.thread] } : {};
          const result = await mail.send(
            { to: email, subject: `Reminder: invoice ${number}`, text: approval?.text ?? text, ...thread },
            { idempotencyKey, signal },
          );
          return { messageId: result.messageId };
        },
        options: { maxAttempts: 5, timeoutMs: 60_000 },
      });
      if (sent.status !== 'done') return { status: sent.status };
      await ctx.say('tell-sent', `Reminder for ${number} sent to ${email}.`);
      return { status: 'sent' };
    },
  });
}
