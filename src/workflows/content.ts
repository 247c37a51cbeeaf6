// The creator's pieces as durable runs: a brief (the research agent, drawing on past briefs and audience signals in
// memory), versioned drafts (the draft agent, in the operator's voice from their past content), and a publishing
// date: an all-day calendar event made once per run (effect step, UID from the step key) and a reminder the day
// before through the scheduler. Each agent call is a journaled step, so a replay never pays for the same text twice.

import { DateTime } from 'luxon';
import { z } from 'zod';
import type { AgentOutput } from '../agents/outputs.ts';
import { runAgent, type AgentCall, type AgentDeps } from '../agents/runner.ts';
import type { AudienceQuestions } from '../content/audience.ts';
import { laterStage, pieceEntity, type ContentStore, type Piece } from '../content/pieces.ts';
import { defineWorkflow, NonRetriableError, type WorkflowContext } from '../engine/workflow.ts';
import type { RememberInput, RememberResult } from '../memory/types.ts';
import type { CalendarPort } from '../ports/calendar.ts';
import type { MailPort } from '../ports/mail.ts';
import type { RunOrigin } from '../ports/engine-store.ts';
import type { FollowUps } from '../scheduling/follow-ups.ts';

export interface ContentServices {
  pieces: ContentStore;
  questions: AudienceQuestions;
  /** What agent calls need; throws a sentence when no model is configured. */
  agents: () => AgentDeps;
  remember: (input: RememberInput) => Promise<RememberResult>;
  memoryText: (id: string) => Promise<string | undefined>;
  calendar: () => CalendarPort | undefined;
  mail: () => MailPort | undefined;
  followUps: FollowUps;
  timeZone: string;
}

/** An agent call as a journaled step; a budget refusal ends the run with one sentence. */
export async function agentStep<K extends string>(
  ctx: WorkflowContext,
  id: string,
  s: ContentServices,
  call: AgentCall & { agent: K },
): Promise<{ output: AgentOutput<K>; promptTokens: number }> {
  return ctx.step(
    id,
    async () => {
      const out = await runAgent(s.agents(), { ...call, runId: ctx.runId });
      if (out.status === 'over_budget')
        throw new NonRetriableError(
          `The ${call.agent} agent would go over the ${out.scope} budget, so nothing was written; /costs shows the spending.`,
        );
      return { output: out.output, promptTokens: out.promptTokens };
    },
    { maxAttempts: 3, timeoutMs: 180_000 },
  );
}

async function loadPiece(ctx: WorkflowContext, s: ContentServices, id: string): Promise<Piece> {
  return ctx.step('piece', async () => {
    const piece = await s.pieces.get(id);
    if (!piece) throw new NonRetriableError(`There is no piece ${id}.`);
    return piece;
  });
}

const words = (text: string): number => text.split(/\s+/).filter(Boolean).length;
export const dayLabel = (date: string, zone: string): string =>
  DateTime.fromISO(date, { zone }).toFormat('ccc d LLL yyyy');

const pieceInput = z.object({ pieceId: z.string().regex(/^p\d+$/) });

export function contentBriefWorkflow(s: ContentServices) {
  return defineWorkflow({
    name: 'content-brief',
    version: 1,
    description: 'writes a brief for a piece from past briefs and audience signals in memory',
    input: pieceInput,
    async run(ctx, input): Promise<{ status: 'briefed'; memoryId: string }> {
      const piece = await loadPiece(ctx, s, input.pieceId);
      const brief = await agentStep(ctx, 'write', s, {
        agent: 'research',
        request: `Write a content brief for my ${piece.format} piece on ${piece.topic}: "${piece.title}". Give the angle, who it is for, three key points and a call to action. Draw on my past briefs and on what the audience signals in memory say works.`,
        memoryQuery: `${piece.topic} ${piece.title} brief audience signal open rate`,
      });
      const saved = await ctx.step('save', async () => {
        const { memory } = await s.remember({
          text: `Brief for "${piece.title}" (${piece.topic}): ${brief.output.answer}`,
          kind: 'content',
          entities: [pieceEntity(piece.id)],
          importance: 0.6,
          source: { runId: ctx.runId },
          dedupe: 'none',
        });
        await s.pieces.update(piece.id, (p) => ({
          ...p,
          stage: laterStage(p.stage, 'brief'),
          brief: { memoryId: memory.id, runId: ctx.runId },
        }));
        return { memoryId: memory.id };
      });
      await ctx.say(
        'tell',
        `Brief for ${piece.id} "${piece.title}" (memory #${saved.memoryId}):\n\n${brief.output.answer}\n\nNext: /draft ${piece.id}`,
      );
      return { status: 'briefed', memoryId: saved.memoryId };
    },
  });
}

