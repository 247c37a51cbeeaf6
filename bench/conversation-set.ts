// Generator of the long-conversation set (bench/data/conversation-set.json) that bench/retrieval.ts scores recall on
// beside the client-facts set: eight multi-session group chats (hundreds of turns each, three people, about 16
// months), every turn remembered as "[session:turn] Speaker (date): text", and questions labelled with the turns
// that answer them. Seeded, so the committed file can be re-created bit for bit (test/memory/retrieval-set.test.ts).
// Question types: temporal ("last May", "in March 2025", "3 weeks ago": the same thing happened to the same person
// in other months), relational ("Jane's sister": other people's sisters and Jane's brother say the same kind of
// thing), number (typed without thousands separators), diacritics (the speaker's name typed without them), cjk
// (Chinese and Japanese questions about Chinese and Japanese turns), paraphrase, anchor ("the week before the launch":
// the same preparations happen before another event too). Each question has the date it is asked on.
// Usage: node bench/conversation-set.ts [--check]   (writes the JSON; --check only compares)

import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { prng } from '../test/support/prng.ts';
import * as T from './conversation-templates.ts';

export const CONVERSATION_TYPES = [
  'temporal',
  'relational',
  'number',
  'diacritics',
  'cjk',
  'paraphrase',
  'anchor',
] as const;
export type ConversationType = (typeof CONVERSATION_TYPES)[number];

export interface ConvMemory {
  id: number;
  text: string;
  history: number;
  speaker: string;
  date: string;
  updatedAt: string;
}
export interface ConvQuery {
  id: string;
  type: ConversationType;
  text: string;
  asked: string;
  relevant: number[];
  split: 'tune' | 'held-out';
  history: number;
}
export interface ConversationSet {
  version: 1;
  seed: number;
  note: string;
  histories: Array<{ id: number; trade: string; people: string[]; from: string; to: string }>;
  memories: ConvMemory[];
  queries: ConvQuery[];
}

export const CONVERSATION_SET_PATH = fileURLToPath(new URL('./data/conversation-set.json', import.meta.url));
const SEED = 20261219;
const DAY = 86_400_000;
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const NUMBER_WORDS = ['', 'one', 'two', 'three', 'four', 'five', 'six'];

