// The dashboard's costs: model spending per day, per agent and per workflow from the `llm.called` events, set
// against the budgets in force (per day, per agent per day, per run). Days are counted in the budgets' time zone,
// so "today" here is the day the budget ledger counts; each settled day's sums are kept (cost-days.ts).

import { addTo, daySums, emptyLine as line, type CostLine as Line } from '../observability/cost-days.ts';
import { dayIn } from '../policy/budgets.ts';
import { systemTimeZone } from '../policy/schema.ts';
import type { DashboardSources } from './sources.ts';

const DAY_MS = 86_400_000;

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
  const totals = new Map<string, Line>();
  const byDay = new Map(dayKeys.map((d) => [d, line(d)]));
  const byAgent = new Map<string, Line>();
  const byWorkflow = new Map<string, Line>();
  const perRun = new Map<string, { workflow: string; costUsd: number }>();
  const agentDays = new Map<string, Map<string, number>>();
  // A settled day is one kept read (cost-days.ts); today is counted from the log.
  for (const day of dayKeys) {
    const sums = await daySums(s.store, day, timeZone, now);
    if (sums.total.calls === 0) continue;
    addTo(byDay, sums.total);
    addTo(totals, { ...sums.total, key: 'total' });
    for (const l of sums.byWorkflow) addTo(byWorkflow, l);
    for (const l of sums.byAgent) {
      addTo(byAgent, l);
      const perDay = agentDays.get(l.key) ?? new Map<string, number>();
      perDay.set(day, (perDay.get(day) ?? 0) + l.costUsd);
      agentDays.set(l.key, perDay);
    }
    for (const r of sums.byRun) {
      const run = perRun.get(r.runId) ?? { workflow: r.workflow, costUsd: 0 };
      run.costUsd += r.costUsd;
      perRun.set(r.runId, run);
    }
  }
  const today = dayKeys.at(-1) ?? dayIn(now, timeZone);
  const agentBudget = (agent: string): number | null =>
    budgets.per_agent_usd_per_day[agent] ?? budgets.per_agent_usd_per_day['*'] ?? null;
  const sorted = (map: Map<string, Line>) =>
    [...map.values()].sort((a, b) => b.costUsd - a.costUsd || b.calls - a.calls);
  return {
    days: dayKeys,
    timeZone,
    total: totals.get('total') ?? line('total'),
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
