// Commands about the model side: /agents, /compare and /promote (trying a new prompt version on recorded inputs
// before it goes live), /costs (tokens and dollars per workflow, agent and day), /policies (what is enforced, and
// what was stopped lately).

import { ConfigError } from '../domain/errors.ts';
import { truncate } from '../domain/text.ts';
import type { AgentCatalog } from '../agents/catalog.ts';
import { compareVersions } from '../agents/compare.ts';
import { AgentError } from '../agents/runner.ts';
import type { InboundContext } from '../inbound/context.ts';
import { costReport, formatCostReport, usd } from '../observability/costs.ts';
import { describePolicy } from '../policy/describe.ts';
import type { AgentDeps } from '../agents/runner.ts';
import type { PolicyService } from '../policy/loader.ts';
import type { Store } from '../ports/store.ts';
import { Registry, type CommandFamily } from './registry.ts';

export interface AgentCommandDeps {
  /** Everything an agent call needs; undefined without a model. */
  agents: () => AgentDeps | undefined;
  /** The agents and their prompt versions, with or without a model (loaded on first use without one). */
  catalog: () => Promise<AgentCatalog>;
  policies: Pick<PolicyService, 'current' | 'lastRejection'>;
  /** Runs for /costs <run id>; events for cost reports and violations. */
  store: Pick<Store, 'runs' | 'events' | 'settings'>;
  agentsDir: string;
}

const show = (v: unknown): string => truncate(typeof v === 'string' ? v : JSON.stringify(v), 400);

function needModel(d: AgentCommandDeps, ctx: InboundContext) {
  const agents = d.agents();
  if (!agents)
    void ctx.reply('No model is configured: set OPENAI_BASE_URL, OPENAI_API_KEY and OPENAI_MODEL and restart.');
  return agents;
}

/** The agents and their prompts, whether or not a model is configured; a broken agent file is one reply. */
async function catalogOf(d: AgentCommandDeps, ctx: InboundContext): Promise<AgentCatalog | undefined> {
  try {
    return await d.catalog();
  } catch (err) {
    if (err instanceof ConfigError)
      return void (await ctx.reply(`The agent files have problems:\n${err.problems.map((p) => `- ${p}`).join('\n')}`));
    throw err;
  }
}

async function promote(d: AgentCommandDeps, ctx: InboundContext, agentName: string, version: string): Promise<void> {
  const catalog = await catalogOf(d, ctx);
  if (!catalog) return;
  if (catalog.get(agentName)?.prompts.has(version) === false) await catalog.reloadPrompts(agentName);
  const agent = catalog.get(agentName);
  if (!agent) return void (await ctx.reply(`There is no ${agentName} agent. /agents lists them.`));
  if (!agent.prompts.has(version)) return void (await ctx.reply(`There is no prompts/${agentName}/${version}.md.`));
  const { previous } = await catalog.promote(agentName, version);
  await ctx.reply(
    previous === version
      ? `${agentName} already uses ${version}.`
      : `${agentName} now uses prompt ${version} (was ${previous}). /promote ${agentName} ${previous} switches back.`,
  );
}

