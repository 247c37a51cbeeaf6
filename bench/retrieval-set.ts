// Generator of the labelled retrieval set (bench/data/retrieval-set.json) that bench/retrieval.ts scores memory
// recall on: a solo business's memories about fictional clients plus its own notes, and questions labelled with the
// memories that answer them. Seeded, so the committed file can be re-created bit for bit (the test checks it).
// Texts are written mostly with the generated test model's vocabulary (test/support/tiny-vocab.ts), because that
// model only knows those words; names, numbers, cities and tools are spelled out by it (a weak signal).
// Query types: paraphrase (synonyms of the memory's words, no word shared with it but the client's name), name +
// attribute ("Korvel budget"), exact detail (a number or rare name), distractor (a topic the client and every other
// client have several memories on; a second concept or word tells them apart).
// Usage: node bench/retrieval-set.ts [--check]   (writes the JSON; --check only compares)

import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { keywordTerms, tokens } from '../src/domain/text.ts';
import { STOPWORDS, SYNONYM_GROUPS, TINY_VOCAB } from '../test/support/tiny-vocab.ts';
import {
  CITIES,
  COLOURS,
  FIRST_NAMES,
  GENERAL,
  INVOICE,
  LAST_NAMES,
  MEETING,
  NAME_SUFFIXES,
  SINGLE,
  SYLLABLES,
  TOOLS,
  TOPIC_WORDS,
  type Template,
} from './retrieval-templates.ts';
import { prng as rng } from '../test/support/prng.ts';

export const QUERY_TYPES = ['paraphrase', 'name_attribute', 'exact_detail', 'distractor'] as const;
export type QueryType = (typeof QUERY_TYPES)[number];

export interface SetClient {
  key: string;
  name: string;
}
export interface SetMemory {
  id: number;
  text: string;
  kind: string;
  entities: string[];
  importance: number;
  updatedAt: string;
  template: string;
}
export interface SetQuery {
  id: string;
  type: QueryType;
  text: string;
  relevant: number[];
  named: boolean;
  template: string;
}
export interface RetrievalSet {
  version: 1;
  seed: number;
  now: string;
  note: string;
  clients: SetClient[];
  memories: SetMemory[];
  queries: SetQuery[];
}

export interface SetOptions {
  seed?: number;
  clients?: number;
  general?: number;
  perType?: number;
}

export const SET_PATH = fileURLToPath(new URL('./data/retrieval-set.json', import.meta.url));
const DEFAULTS = { seed: 20261201, clients: 160, general: 240, perType: 60 };
const NOW = new Date('2026-12-01T00:00:00.000Z');
const DAY_MS = 86_400_000;

const GROUP_OF = new Map<string, number>();
SYNONYM_GROUPS.forEach((g, i) => g.forEach((w) => GROUP_OF.set(w, i)));
const TOPIC_OF_GROUP = new Map<number, readonly string[]>();
for (const [head, words] of Object.entries(TOPIC_WORDS)) {
  TOPIC_OF_GROUP.set(GROUP_OF.get(head)!, words);
  for (const w of words)
    if (GROUP_OF.get(w) !== GROUP_OF.get(head))
      throw new Error(`TOPIC_WORDS.${head}: "${w}" is not in ${head}'s synonym group`);
}
const FUNCTION_WORDS = new Set(STOPWORDS);
const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

function groupOf(word: string, where: string): number {
  const g = GROUP_OF.get(word);
  if (g === undefined) throw new Error(`${where}: "${word}" is not in the tiny model's vocabulary groups`);
  return g;
}

interface Client {
  key: string;
  name: string;
  short: string;
  person: string;
}

/** One generated memory before ids are given: the template, the values its slots got, and its text. */
interface Draft {
  template: Template;
  client: Client | undefined;
  values: Map<string, string>;
  /** Group → the word the memory used for it (slots and X/Y). */
  words: Map<number, string>;
  text: string;
  tokens: string[];
  groups: Set<number>;
  id: number;
  importance: number;
  updatedAt: Date;
}

