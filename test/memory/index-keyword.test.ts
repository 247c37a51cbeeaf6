// Keyword index: BM25 with prefix terms, checked against the existing keywordRecall (same scores when every memory
// is a candidate) and against a plain BM25 written out here; removals, replacements and filters.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keywordTerms, tokens } from '../../src/domain/text.ts';
import { KeywordIndex } from '../../src/memory/index/keyword-index.ts';
import { keywordRecall } from '../../src/memory/keyword-recall.ts';

const CORPUS = [
  'Acme client budget for the spring campaign is 40k',
  'Acme client budgets are approved by Jane every quarter',
  'Borova client pays invoices on net 30 terms',
  'Client Borova prefers email; budget talks happen in March',
  'Client Zenith wants the invoice as PDF and the budget split by month',
  'Client Zenith: invoices go to accounts@zenith.example, budgeting starts in April',
  'Client meeting with Acme on Tuesday about the rebrand budget',
  'Every client gets a thank-you note in December',
  'Client Kappa pays late; send invoice reminders after 7 days',
  'Client Kappa budget budget budget discussion notes',
];

type Recall = typeof keywordRecall;

/** The least of a memory store keywordRecall uses: prefix candidates and a count, over an array. */
function store(texts: readonly string[]): Parameters<Recall>[0] {
  const memories = texts.map((text, i) => ({ id: String(i + 1), text, createdAt: new Date(Date.UTC(2026, 0, 1 + i)) }));
  const fake = {
    candidates: async (terms: string[], limit: number) =>
      memories
        .filter((m) => tokens(m.text).some((w) => terms.some((t) => w.startsWith(t))))
        .reverse()
        .slice(0, limit),
    count: async () => memories.length,
  };
  return fake as unknown as Parameters<Recall>[0];
}

/** BM25 spelled out: prefix matches, statistics over the whole corpus. */
function referenceBm25(texts: readonly string[], query: string): Array<{ id: number; score: number }> {
  const docs = texts.map((t) => tokens(t));
  const avg = docs.reduce((s, d) => s + d.length, 0) / docs.length;
  const terms = keywordTerms(query);
  return docs
    .map((words, i) => {
      let score = 0;
      for (const term of terms) {
        const tf = words.filter((w) => w.startsWith(term)).length;
        const df = docs.filter((d) => d.some((w) => w.startsWith(term))).length;
        if (tf === 0) continue;
        const idf = Math.log(1 + (docs.length - df + 0.5) / (df + 0.5));
        score += (idf * tf * 2.2) / (tf + 1.2 * (0.25 + (0.75 * words.length) / avg));
      }
      return { id: i + 1, score };
    })
    .filter((h) => h.score > 0)
    .sort((a, b) => b.score - a.score || b.id - a.id);
}

function indexOf(texts: readonly string[]): KeywordIndex {
  const index = new KeywordIndex();
  texts.forEach((t, i) => index.add(i + 1, t));
  return index;
}

test('same ranking and scores as keywordRecall when every memory is a candidate', async () => {
  // Every text contains "client", and every query asks for it, so keywordRecall's candidate statistics are the
  // corpus statistics and the two must agree exactly.
  const index = indexOf(CORPUS);
  for (const query of ['client budget', 'client budgets', 'client invoice', 'client acme budget', 'client zen', 'client pays late']) {
    const want = await keywordRecall(store(CORPUS), query, 10);
    const got = index.search(query, 10);
    assert.deepEqual(
      got.map((h) => h.id),
      want.map((h) => Number(h.note.id)),
      query,
    );
    got.forEach((h, i) => assert.ok(Math.abs(h.score - want[i]!.score) < 1e-9, `${query}: score of ${h.id}`));
  }
});

