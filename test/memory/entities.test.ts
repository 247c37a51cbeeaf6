// Entity names: keys, the leading "Name:" subject, and detection of known names in new text.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EntityRegistry, entityKey, leadingSubject, slug } from '../../src/memory/entities.ts';

test('a leading "Name:" names the subject; labels such as "Note:" do not', () => {
  assert.deepEqual(leadingSubject('Acme Corp: pays net 30'), { name: 'Acme Corp', rest: 'pays net 30' });
  assert.deepEqual(leadingSubject('Müller & Söhne — prefers email'), { name: 'Müller & Söhne', rest: 'prefers email' });
  assert.equal(leadingSubject('Note: call the bank'), undefined);
  assert.equal(leadingSubject('TODO: send the contract'), undefined);
  assert.equal(leadingSubject('acme pays net 30'), undefined, 'a lower-case start is not a name');
  assert.equal(slug('Müller & Söhne GmbH'), 'muller-sohne-gmbh');
  assert.equal(entityKey('client', 'Acme Corp'), 'client:acme-corp');
});

test('known names are found as whole words; a first word counts only when it names one entity', () => {
  const r = new EntityRegistry();
  r.add('client:acme-corp', 'Acme Corp');
  r.add('client:globex', 'Globex');
  r.add('client:pied-piper', 'Pied Piper');
  r.add('client:pied-noir', 'Pied Noir');
  assert.deepEqual(r.detect('Call Acme about the Globex deal'), ['client:acme-corp', 'client:globex']);
  assert.deepEqual(
    r.detect('Globexx is not Globex-like'),
    ['client:globex'],
    'punctuation separates words, "Globexx" does not match',
  );
  assert.deepEqual(r.detect('lunch with Pied Piper'), ['client:pied-piper']);
  assert.deepEqual(r.detect('something pied'), [], '"Pied" alone is ambiguous');
  assert.equal(r.name('client:globex'), 'Globex');
  assert.deepEqual(r.names(2), ['Pied Noir', 'Pied Piper']);
});

test('labels that start a note are not subjects, whatever the label', () => {
  for (const text of [
    'Budget: 40k for the redesign',
    'Status: waiting on legal',
    'Next Steps: send the quote',
    'Action Items: call back',
    'Meeting 2: went well',
    'Q: who pays?',
    'Deadline: friday',
    'Monday: call the bank',
    '备注：下周开会',
  ]) {
    assert.equal(leadingSubject(text), undefined, text);
  }
  assert.deepEqual(
    leadingSubject('Budget Airlines: pays net 30'),
    { name: 'Budget Airlines', rest: 'pays net 30' },
    'a name that only starts like a label',
  );
  assert.deepEqual(leadingSubject('Studio 54: pays by card'), { name: 'Studio 54', rest: 'pays by card' });
  assert.deepEqual(leadingSubject('3M: prefers email'), { name: '3M', rest: 'prefers email' });
  assert.equal(leadingSubject('10am: standup'), undefined);
});

test('client names in Chinese, Japanese and Korean are subjects and are found in text without spaces', () => {
  assert.deepEqual(leadingSubject('株式会社テスト: pays net 30'), { name: '株式会社テスト', rest: 'pays net 30' });
  assert.deepEqual(leadingSubject('北京科技: prefers email'), { name: '北京科技', rest: 'prefers email' });
  assert.deepEqual(leadingSubject('삼성전자：prefers calls'), { name: '삼성전자', rest: 'prefers calls' });
  assert.equal(entityKey('client', '株式会社テスト'), 'client:株式会社テスト');
  assert.notEqual(slug('グーグル'), slug('クークル'), 'voicing marks are part of a kana word');
  assert.equal(slug('Crème Brûlée'), 'creme-brulee');
  const r = new EntityRegistry();
  r.add('client:北京科技', '北京科技');
  assert.deepEqual(r.detect('北京科技的预算是多少'), ['client:北京科技']);
});
