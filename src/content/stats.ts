// Analytics exports (newsletter or video statistics as CSV, from the import folder) become audience signals: each
// row is linked to the piece it is about (by title; a title no piece has becomes a past, published piece), its rate
// is kept on the piece for the pattern detector, and a memory linked to the piece says what was measured. Importing
// the same file again changes nothing.

import { basename } from 'node:path';
import { parse } from 'csv-parse';
import { InputError } from '../domain/errors.ts';
import type { RememberInput } from '../memory/types.ts';
import { openRegularFile, resolveImportPath } from '../memory/import-files.ts';
import { pieceEntity, type ContentStore, type PieceMetric } from './pieces.ts';

const MAX_CSV_BYTES = 20 * 1024 * 1024;

/** Column name → field, lower-cased; the usual names of newsletter and video exports. */
const COLUMNS: Record<string, string> = {
  title: 'title',
  subject: 'title',
  name: 'title',
  'video title': 'title',
  'email subject': 'title',
  piece: 'title',
  topic: 'topic',
  tag: 'topic',
  tags: 'topic',
  category: 'topic',
  format: 'format',
  type: 'format',
  channel: 'format',
  date: 'date',
  'sent at': 'date',
  'send date': 'date',
  published: 'date',
  'publish date': 'date',
  recipients: 'recipients',
  sent: 'recipients',
  delivered: 'recipients',
  sends: 'recipients',
  opens: 'opens',
  'unique opens': 'opens',
  opened: 'opens',
  clicks: 'clicks',
  'unique clicks': 'clicks',
  impressions: 'impressions',
  views: 'views',
};

export interface StatsReport {
  file: string;
  rows: number;
  linked: string[];
  added: string[];
  unchanged: number;
  skipped: string[];
}

export interface StatsDeps {
  pieces: ContentStore;
  remember: (input: RememberInput) => Promise<unknown>;
  now: () => Date;
}

const count = (v: string | undefined): number | undefined => {
  if (v === undefined || v === '') return undefined;
  const n = Number(v.replace(/[\s,']/g, ''));
  return Number.isFinite(n) && n >= 0 ? n : undefined;
};

/** The rate a row measures, or why it has none. */
function rateOf(f: Record<string, string>): PieceMetric | string {
  const recipients = count(f['recipients']);
  const opens = count(f['opens']);
  const impressions = count(f['impressions']);
  const views = count(f['views']);
  if (recipients && opens !== undefined)
    return { metric: 'open_rate', value: opens / recipients, base: recipients, source: '' };
  if (impressions && views !== undefined)
    return { metric: 'view_rate', value: views / impressions, base: impressions, source: '' };
  return 'no opens/recipients or views/impressions';
}

const describeRate = (m: PieceMetric, clicks: number | undefined): string => {
  const what =
    m.metric === 'open_rate'
      ? `open rate ${(m.value * 100).toFixed(1)} % of ${m.base} recipients`
      : `view rate ${(m.value * 100).toFixed(1)} % of ${m.base} impressions`;
  return clicks === undefined ? what : `${what}, ${clicks} clicks`;
};

export async function importStats(d: StatsDeps, importDir: string, typed: string): Promise<StatsReport> {
  const target = await resolveImportPath(importDir, typed);
  if (target.kind !== 'file' || !/\.csv$/i.test(target.path))
    throw new InputError(`${typed} is not a .csv file; /stats reads an analytics export such as newsletter.csv.`);
  const file = basename(target.path);
  const report: StatsReport = { file, rows: 0, linked: [], added: [], unchanged: 0, skipped: [] };
  const input = (await openRegularFile(target.path, MAX_CSV_BYTES)).createReadStream();
  const parser = input.pipe(
    parse({
      columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()),
      skip_empty_lines: true,
      trim: true,
      bom: true,
      relax_column_count: true,
    }),
  );
  let row = 1;
  for await (const record of parser as AsyncIterable<Record<string, string>>) {
    row++;
    report.rows++;
    const f: Record<string, string> = {};
    for (const [column, value] of Object.entries(record)) {
      const field = COLUMNS[column];
      if (field && value) f[field] = value;
    }
    const title = f['title'];
    if (!title) {
      report.skipped.push(`row ${row}: no title`);
      continue;
    }
    const rate = rateOf(f);
    if (typeof rate === 'string') {
      report.skipped.push(`row ${row}: ${rate}`);
      continue;
    }
    const metric: PieceMetric = { ...rate, source: `${file} row ${row}` };
    const date = /^\d{4}-\d{2}-\d{2}/.exec(f['date'] ?? '')?.[0];
    const existing = await d.pieces.byTitle(title);
    const piece =
      existing ??
      (await d.pieces.create(
        {
          title,
          topic: f['topic'] ?? 'general',
          format: f['format'] ?? (rate.metric === 'view_rate' ? 'video' : 'newsletter'),
          stage: 'published',
          ...(date ? { publishOn: date } : {}),
          at: d.now(),
        },
        `stats:${title.toLowerCase()}`,
      ));
    if (piece.metrics.some((m) => m.metric === metric.metric && m.value === metric.value && m.base === metric.base)) {
      report.unchanged++;
      continue;
    }
    await d.pieces.update(piece.id, (p) => ({ ...p, metrics: [...p.metrics, metric] }));
    await d.remember({
      text: `Audience signal for "${piece.title}" (${piece.topic}, ${piece.format}${date ? `, ${date}` : ''}): ${describeRate(metric, count(f['clicks']))}.`,
      kind: 'fact',
      entities: [pieceEntity(piece.id)],
      importance: 0.5,
      source: { importedFrom: metric.source },
      dedupe: 'none',
    });
    (existing ? report.linked : report.added).push(piece.id);
  }
  return report;
}

export function describeStats(r: StatsReport): string {
  const parts = [
    `${r.linked.length} linked to pieces you have${r.linked.length ? ` (${r.linked.join(', ')})` : ''}`,
    `${r.added.length} added as past pieces`,
    ...(r.unchanged ? [`${r.unchanged} already imported`] : []),
    `${r.skipped.length} skipped${r.skipped.length ? ` (${r.skipped.slice(0, 3).join('; ')}${r.skipped.length > 3 ? '; …' : ''})` : ''}`,
  ];
  return `Imported ${r.file}: ${r.rows} row${r.rows === 1 ? '' : 's'} — ${parts.join(', ')}.`;
}
