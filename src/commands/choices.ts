// Questions answered with buttons ("which did you mean?"). The options stay in settings under a short id; a button
// carries only `<action>:<id>:<choice>`, well under Telegram's 64 bytes. Tapping late, twice or after a restart
// is an ordinary case: an expired or unknown id gets one sentence, a second tap is told what was chosen.

import { stableId } from '../domain/ids.ts';
import { truncate } from '../domain/text.ts';
import type { InboundContext } from '../inbound/context.ts';
import type { SettingsStore } from '../ports/store.ts';

/** What a question with buttons needs: where pending questions are kept, and the clock. */
export interface ChoiceDeps {
  settings: SettingsStore;
  now(): Date;
}

/** How long a question's buttons stay good. */
const CHOICE_TTL_MS = 24 * 3600_000;
/** Chat platforms cut long labels (Slack at 75 characters, Discord at 80). */
const LABEL_MAX = 60;

interface PendingChoice<T> {
  options: T;
  at: string;
  chosen?: string;
}

const key = (id: string): string => `choice:${id}`;

/**
 * Asks a question with buttons. The id comes from the update, so a redelivered command asks the same question.
 * `options` is whatever the action needs to carry out a choice later.
 */
export async function ask<T>(
  d: ChoiceDeps,
  ctx: InboundContext,
  action: string,
  question: { text: string; options: T; buttons: { label: string; choice: string }[] },
): Promise<void> {
  const id = stableId('q', `${action}:${ctx.event.channel}:${ctx.event.chatId}:${ctx.event.id}`);
  const { settings } = d;
  // A redelivered command asks again with the same buttons, and does not undo an answer already given.
  if (!(await settings.get(key(id)))) {
    const pending: PendingChoice<T> = { options: question.options, at: d.now().toISOString() };
    await settings.set(key(id), pending);
  }
  await ctx.reply({
    text: question.text,
    buttons: question.buttons.map((b) => ({
      label: truncate(b.label, LABEL_MAX),
      data: `${action}:${id}:${b.choice}`,
    })),
  });
}

export interface ChoiceRules<T> {
  /** Whether a choice is one the question offered (button data can be forged or come from an older version). */
  valid(choice: string, options: T): boolean;
  /** What a choice was, for "Already answered: …". */
  describe(choice: string, options: T): string;
}

/**
 * The options behind a tapped button, marked as chosen; undefined (after saying why in one sentence) when the
 * question is unknown, expired or already answered, or the choice is not one it offered (that decides nothing).
 */
export async function take<T>(
  d: ChoiceDeps,
  ctx: InboundContext,
  arg: string,
  rules: ChoiceRules<T>,
): Promise<{ id: string; choice: string; options: T } | undefined> {
  const [id = '', choice = ''] = arg.split(':');
  const { settings } = d;
  const pending = id ? await settings.get<PendingChoice<T>>(key(id)) : undefined;
  if (!pending) return void (await ctx.reply('That question is not known here any more; send the command again.'));
  if (!rules.valid(choice, pending.options))
    return void (await ctx.reply('That button is not one of the choices I offered, so nothing was done.'));
  if (pending.chosen !== undefined) {
    return void (await ctx.reply(
      `Already answered: ${rules.describe(pending.chosen, pending.options)}. Nothing more to do.`,
    ));
  }
  if (d.now().getTime() - new Date(pending.at).getTime() > CHOICE_TTL_MS) {
    await settings.set(key(id), null);
    return void (await ctx.reply('That question has expired; send the command again.'));
  }
  await settings.set(key(id), { ...pending, chosen: choice });
  return { id, choice, options: pending.options };
}
