// The consultant's pipeline, one durable run per lead: the lead becomes one client profile in memory → the
// read-only qualify agent judges it against policies/qualification.yaml and the packages (a card: qualified or
// not, which package, why, which memories) → the draft agent writes the proposal from the package's template and
// the client's history → Approve / Edit / Reject → mailed with the PDF and three free kick-off slots → the client's
// reply (or the operator's tap) picks one and the event is created once → the invoice from the package (the invoice
// saga: approval, Stripe, PDF, mail) → an overdue reminder scheduled for the due date (it asks before mailing) →
// paid (the webhook or /paid) → a summary written into the client's memory and a follow-up scheduled after the
// engagement. Every effect is an effect step keyed by the run, so a crash anywhere sends nothing twice.

import { z } from 'zod';
import { DateTime } from 'luxon';
import { defineWorkflow, NonRetriableError, type WorkflowContext } from '../engine/workflow.ts';
import { runAgent, type AgentDeps } from '../agents/runner.ts';
import type { InvoiceServices } from '../invoices/plan.ts';
import type { MailReplyPayload } from '../mail/inbound.ts';
import type { MemoryService } from '../memory/memory.ts';
import { canonicalClient, type ClientRef } from '../pipeline/lead.ts';
import type { ConsultingPackage, PipelineCatalog } from '../pipeline/packages.ts';
import { priceOf, proposalMail, proposalRequest, slotChoice, type ProposalDocument } from '../pipeline/proposal.ts';
import type { MailPort } from '../ports/mail.ts';
import type { MemoryStore } from '../ports/store.ts';
import { cancelFollowUp, followUp, type FollowUps } from '../scheduling/follow-ups.ts';
import { createEvent, freeSlots, slotLabel, type BookingServices } from './booking.ts';
import { invoiceNumber } from '../invoices/number.ts';
import { runInvoice } from './invoice.ts';

export const CONSULTANT_WORKFLOW = 'consultant';
/** Button data `cs:<runId>:<slot>`: the operator picks a kick-off slot for the client. */
export const SLOT_ACTION = 'cs';
/** What the run waits on when the client's reply named no slot: the operator's tap. */
export const SLOT_EVENT = 'consultant.slot';
export const REMINDER_WORKFLOW = 'consultant-reminder';

const consultantInput = z.object({
  name: z.string().trim().min(1).max(120),
  email: z.string().trim().max(200).optional(),
  notes: z.string().trim().max(4000).optional(),
  /** A lead from a mail: its words are untrusted data, shown to the model only inside markers. */
  via: z.enum(['command', 'mail']).default('command'),
});

export interface ConsultantServices {
  agents: () => AgentDeps;
  catalog: Pick<PipelineCatalog, 'current' | 'package'>;
  memory: Pick<MemoryService, 'remember' | 'entitiesIn' | 'entityName' | 'start'>;
  memories: Pick<MemoryStore, 'candidates' | 'byEntity'>;
  mail: () => MailPort | undefined;
  booking: BookingServices;
  invoices: InvoiceServices;
  followUps: FollowUps;
  renderPdf: (doc: ProposalDocument) => Promise<Buffer>;
}

export type ConsultantResult = {
  status:
    'complete' | 'not_qualified' | 'over_budget' | 'proposal_not_sent' | 'no_slots' | 'not_booked' | 'not_invoiced';
  invoice?: string;
};

type Qualified =
  | { status: 'ok'; qualified: boolean; packageId?: string; reason: string; used: { id: string; text: string }[] }
  | { status: 'over_budget' };
type Draft = { status: 'ok'; subject: string; body: string; history: number } | { status: 'over_budget' };

const oneLine = (s: string, max: number): string => {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
};

