// Schedules: "start this workflow at these times", kept as scheduler jobs (kind `schedule`, keyed by schedule id).
// A fire starts a durable run whose id comes from the schedule and the due time, so firing the same due time twice
// (after a kill -9, or in two processes) finds the run the first fire started; each fire is a `schedule.fired`
// event with its lateness. Due times missed while Solo OS was not running go through the schedule's missed-run
// policy, and the operator is told what it did before the run's own message.

import { newEvent, type EventDataMap } from '../domain/events.ts';
import { InputError } from '../domain/errors.ts';
import { randomId, stableId } from '../domain/ids.ts';
import type { OutboundMessage } from '../domain/messages.ts';
import type { Engine } from '../engine/engine.ts';
import type { Logger } from '../observability/logger.ts';
import type { RunOrigin } from '../ports/engine-store.ts';
import type { JobUpdate, ScheduledJob, SchedulerPort } from '../ports/scheduler.ts';
import type { EventLog, SettingsStore } from '../ports/store.ts';
import { z } from 'zod';
import { setting } from '../settings/setting.ts';
import { DEFAULT_MISSED, describeRule, LATE_AFTER_MS, planFires, type FirePlan, type MissedRule } from './missed.ts';
import { describeWhen, formatInstant, nextDue, type When } from './when.ts';

export const SCHEDULE_KIND = 'schedule';

/** A schedule as kept in its job's data. */
export interface Schedule {
  id: string;
  title: string;
  workflow: string;
  input: unknown;
  when: When;
  timeZone: string;
  missed: MissedRule;
  /** Where its runs' messages go first (the chat it was made in; a pseudo-chat sends them to the preferred one). */
  origin: RunOrigin;
  /** operator, system, or run:<id>. */
  by: string;
  createdAt: string;
  /** The last due time fired. */
  last?: { due: string; firedAt: string; runId: string; latenessMs: number };
  fires: number;
}

export interface NewSchedule {
  /** A stable id makes creating idempotent (a redelivered command, a replayed step); default: a new one. */
  id?: string;
  title: string;
  workflow: string;
  input?: unknown;
  when: When;
  missed?: MissedRule;
  origin: RunOrigin;
  by: string;
}

/** A schedule with what its job knows: when it is due next and whether it is paused. */
export interface ScheduleState {
  schedule: Schedule;
  next: Date | null;
  paused: boolean;
}

export interface SchedulesDeps {
  port: SchedulerPort;
  engine: Pick<Engine, 'begin' | 'workflows'>;
  events: EventLog;
  settings: SettingsStore;
  /** A proactive message, once per key (held through quiet hours). */
  notify: (message: OutboundMessage, options: { dedupeKey: string }) => Promise<unknown>;
  timeZone: string;
  logger: Logger;
  now?: () => Date;
}

/** Runs started by schedules tell their messages to the operator's preferred chat. */
export const SCHEDULER_ORIGIN: RunOrigin = { channel: 'scheduler', chatId: 'schedules' };

const stream = (id: string): string => `schedule:${id}`;
/** The run a due time starts: the same id every time that due time fires. */
export const fireRunId = (scheduleId: string, due: Date): string => stableId('r', `${scheduleId}@${due.toISOString()}`);

export class Schedules {
  readonly #d: SchedulesDeps;
  readonly #now: () => Date;
  readonly #log: Logger;

  constructor(deps: SchedulesDeps) {
    this.#d = deps;
    this.#now = deps.now ?? (() => new Date());
    this.#log = deps.logger.child({ component: 'schedules' });
    deps.port.define<Schedule>(SCHEDULE_KIND, (job) => this.fire(job));
  }

  get timeZone(): string {
    return this.#d.timeZone;
  }

  now(): Date {
    return this.#now();
  }

