// Memory commands: /remember, /recall, /correct, /forget, /memory, /compact, /import, the Undo buttons they offer,
// and "why?", which shows the memories the last answer in this chat used and where each came from.

import { InputError } from '../domain/errors.ts';
import { truncate } from '../domain/text.ts';
import type { InboundContext } from '../inbound/context.ts';
import { runAgent } from '../agents/runner.ts';
import { compactMemories } from '../memory/compaction.ts';
import { importPath } from '../memory/import.ts';
import { listImportFolder } from '../memory/import-files.ts';
import { describeSource, type RecallHit } from '../memory/memory.ts';
import type { Memory, MemorySource } from '../ports/store.ts';
import type { Registry } from './registry.ts';

/** Accepts "12", "#12" and "m12". */
const memoryId = (arg: string): string => arg.trim().replace(/^#|^m(?=\d)/i, '');
const isId = (s: string): boolean => /^\d{1,15}$/.test(s);

const whyKey = (ctx: InboundContext): string => `why:${ctx.event.channel}:${ctx.event.chatId}`;

interface WhyRecord {
  query: string;
  ids: string[];
  at: string;
}

/** Remembers which memories an answer in this chat relied on, for "why?". */
export async function recordUse(ctx: InboundContext, query: string, memories: Memory[]): Promise<void> {
  const record: WhyRecord = { query, ids: memories.map((m) => m.id), at: new Date().toISOString() };
  await ctx.services.store.settings.set(whyKey(ctx), record);
}

function sourceOf(ctx: InboundContext): MemorySource {
  return ctx.eventPosition === undefined ? { channel: ctx.event.channel } : { channel: ctx.event.channel, eventPosition: ctx.eventPosition };
}

const line = (m: Memory): string => `#${m.id} ${truncate(m.text, 300)}`;

function recallLine(h: RecallHit): string {
  return line(h.memory);
}

async function forget(ctx: InboundContext, id: string): Promise<void> {
  const memory = ctx.services.memory;
  const existing = await memory.get(id);
  const forgotten = existing && !existing.forgottenAt ? await memory.forget(id) : null;
  if (!forgotten) {
    await ctx.reply(existing ? `Memory #${id} is already forgotten.` : `There is no memory #${id}. /recall shows memories with their ids.`);
    return;
  }
  await ctx.reply({ text: `Forgot #${id}: ${truncate(forgotten.text, 200)}`, buttons: [{ label: 'Undo', data: `restore:${id}` }] });
}

async function restore(ctx: InboundContext, id: string): Promise<void> {
  const existing = await ctx.services.memory.get(id);
  if (existing?.replacedBy) {
    await ctx.reply(`Memory #${id} was corrected by #${existing.replacedBy}; undo that correction instead.`);
    return;
  }
  const restored = existing ? await ctx.services.memory.restore(id) : null;
  await ctx.reply(restored ? `Restored #${id}: ${truncate(restored.text, 200)}` : existing ? `Memory #${id} is not forgotten.` : `There is no memory #${id}.`);
}

async function correct(ctx: InboundContext, args: string): Promise<void> {
  const [first = '', ...rest] = args.trim().split(/\s+/);
  const id = memoryId(first);
  const targeted = isId(id) && rest.length > 0;
  const text = targeted ? rest.join(' ') : args.trim();
  if (!text) {
    await ctx.reply('Correct what? Try /correct 12 Acme pays net 45, or /correct Acme pays net 45 to replace the best match.');
    return;
  }
  const result = await ctx.services.memory.correct(targeted ? id : undefined, text, sourceOf(ctx));
  if (!result) {
    await ctx.reply(targeted ? `There is no live memory #${id}. /recall shows ids.` : `I have no memory close enough to "${truncate(text, 80)}" to correct; /remember it instead.`);
    return;
  }
  await ctx.reply({
    text: `Corrected #${result.old.id} → #${result.replacement.id}.\nWas: ${truncate(result.old.text, 200)}\nNow: ${truncate(result.replacement.text, 200)}`,
    buttons: [{ label: 'Undo', data: `uncorrect:${result.replacement.id}` }],
  });
}

async function showMemory(ctx: InboundContext, id: string): Promise<void> {
  const m = await ctx.services.memory.get(id);
  if (!m) return void (await ctx.reply(`There is no memory #${id}.`));
  const names = m.entities.map((e) => ctx.services.memory.entityName(e) ?? e);
  const lines = [
    `#${m.id} (${m.kind}${m.forgottenAt ? ', forgotten' : ''}): ${m.text}`,
    `From: ${describeSource(m.source, m.createdAt)}; updated ${m.updatedAt.toISOString().slice(0, 10)}; importance ${m.importance}`,
  ];
  if (names.length) lines.push(`About: ${names.join(', ')}`);
  if (m.replaces) lines.push(`Corrects #${m.replaces}`);
  if (m.replacedBy) lines.push(`Corrected by #${m.replacedBy}`);
  if (m.digestId) lines.push(`Summarised in digest #${m.digestId}`);
  if (m.digestOf) {
    const originals = await ctx.services.memory.getMany(m.digestOf);
    lines.push(`Summarises:`, ...originals.map((o) => `  #${o.id} ${truncate(o.text, 120)}`));
  }
  await ctx.reply(lines.join('\n'));
}

async function why(ctx: InboundContext): Promise<boolean> {
  const record = await ctx.services.store.settings.get<WhyRecord>(whyKey(ctx));
  if (!record || record.ids.length === 0) {
    await ctx.reply('My last answer here did not use any memories.');
    return true;
  }
  const memories = await ctx.services.memory.getMany(record.ids);
  const lines = memories.map((m) => `#${m.id} ${truncate(m.text, 160)}\n   ↳ ${describeSource(m.source, m.createdAt)}${m.forgottenAt ? ' (since forgotten)' : ''}`);
  await ctx.reply(`For "${truncate(record.query, 80)}" I used:\n${lines.join('\n')}`);
  return true;
}

export function registerMemoryCommands(registry: Registry): Registry {
  return registry
    .command({
      name: 'remember',
      usage: '<text>',
      description: 'keep a memory ("Acme Corp: pays net 30" files it under Acme Corp)',
      run: async (ctx, args) => {
        if (!args) return void (await ctx.reply('What should I remember? Try: /remember Acme Corp: pays invoices net 30'));
        const result = await ctx.services.memory.remember({ text: args, source: sourceOf(ctx) });
        const m = result.memory;
        const about = m.subject ? ` (about ${m.subject})` : '';
        if (result.action === 'unchanged') return void (await ctx.reply(`I already have that as #${m.id}.`));
        if (result.action === 'updated') {
          await ctx.reply(`Updated #${m.id}${about}: ${truncate(m.text, 200)}\nWas: ${truncate(result.previousText ?? '', 200)}`);
          return;
        }
        await ctx.reply({ text: `Remembered #${m.id}${about}: ${truncate(m.text, 200)}`, buttons: [{ label: 'Undo', data: `forget:${m.id}` }] });
      },
    })
    .command({
      name: 'recall',
      usage: '<words>',
      description: 'find memories, best match first',
      run: async (ctx, args) => {
        if (!args) return void (await ctx.reply('Recall what? Try: /recall Acme budget'));
        const hits = await ctx.services.memory.recall(args, { k: 5, touch: true });
        await recordUse(ctx, args, hits.map((h) => h.memory));
        if (hits.length === 0) return void (await ctx.reply(`I have no memories matching "${truncate(args, 80)}".`));
        await ctx.reply(hits.map(recallLine).join('\n'));
      },
    })
    .command({
      name: 'correct',
      usage: '[id] <new text>',
      description: 'replace a memory (the best match when no id is given); the old one stays in the log',
      run: (ctx, args) => correct(ctx, args),
    })
    .command({
      name: 'forget',
      usage: '<id>',
      description: 'forget a memory (it stays in the audit log)',
      run: async (ctx, args) => {
        const id = memoryId(args);
        if (!isId(id)) return void (await ctx.reply('Forget which memory? Give its id, e.g. /forget 12 (/recall shows ids).'));
        await forget(ctx, id);
      },
    })
    .command({
      name: 'memory',
      usage: '<id>',
      description: 'show one memory with where it came from',
      run: async (ctx, args) => {
        const id = memoryId(args);
        if (!isId(id)) return void (await ctx.reply('Show which memory? Give its id, e.g. /memory 12.'));
        await showMemory(ctx, id);
      },
    })
    .command({
      name: 'compact',
      usage: '[days]',
      description: 'summarise old, unimportant memories into digests (default: older than 90 days)',
      run: async (ctx, args) => {
        const days = args.trim() === '' ? 90 : Number(args.trim());
        if (!Number.isInteger(days) || days < 0) return void (await ctx.reply('Give the age in whole days, e.g. /compact 90.'));
        const agents = ctx.services.agents?.();
        // With a model, the digest agent writes the digests (redacted, within budget); otherwise they are extractive.
        const summarise = agents
          ? async (texts: string[], about: string) => {
              const out = await runAgent<{ summary: string }>(agents, { agent: 'digest', request: texts.map((t) => `- ${t}`).join('\n'), values: { about } });
              if (out.status !== 'ok') throw new Error('over budget');
              return out.output.summary;
            }
          : undefined;
        const report = await compactMemories(ctx.services.memory, ctx.services.store, { olderThanDays: days, ...(summarise ? { summarise } : {}) });
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
      description: 'bring in a CSV of clients/contacts or a folder of .md/.txt notes from the import folder (IMPORT_DIR)',
      run: async (ctx, args) => {
        const dir = ctx.services.config.IMPORT_DIR;
        if (!args.trim()) {
          const { root, names, more } = await listImportFolder(dir);
          const inside = names.length === 0 ? 'It is empty.' : `In it now: ${names.join(', ')}${more ? ` and ${more} more` : ''}.`;
          return void (await ctx.reply(`Import what? Put a CSV or a folder of .md/.txt notes in the import folder, ${root}, and give its name, e.g. /import clients.csv or /import notes. ${inside}`));
        }
        try {
          const report = await importPath(ctx.services.memory, ctx.services.store, dir, args.trim(), { channel: ctx.event.channel });
          await ctx.reply(report.summary);
        } catch (err) {
          // A path that cannot be imported is the operator's typo, not a failure of the bot.
          if (err instanceof InputError) return void (await ctx.reply(err.userMessage));
          throw err;
        }
      },
    })
    .text(async (ctx, text) => (/^\s*why\s*\??\s*$/i.test(text) ? why(ctx) : false))
    .action({ name: 'forget', run: (ctx, arg) => forget(ctx, memoryId(arg)) })
    .action({ name: 'restore', run: (ctx, arg) => restore(ctx, memoryId(arg)) })
    .action({
      name: 'uncorrect',
      run: async (ctx, arg) => {
        const result = await ctx.services.memory.uncorrect(memoryId(arg));
        await ctx.reply(result ? `Undone: #${result.restored.id} is back: ${truncate(result.restored.text, 200)}` : `That correction is already undone.`);
      },
    });
}
