// The labelled sets behind bench/retrieval.ts. Client facts: the committed JSON is exactly what the seeded generator
// makes, it is large enough (≥ 2,000 memories, ≥ 200 queries, ≥ 150 clients), every label points at a memory, and
// each query type keeps its promise (paraphrases share no keyword with their memory but the client's name; exact
// details occur in their memory only). Long conversations: the same for bench/conversation-set.ts (≥ 300 questions,
// turns in the "[session:turn] Speaker (date): text" form, balanced halves, each type keeping its promise).
// Benchmark figures are printed by the bench, never asserted here.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  CONVERSATION_SET_PATH,
  CONVERSATION_TYPES,
  generateConversationSet,
  loadConversationSet,
  renderConversationSet,
  whenPhrases,
} from '../../bench/conversation-set.ts';
import {
  generateRetrievalSet,
  loadRetrievalSet,
  QUERY_TYPES,
  renderRetrievalSet,
  SET_PATH,
} from '../../bench/retrieval-set.ts';
import { keywordTerms, tokens } from '../../src/domain/text.ts';
import { TINY_VOCAB } from '../support/tiny-vocab.ts';

const committed = loadRetrievalSet();
const memoryById = new Map(committed.memories.map((m) => [m.id, m]));

test('the committed set is what the generator makes, byte for byte', () => {
  const generated = renderRetrievalSet(generateRetrievalSet({ seed: committed.seed }));
  assert.equal(
    readFileSync(SET_PATH, 'utf8'),
    generated,
    'bench/data/retrieval-set.json is stale: run node bench/retrieval-set.ts',
  );
  assert.deepEqual(JSON.parse(generated), committed);
});

test('the seed decides the set', () => {
  const other = generateRetrievalSet({ seed: committed.seed + 1 });
  assert.notDeepEqual(
    other.memories.map((m) => m.text),
    committed.memories.map((m) => m.text),
  );
});

test('size: at least 2,000 memories, 200 queries and 150 clients, ids unique', () => {
  assert.ok(committed.memories.length >= 2000, `${committed.memories.length} memories`);
  assert.ok(committed.queries.length >= 200, `${committed.queries.length} queries`);
  assert.ok(committed.clients.length >= 150, `${committed.clients.length} clients`);
  assert.equal(memoryById.size, committed.memories.length);
  assert.equal(new Set(committed.queries.map((q) => q.id)).size, committed.queries.length);
  assert.equal(new Set(committed.clients.map((c) => c.key)).size, committed.clients.length);
});

test('every label points at an existing memory and every memory entity at a client', () => {
  const clients = new Set(committed.clients.map((c) => c.key));
  for (const q of committed.queries) {
    assert.ok(q.relevant.length > 0, `${q.id} has no label`);
    for (const id of q.relevant) assert.ok(memoryById.has(id), `${q.id} points at missing memory ${id}`);
  }
  for (const m of committed.memories)
    for (const e of m.entities) assert.ok(clients.has(e), `memory ${m.id}: unknown entity ${e}`);
});

test('every query type is present, with a real share of the queries', () => {
  for (const type of QUERY_TYPES) {
    const n = committed.queries.filter((q) => q.type === type).length;
    assert.ok(n >= 40, `${type}: ${n} queries`);
  }
  const paraphrases = committed.queries.filter((q) => q.type === 'paraphrase');
  assert.ok(
    paraphrases.some((q) => q.named) && paraphrases.some((q) => !q.named),
    'paraphrases both with and without a client name',
  );
});

test('query types keep their promise', () => {
  const nameTerms = new Map(committed.clients.map((c) => [c.key, new Set(keywordTerms(c.name))]));
  for (const q of committed.queries) {
    const memories = q.relevant.map((id) => memoryById.get(id)!);
    const words = memories.flatMap((m) => tokens(m.text));
    const names = new Set(memories.flatMap((m) => m.entities.flatMap((e) => [...(nameTerms.get(e) ?? [])])));
    const named = keywordTerms(q.text).some((t) => names.has(t));
    if (q.named) assert.ok(named, `${q.id} should name its client: ${q.text}`);
    if (q.type === 'paraphrase') {
      // The keyword index matches a query term as a prefix of a memory word: none may match but the name.
      const shared = keywordTerms(q.text).filter((t) => !names.has(t) && words.some((w) => w.startsWith(t)));
      assert.deepEqual(shared, [], `${q.id} shares words with its memory: ${q.text}`);
    }
    if (q.type === 'exact_detail') {
      // Details are numbers and capitalised names (people, cities).
      const capitalised = new Set(Array.from(q.text.matchAll(/(?<!\p{L})\p{Lu}\p{L}+/gu), (m) => m[0].toLowerCase()));
      const details = tokens(q.text).filter((t) => /^\d+$/.test(t) || capitalised.has(t));
      assert.ok(details.length > 0, `${q.id} has no number or name: ${q.text}`);
      for (const t of details) {
        assert.ok(words.includes(t), `${q.id}: "${t}" is not in its memory`);
      }
      const holders = committed.memories.filter((m) => details.every((t) => tokens(m.text).includes(t)));
      assert.deepEqual(
        holders.map((m) => m.id),
        q.relevant,
        `${q.id}: its detail is in other memories too`,
      );
    }
  }
});

