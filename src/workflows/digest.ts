// The daily digest as a durable run: gather the facts (a journaled step), stop there when there is nothing to say
// (unless told to send anyway), have the daily-digest agent write it when a model is configured and the budget
// allows (the template otherwise, or when the model fails), then send it once: to the preferred chat through
// quiet hours (held, never dropped), or, asked for with /digest, as the answer in that chat. What it needs comes
// through `deps`, loaded on first use (the digest's module brings luxon, which start-up does not need).

import { z } from 'zod';
import { runAgent, type AgentDeps } from '../agents/runner.ts';
import type { OutboundMessage } from '../domain/messages.ts';
import { defineWorkflow } from '../engine/workflow.ts';
import type { DigestFacts } from '../scheduling/digest.ts';
import type { Notify } from './reminder.ts';

const digestInput = z.object({
  /** Send it even with nothing to say (default: DIGEST_WHEN_EMPTY). */
  sendEmpty: z.boolean().optional(),
  /** Answer in the run's chat, never held (/digest); default: a proactive message. */
  reply: z.boolean().optional(),
});

export interface DigestDeps {
  collect(now: Date): Promise<DigestFacts>;
  isEmpty(facts: DigestFacts): boolean;
  /** The template's text. */
  render(facts: DigestFacts, now: Date): string;
  /** The text with the approvals' buttons. */
  message(text: string, facts: DigestFacts): OutboundMessage;
  agents(): AgentDeps | undefined;
  notify: Notify;
  sendEmpty: boolean;
}

export type DigestResult = { status: 'empty' } | { status: 'sent' | 'held'; by: 'agent' | 'template' };

interface Written {
  message: OutboundMessage;
  by: 'agent' | 'template';
  /** Why the template wrote it although a model is configured. */
  why?: string;
  costUsd: number;
}

async function write(d: DigestDeps, facts: DigestFacts, now: Date, runId: string): Promise<Written> {
  const template = d.render(facts, now);
  const agents = d.agents();
  const byTemplate = (why?: string): Written => ({
    message: d.message(template, facts),
    by: 'template',
    costUsd: 0,
    ...(why ? { why } : {}),
  });
  if (!agents) return byTemplate();
  try {
    const outcome = await runAgent(agents, {
      agent: 'daily-digest',
      request: "Write today's digest from the facts.",
      runId,
      values: { activity: template },
    });
    if (outcome.status === 'over_budget') return byTemplate(`the ${outcome.scope} budget would be exceeded`);
    const text = outcome.output.text.trim();
    return text
      ? { message: d.message(text, facts), by: 'agent', costUsd: outcome.costUsd }
      : byTemplate('the model gave an empty answer');
  } catch (err) {
    // The digest still goes out: the template says the same facts.
    return byTemplate((err as Error).message);
  }
}

export function digestWorkflow(deps: () => Promise<DigestDeps>) {
  return defineWorkflow({
    name: 'digest',
    version: 1,
    description:
      "the daily digest: approvals waiting, invoices due, follow-ups, yesterday's runs and costs, memory changes, today's calendar",
    input: digestInput,
    async run(ctx, input): Promise<DigestResult> {
      const gathered = await ctx.step('collect', async () => {
        const d = await deps();
        const now = new Date();
        const facts = await d.collect(now);
        return { facts, at: now.toISOString(), empty: d.isEmpty(facts), sendEmpty: d.sendEmpty };
      });
      if (gathered.empty && !(input.sendEmpty ?? gathered.sendEmpty)) return { status: 'empty' };
      const written = await ctx.step(
        'write',
        async ({ runId }) => write(await deps(), gathered.facts, new Date(gathered.at), runId),
        { timeoutMs: 180_000, maxAttempts: 2 },
      );
      if (input.reply) {
        await ctx.say('send', written.message);
        return { status: 'sent', by: written.by };
      }
      const held = await ctx.step(
        'send',
        async ({ idempotencyKey }) =>
          (await (await deps()).notify(written.message, { dedupeKey: `digest:${idempotencyKey}` })).id === 'held',
      );
      return { status: held ? 'held' : 'sent', by: written.by };
    },
  });
}
