// The measured pattern detector and the revised calendar: a clear gap on enough pieces is a finding; too few pieces,
// a small gap or a scattered one are not (and say why); rates of different metrics are never compared; the revised
// plan hands the same dates out again by priority. The batch card's text is read back per answer.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detectPatterns, revisePlan, welchT } from '../../src/content/patterns.ts';
import type { Piece } from '../../src/content/pieces.ts';
import { parseBatch } from '../../src/workflows/content-review.ts';

let n = 0;
const piece = (topic: string, rate: number | undefined, extra: Partial<Piece> = {}): Piece => ({
  id: `p${++n}`,
  title: `${topic} ${n}`,
  topic,
  format: 'newsletter',
  stage: 'published',
  priority: 'normal',
  drafts: [],
  createdAt: '2026-01-01T00:00:00Z',
  metrics: rate === undefined ? [] : [{ metric: 'open_rate', value: rate, base: 1000, source: 'x.csv' }],
  ...extra,
});

test('a topic clearly above or below the others on three pieces each is a finding', () => {
  const pieces = [
    piece('pricing', 0.6),
    piece('pricing', 0.58),
    piece('pricing', 0.62),
    piece('tools', 0.3),
    piece('tools', 0.32),
    piece('tools', 0.31),
    piece('mindset', 0.45),
    piece('mindset', 0.47),
    piece('mindset', 0.43),
  ];
  const { findings, unclear } = detectPatterns(pieces);
  assert.deepEqual(
    findings.map((f) => [f.topic, f.direction, f.n, f.othersN]),
    [
      ['pricing', 'over', 3, 6],
      ['tools', 'under', 3, 6],
    ],
  );
  assert.ok(findings[0]!.t > 5 && findings[0]!.lift > 0.4, JSON.stringify(findings[0]));
  assert.deepEqual(
    unclear.map((u) => [u.topic, u.reason]),
    [['mindset', '45.0 % vs 45.5 %: within 25 %']],
  );
});

test('a big gap against a scattered rest is no finding (Welch t under 2)', () => {
  const { findings, unclear } = detectPatterns([
    piece('a', 0.3),
    piece('a', 0.31),
    piece('a', 0.29),
    piece('b', 0.2),
    piece('b', 0.9),
    piece('b', 0.1),
    piece('b', 0.8),
  ]);
  assert.deepEqual(findings, []);
  assert.match(
    unclear.find((u) => u.topic === 'a')?.reason ?? '',
    /^30\.0 % vs 50\.0 % but too scattered \(t = -1\.0\)$/,
  );
});

test('too few pieces or a small gap is no finding, and says so', () => {
  const few = detectPatterns([piece('a', 0.9), piece('a', 0.9), piece('b', 0.1), piece('b', 0.1), piece('b', 0.1)]);
  assert.deepEqual(few.findings, []);
  assert.equal(few.unclear.find((u) => u.topic === 'a')?.reason, '2 vs 3 pieces measured, 3 each needed');
  const close = detectPatterns([
    piece('a', 0.5),
    piece('a', 0.51),
    piece('a', 0.52),
    piece('b', 0.45),
    piece('b', 0.46),
    piece('b', 0.44),
  ]);
  assert.deepEqual(close.findings, []);
  assert.match(close.unclear[0]!.reason, /within 25 %/);
});

test('rates of different metrics are never set against each other', () => {
  const video = (topic: string, rate: number) =>
    piece(topic, undefined, { metrics: [{ metric: 'view_rate', value: rate, base: 5000, source: 'v.csv' }] });
  const { findings } = detectPatterns([
    piece('a', 0.6),
    piece('a', 0.6),
    piece('a', 0.6),
    video('b', 0.05),
    video('b', 0.05),
    video('b', 0.05),
  ]);
  assert.deepEqual(findings, [], 'a newsletter open rate and a video view rate are different measures');
});

test("Welch's t: constant samples that differ are infinitely clear, equal ones not at all; results survive JSON", () => {
  assert.equal(welchT([1, 1, 1], [0, 0, 0]), Infinity);
  assert.equal(welchT([1, 1, 1], [1, 1, 1]), 0);
  const { findings } = detectPatterns([
    piece('a', 0.6),
    piece('a', 0.6),
    piece('a', 0.6),
    piece('b', 0.3),
    piece('b', 0.3),
    piece('b', 0.3),
  ]);
  assert.equal(
    (JSON.parse(JSON.stringify(findings)) as Array<{ t: number }>)[0]?.t,
    999,
    'journaled as a number, not null',
  );
});

test('the revised plan gives the earliest dates to high priority and keeps undated and published pieces out of it', () => {
  const strong = piece('pricing', 0.6);
  const planned = [
    piece('tools', undefined, { stage: 'scheduled', publishOn: '2026-12-10' }),
    piece('pricing', undefined, { stage: 'draft', publishOn: '2026-12-24' }),
    piece('mindset', undefined, { stage: 'scheduled', publishOn: '2026-12-17' }),
    piece('pricing', undefined, { stage: 'idea' }),
  ];
  const findings = detectPatterns([
    strong,
    piece('pricing', 0.6),
    piece('pricing', 0.61),
    piece('tools', 0.3),
    piece('tools', 0.3),
    piece('tools', 0.31),
  ]).findings;
  assert.deepEqual(
    findings.map((f) => `${f.topic} ${f.direction}`),
    ['pricing over', 'tools under'],
  );
  const plan = revisePlan([strong, ...planned], findings);
  assert.deepEqual(
    plan.current.map((r) => r.topic),
    ['tools', 'mindset', 'pricing', 'pricing'],
  );
  assert.deepEqual(
    plan.proposed.map((r) => [r.topic, r.priority, r.publishOn ?? '-']),
    [
      ['pricing', 'high', '2026-12-10'],
      ['mindset', 'normal', '2026-12-17'],
      ['tools', 'low', '2026-12-24'],
      ['pricing', 'high', '-'],
    ],
  );
  assert.equal(plan.changed.length, 3, 'both dated pieces that moved, and the undated idea that became high priority');
  assert.deepEqual(revisePlan([strong, ...planned], []).changed, [], 'no finding, no change');
});

test('the batch card text is read back per answer, edits included', () => {
  const text =
    '=== q1 · a@example.org · Re: Rates\nYes, between projects.\n\n=== q2 · chat (not mailed) · Re: Tools\nThe habit tracker.\nReally.';
  assert.deepEqual(
    [...parseBatch(text)],
    [
      ['q1', 'Yes, between projects.'],
      ['q2', 'The habit tracker.\nReally.'],
    ],
  );
  assert.deepEqual([...parseBatch('no sections at all')], []);
});
