// Plain text helpers shared by commands and stores. No I/O.

const STOPWORDS = new Set(['a', 'an', 'and', 'are', 'as', 'at', 'be', 'by', 'for', 'from', 'in', 'is', 'it', 'of', 'on', 'or', 'the', 'to', 'with']);

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

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
