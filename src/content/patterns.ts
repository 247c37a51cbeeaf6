// The measured pattern detector and the revised calendar it leads to. Pure: pieces in, findings and a plan out.
//
// Statistic: each measured piece has one rate (opens / recipients for a newsletter, views / impressions for a
// video). Within one metric (rates of different metrics are never compared), a topic's pieces are set against the
// metric's other pieces: a finding needs at least MIN_N pieces on each side, the topic's mean rate at least MIN_LIFT
// (25 %) above or below the others' mean, and Welch's t at least MIN_T (2.0, roughly a 95 % two-sided test at these
// sample sizes). Welch because the groups are small and unequal, with unequal spread; the mean of per-piece rates
// (not pooled opens) so one huge send cannot speak for a whole topic.

import type { Piece, Priority } from './pieces.ts';

const MIN_N = 3;
const MIN_LIFT = 0.25;
const MIN_T = 2;

export interface Finding {
  topic: string;
  metric: string;
  direction: 'over' | 'under';
  mean: number;
  othersMean: number;
  n: number;
  othersN: number;
  /** (mean - othersMean) / othersMean. */
  lift: number;
  t: number;
}

/** A topic that was looked at and not reported, with why (so "no pattern" is explained too). */
export interface Unclear {
  topic: string;
  metric: string;
  reason: string;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const variance = (xs: number[]): number => {
  const m = mean(xs);
  return xs.reduce((a, x) => a + (x - m) ** 2, 0) / Math.max(1, xs.length - 1);
};

/** Welch's t for two samples; Infinity when both are constant and differ. */
export function welchT(a: number[], b: number[]): number {
  const se = Math.sqrt(variance(a) / a.length + variance(b) / b.length);
  const diff = mean(a) - mean(b);
  if (se === 0) return diff === 0 ? 0 : Math.sign(diff) * Infinity;
  return diff / se;
}

/** The rate a piece is measured by: its latest metric. */
const rateOf = (p: Piece): { metric: string; value: number } | undefined => p.metrics.at(-1);

export function detectPatterns(pieces: Piece[]): { findings: Finding[]; unclear: Unclear[] } {
  const findings: Finding[] = [];
  const unclear: Unclear[] = [];
  const byMetric = new Map<string, Array<{ topic: string; value: number }>>();
  for (const p of pieces) {
    const r = rateOf(p);
    if (r) byMetric.set(r.metric, [...(byMetric.get(r.metric) ?? []), { topic: p.topic, value: r.value }]);
  }
  for (const [metric, rows] of byMetric) {
    for (const topic of [...new Set(rows.map((r) => r.topic))].sort()) {
      const mine = rows.filter((r) => r.topic === topic).map((r) => r.value);
      const others = rows.filter((r) => r.topic !== topic).map((r) => r.value);
      if (mine.length < MIN_N || others.length < MIN_N) {
        unclear.push({
          topic,
          metric,
          reason: `${mine.length} vs ${others.length} pieces measured, ${MIN_N} each needed`,
        });
        continue;
      }
      const m = mean(mine);
      const o = mean(others);
      const lift = o === 0 ? (m === 0 ? 0 : Infinity) : (m - o) / o;
      const t = welchT(mine, others);
      if (Math.abs(lift) < MIN_LIFT)
        unclear.push({ topic, metric, reason: `${pct(m)} vs ${pct(o)}: within ${Math.round(MIN_LIFT * 100)} %` });
      else if (Math.abs(t) < MIN_T)
        unclear.push({ topic, metric, reason: `${pct(m)} vs ${pct(o)} but too scattered (t = ${t.toFixed(1)})` });
      // Journaled as JSON, where Infinity would become null: a certain difference is kept as ±999.
      else
        findings.push({
          topic,
          metric,
          direction: lift > 0 ? 'over' : 'under',
          mean: m,
          othersMean: o,
          n: mine.length,
          othersN: others.length,
          lift: cap(lift),
          t: cap(t),
        });
    }
  }
  return { findings, unclear };
}

const cap = (x: number): number => Math.max(-CAP, Math.min(CAP, x));
const CAP = 999;

const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;

export function describeFinding(f: Finding): string {
  const metric = f.metric.replace('_', ' ');
  const t = Math.abs(f.t) >= CAP ? (f.t > 0 ? '∞' : '-∞') : f.t.toFixed(1);
  return `${f.topic} ${f.direction === 'over' ? 'over' : 'under'}-performs: ${metric} ${pct(f.mean)} over ${f.n} pieces vs ${pct(f.othersMean)} over ${f.othersN} others (${f.lift > 0 ? '+' : ''}${Math.round(f.lift * 100)} %, Welch t = ${t})`;
}

export interface PlanRow {
  id: string;
  title: string;
  topic: string;
  priority: Priority;
  publishOn?: string;
}

export interface Plan {
  current: PlanRow[];
  proposed: PlanRow[];
  /** Pieces whose priority or date the proposal changes. */
  changed: string[];
}

const RANK: Record<Priority, number> = { high: 0, normal: 1, low: 2 };
const byDate = (a: PlanRow, b: PlanRow): number =>
  (a.publishOn ?? '9999').localeCompare(b.publishOn ?? '9999') || a.id.localeCompare(b.id, 'en', { numeric: true });

/**
 * The revised calendar: planned pieces on an over-performing topic get high priority, on an under-performing one
 * low; the publishing dates already taken are handed out again in order of priority (earliest date to the highest
 * priority; ties keep their order), so the plan keeps its rhythm and the strong topic comes first.
 */
export function revisePlan(pieces: Piece[], findings: Finding[]): Plan {
  const planned = pieces.filter((p) => p.stage !== 'published');
  const current: PlanRow[] = planned
    .map((p) => ({
      id: p.id,
      title: p.title,
      topic: p.topic,
      priority: p.priority,
      ...(p.publishOn ? { publishOn: p.publishOn } : {}),
    }))
    .sort(byDate);
  const verdict = new Map(findings.map((f) => [f.topic, f.direction]));
  const reprioritised = current.map((r): PlanRow => {
    const d = verdict.get(r.topic);
    return { ...r, priority: d === 'over' ? 'high' : d === 'under' ? 'low' : r.priority };
  });
  const dated = reprioritised.filter((r) => r.publishOn);
  const dates = dated.map((r) => r.publishOn!).sort();
  const order = [...dated].sort((a, b) => RANK[a.priority] - RANK[b.priority] || byDate(a, b));
  const newDate = new Map(order.map((r, i) => [r.id, dates[i]!]));
  const proposed = reprioritised
    .map((r) => (newDate.has(r.id) ? { ...r, publishOn: newDate.get(r.id)! } : r))
    .sort(byDate);
  const before = new Map(current.map((r) => [r.id, r]));
  const changed = proposed
    .filter((r) => before.get(r.id)?.priority !== r.priority || before.get(r.id)?.publishOn !== r.publishOn)
    .map((r) => r.id);
  return { current, proposed, changed };
}
