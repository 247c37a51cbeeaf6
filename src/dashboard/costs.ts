// The dashboard's costs: model spending per day, per agent and per workflow from the `llm.called` events, set
// against the budgets in force (per day, per agent per day, per run). Days are counted in the budgets' time zone,
// so "today" here is the day the budget ledger counts.

import type { StoredEvent } from '../domain/events.ts';
import { dayIn } from '../policy/budgets.ts';
import { systemTimeZone } from '../policy/schema.ts';
import type { DashboardSources } from './sources.ts';

type Called = Extract<StoredEvent, { type: 'llm.called' }>;
const DAY_MS = 86_400_000;
const CHAT = 'chat (no workflow)';

interface Line {
  key: string;
  calls: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
}

const line = (key: string): Line => ({ key, calls: 0, promptTokens: 0, completionTokens: 0, costUsd: 0 });
const add = (l: Line, e: Called): void => {
  l.calls++;
  l.promptTokens += e.data.promptTokens;
  l.completionTokens += e.data.completionTokens;
  l.costUsd += e.data.costUsd;
};
const bump = (map: Map<string, Line>, key: string, e: Called): void => {
  let l = map.get(key);
  if (!l) map.set(key, (l = line(key)));
  add(l, e);
};

/** The days from `days - 1` days ago to today, oldest first, in a time zone. */
export function dayRange(now: Date, days: number, timeZone: string): string[] {
  const out: string[] = [];
  for (let i = days - 1; i >= 0; i--) {
    const day = dayIn(new Date(now.getTime() - i * DAY_MS), timeZone);
    if (out.at(-1) !== day) out.push(day);
  }
  return out;
}

export async function costsView(s: DashboardSources, days: number) {
  const now = s.engine.now();
  const budgets = s.policies.current().budgets;
  const timeZone = budgets.time_zone ?? systemTimeZone();
  const dayKeys = dayRange(now, days, timeZone);
  const events = (
    await s.store.events.readRange({ from: new Date(now.getTime() - (days + 1) * DAY_MS), types: ['llm.called'] })
  ).filter((e): e is Called => e.type === 'llm.called' && dayKeys.includes(dayIn(e.at, timeZone)));
  const workflowOf = new Map<string, string>();
  for (const runId of new Set(events.flatMap((e) => (e.data.runId ? [e.data.runId] : []))))
    workflowOf.set(runId, (await s.store.runs.get(runId))?.workflow ?? 'unknown run');

  const total = line('total');
  const byDay = new Map(dayKeys.map((d) => [d, line(d)]));
  const byAgent = new Map<string, Line>();
  const byWorkflow = new Map<string, Line>();
  const perRun = new Map<string, { workflow: string; costUsd: number }>();
  const agentDays = new Map<string, Map<string, number>>();
  for (const e of events) {
    const day = dayIn(e.at, timeZone);
    const agent = e.data.agent ?? 'none';
    const workflow = e.data.runId ? (workflowOf.get(e.data.runId) ?? 'unknown run') : CHAT;
    add(total, e);
    const d = byDay.get(day);
    if (d) add(d, e);
    bump(byAgent, agent, e);
    bump(byWorkflow, workflow, e);
    if (e.data.runId) {
      const r = perRun.get(e.data.runId) ?? { workflow, costUsd: 0 };
      r.costUsd += e.data.costUsd;
      perRun.set(e.data.runId, r);
    }
    const perDay = agentDays.get(agent) ?? new Map<string, number>();
    perDay.set(day, (perDay.get(day) ?? 0) + e.data.costUsd);
    agentDays.set(agent, perDay);
  }
  const today = dayKeys.at(-1) ?? dayIn(now, timeZone);
  const agentBudget = (agent: string): number | null =>
    budgets.per_agent_usd_per_day[agent] ?? budgets.per_agent_usd_per_day['*'] ?? null;
  const sorted = (map: Map<string, Line>) =>
    [...map.values()].sort((a, b) => b.costUsd - a.costUsd || b.calls - a.calls);
  return {
    days: dayKeys,
    timeZone,
    total,
    budgets: {
      perRunUsd: budgets.per_run_usd ?? null,
      perDayUsd: budgets.per_day_usd ?? null,
      perAgentUsdPerDay: budgets.per_agent_usd_per_day,
    },
    byDay: dayKeys.map((d) => byDay.get(d) ?? line(d)),
    byAgent: sorted(byAgent).map((l) => ({
      ...l,
      todayUsd: agentDays.get(l.key)?.get(today) ?? 0,
      budgetPerDayUsd: agentBudget(l.key),
      perDay: dayKeys.map((d) => agentDays.get(l.key)?.get(d) ?? 0),
    })),
    byWorkflow: sorted(byWorkflow).map((l) => {
      const runs = [...perRun.values()].filter((r) => r.workflow === l.key);
      return {
        ...l,
        runs: runs.length,
        maxRunUsd: runs.reduce((m, r) => Math.max(m, r.costUsd), 0),
        avgRunUsd: runs.length ? runs.reduce((sum, r) => sum + r.costUsd, 0) / runs.length : 0,
      };
    }),
    todayUsd: byDay.get(today)?.costUsd ?? 0,
  };
}
