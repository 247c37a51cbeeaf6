// Import: bring existing context in. A CSV of clients or contacts becomes one canonical profile per row (a second
// import updates instead of duplicating); a folder (or file) of markdown/text notes becomes one memory per
// paragraph, linked to the clients it names. The report says what was created, updated and skipped, and why.

import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, extname, join, relative, resolve } from 'node:path';
import { parse } from 'csv-parse';
import { newEvent } from '../domain/events.ts';
import { InputError } from '../domain/errors.ts';
import type { Memory, MemoryKind, Store } from '../ports/store.ts';
import { entityKey } from './entities.ts';
import { MEMORY_STREAM, type MemoryService } from './memory.ts';

export interface ImportReport {
  source: string;
  created: number;
  updated: number;
  skipped: number;
  /** Up to 20 reasons for skipped rows or files. */
  problems: string[];
  summary: string;
}

const TEXT_EXTENSIONS = new Set(['.md', '.markdown', '.txt']);
const MAX_FILE_BYTES = 5 * 1024 * 1024;
const MAX_PARAGRAPH = 4000;

class Tally {
  created = 0;
  updated = 0;
  skipped = 0;
  problems: string[] = [];
  skip(reason: string): void {
    this.skipped++;
    if (this.problems.length < 20) this.problems.push(reason);
  }
  count(action: 'created' | 'updated' | 'unchanged'): void {
    if (action === 'created') this.created++;
    else if (action === 'updated') this.updated++;
    else this.skipped++;
  }
}

function expand(path: string): string {
  return resolve(path.startsWith('~/') ? join(homedir(), path.slice(2)) : path);
}

/** Column name → canonical field; anything else is kept as "column: value" in the profile text. */
const COLUMNS: Record<string, string> = {
  name: 'name', client: 'name', 'client name': 'name', contact: 'name', 'full name': 'name',
  company: 'company', organisation: 'company', organization: 'company', account: 'company',
  kind: 'kind', type: 'kind',
  email: 'email', 'e-mail': 'email', phone: 'phone', telephone: 'phone',
  notes: 'notes', note: 'notes', description: 'notes',
  importance: 'importance',
};

async function importCsv(memory: MemoryService, file: string, tally: Tally): Promise<void> {
  const parser = createReadStream(file).pipe(parse({ columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()), skip_empty_lines: true, trim: true, bom: true, relax_column_count: true }));
  let row = 1;
  for await (const record of parser as AsyncIterable<Record<string, string>>) {
    row++;
    const fields: Record<string, string> = {};
    const extra: string[] = [];
    for (const [column, value] of Object.entries(record)) {
      if (!value) continue;
      const field = COLUMNS[column];
      if (field) fields[field] = value;
      else extra.push(`${column}: ${value}`);
    }
    const name = fields['name'] ?? (fields['kind'] === 'contact' ? undefined : fields['company']);
    if (!name) {
      tally.skip(`${basename(file)} row ${row}: no name column value`);
      continue;
    }
    const kind: MemoryKind = fields['kind']?.toLowerCase() === 'contact' || (fields['company'] && fields['name'] && fields['company'] !== fields['name']) ? 'contact' : 'client';
    const company = kind === 'contact' ? fields['company'] : undefined;
    const entities = [entityKey(kind === 'contact' ? 'contact' : 'client', name)];
    if (company) {
      entities.push(entityKey('client', company));
      // The company gets a profile too when it has none, so "Acme" in later notes links to it.
      if (!memory.entityName(entityKey('client', company))) {
        const created = await memory.remember({ text: `${company} — client.`, kind: 'client', entities: [entityKey('client', company)], subject: company, source: { importedFrom: `${basename(file)} row ${row}` } }).catch(() => undefined);
        if (created?.action === 'created') tally.created++;
      }
    }
    const details = [fields['email'] && `email ${fields['email']}`, fields['phone'] && `phone ${fields['phone']}`, ...extra].filter(Boolean);
    const text = [`${name} — ${kind}${company ? ` at ${company}` : ''}.`, fields['notes'], details.length ? `${details.join('; ')}.` : undefined].filter(Boolean).join(' ');
    const importance = fields['importance'] !== undefined ? Math.min(1, Math.max(0, Number(fields['importance']))) : undefined;
    try {
      const result = await memory.remember({
        text,
        kind,
        entities,
        subject: name,
        source: { importedFrom: `${basename(file)} row ${row}` },
        ...(importance !== undefined && !Number.isNaN(importance) ? { importance } : {}),
      });
      tally.count(result.action);
    } catch (err) {
      tally.skip(`${basename(file)} row ${row}: ${(err as Error).message}`);
    }
  }
}

