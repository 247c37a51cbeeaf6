// Memory commands: /remember, /recall, /correct, /forget, /memory, /compact, /import, the Undo buttons they offer,
// and "why?", which shows the memories the last answer in this chat used and where each came from.
// /correct and its "which memory?" buttons live in memory-corrections.ts.

import { InputError } from '../domain/errors.ts';
import { truncate } from '../domain/text.ts';
import type { InboundContext } from '../inbound/context.ts';
import { digestSummariser } from '../agents/summarise.ts';
import { compactMemories } from '../memory/compaction.ts';
import { importPath } from '../memory/import.ts';
import { listImportFolder } from '../memory/import-files.ts';
import { describeSource, type RecallHit } from '../memory/memory.ts';
import { chatStream } from '../ports/channel.ts';
import type { Memory, SettingsStore } from '../ports/store.ts';
import { correct, correctChoiceAction, isId, memoryId, rememberedReply, sourceOf } from './memory-corrections.ts';
import { Registry, type CommandFamily } from './registry.ts';
import type { MemoryDeps } from './memory-corrections.ts';

/** /forget takes this many ids at once (and its Undo button stays within Telegram's 64 bytes). */
const MAX_FORGET = 5;

const whyKey = (ctx: InboundContext): string => `why:${ctx.event.channel}:${ctx.event.chatId}`;
const WHY = /^\s*why\s*\??\s*$/i;

interface WhyRecord {
  query: string;
  ids: string[];
  at: string;
  /** The event position of the message that was answered; "why?" explains it only if nothing came in since. */
  position?: number;
}

/** Remembers which memories an answer in this chat relied on, for "why?". */
export async function recordUse(
  d: { settings: SettingsStore },
  ctx: InboundContext,
  query: string,
  memories: Memory[],
): Promise<void> {
  const record: WhyRecord = {
    query,
    ids: memories.map((m) => m.id),
    at: new Date().toISOString(),
    ...(ctx.eventPosition !== undefined ? { position: ctx.eventPosition } : {}),
  };
  await d.settings.set(whyKey(ctx), record);
}

const line = (m: Memory): string => `#${m.id} ${truncate(m.text, 300)}`;

function recallLine(h: RecallHit): string {
  return line(h.memory);
}

/** Forgets one memory or several (`/forget 12 13`); one Undo brings back all that were forgotten. */
async function forget(d: MemoryDeps, ctx: InboundContext, ids: string[]): Promise<void> {
  const memory = d.memory;
  const lines: string[] = [];
  const done: string[] = [];
  for (const id of ids) {
    const existing = await memory.get(id);
    const forgotten = existing && !existing.forgottenAt ? await memory.forget(id) : null;
    if (forgotten) done.push(id);
    lines.push(
      forgotten
        ? `Forgot #${id}: ${truncate(forgotten.text, 200)}`
        : existing?.replacedBy
          ? `Memory #${id} was already replaced by #${existing.replacedBy}.`
          : existing
            ? `Memory #${id} is already forgotten.`
            : `There is no memory #${id}. /recall shows memories with their ids.`,
    );
  }
  if (lines.length === 0) return void (await ctx.reply('That button names no memory.'));
  // One Undo for all when its data fits Telegram's 64 bytes; otherwise one per memory.
  const all = `restore:${done.join(',')}`;
  const buttons =
    done.length === 0
      ? []
      : Buffer.byteLength(all) <= 64
        ? [{ label: 'Undo', data: all }]
        : done.map((id) => ({ label: `Undo #${id}`, data: `restore:${id}` }));
  await ctx.reply({ text: lines.join('\n'), buttons });
}

async function restoreOne(d: MemoryDeps, ctx: InboundContext, id: string): Promise<string> {
  const existing = await d.memory.get(id);
  if (existing?.replacedBy)
    return `Memory #${id} was corrected by #${existing.replacedBy}; undo that correction instead.`;
  const restored = existing ? await d.memory.restore(id) : null;
  return restored
    ? `Restored #${id}: ${truncate(restored.text, 200)}`
    : existing
      ? `Memory #${id} is not forgotten.`
      : `There is no memory #${id}.`;
}

async function restore(d: MemoryDeps, ctx: InboundContext, arg: string): Promise<void> {
  const ids = arg.split(',').map(memoryId).filter(isId).slice(0, MAX_FORGET);
  const lines: string[] = [];
  for (const id of ids) lines.push(await restoreOne(d, ctx, id));
  await ctx.reply(lines.join('\n') || 'That button names no memory.');
}

