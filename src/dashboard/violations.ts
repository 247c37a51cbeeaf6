// Policy violations for the dashboard: what was stopped, by which rule, and where that rule is written (the file
// and line in force now; a rule edited since may have moved).

import type { StoredEvent } from '../domain/events.ts';
import type { DashboardSources } from './sources.ts';

type Violation = Extract<StoredEvent, { type: 'policy.violation' }>;
const DAY_MS = 86_400_000;

export async function violationsView(s: DashboardSources, days: number) {
  const now = s.engine.now();
  const events = (
    await s.store.events.readRange({
      from: new Date(now.getTime() - days * DAY_MS),
      types: ['policy.violation'],
      newest: true,
      limit: 500,
    })
  ).filter((e): e is Violation => e.type === 'policy.violation');
  const places = new Map<string, Promise<{ file: string; line?: number } | undefined>>();
  const where = (policy: string, rule: string) => {
    const key = `${policy}\0${rule}`;
    let found = places.get(key);
    if (!found) places.set(key, (found = s.policies.locate(policy, rule)));
    return found;
  };
  const violations = await Promise.all(
    events.reverse().map(async (e) => {
      const place = e.data.policy === 'untrusted' ? undefined : await where(e.data.policy, e.data.rule);
      return {
        at: e.at,
        policy: e.data.policy,
        rule: e.data.rule,
        stopped: e.data.detail,
        ...(e.data.runId ? { runId: e.data.runId } : {}),
        ...(e.data.agent ? { agent: e.data.agent } : {}),
        file: place?.file ?? null,
        line: place?.line ?? null,
      };
    }),
  );
  return { violations };
}