function makeClients(r: () => number, count: number): Client[] {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const vocab = new Set(TINY_VOCAB);
  const words = TINY_VOCAB.filter((v) => v.length >= 2 && /^[a-z]+$/.test(v));
  const lower = [...CITIES, ...TOOLS, ...FIRST_NAMES, ...LAST_NAMES, ...COLOURS].map((w) => w.toLowerCase());
  const firsts: string[] = [];
  const people = new Set<string>();
  const out: Client[] = [];
  while (out.length < count) {
    const word = Array.from({ length: r() < 0.75 ? 2 : 3 }, () => pick(SYLLABLES)).join('');
    // Names must not be words, nor prefixes of one another (the keyword index matches query terms as prefixes).
    if (word.length < 5 || vocab.has(word) || firsts.some((f) => f.startsWith(word) || word.startsWith(f))) continue;
    if (words.some((w) => word.startsWith(w)) || lower.some((w) => w.startsWith(word) || word.startsWith(w))) continue;
    let person: string;
    do person = `${pick(FIRST_NAMES)} ${pick(LAST_NAMES)}`;
    while (people.has(person));
    people.add(person);
    firsts.push(word);
    const short = word[0]!.toUpperCase() + word.slice(1);
    const name = `${short} ${pick(NAME_SUFFIXES)}`;
    out.push({ key: `client:${slug(name)}`, name, short, person });
  }
  return out;
}

const SLOT = /\{([^}]+)\}/g;

function instantiate(
  r: () => number,
  t: Template,
  client: Client | undefined,
): Omit<Draft, 'id' | 'importance' | 'updatedAt'> {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const values = new Map<string, string>();
  const words = new Map<number, string>();
  const used = new Set<number>();
  // Groups named in the template itself, so X and Y never repeat one of them.
  const isGroupSlot = (slot: string) => slot.includes('|') || GROUP_OF.has(slot);
  for (const m of t.text.matchAll(SLOT)) if (isGroupSlot(m[1]!)) used.add(groupOf(m[1]!.split('|')[0]!, t.id));
  const text = t.text.replace(SLOT, (_, slot: string) => {
    if (isGroupSlot(slot)) {
      const options = slot.split('|');
      const g = groupOf(options[0]!, t.id);
      for (const o of options) if (groupOf(o, t.id) !== g) throw new Error(`${t.id}: {${slot}} mixes synonym groups`);
      const word = pick(options);
      words.set(g, word);
      return word;
    }
    const v = slotValue(r, slot, client, values, used);
    if (slot === 'X' || slot === 'Y') words.set(groupOf(v, t.id), v);
    values.set(slot, v);
    return v;
  });
  const toks = tokens(text);
  const groups = new Set(toks.flatMap((w) => (GROUP_OF.has(w) ? [GROUP_OF.get(w)!] : [])));
  return { template: t, client, values, words, text, tokens: toks, groups };
}

function slotValue(
  r: () => number,
  slot: string,
  client: Client | undefined,
  values: Map<string, string>,
  used: Set<number>,
): string {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const months = SYNONYM_GROUPS[groupOf('january', 'month')]!;
  switch (slot) {
    case 'C':
      return client!.name;
    case 'c':
      return r() < 0.5 ? client!.name : client!.short;
    case 'P':
      return client!.person;
    case 'month':
      return pick(months);
    case 'day':
      return pick(['monday', 'tuesday', 'wednesday', 'thursday', 'friday']);
    case 'amount':
      return String(1000 + Math.floor(r() * 9000));
    case 'date':
      return String(1 + Math.floor(r() * 28));
    case 'num':
      return String(2 + Math.floor(r() * 58));
    case 'inv':
      return String(10000 + Math.floor(r() * 90000));
    case 'city':
      return pick(CITIES);
    case 'tool':
      return pick(TOOLS.filter((x) => x !== values.get('tool')));
    case 'colour':
      return pick(COLOURS.filter((x) => x !== values.get('colour')));
    case 'X':
    case 'Y': {
      const free = Object.keys(TOPIC_WORDS).filter((head) => !used.has(groupOf(head, slot)));
      const head = pick(free);
      used.add(groupOf(head, slot));
      return pick(TOPIC_WORDS[head]!);
    }
    default:
      throw new Error(`unknown slot {${slot}}`);
  }
}

