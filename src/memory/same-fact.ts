// When is a new fact about an entity the same fact as one memory already holds ("Acme pays net 30" vs "Acme now
// pays net 45")? When nearly all content words of the shorter are in the longer, names and numbers aside. And
// which memory may a correction replace without asking? No I/O.

import { keywordTerms } from '../domain/text.ts';
import { PROFILE_KINDS, type Memory } from '../ports/store.ts';

/** Words that say little about which fact a memory is (for the near-duplicate test). */
const FILLER = new Set([
  'now',
  'also',
  'still',
  'new',
  'was',
  'were',
  'has',
  'have',
  'had',
  'will',
  'this',
  'that',
  'their',
  'our',
  'per',
  'about',
]);

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

/**
 * What a correction of `text` (about the entities `about`) may replace. `clear`: the first of the recall hits,
 * then the entity's other memories, that is about the same entities (same first one, all of `about` on it) and
 * restates the same fact; never a profile, a digest or a compacted original. `close`: the other hits that share
 * a word of the fact (names aside), best first, whoever they are about: to be offered, not replaced.
 */
export function correctionTargets(
  text: string,
  about: string[],
  hits: Memory[],
  linked: Memory[],
  nameOf: (entity: string) => string,
): { clear?: Memory; close: Memory[] } {
  const terms = (m: Memory): [Set<string>, Set<string>] => {
    const names = [...new Set([...about, ...m.entities])].map(nameOf);
    return [factTerms(text, names), factTerms(m.text, names)];
  };
  const sameEntities = (m: Memory): boolean => m.entities[0] === about[0] && about.every((e) => m.entities.includes(e));
  const whole = (m: Memory): boolean => !PROFILE_KINDS.has(m.kind) && m.kind !== 'digest' && !m.digestId;
  const clear = [...hits, ...linked].find((m) => whole(m) && sameEntities(m) && correctsFact(...terms(m)));
  const close = hits.filter((m) => {
    const [mine, theirs] = terms(m);
    return m.id !== clear?.id && [...mine].some((t) => theirs.has(t));
  });
  return { ...(clear ? { clear } : {}), close };
}