/** Every version of a memory, oldest first: what it corrected, and what corrected it (at most 20 each way). */
async function versions(d: MemoryDeps, ctx: InboundContext, m: Memory): Promise<Memory[]> {
  const chain = [m];
  for (let cur = m, i = 0; cur.replaces && i < 20; i++) {
    const prev = await d.memory.get(cur.replaces);
    if (!prev) break;
    chain.unshift((cur = prev));
  }
  for (let cur = m, i = 0; cur.replacedBy && i < 20; i++) {
    const next = await d.memory.get(cur.replacedBy);
    if (!next) break;
    chain.push((cur = next));
  }
  return chain;
}

async function showMemory(d: MemoryDeps, ctx: InboundContext, id: string): Promise<void> {
  const m = await d.memory.get(id);
  if (!m) return void (await ctx.reply(`There is no memory #${id}.`));
  const names = m.entities.map((e) => d.memory.entityName(e) ?? e);
  const state = m.replacedBy ? `, corrected by #${m.replacedBy}` : m.forgottenAt ? ', forgotten' : '';
  const lines = [
    `#${m.id} (${m.kind}${state}): ${m.text}`,
    `From: ${describeSource(m.source, m.createdAt)}; updated ${m.updatedAt.toISOString().slice(0, 10)}; importance ${m.importance}`,
  ];
  if (names.length) lines.push(`About: ${names.join(', ')}`);
  if (m.replaces) lines.push(`Corrects #${m.replaces}`);
  if (m.replacedBy) lines.push(`Corrected by #${m.replacedBy}`);
  if (m.digestId) lines.push(`Summarised in digest #${m.digestId}`);
  if (m.digestOf) {
    const originals = await d.memory.getMany(m.digestOf);
    lines.push(`Summarises:`, ...originals.map((o) => `  #${o.id} ${truncate(o.text, 120)}`));
  }
  const chain = await versions(d, ctx, m);
  if (chain.length > 1) {
    lines.push(
      'Versions, oldest first:',
      ...chain.map(
        (v) =>
          `  #${v.id} ${truncate(v.text, 120)}${v.id === m.id ? '  ← this one' : ''}${v.forgottenAt ? '' : ' (current)'}`,
      ),
    );
  }
  await ctx.reply(lines.join('\n'));
}

/** True when the operator sent something else in this chat between the answered message and this one. */
async function spokeSince(d: MemoryDeps, ctx: InboundContext, answered: number, now: number): Promise<boolean> {
  const stream = chatStream(ctx.event.channel, ctx.event.chatId);
  for (let after = answered; ;) {
    const page = await d.store.events.readRange({
      afterPosition: after,
      types: ['message.received', 'button.tapped'],
      limit: 200,
    });
    for (const e of page) {
      if (e.position >= now) return false;
      // Asking why? again does not make the answer older.
      if (e.stream === stream && !(e.type === 'message.received' && WHY.test(e.data.text))) return true;
    }
    if (page.length < 200) return false;
    after = page.at(-1)!.position;
  }
}

async function why(d: MemoryDeps, ctx: InboundContext): Promise<boolean> {
  const record = await d.settings.get<WhyRecord>(whyKey(ctx));
  const stale =
    !record ||
    (ctx.eventPosition !== undefined &&
      (record.position === undefined || (await spokeSince(d, ctx, record.position, ctx.eventPosition))));
  if (stale) {
    await ctx.reply(
      'My last reply here was not an answer from memory, so there is nothing for why? to explain; ask it right after an answer or a /recall.',
    );
    return true;
  }
  if (record.ids.length === 0) {
    await ctx.reply('My last answer here did not use any memories.');
    return true;
  }
  const memories = await d.memory.getMany(record.ids);
  const lines = memories.map(
    (m) =>
      `#${m.id} ${truncate(m.text, 160)}\n   ↳ ${describeSource(m.source, m.createdAt)}${m.forgottenAt ? ' (since forgotten)' : ''}`,
  );
  await ctx.reply(`For "${truncate(record.query, 80)}" I used:\n${lines.join('\n')}`);
  return true;
}