/** The keyword index matches a query term against every word it is a prefix of. */
const prefixHit = (term: string, words: readonly string[]) => words.some((w) => w.startsWith(term));

/** What a question asks for, as features a memory has or not: vocabulary groups, and the target's own words. */
function features(question: string, target: Draft, nameTerms: Set<string>): Array<(d: Draft) => boolean> {
  const out: Array<(d: Draft) => boolean> = [];
  for (const w of new Set(tokens(question))) {
    if (nameTerms.has(w) || FUNCTION_WORDS.has(w)) continue;
    const g = GROUP_OF.get(w);
    if (g !== undefined) out.push((d) => d.groups.has(g));
    else if (prefixHit(w, target.tokens)) out.push((d) => prefixHit(w, d.tokens));
  }
  return out;
}

interface Candidate {
  type: QueryType;
  text: string;
  relevant: Draft[];
  named: boolean;
  target: Draft;
}

/**
 * Fills a question pattern from a memory; undefined when no synonym avoids the memory's own words. `{~a/b/c}` takes
 * a synonym among a, b, c (natural choices; all of one group), `{~a}` among a's whole group.
 */
function ask(r: () => number, pattern: string, d: Draft): string | undefined {
  let failed = false;
  const text = pattern.replace(SLOT, (_, slot: string) => {
    const mode = slot[0];
    if (mode === '=' || mode === '~' || mode === '?') {
      const key = slot.slice(1);
      const xy = key === 'X' || key === 'Y';
      const g = xy ? GROUP_OF.get(d.values.get(key)!)! : groupOf(key.split('/')[0]!, d.template.id);
      const options = xy ? TOPIC_OF_GROUP.get(g) : key.split('/');
      for (const o of options ?? [])
        if (groupOf(o, d.template.id) !== g) throw new Error(`${d.template.id}: {${slot}} mixes synonym groups`);
      const word = d.words.get(g);
      if (word === undefined) throw new Error(`${d.template.id}: question slot {${slot}} has no group in the memory`);
      if (mode === '=' || (mode === '?' && r() < 0.5)) return word;
      const others = (options && options.length > 1 ? options : SYNONYM_GROUPS[g]!).filter(
        (w) => !d.tokens.some((t) => t.startsWith(w) || w.startsWith(t)),
      );
      if (others.length === 0) {
        if (mode === '?') return word;
        failed = true;
      }
      return others[Math.floor(r() * others.length)] ?? '';
    }
    if (slot === 'c') return r() < 0.4 ? d.client!.name : d.client!.short;
    const v = d.values.get(slot);
    if (v === undefined) throw new Error(`${d.template.id}: question slot {${slot}} is not in the memory`);
    return v;
  });
  return failed ? undefined : text;
}

