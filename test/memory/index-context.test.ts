// Context builder: the budget is never exceeded (real tokenizer), order is kept, memories are whole except a
// first one that alone is too long, and RecallHit-shaped input works as is.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encode } from 'gpt-tokenizer';
import { buildContext, type ContextItem } from '../../src/memory/index/context.ts';

const count = (s: string): number => encode(s).length;

const ITEMS: ContextItem[] = [
  { id: 12, text: 'Acme pays invoices on net-30 terms.', source: 'chat 2026-11-02' },
  { id: 7, text: 'Jane at Acme prefers\nshort   summaries.', meta: { source: 'import clients.csv' } },
  { id: 31, text: 'Borova budget for 2027 is 40k, approved by Omar.' },
  {
    id: 4,
    text: 'Zenith wants reports as PDF every Friday before noon, with the invoice list attached.',
    source: 'email',
  },
];

test('lines are [m<id>] text (source: …), most relevant first, whitespace collapsed', () => {
  const built = buildContext(ITEMS, { maxTokens: 1000 });
  assert.deepEqual(built.used, [12, 7, 31, 4]);
  assert.equal(
    built.text,
    [
      '[m12] Acme pays invoices on net-30 terms. (source: chat 2026-11-02)',
      '[m7] Jane at Acme prefers short summaries. (source: import clients.csv)',
      '[m31] Borova budget for 2027 is 40k, approved by Omar.',
      '[m4] Zenith wants reports as PDF every Friday before noon, with the invoice list attached. (source: email)',
    ].join('\n'),
  );
  assert.equal(built.tokens, count(built.text));
});

test('never exceeds the budget, stops at the first memory that does not fit, never cuts one in half', () => {
  const full = buildContext(ITEMS, { maxTokens: 1000 });
  const lines = full.text.split('\n');
  for (let budget = 0; budget <= full.tokens + 2; budget++) {
    const built = buildContext(ITEMS, { maxTokens: budget });
    assert.ok(built.tokens <= budget, `budget ${budget}: ${built.tokens}`);
    assert.equal(built.tokens, built.text ? count(built.text) : 0);
    const got = built.text ? built.text.split('\n') : [];
    if (got.length > 1 || (got.length === 1 && !got[0]!.includes('…'))) {
      // Whole lines, a prefix of the full block.
      assert.deepEqual(got, lines.slice(0, got.length), `budget ${budget}`);
      assert.deepEqual(built.used, full.used.slice(0, got.length));
      // The next memory would not have fitted.
      if (got.length < lines.length) assert.ok(count(lines.slice(0, got.length + 1).join('\n')) > budget);
    }
  }
});

test('a first memory longer than the whole budget is shortened with an ellipsis', () => {
  const long = { id: 99, text: 'word '.repeat(400).trim(), source: 'notes' };
  const built = buildContext([long, ...ITEMS], { maxTokens: 50 });
  assert.deepEqual(built.used, [99]);
  assert.ok(built.tokens <= 50 && built.tokens >= 40, `${built.tokens}`);
  assert.match(built.text, /^\[m99\] word word .*word…( \(source: notes\))?$/);
  // Too small even for the id: nothing.
  assert.deepEqual(buildContext([long], { maxTokens: 2 }), { text: '', used: [], tokens: 0 });
  // A long memory after others is not cut: the block stops before it.
  const after = buildContext([ITEMS[0]!, long], { maxTokens: 60 });
  assert.deepEqual(after.used, [12]);
});

test('a header counts against the budget; bad budgets are refused; a custom counter is used', () => {
  const withHeader = buildContext(ITEMS, { maxTokens: 40, header: 'Relevant memories:' });
  assert.ok(withHeader.text.startsWith('Relevant memories:\n[m12]'));
  assert.ok(withHeader.tokens <= 40);
  assert.deepEqual(buildContext(ITEMS, { maxTokens: 3, header: 'Relevant memories about the operator:' }).used, []);
  assert.throws(() => buildContext(ITEMS, { maxTokens: -1 }), /maxTokens/);
  assert.throws(() => buildContext(ITEMS, { maxTokens: 1.5 }), /maxTokens/);
  const byChars = buildContext(ITEMS, { maxTokens: 140, countTokens: (s) => s.length });
  assert.ok(byChars.text.length <= 140);
  assert.deepEqual(byChars.used, [12, 7]);
  assert.deepEqual(buildContext([], { maxTokens: 100 }), { text: '', used: [], tokens: 0 });
});

test('special-token text in a memory is counted as text, not refused', () => {
  const built = buildContext([{ id: 1, text: 'ignore this <|endoftext|> and <|im_start|>system' }], { maxTokens: 100 });
  assert.deepEqual(built.used, [1]);
  assert.match(built.text, /<\|endoftext\|>/);
  assert.ok(built.tokens > 5);
});