export function agentCommands(d: AgentCommandDeps): CommandFamily {
  return new Registry()
    .command({
      name: 'agents',
      description: 'the specialist agents, their versions and active prompts',
      run: async (ctx) => {
        const catalog = await catalogOf(d, ctx);
        if (!catalog) return;
        const lines = await Promise.all(
          catalog
            .list()
            .map(
              async (a) =>
                `${a.name} ${a.version} (${a.class}) · prompt ${await catalog.activePrompt(a.name)} of ${[...a.prompts.keys()].join(', ')} — ${a.description}`,
            ),
        );
        if (lines.length === 0) lines.push(`No agents in ${d.agentsDir}.`);
        if (!d.agents())
          lines.push(
            'No model is configured, so they do not run yet: set OPENAI_MODEL (and OPENAI_BASE_URL or OPENAI_API_KEY) and restart.',
          );
        await ctx.reply(lines.join('\n'));
      },
    })
    .command({
      name: 'compare',
      usage: '<agent> <version> [count]',
      description: 'replay recent inputs through a new prompt version, side by side with cost and latency',
      run: async (ctx, args) => {
        const [agent, version, count] = args.trim().split(/\s+/);
        if (!agent || !version)
          return void (await ctx.reply('Compare what? Try /compare draft v2 (adds prompts/draft/v2.md first).'));
        const deps = needModel(d, ctx);
        if (!deps) return;
        const limit = count ? Math.min(20, Math.max(1, Number(count) || 5)) : 5;
        let c;
        try {
          c = await compareVersions(deps, agent, version, limit);
        } catch (err) {
          // Unknown agent or version, nothing recorded yet: the operator's next step, not a failure.
          if (err instanceof AgentError && err.code !== 'bad_output') return void (await ctx.reply(err.userMessage));
          throw err;
        }
        const lines = [
          `${c.agent}: ${c.currentVersion} (live) vs ${c.candidateVersion}, ${c.cases.length} recorded input${c.cases.length === 1 ? '' : 's'}`,
        ];
        let [curCost, curMs, newCost, newMs] = [0, 0, 0, 0];
        for (const [i, k] of c.cases.entries()) {
          lines.push(
            `\n${i + 1}. ${truncate(k.request, 160)}`,
            `  ${c.currentVersion} (${usd(k.current.costUsd)}, ${k.current.latencyMs} ms): ${show(k.current.output)}`,
          );
          curCost += k.current.costUsd;
          curMs += k.current.latencyMs;
          if ('error' in k.candidate) lines.push(`  ${c.candidateVersion}: failed — ${k.candidate.error}`);
          else {
            lines.push(
              `  ${c.candidateVersion} (${usd(k.candidate.costUsd)}, ${k.candidate.latencyMs} ms): ${show(k.candidate.output)}`,
            );
            newCost += k.candidate.costUsd;
            newMs += k.candidate.latencyMs;
          }
        }
        const n = c.cases.length;
        lines.push(
          `\nAverage: ${c.currentVersion} ${usd(curCost / n)}, ${Math.round(curMs / n)} ms · ${c.candidateVersion} ${usd(newCost / n)}, ${Math.round(newMs / n)} ms`,
        );
        await ctx.reply({
          text: lines.join('\n'),
          buttons: [{ label: `Promote ${c.candidateVersion}`, data: `promote:${c.agent}:${c.candidateVersion}` }],
        });
      },
    })
    .command({
      name: 'promote',
      usage: '<agent> <version>',
      description: 'make a prompt version the live one (after /compare)',
      run: async (ctx, args) => {
        const [agent, version] = args.trim().split(/\s+/);
        if (!agent || !version) return void (await ctx.reply('Promote what? Try /promote draft v2.'));
        await promote(d, ctx, agent, version);
      },
    })
    .action({
      name: 'promote',
      run: async (ctx, arg) => {
        const [agent = '', version = ''] = arg.split(':');
        await promote(d, ctx, agent, version);
      },
    })
    .command({
      name: 'costs',
      usage: '[days | run id]',
      description: 'model cost per workflow, agent and day, with token counts',
      run: async (ctx, args) => {
        const a = args.trim();
        const inDays = /^(\d+)\s*(?:d|days?)?$/i.exec(a);
        if (a && !inDays) {
          // Not a number of days, so a run id: one that names no run gets the two things /costs understands.
          const run = /^[\w-]{1,64}$/.test(a) ? await d.store.runs.get(a) : null;
          if (!run)
            return void (await ctx.reply(
              `There is no run ${truncate(a, 40)}. Give a number of days (/costs 7) or a run id from /runs (/costs r2k9x7qm).`,
            ));
          const report = await costReport(d.store, { runId: a, days: 3650 });
          return void (await ctx.reply(formatCostReport(report, `Run ${a} (${run.workflow})`)));
        }
        const days = inDays ? Math.min(3650, Math.max(1, Number(inDays[1]))) : 30;
        await ctx.reply(
          formatCostReport(await costReport(d.store, { days }), `Last ${days} day${days === 1 ? '' : 's'}`),
        );
      },
    })
    .command({
      name: 'policies',
      description: 'active policies (approvals, limits, redaction, budgets, quiet hours) and recent violations',
      run: async (ctx) => {
        const policies = d.policies;
        const violations = (
          await d.store.events.readRange({ types: ['policy.violation'], from: new Date(Date.now() - 7 * 86_400_000) })
        ).slice(-10);
        const lines = [describePolicy(policies.current())];
        const problem = policies.lastRejection();
        if (problem) lines.push(`\nNot applied: ${problem.error}`);
        lines.push(
          violations.length === 0
            ? '\nNo violations in the last 7 days.'
            : `\nRecent violations:\n${violations.map((v) => (v.type === 'policy.violation' ? `${v.at.toISOString().slice(0, 16).replace('T', ' ')} ${v.data.policy}/${v.data.rule}: ${truncate(v.data.detail, 160)}` : '')).join('\n')}`,
        );
        await ctx.reply(lines.join('\n'));
      },
    })
    .family();
}
