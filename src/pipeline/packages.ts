// The consultant's packaged engagements and qualification criteria, in files the operator edits: packages/*.yaml
// (name, scope, price, duration, proposal template), templates/<name>.md (the proposal outline) and
// policies/qualification.yaml (who is a fit). Validated like policies: zod, one sentence naming the file, the line
// and the field; a bad file keeps its last good version; the folders are watched and reloaded on change.

import { existsSync, watch, type FSWatcher } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { lineOf, readYaml } from '../policy/yaml-file.ts';
import { z } from 'zod';
import { parseAmount, isCurrency } from '../domain/money.ts';

/** The placeholders a proposal template may use. */
export const TEMPLATE_FIELDS = ['client', 'package', 'scope', 'price', 'duration', 'notes', 'history'] as const;

const price = z.string().transform((text, ctx) => {
  const m = /^\s*([\d.,' ]+)\s*([A-Za-z]{3})\s*$/.exec(text);
  const minor = m?.[1] ? parseAmount(m[1]) : undefined;
  const currency = m?.[2]?.toUpperCase() ?? '';
  if (minor === undefined || !isCurrency(currency)) {
    ctx.addIssue({ code: 'custom', message: `expected an amount and a currency such as 4000 EUR, got "${text}"` });
    return z.NEVER;
  }
  return { amountMinor: minor, currency };
});

const packageSchema = z.strictObject({
  name: z.string().trim().min(1).max(80),
  scope: z.array(z.string().trim().min(1).max(300)).min(1, { error: 'list at least one thing the package delivers' }),
  price,
  duration_days: z.number().int().min(1).max(365),
  kickoff_minutes: z.number().int().min(15).max(480).default(60),
  template: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, { error: 'expected a template name such as proposal (templates/proposal.md)' }),
  follow_up_days: z.number().int().min(1).max(365).default(14),
});

const criteriaSchema = z.strictObject({
  qualification: z.strictObject({
    ideal_client: z.string().trim().min(1).max(1000),
    must: z.array(z.string().trim().min(1).max(300)).default([]),
    reject: z.array(z.string().trim().min(1).max(300)).default([]),
  }),
});

export interface ConsultingPackage {
  /** The file's name without .yaml: `brand-sprint`. */
  id: string;
  name: string;
  scope: string[];
  amountMinor: number;
  currency: string;
  durationDays: number;
  kickoffMinutes: number;
  template: string;
  followUpDays: number;
}

type Criteria = z.output<typeof criteriaSchema>['qualification'];

export interface PipelineFiles {
  packages: ConsultingPackage[];
  /** Template text by name. */
  templates: Map<string, string>;
  criteria?: Criteria;
  /** One sentence per file that was not applied. */
  rejected: string[];
}

const pathText = (path: readonly PropertyKey[]): string =>
  path
    .map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`))
    .join('')
    .replace(/^\./, '');

/** Parses one YAML file against a schema: the value, or one sentence with file, line and field. */
function parseFile<T>(
  text: string,
  display: string,
  schema: z.ZodType<T>,
): { ok: true; value: T } | { ok: false; error: string } {
  const read = readYaml(text, display);
  if (!read.ok) return read;
  const { doc, counter } = read;
  const parsed = schema.safeParse(doc.toJS({ maxAliasCount: 100 }) ?? {});
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0]!;
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] ?? ''] : issue.path;
  const message =
    issue.code === 'unrecognized_keys'
      ? `unknown field "${issue.keys.join('", "')}"`
      : issue.code === 'invalid_type' && !doc.hasIn(path as unknown[])
        ? `${String(path.at(-1))} is missing`
        : issue.message;
  const line = lineOf(doc, counter, path);
  return {
    ok: false,
    error: `${display}${line === undefined ? '' : ` line ${line}`}${path.length ? ` (${pathText(path)})` : ''}: ${message.replace(/\.$/, '')}.`,
  };
}

/** A template's unknown placeholders, as one sentence, or undefined when it is fine. */
function checkTemplate(text: string, display: string): string | undefined {
  const lines = text.split('\n');
  for (const [i, line] of lines.entries()) {
    for (const m of line.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)) {
      if (!(TEMPLATE_FIELDS as readonly string[]).includes(m[1] ?? ''))
        return `${display} line ${i + 1}: unknown placeholder {{${m[1]}}} (use ${TEMPLATE_FIELDS.map((f) => `{{${f}}}`).join(', ')}).`;
    }
  }
  return undefined;
}

/** Fills a template's placeholders. */
export const fillTemplate = (template: string, values: Record<(typeof TEMPLATE_FIELDS)[number], string>): string =>
  template.replace(/\{\{\s*([a-z]+)\s*\}\}/g, (whole, key: string) => (values as Record<string, string>)[key] ?? whole);

export interface PipelineDirs {
  packages: string;
  templates: string;
  /** The policies folder: qualification.yaml lives there. */
  policies: string;
}

const CRITERIA_FILE = 'qualification.yaml';

async function yamlFiles(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).filter((f) => /\.ya?ml$/.test(f)).sort();
}

/** Reads everything once. `previous` keeps the last good version of a file that is now bad. */
export async function readPipelineFiles(dirs: PipelineDirs, previous?: PipelineFiles): Promise<PipelineFiles> {
  const rejected: string[] = [];
  const templates = new Map<string, string>();
  for (const file of (await readdir(dirs.templates).catch(() => [] as string[]))
    .filter((f) => f.endsWith('.md'))
    .sort()) {
    const text = await readFile(join(dirs.templates, file), 'utf8');
    const name = file.slice(0, -3);
    const problem = checkTemplate(text, `templates/${file}`);
    if (problem) {
      rejected.push(problem);
      const old = previous?.templates.get(name);
      if (old !== undefined) templates.set(name, old);
    } else templates.set(name, text);
  }
  const packages: ConsultingPackage[] = [];
  for (const file of await yamlFiles(dirs.packages)) {
    const id = basename(file).replace(/\.ya?ml$/, '');
    const display = `packages/${file}`;
    const parsed = parseFile(await readFile(join(dirs.packages, file), 'utf8'), display, packageSchema);
    if (!parsed.ok) {
      rejected.push(parsed.error);
      const old = previous?.packages.find((p) => p.id === id);
      if (old) packages.push(old);
      continue;
    }
    const p = parsed.value;
    if (!templates.has(p.template)) {
      rejected.push(`${display} (template): there is no templates/${p.template}.md.`);
      continue;
    }
    packages.push({
      id,
      name: p.name,
      scope: p.scope,
      amountMinor: p.price.amountMinor,
      currency: p.price.currency,
      durationDays: p.duration_days,
      kickoffMinutes: p.kickoff_minutes,
      template: p.template,
      followUpDays: p.follow_up_days,
    });
  }
  let criteria = previous?.criteria;
  const criteriaPath = join(dirs.policies, CRITERIA_FILE);
  if (existsSync(criteriaPath)) {
    const parsed = parseFile(await readFile(criteriaPath, 'utf8'), `policies/${CRITERIA_FILE}`, criteriaSchema);
    if (parsed.ok) criteria = parsed.value.qualification;
    else rejected.push(parsed.error);
  } else criteria = undefined;
  return { packages, templates, ...(criteria ? { criteria } : {}), rejected };
}

/** The files as last read, reloaded when any of the three folders changes; each new problem is reported once. */
export class PipelineCatalog {
  readonly #dirs: PipelineDirs;
  readonly #onRejected: (error: string) => void;
  #files: PipelineFiles = { packages: [], templates: new Map(), rejected: [] };
  #watchers: FSWatcher[] = [];
  #timer: NodeJS.Timeout | undefined;
  #reported = new Set<string>();

  constructor(dirs: PipelineDirs, onRejected: (error: string) => void) {
    this.#dirs = dirs;
    this.#onRejected = onRejected;
  }

  async load(): Promise<PipelineFiles> {
    this.#files = await readPipelineFiles(this.#dirs, this.#files);
    for (const error of this.#files.rejected) if (!this.#reported.has(error)) this.#onRejected(error);
    this.#reported = new Set(this.#files.rejected);
    return this.#files;
  }

  current(): PipelineFiles {
    return this.#files;
  }

  package(id: string): ConsultingPackage | undefined {
    return this.#files.packages.find((p) => p.id === id || p.name.toLowerCase() === id.toLowerCase());
  }

  watch(debounceMs = 200): void {
    for (const dir of [this.#dirs.packages, this.#dirs.templates, this.#dirs.policies]) {
      if (!existsSync(dir)) continue;
      try {
        const w = watch(dir, () => {
          clearTimeout(this.#timer);
          this.#timer = setTimeout(() => void this.load().catch(() => undefined), debounceMs);
        });
        w.on('error', () => undefined);
        this.#watchers.push(w);
      } catch {
        // A folder that cannot be watched is read at start and on /pipeline reload only.
      }
    }
  }

  close(): void {
    clearTimeout(this.#timer);
    for (const w of this.#watchers) w.close();
    this.#watchers = [];
  }
}
