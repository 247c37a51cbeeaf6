// When is a new fact about an entity the same fact as one memory already holds ("Acme pays net 30" vs "Acme now
// pays net 45")? When nearly all content words of the shorter are in the longer, names and numbers aside. No I/O.

import { keywordTerms } from '../domain/text.ts';

/** Words that say little about which fact a memory is (for the near-duplicate test). */
const FILLER = new Set(['now', 'also', 'still', 'new', 'was', 'were', 'has', 'have', 'had', 'will', 'this', 'that', 'their', 'our', 'per', 'about']);

export function factTerms(text: string, names: string[]): Set<string> {
  const nameWords = new Set(names.flatMap((n) => keywordTerms(n)));
  return new Set(keywordTerms(text, 64).filter((t) => !nameWords.has(t) && !FILLER.has(t) && !/\d/.test(t)));
}

/** Two facts about the same entity say the same kind of thing when nearly all content words of the shorter are in the longer. */
export function sameFact(a: Set<string>, b: Set<string>): boolean {
  if (a.size === 0 || b.size === 0) return false;
  let shared = 0;
  for (const t of a) if (b.has(t)) shared++;
  return shared / Math.min(a.size, b.size) >= 0.8;
}

/**
 * A correction restates a fact with one thing changed ("calls on tuesday" → "calls on thursday"): the same fact,
 * or, for facts of three or more content words, all but one of the shorter's words in the longer.
 */
export function correctsFact(next: Set<string>, old: Set<string>): boolean {
  if (sameFact(next, old)) return true;
  const smaller = Math.min(next.size, old.size);
  let shared = 0;
  for (const t of next) if (old.has(t)) shared++;
  return smaller >= 3 && shared >= smaller - 1;
}
