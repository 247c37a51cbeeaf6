// Draft → approve → hand to outreach. The draft agent writes (a journaled step: a crash never pays for the same
// draft twice); a budget that would be exceeded suspends the run on an "approve overspend?" card instead of
// spending; the send is the outreach agent's effect step: the approvals policy judges it, the operator approves,
// edits or rejects the draft on a card that carries it, and nothing leaves before.

import { z } from 'zod';
import { NonRetriableError, defineWorkflow, type WorkflowContext } from '../engine/workflow.ts';
import type { AgentOutput } from '../agents/outputs.ts';
import { runAgent, type AgentDeps } from '../agents/runner.ts';
import { usd as formatUsd } from '../observability/costs.ts';

export const draftInput = z.object({
  instructions: z.string().trim().min(1).max(2000),
  client: z.string().trim().max(120).optional(),
});
export type DraftInput = z.infer<typeof draftInput>;

type Draft = AgentOutput<'draft'>;

type DraftStep =
  | { status: 'ok'; draft: Draft; costUsd: number; promptVersion: string; memories: string[] }
  | { status: 'over_budget'; scope: string; limitUsd: number; spentUsd: number; estimateUsd: number };

export type DraftResult = { status: 'approved' | 'rejected' | 'expired' | 'denied' | 'over_budget'; subject?: string };

const MAX_OVERSPENDS = 3;

async function writeDraft(ctx: WorkflowContext, deps: () => AgentDeps, input: DraftInput, attempt: number): Promise<DraftStep> {
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
      return { status: 'ok', draft: outcome.output, costUsd: outcome.costUsd, promptVersion: outcome.promptVersion, memories: outcome.usedMemories.map((m) => m.id) };
    },
    { maxAttempts: 3, timeoutMs: 180_000 },
  );
}

export function draftWorkflow(deps: () => AgentDeps) {
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
          await ctx.say(`tell-budget-${attempt}`, `The draft was not written: the ${over.scope} budget stays as it is (${decision.decision}).`);
          return { status: 'over_budget' };
        }
        await ctx.step(`allow-overspend-${attempt}`, async () => {
          await deps().budgets.allowOverspend({ runId: ctx.runId, amountUsd: over.estimateUsd });
          return true;
        });
      }
      if (!step || step.status !== 'ok') throw new NonRetriableError('The budget kept blocking the draft after three approved overspends.');
      const { draft } = step;
      const to = draft.to ?? input.client ?? 'recipient to confirm';
      const sent = await ctx.act('deliver', {
        action: { kind: 'email.send', recipients: /@/.test(to) ? [to] : [], agent: 'outreach' },
        card: {
          title: `Email to ${to}: ${draft.subject}`,
          details: [`To: ${to}`, `Subject: ${draft.subject}`, `Written by the draft agent (prompt ${step.promptVersion}), cost ${formatUsd(step.costUsd)}`],
          text: draft.body,
        },
        // Until a mail connector is set up, the approved text is the effect: it stays in the run's journal.
        run: async ({ approval }) => ({ body: approval?.text ?? draft.body }),
        // The approval step id runs of this workflow have journaled since before effect steps existed.
        steps: { approval: 'send' },
      });
      if (sent.status === 'denied') {
        await ctx.say('tell-denied', `Policy does not allow this email, so it was not sent: ${sent.reasons.join('; ')}.`);
        return { status: 'denied', subject: draft.subject };
      }
      if (sent.status !== 'done') {
        await ctx.say('tell-not-sent', `The draft "${draft.subject}" was not sent (${sent.status}).`);
        return { status: sent.status, subject: draft.subject };
      }
      await ctx.say(
        'tell-approved',
        `Approved: "${draft.subject}" to ${to} (${sent.result.body.length} characters). Outreach sends it once a mail connector is set up; until then the approved text stays in run ${ctx.runId}.`,
      );
      return { status: 'approved', subject: draft.subject };
    },
  });
}
