// A reminder: says its text once. One the operator set (/remind) is a reply to them and goes to the chat it was set
// in, whatever the hour; a follow-up a workflow set is a message Solo OS starts on its own, so quiet hours hold it
// (held, never dropped).

import { z } from 'zod';
import type { OutboundMessage, SentMessage } from '../domain/messages.ts';
import { defineWorkflow } from '../engine/workflow.ts';

const reminderInput = z.object({
  text: z.string().trim().min(1).max(1000),
  /** Quiet hours apply (follow-ups); default: said at once in the run's chat. */
  hold: z.boolean().optional(),
});

export type Notify = (message: OutboundMessage, options: { dedupeKey: string }) => Promise<SentMessage>;

export function reminderWorkflow(notify: Notify) {
  return defineWorkflow({
    name: 'reminder',
    version: 1,
    description: 'says a reminder (from /remind, or a follow-up a workflow set)',
    input: reminderInput,
    async run(ctx, input): Promise<{ status: 'said' | 'held' }> {
      const text = `Reminder: ${input.text}`;
      if (!input.hold) {
        await ctx.say('remind', text);
        return { status: 'said' };
      }
      const held = await ctx.step(
        'remind',
        async ({ idempotencyKey }) => (await notify({ text }, { dedupeKey: `say:${idempotencyKey}` })).id === 'held',
      );
      return { status: held ? 'held' : 'said' };
    },
  });
}