async function qualify(
  ctx: WorkflowContext,
  s: ConsultantServices,
  input: z.output<typeof consultantInput>,
  client: ClientRef,
): Promise<Qualified> {
  return ctx.step(
    'qualify',
    async () => {
      const files = s.catalog.current();
      if (files.packages.length === 0)
        throw new NonRetriableError(
          'There are no packages to qualify against: add one to packages/ (see packages/brand-sprint.yaml).',
        );
      const c = files.criteria;
      const criteria = c
        ? [
            `Ideal client: ${c.ideal_client}`,
            ...c.must.map((m) => `Must: ${m}`),
            ...c.reject.map((r) => `Reject: ${r}`),
          ].join('\n')
        : '(no criteria file: policies/qualification.yaml is missing; judge by the packages alone)';
      const packages = files.packages
        .map((p) => `${p.id}: ${p.name}, ${priceOf(p)}, ${p.durationDays} days — ${p.scope.join('; ')}`)
        .join('\n');
      const about = `New lead: ${client.name}${client.email ? ` <${client.email}>` : ''} (${client.existing ? 'a client memory already knows' : 'new to memory'}).`;
      const words = input.notes ?? '(no notes)';
      const outcome = await runAgent(s.agents(), {
        agent: 'qualify',
        request: input.via === 'mail' ? about : `${about}\nWhat the operator noted: ${words}`,
        runId: ctx.runId,
        memoryQuery: `${client.name} ${words}`.slice(0, 500),
        entities: [client.key],
        values: { criteria, packages },
        ...(input.via === 'mail'
          ? { untrusted: [{ source: `email from ${client.email ?? client.name}`, text: words }] }
          : {}),
      });
      if (outcome.status === 'over_budget') return { status: 'over_budget' };
      const cited = new Set((outcome.output.used ?? []).map((id) => id.replace(/^m/i, '')));
      // Only memories the agent really had: a cited id it was not shown is dropped, not trusted.
      const used = outcome.usedMemories
        .filter((m) => cited.has(m.id))
        .map((m) => ({ id: `m${m.id}`, text: oneLine(m.text, 80) }));
      const packageId = outcome.output.package && s.catalog.package(outcome.output.package)?.id;
      return {
        status: 'ok',
        qualified: outcome.output.qualified && packageId !== undefined,
        ...(packageId ? { packageId } : {}),
        reason: outcome.output.reason,
        used,
      };
    },
    { maxAttempts: 3, timeoutMs: 180_000 },
  );
}

async function draftProposal(
  ctx: WorkflowContext,
  s: ConsultantServices,
  input: z.output<typeof consultantInput>,
  client: ClientRef,
  pkg: ConsultingPackage,
): Promise<Draft> {
  return ctx.step(
    'proposal-draft',
    async () => {
      const template = s.catalog.current().templates.get(pkg.template);
      if (template === undefined)
        throw new NonRetriableError(
          `The proposal template templates/${pkg.template}.md is gone; put it back and tap Retry.`,
        );
      // The client's history: what memory holds about them besides the profile (past proposals, engagements).
      const history = (await s.memories.byEntity(client.key, 50))
        .filter((m) => m.kind !== 'client' && m.kind !== 'contact' && !/new enquiry/.test(m.text))
        .slice(0, 5)
        .map((m) => m.text);
      const outcome = await runAgent(s.agents(), {
        agent: 'draft',
        request: proposalRequest(
          pkg,
          template,
          { name: client.name, ...(input.via === 'command' && input.notes ? { notes: input.notes } : {}) },
          history,
        ),
        runId: ctx.runId,
        memoryQuery: `${client.name} proposal ${pkg.name}`,
        entities: [client.key],
      });
      if (outcome.status === 'over_budget') return { status: 'over_budget' };
      return { status: 'ok', subject: outcome.output.subject, body: outcome.output.body, history: history.length };
    },
    { maxAttempts: 3, timeoutMs: 180_000 },
  );
}

