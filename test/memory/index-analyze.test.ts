// Text analysis and dates of the keyword index: folding, possessives, numbers, CJK pairs, the light stemmer, and
// date phrases resolved against the day a question is asked.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeDocument, analyzeQuery, normalize, stem, words } from '../../src/memory/index/analyze.ts';
import { explicitDates, findDates } from '../../src/memory/index/dates.ts';
import { KEYWORD_DEFAULTS } from '../../src/memory/index/keyword-index.ts';

test('words: folded, possessives cut, digit groups joined, stopwords dropped, CJK in pairs', () => {
  assert.deepEqual(words(normalize("Jane's deposit: €9,767 on the 14th, don't forget Łukasz & Zoë & Søren")), [
    'jane',
    'deposit',
    '9767',
    '14',
    'forget',
    'lukasz',
    'zoe',
    'soren',
  ]);
  assert.deepEqual(words(normalize('王芳的妹妹')), ['王芳', '芳的', '的妹', '妹妹']);
  assert.deepEqual(words(normalize('妹')), ['妹']);
  // Japanese voiced kana keep their marks (only Latin letters are folded).
  assert.deepEqual(words(normalize('ガス')), ['ガス']);
});

test('stem: plurals, -ed, -ing and common irregular verbs meet', () => {
  const same = [
    ['booked', 'booking', 'book'],
    ['bought', 'buy', 'buying'],
    ['moved', 'moving', 'move'],
    ['schedule', 'scheduling'],
    ['taxes', 'tax'],
    ['parties', 'party'],
    ['planned', 'plan'],
    ['ran', 'run', 'running'],
  ];
  for (const group of same) assert.equal(new Set(group.map(stem)).size, 1, group.join(' '));
  assert.equal(stem('jane'), 'jane');
  assert.equal(stem('news'), 'new');
  assert.equal(stem('class'), 'class');
  assert.equal(stem('2024'), '2024');
});

test('a remembered chat turn gives speaker and date fields, not body words', () => {
  const doc = analyzeDocument('[12:7] Søren Åberg (2025-05-14): The launch is on 2025-06-01, then May 3, 2026');
  assert.deepEqual(doc.fields, ['@soren', '@aberg', '#2025-05-14', '#2025-06-01', '#2026-05-03']);
  assert.ok(!doc.words.includes('12') && !doc.words.includes('soren'));
  assert.equal(analyzeDocument('Acme pays late').fields.length, 0, 'plain memories have no fields');
});

test('date phrases resolve against the day they are asked', () => {
  const now = new Date('2025-08-13T10:00:00Z'); // a Wednesday
  const keys = (q: string) => findDates(q.toLowerCase(), now).matches.flatMap((m) => m.keys);
  assert.deepEqual(keys('what did she say last May?'), ['#2025-05']);
  assert.deepEqual(keys('last August'), ['#2024-08'], 'the current month is not "last"');
  assert.deepEqual(keys('in August'), ['#2025-08']);
  assert.deepEqual(keys('in September'), ['#2024-09'], 'a bare month is the latest one so far');
  assert.deepEqual(keys('next March'), ['#2026-03']);
  assert.deepEqual(keys('May 2024'), ['#2024-05']);
  assert.deepEqual(keys('on 14 May'), ['#2025-05-14']);
  assert.deepEqual(keys('on December 3rd'), ['#2024-12-03']);
  assert.deepEqual(keys('on May 3, 2024'), ['#2024-05-03']);
  assert.deepEqual(keys('yesterday'), ['#2025-08-12']);
  assert.deepEqual(keys('last month'), ['#2025-07']);
  assert.deepEqual(keys('in 2024'), ['#2024']);
  assert.deepEqual(keys('last week'), [
    '#2025-08-04',
    '#2025-08-05',
    '#2025-08-06',
    '#2025-08-07',
    '#2025-08-08',
    '#2025-08-09',
    '#2025-08-10',
  ]);
  assert.equal(keys('two weeks ago').length, 7);
  assert.deepEqual(keys('may I ask about the budget'), [], '"may" alone is a verb');
  assert.deepEqual(keys('the week before the launch'), [], 'an event is not a date');
  assert.deepEqual(explicitDates('due 2025-06-01, or May 3, 2026, not 14 May'), ['#2025-06-01', '#2026-05-03']);
});

test('query terms: words with prefix and speaker alternatives, a date phrase as one weighted term', () => {
  const terms = analyzeQuery(
    "Which hotel did Jane's sister book last May?",
    new Date('2025-08-10T00:00:00Z'),
    KEYWORD_DEFAULTS,
  );
  assert.deepEqual(
    terms.map((t) => t.text),
    ['hotel', 'jane', 'sister', 'book', 'may', 'last may'],
  );
  const date = terms.at(-1)!;
  assert.equal(date.kind, 'date');
  assert.deepEqual(date.alts, [{ key: '#2025-05', prefix: true, weight: 1 }]);
  assert.deepEqual(
    terms[1]!.alts.map((a) => a.key),
    ['jane', 'jane', '@jane'],
  );
  assert.deepEqual(
    analyzeQuery('Jane last May', undefined, KEYWORD_DEFAULTS).map((t) => t.text),
    ['jane', 'last', 'may'],
    'no date without now',
  );
});
