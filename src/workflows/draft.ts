// Draft → approve → send. The draft agent writes (a journaled step: a crash never pays for the same draft twice); a
// budget that would be exceeded suspends the run on an "approve overspend?" card instead of spending; the send is the
// outreach agent's effect step: the approvals policy judges it, the operator approves, edits or rejects the draft on
// a card that carries it, and nothing leaves before. With the mail connector configured and an address for the
// recipient (written in the draft, or the client's in memory), the approved text is mailed, once per run whatever
// crashes happen (the Message-ID comes from the step's key); without, it stays in the run's journal.

import { z } from 'zod';
import { NonRetriableError, defineWorkflow, type WorkflowContext } from '../engine/workflow.ts';
import type { AgentOutput } from '../agents/outputs.ts';
import { runAgent, type AgentDeps } from '../agents/runner.ts';
import { usd as formatUsd } from '../observability/costs.ts';
import { resolveClient } from '../invoices/clients.ts';
import { ConnectorError } from '../ports/connector.ts';
import type { MailPort } from '../ports/mail.ts';

const draftInput = z.object({
  instructions: z.string().trim().min(1).max(2000),
  client: z.string().trim().max(120).optional(),
});
type DraftInput = z.infer<typeof draftInput>;

type Draft = AgentOutput<'draft'>;

type DraftStep =
  | { status: 'ok'; draft: Draft; costUsd: number; promptVersion: string; memories: string[] }
  | { status: 'over_budget'; scope: string; limitUsd: number; spentUsd: number; estimateUsd: number };

export type DraftResult = { status: 'approved' | 'rejected' | 'expired' | 'denied' | 'over_budget'; subject?: string };

const MAX_OVERSPENDS = 3;

async function writeDraft(
  ctx: WorkflowContext,
  deps: () => AgentDeps,
  input: DraftInput,
  attempt: number,
): Promise<DraftStep> {
  return ctx.step(
    `draft-${attempt}`,
    async (): Promise<DraftStep> => {
      const d = deps();
      const entities = input.client ? d.memory.entitiesIn(input.client) : [];
      const outcome = await runAgent(d, {
        agent: 'draft',
        request: input.instructions,
        runId: ctx.runId,
        memoryQuery: [input.client, input.instructions].filter(Boolean).join(' '),
        ...(entities.length > 0 ? { entities } : {}),
      });
      if (outcome.status === 'over_budget') return outcome;
      return {
        status: 'ok',
        draft: outcome.output,
        costUsd: outcome.costUsd,
        promptVersion: outcome.promptVersion,
        memories: outcome.usedMemories.map((m) => m.id),
      };
    },
    { maxAttempts: 3, timeoutMs: 180_000 },
  );
}

const ADDRESS = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/;

/** Where the approved text goes: by mail when it can, else it stays in the journal (and why). */
type Route = { via: 'mail'; to: string } | { via: 'journal'; reason?: string };