function candidates(r: () => number, drafts: Draft[], byClient: Map<string, Draft[]>): Candidate[] {
  const out: Candidate[] = [];
  for (const d of drafts) {
    const t = d.template;
    const own = d.client ? byClient.get(d.client.key)! : drafts;
    const nameTerms = new Set(d.client ? keywordTerms(d.client.name) : []);
    const unique = (q: string) => {
      const f = features(q, d, nameTerms);
      return f.length > 0 && own.filter((o) => f.every((has) => has(o))).length === 1;
    };
    for (const pattern of t.ask ?? []) {
      const q = ask(r, pattern, d);
      // A paraphrase shares no keyword with its memory, except the client's name.
      if (!q || keywordTerms(q).some((term) => !nameTerms.has(term) && prefixHit(term, d.tokens)) || !unique(q))
        continue;
      out.push({ type: 'paraphrase', text: q, relevant: [d], named: d.client !== undefined, target: d });
    }
    if (t.attr && d.client) {
      const attrGroup = GROUP_OF.get(t.attr);
      const word = attrGroup === undefined ? t.attr : d.words.get(attrGroup)!;
      const q = ask(r, r() < 0.7 ? `{c} ${word}` : `${word} {c}`, d)!;
      if (own.filter((o) => prefixHit(word, o.tokens)).length === 1)
        out.push({ type: 'name_attribute', text: q, relevant: [d], named: true, target: d });
    }
    for (const pattern of t.detail ?? []) {
      const q = ask(r, pattern, d)!;
      const detail = [...pattern.matchAll(SLOT)]
        .map((m) => m[1]!)
        .filter((s) => ['amount', 'inv', 'city', 'P'].includes(s));
      const terms = detail.flatMap((s) => tokens(d.values.get(s)!));
      // The detail names this memory only (an amount that is also another client's invoice total would be ambiguous).
      if (drafts.filter((o) => terms.every((x) => o.tokens.includes(x))).length === 1)
        out.push({ type: 'exact_detail', text: q, relevant: [d], named: false, target: d });
    }
    for (const pattern of t.tell ?? []) {
      const q = ask(r, pattern, d);
      const sameTopic = own.filter((o) => o.template.topic === t.topic).length;
      if (q && sameTopic >= 2 && unique(q))
        out.push({ type: 'distractor', text: q, relevant: [d], named: true, target: d });
    }
  }
  return out;
}

function shuffle<T>(r: () => number, a: T[]): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** Takes `count` candidates round-robin over templates (an even mix), each memory the target of one query at most. */
function pickMix(r: () => number, pool: Candidate[], count: number, taken: Set<Draft>): Candidate[] {
  const byTemplate = new Map<string, Candidate[]>();
  for (const c of shuffle(r, pool)) {
    const list = byTemplate.get(c.target.template.id) ?? [];
    byTemplate.set(c.target.template.id, list);
    list.push(c);
  }
  const lists = [...byTemplate.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, l]) => l);
  const out: Candidate[] = [];
  while (out.length < count && lists.some((l) => l.length > 0)) {
    for (const list of lists) {
      let c = list.shift();
      while (c && taken.has(c.target)) c = list.shift();
      if (!c || out.length >= count) continue;
      taken.add(c.target);
      out.push(c);
    }
  }
  if (out.length < count)
    throw new Error(`only ${out.length} of ${count} ${pool[0]?.type ?? ''} queries could be made`);
  return out;
}

