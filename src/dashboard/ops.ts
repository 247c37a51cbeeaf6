// Schedules and connectors for the dashboard: each job's next and last run and how late it is, each connector's
// health. Either part shows as not configured until the composition root gives its provider.

import type { DashboardSources } from './sources.ts';

/** A provider that fails shows its error in place of its list; the rest of the page still shows. */
async function read<T>(provider: (() => Promise<T[]>) | undefined): Promise<{ items: T[] } | { error: string } | null> {
  if (!provider) return null;
  try {
    return { items: await provider() };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

export async function opsView(s: DashboardSources) {
  const now = s.engine.now();
  const [schedules, connectors] = await Promise.all([read(s.schedules), read(s.connectors)]);
  if (schedules && 'items' in schedules) {
    schedules.items = schedules.items.map((j) => ({
      ...j,
      lateMs: j.lateMs ?? (j.nextRunAt && j.nextRunAt < now ? now.getTime() - j.nextRunAt.getTime() : 0),
    }));
  }
  return { now, schedules, connectors };
}