export function memoryCommands(d: MemoryDeps): CommandFamily {
  return new Registry()
    .command({
      name: 'remember',
      usage: '<text>',
      description: 'keep a memory ("Acme Corp: pays net 30" files it under Acme Corp)',
      run: async (ctx, args) => {
        if (!args)
          return void (await ctx.reply('What should I remember? Try: /remember Acme Corp: pays invoices net 30'));
        await ctx.reply(rememberedReply(await d.memory.remember({ text: args, source: sourceOf(ctx) })));
      },
    })
    .command({
      name: 'recall',
      usage: '<words>',
      description: 'find memories, best match first',
      run: async (ctx, args) => {
        if (!args) return void (await ctx.reply('Recall what? Try: /recall Acme budget'));
        const hits = await d.memory.recall(args, { k: 5, touch: true });
        await recordUse(
          d,
          ctx,
          args,
          hits.map((h) => h.memory),
        );
        if (hits.length === 0) return void (await ctx.reply(`I have no memories matching "${truncate(args, 80)}".`));
        await ctx.reply(hits.map(recallLine).join('\n'));
      },
    })
    .command({
      name: 'correct',
      usage: '[id] <new text>',
      description:
        'replace a memory (without an id: the same fact about the same client, or I ask which); the old one is kept',
      run: (ctx, args) => correct(d, ctx, args),
    })
    .command({
      name: 'forget',
      usage: '<id> [more ids]',
      description: 'forget memories (they stay in the audit log)',
      run: async (ctx, args) => {
        const words = args.split(/[\s,]+/).filter(Boolean);
        const bad = words.find((w) => !isId(memoryId(w)));
        if (words.length === 0)
          return void (await ctx.reply('Forget which memory? Give its id, e.g. /forget 12 (/recall shows ids).'));
        if (bad !== undefined)
          return void (await ctx.reply(
            `"${truncate(bad, 30)}" is not a memory id; /forget takes ids such as /forget 12 or /forget 12 13 (/recall shows them).`,
          ));
        if (words.length > MAX_FORGET)
          return void (await ctx.reply(`/forget takes at most ${MAX_FORGET} ids at once; you gave ${words.length}.`));
        await forget(d, ctx, [...new Set(words.map(memoryId))]);
      },
    })
    .command({
      name: 'memory',
      usage: '<id>',
      description: 'show one memory with where it came from',
      run: async (ctx, args) => {
        const id = memoryId(args);
        if (!isId(id)) return void (await ctx.reply('Show which memory? Give its id, e.g. /memory 12.'));
        await showMemory(d, ctx, id);
      },
    })
    .command({
      name: 'compact',
      usage: '[days]',
      description: 'summarise old, unimportant memories into digests (default: older than 90 days)',
      run: async (ctx, args) => {
        const days = args.trim() === '' ? 90 : Number(args.trim());
        if (!Number.isInteger(days) || days < 0)
          return void (await ctx.reply('Give the age in whole days, e.g. /compact 90.'));
        const summarise = digestSummariser(d.agents());
        const report = await compactMemories(d.memory, d.store, {
          olderThanDays: days,
          ...(summarise ? { summarise } : {}),
        });
        await ctx.reply(
          report.digests.length === 0
            ? `Nothing to compact: no group of ${report.minGroup}+ low-importance memories older than ${days} days.`
            : `Made ${report.digests.length} digest${report.digests.length === 1 ? '' : 's'} from ${report.compacted} memories (${report.method}): ${report.digests.map((d) => `#${d.id}`).join(', ')}. /memory <id> shows what each summarises.`,
        );
      },
    })
    .command({
      name: 'import',
      usage: '<name in the import folder>',
      description:
        'bring in a CSV of clients/contacts or a folder of .md/.txt notes from the import folder (IMPORT_DIR)',
      run: async (ctx, args) => {
        const dir = d.importDir;
        if (!args.trim()) {
          const { root, names, more } = await listImportFolder(dir);
          const inside =
            names.length === 0 ? 'It is empty.' : `In it now: ${names.join(', ')}${more ? ` and ${more} more` : ''}.`;
          return void (await ctx.reply(
            `Import what? Put a CSV or a folder of .md/.txt notes in the import folder, ${root}, and give its name, e.g. /import clients.csv or /import notes. ${inside}`,
          ));
        }
        try {
          const report = await importPath(d.memory, d.store, dir, args.trim(), { channel: ctx.event.channel });
          await ctx.reply(report.summary);
        } catch (err) {
          // A path that cannot be imported is the operator's typo, not a failure of the bot.
          if (err instanceof InputError) return void (await ctx.reply(err.userMessage));
          throw err;
        }
      },
    })
    .text(async (ctx, text) => (WHY.test(text) ? why(d, ctx) : false))
    .action({ name: 'forget', run: (ctx, arg) => forget(d, ctx, [memoryId(arg)].filter(isId)) })
    .action({ name: 'restore', run: (ctx, arg) => restore(d, ctx, arg) })
    .action(correctChoiceAction(d))
    .action({
      name: 'uncorrect',
      run: async (ctx, arg) => {
        const result = await d.memory.uncorrect(memoryId(arg));
        await ctx.reply(
          result
            ? `Undone: #${result.restored.id} is back: ${truncate(result.restored.text, 200)}`
            : `That correction is already undone.`,
        );
      },
    })
    .family();
}
