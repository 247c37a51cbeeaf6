// Memory commands as the operator uses them, through the web API with SQLite on disk: /correct never replaces
// another entity's memory, a profile or a digest without asking; an update through /remember keeps the old
// version with Undo; why?, /forget, /correct and /help say the right thing.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { compactMemories } from '../../src/memory/compaction.ts';
import type { SoloApp } from '../../src/main.ts';
import { api, say, startTestApp, type ApiMessage } from '../support/app.ts';

const tap = async (base: string, button: { id: string } | undefined): Promise<ApiMessage[]> => {
  assert.ok(button, 'the button exists');
  const res = await api(base, 'POST', `/api/buttons/${encodeURIComponent(button.id)}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.messages ?? [];
};
const idIn = (m: ApiMessage | undefined): string => /#(\d+)/.exec(m?.text ?? '')?.[1] ?? '(no id)';
const labels = (m: ApiMessage | undefined): string[] => m?.buttons.map((b) => b.label) ?? [];

describe('memory commands through the web chat', () => {
  let app: SoloApp;
  let base: string;
  before(async () => {
    app = await startTestApp();
    base = app.url;
  });
  after(() => app.stop());

  test('/correct naming another client asks instead of replacing; "Keep as a new memory" adds it', async () => {
    const omega = idIn((await say(base, '/remember Ωmega Ltd: pays net 10'))[0]);
    const [question] = await say(base, '/correct Zeta Inc: pays net 10');
    assert.match(
      question?.text ?? '',
      /^Which memory does "Zeta Inc: pays net 10" correct\?\n.*won't replace one without asking:\n1\. #\d+ Ωmega Ltd: pays net 10 — about Ωmega Ltd$/,
    );
    assert.deepEqual(labels(question), [`Replace #${omega}: Ωmega Ltd: pays net 10`, 'Keep as a new memory']);
    assert.equal((await app.store.memories.get(omega))?.forgottenAt, undefined, 'nothing replaced yet');
    const [kept] = await tap(base, question?.buttons[1]);
    assert.match(kept?.text ?? '', /^Remembered #\d+ \(about Zeta Inc\): Zeta Inc: pays net 10$/);
    assert.equal((await app.store.memories.get(omega))?.forgottenAt, undefined, 'Ωmega Ltd keeps its memory');
    assert.deepEqual(
      (await tap(base, question?.buttons[0])).map((m) => m.text),
      ['Already answered: kept as a new memory. Nothing more to do.'],
    );
  });

  test('"Replace #…" replaces that memory, with Undo', async () => {
    const globex = idIn((await say(base, '/remember Globex: office is in Springfield'))[0]);
    const [question] = await say(base, '/correct Hooli: office is in Springfield');
    const [done] = await tap(
      base,
      question?.buttons.find((b) => b.label.startsWith(`Replace #${globex}`)),
    );
    assert.match(done?.text ?? '', new RegExp(`^Corrected #${globex} → #\\d+\\.`));
    assert.equal((await app.store.memories.get(globex))?.replacedBy, /→ #(\d+)/.exec(done?.text ?? '')?.[1]);
  });

  test('a clear correction of the same fact about the same client is applied, with Undo', async () => {
    const old = idIn((await say(base, '/remember Soylent: prefers calls on tuesday'))[0]);
    const [done] = await say(base, '/correct Soylent prefers calls on thursday');
    assert.match(
      done?.text ?? '',
      new RegExp(
        `^Corrected #${old} → #\\d+\\.\\nWas: Soylent: prefers calls on tuesday\\nNow: Soylent prefers calls on thursday$`,
      ),
    );
    assert.match(
      (
        await tap(
          base,
          done?.buttons.find((b) => b.label === 'Undo'),
        )
      )[0]?.text ?? '',
      new RegExp(`^Undone: #${old} is back`),
    );
  });

  test('a contact profile is never replaced by a one-line fact about its client', async () => {
    await say(base, '/remember Acme Corp: budget is 40k');
    const profile = await app.memory.remember({
      text: 'Jane Roe — contact at Acme Corp. email jane@acme.example; prefers calls',
      kind: 'contact',
      entities: ['contact:jane-roe', 'client:acme-corp'],
      subject: 'Jane Roe',
      source: { importedFrom: 'clients.csv row 2' },
    });
    const [question] = await say(base, '/correct Acme Corp: prefers calls on Wednesday');
    assert.match(
      question?.text ?? '',
      new RegExp(
        `#${profile.memory.id} is the contact profile of Jane Roe; I won't replace a whole profile with one line\\.`,
      ),
    );
    assert.ok(
      !labels(question).some((l) => l.startsWith(`Replace #${profile.memory.id}`)),
      labels(question).join(' | '),
    );
    assert.equal(labels(question).at(-1), 'Keep as a new memory');
    assert.equal((await app.store.memories.get(profile.memory.id))?.forgottenAt, undefined);
  });

  test('a digest is never replaced by a one-line fact', async () => {
    for (const n of [1, 2, 3])
      await app.memory.remember({
        text: `Stark: invoice ${n} was paid late`,
        importance: 0.1,
        source: {},
        dedupe: 'none',
      });
    const report = await compactMemories(app.memory, app.store, { olderThanDays: 0, now: new Date(Date.now() + 1000) });
    const digest = report.digests[0];
    assert.ok(digest, JSON.stringify(report));
    const [question] = await say(base, '/correct Stark: invoices were paid late');
    assert.match(
      question?.text ?? '',
      new RegExp(`#${digest.id} is a digest of several memories; I won't replace it with one line\\.`),
    );
    assert.equal((await app.store.memories.get(digest.id))?.forgottenAt, undefined);
  });

  test('an update through /remember keeps the old version, shows the chain and offers Undo', async () => {
    const first = idIn((await say(base, '/remember Initech: pays net 30'))[0]);
    const [updated] = await say(base, '/remember Initech: now pays net 45');
    const second = /→ #(\d+)/.exec(updated?.text ?? '')?.[1] ?? '';
    assert.match(
      updated?.text ?? '',
      new RegExp(
        `^Updated #${first} → #${second} \\(about Initech\\): Initech: now pays net 45\\nWas: Initech: pays net 30`,
      ),
    );
    assert.deepEqual(labels(updated), ['Undo']);
    const [shownOld] = await say(base, `/memory ${first}`);
    assert.match(
      shownOld?.text ?? '',
      new RegExp(`^#${first} \\(fact, corrected by #${second}\\): Initech: pays net 30`),
    );
    assert.match(
      shownOld?.text ?? '',
      new RegExp(
        `Versions, oldest first:\\n  #${first} Initech: pays net 30  ← this one\\n  #${second} Initech: now pays net 45 \\(current\\)`,
      ),
    );
    const logged = await app.store.events.readStream('memory', { types: ['memory.corrected'] });
    assert.ok(
      logged.some(
        (e) =>
          e.type === 'memory.corrected' && e.data.memoryId === first && e.data.previousText === 'Initech: pays net 30',
      ),
    );
    assert.match(
      (await tap(base, updated?.buttons[0]))[0]?.text ?? '',
      new RegExp(`^Undone: #${first} is back: Initech: pays net 30`),
    );
    assert.match((await say(base, '/recall Initech'))[0]?.text ?? '', new RegExp(`^#${first} Initech: pays net 30$`));
  });

  test('why? explains the last answer in this chat only, and says so when there is none since', async () => {
    await say(base, '/recall Soylent calls');
    assert.match((await say(base, 'why?'))[0]?.text ?? '', /^For "Soylent calls" I used:/);
    assert.match((await say(base, 'Why?'))[0]?.text ?? '', /^For "Soylent calls" I used:/, 'asking again');
    await say(base, '/recall Soylent calls');
    await say(base, '/remember Vandelay imports latex');
    assert.equal(
      (await say(base, 'why?'))[0]?.text,
      'My last reply here was not an answer from memory, so there is nothing for why? to explain; ask it right after an answer or a /recall.',
    );
  });

  test('/forget takes several ids with one Undo; bad ids and /correct <id> alone get one helpful sentence', async () => {
    const ids = [];
    for (const t of ['Wonka: likes purple', 'Wonka: hates gum', 'Wonka: owns a factory'])
      ids.push(idIn((await say(base, `/remember ${t}`))[0]));
    const [forgot] = await say(base, `/forget ${ids.join(' ')}`);
    assert.deepEqual(
      forgot?.text.split('\n').map((l) => /^Forgot #(\d+)/.exec(l)?.[1]),
      ids,
    );
    for (const id of ids) assert.ok((await app.store.memories.get(id))?.forgottenAt);
    const restored = (await tap(base, forgot?.buttons[0]))[0]?.text ?? '';
    assert.deepEqual(
      restored.split('\n').map((l) => /^Restored #(\d+)/.exec(l)?.[1]),
      ids,
    );
    assert.equal(
      (await say(base, '/forget 1 two'))[0]?.text,
      '"two" is not a memory id; /forget takes ids such as /forget 12 or /forget 12 13 (/recall shows them).',
    );
    assert.equal(
      (await say(base, `/correct ${ids[0]}`))[0]?.text,
      `What should #${ids[0]} say instead? Write the new text after the id, e.g. /correct ${ids[0]} Acme pays net 45.`,
    );
    assert.equal(
      (await app.store.memories.get(ids[0]!))?.forgottenAt,
      undefined,
      '/correct <id> alone changed nothing',
    );
  });

  test('client names in CJK are filed under the client; a "Budget:" note paragraph makes no client', async () => {
    assert.match(
      (await say(base, '/remember 株式会社テスト: pays net 30'))[0]?.text ?? '',
      /^Remembered #\d+ \(about 株式会社テスト\)/,
    );
    assert.match(
      (await say(base, '/remember 北京科技: prefers email'))[0]?.text ?? '',
      /^Remembered #\d+ \(about 北京科技\)/,
    );
    assert.equal((await app.store.memories.byEntity('client:北京科技', 5)).length, 1);
    assert.match((await say(base, '/recall 北京科技 email'))[0]?.text ?? '', /^#\d+ 北京科技: prefers email/);
    // What /import does with each paragraph of a notes file.
    const note = await app.memory.remember({
      text: 'Budget: 40k for the redesign, approved by the board',
      kind: 'note',
      source: { importedFrom: 'notes.md ¶2' },
      dedupe: 'none',
    });
    assert.deepEqual(note.memory.entities, []);
    assert.equal(app.memory.entityName('client:budget'), undefined);
    assert.doesNotMatch((await say(base, '/remember Status: waiting on legal'))[0]?.text ?? '', /about/);
  });

  test('/help lists why?', async () => {
    assert.match((await say(base, '/help'))[0]?.text ?? '', /^why\? — right after an answer or a \/recall/m);
  });
});