  /** Checks the workflow and its input, then saves the schedule; the same id again returns the one made first. */
  async create(spec: NewSchedule): Promise<ScheduleState & { created: boolean }> {
    const workflow = this.#d.engine.workflows().find((w) => w.name === spec.workflow);
    if (!workflow)
      throw new InputError(
        `There is no workflow called ${spec.workflow}; /schedule takes one of: ${this.#d.engine
          .workflows()
          .map((w) => w.name)
          .join(', ')}.`,
      );
    const input = spec.input ?? {};
    const parsed = workflow.input.safeParse(input);
    if (!parsed.success)
      throw new InputError(
        `The ${spec.workflow} workflow needs input (${parsed.error.issues[0]?.message ?? 'invalid'}), so it cannot be scheduled without it.`,
      );
    const now = this.#now();
    const schedule: Schedule = {
      id: spec.id ?? randomId('s', 6),
      title: spec.title,
      workflow: spec.workflow,
      input: parsed.data,
      when: spec.when,
      timeZone: this.#d.timeZone,
      missed: spec.missed ?? DEFAULT_MISSED,
      origin: spec.origin,
      by: spec.by,
      createdAt: now.toISOString(),
      fires: 0,
    };
    const due = spec.when.kind === 'once' ? new Date(spec.when.at) : nextDue(spec.when, now, schedule.timeZone);
    const { job, created } = await this.#d.port.save(
      SCHEDULE_KIND,
      schedule.id,
      { due, data: schedule },
      { onlyNew: true },
    );
    if (created) {
      const data = {
        scheduleId: schedule.id,
        title: schedule.title,
        workflow: schedule.workflow,
        when: describeWhen(schedule.when, schedule.timeZone, now),
        timeZone: schedule.timeZone,
        missed: describeRule(schedule.missed),
        by: schedule.by,
      };
      await this.#d.events.append(newEvent('schedule.created', stream(schedule.id), data, `schedule:${schedule.id}`));
    }
    return { schedule: job.data, next: job.due, paused: job.paused, created };
  }

  async get(id: string): Promise<ScheduleState | undefined> {
    const job = await this.#d.port.get<Schedule>(SCHEDULE_KIND, id);
    return job ? { schedule: job.data, next: job.due, paused: job.paused } : undefined;
  }

  /** Soonest first. */
  async list(limit = 50): Promise<ScheduleState[]> {
    return (await this.#d.port.list<Schedule>(SCHEDULE_KIND, { limit })).map((job) => ({
      schedule: job.data,
      next: job.due,
      paused: job.paused,
    }));
  }

  count(): Promise<{ total: number; paused: number }> {
    return this.#d.port.count(SCHEDULE_KIND);
  }

  /** The latest fire in the event log (for /status). */
  async lastFired(): Promise<EventDataMap['schedule.fired'][]> {
    const events = await this.#d.events.readRange({ types: ['schedule.fired'], newest: true, limit: 1 });
    return events.flatMap((e) => (e.type === 'schedule.fired' ? [e.data] : []));
  }

  async remove(id: string, by: string): Promise<Schedule | undefined> {
    const found = await this.get(id);
    if (!found || !(await this.#d.port.remove(SCHEDULE_KIND, id))) return undefined;
    await this.#d.events.append(newEvent('schedule.removed', stream(id), { scheduleId: id, by }));
    // A built-in schedule the operator removed stays removed after a restart.
    if (found.schedule.by === 'system' && by !== 'system') await this.#removed(id).set(true);
    return found.schedule;
  }

  #removed(id: string) {
    return setting(this.#d.settings, `schedule.removed:${id}`, z.boolean(), this.#log);
  }

  /**
   * A schedule Solo OS brings (the daily digest, memory compaction), made at start unless the operator removed it
   * once. A new time (DIGEST_TIME, TIMEZONE changed) moves it and keeps it paused if it was: nothing at start
   * un-pauses a schedule.
   */
  async ensureBuiltin(spec: NewSchedule & { id: string }): Promise<void> {
    if (await this.#removed(spec.id).get()) return;
    const found = await this.get(spec.id);
    if (!found) return void (await this.create({ ...spec, by: 'system' }));
    const { schedule } = found;
    const same =
      JSON.stringify(schedule.when) === JSON.stringify(spec.when) &&
      schedule.timeZone === this.#d.timeZone &&
      schedule.title === spec.title;
    if (same) return;
    const moved: Schedule = { ...schedule, title: spec.title, when: spec.when, timeZone: this.#d.timeZone };
    await this.#d.port.save(SCHEDULE_KIND, spec.id, {
      due: nextDue(spec.when, this.#now(), moved.timeZone),
      data: moved,
    });
  }

  /** Takes a built-in schedule away because the settings turned it off (DIGEST_TIME=off); it comes back when turned on. */
  async dropBuiltin(id: string): Promise<void> {
    if (await this.#d.port.remove(SCHEDULE_KIND, id))
      await this.#d.events.append(newEvent('schedule.removed', stream(id), { scheduleId: id, by: 'system' }));
  }

  /** Pauses; the due times that pass while paused are not run. */
  async pause(id: string, by: string): Promise<{ state: ScheduleState; changed: boolean } | undefined> {
    const found = await this.get(id);
    if (!found) return undefined;
    const changed = await this.#d.port.setPaused(SCHEDULE_KIND, id, true);
    if (changed) await this.#d.events.append(newEvent('schedule.paused', stream(id), { scheduleId: id, by }));
    return { state: { ...found, paused: true }, changed };
  }

  /** Resumes from now: a recurring schedule's next due time after now (what passed while paused is not run). */
  async resume(id: string, by: string): Promise<{ state: ScheduleState; changed: boolean } | undefined> {
    const found = await this.get(id);
    if (!found) return undefined;
    if (!found.paused) return { state: found, changed: false };
    const { schedule } = found;
    const next = schedule.when.kind === 'once' ? found.next : nextDue(schedule.when, this.#now(), schedule.timeZone);
    await this.#d.port.save(SCHEDULE_KIND, id, { due: next, data: schedule, paused: false });
    await this.#d.events.append(
      newEvent('schedule.resumed', stream(id), { scheduleId: id, by, next: next?.toISOString() ?? null }),
    );
    return { state: { schedule, next, paused: false }, changed: true };
  }

  /** The handler of a due schedule: the missed-run plan, the runs it starts, the note about missed ones, the next due time. */
  async fire(job: ScheduledJob<Schedule>): Promise<JobUpdate<Schedule>> {
    const s = job.data;
    if (!job.due) return { due: null, data: s };
    const now = this.#now();
    const plan = planFires({
      due: job.due,
      now,
      rule: s.missed,
      nextDue: (after) => nextDue(s.when, after, s.timeZone),
    });
    if (plan.fire.length === 0 && plan.missed.count === 0) return { due: plan.next, data: s };
    // Said before the run's own message, so the operator reads why a digest comes at 10:00 on a Thursday.
    if (plan.missed.count > 0) await this.#missed(s, job.due, plan);
    let data = s;
    for (const due of plan.fire) {
      const runId = fireRunId(s.id, due);
      let created: boolean;
      try {
        const begun = await this.#d.engine.begin(s.workflow, s.input, { id: runId, origin: s.origin });
        begun.done.catch((err: unknown) =>
          this.#log.error({ err, runId }, 'a scheduled run failed to execute; the orphaned-run sweep picks it up'),
        );
        created = begun.created;
      } catch (err) {
        // Anything else (the store busy) is thrown: the scheduler tries the same due time again.
        if (err instanceof InputError) return this.#failed(s, due, plan, err);
        throw err;
      }
      const latenessMs = now.getTime() - due.getTime();
      const fired = {
        scheduleId: s.id,
        workflow: s.workflow,
        due: due.toISOString(),
        firedAt: now.toISOString(),
        latenessMs,
        runId,
        created,
        catchUp: latenessMs > LATE_AFTER_MS,
        pid: process.pid,
      };
      await this.#d.events.append(
        newEvent('schedule.fired', stream(s.id), fired, `fired:${s.id}@${due.toISOString()}`),
      );
      data = {
        ...data,
        last: { due: fired.due, firedAt: fired.firedAt, runId, latenessMs },
        fires: data.fires + (created ? 1 : 0),
      };
    }
    return { due: plan.next, data };
  }

  async #missed(s: Schedule, due: Date, plan: FirePlan): Promise<void> {
    const { missed } = plan;
    const first = missed.first ?? due;
    const last = missed.last ?? due;
    const ran = plan.fire.filter((d) => d.getTime() <= last.getTime()).length;
    const key = `missed:${s.id}@${due.toISOString()}`;
    const data = {
      scheduleId: s.id,
      policy: s.missed.policy,
      missed: missed.count,
      ran,
      skipped: plan.skipped,
      first: first.toISOString(),
      last: last.toISOString(),
    };
    await this.#d.events.append(newEvent('schedule.missed', stream(s.id), data, key));
    await this.#d.notify({ text: catchUpNote(s, plan, this.#now()) }, { dedupeKey: key });
  }

  /** A fire that can never start its run (the workflow is gone, its input no longer fits): paused and said once. */
  async #failed(s: Schedule, due: Date, plan: FirePlan, err: InputError): Promise<JobUpdate<Schedule>> {
    const key = `failed:${s.id}@${due.toISOString()}`;
    await this.#d.events.append(
      newEvent(
        'schedule.failed',
        stream(s.id),
        { scheduleId: s.id, due: due.toISOString(), error: err.userMessage },
        key,
      ),
    );
    const recurring = plan.next !== null;
    if (recurring) await this.#d.port.setPaused(SCHEDULE_KIND, s.id, true);
    const what = recurring ? `It is paused: /schedules resumes or removes it.` : 'It will not run again.';
    await this.#d.notify(
      { text: `The schedule ${s.id} (${s.title}) could not start ${s.workflow}: ${err.userMessage} ${what}` },
      { dedupeKey: key },
    );
    this.#log.warn({ scheduleId: s.id, err: err.userMessage }, 'a schedule could not start its run');
    return { due: plan.next, data: s };
  }
}