export function generateRetrievalSet(options: SetOptions = {}): RetrievalSet {
  const o = { ...DEFAULTS, ...options };
  const r = rng(o.seed);
  const clients = makeClients(r, o.clients);
  const parts: Array<Omit<Draft, 'id' | 'importance' | 'updatedAt'>> = [];
  for (const c of clients) {
    const singles = shuffle(r, [...SINGLE]).slice(0, 6 + Math.floor(r() * 6));
    const invoices = shuffle(r, [...INVOICE]).slice(0, 2 + Math.floor(r() * 2));
    const meetings = shuffle(r, [...MEETING]).slice(0, 1 + Math.floor(r() * 3));
    for (const t of [...singles, ...invoices, ...meetings]) parts.push(instantiate(r, t, c));
  }
  for (let i = 0; i < o.general; i++) parts.push(instantiate(r, GENERAL[i % GENERAL.length]!, undefined));
  // Memories arrive over a year; ids follow arrival order as a store's would.
  const drafts: Draft[] = parts
    .map((p) => ({
      ...p,
      id: 0,
      importance: (3 + Math.floor(r() * 6)) / 10,
      updatedAt: new Date(NOW.getTime() - Math.floor(r() * 365 * 24 * 60) * 60_000 - DAY_MS / 24),
    }))
    .sort((a, b) => a.updatedAt.getTime() - b.updatedAt.getTime());
  drafts.forEach((d, i) => (d.id = i + 1));
  const byClient = new Map<string, Draft[]>();
  for (const d of drafts) if (d.client) byClient.set(d.client.key, [...(byClient.get(d.client.key) ?? []), d]);

  const pool = candidates(r, drafts, byClient);
  const taken = new Set<Draft>();
  const half = Math.floor(o.perType / 2);
  const chosen = [
    ...pickMix(
      r,
      pool.filter((c) => c.type === 'paraphrase' && c.named),
      half,
      taken,
    ),
    ...pickMix(
      r,
      pool.filter((c) => c.type === 'paraphrase' && !c.named),
      o.perType - half,
      taken,
    ),
    ...pickMix(
      r,
      pool.filter((c) => c.type === 'name_attribute'),
      o.perType,
      taken,
    ),
    ...pickMix(
      r,
      pool.filter((c) => c.type === 'exact_detail'),
      o.perType,
      taken,
    ),
    ...pickMix(
      r,
      pool.filter((c) => c.type === 'distractor'),
      o.perType,
      taken,
    ),
  ];
  const counters = new Map<QueryType, number>();
  const queries = chosen.map((c): SetQuery => {
    const n = (counters.get(c.type) ?? 0) + 1;
    counters.set(c.type, n);
    return {
      id: `${c.type}-${String(n).padStart(3, '0')}`,
      type: c.type,
      text: c.text,
      relevant: c.relevant.map((d) => d.id).sort((a, b) => a - b),
      named: c.named,
      template: c.target.template.id,
    };
  });
  return {
    version: 1,
    seed: o.seed,
    now: NOW.toISOString(),
    note: 'Generated by bench/retrieval-set.ts (fictional clients; words mostly from the tiny test model vocabulary). Do not edit by hand.',
    clients: clients.map((c) => ({ key: c.key, name: c.name })),
    memories: drafts.map((d) => ({
      id: d.id,
      text: d.text,
      kind: d.template.kind,
      entities: d.client ? [d.client.key] : [],
      importance: d.importance,
      updatedAt: d.updatedAt.toISOString(),
      template: d.template.id,
    })),
    queries,
  };
}

/** JSON with one client, memory or query a line, so diffs stay readable. */
export function renderRetrievalSet(set: RetrievalSet): string {
  const list = (items: readonly unknown[]) => `[\n${items.map((i) => `    ${JSON.stringify(i)}`).join(',\n')}\n  ]`;
  const { clients, memories, queries, ...head } = set;
  const top = Object.entries(head).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  return `{\n${[...top, `  "clients": ${list(clients)}`, `  "memories": ${list(memories)}`, `  "queries": ${list(queries)}`].join(',\n')}\n}\n`;
}

export function loadRetrievalSet(path = SET_PATH): RetrievalSet {
  return JSON.parse(readFileSync(path, 'utf8')) as RetrievalSet;
}

if (import.meta.main) {
  const text = renderRetrievalSet(generateRetrievalSet());
  if (process.argv.includes('--check')) {
    const same = readFileSync(SET_PATH, 'utf8') === text;
    console.log(
      same
        ? 'retrieval set is up to date'
        : 'retrieval set differs from the generator: run node bench/retrieval-set.ts',
    );
    process.exit(same ? 0 : 1);
  }
  writeFileSync(SET_PATH, text);
  const set = JSON.parse(text) as RetrievalSet;
  console.log(
    `wrote ${SET_PATH}: ${set.clients.length} clients, ${set.memories.length} memories, ${set.queries.length} queries`,
  );
}