export function contentDraftWorkflow(s: ContentServices) {
  return defineWorkflow({
    name: 'content-draft',
    version: 1,
    description: "writes the next draft version of a piece in the operator's voice",
    input: pieceInput,
    async run(ctx, input): Promise<{ status: 'drafted'; version: number }> {
      const piece = await loadPiece(ctx, s, input.pieceId);
      const version = piece.drafts.length + 1;
      const brief = await ctx.step('brief', async () =>
        piece.brief ? ((await s.memoryText(piece.brief.memoryId)) ?? '') : '',
      );
      const draft = await agentStep(ctx, 'write', s, {
        agent: 'draft',
        request: [
          `Write version ${version} of my ${piece.format} piece "${piece.title}" (topic: ${piece.topic}), in my own voice: match the tone and length of my past pieces in memory. Put the headline in subject and the piece in body; leave "to" empty.`,
          ...(brief ? [`The brief: ${brief}`] : []),
          ...(version > 1 ? [`Improve on draft v${version - 1}; it is in memory.`] : []),
        ].join('\n'),
        memoryQuery: `${piece.title} ${piece.topic} draft`,
      });
      const { body, subject } = draft.output;
      await ctx.step('save', async () => {
        const { memory } = await s.remember({
          text: `Draft v${version} of "${piece.title}" — ${subject}\n\n${body}`,
          kind: 'content',
          entities: [pieceEntity(piece.id)],
          importance: 0.5,
          source: { runId: ctx.runId },
          dedupe: 'none',
        });
        await s.pieces.update(piece.id, (p) => ({
          ...p,
          stage: laterStage(p.stage, 'draft'),
          drafts: p.drafts.some((d) => d.runId === ctx.runId)
            ? p.drafts
            : [...p.drafts, { version, memoryId: memory.id, runId: ctx.runId, words: words(body) }],
        }));
        return memory.id;
      });
      await ctx.say(
        'tell',
        `Draft v${version} of ${piece.id} "${piece.title}" (${words(body)} words): ${subject}\n\n${body}\n\nNext: /calendar ${piece.id} <YYYY-MM-DD> to plan it, or /draft ${piece.id} for v${version + 1}.`,
      );
      return { status: 'drafted', version };
    },
  });
}

/** The day after, for an all-day event's exclusive end. */
const nextDay = (date: string): string => DateTime.fromISO(date).plus({ days: 1 }).toISODate() ?? date;
/** The reminder: 09:00 the day before, in the operator's zone. */
const reminderAt = (date: string, zone: string): string =>
  DateTime.fromISO(date, { zone }).minus({ days: 1 }).set({ hour: 9 }).toISO() ?? date;

/**
 * Moves a scheduled piece to another date outside a step of its own (the review's approved change): the calendar
 * event follows (its UID stays), the old reminder is removed and a new one set under `key`.
 */