/** What the missed-run policy did, in one message: how many due times were missed, when, and what runs now. */
function catchUpNote(s: Schedule, plan: FirePlan, now: Date): string {
  const at = (d: Date) => formatInstant(d, s.timeZone, now);
  const { missed } = plan;
  const count = `${missed.atLeast ? 'more than ' : ''}${missed.count}`;
  const span =
    missed.count === 1 || !missed.first || !missed.last
      ? `was due ${at(missed.first ?? now)}`
      : `was due ${count} times, ${at(missed.first)} to ${at(missed.last)}`;
  const ran = plan.fire.map(at);
  const then =
    s.missed.policy === 'skip'
      ? 'Its missed-run policy is skip, so nothing was run for them.'
      : s.missed.policy === 'once'
        ? `Its missed-run policy is run once: running it now, once${missed.count > 1 ? ` (for ${ran.at(-1) ?? 'the latest'})` : ''}.`
        : ran.length === 0
          ? `Its missed-run policy is ${describeRule(s.missed)}: none was recent enough, so nothing was run.`
          : `Its missed-run policy is ${describeRule(s.missed)}: running ${ran.length} now (${ran.join(', ')})${plan.skipped > 0 ? `; ${plan.skipped} older skipped` : ''}.`;
  const next = plan.next ? ` Next: ${at(plan.next)}.` : '';
  return `While Solo OS was not running, "${s.title}" ${span}. ${then}${next}`;
}