test('texts are written mostly with the tiny model vocabulary, client names and numbers', () => {
  const known = new Set([...TINY_VOCAB, ...committed.clients.flatMap((c) => tokens(c.name))]);
  let all = 0;
  let covered = 0;
  for (const m of committed.memories) {
    for (const t of tokens(m.text)) {
      all++;
      if (known.has(t) || /^\d+$/.test(t)) covered++;
    }
  }
  assert.ok(covered / all >= 0.75, `${((100 * covered) / all).toFixed(1)}% of words covered`);
});

const conversations = loadConversationSet();
const turnById = new Map(conversations.memories.map((m) => [m.id, m]));

test('conversations: the committed set is what the generator makes, byte for byte', () => {
  const generated = renderConversationSet(generateConversationSet(conversations.seed));
  assert.equal(
    readFileSync(CONVERSATION_SET_PATH, 'utf8'),
    generated,
    'bench/data/conversation-set.json is stale: run node bench/conversation-set.ts',
  );
});

test('conversations: long histories, at least 300 questions, every label a turn of the same history', () => {
  assert.ok(conversations.queries.length >= 300, `${conversations.queries.length} questions`);
  for (const h of conversations.histories) {
    const turns = conversations.memories.filter((m) => m.history === h.id);
    assert.ok(turns.length >= 300, `history ${h.id}: ${turns.length} turns`);
    assert.ok(new Set(turns.map((t) => t.speaker)).size >= 3, `history ${h.id}: several speakers`);
  }
  for (const m of conversations.memories) {
    assert.match(m.text, /^\[\d+:\d+\] \S[^(]* \(\d{4}-\d{2}-\d{2}\): \S/u, `turn ${m.id}`);
    assert.ok(m.text.includes(`${m.speaker} (${m.date}): `), `turn ${m.id} names its speaker and date`);
  }
  for (const q of conversations.queries) {
    assert.ok(q.relevant.length > 0, q.id);
    for (const id of q.relevant) assert.equal(turnById.get(id)?.history, q.history, `${q.id} points at turn ${id}`);
    assert.ok(
      new Date(q.asked) > new Date(turnById.get(q.relevant[0]!)!.updatedAt),
      `${q.id} is asked after its answer`,
    );
  }
});

test('conversations: every type present, halves balanced within each type', () => {
  for (const type of CONVERSATION_TYPES) {
    const qs = conversations.queries.filter((q) => q.type === type);
    assert.ok(qs.length >= 20, `${type}: ${qs.length}`);
    const tune = qs.filter((q) => q.split === 'tune').length;
    assert.ok(Math.abs(2 * tune - qs.length) <= 1, `${type}: ${tune} of ${qs.length} in the tune half`);
  }
});

test('conversations: question types keep their promise', () => {
  const months = [
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
  for (const q of conversations.queries) {
    const answer = turnById.get(q.relevant[0]!)!;
    if (q.type === 'temporal') {
      // The question names a time that holds for its answer, and says nothing of the answer's own words but one.
      const when = whenPhrases(new Date(answer.updatedAt), new Date(q.asked));
      assert.ok(
        when.some((w) => q.text.includes(w)),
        `${q.id}: ${q.text} (${answer.date})`,
      );
      assert.ok(q.text.includes(answer.speaker), q.id);
      const body = answer.text.slice(answer.text.indexOf('): ') + 3);
      assert.ok(!months.some((m) => new RegExp(`\\b${m}\\b`).test(body)), `${q.id}: the answer names no month itself`);
    }
    if (q.type === 'relational')
      assert.match(
        q.text,
        new RegExp(`${answer.speaker}'s (sister|brother|cousin|neighbour|colleague|daughter|son|husband|wife|boss)`),
        q.id,
      );
    if (q.type === 'diacritics') {
      assert.match(answer.speaker, /[^\x00-\x7f]/, `${q.id}: the speaker's name has diacritics`);
      assert.ok(
        !q.text.includes(answer.speaker) && /^[\x00-\x7f]+$/.test(q.text),
        `${q.id}: asked without them: ${q.text}`,
      );
    }
    if (q.type === 'cjk') assert.match(q.text, /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u, q.id);
    if (q.type === 'number') {
      const n = q.text.match(/\d+/)![0];
      assert.ok(answer.text.replace(/,/g, '').includes(n), `${q.id}: ${n} in ${answer.text}`);
    }
  }
});
