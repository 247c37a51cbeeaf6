// The commands every Solo OS has: /help, /status, /remember, /recall, /forget, and the Undo buttons they offer.

import { newEvent } from '../domain/events.ts';
import { truncate } from '../domain/text.ts';
import { llmConfigured } from '../config.ts';
import type { InboundContext } from '../inbound/context.ts';
import { keywordRecall } from '../memory/keyword-recall.ts';
import type { Registry } from './registry.ts';

const NOTES_STREAM = 'notes';

function formatUptime(ms: number): string {
  const s = Math.floor(ms / 1000);
  const [d, h, m] = [Math.floor(s / 86400), Math.floor((s % 86400) / 3600), Math.floor((s % 3600) / 60)];
  if (d > 0) return `${d}d ${h}h ${m}m`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

function modelLine(ctx: InboundContext): string {
  const c = ctx.services.config;
  if (!llmConfigured(c)) return 'not configured (set OPENAI_BASE_URL, OPENAI_API_KEY and OPENAI_MODEL)';
  const where = c.OPENAI_BASE_URL ? new URL(c.OPENAI_BASE_URL).host : 'api.openai.com';
  return `${c.OPENAI_MODEL} at ${where}`;
}

/** Accepts "12" and "#12". */
const noteId = (arg: string): string => arg.trim().replace(/^#/, '');

async function forget(ctx: InboundContext, id: string): Promise<void> {
  const { notes, events } = ctx.services.store;
  const note = await notes.get(id);
  if (!note || !(await notes.forget(id))) {
    await ctx.reply(note ? `Note #${id} is already forgotten.` : `There is no note #${id}. /recall shows notes with their ids.`);
    return;
  }
  await events.append(newEvent('note.forgotten', NOTES_STREAM, { noteId: id, channel: ctx.event.channel }));
  await ctx.reply({ text: `Forgot #${id}: ${truncate(note.text, 200)}`, buttons: [{ label: 'Undo', data: `restore:${id}` }] });
}

async function restore(ctx: InboundContext, id: string): Promise<void> {
  const { notes, events } = ctx.services.store;
  const note = await notes.get(id);
  if (!note || !(await notes.restore(id))) {
    await ctx.reply(note ? `Note #${id} is not forgotten.` : `There is no note #${id}.`);
    return;
  }
  await events.append(newEvent('note.restored', NOTES_STREAM, { noteId: id, channel: ctx.event.channel }));
  await ctx.reply(`Restored #${id}: ${truncate(note.text, 200)}`);
}

export function registerBuiltins(registry: Registry): Registry {
  return registry
    .command({
      name: 'help',
      description: 'list the commands',
      run: async (ctx) => {
        const lines = registry.commands().map((c) => `/${c.name}${c.usage ? ` ${c.usage}` : ''} — ${c.description}`);
        await ctx.reply({ text: `Commands:\n${lines.join('\n')}`, buttons: [{ label: 'Status', data: '/status' }] });
      },
    })
    .command({
      name: 'status',
      description: 'uptime, store, channels and model',
      run: async (ctx) => {
        const s = ctx.services;
        const notes = await s.store.notes.count();
        const rssMb = Math.round(process.memoryUsage().rss / 1024 / 1024);
        await ctx.reply(
          [
            `Solo OS ${s.version}, up ${formatUptime(Date.now() - s.startedAt.getTime())}, ${rssMb} MB`,
            `Store: ${s.store.kind} (${s.store.location}), ${notes} note${notes === 1 ? '' : 's'}`,
            `Channels: ${s.channels().map((c) => c.describe()).join('; ') || 'none'}`,
            `Model: ${modelLine(ctx)}`,
          ].join('\n'),
        );
      },
    })
    .command({
      name: 'remember',
      usage: '<text>',
      description: 'keep a note',
      run: async (ctx, args) => {
        if (!args) return void (await ctx.reply('What should I remember? Try: /remember Acme pays invoices net 30'));
        const source = ctx.eventPosition === undefined ? { channel: ctx.event.channel } : { channel: ctx.event.channel, eventPosition: ctx.eventPosition };
        const note = await ctx.services.store.notes.add({ text: args, source });
        await ctx.services.store.events.append(
          newEvent('note.remembered', NOTES_STREAM, { noteId: note.id, text: args, channel: ctx.event.channel }),
        );
        await ctx.reply({ text: `Remembered #${note.id}: ${truncate(args, 200)}`, buttons: [{ label: 'Undo', data: `forget:${note.id}` }] });
      },
    })
    .command({
      name: 'recall',
      usage: '<words>',
      description: 'find notes by keyword, best match first',
      run: async (ctx, args) => {
        if (!args) return void (await ctx.reply('Recall what? Try: /recall Acme budget'));
        const hits = await keywordRecall(ctx.services.store.notes, args, 5);
        if (hits.length === 0) return void (await ctx.reply(`I have no notes matching "${truncate(args, 80)}".`));
        await ctx.reply(hits.map((h) => `#${h.note.id} ${truncate(h.note.text, 300)}`).join('\n'));
      },
    })
    .command({
      name: 'forget',
      usage: '<id>',
      description: 'forget a note (it stays in the audit log)',
      run: async (ctx, args) => {
        const id = noteId(args);
        if (!/^\d+$/.test(id)) return void (await ctx.reply('Forget which note? Give its id, e.g. /forget 12 (/recall shows ids).'));
        await forget(ctx, id);
      },
    })
    .action({ name: 'forget', run: (ctx, arg) => forget(ctx, noteId(arg)) })
    .action({ name: 'restore', run: (ctx, arg) => restore(ctx, noteId(arg)) });
}
