// Loads policies/*.yaml at start and again whenever the folder changes. Each file is checked on its own: a bad
// file keeps its last good version (or, at start, the defaults for its sections) and the operator hears which
// file, which line and which field, in one sentence. Good files apply at once. A section defined in two files is
// an error naming both (the first file alphabetically keeps it). `loaded` fires only when the merged policy
// really changed (editing a comment does not count), with a digest of it.

import { createHash } from 'node:crypto';
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { lineOf, readYaml } from './yaml-file.ts';
import type { z } from 'zod';
import { newEvent } from '../domain/events.ts';
import type { EventLog } from '../ports/store.ts';
import { policyFileSchema, SECTIONS, withDefaults, type Policy, type PolicyFile, type Section } from './schema.ts';

export interface Rejection {
  /** Shown as `policies/<name>`. */
  file: string;
  /** One sentence: file, line when known, field, what was expected. */
  error: string;
}

export interface Loaded {
  policy: Policy;
  digest: string;
  files: string[];
}

export interface LoadReport extends Loaded {
  rejected: Rejection[];
}

export interface PolicyServiceOptions {
  dir: string;
  /** When given, `policy.loaded` and `policy.rejected` are appended to the stream `policy`. */
  events?: EventLog;
  debounceMs?: number;
  /** Top-level keys other parts own (policies/prices.yaml belongs to the LLM prices): skipped here. */
  foreignSections?: string[];
  onLoaded?: (loaded: Loaded) => void;
  onRejected?: (rejection: Rejection) => void;
  /** The operator's zone (TIMEZONE): quiet hours and budget days use it unless a file names another. */
  timeZone?: string;
}

interface FileState {
  hash: string;
  good?: PolicyFile;
  error?: string;
  conflict?: string;
}

type Listener<T> = (value: T) => void;

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export const digestOf = (policy: Policy): string =>
  createHash('sha256').update(stableJson(policy)).digest('hex').slice(0, 16);

const pathText = (path: readonly PropertyKey[]): string =>
  path.reduce<string>(
    (out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)),
    '',
  );

/** The most specific message of a zod issue, in the policy's own words. */
function issueMessage(issue: z.core.$ZodIssue): { path: PropertyKey[]; message: string } {
  if (issue.code === 'unrecognized_keys') {
    const top = issue.path.length === 0;
    const hint = top ? ` (a file may hold ${SECTIONS.join(', ')})` : '';
    return {
      path: [...issue.path, ...(issue.keys[0] === undefined ? [] : [issue.keys[0]])],
      message: `unknown field "${issue.keys.join('", "')}"${hint}`,
    };
  }
  if (issue.code === 'invalid_key') return { path: issue.path, message: issue.issues[0]?.message ?? issue.message };
  if (issue.code === 'invalid_union') {
    // Report the branch that got furthest: usually the one the author meant.
    const best = issue.errors.flat().sort((a, b) => b.path.length - a.path.length)[0];
    if (best && (best.code !== 'invalid_type' || best.path.length > 0)) {
      const inner = issueMessage(best);
      return { path: [...issue.path, ...inner.path], message: inner.message };
    }
  }
  return { path: issue.path, message: issue.message };
}

/** The YAML path of a rule as violations name it. */
function rulePath(section: string, rule: string, policy: Policy): PropertyKey[] {
  if (section === 'approvals') {
    const indexed = /^approvals\.rules\[(\d+)\]$/.exec(rule);
    if (indexed) return ['approvals', 'rules', Number(indexed[1])];
    if (rule.startsWith('approvals.')) return ['approvals', rule.slice('approvals.'.length)];
    const named = policy.approvals.rules.findIndex((r) => r.name === rule);
    return named >= 0 ? ['approvals', 'rules', named] : ['approvals', 'default_for_writes'];
  }
  return [section, rule];
}

