// /book starts a booking (free slots as buttons); a tap on a slot button (`bk:<key>:<choice>`) is the outside event
// the booking run waits for. A second tap, or a tap on an old offer, is answered and changes nothing.

import { stableId } from '../domain/ids.ts';
import type { Engine } from '../engine/engine.ts';
import type { WorkingHours } from '../ports/calendar.ts';
import type { Setting } from '../settings/setting.ts';
import { BOOKING_ACTION, BOOKING_EVENT, DECLINE, DEFAULT_HOURS } from '../workflows/booking.ts';
import { Registry, type CommandFamily } from './registry.ts';

export interface BookingDeps {
  engine: Pick<Engine, 'start' | 'signal'>;
  runs: { get(id: string): Promise<{ status: string; waitingFor?: string } | null> };
  calendarConfigured: () => boolean;
  /** The working hours slots are offered in (a setting; Mon-Fri 09:00-17:00 until set). */
  hours: Setting<WorkingHours>;
}

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** `mon-fri 09:00-17:00`, `mon,wed,fri 10:00-16:00` → working hours, or an error sentence. */
function parseHours(text: string): WorkingHours | { error: string } {
  const m = /^\s*([a-z,\s-]+?)\s+(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*$/i.exec(text);
  const usage = {
    error: 'Write working hours like /book hours mon-fri 09:00-17:00 (days: mon … sun, ranges or lists).',
  };
  if (!m?.[1] || !m[2] || !m[3]) return usage;
  const days = new Set<number>();
  for (const part of m[1].toLowerCase().split(/\s*,\s*/)) {
    const [from, to = from] = part.split(/\s*-\s*/).map((d) => DAYS.indexOf(d.slice(0, 3)) + 1);
    if (!from || !to || from > to) return usage;
    for (let d = from; d <= to; d++) days.add(d);
  }
  const minutes = (t: string) => Number(t.split(':')[0]) * 60 + Number(t.split(':')[1]);
  const [start, end] = [m[2].padStart(5, '0'), m[3].padStart(5, '0')];
  if (
    minutes(start) >= minutes(end) ||
    minutes(end) > 24 * 60 ||
    Number(start.slice(3)) > 59 ||
    Number(end.slice(3)) > 59
  )
    return { error: `${start}-${end} is not a window within one day.` };
  return { days: [...days].sort(), start, end };
}

const describeHours = (h: WorkingHours): string => `${h.days.map((d) => DAYS[d - 1]).join(', ')} ${h.start}-${h.end}`;

export function bookingCommands(d: BookingDeps): CommandFamily {
  return new Registry()
    .command({
      name: 'book',
      usage: '[minutes] <title> | hours [<days> <from>-<to>]',
      description:
        'offer free calendar slots as buttons and book the one you tap (e.g. /book 45 Intro call with Acme); /book hours sets when',
      run: async (ctx, args) => {
        const hours = /^\s*hours\b(.*)$/is.exec(args);
        if (hours) {
          const written = hours[1]?.trim() ?? '';
          if (!written)
            return void (await ctx.reply(
              `Slots are offered ${describeHours((await d.hours.get()) ?? DEFAULT_HOURS)}.`,
            ));
          const parsed = parseHours(written);
          if ('error' in parsed) return void (await ctx.reply(parsed.error));
          await d.hours.set(parsed);
          return void (await ctx.reply(`Slots will be offered ${describeHours(parsed)}.`));
        }
        if (!d.calendarConfigured())
          return void (await ctx.reply(
            'No calendar is configured; set CALDAV_URL, CALDAV_USERNAME and CALDAV_PASSWORD, then restart.',
          ));
        const m = /^\s*(?:(\d{1,3})\s*(?:min(?:utes?)?)?\s+)?(\S.*)$/s.exec(args);
        const minutes = m?.[1] === undefined ? 60 : Number(m[1]);
        const title = m?.[2]?.trim() ?? '';
        if (!title) return void (await ctx.reply('Usage: /book [minutes] <title>, e.g. /book 45 Intro call with Acme'));
        if (minutes < 5 || minutes > 600) return void (await ctx.reply('A meeting lasts 5 to 600 minutes.'));
        const id = stableId('r', `${ctx.event.channel}:${ctx.event.chatId}:${ctx.event.id}`);
        await d.engine.start(
          'booking',
          { title, durationMinutes: minutes },
          { id, origin: { channel: ctx.event.channel, chatId: ctx.event.chatId }, reply: ctx.reply },
        );
      },
    })
    .action({
      name: BOOKING_ACTION,
      run: async (ctx, arg) => {
        const at = arg.lastIndexOf(':');
        const key = arg.slice(0, at);
        const choice = arg.slice(at + 1);
        const runId = key.split('.')[0] ?? '';
        const run = at > 0 && (/^\d$/.test(choice) || choice === DECLINE) ? await d.runs.get(runId) : null;
        if (!run || run.waitingFor !== `wait:${BOOKING_EVENT}:${key}`)
          return void (await ctx.reply('That choice is no longer open.'));
        const by = `${ctx.event.channel}:${ctx.event.senderId}`;
        const result = await d.engine.signal(
          { kind: 'event', event: BOOKING_EVENT, key, payload: { choice } },
          { by, via: ctx.event.channel, reply: ctx.reply },
        );
        if (result.status === 'stale') await ctx.reply('A time was already chosen for that meeting.');
      },
    })
    .family();
}
