// Text analysis for the keyword index: the same word rules for memories and questions. Lower case; diacritics
// folded on Latin letters (Zoë = zoe, Søren = soren, Łukasz = lukasz); "Jane's" = jane; digit groups joined
// ("€1,200" = 1200, "14th" = 14); Chinese, Japanese and Korean text (no spaces between words) as overlapping
// character pairs, as Lucene's CJK analyzer does (Intl.Segmenter splits 王芳 in "王芳的妹妹" but not alone, so a
// name would not match itself); English stopwords dropped; a light suffix stemmer (no stemmer package is installed).
// A chat turn remembered as "[session:turn] Speaker (date): text" also gives fields: "@speaker" and "#date" keys.

import { explicitDates, findDates } from './dates.ts';

/** Snowball's English stop list (the usual one for BM25 runs), plus the contraction stems left by "don't" & co. */
const STOPWORDS = new Set(
  (
    'i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers herself it its ' +
    'itself they them their theirs themselves what which who whom this that these those am is are was were be been being ' +
    'have has had having do does did doing a an the and but if or because as until while of at by for with about against ' +
    'between into through during before after above below to from up down in out on off over under again further then once ' +
    'here there when where why how all any both each few more most other some such no nor not only own same so than too very ' +
    's t can will just don should now d ll m o re ve y ain aren couldn didn doesn hadn hasn haven isn ma mightn mustn needn ' +
    'shan shouldn wasn weren won wouldn'
  ).split(' '),
);

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}ー々〆]/u;
const CJK_RUNS =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}ー々〆]+|[^\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}ー々〆]+/gu;
const FOLD: Record<string, string> = { ø: 'o', æ: 'ae', œ: 'oe', ß: 'ss', ł: 'l', đ: 'd', ð: 'd', þ: 'th', ı: 'i' };