/** Parses and validates one file's text. Returns the sections or one sentence saying what is wrong. */
// `qualification` belongs to the consultant's pipeline (src/pipeline/packages.ts validates it).
export function parsePolicyFile(
  text: string,
  display: string,
  foreign: readonly string[] = ['prices', 'qualification'],
): { ok: true; sections: PolicyFile } | { ok: false; error: string } {
  const read = readYaml(text, display);
  if (!read.ok) return read;
  const { doc, counter } = read;
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return { ok: false, error: `${display} could not be read: ${(err as Error).message}.` };
  }
  if (data === null || data === undefined) return { ok: true, sections: {} };
  if (typeof data !== 'object' || Array.isArray(data)) {
    return {
      ok: false,
      error: `${display} must hold sections such as "approvals:" or "budgets:" at the top, not a ${Array.isArray(data) ? 'list' : 'single value'}.`,
    };
  }
  const own = Object.fromEntries(Object.entries(data).filter(([key]) => !foreign.includes(key)));
  const parsed = policyFileSchema.safeParse(own);
  if (parsed.success) return { ok: true, sections: parsed.data };
  const issues = parsed.error.issues;
  const first = issueMessage(issues[0] as z.core.$ZodIssue);
  if (
    first.path.length > 0 &&
    !doc.hasIn(first.path as unknown[]) &&
    (issues[0]?.code === 'invalid_type' || issues[0]?.code === 'invalid_union')
  ) {
    first.message = `${String(first.path[first.path.length - 1])} is missing`;
  } else if (first.message === 'Invalid input') {
    first.message = 'expected one value or a list of values of the kind shown in policies/README.md';
  }
  const line = lineOf(doc, counter, first.path);
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
  const field = first.path.length ? ` (${pathText(first.path)})` : '';
  return {
    ok: false,
    error: `${display}${line === undefined ? '' : ` line ${line}`}${field}: ${first.message.replace(/\.$/, '')}${more}.`,
  };
}

export class PolicyService {
  readonly #dir: string;
  readonly #options: PolicyServiceOptions;
  readonly #files = new Map<string, FileState>();
  readonly #listeners = { loaded: new Set<Listener<Loaded>>(), rejected: new Set<Listener<Rejection>>() };
  #policy: Policy = withDefaults({});
  #digest = '';
  #loadedFiles: string[] = [];
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  #poll: NodeJS.Timeout | undefined;
  #running: Promise<unknown> = Promise.resolve();
  #closed = false;
  #lastRejection: Rejection | undefined;
  /** Which file each section in force comes from. */
  #owners = new Map<Section, string>();

  constructor(options: PolicyServiceOptions) {
    this.#options = options;
    this.#dir = options.dir;
    this.#policy = this.#zoned(this.#policy);
    if (options.onLoaded) this.#listeners.loaded.add(options.onLoaded);
    if (options.onRejected) this.#listeners.rejected.add(options.onRejected);
  }