type Rng = () => number;
const pick = <T>(r: Rng, a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
function shuffled<T>(r: Rng, items: readonly T[]): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
const int = (r: Rng, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const iso = (d: Date): string => d.toISOString().slice(0, 10);
const fill = (text: string, v: Record<string, string>): string =>
  text.replace(/\{(\w+)\}/g, (_, k: string) => {
    if (v[k] === undefined) throw new Error(`no value for {${k}} in "${text}"`);
    return v[k];
  });

interface Turn {
  speaker: string;
  text: string;
  key?: string;
}
interface Session {
  date: Date;
  turns: Turn[];
}
interface Pending {
  type: ConversationType;
  text: string;
  keys: string[];
  asked: Date;
}

/** How someone asked on `asked` can name the month or day of `d`: only phrasings that mean exactly that date. */
export function whenPhrases(d: Date, asked: Date): string[] {
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  const month = MONTHS[m]!;
  const day = d.getUTCDate();
  const ay = asked.getUTCFullYear();
  const am = asked.getUTCMonth();
  const monthsBack = (ay - y) * 12 + (am - m);
  const daysBack = Math.round((asked.getTime() - d.getTime()) / DAY);
  const out = [`in ${month} ${y}`, `back in ${month} ${y}`, `on ${month} ${day}, ${y}`, `on ${day} ${month} ${y}`];
  // "last May": the latest May before the month of asking; "in May": the latest May up to and including it.
  if (monthsBack >= 1 && monthsBack <= 12) out.push(`last ${month}`);
  if (monthsBack >= 0 && monthsBack <= 11) out.push(`in ${month}`, `on ${month} ${day}`);
  if (monthsBack === 1) out.push('last month');
  const weeks = Math.round(daysBack / 7);
  if (weeks >= 1 && weeks <= 6 && Math.abs(daysBack - 7 * weeks) <= 2)
    out.push(weeks === 1 ? 'a week ago' : `${NUMBER_WORDS[weeks]} weeks ago`);
  return out;
}

function relatives(r: Rng, used: Set<string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const rel of ['sister', 'brother', 'cousin', pick(r, T.RELATIONS.slice(3))]) {
    let name: string;
    const names = T.FEMALE.has(rel) ? T.WOMEN : T.MALE.has(rel) ? T.MEN : [...T.WOMEN, ...T.MEN];
    do name = pick(r, names);
    while (used.has(name));
    used.add(name);
    out.set(rel, name);
  }
  return out;
}

function history(r: Rng, hi: number, cast: T.Cast, add: (q: Pending) => void): Session[] {
  const people = cast.people;
  const english = people.filter((p) => p.lang === 'en');
  const owner = people[0]!;
  const sessions: Session[] = [];
  let t = Date.UTC(2024, 1, 19) + hi * 9 * DAY + int(r, 0, 6) * DAY;
  for (let s = 0; s < 30; s++) {
    sessions.push({ date: new Date(t + 18 * 3600_000), turns: [] });
    t += int(r, 9, 22) * DAY;
  }
  const anchorAt = Math.floor(sessions.length * 0.65);
  const anchorDate = sessions[anchorAt]!.date;
  // A session four days before the big day, where the preparations happen.
  sessions.splice(anchorAt, 0, { date: new Date(anchorDate.getTime() - 4 * DAY), turns: [] });
  const end = sessions.at(-1)!.date;
  const askAfterEnd = (): Date => new Date(end.getTime() + int(r, 3, 30) * DAY - 9 * 3600_000);
  const say = (s: number, speaker: T.CastMember, text: string, key?: string): void => {
    sessions[s]!.turns.push({ speaker: speaker.name, text, ...(key && { key }) });
  };
  const other = (p: T.CastMember): T.CastMember =>
    pick(
      r,
      english.filter((o) => o !== p),
    );
  const weekday = (): string => pick(r, T.WEEKDAYS);
  let keyN = 0;
  const key = (): string => `h${hi}k${keyN++}`;
  const used = new Set<string>();
  const family = new Map(people.map((p) => [p, relatives(r, used)]));

  // The big day and the preparations for it; the same preparations before a smaller event earlier on.
  const bigDay = sessions[anchorAt + 1]!.date;
  say(
    anchorAt - 1,
    owner,
    `The ${cast.anchor} is on ${MONTHS[bigDay.getUTCMonth()]} ${bigDay.getUTCDate()}, fingers crossed`,
  );
  say(anchorAt + 1, owner, `${cast.anchor} day!! we did it, thank you all`);
  const early = int(r, 3, 8);
  say(early + 1, owner, `The Christmas market stall went well, sold out by four`);
  for (const prep of shuffled(r, T.PREP).slice(0, 3)) {
    const who = pick(r, english);
    const k = key();
    say(anchorAt, who, fill(prep.turn, { count: String(int(r, 40, 600)) }), k);
    say(early, who, fill(prep.turn, { count: String(int(r, 40, 600)) }));
    add({
      type: 'anchor',
      text: fill(prep.ask, { S: who.name, anchor: cast.anchor }),
      keys: [k],
      asked: askAfterEnd(),
    });
  }

  // Recurring things: three times each for two people, in different months (one a year after another).
  for (const p of english.slice(0, 2)) {
    for (const act of shuffled(r, T.RECURRING).slice(0, 2)) {
      const first = int(r, 1, 10);
      const yearLater = sessions.reduce(
        (best, s, i) =>
          Math.abs(s.date.getTime() - sessions[first]!.date.getTime() - 365 * DAY) <
          Math.abs(sessions[best]!.date.getTime() - sessions[first]!.date.getTime() - 365 * DAY)
            ? i
            : best,
        first,
      );
      const chosen = [first, yearLater];
      const month = (i: number) => iso(sessions[i]!.date).slice(0, 7);
      while (chosen.length < 3) {
        const s = int(r, 0, sessions.length - 1);
        if (!chosen.some((c) => month(c) === month(s))) chosen.push(s);
      }
      if (month(first) === month(yearLater)) throw new Error('two instances in one month');
      for (const s of chosen) {
        const k = key();
        const rel = pick(r, [...family.get(p)!.keys()]);
        const v = {
          hotel: pick(r, T.HOTELS),
          city: pick(r, T.CITIES),
          n: String(int(r, 1, 2)),
          mm: String(int(r, 10, 59)),
          restaurant: pick(r, T.RESTAURANTS),
          rel,
          R: family.get(p)!.get(rel)!,
          band: pick(r, T.BANDS),
          weekday: weekday(),
          book: pick(r, T.BOOKS),
          item: pick(r, T.ITEMS),
          shop: pick(r, T.SHOPS),
          race: pick(r, T.RACES),
        };
        if (act.id === 'hotel') v.n = String(int(r, 2, 6));
        say(s, p, fill(pick(r, act.turn), v), k);
        const asked = askAfterEnd();
        add({
          type: 'temporal',
          text: fill(pick(r, act.ask), { S: p.name, when: pick(r, whenPhrases(sessions[s]!.date, asked)) }),
          keys: [k],
          asked,
        });
      }
    }
  }

  // Family news: each English speaker tells three pieces; other people have sisters and brothers too.
  for (const p of english) {
    const rels = [...family.get(p)!.keys()];
    for (const news of shuffled(r, T.RELATIVE_NEWS).slice(0, 3)) {
      const rel = pick(r, rels);
      const v = {
        rel,
        R: family.get(p)!.get(rel)!,
        city: pick(r, T.CITIES),
        baby: pick(r, T.WOMEN),
        partner: pick(r, [...T.WOMEN, ...T.MEN]),
        weekday: weekday(),
        age: String(int(r, 7, 70)),
      };
      const k = key();
      say(int(r, 0, sessions.length - 1), p, fill(pick(r, news.turn), v), k);
      say(int(r, 0, sessions.length - 1), p, fill(news.near, v));
      add({ type: 'relational', text: fill(pick(r, news.ask), { S: p.name, rel }), keys: [k], asked: askAfterEnd() });
    }
  }

  // Amounts and counts.
  for (const n of T.NUMBERS) {
    const p = pick(r, english);
    const amount = int(r, 1100, 9900);
    const v = {
      vendor: pick(r, T.VENDORS),
      vendor2: pick(r, T.VENDORS),
      amount: amount.toLocaleString('en'),
      amount2: int(r, 1100, 9900).toLocaleString('en'),
      plain: String(amount),
      fix: pick(r, ['roof', 'boiler', 'van gearbox', 'shop sign', 'kiln']),
      fix2: pick(r, ['front door', 'fridge', 'floor']),
      count: String(int(r, 12, 95)),
      count2: String(int(r, 3, 11)),
      event: pick(r, T.EVENTS),
      event2: pick(r, T.EVENTS),
      order: String(int(r, 10000, 99999)),
      order2: String(int(r, 10000, 99999)),
      supplier: pick(r, T.SUPPLIERS),
      weekday: weekday(),
    };
    const k = key();
    say(int(r, 0, sessions.length - 1), p, fill(pick(r, n.turn), v), k);
    say(int(r, 0, sessions.length - 1), other(p), fill(n.near, v));
    add({ type: 'number', text: fill(pick(r, n.ask), { ...v, S: p.name }), keys: [k], asked: askAfterEnd() });
  }

  // Advice from people whose names carry diacritics; asked with the name typed plainly.
  for (const p of english.filter((x) => x.ascii !== x.name)) {
    for (const a of shuffled(r, T.ADVICE).slice(0, 4)) {
      const k = key();
      say(int(r, 0, sessions.length - 1), p, a.turn, k);
      say(int(r, 0, sessions.length - 1), other(p), a.near);
      add({ type: 'diacritics', text: fill(a.ask, { A: p.ascii }), keys: [k], asked: askAfterEnd() });
    }
  }

  // Chinese or Japanese turns and questions.
  for (const p of people.filter((x) => x.lang !== 'en')) {
    for (const c of p.lang === 'zh' ? T.ZH : T.JA) {
      const k = key();
      say(int(r, 0, sessions.length - 1), p, c.turn, k);
      say(int(r, 0, sessions.length - 1), p, c.near);
      add({ type: 'cjk', text: c.ask, keys: [k], asked: askAfterEnd() });
    }
  }

  // Plain questions in other words.
  for (const c of shuffled(r, T.PLAIN).slice(0, 6)) {
    const p = pick(r, english);
    const k = key();
    say(int(r, 0, sessions.length - 1), p, fill(c.turn, { weekday: weekday() }), k);
    say(int(r, 0, sessions.length - 1), other(p), c.near);
    add({ type: 'paraphrase', text: fill(c.ask, { S: p.name }), keys: [k], asked: askAfterEnd() });
  }

  // Small talk around everything, then each session's turns in a shuffled order.
  for (const s of sessions) {
    const want = int(r, 9, 16);
    while (s.turns.length < want) {
      const p = r() < 0.45 ? owner : pick(r, people);
      const pool = p.lang === 'zh' ? T.FILLER_ZH : p.lang === 'ja' ? T.FILLER_JA : T.FILLER_EN;
      s.turns.push({
        speaker: p.name,
        text: fill(pick(r, pool), { anchor: cast.anchor, trade: cast.trade, weekday: weekday() }),
      });
    }
    s.turns = shuffled(r, s.turns);
  }
  return sessions;
}

export function generateConversationSet(seed = SEED): ConversationSet {
  const r = prng(seed);
  const memories: ConvMemory[] = [];
  const pending: Array<Pending & { history: number }> = [];
  const histories: ConversationSet['histories'] = [];
  const idOfKey = new Map<string, number>();
  T.CASTS.forEach((cast, hi) => {
    const sessions = history(r, hi, cast, (q) => pending.push({ ...q, history: hi + 1 }));
    histories.push({
      id: hi + 1,
      trade: cast.trade,
      people: cast.people.map((p) => p.name),
      from: iso(sessions[0]!.date),
      to: iso(sessions.at(-1)!.date),
    });
    sessions.forEach((s, si) =>
      s.turns.forEach((turn, ti) => {
        const id = memories.length + 1;
        if (turn.key) idOfKey.set(turn.key, id);
        const at = new Date(s.date.getTime() + ti * 120_000);
        memories.push({
          id,
          text: `[${si + 1}:${ti + 1}] ${turn.speaker} (${iso(s.date)}): ${turn.text}`,
          history: hi + 1,
          speaker: turn.speaker,
          date: iso(s.date),
          updatedAt: at.toISOString(),
        });
      }),
    );
  });
  // Half of each type tunes the index, the other half is held out; which half is a seeded draw.
  const queries: ConvQuery[] = [];
  for (const type of CONVERSATION_TYPES) {
    const ofType = pending.filter((q) => q.type === type);
    const order = shuffled(
      r,
      ofType.map((_, i) => i),
    );
    const tune = new Set(order.slice(0, Math.ceil(ofType.length / 2)));
    ofType.forEach((q, i) =>
      queries.push({
        id: `${type}-${String(i + 1).padStart(3, '0')}`,
        type,
        text: q.text,
        asked: q.asked.toISOString(),
        relevant: q.keys.map((k) => idOfKey.get(k)!),
        split: tune.has(i) ? 'tune' : 'held-out',
        history: q.history,
      }),
    );
  }
  return {
    version: 1,
    seed,
    note: 'Generated by bench/conversation-set.ts (fictional people; eight group chats). Do not edit by hand.',
    histories,
    memories,
    queries,
  };
}

/** JSON with one history, memory or query a line, so diffs stay readable. */
export function renderConversationSet(set: ConversationSet): string {
  const list = (items: readonly unknown[]) => `[\n${items.map((i) => `    ${JSON.stringify(i)}`).join(',\n')}\n  ]`;
  const { histories, memories, queries, ...head } = set;
  const top = Object.entries(head).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  return `{\n${[...top, `  "histories": ${list(histories)}`, `  "memories": ${list(memories)}`, `  "queries": ${list(queries)}`].join(',\n')}\n}\n`;
}

export function loadConversationSet(path = CONVERSATION_SET_PATH): ConversationSet {
  return JSON.parse(readFileSync(path, 'utf8')) as ConversationSet;
}

if (import.meta.main) {
  const text = renderConversationSet(generateConversationSet());
  if (process.argv.includes('--check')) {
    const same = readFileSync(CONVERSATION_SET_PATH, 'utf8') === text;
    console.log(
      same
        ? 'conversation set is up to date'
        : 'conversation set differs from the generator: run node bench/conversation-set.ts',
    );
    process.exit(same ? 0 : 1);
  }
  writeFileSync(CONVERSATION_SET_PATH, text);
  const set = JSON.parse(text) as ConversationSet;
  const byType = CONVERSATION_TYPES.map((t) => `${t} ${set.queries.filter((q) => q.type === t).length}`).join(', ');
  console.log(
    `wrote ${CONVERSATION_SET_PATH}: ${set.histories.length} histories, ${set.memories.length} turns, ${set.queries.length} questions (${byType})`,
  );
}
