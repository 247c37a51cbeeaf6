// Schedules from chat: /schedule <workflow> <when>, /remind <when> <what>, /schedules (next run, last run, status,
// with Pause/Resume buttons), /unschedule <id>, and /digest (the daily digest now, here). Times are read in the
// operator's zone (TIMEZONE). Ids come from the update, so a redelivered command makes no second schedule. The
// scheduler starts in the background after start-up; a command that needs it waits for it.

import { stableId } from '../domain/ids.ts';
import { truncate } from '../domain/text.ts';
import type { ButtonSpec } from '../domain/messages.ts';
import type { Engine } from '../engine/engine.ts';
import type { InboundContext } from '../inbound/context.ts';
import type { RunStore } from '../ports/engine-store.ts';
import { describeRule, readMissedOption } from '../scheduling/missed.ts';
import type { Schedules, ScheduleState } from '../scheduling/schedules.ts';
import type * as WhenModule from '../scheduling/when.ts';
import { Registry, type CommandFamily } from './registry.ts';

/** What the commands use once the scheduler runs. */
export interface SchedulingApi {
  schedules: Schedules;
  when: typeof WhenModule;
}

export interface ScheduleDeps {
  /** Resolves once the scheduler runs; rejects with one sentence when it could not start. */
  scheduling: () => Promise<SchedulingApi>;
  engine: Pick<Engine, 'start' | 'workflows'>;
  runs: Pick<RunStore, 'get'>;
}

const ACTION = 'sc';
const LIST_LIMIT = 20;
const BUTTONS_LIMIT = 10;
const by = (ctx: InboundContext): string => `${ctx.event.channel}:${ctx.event.senderId}`;
const idFor = (ctx: InboundContext): string =>
  stableId('s', `${ctx.event.channel}:${ctx.event.chatId}:${ctx.event.id}`, 6);
const button = (label: string, verb: 'pause' | 'resume' | 'remove', id: string): ButtonSpec => ({
  label,
  data: `${ACTION}:${verb}:${id}`,
});

function controls(state: ScheduleState): ButtonSpec[] {
  const id = state.schedule.id;
  return [state.paused ? button('Resume', 'resume', id) : button('Pause', 'pause', id), button('Remove', 'remove', id)];
}