  /** The policy with the operator's zone wherever a file named none. */
  #zoned(policy: Policy): Policy {
    const zone = this.#options.timeZone;
    if (!zone) return policy;
    return {
      ...policy,
      quiet_hours: { ...policy.quiet_hours, time_zone: policy.quiet_hours.time_zone ?? zone },
      budgets: { ...policy.budgets, time_zone: policy.budgets.time_zone ?? zone },
    };
  }

  /** The policy in force: never undefined, never half-applied. */
  current(): Policy {
    return this.#policy;
  }

  get digest(): string {
    return this.#digest;
  }

  on(event: 'loaded', listener: Listener<Loaded>): () => void;
  on(event: 'rejected', listener: Listener<Rejection>): () => void;
  on(event: 'loaded' | 'rejected', listener: Listener<Loaded> | Listener<Rejection>): () => void {
    const set = this.#listeners[event] as Set<typeof listener>;
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Reads the folder. Bad files are reported in `rejected` (and to listeners); the rest applies. */
  async load(): Promise<LoadReport> {
    return this.#serialised(true);
  }

  async #serialised(first: boolean): Promise<LoadReport> {
    const run = this.#running.then(() => this.#reload(first));
    this.#running = run.catch(() => undefined);
    return run;
  }

  /** Re-reads the folder on every change (debounced). A missing folder is waited for. */
  watch(): void {
    if (this.#watcher || this.#poll || this.#closed) return;
    if (!existsSync(this.#dir)) {
      this.#poll = setInterval(() => {
        if (!existsSync(this.#dir)) return;
        clearInterval(this.#poll);
        this.#poll = undefined;
        this.watch();
        this.#schedule();
      }, 1000);
      this.#poll.unref();
      return;
    }
    this.#watcher = watch(this.#dir, { persistent: false }, (_event, name) => {
      if (name === null || /\.ya?ml$/i.test(String(name))) this.#schedule();
    });
    this.#watcher.on('error', () => {
      // The folder went away: wait for it to come back.
      this.#watcher?.close();
      this.#watcher = undefined;
      this.#schedule();
      this.watch();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    clearInterval(this.#poll);
    this.#watcher?.close();
    this.#watcher = undefined;
    await this.#running;
  }

  #schedule(): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      void this.#serialised(false).catch(() => undefined);
    }, this.#options.debounceMs ?? 150);
    this.#timer.unref();
  }

  #display(file: string): string {
    return join(basename(this.#dir), file);
  }

  async #listFiles(): Promise<string[]> {
    try {
      const names = await readdir(this.#dir);
      return names.filter((n) => /\.ya?ml$/i.test(n) && !n.startsWith('.')).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  async #reload(first: boolean): Promise<LoadReport> {
    const rejected: Rejection[] = [];
    const names = await this.#listFiles();
    for (const gone of [...this.#files.keys()].filter((f) => !names.includes(f))) this.#files.delete(gone);

    for (const name of names) {
      const display = this.#display(name);
      let text: string;
      try {
        text = await readFile(join(this.#dir, name), 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // removed while we listed
        const error = `${display} could not be read: ${(err as Error).message}.`;
        const state = this.#files.get(name) ?? { hash: '' };
        if (state.error !== error) rejected.push({ file: display, error });
        this.#files.set(name, { ...state, hash: '', error });
        continue;
      }
      const hash = createHash('sha256').update(text).digest('hex');
      const previous = this.#files.get(name);
      if (previous?.hash === hash) continue;
      const result = parsePolicyFile(text, display, this.#options.foreignSections);
      if (result.ok) {
        this.#files.set(name, { hash, good: result.sections });
      } else {
        const state: FileState = { hash, error: result.error };
        if (previous?.good) state.good = previous.good;
        this.#files.set(name, state);
        rejected.push({
          file: display,
          error: previous?.good ? `${result.error.replace(/\.$/, '')}; keeping its last good version.` : result.error,
        });
      }
    }

    // Merge, first file alphabetically first; a section claimed twice is an error naming both files.
    const owners = new Map<Section, string>();
    const merged: PolicyFile = {};
    const used: string[] = [];
    for (const name of names) {
      const state = this.#files.get(name);
      if (!state?.good) continue;
      const clashes: string[] = [];
      for (const section of SECTIONS) {
        if (state.good[section] === undefined) continue;
        const owner = owners.get(section);
        if (owner !== undefined) {
          clashes.push(`"${section}" is already defined in ${this.#display(owner)}`);
          continue;
        }
        owners.set(section, name);
        (merged as Record<Section, unknown>)[section] = state.good[section];
      }
      const conflict = clashes.length
        ? `${this.#display(name)}: section ${clashes.join(', and ')}; that part of ${name} is ignored.`
        : undefined;
      if (conflict !== undefined && conflict !== state.conflict)
        rejected.push({ file: this.#display(name), error: conflict });
      if (conflict === undefined) delete state.conflict;
      else state.conflict = conflict;
      used.push(this.#display(name));
    }
    this.#owners = owners;

    const policy = this.#zoned(withDefaults(merged));
    const digest = digestOf(policy);
    const changed = digest !== this.#digest;
    this.#policy = policy;
    this.#digest = digest;
    this.#loadedFiles = used;
    const loaded: Loaded = { policy, digest, files: used };
    if (changed || first) {
      await this.#options.events?.append(newEvent('policy.loaded', 'policy', { files: used, digest }));
      if (changed) for (const l of this.#listeners.loaded) l(loaded);
    }
    for (const r of rejected) {
      this.#lastRejection = r;
      await this.#options.events?.append(newEvent('policy.rejected', 'policy', { file: r.file, error: r.error }));
      for (const l of this.#listeners.rejected) l(r);
    }
    return { ...loaded, rejected };
  }

  /**
   * Where a rule named in a violation is written now: the file whose section is in force and the line of the rule
   * (`approvals.rules[2]` or a rule's name, a budget such as `per_run_usd`, a rate-limit scope such as
   * `agent:research`). Undefined when the section is a built-in default that no file defines.
   */
  async locate(section: string, rule: string): Promise<{ file: string; line?: number } | undefined> {
    const name = this.#owners.get(section as Section);
    if (name === undefined) return undefined;
    let text: string;
    try {
      text = await readFile(join(this.#dir, name), 'utf8');
    } catch {
      return { file: this.#display(name) };
    }
    const counter = new LineCounter();
    const line = lineOf(parseDocument(text, { lineCounter: counter }), counter, rulePath(section, rule, this.#policy));
    return { file: this.#display(name), ...(line === undefined ? {} : { line }) };
  }

  /** Files whose sections are in force. */
  get files(): string[] {
    return [...this.#loadedFiles];
  }

  /** Problems still in effect (a bad file not fixed yet, a section defined twice), in file order. */
  problems(): Rejection[] {
    return [...this.#files.entries()].flatMap(([name, state]) =>
      [state.error, state.conflict]
        .filter((e): e is string => e !== undefined)
        .map((error) => ({ file: this.#display(name), error })),
    );
  }

  /** The most recent rejection that is still in effect, if any (for a /policies command). */
  lastRejection(): Rejection | undefined {
    const now = this.problems();
    const last = this.#lastRejection;
    return last !== undefined && now.some((p) => p.file === last.file) ? last : now[now.length - 1];
  }
}

/** Validates a folder once (for a `policies check` command or CI): what would apply and what is wrong. */
export async function checkPolicies(dir: string): Promise<LoadReport> {
  const service = new PolicyService({ dir });
  try {
    return await service.load();
  } finally {
    await service.close();
  }
}
