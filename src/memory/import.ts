// Import: bring existing context in. A CSV of clients or contacts becomes one canonical profile per row (a second
// import updates instead of duplicating); a folder (or file) of markdown/text notes becomes one memory per
// paragraph, linked to the clients it names. The report says what was created, updated and skipped, and why.
// Files come only from the import folder (import-files.ts says how that is enforced).

import { basename, dirname, extname, relative } from 'node:path';
import { parse } from 'csv-parse';
import { newEvent } from '../domain/events.ts';
import { InputError } from '../domain/errors.ts';
import type { Memory, MemoryKind, Store } from '../ports/store.ts';
import { entityKey } from './entities.ts';
import { NotRead, openRegularFile, resolveImportPath, walkImportFolder } from './import-files.ts';
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
/** Per-file limits: a note over 5 MB is not a note; a CSV of 20 MB is ~200k clients. */
const MAX_NOTE_BYTES = 5 * 1024 * 1024;
const MAX_CSV_BYTES = 20 * 1024 * 1024;
const importable = (name: string): boolean =>
  extname(name).toLowerCase() === '.csv' || TEXT_EXTENSIONS.has(extname(name).toLowerCase());
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

/** Column name → canonical field; anything else is kept as "column: value" in the profile text. */
const COLUMNS: Record<string, string> = {
  name: 'name',
  client: 'name',
  'client name': 'name',
  contact: 'name',
  'full name': 'name',
  company: 'company',
  organisation: 'company',
  organization: 'company',
  account: 'company',
  kind: 'kind',
  type: 'kind',
  email: 'email',
  'e-mail': 'email',
  phone: 'phone',
  telephone: 'phone',
  notes: 'notes',
  note: 'notes',
  description: 'notes',
  importance: 'importance',
};

async function importCsv(memory: MemoryService, file: string, tally: Tally): Promise<void> {
  const input = (await openRegularFile(file, MAX_CSV_BYTES)).createReadStream();
  const parser = input.pipe(
    parse({
      columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()),
      skip_empty_lines: true,
      trim: true,
      bom: true,
      relax_column_count: true,
    }),
  );
  try {
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
      const kind: MemoryKind =
        fields['kind']?.toLowerCase() === 'contact' ||
        (fields['company'] && fields['name'] && fields['company'] !== fields['name'])
          ? 'contact'
          : 'client';
      const company = kind === 'contact' ? fields['company'] : undefined;
      const entities = [entityKey(kind === 'contact' ? 'contact' : 'client', name)];
      if (company) {
        entities.push(entityKey('client', company));
        // The company gets a profile too when it has none, so "Acme" in later notes links to it.
        if (!memory.entityName(entityKey('client', company))) {
          const created = await memory
            .remember({
              text: `${company} — client.`,
              kind: 'client',
              entities: [entityKey('client', company)],
              subject: company,
              source: { importedFrom: `${basename(file)} row ${row}` },
            })
            .catch(() => undefined);
          if (created?.action === 'created') tally.created++;
        }
      }
      const details = [
        fields['email'] && `email ${fields['email']}`,
        fields['phone'] && `phone ${fields['phone']}`,
        ...extra,
      ].filter(Boolean);
      const text = [
        `${name} — ${kind}${company ? ` at ${company}` : ''}.`,
        fields['notes'],
        details.length ? `${details.join('; ')}.` : undefined,
      ]
        .filter(Boolean)
        .join(' ');
      const importance =
        fields['importance'] !== undefined ? Math.min(1, Math.max(0, Number(fields['importance']))) : undefined;
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
  } finally {
    input.destroy();
  }
}

function paragraphs(text: string): string[] {
  return text
    .replace(/\r\n/g, '\n')
    .split(/\n\s*\n|\n(?=#{1,6}\s)/)
    .map((p) => p.trim())
    .filter(
      (p) => p.replace(/^#{1,6}\s+/, '').trim().length > 0 && !/^#{1,6}\s+[^\n]*$/.test(p) && !/^[-*_]{3,}$/.test(p),
    );
}

async function importNote(
  memory: MemoryService,
  root: string,
  file: string,
  tally: Tally,
  existing: Map<string, Memory>,
): Promise<void> {
  const name = relative(root, file) || basename(file);
  const handle = await openRegularFile(file, MAX_NOTE_BYTES);
  const text = await handle.readFile('utf8').finally(() => handle.close());
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
      const result = await memory.remember({
        text: paragraph,
        kind: 'note',
        entities: fileEntities,
        source: { importedFrom: from },
        dedupe: 'none',
      });
      tally.count(result.action);
    } catch (err) {
      tally.skip(`${name} paragraph ${i + 1}: ${(err as Error).message}`);
    }
  }
}

/** Imports one file found in a folder walk; a file that cannot be read is a line in the report, not a failure. */
async function importFile(
  memory: MemoryService,
  root: string,
  file: string,
  tally: Tally,
  existing: Map<string, Memory>,
): Promise<void> {
  try {
    if (extname(file).toLowerCase() === '.csv') await importCsv(memory, file, tally);
    else await importNote(memory, root, file, tally, existing);
  } catch (err) {
    if (err instanceof NotRead) tally.skip(`${relative(root, file) || basename(file)}: ${err.reason}`);
    else throw err;
  }
}

/**
 * Imports a .csv file, a .md/.txt file, or a folder of them, from inside the import folder `importDir`.
 * Throws InputError with one sentence when the path is unusable.
 */
export async function importPath(
  memory: MemoryService,
  store: Pick<Store, 'events'>,
  importDir: string,
  path: string,
  _origin: { channel?: string } = {},
): Promise<ImportReport> {
  const target = await resolveImportPath(importDir, path);
  const full = target.path;
  const tally = new Tally();
  const existing = await memory.importedSources();
  if (target.kind === 'folder') {
    let files = 0;
    for await (const entry of walkImportFolder(full, full, importable)) {
      files++;
      if (entry.skip !== undefined) tally.skip(entry.skip);
      else await importFile(memory, full, entry.path, tally, existing);
    }
    if (files === 0) throw new InputError(`${basename(full)} has no .csv, .md or .txt files to import.`);
  } else {
    if (!importable(full))
      throw new InputError(`I can import .csv, .md and .txt files or a folder of them, not ${basename(full)}.`);
    try {
      if (extname(full).toLowerCase() === '.csv') await importCsv(memory, full, tally);
      else await importNote(memory, dirname(full), full, tally, existing);
    } catch (err) {
      if (err instanceof NotRead) throw new InputError(`${basename(full)} was not imported: ${err.reason}.`);
      throw err;
    }
  }
  await store.events.append(
    newEvent('memory.imported', MEMORY_STREAM, {
      source: full,
      created: tally.created,
      updated: tally.updated,
      skipped: tally.skipped,
    }),
  );
  const head = `Imported ${basename(full)}: ${tally.created} created, ${tally.updated} updated, ${tally.skipped} skipped.`;
  const summary = tally.problems.length ? `${head}\nSkipped:\n${tally.problems.map((p) => `- ${p}`).join('\n')}` : head;
  return {
    source: full,
    created: tally.created,
    updated: tally.updated,
    skipped: tally.skipped,
    problems: tally.problems,
    summary,
  };
}