export function scheduleCommands(d: ScheduleDeps): CommandFamily {
  /** "every day at 08:00 · next Tue 31 Mar 08:00" with the zone when it is not the operator's. */
  const describe = (api: SchedulingApi, state: ScheduleState): string => {
    const { schedule } = state;
    const now = api.schedules.now();
    const zone = schedule.timeZone === api.schedules.timeZone ? '' : ` (${schedule.timeZone})`;
    const when = `${api.when.describeWhen(schedule.when, schedule.timeZone, now)}${zone}`;
    if (state.paused) return `${when} · paused`;
    if (schedule.when.kind === 'once') return when;
    return `${when} · ${state.next ? `next ${api.when.formatInstant(state.next, schedule.timeZone, now)}` : 'done'}`;
  };

  const lastRun = async (api: SchedulingApi, state: ScheduleState): Promise<string> => {
    const last = state.schedule.last;
    if (!last) return 'not run yet';
    const run = await d.runs.get(last.runId);
    const late =
      last.latenessMs > 60_000
        ? `${Math.round(last.latenessMs / 60_000)} min late`
        : `${(last.latenessMs / 1000).toFixed(2)} s late`;
    return `last ${api.when.formatInstant(new Date(last.firedAt), state.schedule.timeZone, api.schedules.now())} (${run?.status ?? 'run not found'}, ${late})`;
  };

  const api = async (ctx: InboundContext): Promise<SchedulingApi | undefined> => {
    try {
      return await d.scheduling();
    } catch (err) {
      await ctx.reply(`Schedules are not available: ${(err as Error).message}`);
      return undefined;
    }
  };

  const act = async (ctx: InboundContext, arg: string): Promise<void> => {
    const [verb = '', id = ''] = arg.split(':');
    const s = await api(ctx);
    if (!s) return;
    if (verb === 'remove') return unschedule(ctx, s, id);
    if (verb !== 'pause' && verb !== 'resume')
      return void (await ctx.reply('That button is not one I know, so nothing was changed.'));
    const result = verb === 'pause' ? await s.schedules.pause(id, by(ctx)) : await s.schedules.resume(id, by(ctx));
    if (!result)
      return void (await ctx.reply(`There is no schedule ${truncate(id, 20)} any more; /schedules lists them.`));
    const { state, changed } = result;
    const what = `${state.schedule.id} (${state.schedule.title})`;
    const text =
      verb === 'pause'
        ? `${changed ? 'Paused' : 'Already paused:'} ${what}. Its due times are not run while it is paused.`
        : `${changed ? 'Resumed' : 'Already running:'} ${what}: ${describe(s, state)}.`;
    await ctx.reply({ text, buttons: controls(state) });
  };

  const unschedule = async (ctx: InboundContext, s: SchedulingApi, id: string): Promise<void> => {
    if (!id) return void (await ctx.reply('Which schedule? Give its id; /schedules lists them.'));
    const removed = await s.schedules.remove(id, by(ctx));
    if (!removed) return void (await ctx.reply(`There is no schedule ${truncate(id, 20)}; /schedules lists them.`));
    await ctx.reply(
      `Removed ${removed.id} (${removed.title}, ${s.when.describeWhen(removed.when, removed.timeZone, s.schedules.now())}).`,
    );
  };

  const created = async (
    ctx: InboundContext,
    s: SchedulingApi,
    state: ScheduleState & { created: boolean },
    lead: string,
  ): Promise<void> => {
    const { schedule } = state;
    const zone = schedule.timeZone;
    const missed =
      schedule.when.kind === 'cron' ? ` If missed while Solo OS is not running: ${describeRule(schedule.missed)}.` : '';
    await ctx.reply({
      text: `${lead} ${schedule.id}: ${schedule.title}, ${describe(s, state)} (${zone}).${missed}`,
      buttons: controls(state),
    });
  };

  return new Registry()
    .command({
      name: 'schedule',
      usage: '<workflow> <when> [missed: skip|once|all within 12h]',
      description:
        'run a workflow at times: every weekday at 8:00, every Monday 9am, on the 1st of every month, a cron expression, or once',
      run: async (ctx, args) => {
        const option = readMissedOption(args.trim());
        if ('error' in option) return void (await ctx.reply(option.error));
        const [name = '', ...rest] = option.text.trim().split(/\s+/);
        const workflow = name.toLowerCase();
        if (workflow === 'reminder')
          return void (await ctx.reply(
            'For a reminder use /remind <when> <what>, e.g. /remind every Monday 9am water the plants.',
          ));
        const ready = d.engine
          .workflows()
          .filter((w) => w.input.safeParse({}).success)
          .map((w) => w.name);
        if (!ready.includes(workflow)) {
          const lead = name
            ? `I cannot schedule ${truncate(name, 40)}: it is not a workflow that runs without input.`
            : 'Schedule which workflow, when? e.g. /schedule digest every weekday at 8:00.';
          return void (await ctx.reply(
            `${lead} Workflows that can be scheduled: ${ready.join(', ')}. For a reminder: /remind <when> <what>.`,
          ));
        }
        const s = await api(ctx);
        if (!s) return;
        const parsed = s.when.parseWhen(rest.join(' '), { now: s.schedules.now(), timeZone: s.schedules.timeZone });
        if ('error' in parsed) return void (await ctx.reply(parsed.error));
        const state = await s.schedules.create({
          id: idFor(ctx),
          title: workflow,
          workflow,
          when: parsed.when,
          origin: { channel: ctx.event.channel, chatId: ctx.event.chatId },
          by: by(ctx),
          ...(option.rule ? { missed: option.rule } : {}),
        });
        await created(ctx, s, state, state.created ? 'Scheduled' : 'Already scheduled:');
      },
    })
    .command({
      name: 'remind',
      usage: '<when> <what>',
      description:
        'a reminder: in 3 days call Bob, tomorrow at 9 send the report, on 12 Jan renew the domain, every Monday 9am …',
      run: async (ctx, args) => {
        const option = readMissedOption(args.trim());
        if ('error' in option) return void (await ctx.reply(option.error));
        if (!option.text.trim())
          return void (await ctx.reply(
            'Remind you when, of what? e.g. /remind tomorrow at 9 call Bob, /remind in 3 days renew the domain.',
          ));
        const s = await api(ctx);
        if (!s) return;
        const split = s.when.splitWhen(option.text, { now: s.schedules.now(), timeZone: s.schedules.timeZone });
        if ('error' in split) return void (await ctx.reply(split.error));
        if (!split.rest)
          return void (await ctx.reply(
            `Remind you of what at ${split.when.text}? e.g. /remind ${split.when.text} call Bob.`,
          ));
        const text = truncate(split.rest, 1000);
        const state = await s.schedules.create({
          id: idFor(ctx),
          title: truncate(text, 60),
          workflow: 'reminder',
          input: { text },
          when: split.when,
          origin: { channel: ctx.event.channel, chatId: ctx.event.chatId },
          by: by(ctx),
          ...(option.rule ? { missed: option.rule } : {}),
        });
        await created(ctx, s, state, state.created ? 'Reminder' : 'Already set: reminder');
      },
    })
    .command({
      name: 'schedules',
      description: 'what is scheduled: next run, last run, status; pause, resume or remove',
      run: async (ctx) => {
        const s = await api(ctx);
        if (!s) return;
        const [list, count] = await Promise.all([s.schedules.list(LIST_LIMIT), s.schedules.count()]);
        if (list.length === 0)
          return void (await ctx.reply(
            'Nothing is scheduled. /schedule <workflow> <when> runs a workflow at times; /remind <when> <what> sets a reminder.',
          ));
        const lines = await Promise.all(
          list.map(
            async (state) =>
              `${state.schedule.id} ${state.schedule.title}: ${describe(s, state)} · ${await lastRun(s, state)}${state.schedule.when.kind === 'cron' ? ` · if missed: ${describeRule(state.schedule.missed)}` : ''}`,
          ),
        );
        const more = count.total > list.length ? `\n… and ${count.total - list.length} more.` : '';
        const buttons = list
          .slice(0, BUTTONS_LIMIT)
          .map((state) =>
            state.paused
              ? button(`Resume ${state.schedule.id}`, 'resume', state.schedule.id)
              : button(`Pause ${state.schedule.id}`, 'pause', state.schedule.id),
          );
        const head = `${count.total} schedule${count.total === 1 ? '' : 's'}${count.paused ? ` (${count.paused} paused)` : ''}, times in ${s.schedules.timeZone}:`;
        await ctx.reply({ text: `${head}\n${lines.join('\n')}${more}`, buttons });
      },
    })
    .command({
      name: 'unschedule',
      usage: '<id>',
      description: 'remove a schedule or reminder',
      run: async (ctx, args) => {
        const s = await api(ctx);
        if (s) await unschedule(ctx, s, args.trim());
      },
    })
    .command({
      name: 'digest',
      description: 'the daily digest now, here (approvals, invoices, follow-ups, yesterday, memory, calendar)',
      run: async (ctx) => {
        const id = stableId('r', `digest:${ctx.event.channel}:${ctx.event.chatId}:${ctx.event.id}`);
        await d.engine.start(
          'digest',
          { sendEmpty: true, reply: true },
          { id, origin: { channel: ctx.event.channel, chatId: ctx.event.chatId }, reply: ctx.reply },
        );
      },
    })
    .action({ name: ACTION, run: act })
    .family();
}
