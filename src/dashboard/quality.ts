// Quality over time per agent version (agent + prompt version, what /compare and /promote change): success rate,
// approval rate, how often the operator edited a draft before approving it, tokens and cost per run, latency —
// overall and per day, with the promotions in the window, so a promotion's effect shows.
//
// Success: of the finished runs a version took part in, those that completed; for a version that served no run
// (the router answering chat), its calls that returned a valid answer out of all its calls.

import type { ApprovalRecord } from '../ports/engine-store.ts';
import { dayIn } from '../policy/budgets.ts';
import { systemTimeZone } from '../policy/schema.ts';
import { dayRange } from './costs.ts';
import type { DashboardSources } from './sources.ts';

const DAY_MS = 86_400_000;
/** Approvals looked up for the edit rate (each is one store read). */
const MAX_APPROVALS = 1000;

interface Bucket {
  calls: number;
  failures: number;
  tokens: number;
  costUsd: number;
  latencies: number[];
  runs: Set<string>;
}

const bucket = (): Bucket => ({ calls: 0, failures: 0, tokens: 0, costUsd: 0, latencies: [], runs: new Set() });

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? null;
}

const ratio = (n: number, d: number): number | null => (d === 0 ? null : n / d);

export async function qualityView(s: DashboardSources, days: number) {
  const now = s.engine.now();
  const timeZone = s.policies.current().budgets.time_zone ?? systemTimeZone();
  const dayKeys = dayRange(now, days, timeZone);
  const events = await s.store.events.readRange({
    from: new Date(now.getTime() - (days + 1) * DAY_MS),
    types: ['agent.ran', 'llm.failed', 'run.finished', 'approval.requested', 'approval.decided', 'agent.promoted'],
  });
  const inWindow = events.filter((e) => dayKeys.includes(dayIn(e.at, timeZone)));
  const finished = new Map<string, string>();
  const approvalsOfRun = new Map<string, string[]>();
  const decided = new Map<string, string>();
  for (const e of events) {
    if (e.type === 'run.finished') finished.set(e.data.runId, e.data.status);
    if (e.type === 'approval.requested')
      approvalsOfRun.set(e.data.runId, [...(approvalsOfRun.get(e.data.runId) ?? []), e.data.approvalId]);
    if (e.type === 'approval.decided') decided.set(e.data.approvalId, e.data.decision);
  }
  // A run's approvals that were approved after an edit (the edited text lives on the approval record).
  const approvedIds = [...decided.entries()]
    .filter(([, d]) => d === 'approved')
    .map(([id]) => id)
    .slice(0, MAX_APPROVALS);
  const records = new Map<string, ApprovalRecord>();
  for (const id of approvedIds) {
    const a = await s.store.approvals.get(id);
    if (a) records.set(id, a);
  }

  const versions = new Map<
    string,
    { agent: string; version: string; promptVersion: string; all: Bucket; perDay: Map<string, Bucket> }
  >();
  const entry = (agent: string, version: string, promptVersion: string) => {
    const key = `${agent}\0${promptVersion}`;
    let v = versions.get(key);
    if (!v) versions.set(key, (v = { agent, version, promptVersion, all: bucket(), perDay: new Map() }));
    return v;
  };
  const lastVersion = new Map<string, { version: string; promptVersion: string }>();
  for (const e of inWindow) {
    if (e.type === 'agent.ran') {
      const d = e.data;
      lastVersion.set(d.agent, { version: d.version, promptVersion: d.promptVersion });
      const v = entry(d.agent, d.version, d.promptVersion);
      const day = dayIn(e.at, timeZone);
      const perDay = v.perDay.get(day) ?? bucket();
      v.perDay.set(day, perDay);
      for (const b of [v.all, perDay]) {
        b.calls++;
        b.tokens += d.promptTokens + d.completionTokens;
        b.costUsd += d.costUsd;
        b.latencies.push(d.latencyMs);
        if (d.runId) b.runs.add(d.runId);
      }
    } else if (e.type === 'llm.failed' && e.data.agent) {
      // A failed call records no prompt version: it counts against the version the agent ran last.
      const last = lastVersion.get(e.data.agent);
      if (!last) continue;
      const v = entry(e.data.agent, last.version, last.promptVersion);
      const day = dayIn(e.at, timeZone);
      const perDay = v.perDay.get(day) ?? bucket();
      v.perDay.set(day, perDay);
      v.all.failures++;
      perDay.failures++;
    }
  }

  const rates = (b: Bucket) => {
    const runs = [...b.runs];
    const done = runs.filter((r) => finished.has(r));
    const approvals = runs.flatMap((r) => approvalsOfRun.get(r) ?? []).filter((a) => decided.has(a));
    const approved = approvals.filter((a) => decided.get(a) === 'approved');
    const edited = approved.filter((a) => records.get(a)?.editedText !== undefined);
    const sorted = [...b.latencies].sort((x, y) => x - y);
    const per = runs.length || b.calls;
    return {
      calls: b.calls,
      failures: b.failures,
      runs: runs.length,
      successRate:
        done.length > 0
          ? ratio(done.filter((r) => finished.get(r) === 'completed').length, done.length)
          : ratio(b.calls, b.calls + b.failures),
      approvalRate: ratio(approved.length, approvals.length),
      editRate: ratio(edited.length, approved.length),
      tokensPerRun: per ? b.tokens / per : null,
      costPerRunUsd: per ? b.costUsd / per : null,
      latencyP50Ms: percentile(sorted, 50),
      latencyP95Ms: percentile(sorted, 95),
    };
  };

  return {
    days: dayKeys,
    versions: [...versions.values()]
      .sort((a, b) => a.agent.localeCompare(b.agent) || a.promptVersion.localeCompare(b.promptVersion))
      .map((v) => ({
        agent: v.agent,
        version: v.version,
        promptVersion: v.promptVersion,
        label: `${v.agent} ${v.promptVersion}`,
        ...rates(v.all),
        perDay: dayKeys.map((d) => {
          const b = v.perDay.get(d);
          return b ? { day: d, ...rates(b) } : { day: d, calls: 0 };
        }),
      })),
    promotions: inWindow.flatMap((e) =>
      e.type === 'agent.promoted'
        ? [{ at: e.at, agent: e.data.agent, promptVersion: e.data.promptVersion, previous: e.data.previous }]
        : [],
    ),
  };
}
