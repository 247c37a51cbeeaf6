// When a correction may replace a memory without asking: the same fact about the same entities, never a
// profile or a digest; everything else close is only offered.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { correctionTargets, correctsFact, factTerms } from '../../src/memory/same-fact.ts';
import type { Memory } from '../../src/ports/store.ts';

const memory = (id: string, text: string, entities: string[], kind: Memory['kind'] = 'fact'): Memory => ({
  id,
  text,
  kind,
  entities,
  importance: 0.5,
  source: {},
  createdAt: new Date(0),
  updatedAt: new Date(0),
});
const terms = (t: string) => factTerms(t, ['Soylent']);

test('a correction restates a fact with one thing changed', () => {
  assert.ok(correctsFact(terms('Soylent prefers calls on thursday'), terms('Soylent: prefers calls on tuesday')));
  assert.ok(correctsFact(terms('Soylent pays net 45'), terms('Soylent pays net 30')), 'numbers aside, the same words');
  assert.ok(
    !correctsFact(terms('Soylent prefers phone'), terms('Soylent prefers email')),
    'two words, one changed: not plain enough',
  );
  assert.ok(!correctsFact(terms('Soylent prefers calls on thursday'), terms('Soylent budget for the website')));
});

test('only the same fact about the same entities is clear; profiles, digests and other clients are only offered', () => {
  const name = (e: string) => e.slice(e.indexOf(':') + 1);
  const omega = memory('1', 'Omega Ltd: pays net 10', ['client:omega-ltd']);
  const profile = memory(
    '2',
    'Jane Roe — contact at Zeta Inc. pays net 10 by card',
    ['contact:jane-roe', 'client:zeta-inc'],
    'contact',
  );
  const digest = memory('3', 'Zeta Inc: pays net 10, late twice', ['client:zeta-inc'], 'digest');
  const zeta = memory('4', 'Zeta Inc: pays net 30', ['client:zeta-inc']);
  const other = memory('5', 'Zeta Inc: office in Springfield', ['client:zeta-inc']);
  assert.deepEqual(
    correctionTargets('Zeta Inc: pays net 10', ['client:zeta-inc'], [omega, profile, digest, other], [zeta], name),
    { clear: zeta, close: [omega, profile, digest] },
  );
  const none = correctionTargets('Zeta Inc: pays net 10', ['client:zeta-inc'], [omega, profile, digest], [], name);
  assert.equal(none.clear, undefined);
  assert.deepEqual(
    none.close.map((m) => m.id),
    ['1', '2', '3'],
  );
});
