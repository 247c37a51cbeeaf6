// Cost accounting from the event log: every model call is an `llm.called` event with tokens and cost, tagged with
// the agent and run it served. /costs groups them per workflow, per agent and per day; a settled day's sums are
// kept so a long range stays cheap.

import { addTo, daySums, emptyLine, readCalls, sumCalls, type CostLine, type CostStore } from './cost-days.ts';

export interface CostReport {
  since: Date;
  total: CostLine;
  byWorkflow: CostLine[];
  byAgent: CostLine[];
  byDay: CostLine[];
  unpriced: number;
}

const DAY_MS = 86_400_000;
const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const sorted = (map: Map<string, CostLine>): CostLine[] =>
  [...map.values()].sort((a, b) => b.costUsd - a.costUsd || b.calls - a.calls);

/**
 * Model cost since `days` ago (or of one run), per workflow, agent and UTC day. Whole days come from their kept
 * sums (cost-days.ts), so a year is 365 small reads, not 100k events; the part day at the start is counted from the
 * log, as is today.
 */
export async function costReport(
  store: CostStore,
  options: { days?: number; runId?: string; now?: Date } = {},
): Promise<CostReport> {
  const now = options.now ?? new Date();
  const since = new Date(now.getTime() - (options.days ?? 30) * DAY_MS);
  const parts: Array<Awaited<ReturnType<typeof sumCalls>>> = [];
  if (options.runId !== undefined) {
    const byDay = Map.groupBy(await readCalls(store, { from: since, runId: options.runId }), (e) =>
      utcDay(e.at.getTime()),
    );
    for (const [day, calls] of byDay) parts.push(await sumCalls(store, calls, day));
  } else {
    const firstDay = Math.ceil(since.getTime() / DAY_MS) * DAY_MS;
    const head = await readCalls(store, { from: since, to: new Date(Math.min(firstDay, now.getTime())) });
    if (head.length > 0) parts.push(await sumCalls(store, head, utcDay(since.getTime())));
    for (let day = firstDay; day <= now.getTime(); day += DAY_MS)
      parts.push(await daySums(store, utcDay(day), 'UTC', now));
  }
  const total = new Map<string, CostLine>();
  const byWorkflow = new Map<string, CostLine>();
  const byAgent = new Map<string, CostLine>();
  const byDay = new Map<string, CostLine>();
  let unpriced = 0;
  for (const p of parts) {
    if (p.total.calls === 0) continue;
    addTo(total, { ...p.total, key: 'total' });
    addTo(byDay, p.total);
    for (const l of p.byWorkflow) addTo(byWorkflow, l);
    for (const l of p.byAgent) addTo(byAgent, l);
    unpriced += p.unpriced;
  }
  return {
    since,
    total: total.get('total') ?? emptyLine('total'),
    byWorkflow: sorted(byWorkflow),
    byAgent: sorted(byAgent),
    byDay: [...byDay.values()].sort((a, b) => b.key.localeCompare(a.key)),
    unpriced,
  };
}

export const usd = (n: number): string => (n === 0 ? '$0' : n < 0.01 ? `$${n.toFixed(4)}` : `$${n.toFixed(2)}`);

const fmt = (l: CostLine): string =>
  `${l.key}: ${usd(l.costUsd)} · ${l.calls} call${l.calls === 1 ? '' : 's'} · ${l.promptTokens.toLocaleString('en-US')} in / ${l.completionTokens.toLocaleString('en-US')} out tokens`;

export function formatCostReport(r: CostReport, title: string): string {
  if (r.total.calls === 0) return `${title}: no model calls.`;
  const lines = [
    `${title}: ${fmt({ ...r.total, key: 'total' })}`,
    'Per workflow:',
    ...r.byWorkflow.map((l) => `  ${fmt(l)}`),
    'Per agent:',
    ...r.byAgent.map((l) => `  ${fmt(l)}`),
    'Per day:',
    ...r.byDay.slice(0, 7).map((l) => `  ${fmt(l)}`),
  ];
  if (r.unpriced > 0)
    lines.push(
      `${r.unpriced} call${r.unpriced === 1 ? '' : 's'} had no price in the table (LLM_PRICES): counted as $0.`,
    );
  return lines.join('\n');
}
