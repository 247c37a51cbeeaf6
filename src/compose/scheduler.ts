// The scheduler's part of Solo OS. At start-up: the workflows schedules start (reminder, digest, compaction),
// registered before runs cut short by the last stop are recovered. Once the rest is up, in the background (Agenda,
// cron-parser, luxon and chrono-node load then, not before the chat answers): the scheduler on the store's own
// file or database, the schedules, the built-in timers (approval expiry, orphaned runs, the quiet-hours release),
// and the built-in schedules (the daily digest at DIGEST_TIME, memory compaction weekly).

import type { AgentsPart } from './agents.ts';
import { digestSummariser } from '../agents/summarise.ts';
import type { Config } from '../config.ts';
import type { SchedulingApi } from '../commands/schedules.ts';
import type { Delivery } from '../delivery/delivery.ts';
import type { Engine } from '../engine/engine.ts';
import type { AnyWorkflow } from '../engine/workflow.ts';
import { compactMemories } from '../memory/compaction.ts';
import type { MemoryService } from '../memory/memory.ts';
import type { Logger } from '../observability/logger.ts';
import type { CalendarPort } from '../ports/calendar.ts';
import type { Store } from '../ports/store.ts';
import type { FollowUps } from '../scheduling/follow-ups.ts';
import type { Schedules } from '../scheduling/schedules.ts';
import type { Timers } from '../scheduling/timers.ts';
import type { When } from '../scheduling/when.ts';
import { compactionWorkflow } from '../workflows/compaction.ts';
import type { ScheduleStatus } from '../dashboard/sources.ts';
import { digestWorkflow, type DigestDeps } from '../workflows/digest.ts';
import { reminderWorkflow } from '../workflows/reminder.ts';
import type { AgendaScheduler } from '../../adapters/scheduler/agenda/scheduler.ts';

export interface SchedulingParts {
  config: Config;
  store: Store;
  engine: Engine;
  delivery: Delivery;
  memory: MemoryService;
  agents: AgentsPart;
  logger: Logger;
}

export interface SchedulingPart {
  /** The workflows schedules start; register them with the engine before recover(). */
  workflows: AnyWorkflow[];
  /** Starts the scheduler in the background (once). */
  start(): void;
  /** The running scheduler, once it runs; rejects with one sentence when it could not start. */
  ready(): Promise<SchedulingApi>;
  /** For workflows that set follow-ups: `followUp(ctx, step, scheduling.followUps, spec)` (src/scheduling/follow-ups.ts). */
  followUps: FollowUps;
  /** /status lines. */
  status(): Promise<string[]>;
  /** The schedules as the dashboard and /metrics show them (none until the scheduler runs). */
  jobs(): Promise<ScheduleStatus[]>;
  stop(): Promise<void>;
}

interface Running extends SchedulingApi {
  port: AgendaScheduler;
  timers: Timers;
}

const QUIET_RELEASE = 'quiet-hours release';
const STOP_WAIT_MS = 1500;
const JOBS_LIMIT = 200;
const DIGEST_SCHEDULE = 'digest';
const COMPACTION_SCHEDULE = 'compaction';

