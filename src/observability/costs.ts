// Cost accounting from the event log: every model call is an `llm.called` event with tokens and cost, tagged with
// the agent and run it served. /costs groups them per workflow, per agent and per day; a settled day's sums are
// kept so a long range stays cheap.

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
const DAY_MS = 86_400_000;
/** A UTC day is summed once it ended this long ago (a call finishing at 23:59:59 is written just after). */
const SETTLED_MS = 3_600_000;
/** Settings key of a day's sums; the version changes when their shape does. */
const dayKey = (day: string): string => `costs.v1.day.${day}`;

type CostStore = Pick<Store, 'events' | 'runs' | 'settings'>;

/** One UTC day's sums, kept in the settings store once the day has settled: a day's calls never change after. */
interface DaySums {
  total: CostLine;
  byWorkflow: CostLine[];
  byAgent: CostLine[];
  unpriced: number;
}

/** Sums of a set of model calls, merged across days. */
class Sums {
  readonly total = new Map<string, CostLine>();
  readonly byWorkflow = new Map<string, CostLine>();
  readonly byAgent = new Map<string, CostLine>();
  readonly byDay = new Map<string, CostLine>();
  unpriced = 0;

  async addCalls(store: CostStore, calls: readonly Called[]): Promise<void> {
    const workflows = new Map<string, string>();
    for (const runId of new Set(calls.flatMap((e) => (e.data.runId ? [e.data.runId] : []))))
      workflows.set(runId, (await store.runs.get(runId))?.workflow ?? 'unknown run');
    for (const e of calls) {
      add(this.total, 'total', e);
      add(this.byWorkflow, e.data.runId ? (workflows.get(e.data.runId) ?? 'unknown run') : 'chat (no workflow)', e);
      add(this.byAgent, e.data.agent ?? 'none', e);
      add(this.byDay, e.at.toISOString().slice(0, 10), e);
      if (e.data.costUsd === 0 && e.data.promptTokens > 0) this.unpriced++;
    }
  }

  addDay(day: string, sums: DaySums): void {
    if (sums.total.calls === 0) return;
    merge(this.total, { ...sums.total, key: 'total' });
    merge(this.byDay, { ...sums.total, key: day });
    for (const l of sums.byWorkflow) merge(this.byWorkflow, l);
    for (const l of sums.byAgent) merge(this.byAgent, l);
    this.unpriced += sums.unpriced;
  }

  day(): DaySums {
    return {
      total: this.total.get('total') ?? empty('total'),
      byWorkflow: [...this.byWorkflow.values()],
      byAgent: [...this.byAgent.values()],
      unpriced: this.unpriced,
    };
  }
}

const empty = (key: string): CostLine => ({ key, calls: 0, promptTokens: 0, completionTokens: 0, costUsd: 0 });

function merge(map: Map<string, CostLine>, l: CostLine): void {
  const line = map.get(l.key) ?? empty(l.key);
  line.calls += l.calls;
  line.promptTokens += l.promptTokens;
  line.completionTokens += l.completionTokens;
  line.costUsd += l.costUsd;
  map.set(l.key, line);
}

/**
 * The model calls to count: a run's from its own stream (where they are written, see src/llm/events.ts), otherwise
 * every call in [from, to), page by page, so a busy day is counted whole.
 */
async function calls(
  store: Pick<Store, 'events'>,
  range: { from: Date; to?: Date; runId?: string | undefined },
): Promise<Called[]> {
  const { from, to, runId } = range;
  const out: Called[] = [];
  for (let after = 0; ;) {
    const page = (
      runId === undefined
        ? await store.events.readRange({
            from,
            ...(to && { to }),
            afterPosition: after,
            types: ['llm.called'],
            limit: PAGE,
          })
        : await store.events.readStream(`run:${runId}`, { afterSeq: after, types: ['llm.called'], limit: PAGE })
    ) as Called[];
    out.push(
      ...page.filter((e) => e.at.getTime() >= from.getTime() && (runId === undefined || e.data.runId === runId)),
    );
    if (page.length < PAGE) return out;
    after = runId === undefined ? page.at(-1)!.position : page.at(-1)!.seq;
  }
}

/** A settled day's sums: from the settings store, or counted from the log once and kept there. */
async function daySums(store: CostStore, dayStart: number): Promise<DaySums> {
  const day = new Date(dayStart).toISOString().slice(0, 10);
  const kept = await store.settings.get<DaySums>(dayKey(day));
  if (kept?.total) return kept;
  const sums = new Sums();
  await sums.addCalls(store, await calls(store, { from: new Date(dayStart), to: new Date(dayStart + DAY_MS) }));
  const counted = sums.day();
  await store.settings.set(dayKey(day), counted);
  return counted;
}

/**
 * Model cost since `days` ago (or of one run). Whole UTC days that ended over an hour ago are summed once and kept
 * (settings `costs.v1.day.<date>`), so a year costs 365 small reads, not 100k events; the part day at each end is
 * counted from the log.
 */
export async function costReport(
  store: CostStore,
  options: { days?: number; runId?: string; now?: Date } = {},
): Promise<CostReport> {
  const now = options.now ?? new Date();
  const since = new Date(now.getTime() - (options.days ?? 30) * 86_400_000);
  const sums = new Sums();
  if (options.runId !== undefined) {
    await sums.addCalls(store, await calls(store, { from: since, runId: options.runId }));
  } else {
    const firstDay = Math.ceil(since.getTime() / DAY_MS) * DAY_MS;
    const settledEnd = Math.max(firstDay, Math.floor((now.getTime() - SETTLED_MS) / DAY_MS) * DAY_MS);
    await sums.addCalls(store, await calls(store, { from: since, to: new Date(Math.min(firstDay, now.getTime())) }));
    for (let day = firstDay; day < settledEnd; day += DAY_MS)
      sums.addDay(new Date(day).toISOString().slice(0, 10), await daySums(store, day));
    if (settledEnd < now.getTime()) await sums.addCalls(store, await calls(store, { from: new Date(settledEnd) }));
  }
  return {
    since,
    total: sums.total.get('total') ?? empty('total'),
    byWorkflow: sorted(sums.byWorkflow),
    byAgent: sorted(sums.byAgent),
    byDay: [...sums.byDay.values()].sort((a, b) => b.key.localeCompare(a.key)),
    unpriced: sums.unpriced,
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
