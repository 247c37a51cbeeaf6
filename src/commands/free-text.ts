// Free text, when a model is configured: the router agent decides whether the message wants a reply, an answer
// from memory, a fact remembered, or a workflow with extracted arguments. The operator always sees what was
// understood before anything happens, and anything irreversible still waits on its approval card.

import { stableId } from '../domain/ids.ts';
import { currencyOf, DOLLAR, DOLLAR_CURRENCIES } from '../domain/money.ts';
import { graphemeLength } from '../domain/text.ts';
import type { AgentOutput } from '../agents/outputs.ts';
import { runAgent, type AgentOverBudget } from '../agents/runner.ts';
import type { InboundContext } from '../inbound/context.ts';
import { recordUse } from './memory.ts';
import { rememberedReply } from './memory-corrections.ts';
import type { AgentDeps } from '../agents/runner.ts';
import type { Engine } from '../engine/engine.ts';
import type { SettingsStore } from '../ports/store.ts';
import { currencySetting, DEFAULT_CURRENCY } from './invoices.ts';
import type { CommandFamily } from './registry.ts';

const MAX_FREE_TEXT = 4000;

type Route = AgentOutput<'router'>;

function overBudget(o: AgentOverBudget): string {
  return `I did not ask the model: the ${o.scope} budget ($${o.limitUsd.toFixed(2)}) would be exceeded ($${o.spentUsd.toFixed(2)} spent or reserved). /policies shows the budgets; /costs shows the spending.`;
}

async function handle(d: FreeTextDeps, ctx: InboundContext, text: string): Promise<boolean> {
  const deps = d.agents();
  if (!deps) return false;
  const length = graphemeLength(text);
  if (length > MAX_FREE_TEXT) {
    await ctx.reply(
      `That message is ${length} characters; I read at most ${MAX_FREE_TEXT} at once. Shorten it, or /remember the parts to keep.`,
    );
    return true;
  }
  const clients = deps.memory.knownNames(40).join(', ') || '(none yet)';
  const routed = await runAgent(deps, { agent: 'router', request: text, values: { clients } });
  if (routed.status === 'over_budget') return (void (await ctx.reply(overBudget(routed))), true);
  const route = routed.output;
  switch (route.action) {
    case 'reply':
      await ctx.reply(route.reply?.trim() || route.understood);
      return true;
    case 'remember': {
      const fact = route.fact?.trim() || text;
      const source =
        ctx.eventPosition === undefined
          ? { channel: ctx.event.channel }
          : { channel: ctx.event.channel, eventPosition: ctx.eventPosition };
      const result = await deps.memory.remember({ text: fact, source });
      await ctx.reply(rememberedReply(result, `Understood: ${route.understood}\n`));
      return true;
    }
    case 'answer': {
      const question = route.question?.trim() || text;
      const answered = await runAgent(deps, { agent: 'research', request: question });
      if (answered.status === 'over_budget') return (void (await ctx.reply(overBudget(answered))), true);
      const cited = new Set((answered.output.used ?? []).map((id) => id.replace(/^m/i, '')));
      const used = answered.usedMemories.filter((m) => cited.size === 0 || cited.has(m.id));
      await recordUse(d, ctx, question, used);
      await ctx.reply(
        used.length > 0
          ? `${answered.output.answer}\n(why? shows the ${used.length} memor${used.length === 1 ? 'y' : 'ies'} used)`
          : answered.output.answer,
      );
      return true;
    }
    case 'workflow':
      return startWorkflow(d, ctx, route);
  }
}

async function startWorkflow(d: FreeTextDeps, ctx: InboundContext, route: Route): Promise<boolean> {
  const origin = { channel: ctx.event.channel, chatId: ctx.event.chatId };
  const id = stableId('r', `${ctx.event.channel}:${ctx.event.chatId}:${ctx.event.id}`);
  if (route.workflow === 'invoice') {
    if (!route.client || !route.amount || !(route.amount > 0)) {
      await ctx.reply(
        `Understood: ${route.understood}\nI need a client and an amount for an invoice; try /invoice <client> <amount> [description].`,
      );
      return true;
    }
    const fallback = (await currencySetting(d.settings).get()) ?? DEFAULT_CURRENCY;
    const written = route.currency ? currencyOf(route.currency.trim()) : undefined;
    if (written === DOLLAR && !DOLLAR_CURRENCIES.includes(fallback)) {
      await ctx.reply(
        `Understood: ${route.understood}\nWhich dollar? Write it with its code, e.g. /invoice ${route.client} ${route.amount} USD (or CAD, AUD).`,
      );
      return true;
    }
    const currency = written && written !== DOLLAR ? written : fallback;
    await ctx.reply(`Understood: ${route.understood}`);
    const input = {
      client: route.client,
      amountMinor: Math.round(route.amount * 100),
      currency,
      ...(route.description ? { description: route.description } : {}),
    };
    await d.engine.start('invoice', input, { id, origin, reply: ctx.reply });
    return true;
  }
  if (route.workflow === 'draft') {
    await ctx.reply(`Understood: ${route.understood}\nDrafting it now; you will get it to approve.`);
    const input = {
      instructions: route.instructions?.trim() || route.understood,
      ...(route.client ? { client: route.client } : {}),
    };
    await d.engine.start('draft', input, { id, origin, reply: ctx.reply });
    return true;
  }
  await ctx.reply(`Understood: ${route.understood}\nI have no workflow for that yet. /help lists what I can do.`);
  return true;
}

export interface FreeTextDeps {
  /** Everything an agent call needs; undefined without a model (free text then falls through to the conductor). */
  agents: () => AgentDeps | undefined;
  engine: Pick<Engine, 'start'>;
  settings: SettingsStore;
}

/** Registered last: every other text handler (why?, Edit replies) gets the message first. */
export function freeTextHandler(d: FreeTextDeps): CommandFamily {
  return { text: [(ctx, text) => handle(d, ctx, text)] };
}
