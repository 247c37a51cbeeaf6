// Cost accounting from the event log: every model call is an `llm.called` event with tokens and cost, tagged with
// the agent and run it served. /costs groups them per workflow, per agent and per day.

import type { StoredEvent } from '../domain/events.ts';
import type { Store } from '../ports/store.ts';

interface CostLine {
  key: string;
  calls: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
}

export interface CostReport {
  since: Date;
  total: CostLine;
  byWorkflow: CostLine[];
  byAgent: CostLine[];
  byDay: CostLine[];
  unpriced: number;
}

type Called = Extract<StoredEvent, { type: 'llm.called' }>;

function add(map: Map<string, CostLine>, key: string, e: Called): void {
  let line = map.get(key);
  if (!line) map.set(key, (line = { key, calls: 0, promptTokens: 0, completionTokens: 0, costUsd: 0 }));
  line.calls++;
  line.promptTokens += e.data.promptTokens;
  line.completionTokens += e.data.completionTokens;
  line.costUsd += e.data.costUsd;
}

const sorted = (map: Map<string, CostLine>): CostLine[] =>
  [...map.values()].sort((a, b) => b.costUsd - a.costUsd || b.calls - a.calls);

const PAGE = 5000;

/**
 * The model calls to count: a run's from its own stream (where they are written, see src/llm/events.ts), otherwise
 * every call since `since`, page by page, so a busy month is counted whole and a year of history is never read.
 */
async function calls(store: Pick<Store, 'events'>, since: Date, runId: string | undefined): Promise<Called[]> {
  const out: Called[] = [];
  for (let after = 0; ;) {
    const page = (
      runId === undefined
        ? await store.events.readRange({ from: since, afterPosition: after, types: ['llm.called'], limit: PAGE })
        : await store.events.readStream(`run:${runId}`, { afterSeq: after, types: ['llm.called'], limit: PAGE })
    ) as Called[];
    out.push(
      ...page.filter((e) => e.at.getTime() >= since.getTime() && (runId === undefined || e.data.runId === runId)),
    );
    if (page.length < PAGE) return out;
    after = runId === undefined ? page.at(-1)!.position : page.at(-1)!.seq;
  }
}

export async function costReport(
  store: Pick<Store, 'events' | 'runs'>,
  options: { days?: number; runId?: string; now?: Date } = {},
): Promise<CostReport> {
  const now = options.now ?? new Date();
  const since = new Date(now.getTime() - (options.days ?? 30) * 86_400_000);
  const relevant = await calls(store, since, options.runId);
  const workflows = new Map<string, string>();
  for (const runId of new Set(relevant.flatMap((e) => (e.data.runId ? [e.data.runId] : [])))) {
    workflows.set(runId, (await store.runs.get(runId))?.workflow ?? 'unknown run');
  }
  const total = new Map<string, CostLine>();
  const byWorkflow = new Map<string, CostLine>();
  const byAgent = new Map<string, CostLine>();
  const byDay = new Map<string, CostLine>();
  let unpriced = 0;
  for (const e of relevant) {
    add(total, 'total', e);
    add(byWorkflow, e.data.runId ? (workflows.get(e.data.runId) ?? 'unknown run') : 'chat (no workflow)', e);
    add(byAgent, e.data.agent ?? 'none', e);
    add(byDay, e.at.toISOString().slice(0, 10), e);
    if (e.data.costUsd === 0 && e.data.promptTokens > 0) unpriced++;
  }
  return {
    since,
    total: total.get('total') ?? { key: 'total', calls: 0, promptTokens: 0, completionTokens: 0, costUsd: 0 },
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