export function consultantWorkflow(s: ConsultantServices) {
  return defineWorkflow({
    name: CONSULTANT_WORKFLOW,
    version: 1,
    description: "a lead's way through the pipeline: qualify, proposal, kick-off, invoice, payment, follow-up",
    input: consultantInput,
    async run(ctx, input): Promise<ConsultantResult> {
      const client = await ctx.step('client', () =>
        canonicalClient(
          s.memory,
          s.memories,
          {
            name: input.name,
            ...(input.email ? { email: input.email } : {}),
            ...(input.notes && input.via === 'command' ? { notes: input.notes } : {}),
          },
          { runId: ctx.runId },
        ),
      );
      const verdict = await qualify(ctx, s, input, client);
      if (verdict.status === 'over_budget') {
        await ctx.say(
          'tell-budget',
          `The lead ${client.name} was not qualified: the model budget is spent (see /budget). Start it again with /lead once there is room.`,
        );
        return { status: 'over_budget' };
      }
      const pkg = verdict.packageId ? s.catalog.package(verdict.packageId) : undefined;
      const who = `${client.name}${client.email ? ` <${client.email}>` : ''}${client.existing ? ' (known client)' : ' (new client)'}`;
      const cites = verdict.used.length > 0 ? verdict.used.map((m) => `${m.id}: ${m.text}`) : ['none'];
      await ctx.say(
        'card',
        [
          `Lead: ${who}`,
          verdict.qualified && pkg ? `Qualified: yes, fits ${pkg.name} (${priceOf(pkg)})` : 'Qualified: no',
          `Why: ${verdict.reason}`,
          `Memories used: ${cites.join(' | ')}`,
          verdict.qualified && pkg ? 'Next: a proposal draft for your approval.' : 'Nothing is sent.',
        ].join('\n'),
      );
      if (!verdict.qualified || !pkg) return { status: 'not_qualified' };
      if (!client.email)
        throw new NonRetriableError(
          `There is no email address for ${client.name}; start again with /lead ${client.name} <email>.`,
        );
      const email = client.email;

      const draft = await draftProposal(ctx, s, input, client, pkg);
      if (draft.status === 'over_budget') {
        await ctx.say(
          'tell-draft-budget',
          `The proposal to ${client.name} was not written: the model budget is spent (see /budget).`,
        );
        return { status: 'over_budget' };
      }
      const offer = await ctx.step('slots', async ({ signal }) => ({
        slots: await freeSlots(
          s.booking,
          { title: 'kick-off', durationMinutes: pkg.kickoffMinutes, count: 3, days: 14 },
          signal,
        ),
      }));
      if (offer.slots.length === 0) {
        await ctx.say(
          'tell-no-slots',
          `No free ${pkg.kickoffMinutes}-minute kick-off slot in the next 14 days: free some time in the calendar, then start again with /lead.`,
        );
        return { status: 'no_slots' };
      }
      const labels = offer.slots.map(slotLabel);
      const sent = await ctx.act('proposal', {
        action: { kind: 'email.send', recipients: [email], agent: 'outreach' },
        card: {
          title: `Proposal to ${client.name}: ${draft.subject}`,
          details: [
            `To: ${email}`,
            `Package: ${pkg.name}, ${priceOf(pkg)}, ${pkg.durationDays} days`,
            `Kick-off times offered: ${labels.map((l, i) => `${i + 1}. ${l}`).join('; ')} (${s.booking.timeZone})`,
            `Mailed with the proposal as a PDF once you approve; the time the client picks is booked in your calendar.`,
            `From the ${pkg.template} template and ${draft.history} earlier note${draft.history === 1 ? '' : 's'} about ${client.name}.`,
          ],
          text: draft.body,
        },
        run: async ({ approval, idempotencyKey, signal, startedAt }) => {
          const mail = s.mail();
          if (!mail)
            throw new NonRetriableError(
              'Mail is not configured (SMTP_URL, IMAP_URL, MAIL_FROM), so the proposal cannot be sent.',
            );
          const body = approval?.text ?? draft.body;
          const business = await s.invoices.business();
          const from = business?.name ?? mail.address;
          const date = startedAt.toISOString().slice(0, 10);
          const pdf = await s.renderPdf({ title: `Proposal: ${pkg.name}`, client: client.name, from, date, body });
          const result = await mail.send(
            {
              to: email,
              subject: draft.subject,
              text: proposalMail(body, labels, from),
              attachments: [{ filename: `proposal-${pkg.id}.pdf`, contentType: 'application/pdf', content: pdf }],
            },
            { idempotencyKey, signal },
          );
          if (result.rejected.length > 0)
            throw new NonRetriableError(
              `The mail server refused ${result.rejected.join(', ')}; check ${client.name}'s address.`,
            );
          return { messageId: result.messageId, date };
        },
        options: { maxAttempts: 5, timeoutMs: 60_000 },
      });
      if (sent.status !== 'done') {
        await ctx.say(
          'tell-not-sent',
          `The proposal to ${client.name} was not sent (${sent.status === 'denied' ? `policy: ${sent.reasons.join('; ')}` : sent.status}).`,
        );
        return { status: 'proposal_not_sent' };
      }
      await ctx.step('remember-proposal', async () => {
        await s.memory.remember({
          text: `${client.name}: proposal "${draft.subject}" for the ${pkg.name} (${priceOf(pkg)}) sent on ${sent.result.date}.`,
          kind: 'fact',
          entities: [client.key],
          dedupe: 'none',
          source: { runId: ctx.runId },
        });
        return true;
      });
      await ctx.say('offer', {
        text: [
          `Proposal sent to ${client.name}. Waiting for their reply to pick a kick-off time; or tap the one they told you:`,
          ...labels.map((l, i) => `${i + 1}. ${l}`),
        ].join('\n'),
        buttons: labels.map((l, i) => ({ label: `${i + 1}. ${l}`, data: `${SLOT_ACTION}:${ctx.runId}:${i}` })),
      });

      // The client's reply to the proposal mail, or the operator's tap: whichever comes first.
      const answer = await ctx.wait<Partial<MailReplyPayload> & { choice?: number }>('pick', {
        event: 'mail.reply',
        key: sent.result.messageId,
      });
      let choice =
        answer.choice ?? (answer.untrustedText ? slotChoice(answer.untrustedText, labels.length) : undefined);
      if (choice === undefined) {
        await ctx.say('pick-unclear', {
          text: `${client.name} replied but named no kick-off time ("${oneLine(answer.subject ?? '', 80)}"). Tap the one they want:`,
          buttons: labels.map((l, i) => ({ label: `${i + 1}. ${l}`, data: `${SLOT_ACTION}:${ctx.runId}:${i}` })),
        });
        choice = (await ctx.wait<{ choice: number }>('pick-tap', { event: SLOT_EVENT, key: ctx.runId })).choice;
      }
      const slot = offer.slots[choice];
      if (!slot) return { status: 'not_booked' };
      const title = `Kick-off: ${pkg.name} with ${client.name}`;
      const booked = await createEvent(
        ctx,
        s.booking,
        'kickoff',
        { title, description: `${pkg.name} for ${client.name} <${email}>` },
        slot,
      );
      if (booked.status !== 'done') {
        await ctx.say('tell-not-booked', `The kick-off with ${client.name} was not booked (${booked.status}).`);
        return { status: 'not_booked' };
      }
      await ctx.say(
        'tell-booked',
        `Booked "${title}": ${slotLabel(slot)} (${s.booking.timeZone}). Next: the invoice for the ${pkg.name}.`,
      );

      const invoiced = await runInvoice(ctx, s.invoices, {
        client: client.name,
        amountMinor: pkg.amountMinor,
        currency: pkg.currency,
        description: pkg.name,
      });
      if (invoiced.status !== 'recorded') return { status: 'not_invoiced' };
      const number = invoiceNumber(invoiced.number);
      const due = await ctx.step(
        'due',
        async () => (await s.invoices.ledger.getInvoice(invoiced.number))?.dueDate ?? '',
      );
      // The morning after the due date, in the operator's zone: if it is still unpaid, a reminder asks to be sent.
      const at =
        DateTime.fromISO(`${due}T09:00`, { zone: s.booking.timeZone }).plus({ days: 1 }).toUTC().toISO() ?? undefined;
      const reminder = at
        ? await followUp(ctx, 'overdue-reminder', s.followUps, {
            at,
            title: `If ${number} (${client.name}) is unpaid: a polite reminder`,
            workflow: REMINDER_WORKFLOW,
            input: { number: invoiced.number },
          })
        : undefined;

      const paid = await ctx.wait<{ via?: string }>('paid', { event: 'invoice.paid', key: number });
      if (reminder) await cancelFollowUp(ctx, 'reminder-off', s.followUps, reminder.id);
      const ends = DateTime.fromISO(slot.start).plus({ days: pkg.durationDays + pkg.followUpDays });
      const summary = await ctx.step('summary', async () => {
        const text = `${client.name}: ${pkg.name} engagement (${priceOf(pkg)}): proposal "${draft.subject}" accepted, kick-off ${slotLabel(slot)}, ${number} paid${paid.via === 'stripe' ? ' through Stripe' : ''} on ${new Date().toISOString().slice(0, 10)}.`;
        return (
          await s.memory.remember({
            text,
            kind: 'fact',
            entities: [client.key],
            importance: 0.7,
            dedupe: 'none',
            source: { runId: ctx.runId },
          })
        ).memory.id;
      });
      const next = await followUp(ctx, 'follow-up', s.followUps, {
        at: ends.toUTC().toISO() ?? slot.start,
        title: `Follow up with ${client.name} after the ${pkg.name}`,
        text: `Follow up with ${client.name} <${email}> on the ${pkg.name}: how did it go? /remember ${client.name}: … keeps it for the next proposal.`,
      });
      await ctx.say(
        'tell-paid',
        `Paid: ${number} from ${client.name}. Written to their memory (m${summary}); follow-up set for ${next.due.slice(0, 10)}.`,
      );
      return { status: 'complete', invoice: number };
    },
  });
}