function paragraphs(text: string): string[] {
  return text
    .replace(/\r\n/g, '\n')
    .split(/\n\s*\n|\n(?=#{1,6}\s)/)
    .map((p) => p.trim())
    .filter((p) => p.replace(/^#{1,6}\s+/, '').trim().length > 0 && !/^#{1,6}\s+[^\n]*$/.test(p) && !/^[-*_]{3,}$/.test(p));
}

async function importNote(memory: MemoryService, root: string, file: string, tally: Tally, existing: Map<string, Memory>): Promise<void> {
  const size = (await stat(file)).size;
  const name = relative(root, file) || basename(file);
  if (size > MAX_FILE_BYTES) return tally.skip(`${name}: larger than 5 MB`);
  const text = await readFile(file, 'utf8');
  if (text.includes('\u0000')) return tally.skip(`${name}: not a text file`);
  // A note file named after a known client ("acme-corp.md") is about that client.
  const fileEntities = memory.entitiesIn(basename(file, extname(file)).replace(/[-_]+/g, ' '));
  for (const [i, paragraph] of paragraphs(text).entries()) {
    if (paragraph.length > MAX_PARAGRAPH) {
      tally.skip(`${name} paragraph ${i + 1}: longer than ${MAX_PARAGRAPH} characters`);
      continue;
    }
    const from = `${name} ¶${i + 1}`;
    try {
      const before = existing.get(from);
      if (before) {
        if (before.text === paragraph) tally.count('unchanged');
        else if (await memory.revise(before.id, paragraph, `re-imported from ${from}`)) tally.count('updated');
        continue;
      }
      const result = await memory.remember({ text: paragraph, kind: 'note', entities: fileEntities, source: { importedFrom: from }, dedupe: 'none' });
      tally.count(result.action);
    } catch (err) {
      tally.skip(`${name} paragraph ${i + 1}: ${(err as Error).message}`);
    }
  }
}

async function* walk(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile()) yield path;
  }
}

/** Imports a .csv file, a .md/.txt file, or a folder of them. Throws InputError with one sentence when the path is unusable. */
export async function importPath(memory: MemoryService, store: Store, path: string, _origin: { channel?: string } = {}): Promise<ImportReport> {
  const full = expand(path);
  const info = await stat(full).catch(() => undefined);
  if (!info) throw new InputError(`There is no file or folder at ${full}.`);
  const tally = new Tally();
  const existing = await memory.importedSources();
  if (info.isDirectory()) {
    let files = 0;
    for await (const file of walk(full)) {
      const ext = extname(file).toLowerCase();
      if (ext === '.csv') await importCsv(memory, file, tally);
      else if (TEXT_EXTENSIONS.has(ext)) await importNote(memory, full, file, tally, existing);
      else continue;
      files++;
    }
    if (files === 0) throw new InputError(`${full} has no .csv, .md or .txt files to import.`);
  } else {
    const ext = extname(full).toLowerCase();
    if (ext === '.csv') await importCsv(memory, full, tally);
    else if (TEXT_EXTENSIONS.has(ext)) await importNote(memory, resolve(full, '..'), full, tally, existing);
    else throw new InputError(`I can import .csv, .md and .txt files or a folder of them, not ${basename(full)}.`);
  }
  await store.events.append(newEvent('memory.imported', MEMORY_STREAM, { source: full, created: tally.created, updated: tally.updated, skipped: tally.skipped }));
  const head = `Imported ${basename(full)}: ${tally.created} created, ${tally.updated} updated, ${tally.skipped} skipped.`;
  const summary = tally.problems.length ? `${head}\nSkipped:\n${tally.problems.map((p) => `- ${p}`).join('\n')}` : head;
  return { source: full, created: tally.created, updated: tally.updated, skipped: tally.skipped, problems: tally.problems, summary };
}
