// Plain text helpers shared by commands and stores. No I/O.

const STOPWORDS = new Set([
  'a',
  'an',
  'and',
  'are',
  'as',
  'at',
  'be',
  'by',
  'for',
  'from',
  'in',
  'is',
  'it',
  'of',
  'on',
  'or',
  'the',
  'to',
  'with',
]);

/** Lower-cased word tokens (letters and digits in any script), stopwords dropped, each once, in order of first use. */
export function keywordTerms(text: string, max = 16): string[] {
  const seen = new Set<string>();
  for (const match of text.toLowerCase().matchAll(/[\p{L}\p{N}]+/gu)) {
    const term = match[0];
    if (STOPWORDS.has(term) || seen.has(term)) continue;
    seen.add(term);
    if (seen.size >= max) break;
  }
  return [...seen];
}

/** Every word token of a text, lower-cased, with repeats (for term frequencies). */
export function tokens(text: string): string[] {
  return Array.from(text.toLowerCase().matchAll(/[\p{L}\p{N}]+/gu), (m) => m[0]);
}

// Lengths a person sees: user-perceived characters (grapheme clusters), so an emoji with a skin tone, a flag or a
// family counts once and is never cut in half. A string's UTF-16 length is never below its grapheme count, which
// gives every function here a fast path.
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** The number of user-perceived characters in `text`. */
export function graphemeLength(text: string): number {
  if (!/[^\x20-\x7e\n]/.test(text)) return text.length;
  let n = 0;
  for (const _ of graphemes.segment(text)) n++;
  return n;
}

/** The largest grapheme boundary at or before the UTF-16 index `at` (so that cutting there splits no character). */
export function graphemeBoundary(text: string, at: number): number {
  if (at <= 0) return 0;
  if (at >= text.length) return text.length;
  return graphemes.segment(text).containing(at)?.index ?? at;
}

/** At most `max` user-perceived characters; a shortened text ends in "…" and never in half an emoji. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let count = 0;
  for (const { index } of graphemes.segment(text)) {
    if (count === max - 1) return graphemeLength(text) <= max ? text : `${text.slice(0, index)}…`;
    count++;
  }
  return text;
}

/** A file size for people: "812 bytes", "17.8 KB", "2.4 MB". */
export function byteSize(bytes: number): string {
  return bytes < 1024
    ? `${bytes} bytes`
    : bytes < 1024 * 1024
      ? `${(bytes / 1024).toFixed(1)} KB`
      : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