export async function movePiece(
  s: ContentServices,
  piece: Piece,
  date: string,
  key: string,
  from: { runId: string; origin: RunOrigin },
  signal?: AbortSignal,
): Promise<void> {
  const calendar = s.calendar();
  if (piece.eventUid && calendar)
    await calendar.update(
      piece.eventUid,
      { start: date, end: nextDay(date), allDay: true },
      { idempotencyKey: key, ...(signal ? { signal } : {}) },
    );
  if (piece.reminderId) await s.followUps.cancel(piece.reminderId, `run:${from.runId}`);
  const reminder = piece.reminderId
    ? await s.followUps.schedule(
        key,
        {
          at: reminderAt(date, s.timeZone),
          title: `Publish "${piece.title}" tomorrow`,
          text: `"${piece.title}" (${piece.id}) is due to publish tomorrow, ${dayLabel(date, s.timeZone)}.`,
        },
        from,
      )
    : undefined;
  await s.pieces.update(piece.id, (p) => ({ ...p, publishOn: date, ...(reminder ? { reminderId: reminder.id } : {}) }));
}

export function contentScheduleWorkflow(s: ContentServices) {
  return defineWorkflow({
    name: 'content-schedule',
    version: 1,
    description: 'gives a piece its publishing date: a calendar event and a reminder the day before',
    input: pieceInput.extend({ date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/) }),
    async run(ctx, input): Promise<{ status: 'scheduled' | 'denied'; uid?: string }> {
      const piece = await loadPiece(ctx, s, input.pieceId);
      const label = dayLabel(input.date, s.timeZone);
      const hasCalendar = await ctx.step('has-calendar', async () => s.calendar() !== undefined);
      let uid = piece.eventUid;
      if (hasCalendar) {
        const title = `Publish: ${piece.title}`;
        const made = await ctx.act('event', {
          // The operator asked for this date in so many words: that is the decision on this very event.
          action: { kind: piece.eventUid ? 'calendar.update' : 'calendar.create', approved: true },
          card: { title: `Put "${piece.title}" on the calendar for ${label}`, details: [`When: ${label}, all day`] },
          run: async ({ idempotencyKey, signal }) => {
            const calendar = s.calendar();
            if (!calendar)
              throw new NonRetriableError('The calendar is no longer configured (CALDAV_URL), so no event was made.');
            if (piece.eventUid)
              return (
                await calendar.update(
                  piece.eventUid,
                  { start: input.date, end: nextDay(input.date), allDay: true },
                  { idempotencyKey, signal },
                )
              ).uid;
            return (
              await calendar.create(
                {
                  title,
                  start: input.date,
                  end: nextDay(input.date),
                  allDay: true,
                  description: `${piece.id}: ${piece.title} (${piece.topic}, ${piece.format})`,
                },
                { idempotencyKey, signal },
              )
            ).uid;
          },
          compensate: async (eventUid, { idempotencyKey, signal }) => {
            if (piece.eventUid) return;
            await s.calendar()?.cancel(eventUid, { idempotencyKey, signal });
          },
        });
        if (made.status === 'denied') {
          await ctx.say('tell-denied', `Policy does not allow calendar events: ${made.reasons.join('; ')}.`);
          return { status: 'denied' };
        }
        if (made.status === 'done') uid = made.result;
      }
      if (piece.reminderId) await ctx.step('unremind', () => s.followUps.cancel(piece.reminderId!, `run:${ctx.runId}`));
      const reminder = await ctx.step('reminder', ({ idempotencyKey }) =>
        s.followUps.schedule(
          idempotencyKey,
          {
            at: reminderAt(input.date, s.timeZone),
            title: `Publish "${piece.title}" tomorrow`,
            text: `"${piece.title}" (${piece.id}) is due to publish tomorrow, ${label}.`,
          },
          { runId: ctx.runId, origin: ctx.origin },
        ),
      );
      await ctx.step('save', async () => {
        await s.pieces.update(piece.id, (p) => ({
          ...p,
          stage: laterStage(p.stage, 'scheduled'),
          publishOn: input.date,
          reminderId: reminder.id,
          ...(uid ? { eventUid: uid } : {}),
        }));
        return true;
      });
      await ctx.say(
        'tell',
        `Scheduled ${piece.id} "${piece.title}" for ${label}: ${uid ? 'a calendar event' : 'no calendar is configured, so no event'} and a reminder the day before at 09:00.`,
      );
      return { status: 'scheduled', ...(uid ? { uid } : {}) };
    },
  });
}
