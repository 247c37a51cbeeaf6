// Keyword index: exactly textbook BM25 when matching whole words, checked against one written out here; stems,
// prefixes at a lower weight, chat-turn fields (speaker, date: "last May", "Jane's sister"), CJK, diacritics and
// numbers; removals, replacements and filters.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeDocument, normalize, words } from '../../src/memory/index/analyze.ts';
import { KeywordIndex } from '../../src/memory/index/keyword-index.ts';

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

/** Textbook BM25 written out (k1 1.2, b 0.75, Lucene idf) over the index's own analysis, whole words only. */
function referenceBm25(texts: readonly string[], query: string): Array<{ id: number; score: number }> {
  const docs = texts.map((t) => analyzeDocument(t));
  const avg = docs.reduce((s, d) => s + d.length, 0) / docs.length;
  const terms = [...new Set(words(normalize(query)))];
  return docs
    .map((doc, i) => {
      let score = 0;
      for (const term of terms) {
        const tf = doc.words.filter((w) => w === term).length;
        const df = docs.filter((d) => d.words.includes(term)).length;
        if (tf === 0) continue;
        const idf = Math.log(1 + (docs.length - df + 0.5) / (df + 0.5));
        score += (idf * tf * 2.2) / (tf + 1.2 * (0.25 + (0.75 * doc.length) / avg));
      }
      return { id: i + 1, score };
    })
    .filter((h) => h.score > 0)
    .sort((a, b) => b.score - a.score || b.id - a.id);
}

const WHOLE_WORDS = { prefixWeight: 0, speakerWeight: 0 };

function indexOf(texts: readonly string[], options = {}): KeywordIndex {
  const index = new KeywordIndex(options);
  texts.forEach((t, i) => index.add(i + 1, t));
  return index;
}

test('BM25 parity: with whole words only, scores are exactly textbook BM25 on a fixed corpus', () => {
  const index = indexOf(CORPUS, WHOLE_WORDS);
  for (const query of [
    'budget',
    'client budgets',
    'invoice acme',
    'zenith pdf',
    'kappa',
    'tuesday rebrand',
    'Acme client budget for spring',
  ]) {
    const got = index.search(query, 20);
    const want = referenceBm25(CORPUS, query);
    assert.ok(want.length > 0, query);
    assert.deepEqual(
      got.map((h) => h.id),
      want.map((h) => h.id),
      query,
    );
    got.forEach((h, i) => assert.ok(Math.abs(h.score - want[i]!.score) < 1e-9, `${query}: score of ${h.id}`));
  }
  assert.deepEqual(index.search('the a of what did', 5), [], 'stopwords alone match nothing');
  assert.deepEqual(index.search('nothingmatches', 5), []);
});

test('stems and prefixes: "budgets" finds budget, "budget" also finds budgeting, whole words weigh more', () => {
  const index = indexOf(CORPUS);
  const ids = new Set(index.search('budgets', 20).map((h) => h.id));
  for (const id of [1, 2, 4, 5, 6, 7, 10]) assert.ok(ids.has(id), `memory ${id} mentions budget*`);
  assert.equal(ids.has(3), false);
  const small = indexOf(['budgetary review', 'budget review', 'booked the venue', 'plan b ready', 'b2b sales']);
  const hits = small.search('budget', 5);
  assert.deepEqual(
    hits.map((h) => h.id),
    [2, 1],
    'the whole word first, the longer one after',
  );
  assert.deepEqual(
    small.search('booking', 5).map((h) => h.id),
    [3],
    'booking and booked share a stem',
  );
  // One- and two-character terms match whole words only.
  assert.deepEqual(
    small.search('b', 5).map((h) => h.id),
    [4],
  );
  assert.deepEqual(small.search('b2', 5), []);
  assert.deepEqual(
    indexOf(['budgetary review'], WHOLE_WORDS).search('budget', 5),
    [],
    'prefixWeight 0: whole words only',
  );
});

test('removal and replacement keep statistics and postings exact', () => {
  const index = indexOf(CORPUS, WHOLE_WORDS);
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
    assert.deepEqual(
      got.map((h) => h.id),
      want.map((h) => h.id),
      query,
    );
    got.forEach((h, i) => assert.ok(Math.abs(h.score - want[i]!.score) < 1e-9, query));
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
  assert.deepEqual(
    odd,
    all.filter((h) => h.id % 2 === 1),
  );
  const { hits, scoreOf } = index.searchWith(index.analyze('invoice'), 1, undefined, [3, 1, 999]);
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
  assert.ok(
    hits.every((h) => h.id % 3 === 0 && h.id % 10 === 3),
    'both terms beat one',
  );
  assert.equal(index.search('budget', 5000).length, 3000);
});

