// A day's model cost, summed once: the `llm.called` events of one calendar day in a time zone, per workflow, per
// agent and per run. A day that ended over an hour ago cannot change any more (a call is written when it ends), so
// its sums are kept in the settings store (`costs.v1.<zone>.<date>`) and read back; /costs and the dashboard's costs
// then cost one small read per day instead of every event of the range. Today (and a day just ended) is counted
// from the log each time.

import { DateTime } from 'luxon';
import type { StoredEvent } from '../domain/events.ts';
import type { Store } from '../ports/store.ts';

export type Called = Extract<StoredEvent, { type: 'llm.called' }>;
export type CostStore = Pick<Store, 'events' | 'runs' | 'settings'>;

export interface CostLine {
  key: string;
  calls: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
}

export interface DaySums {
  /** Keyed by the day. */
  total: CostLine;
  byWorkflow: CostLine[];
  byAgent: CostLine[];
  /** Cost per run (for the largest and the average run of a workflow). */
  byRun: Array<{ runId: string; workflow: string; costUsd: number }>;
  /** Calls with tokens but no price in the table. */
  unpriced: number;
}

export const CHAT = 'chat (no workflow)';
const PAGE = 5000;
/** A day is kept once it ended this long ago (a call finishing at 23:59:59 is written just after). */
const SETTLED_MS = 3_600_000;
const keyOf = (timeZone: string, day: string): string => `costs.v1.${timeZone}.${day}`;

export const emptyLine = (key: string): CostLine => ({
  key,
  calls: 0,
  promptTokens: 0,
  completionTokens: 0,
  costUsd: 0,
});

export function addTo(map: Map<string, CostLine>, l: CostLine): void {
  let line = map.get(l.key);
  if (!line) map.set(l.key, (line = emptyLine(l.key)));
  line.calls += l.calls;
  line.promptTokens += l.promptTokens;
  line.completionTokens += l.completionTokens;
  line.costUsd += l.costUsd;
}

const callLine = (key: string, e: Called): CostLine => ({
  key,
  calls: 1,
  promptTokens: e.data.promptTokens,
  completionTokens: e.data.completionTokens,
  costUsd: e.data.costUsd,
});

/** The model calls in [from, to), or of one run (from its own stream), page by page. */
export async function readCalls(
  store: Pick<Store, 'events'>,
  range: { from: Date; to?: Date | undefined; runId?: string | undefined },
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

/** Sums of a set of calls, under `key` (a day, or "total"); workflow names come from the runs. */
export async function sumCalls(store: Pick<Store, 'runs'>, calls: readonly Called[], key: string): Promise<DaySums> {
  const workflowOf = new Map<string, string>();
  for (const runId of new Set(calls.flatMap((e) => (e.data.runId ? [e.data.runId] : []))))
    workflowOf.set(runId, (await store.runs.get(runId))?.workflow ?? 'unknown run');
  const total = new Map<string, CostLine>();
  const byWorkflow = new Map<string, CostLine>();
  const byAgent = new Map<string, CostLine>();
  const byRun = new Map<string, { runId: string; workflow: string; costUsd: number }>();
  let unpriced = 0;
  for (const e of calls) {
    const workflow = e.data.runId ? (workflowOf.get(e.data.runId) ?? 'unknown run') : CHAT;
    addTo(total, callLine(key, e));
    addTo(byWorkflow, callLine(workflow, e));
    addTo(byAgent, callLine(e.data.agent ?? 'none', e));
    if (e.data.runId) {
      const run = byRun.get(e.data.runId) ?? { runId: e.data.runId, workflow, costUsd: 0 };
      run.costUsd += e.data.costUsd;
      byRun.set(e.data.runId, run);
    }
    if (e.data.costUsd === 0 && e.data.promptTokens > 0) unpriced++;
  }
  return {
    total: total.get(key) ?? emptyLine(key),
    byWorkflow: [...byWorkflow.values()],
    byAgent: [...byAgent.values()],
    byRun: [...byRun.values()],
    unpriced,
  };
}

/** Where `day` (YYYY-MM-DD) begins and ends in `timeZone`, in ms. */
export function dayBounds(day: string, timeZone: string): { start: number; end: number } {
  const start = DateTime.fromISO(day, { zone: timeZone }).startOf('day');
  return { start: start.toMillis(), end: start.plus({ days: 1 }).toMillis() };
}

/** One day's sums: kept ones when the day has settled (counting and keeping them the first time), else fresh. */
export async function daySums(store: CostStore, day: string, timeZone: string, now: Date): Promise<DaySums> {
  const { start, end } = dayBounds(day, timeZone);
  const settled = end + SETTLED_MS <= now.getTime();
  if (settled) {
    const kept = await store.settings.get<DaySums>(keyOf(timeZone, day));
    if (kept?.total && kept.byRun) return kept;
  }
  const to = new Date(Math.min(end, now.getTime() + 1));
  const sums = await sumCalls(store, await readCalls(store, { from: new Date(start), to }), day);
  if (settled) await store.settings.set(keyOf(timeZone, day), sums);
  return sums;
}
