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
  assert.deepEqual(r.detect('Globexx is not Globex-like'), ['client:globex'], 'punctuation separates words, "Globexx" does not match');
  assert.deepEqual(r.detect('lunch with Pied Piper'), ['client:pied-piper']);
  assert.deepEqual(r.detect('something pied'), [], '"Pied" alone is ambiguous');
  assert.equal(r.name('client:globex'), 'Globex');
  assert.deepEqual(r.names(2), ['Pied Noir', 'Pied Piper']);
});
