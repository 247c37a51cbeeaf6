// Follow-ups a workflow sets ("a follow-up scheduled 7 days later", "a polite reminder once it is overdue"): a
// one-off schedule made inside a journaled step, its id derived from the step's idempotency key, so a replay after a
// crash finds the schedule it made instead of making a second. It says a reminder text (held by quiet hours: Solo
// OS starts it on its own) or starts another workflow. Visible in /schedules and in the daily digest.

import { DateTime } from 'luxon';
import { stableId } from '../domain/ids.ts';
import type { WorkflowContext } from '../engine/workflow.ts';
import type { RunOrigin } from '../ports/engine-store.ts';
import type { Schedules } from './schedules.ts';

export interface FollowUpSpec {
  /** When: an ISO instant, or a delay from now (days are calendar days in the operator's zone: 10:00 stays 10:00). */
  at?: string;
  after?: { days?: number; hours?: number; minutes?: number };
  /** Shown in /schedules and the digest. */
  title: string;
  /** The reminder to say (the `reminder` workflow); or, instead, a workflow to start with its input. */
  text?: string;
  workflow?: string;
  input?: unknown;
}

export interface FollowUps {
  /** Makes the follow-up once per key; the same key again returns the one made first. */
  schedule(
    key: string,
    spec: FollowUpSpec,
    from: { runId: string; origin: RunOrigin },
  ): Promise<{ id: string; due: string }>;
  /** Removes a follow-up that is no longer needed (the invoice was paid); false when it was not there. */
  cancel(id: string, by: string): Promise<boolean>;
}

export function followUps(schedules: () => Promise<Schedules>): FollowUps {
  return {
    async schedule(key, spec, from) {
      const s = await schedules();
      const now = DateTime.fromJSDate(s.now(), { zone: s.timeZone });
      const at = spec.at
        ? DateTime.fromISO(spec.at)
        : now.plus({ days: spec.after?.days ?? 0, hours: spec.after?.hours ?? 0, minutes: spec.after?.minutes ?? 0 });
      if (!at.isValid) throw new Error(`a follow-up needs a valid time, got ${spec.at}`);
      const iso = at.toUTC().toISO();
      const { schedule, next } = await s.create({
        id: stableId('s', `follow-up:${key}`, 6),
        title: spec.title,
        workflow: spec.workflow ?? 'reminder',
        input: spec.workflow ? spec.input : { text: spec.text ?? spec.title, hold: true },
        when: { kind: 'once', at: iso, text: 'follow-up' },
        origin: from.origin,
        by: `run:${from.runId}`,
      });
      return { id: schedule.id, due: next?.toISOString() ?? iso };
    },
    async cancel(id, by) {
      return (await (await schedules()).remove(id, by)) !== undefined;
    },
  };
}

/** In a workflow: `await followUp(ctx, 'chase', followUps, { after: { days: 7 }, title: 'Has Acme paid INV-0042?' })`. */
export function followUp(
  ctx: WorkflowContext,
  stepId: string,
  f: FollowUps,
  spec: FollowUpSpec,
): Promise<{ id: string; due: string }> {
  return ctx.step(stepId, ({ idempotencyKey }) =>
    f.schedule(idempotencyKey, spec, { runId: ctx.runId, origin: ctx.origin }),
  );
}

/** In a workflow: removes a follow-up it set earlier (a journaled step: done once). */
export function cancelFollowUp(ctx: WorkflowContext, stepId: string, f: FollowUps, id: string): Promise<boolean> {
  return ctx.step(stepId, () => f.cancel(id, `run:${ctx.runId}`));
}