/** A small chat history, each turn remembered as "[session:turn] Speaker (date): text". */
const TURNS = [
  '[1:1] Jane (2024-05-12): Booked a hotel in Porto, Casa Amora, 3 nights',
  '[4:2] Jane (2025-03-08): Booked a hotel in Ghent, the Linden Inn, 2 nights',
  '[6:5] Jane (2025-05-20): Booked a hotel in Lisbon, Hotel Alma, 4 nights',
  '[6:6] Omar (2025-05-20): did you book the hotel yet?',
  '[7:1] Omar (2025-06-02): My sister Ana moved to Porto last week',
  '[7:2] Jane (2025-06-02): My brother Tom got a job at the port',
  '[7:3] Jane (2025-06-02): My sister Lucía started at the museum in Ghent, so proud',
  '[7:4] Omar (2025-06-02): say hi to your sister from me',
  '[8:1] Søren (2025-06-20): Paid the venue deposit today, €1,200',
  '[8:2] Zoë (2025-06-20): Get the Shure MV7, the cheap USB mics hiss',
  '[8:3] Omar (2025-06-20): my USB mic died mid-recording today',
  '[9:1] 王芳 (2025-07-01): 我妹妹下个月搬到上海去工作',
  '[9:2] 王芳 (2025-07-01): 新店的押金是八千块,已经转账了',
  '[9:3] 田中 (2025-07-02): 妹が大阪に引っ越すことになりました',
  '[9:4] 田中 (2025-07-02): 来週の会議は東京で行います',
];
const top = (index: KeywordIndex, query: string, now?: Date): number | undefined =>
  index.search(query, 5, undefined, now)[0]?.id;

test('"last May" finds the May turn, relative to when the question is asked', () => {
  const index = indexOf(TURNS);
  // The same words match all three of Jane's hotel turns; only the date tells them apart.
  assert.equal(top(index, 'Which hotel did Jane book last May?', new Date('2025-08-10T12:00:00Z')), 3);
  assert.equal(
    top(index, 'Which hotel did Jane book last May?', new Date('2025-05-25T12:00:00Z')),
    1,
    'in May, "last May" is a year back',
  );
  assert.equal(top(index, 'Which hotel did Jane book in May 2024?', new Date('2025-08-10T12:00:00Z')), 1);
  assert.equal(top(index, 'Which hotel did Jane book in March?', new Date('2025-08-10T12:00:00Z')), 2);
  assert.equal(top(index, 'Which hotel did Jane book on 8 March 2025?', new Date('2025-08-10T12:00:00Z')), 2);
  assert.equal(top(index, 'Which hotel did Jane book three weeks ago?', new Date('2025-06-10T12:00:00Z')), 3);
  // Without date terms the words alone pick the same turn whatever the date asked about.
  const wordsOnly = indexOf(TURNS, { dateWeight: 0 });
  const asked = new Date('2025-08-10T12:00:00Z');
  const picks = ['last May', 'in May 2024', 'in March'].map((when) =>
    top(wordsOnly, `Which hotel did Jane book ${when}?`, asked),
  );
  assert.equal(new Set(picks).size, 1, `words alone: ${picks.join(', ')}`);
});

test('"Jane\'s sister" finds the turn where Jane names her sister', () => {
  const index = indexOf(TURNS);
  assert.equal(top(index, "Where does Jane's sister work now?"), 7);
  assert.equal(top(index, "What job did Jane's brother get?"), 6);
  assert.equal(top(index, "Where did Omar's sister move?"), 5);
  // The speaker counts as a field: no other turn of Jane's outranks the one that says "sister".
  const hits = index.search("Jane's sister", 3).map((h) => h.id);
  assert.equal(hits[0], 7);
});

test('CJK questions find CJK turns (character pairs, no spaces needed)', () => {
  const index = indexOf(TURNS);
  assert.equal(top(index, '王芳的妹妹要搬到哪个城市?'), 12);
  assert.equal(top(index, '新店押金多少钱?'), 13);
  assert.equal(top(index, '田中さんの妹はどこに引っ越しますか?'), 14);
  assert.equal(top(index, '会議はどこで?'), 15);
});

test('diacritics fold, digit groups join, session and turn numbers are not words', () => {
  const index = indexOf(TURNS);
  assert.equal(
    top(index, 'What did Zoe say about the mic?'),
    10,
    'Zoe = Zoë, and the speaker outweighs the other mic turn',
  );
  assert.equal(top(index, 'Soren deposit'), 9);
  assert.equal(top(index, 'What was the 1200 euro payment for?'), 9, '1200 = €1,200');
  assert.deepEqual(
    index.search('Søren 1,200', 5).map((h) => h.id),
    [9],
  );
  assert.deepEqual(index.search('8', 5), [], '"[8:1]" is an address, not content');
});
