// What /export writes: memories as Markdown or JSON (each with where it came from), invoices as CSV. Pure functions
// over records; src/commands/export.ts reads the store and hands the file to the channel.

import type { Invoice } from '../ports/engine-store.ts';
import type { Memory } from '../ports/store.ts';
import { describeSource } from '../memory/source.ts';
import { invoiceNumber } from '../invoices/number.ts';

const day = (d: Date) => d.toISOString().slice(0, 10);

export function memoriesMarkdown(memories: Memory[], at: Date): string {
  const out = [
    `# Solo OS memories`,
    '',
    `Exported ${at.toISOString()}: ${memories.length} memories (forgotten and replaced ones are left out; the event log keeps them).`,
  ];
  for (const m of memories) {
    out.push('', `## #${m.id} · ${m.kind}${m.subject ? ` · ${m.subject}` : ''}`, '', m.text, '');
    if (m.entities.length) out.push(`- entities: ${m.entities.join(', ')}`);
    out.push(`- importance: ${m.importance}`);
    out.push(`- source: ${describeSource(m.source)}`);
    out.push(
      `- created ${day(m.createdAt)}${m.updatedAt.getTime() !== m.createdAt.getTime() ? `, updated ${day(m.updatedAt)}` : ''}`,
    );
    if (m.replaces) out.push(`- corrects #${m.replaces}`);
    if (m.digestOf?.length) out.push(`- summarises ${m.digestOf.map((id) => `#${id}`).join(', ')}`);
  }
  return `${out.join('\n')}\n`;
}

export function memoriesJson(memories: Memory[], at: Date): string {
  const records = memories.map((m) => ({
    id: m.id,
    text: m.text,
    kind: m.kind,
    ...(m.subject ? { subject: m.subject } : {}),
    entities: m.entities,
    importance: m.importance,
    // Provenance: the channel, the event that recorded it (its position in the event log), the run, the file.
    source: m.source,
    createdAt: m.createdAt.toISOString(),
    updatedAt: m.updatedAt.toISOString(),
    ...(m.lastUsedAt ? { lastUsedAt: m.lastUsedAt.toISOString() } : {}),
    ...(m.replaces ? { replaces: m.replaces } : {}),
    ...(m.digestOf ? { digestOf: m.digestOf } : {}),
  }));
  return `${JSON.stringify({ exportedAt: at.toISOString(), count: records.length, memories: records }, null, 2)}\n`;
}

/** A spreadsheet would run a cell starting with these as a formula: such text cells get a leading apostrophe. */
const FORMULA = /^[=+\-@\t\r]/;

function cell(value: unknown, text = false): string {
  let s =
    typeof value === 'string'
      ? value
      : value === undefined || value === null
        ? ''
        : value instanceof Date
          ? value.toISOString()
          : JSON.stringify(value);
  if (text && FORMULA.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

const KNOWN = new Set([
  'number',
  'createdAt',
  'client',
  'description',
  'amountMinor',
  'currency',
  'status',
  'runId',
  'idempotencyKey',
]);

/**
 * One row per invoice, in number order (RFC 4180, CRLF). Fields the ledger gained later (payment, due dates) follow
 * the known columns, so an export never leaves out what the store holds.
 */
export function invoicesCsv(invoices: Invoice[]): string {
  const extra = [...new Set(invoices.flatMap((i) => Object.keys(i).filter((k) => !KNOWN.has(k))))].sort();
  const header = ['number', 'date', 'client', 'description', 'amount', 'currency', 'status', 'run', ...extra];
  const rows = invoices.map((i) => {
    // As formatMoney writes it (two decimals), without the thousands separators a spreadsheet would misread.
    const amount = (i.amountMinor / 100).toFixed(2);
    const record = i as unknown as Record<string, unknown>;
    return [
      invoiceNumber(i.number),
      day(i.createdAt),
      cell(i.client, true),
      cell(i.description, true),
      amount,
      i.currency,
      i.status,
      cell(i.runId),
      ...extra.map((k) => cell(record[k], true)),
    ].join(',');
  });
  return `${[header.join(','), ...rows].join('\r\n')}\r\n`;
}
