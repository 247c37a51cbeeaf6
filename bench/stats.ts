// Small helpers shared by the bench scripts: percentiles and aligned output.

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? NaN;
}

export function summary(values: number[], unit: string, digits = 1): string {
  const s = [...values].sort((a, b) => a - b);
  const f = (n: number) => `${n.toFixed(digits)} ${unit}`;
  return `p50 ${f(percentile(s, 50))}  p95 ${f(percentile(s, 95))}  p99 ${f(percentile(s, 99))}  (n=${s.length})`;
}

export function line(label: string, value: string, target?: string): void {
  console.log(`${label.padEnd(38)} ${value}${target ? `   [target ${target}]` : ''}`);
}
