// Entities a memory is about (clients, contacts, projects): keys, names and detection in text. No I/O.
// A memory links to entities by key (`client:acme-corp`); the registry knows each entity's display name and
// finds known names in new text, so "Acme pays net 45" links to Acme Corp without the operator tagging it.

import type { MemoryKind } from '../ports/store.ts';

export const ENTITY_KINDS = ['client', 'contact', 'project', 'content'] as const;
export type EntityKind = (typeof ENTITY_KINDS)[number];

export function slug(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '');
}

export const entityKey = (kind: EntityKind, name: string): string => `${kind}:${slug(name)}`;

export function entityKind(key: string): EntityKind | undefined {
  const kind = key.slice(0, key.indexOf(':'));
  return (ENTITY_KINDS as readonly string[]).includes(kind) ? (kind as EntityKind) : undefined;
}

/** The entity kind a profile memory describes. */
export function profileEntityKind(kind: MemoryKind): EntityKind | undefined {
  return kind === 'client' || kind === 'contact' || kind === 'project' ? kind : undefined;
}

const norm = (s: string): string => ` ${s.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim()} `;

/**
 * "Acme Corp: budget is 40k" → subject "Acme Corp". One to four capitalised words (or a known name) before a
 * colon or dash at the start of the text declare what the memory is about.
 */
/** Leading words that label a note rather than name what it is about ("Note: call the bank"). */
const NOT_SUBJECTS = new Set(['note', 'notes', 'reminder', 'todo', 'to do', 'idea', 'ideas', 'tip', 'fyi', 'update', 'important', 'question', 'decision', 'remember', 'also', 'ps', 'p.s.', 'nb', 'warning', 'info', 'summary', 'next', 'today', 'tomorrow']);

export function leadingSubject(text: string): { name: string; rest: string } | undefined {
  const m = /^\s*((?:\p{Lu}[\p{L}\p{N}&.'’-]*|\p{N}+-?\p{Lu}[\p{L}\p{N}&.'’-]*)(?:\s+(?:\p{Lu}[\p{L}\p{N}&.'’-]*|\p{N}[\p{L}\p{N}&.'’-]*|&|of|and|de|van)){0,4})\s*(?::|\s[-–—]\s)\s*(\S.*)$/su.exec(text);
  if (!m?.[1] || !m[2] || NOT_SUBJECTS.has(m[1].trim().toLowerCase())) return undefined;
  return { name: m[1].trim(), rest: m[2] };
}

interface Known {
  key: string;
  name: string;
  pattern: string;
}

/** Names of known entities, kept current by the memory service as profiles and subjects come and go. */
export class EntityRegistry {
  readonly #byKey = new Map<string, Known>();
  /** Single-word aliases (first word of a multi-word name) → keys using it; used only when unambiguous. */
  readonly #aliases = new Map<string, Set<string>>();

  add(key: string, name: string): void {
    if (this.#byKey.has(key) || name.trim() === '') return;
    const pattern = norm(name);
    this.#byKey.set(key, { key, name, pattern });
    const first = pattern.trim().split(' ')[0];
    if (first && first.length >= 4 && pattern.trim().includes(' ')) {
      let keys = this.#aliases.get(first);
      if (!keys) this.#aliases.set(first, (keys = new Set()));
      keys.add(key);
    }
  }

  name(key: string): string | undefined {
    return this.#byKey.get(key)?.name;
  }

  /** Display names, most recently added first. */
  names(limit: number): string[] {
    return [...this.#byKey.values()].reverse().slice(0, limit).map((k) => k.name);
  }

  get size(): number {
    return this.#byKey.size;
  }

  /** Keys of known entities named in the text (whole words; the first word of a longer name counts when it names one entity only). */
  detect(text: string): string[] {
    const hay = norm(text);
    const found = new Map<string, number>();
    for (const k of this.#byKey.values()) {
      const at = hay.indexOf(k.pattern);
      if (at !== -1) found.set(k.key, at);
    }
    for (const [alias, keys] of this.#aliases) {
      const at = keys.size === 1 ? hay.indexOf(` ${alias} `) : -1;
      const key = [...keys][0]!;
      if (at !== -1 && !found.has(key)) found.set(key, at);
    }
    // In the order they are named, so the first one named is the one the text is mostly about.
    return [...found].sort((a, b) => a[1] - b[1]).map(([key]) => key);
  }
}