/** Lower case, Latin diacritics off, digit groups joined, possessives and contractions cut. */
export function normalize(text: string): string {
  return text
    .toLowerCase()
    .replace(/[\p{Script=Latin}\p{M}]+/gu, (s) =>
      /[^a-z]/.test(s)
        ? s
            .normalize('NFD')
            .replace(/\p{M}/gu, '')
            .replace(/[øæœßłđðþı]/g, (c) => FOLD[c]!)
        : s,
    )
    .replace(/(\d)[,.'’](?=\d{3}(?!\d))/g, '$1')
    .replace(/(\d)(?:st|nd|rd|th)\b/g, '$1')
    .replace(/(\p{L})['’](?:s|t|re|ll|ve|d|m)\b/gu, '$1');
}

/** Common irregular past forms and their verbs ("bought" is asked about as "buy"). */
const IRREGULAR = new Map(
  (
    'bought buy brought bring caught catch thought think taught teach went go gone go saw see seen see got get gotten get ' +
    'paid pay took take taken take made make met meet sent send ran run ate eat eaten eat sold sell told tell said say ' +
    'found find gave give given give came come left leave kept keep felt feel held hold built build spent spend lost lose ' +
    'wrote write written write broke break broken break chose choose chosen choose flew fly flown fly drove drive driven ' +
    'drive fell fall fallen fall began begin begun begin sat sit stood stand slept sleep swam swim sang sing sung sing ' +
    'drank drink drunk drink knew know known know grew grow grown grow threw throw thrown throw wore wear worn wear hid ' +
    'hide heard hear understood understand lent lend meant mean rode ride ridden ride woke wake forgot forget forgotten ' +
    'forget'
  )
    .split(' ')
    .flatMap((w, i, a) => (i % 2 === 0 ? [[w, a[i + 1]!] as [string, string]] : [])),
);

/**
 * A light English stemmer (Porter's first steps, simplified): irregular past forms, plurals, -ed and -ing (with "e"
 * back after a short consonant-vowel-consonant stem: making = make), and a final e of longer words (schedule =
 * scheduling). Only for Latin words longer than two letters.
 */
export function stem(word: string): string {
  if (word.length <= 2 || !/^[a-z]+$/.test(word)) return word;
  let w = IRREGULAR.get(word) ?? word;
  if (w.length <= 3) return w;
  if (w.endsWith('ies') && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (w.endsWith('sses')) w = w.slice(0, -2);
  else if (/(?:ch|sh|x|z)es$/.test(w)) w = w.slice(0, -2);
  else if (w.endsWith('s') && !/(?:ss|us|is)$/.test(w)) w = w.slice(0, -1);
  else if (w.endsWith('ing') && w.length >= 6) w = restore(w.slice(0, -3));
  else if (w.endsWith('ed') && w.length >= 5) w = restore(w.slice(0, -2));
  if (w.endsWith('e') && w.length > 5) w = w.slice(0, -1);
  return w;
}

/** After -ed/-ing: "stopp" = stop, "mak" = make. */
function restore(w: string): string {
  if (/([b-df-hj-km-np-rtv-z])\1$/.test(w) && !/(?:ll|ss|zz)$/.test(w)) return w.slice(0, -1);
  return w.length === 3 && /^[b-df-hj-np-tv-z][aeiou][b-df-hj-np-tv]$/.test(w) ? `${w}e` : w;
}

/** Index terms of a normalised text, in order, with repeats; stopwords dropped. */
export function words(normalized: string): string[] {
  const out: string[] = [];
  for (const m of normalized.matchAll(/[\p{L}\p{N}]+/gu)) {
    const token = m[0];
    if (!CJK.test(token)) {
      if (!STOPWORDS.has(token)) out.push(stem(token));
      continue;
    }
    for (const run of token.matchAll(CJK_RUNS)) {
      const r = run[0];
      if (!CJK.test(r)) {
        if (!STOPWORDS.has(r)) out.push(stem(r));
        continue;
      }
      const chars = Array.from(r);
      if (chars.length === 1) out.push(r);
      for (let i = 0; i + 1 < chars.length; i++) out.push(chars[i]! + chars[i + 1]!);
    }
  }
  return out;
}

/** "[12:7] Jane (2025-05-14): text" — a remembered chat turn. */
const TURN = /^\s*\[\d+:\d+\]\s+([^(\n]{1,80}?)\s+\((\d{4}-\d{2}-\d{2})\):\s*/u;

export interface AnalyzedDocument {
  /** Body terms. */
  words: string[];
  /** Body length in tokens, stopwords included (BM25's document length). */
  length: number;
  /** Field keys: "@speaker" words and "#yyyy-mm-dd" dates. */
  fields: string[];
}

export function analyzeDocument(text: string): AnalyzedDocument {
  const turn = TURN.exec(text);
  const body = turn ? text.slice(turn[0].length) : text;
  const fields = turn ? [...words(normalize(turn[1]!)).map((w) => `@${w}`), `#${turn[2]!}`] : [];
  for (const key of explicitDates(body)) fields.push(key);
  const plain = normalize(body);
  const terms = words(plain);
  let stop = 0;
  for (const m of plain.matchAll(/[\p{L}\p{N}]+/gu)) if (STOPWORDS.has(m[0])) stop++;
  return { words: terms, length: terms.length + stop, fields };
}

/** One query term: the index keys it matches (each with a weight; `prefix` also matches longer keys). */
export interface QueryTerm {
  text: string;
  kind: 'word' | 'date';
  /** Multiplies the term's BM25 share. */
  weight: number;
  alts: Array<{ key: string; prefix: boolean; weight: number }>;
}

export interface QueryOptions {
  /** Weight of a longer word the term is a prefix of ("budget" in "budgetary"); 0: whole words only. */
  prefixWeight: number;
  /** Shortest term that also matches as a prefix. */
  minPrefix: number;
  /** Weight of the term as a turn's speaker. */
  speakerWeight: number;
  /** Weight of a date phrase ("last May") against turn dates. */
  dateWeight: number;
  /** Most word terms kept from one query. */
  maxTerms: number;
}

/** Query terms: words (each also as a prefix and as a speaker) and the date phrases resolved against `now`. */
export function analyzeQuery(query: string, now: Date | undefined, o: QueryOptions): QueryTerm[] {
  const text = normalize(query);
  const found = now ? findDates(text, now) : { matches: [], rest: text };
  const out: QueryTerm[] = [];
  // A date phrase becomes a date term; its month name stays a word too ("May" may be in the text itself).
  const month = /\b(january|february|march|april|may|june|july|august|september|october|november|december)\b/;
  const kept = found.matches.map((m) => month.exec(m.phrase)?.[0] ?? '').join(' ');
  const seen = new Set<string>();
  for (const w of words(`${found.rest} ${kept}`)) {
    if (seen.has(w)) continue;
    seen.add(w);
    if (seen.size > o.maxTerms) break;
    const alts: QueryTerm['alts'] = [{ key: w, prefix: false, weight: 1 }];
    if (o.prefixWeight > 0 && w.length >= o.minPrefix && /^[a-z][a-z0-9]*$/.test(w))
      alts.push({ key: w, prefix: true, weight: o.prefixWeight });
    if (o.speakerWeight > 0) alts.push({ key: `@${w}`, prefix: false, weight: o.speakerWeight });
    out.push({ text: w, kind: 'word', weight: 1, alts });
  }
  if (o.dateWeight > 0) {
    for (const m of found.matches)
      out.push({
        text: m.phrase,
        kind: 'date',
        weight: o.dateWeight,
        alts: m.keys.map((key) => ({ key, prefix: true, weight: 1 })),
      });
  }
  return out;
}