export function draftWorkflow(deps: () => AgentDeps, mail: () => MailPort | undefined = () => undefined) {
  return defineWorkflow({
    name: 'draft',
    version: 1,
    description: 'the draft agent writes an email or message; you approve, edit or reject it; outreach hands it on',
    input: draftInput,
    async run(ctx, input): Promise<DraftResult> {
      let step: DraftStep | undefined;
      for (let attempt = 1; attempt <= MAX_OVERSPENDS + 1; attempt++) {
        step = await writeDraft(ctx, deps, input, attempt);
        if (step.status === 'ok') break;
        if (attempt > MAX_OVERSPENDS) break;
        const over = step;
        const decision = await ctx.approval(`overspend-${attempt}`, {
          card: {
            title: `Approve overspend? The draft would exceed the ${over.scope} budget`,
            details: [
              `Budget: ${formatUsd(over.limitUsd)}, spent or reserved: ${formatUsd(over.spentUsd)}`,
              `This call: up to ${formatUsd(over.estimateUsd)}`,
              'Approve to allow this one call; reject to stop the run.',
            ],
          },
        });
        if (decision.decision !== 'approved') {
          await ctx.say(
            `tell-budget-${attempt}`,
            `The draft was not written: the ${over.scope} budget stays as it is (${decision.decision}).`,
          );
          return { status: 'over_budget' };
        }
        await ctx.step(`allow-overspend-${attempt}`, async () => {
          await deps().budgets.allowOverspend({ runId: ctx.runId, amountUsd: over.estimateUsd });
          return true;
        });
      }
      if (!step || step.status !== 'ok')
        throw new NonRetriableError('The budget kept blocking the draft after three approved overspends.');
      const { draft } = step;
      const to = draft.to ?? input.client ?? 'recipient to confirm';
      const route = await ctx.step('route', async (): Promise<Route> => {
        if (!mail()) return { via: 'journal' };
        const written = ADDRESS.exec(to)?.[0];
        if (written) return { via: 'mail', to: written };
        const { memory, store } = deps();
        const directory = {
          ready: () => memory.start(),
          entitiesIn: (t: string) => memory.entitiesIn(t),
          entityName: (k: string) => memory.entityName(k),
          byEntity: (k: string, n: number) => store.memories.byEntity(k, n),
        };
        const client = await resolveClient(directory, input.client ?? to);
        return client.email
          ? { via: 'mail', to: client.email }
          : { via: 'journal', reason: `memory has no email address for ${to}` };
      });
      const recipient = route.via === 'mail' ? route.to : to;
      const sent = await ctx.act('deliver', {
        action: { kind: 'email.send', recipients: /@/.test(recipient) ? [recipient] : [], agent: 'outreach' },
        card: {
          title: `Email to ${recipient}: ${draft.subject}`,
          details: [
            `To: ${recipient}`,
            `Subject: ${draft.subject}`,
            route.via === 'mail'
              ? 'Sent by mail once you approve'
              : `Not sent by mail${route.reason ? ` (${route.reason})` : ''}: the approved text stays in the run`,
            `Written by the draft agent (prompt ${step.promptVersion}), cost ${formatUsd(step.costUsd)}`,
          ],
          text: draft.body,
        },
        run: async ({ approval, idempotencyKey, signal }) => {
          const body = approval?.text ?? draft.body;
          const connector = mail();
          // Without a mail connector the approved text is the effect: it stays in the run's journal.
          if (route.via !== 'mail') return { body };
          if (!connector) return { body, failed: 'mail is no longer configured (SMTP_URL, IMAP_URL, MAIL_FROM)' };
          try {
            const result = await connector.send(
              { to: route.to, subject: draft.subject, text: body },
              { idempotencyKey, signal },
            );
            if (result.rejected.length > 0)
              return { body, failed: `the mail server refused ${result.rejected.join(', ')}` };
            return { body, messageId: result.messageId };
          } catch (err) {
            // A permanent refusal (an address the server rejects) is reported; a transient one is retried.
            if (err instanceof ConnectorError && !err.retryable) return { body, failed: err.userMessage };
            throw err;
          }
        },
        options: { maxAttempts: 5, timeoutMs: 60_000 },
        // The approval step id runs of this workflow have journaled since before effect steps existed.
        steps: { approval: 'send' },
      });
      if (sent.status === 'denied') {
        await ctx.say(
          'tell-denied',
          `Policy does not allow this email, so it was not sent: ${sent.reasons.join('; ')}.`,
        );
        return { status: 'denied', subject: draft.subject };
      }
      if (sent.status !== 'done') {
        await ctx.say('tell-not-sent', `The draft "${draft.subject}" was not sent (${sent.status}).`);
        return { status: sent.status, subject: draft.subject };
      }
      const result: { body: string; messageId?: string; failed?: string } = sent.result;
      await ctx.say(
        'tell-approved',
        result.messageId
          ? `Sent: "${draft.subject}" to ${recipient} (${result.body.length} characters).`
          : result.failed
            ? `Approved but not sent: "${draft.subject}" to ${recipient}: ${result.failed}. The approved text stays in run ${ctx.runId}.`
            : `Approved: "${draft.subject}" to ${to} (${result.body.length} characters). ${route.via === 'journal' && route.reason ? `Not mailed: ${route.reason}; ` : 'Outreach sends it once a mail connector is set up; until then '}the approved text stays in run ${ctx.runId}.`,
      );
      return { status: 'approved', subject: draft.subject };
    },
  });
}
