// Entities a memory is about (clients, contacts, projects): keys, names and detection in text. No I/O.
// A memory links to entities by key (`client:acme-corp`); the registry knows each entity's display name and
// finds known names in new text, so "Acme pays net 45" links to Acme Corp without the operator tagging it.

import type { MemoryKind } from '../ports/store.ts';

export const ENTITY_KINDS = ['client', 'contact', 'project', 'content'] as const;
export type EntityKind = (typeof ENTITY_KINDS)[number];

export function slug(name: string): string {
  return (
    name
      .normalize('NFKD')
      // Accents go from Latin, Greek and Cyrillic letters only: a kana's voicing mark changes the word (ガ is not カ).
      .replace(/(?<=[\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}]\p{M}*)\p{M}/gu, '')
      .normalize('NFC')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}]+/gu, '-')
      .replace(/^-+|-+$/g, '')
  );
}

export const entityKey = (kind: EntityKind, name: string): string => `${kind}:${slug(name)}`;

/** The entity kind a profile memory describes. */
export function profileEntityKind(kind: MemoryKind): EntityKind | undefined {
  return kind === 'client' || kind === 'contact' || kind === 'project' ? kind : undefined;
}

const norm = (s: string): string =>
  ` ${s
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()} `;

/** Leading words that label a note rather than name what it is about ("Note: call the bank", "Budget: 40k"). */
const LABELS = new Set(
  [
    'note notes reminder reminders todo todos to do task tasks idea ideas tip tips fyi update updates important question questions',
    'decision decisions remember also ps p.s. nb n.b. warning caution info summary tl;dr tldr next today tomorrow yesterday',
    'budget budgets status state deadline deadlines due date dates time times cost costs price prices pricing rate rates fee fees',
    'scope goal goals objective objectives plan plans agenda action actions items action items next steps steps follow-up follow up',
    'followup follow-ups meeting meetings call calls contact contacts email e-mail phone address website site link links url',
    'result results outcome outcomes problem problems issue issues risk risks pros cons context background owner priority',
    'done open pending draft invoice invoices payment payments terms timeline feedback source sources ref re tag tags category',
    'location where when who what why how q a answer answers comment comments observation observations lesson lessons learnings',
    'takeaway takeaways key highlights blocker blockers progress estimate estimates revenue expenses attendees participants wins',
    'quote quotes requirements deliverables milestone milestones subject title description details misc other review report',
    'eta wip this week last week next week this month next month monday tuesday wednesday thursday friday saturday sunday',
    'january february march april may june july august september october november december',
    '备注 注意 注 待办 总结 预算 メモ 備考 予算 注意事項 메모 참고 예산',
  ].flatMap((line) => line.split(' ')),
);
/** A name made of label words only, numbers aside ("Budget", "Status Update", "Meeting 2"), labels a note. */
const isLabel = (name: string): boolean =>
  name
    .toLowerCase()
    .split(/\s+/)
    .every((w) => LABELS.has(w) || /^\d+$/.test(w));

/** Scripts written without capitals: a name in them starts the text and runs to the colon. */
const CJK = '\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\p{Script=Hangul}ー々〆';
const CJK_SUBJECT = new RegExp(
  `^\\s*([${CJK}][${CJK}\\p{L}\\p{N}・&.'’-]{0,15}(?:\\s[${CJK}\\p{L}\\p{N}・&.'’-]{1,15}){0,3})\\s*[:：]\\s*(\\S.*)$`,
  'su',
);
const HAS_CJK = new RegExp(`[${CJK}]`, 'u');

/**
 * "Acme Corp: budget is 40k" → subject "Acme Corp". One to five capitalised words (numbers may follow the first,
 * "Studio 54"; "3M"), or a name in Chinese, Japanese or Korean, before a colon or dash at the start of the text
 * declare what the memory is about; a label ("Note:", "Budget:") does not.
 */
export function leadingSubject(text: string): { name: string; rest: string } | undefined {
  const cjk = CJK_SUBJECT.exec(text);
  if (cjk?.[1] && cjk[2]) return isLabel(cjk[1].trim()) ? undefined : { name: cjk[1].trim(), rest: cjk[2] };
  const m =
    /^\s*((?:\p{Lu}[\p{L}\p{N}&.'’-]*|\p{N}+-?\p{Lu}[\p{L}\p{N}&.'’-]*)(?:\s+(?:\p{Lu}[\p{L}\p{N}&.'’-]*|\p{N}[\p{L}\p{N}&.'’-]*|&|of|and|de|van)){0,4})\s*(?::|\s[-–—]\s)\s*(\S.*)$/su.exec(
      text,
    );
  if (!m?.[1] || !m[2] || isLabel(m[1].trim())) return undefined;
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
    // Text in Chinese or Japanese has no spaces between words: such a name is found anywhere in it.
    const pattern = HAS_CJK.test(name) ? norm(name).trim() : norm(name);
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
    return [...this.#byKey.values()]
      .reverse()
      .slice(0, limit)
      .map((k) => k.name);
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
