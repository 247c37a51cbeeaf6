// /export: memories as Markdown or JSON (with where each came from) and invoices as CSV, given to the chat as a file
// where the channel takes files (a download link in the web chat, a document or attachment in Telegram, Slack and
// Discord), as text otherwise.

import type { InboundContext } from '../inbound/context.ts';
import { invoicesCsv, memoriesJson, memoriesMarkdown } from '../export/formats.ts';
import type { OutboundFile } from '../ports/channel.ts';
import type { Invoice } from '../ports/engine-store.ts';
import type { StoreCopy } from '../ports/store-copy.ts';
import type { Memory, MemoryStore } from '../ports/store.ts';
import { Registry, type CommandFamily } from './registry.ts';
import { byteSize as size } from '../domain/text.ts';

/** How much of an export goes into a chat that cannot take files (the rest is named, not sent). */
export const TEXT_FALLBACK_CHARS = 12_000;
const PAGE = 500;
const USAGE =
  'Use /export, /export memories [md|json] or /export invoices: memories as Markdown (or JSON), invoices as CSV.';

export interface ExportDeps {
  memories: Pick<MemoryStore, 'scan'>;
  /** Every invoice, in number order, whatever fields the ledger has. */
  copy: Pick<StoreCopy, 'read'>;
  now: () => Date;
}

async function allMemories(memories: ExportDeps['memories']): Promise<Memory[]> {
  const out: Memory[] = [];
  for (let after: string | undefined; ;) {
    const page = await memories.scan(after, PAGE);
    out.push(...page);
    if (page.length < PAGE) return out;
    after = page.at(-1)!.id;
  }
}

async function allInvoices(copy: ExportDeps['copy']): Promise<Invoice[]> {
  const out: Invoice[] = [];
  for (let after: string | undefined; ;) {
    const page = await copy.read('invoices', after, PAGE);
    out.push(...page.records);
    if (!page.next) return out;
    after = page.next;
  }
}

interface Export {
  file: OutboundFile;
  /** "12 memories", "3 invoices". */
  what: string;
}

async function give(ctx: InboundContext, e: Export): Promise<void> {
  const delivered = await ctx.channel.deliverFile?.(ctx.event.chatId, e.file);
  const label = `${e.file.name} (${e.what}, ${size(e.file.data.length)})`;
  if (delivered?.link) return void (await ctx.reply(`${label}: download it within the hour at ${delivered.link}`));
  if (delivered && delivered.notSent === undefined) return void (await ctx.reply(`Sent ${label}.`));
  // No files on this channel, or not this one: the text itself, cut where a chat message stream stops being readable.
  const text = e.file.data.toString('utf8');
  const cut = text.length > TEXT_FALLBACK_CHARS;
  const shown = cut ? text.slice(0, text.lastIndexOf('\n', TEXT_FALLBACK_CHARS) + 1 || TEXT_FALLBACK_CHARS) : text;
  const why = delivered?.notSent
    ? `: ${delivered.notSent} Here it is as text`
    : '; this chat cannot take files, so here it is as text';
  await ctx.reply(
    `${label}${why}${cut ? ` (the first ${size(Buffer.byteLength(shown))}; the web chat gives the whole file)` : ''}:\n\n${shown}`,
  );
}

async function exportMemories(d: ExportDeps, format: 'md' | 'json'): Promise<Export> {
  const memories = await allMemories(d.memories);
  const at = d.now();
  const text = format === 'json' ? memoriesJson(memories, at) : memoriesMarkdown(memories, at);
  const name = `memories-${at.toISOString().slice(0, 10)}.${format}`;
  return {
    file: {
      name,
      contentType: format === 'json' ? 'application/json; charset=utf-8' : 'text/markdown; charset=utf-8',
      data: Buffer.from(text),
    },
    what: memories.length === 1 ? '1 memory' : `${memories.length} memories`,
  };
}

async function exportInvoices(d: ExportDeps): Promise<Export> {
  const invoices = await allInvoices(d.copy);
  const name = `invoices-${d.now().toISOString().slice(0, 10)}.csv`;
  return {
    file: { name, contentType: 'text/csv; charset=utf-8', data: Buffer.from(invoicesCsv(invoices)) },
    what: invoices.length === 1 ? '1 invoice' : `${invoices.length} invoices`,
  };
}

export function exportCommands(d: ExportDeps): CommandFamily {
  return new Registry()
    .command({
      name: 'export',
      usage: '[memories [md|json] | invoices]',
      description: 'your memories (Markdown or JSON, with sources) and invoices (CSV) as files',
      run: async (ctx, args) => {
        const [what = '', format = '', ...rest] = args.trim().toLowerCase().split(/\s+/).filter(Boolean);
        if (rest.length) return void (await ctx.reply(USAGE));
        if (what === '' && format === '') {
          await give(ctx, await exportMemories(d, 'md'));
          return give(ctx, await exportInvoices(d));
        }
        if (what === 'memories' && ['', 'md', 'markdown', 'json'].includes(format))
          return give(ctx, await exportMemories(d, format === 'json' ? 'json' : 'md'));
        if (what === 'invoices' && ['', 'csv'].includes(format)) return give(ctx, await exportInvoices(d));
        await ctx.reply(USAGE);
      },
    })
    .family();
}