export function composeScheduling(p: SchedulingParts): SchedulingPart {
  const log = p.logger.child({ component: 'scheduling' });
  let booting: Promise<Running> | undefined;
  let failure: string | undefined;
  let calendar: Promise<CalendarPort | undefined> | undefined;

  const digestDeps = async (): Promise<DigestDeps> => {
    const digest = await import('../scheduling/digest.ts');
    return {
      collect: (now) =>
        digest.collectDigest(
          {
            approvals: p.store.approvals,
            events: p.store.events,
            followUps: async (until) => {
              const { schedules } = await ready();
              return (await schedules.list(200)).flatMap((s) =>
                s.schedule.by.startsWith('run:') && !s.paused && s.next && s.next < until
                  ? [{ id: s.schedule.id, title: s.schedule.title, due: s.next }]
                  : [],
              );
            },
            ...(p.config.CALDAV_URL ? { calendar: () => (calendar ??= connectCalendar(p)) } : {}),
            timeZone: p.config.TIMEZONE,
          },
          now,
        ),
      isEmpty: digest.isEmpty,
      render: digest.renderDigest,
      message: digest.digestMessage,
      agents: p.agents.agents,
      notify: (message, options) => p.delivery.notify(message, options),
      sendEmpty: p.config.DIGEST_WHEN_EMPTY === 'send',
    };
  };

  const workflows: AnyWorkflow[] = [
    reminderWorkflow((message, options) => p.delivery.notify(message, options)),
    digestWorkflow(digestDeps),
    compactionWorkflow(async (olderThanDays) => {
      const summarise = digestSummariser(p.agents.agents());
      const report = await compactMemories(p.memory, p.store, { olderThanDays, ...(summarise ? { summarise } : {}) });
      return { digests: report.digests.length, compacted: report.compacted, method: report.method };
    }),
  ];

  const boot = async (): Promise<Running> => {
    const [{ AgendaScheduler }, { Schedules, SCHEDULER_ORIGIN }, { Timers }, when] = await Promise.all([
      import('../../adapters/scheduler/agenda/scheduler.ts'),
      import('../scheduling/schedules.ts'),
      import('../scheduling/timers.ts'),
      import('../scheduling/when.ts'),
    ]);
    const store = p.config.MONGODB_URI
      ? { kind: 'mongodb' as const, uri: p.config.MONGODB_URI }
      : { kind: 'sqlite' as const, database: p.store.location };
    const port = new AgendaScheduler({ store, logger: p.logger });
    const schedules = new Schedules({
      port,
      engine: p.engine,
      events: p.store.events,
      settings: p.store.settings,
      timeZone: p.config.TIMEZONE,
      logger: p.logger,
      notify: (message, options) => p.delivery.notify(message, options),
    });
    const timers = new Timers(
      port,
      [...p.engine.timers(), { name: QUIET_RELEASE, run: () => p.delivery.releaseHeld() }],
      p.logger,
    );
    await port.start();
    await timers.install();
    await p.delivery.releaseWith((at) => timers.wake(QUIET_RELEASE, at));
    await builtins(p.config, schedules, SCHEDULER_ORIGIN);
    log.info({ timeZone: p.config.TIMEZONE, ...port.state() }, 'the scheduler is running');
    return { port, schedules, timers, when };
  };

  const ready = (): Promise<Running> => {
    if (!booting) return Promise.reject(new Error('the scheduler has not started yet.'));
    return booting;
  };

  // A run recovered before the scheduler starts waits for it. Loaded on first use, like the rest of the scheduler.
  let begun: (running: Promise<Running>) => void = () => undefined;
  const started = new Promise<Running>((resolve) => (begun = resolve));
  const followUps = async (): Promise<FollowUps> =>
    (await import('../scheduling/follow-ups.ts')).followUps(async () => (await started).schedules);

  return {
    workflows,
    followUps: {
      schedule: async (key, spec, from) => (await followUps()).schedule(key, spec, from),
      cancel: async (id, by) => (await followUps()).cancel(id, by),
    },
    start() {
      booting ??= boot();
      begun(booting);
      booting.catch((err: unknown) => {
        failure = (err as Error).message;
        log.error(
          { err },
          'the scheduler could not start: schedules, reminders and the digest do not run until a restart',
        );
      });
    },
    ready: async () => {
      try {
        return await ready();
      } catch (err) {
        throw new Error(`the scheduler could not start (${(err as Error).message.replace(/\.$/, '')}); see the log.`, {
          cause: err,
        });
      }
    },
    async status() {
      if (failure) return [`Scheduler: failed: ${failure}; schedules do not run until a restart`];
      const running = await Promise.race([booting, after(200)]);
      if (!running) return ['Scheduler: starting'];
      return statusLines(running);
    },
    async jobs() {
      const running =
        booting && !failure ? await Promise.race([booting.catch(() => undefined), after(200)]) : undefined;
      if (!running) return [];
      return (await running.schedules.list(JOBS_LIMIT)).map(({ schedule: s, next, paused }) => ({
        name: paused ? `${s.title} (paused)` : s.title,
        schedule: s.when.text,
        ...(next ? { nextRunAt: next } : {}),
        ...(s.last ? { lastRunAt: new Date(s.last.firedAt), lateMs: s.last.latenessMs } : {}),
      }));
    },
    async stop() {
      if (!booting) return;
      const running = await Promise.race([booting.catch(() => undefined), after(STOP_WAIT_MS)]);
      await running?.port.stop();
    },
  };
}

const after = (ms: number): Promise<undefined> =>
  new Promise((resolve) => setTimeout(() => resolve(undefined), ms).unref());

async function builtins(
  config: Config,
  schedules: Schedules,
  origin: { channel: string; chatId: string },
): Promise<void> {
  if (config.DIGEST_TIME === 'off') await schedules.dropBuiltin(DIGEST_SCHEDULE);
  else {
    const [hour = '8', minute = '0'] = config.DIGEST_TIME.split(':');
    const when: When = {
      kind: 'cron',
      cron: `${Number(minute)} ${Number(hour)} * * *`,
      text: `every day at ${config.DIGEST_TIME}`,
    };
    await schedules.ensureBuiltin({
      id: DIGEST_SCHEDULE,
      title: 'Daily digest',
      workflow: 'digest',
      when,
      origin,
      by: 'system',
    });
  }
  const weekly: When = { kind: 'cron', cron: '0 3 * * 0', text: 'every Sunday at 03:00' };
  await schedules.ensureBuiltin({
    id: COMPACTION_SCHEDULE,
    title: 'Memory compaction',
    workflow: 'compaction',
    when: weekly,
    origin,
    by: 'system',
  });
}

async function statusLines(r: Running): Promise<string[]> {
  const state = r.port.state();
  const [count, [next]] = await Promise.all([r.schedules.count(), r.schedules.list(1)]);
  const now = r.schedules.now();
  const zone = r.schedules.timeZone;
  const soonest = next?.next ? `; next: ${next.schedule.title}, ${r.when.formatInstant(next.next, zone, now)}` : '';
  const lines = [
    `Scheduler: ${state.status} on ${state.backend}, polls every ${state.pollMs / 1000} s, times in ${zone}; ${count.total} schedule${count.total === 1 ? '' : 's'}${count.paused ? ` (${count.paused} paused)` : ''}${soonest}`,
  ];
  const [fired] = await r.schedules.lastFired();
  if (fired)
    lines.push(
      `Last fire: ${fired.scheduleId} at ${r.when.formatInstant(new Date(fired.firedAt), zone, now)}, ${(fired.latenessMs / 1000).toFixed(2)} s after due${fired.catchUp ? ' (catch-up)' : ''}`,
    );
  lines.push(`Built-in jobs: ${r.timers.describe()}`);
  return lines;
}

/** The calendar connector for the digest's "today" section (loaded on the first digest). */
async function connectCalendar(p: SchedulingParts): Promise<CalendarPort | undefined> {
  const { createCalendarConnector } = await import('../../adapters/connectors/calendar/index.ts');
  return createCalendarConnector(p.config, p.logger.child({ component: 'calendar' }), { timeZone: p.config.TIMEZONE });
}
