// /book starts a booking (free slots as buttons); a tap on a slot button (`bk:<key>:<choice>`) is the outside event
// the booking run waits for. A second tap, or a tap on an old offer, is answered and changes nothing.

import { stableId } from '../domain/ids.ts';
import type { Engine } from '../engine/engine.ts';
import { BOOKING_ACTION, BOOKING_EVENT, DECLINE } from '../workflows/booking.ts';
import { Registry, type CommandFamily } from './registry.ts';

export interface BookingDeps {
  engine: Pick<Engine, 'start' | 'signal'>;
  runs: { get(id: string): Promise<{ status: string; waitingFor?: string } | null> };
  calendarConfigured: () => boolean;
}

export function bookingCommands(d: BookingDeps): CommandFamily {
  return new Registry()
    .command({
      name: 'book',
      usage: '[minutes] <title>',
      description: 'offer free calendar slots as buttons and book the one you tap (e.g. /book 45 Intro call with Acme)',
      run: async (ctx, args) => {
        if (!d.calendarConfigured()) return void (await ctx.reply('No calendar is configured; set CALDAV_URL, CALDAV_USERNAME and CALDAV_PASSWORD, then restart.'));
        const m = /^\s*(?:(\d{1,3})\s*(?:min(?:utes?)?)?\s+)?(\S.*)$/s.exec(args);
        const minutes = m?.[1] === undefined ? 60 : Number(m[1]);
        const title = m?.[2]?.trim() ?? '';
        if (!title) return void (await ctx.reply('Usage: /book [minutes] <title>, e.g. /book 45 Intro call with Acme'));
        if (minutes < 5 || minutes > 600) return void (await ctx.reply('A meeting lasts 5 to 600 minutes.'));
        const id = stableId('r', `${ctx.event.channel}:${ctx.event.chatId}:${ctx.event.id}`);
        await d.engine.start('booking', { title, durationMinutes: minutes }, { id, origin: { channel: ctx.event.channel, chatId: ctx.event.chatId }, reply: ctx.reply });
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
        if (!run || run.waitingFor !== `wait:${BOOKING_EVENT}:${key}`) return void (await ctx.reply('That choice is no longer open.'));
        const by = `${ctx.event.channel}:${ctx.event.senderId}`;
        const result = await d.engine.signal({ kind: 'event', event: BOOKING_EVENT, key, payload: { choice } }, { by, via: ctx.event.channel, reply: ctx.reply });
        if (result.status === 'stale') await ctx.reply('A time was already chosen for that meeting.');
      },
    })
    .family();
}
