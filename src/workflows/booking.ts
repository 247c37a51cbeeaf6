// Booking a meeting: free slots from the calendar (a journaled step, so a replay offers the same slots), one message
// with the slots as buttons, the operator's tap (an outside event the run waits for: `booking.pick`), then the event
// is created through an effect step whose key makes it exactly one calendar event, whatever crashes happen; its
// compensation cancels it. `bookMeeting` is the reusable part a larger workflow (the consultant story) composes;
// the `booking` workflow is it on its own, behind /book.

import { DateTime } from 'luxon';
import { z } from 'zod';
import { defineWorkflow, NonRetriableError, type WorkflowContext } from '../engine/workflow.ts';
import type { CalendarPort, Slot, WorkingHours } from '../ports/calendar.ts';
import type { SettingsStore } from '../ports/store.ts';
import { setting } from '../settings/setting.ts';

export const BOOKING_ACTION = 'bk';
export const BOOKING_EVENT = 'booking.pick';
/** The choice that declines every slot. */
export const DECLINE = 'x';
export const DEFAULT_HOURS: WorkingHours = { days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' };

/** Where the operator's working hours are kept (/book hours). */
export const workingHoursSetting = (settings: SettingsStore) =>
  setting(
    settings,
    'booking.hours',
    z.object({ days: z.array(z.number().int().min(1).max(7)).min(1), start: z.string(), end: z.string() }),
  );

export interface BookingServices {
  calendar: () => CalendarPort | undefined;
  workingHours: () => Promise<WorkingHours>;
  timeZone: string;
}

const bookingInput = z.object({
  title: z.string().trim().min(1).max(200),
  durationMinutes: z.number().int().min(5).max(600).default(60),
  /** How many days ahead to look. */
  days: z.number().int().min(1).max(60).default(14),
  count: z.number().int().min(1).max(8).default(5),
  description: z.string().max(2000).optional(),
});
export type BookingInput = z.input<typeof bookingInput>;

export type BookingResult =
  | { status: 'booked'; uid: string; start: string; end: string }
  | { status: 'no_slots' | 'declined' | 'denied' | 'rejected' | 'expired' };

/** "Mon 30 Mar 09:00–10:00" in the slot's own zone. */
export function slotLabel(slot: Slot): string {
  const start = DateTime.fromISO(slot.start, { setZone: true });
  const end = DateTime.fromISO(slot.end, { setZone: true });
  return `${start.toFormat('ccc d LLL HH:mm')}–${end.toFormat('HH:mm')}`;
}

/** The key a booking's tap is signalled under; also what its buttons carry (`bk:<key>:<choice>`, ≤ 64 bytes). */
const bookingKey = (runId: string, prefix: string): string => (prefix ? `${runId}.${prefix}` : runId);

/** The next free slots from the next full half hour (call inside a step: it reads the clock and the calendar). */
export async function freeSlots(s: BookingServices, raw: BookingInput, signal: AbortSignal): Promise<Slot[]> {
  const input = bookingInput.parse(raw);
  const calendar = s.calendar();
  if (!calendar)
    throw new NonRetriableError(
      'No calendar is configured, so there are no free slots to offer; set CALDAV_URL, CALDAV_USERNAME and CALDAV_PASSWORD.',
    );
  const now = DateTime.now().setZone(s.timeZone);
  // From the next full half hour: a slot that starts in two minutes is no offer.
  const from = now.plus({ minutes: 30 - (now.minute % 30) }).startOf('minute');
  return calendar.freeSlots(
    {
      from: from.toISO() ?? '',
      to: from.plus({ days: input.days }).toISO() ?? '',
      durationMinutes: input.durationMinutes,
      workingHours: await s.workingHours(),
      timeZone: s.timeZone,
      count: input.count,
      stepMinutes: 30,
    },
    { signal },
  );
}

/** Creates the chosen slot's event: one calendar event per step key, whatever crashes happen; cancelled on unwind. */
export function createEvent(
  ctx: WorkflowContext,
  s: BookingServices,
  stepId: string,
  input: { title: string; description?: string },
  slot: Slot,
) {
  return ctx.act(stepId, {
    action: { kind: 'calendar.create', approved: true },
    card: {
      title: `Book "${input.title}" on ${slotLabel(slot)}`,
      details: [`When: ${slotLabel(slot)} (${s.timeZone})`],
    },
    run: async ({ idempotencyKey, signal }) => {
      const calendar = s.calendar();
      if (!calendar)
        throw new NonRetriableError('The calendar is no longer configured (CALDAV_URL), so the event was not created.');
      const event = await calendar.create(
        {
          title: input.title,
          start: slot.start,
          end: slot.end,
          ...(input.description ? { description: input.description } : {}),
        },
        { idempotencyKey, signal },
      );
      return { uid: event.uid, start: slot.start, end: slot.end };
    },
    compensate: async (event, { idempotencyKey, signal }) => {
      const calendar = s.calendar();
      if (!calendar) throw new Error(`The calendar is no longer configured, so event ${event.uid} cannot be cancelled`);
      await calendar.cancel(event.uid, { idempotencyKey, signal });
    },
  });
}

/**
 * Offers free slots and books the one the operator taps. Step ids start with `prefix` so a workflow can book more
 * than once. The tap is the operator's decision on this very event, so the calendar policy's "approve" is met by it
 * (a "deny" still stops it).
 */
async function bookMeeting(
  ctx: WorkflowContext,
  s: BookingServices,
  raw: BookingInput,
  prefix = '',
): Promise<BookingResult> {
  const input = bookingInput.parse(raw);
  const id = (name: string): string => (prefix ? `${prefix}-${name}` : name);
  const key = bookingKey(ctx.runId, prefix);
  const offer = await ctx.step(id('slots'), async ({ signal }) => ({ slots: await freeSlots(s, input, signal) }));
  if (offer.slots.length === 0) {
    await ctx.say(
      id('tell-none'),
      `No free ${input.durationMinutes}-minute slot in the next ${input.days} days for "${input.title}".`,
    );
    return { status: 'no_slots' };
  }
  await ctx.say(id('offer'), {
    text: [
      `Pick a time for "${input.title}" (${input.durationMinutes} min, ${s.timeZone}):`,
      ...offer.slots.map((slot, i) => `${i + 1}. ${slotLabel(slot)}`),
    ].join('\n'),
    buttons: [
      ...offer.slots.map((slot, i) => ({
        label: `${i + 1}. ${slotLabel(slot)}`,
        data: `${BOOKING_ACTION}:${key}:${i}`,
      })),
      { label: 'None of these', data: `${BOOKING_ACTION}:${key}:${DECLINE}` },
    ],
  });
  const pick = await ctx.wait<{ choice: string }>(id('pick'), { event: BOOKING_EVENT, key });
  const slot = offer.slots[Number(pick.choice)];
  if (pick.choice === DECLINE || !slot) {
    await ctx.say(id('tell-declined'), `Nothing booked for "${input.title}".`);
    return { status: 'declined' };
  }
  const made = await createEvent(
    ctx,
    s,
    id('event'),
    { title: input.title, ...(input.description ? { description: input.description } : {}) },
    slot,
  );
  if (made.status === 'denied') {
    await ctx.say(id('tell-denied'), `Policy does not allow creating calendar events: ${made.reasons.join('; ')}.`);
    return { status: 'denied' };
  }
  if (made.status !== 'done') return { status: made.status };
  await ctx.say(id('tell-booked'), `Booked "${input.title}": ${slotLabel(slot)} (${s.timeZone}).`);
  return { status: 'booked', ...made.result };
}

export function bookingWorkflow(s: BookingServices) {
  return defineWorkflow({
    name: 'booking',
    version: 1,
    description: 'offers free calendar slots as buttons and books the one you tap',
    input: bookingInput,
    run: (ctx, input): Promise<BookingResult> => bookMeeting(ctx, s, input),
  });
}