test('prefix terms: "budget" finds budgets and budgeting; scores match a plain BM25', () => {
  const index = indexOf(CORPUS);
  const hits = index.search('budget', 20);
  const ids = new Set(hits.map((h) => h.id));
  for (const id of [1, 2, 4, 5, 6, 7, 10]) assert.ok(ids.has(id), `memory ${id} mentions budget*`);
  assert.equal(ids.has(3), false);
  for (const query of ['budget', 'invoice acme', 'zenith pdf', 'kappa', 'tuesday rebrand', 'the a of']) {
    const got = index.search(query, 20);
    const want = referenceBm25(CORPUS, query);
    assert.deepEqual(got.map((h) => h.id), want.map((h) => h.id), query);
    got.forEach((h, i) => assert.ok(Math.abs(h.score - want[i]!.score) < 1e-9, query));
  }
  assert.deepEqual(index.search('the a of', 5), [], 'stopwords alone match nothing');
  assert.deepEqual(index.search('nothingmatches', 5), []);
  // One-character terms match whole words only.
  const small = indexOf(['plan b ready', 'budget approved', 'b2b sales']);
  assert.deepEqual(small.search('b', 5).map((h) => h.id), [1]);
  assert.deepEqual(small.search('b2', 5).map((h) => h.id), [3]);
  assert.equal(index.search('budget', 3).length, 3);
});

test('removal and replacement keep statistics and postings exact', () => {
  const index = indexOf(CORPUS);
  index.remove(1);
  index.remove(7);
  index.add(3, 'Borova client budget moved to net 45 terms'); // replacement
  index.add(11, 'Client Omega budget freeze');
  index.remove(999); // unknown id: nothing happens
  const texts = new Map(CORPUS.map((t, i) => [i + 1, t]));
  texts.delete(1);
  texts.delete(7);
  texts.set(3, 'Borova client budget moved to net 45 terms');
  texts.set(11, 'Client Omega budget freeze');
  const ids = [...texts.keys()];
  const values = [...texts.values()];
  assert.equal(index.size, texts.size);
  for (const query of ['budget', 'borova net', 'acme', 'omega freeze', 'rebrand']) {
    const want = referenceBm25(values, query).map((h) => ({ id: ids[h.id - 1]!, score: h.score }));
    want.sort((a, b) => b.score - a.score || b.id - a.id);
    const got = index.search(query, 20);
    assert.deepEqual(got.map((h) => h.id), want.map((h) => h.id), query);
  }
  assert.deepEqual(index.search('rebrand', 5), [], 'the only rebrand memory was removed');
  // Words of removed memories leave the dictionary.
  const before = index.terms;
  index.remove(11);
  assert.equal(index.terms, before - 2, '"omega" and "freeze" were only in memory 11');
});

test('allow filters results but not corpus statistics; also reports scores of named ids', () => {
  const index = indexOf(CORPUS);
  const all = index.search('budget', 20);
  const odd = index.search('budget', 20, (id) => id % 2 === 1);
  assert.deepEqual(odd, all.filter((h) => h.id % 2 === 1));
  const { hits, scoreOf } = index.searchWith(keywordTerms('invoice'), 1, undefined, [3, 1, 999]);
  assert.equal(hits.length, 1);
  assert.ok(scoreOf.get(3)! > 0);
  assert.equal(scoreOf.get(1), 0);
  assert.equal(scoreOf.get(999), 0);
});

test('bad input is refused', () => {
  const index = new KeywordIndex();
  assert.throws(() => index.add(-1, 'x'), /positive integer/);
  assert.throws(() => index.add(1, 42 as unknown as string), /string/);
  assert.deepEqual(index.search('anything', 10), []);
});

test('scratch arrays grow past their first size', () => {
  const index = new KeywordIndex();
  for (let i = 1; i <= 3000; i++) index.add(i, `memory ${i} about client${i % 10} budget ${i % 3 === 0 ? 'fizz' : ''}`);
  const hits = index.search('fizz client3', 5);
  assert.equal(hits.length, 5);
  assert.ok(hits.every((h) => h.id % 3 === 0 && h.id % 10 === 3), 'both terms beat one');
  assert.equal(index.search('budget', 5000).length, 3000);
});
