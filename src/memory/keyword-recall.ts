// Reference keyword recall over the store (BM25 on FTS candidates): the in-process KeywordIndex is checked against it.
// Keyword recall: BM25 over the notes that contain any query term. The store narrows to candidates (every live
// note containing a term), so document frequencies computed over the candidates are exact.

import { keywordTerms, tokens } from '../domain/text.ts';
import type { Memory as Note, MemoryStore as NoteStore } from '../ports/store.ts';

export interface RecallHit {
  note: Note;
  score: number;
}

const K1 = 1.2;
const B = 0.75;
const MAX_CANDIDATES = 2000;

export async function keywordRecall(notes: NoteStore, query: string, limit = 5): Promise<RecallHit[]> {
  const terms = keywordTerms(query);
  if (terms.length === 0) return [];
  const candidates = await notes.candidates(terms, MAX_CANDIDATES);
  if (candidates.length === 0) return [];
  const total = Math.max(await notes.count(), candidates.length);
  const docs = candidates.map((note) => ({ note, words: tokens(note.text) }));
  const avgLength = docs.reduce((sum, d) => sum + d.words.length, 0) / docs.length;
  // A term matches a word it is a prefix of ("budget" finds "budgets"), as the stores' candidate search does.
  const df = new Map(terms.map((t) => [t, docs.filter((d) => d.words.some((w) => w.startsWith(t))).length]));
  const hits = docs.map(({ note, words }) => {
    let score = 0;
    for (const term of terms) {
      const tf = words.filter((w) => w.startsWith(term)).length;
      if (tf === 0) continue;
      const n = df.get(term) ?? 0;
      const idf = Math.log(1 + (total - n + 0.5) / (n + 0.5));
      score += (idf * tf * (K1 + 1)) / (tf + K1 * (1 - B + (B * words.length) / avgLength));
    }
    return { note, score };
  });
  return hits
    .filter((h) => h.score > 0)
    .sort((a, b) => b.score - a.score || b.note.createdAt.getTime() - a.note.createdAt.getTime())
    .slice(0, limit);
}
