// /correct and the replies for what changes a memory: a correction or an update through /remember keeps the old
// version and offers Undo; a correction that is not plainly about the same fact of the same entity is asked about
// with buttons ("Replace #12: …" / "Keep as a new memory"), never applied to someone else's memory silently.

import { truncate } from '../domain/text.ts';
import type { AgentDeps } from '../agents/runner.ts';
import type { InboundContext } from '../inbound/context.ts';
import type { MemoryService } from '../memory/memory.ts';
import type { Store } from '../ports/store.ts';
import type { ChoiceDeps } from './choices.ts';

/** What the memory commands need. */
export interface MemoryDeps extends ChoiceDeps {
  memory: MemoryService;
  /** Memories and events for compaction and import; settings for "why?" and pending questions. */
  store: Pick<Store, 'memories' | 'events' | 'settings'>;
  importDir: string;
  /** The agents, when a model is configured (the digest agent writes compaction summaries). */
  agents: () => AgentDeps | undefined;
}
import type { OutboundMessage } from '../domain/messages.ts';
import type { RememberResult } from '../memory/memory.ts';
import { PROFILE_KINDS, type Memory, type MemorySource } from '../ports/store.ts';
import { ask, take, type ChoiceRules } from './choices.ts';
import type { Action } from './registry.ts';

const CORRECT_CHOICE = 'cx';
/** Candidates offered as "Replace #…" buttons. */
const MAX_CANDIDATES = 3;
const KEEP = 'k';

/** Accepts "12", "#12" and "m12". */
export const memoryId = (arg: string): string => arg.trim().replace(/^#|^m(?=\d)/i, '');
export const isId = (s: string): boolean => /^\d{1,15}$/.test(s);

export function sourceOf(ctx: InboundContext): MemorySource {
  return ctx.eventPosition === undefined
    ? { channel: ctx.event.channel }
    : { channel: ctx.event.channel, eventPosition: ctx.eventPosition };
}

const about = (m: Memory): string => (m.subject ? ` (about ${m.subject})` : '');

function corrected(old: Memory, replacement: Memory): OutboundMessage {
  return {
    text: `Corrected #${old.id} → #${replacement.id}.\nWas: ${truncate(old.text, 200)}\nNow: ${truncate(replacement.text, 200)}`,
    buttons: [{ label: 'Undo', data: `uncorrect:${replacement.id}` }],
  };
}

/** The reply to a /remember (or a fact remembered from free text): what was kept, and Undo. */
export function rememberedReply(result: RememberResult, prefix = ''): OutboundMessage {
  const m = result.memory;
  if (result.action === 'unchanged') return { text: `${prefix}I already have that as #${m.id}.`, buttons: [] };
  if (result.action === 'updated' && result.previous) {
    return {
      text: `${prefix}Updated #${result.previous.id} → #${m.id}${about(m)}: ${truncate(m.text, 200)}\nWas: ${truncate(result.previous.text, 200)}\n(/memory ${m.id} shows every version)`,
      buttons: [{ label: 'Undo', data: `uncorrect:${m.id}` }],
    };
  }
  return {
    text: `${prefix}Remembered #${m.id}${about(m)}: ${truncate(m.text, 200)}`,
    buttons: [{ label: 'Undo', data: `forget:${m.id}` }],
  };
}

interface CorrectionQuestion {
  text: string;
  source: MemorySource;
  ids: string[];
}

/** Why a memory is not replaced without asking. */
function whyNot(m: Memory, names: (m: Memory) => string): string {
  if (PROFILE_KINDS.has(m.kind))
    return `#${m.id} is the ${m.kind} profile of ${m.subject ?? names(m)}; I won't replace a whole profile with one line`;
  if (m.kind === 'digest') return `#${m.id} is a digest of several memories; I won't replace it with one line`;
  return '';
}

export async function correct(d: MemoryDeps, ctx: InboundContext, args: string): Promise<void> {
  const { memory } = d;
  const [first = '', ...rest] = args.trim().split(/\s+/);
  const id = memoryId(first);
  if (isId(id) && rest.length === 0)
    return void (await ctx.reply(
      `What should #${id} say instead? Write the new text after the id, e.g. /correct ${id} Acme pays net 45.`,
    ));
  const targeted = isId(id);
  const text = targeted ? rest.join(' ') : args.trim();
  if (!text)
    return void (await ctx.reply(
      'Correct what? Try /correct 12 Acme pays net 45, or /correct Acme pays net 45 to replace the matching memory.',
    ));
  if (targeted) {
    const result = await memory.correct(id, text, sourceOf(ctx));
    return void (await ctx.reply(
      result ? corrected(result.old, result.replacement) : `There is no live memory #${id}. /recall shows ids.`,
    ));
  }
  const { clear, close } = await memory.correctionCandidates(text);
  if (clear) {
    const result = await memory.correct(clear.id, text, sourceOf(ctx));
    if (result) return void (await ctx.reply(corrected(result.old, result.replacement)));
  }
  if (close.length === 0)
    return void (await ctx.reply(
      `I have no memory close enough to "${truncate(text, 80)}" to correct; /remember it instead.`,
    ));
  const names = (m: Memory): string =>
    m.entities.map((e) => memory.entityName(e) ?? e).join(', ') || 'nothing in particular';
  const replaceable = close.filter((m) => !whyNot(m, names)).slice(0, MAX_CANDIDATES);
  const refused = close
    .slice(0, 1)
    .map((m) => whyNot(m, names))
    .filter(Boolean);
  const lines = replaceable.map((m, i) => `${i + 1}. #${m.id} ${truncate(m.text, 120)} — about ${names(m)}`);
  const intro =
    replaceable.length > 0
      ? "None of these is plainly the same fact about the same client or person, so I won't replace one without asking:"
      : '';
  await ask<CorrectionQuestion>(d, ctx, CORRECT_CHOICE, {
    text: [`Which memory does "${truncate(text, 120)}" correct?`, ...refused.map((r) => `${r}.`), intro, ...lines]
      .filter(Boolean)
      .join('\n'),
    options: { text, source: sourceOf(ctx), ids: replaceable.map((m) => m.id) },
    buttons: [
      ...replaceable.map((m, i) => ({ label: `Replace #${m.id}: ${m.text}`, choice: String(i) })),
      { label: 'Keep as a new memory', choice: KEEP },
    ],
  });
}

const correctionChoice: ChoiceRules<CorrectionQuestion> = {
  valid: (choice, q) => choice === KEEP || (/^\d$/.test(choice) && Number(choice) < q.ids.length),
  describe: (choice, q) => (choice === KEEP ? 'kept as a new memory' : `replace #${q.ids[Number(choice)] ?? '?'}`),
};

export const correctChoiceAction = (d: MemoryDeps): Action => ({
  name: CORRECT_CHOICE,
  run: async (ctx, arg) => {
    const picked = await take(d, ctx, arg, correctionChoice);
    if (!picked) return;
    const { memory } = d;
    const q = picked.options;
    if (picked.choice === KEEP)
      return void (await ctx.reply(
        rememberedReply(await memory.remember({ text: q.text, source: q.source, dedupe: 'none' })),
      ));
    const target = q.ids[Number(picked.choice)]!;
    const result = await memory.correct(target, q.text, q.source);
    await ctx.reply(
      result
        ? corrected(result.old, result.replacement)
        : `Memory #${target} was changed or forgotten since, so nothing was replaced.`,
    );
  },
});
