// The memory service on a real SQLite store with the real transformers.js pipeline (generated tiny model):
// hybrid recall, canonical updates, corrections, entity filters, compaction and the keyword fallback.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, ftruncateSync, openSync, readdirSync, readlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { createEmbedder, type Embedder } from '../../adapters/embedding/transformers/embedder.ts';
import type { Memory } from '../../src/ports/store.ts';
import { MemoryService } from '../../src/memory/memory.ts';
import { compactMemories, extractiveDigest } from '../../src/memory/compaction.ts';
import { SqliteStore } from '../../adapters/stores/sqlite/index.ts';
import { tempDir } from '../support/app.ts';
import { generateTinyModel, TINY_MODEL_ID } from '../support/tiny-model.ts';

const logger = pino({ level: 'silent' });
const modelsDir = join(tempDir('solo-models-'), 'models');

describe('memory service with embeddings', () => {
  let store: SqliteStore;
  let embedder: Embedder;
  let memory: MemoryService;

  before(async () => {
    await generateTinyModel(join(modelsDir, TINY_MODEL_ID));
    const dir = tempDir();
    store = new SqliteStore(dir);
    await store.init();
    embedder = createEmbedder({ model: TINY_MODEL_ID, dtype: 'q8', modelsDir, allowDownload: false, logger });
    // Vector rows on disk in the data folder, as the app keeps them.
    memory = new MemoryService({ store, embedder, logger, indexDir: dir });
    await memory.start();
  });
  after(async () => {
    await memory.close();
    await embedder.close();
    await store.close();
  });

  test('remember never waits for the embedding; vectors arrive in the background and are stored', async () => {
    const started = performance.now();
    const r = await memory.remember({
      text: 'Northwind: the website budget is 12000 for the redesign',
      source: { channel: 'web', eventPosition: 3 },
    });
    assert.ok(performance.now() - started < 200, 'remember returns before the model loads');
    assert.equal(r.action, 'created');
    assert.equal(r.memory.subject, 'Northwind');
    assert.deepEqual(r.memory.entities, ['client:northwind']);
    await memory.settled();
    const vectors = await store.memories.vectors(TINY_MODEL_ID, undefined, 100);
    assert.ok(
      vectors.some((v) => v.id === r.memory.id),
      'the vector is stored under the model name',
    );
    const events = await store.events.readStream('memory');
    assert.ok(events.some((e) => e.type === 'memory.added' && e.data.memoryId === r.memory.id));
  });

  test('related texts rank above unrelated ones, through synonyms the words do not share', async () => {
    const spend = await memory.remember({ text: 'Globex: spending approved for the marketing campaign', source: {} });
    await memory.remember({ text: 'Globex: weekly meeting moved to friday morning', source: {} });
    await memory.remember({ text: 'Initech: lunch with the lawyer about privacy compliance', source: {} });
    await memory.settled();
    // "funds" shares no word with "spending" but is its synonym in the model.
    const hits = await memory.recall('funds for ads', { k: 3 });
    assert.equal(hits[0]?.memory.id, spend.memory.id, JSON.stringify(hits.map((h) => [h.memory.text, h.components])));
    assert.ok((hits[0]?.components.vector ?? 0) > 0.3, 'the vector signal carried it');
  });

  test('a new fact about the same thing updates the memory instead of piling up, keeping the old version', async () => {
    const first = await memory.remember({ text: 'Umbrella Corp: pays invoices net 30', source: {} });
    const second = await memory.remember({ text: 'Umbrella Corp: now pays invoices net 45', source: {} });
    assert.equal(second.action, 'updated');
    assert.equal(second.previous?.id, first.memory.id);
    assert.equal(second.previousText, 'Umbrella Corp: pays invoices net 30');
    // An update is a correction: the old version is retracted, kept and linked both ways, and in the event log.
    assert.equal(second.memory.replaces, first.memory.id);
    const old = await store.memories.get(first.memory.id);
    assert.equal(old?.replacedBy, second.memory.id);
    assert.ok(old?.forgottenAt);
    assert.deepEqual(second.memory.entities, ['client:umbrella-corp']);
    const events = await store.events.readStream('memory', { types: ['memory.corrected'] });
    const logged = events.find((e) => e.type === 'memory.corrected' && e.data.memoryId === first.memory.id);
    assert.deepEqual(logged?.data, {
      memoryId: first.memory.id,
      replacedBy: second.memory.id,
      text: 'Umbrella Corp: now pays invoices net 45',
      previousText: 'Umbrella Corp: pays invoices net 30',
      reason: 'same fact',
    });
    assert.equal((await memory.uncorrect(second.memory.id))?.restored.id, first.memory.id, 'and can be undone');
    assert.equal(
      (await memory.remember({ text: 'Umbrella Corp: now pays invoices net 45', source: {} })).action,
      'updated',
    );
    const other = await memory.remember({ text: 'Umbrella Corp: contact is the head of design', source: {} });
    assert.equal(other.action, 'created', 'a different fact about the same client is its own memory');
    assert.equal(
      (await memory.remember({ text: 'Umbrella Corp: contact is the head of design', source: {} })).action,
      'unchanged',
    );
    // Without the "Name:" prefix the known name still links it.
    const linked = await memory.remember({ text: 'Send Umbrella Corp the contract draft on monday', source: {} });
    assert.deepEqual(linked.memory.entities, ['client:umbrella-corp']);
  });

  test('a workflow step that runs again after a crash does not write its memory twice', async () => {
    const write = (runId: string) =>
      memory.remember({
        text: 'Brief for "Pricing page" (pricing): lead with the annual plan',
        kind: 'content',
        entities: ['piece:p7'],
        source: { runId },
        dedupe: 'none',
      });
    const first = await write('r-brief-1');
    const again = await write('r-brief-1');
    assert.equal(first.action, 'created');
    assert.equal(again.action, 'unchanged');
    assert.equal(again.memory.id, first.memory.id);
    // Another run writing the same words is another write (dedupe 'none' asked for that).
    const other = await write('r-brief-2');
    assert.equal(other.action, 'created');
    assert.notEqual(other.memory.id, first.memory.id);
    assert.equal((await store.memories.byEntity('piece:p7', 10)).length, 2);
    const added = (await store.events.readStream('memory')).filter(
      (e) => e.type === 'memory.added' && e.data.entities.includes('piece:p7'),
    );
    assert.equal(added.length, 2, 'one memory.added per write');
    // A crash between the row and its event: the replay appends the event, once.
    const cut = await store.memories.add({
      text: 'Draft v1 of "Pricing page": annual plan first',
      kind: 'content',
      entities: ['piece:p7'],
      importance: 0.5,
      source: { runId: 'r-draft-1' },
    });
    const replay = () =>
      memory.remember({ text: cut.text, kind: 'content', entities: ['piece:p7'], source: { runId: 'r-draft-1' } });
    assert.equal((await replay()).memory.id, cut.id);
    assert.equal((await replay()).memory.id, cut.id);
    const events = (await store.events.readStream('memory')).filter(
      (e) => e.type === 'memory.added' && e.data.memoryId === cut.id,
    );
    assert.equal(events.length, 1, 'the missing event is appended once');
  });

  test('a query naming a client searches that client first', async () => {
    await memory.remember({ text: 'Hooli: budget for the app is 80000', source: {} });
    await memory.remember({ text: 'Pied Piper: budget for the app is 20000', source: {} });
    await memory.settled();
    const hits = await memory.recall('Pied Piper budget', { k: 3 });
    assert.match(hits[0]?.memory.text ?? '', /^Pied Piper/);
  });

  test('correct replaces a memory: the old one is retracted (kept), recall finds the new text first, undo restores', async () => {
    const old = await memory.remember({ text: 'Soylent: prefers calls on tuesday', source: {} });
    const byId = await memory.correct(old.memory.id, 'Soylent: prefers calls on thursday', { channel: 'web' });
    assert.ok(byId);
    assert.equal(byId.old.id, old.memory.id);
    const retracted = await store.memories.get(old.memory.id);
    assert.equal(retracted?.replacedBy, byId.replacement.id);
    assert.ok(retracted?.forgottenAt);
    const hits = await memory.recall('Soylent calls', { k: 5 });
    assert.equal(hits[0]?.memory.id, byId.replacement.id);
    assert.ok(!hits.some((h) => h.memory.id === old.memory.id));
    // Without an id, the best match is replaced.
    const best = await memory.correct(undefined, 'Soylent prefers calls on wednesday', { channel: 'web' });
    assert.equal(best?.old.id, byId.replacement.id);
    const undone = await memory.uncorrect(best.replacement.id);
    assert.equal(undone?.restored.id, byId.replacement.id);
    const events = await store.events.readStream('memory', { types: ['memory.corrected'] });
    assert.ok(
      events.some((e) => e.type === 'memory.corrected' && e.data.previousText === 'Soylent: prefers calls on tuesday'),
      'the old text stays in the event log',
    );
  });

  test('the context builder stays within its token budget and names its sources', async () => {
    const built = await memory.context('Globex budget meeting', { maxTokens: 40 });
    assert.ok(built.used.length >= 1);
    assert.match(built.text, /\[m\d+\]/);
    const { encode } = await import('gpt-tokenizer');
    assert.ok(encode(built.text).length <= 40, built.text);
  });

  test('a changed text and a forgotten memory take their vectors out of the count', async () => {
    await memory.settled();
    const before = await memory.status();
    const first = await memory.remember({ text: 'Initech: pays invoices net 30', source: {} });
    await memory.settled();
    assert.equal((await memory.status()).vectors, before.vectors + 1);
    // Same subject, new text: the old vector goes, the new one comes.
    const changed = await memory.remember({ text: 'Initech: now pays invoices net 60', source: {} });
    assert.equal(changed.action, 'updated');
    assert.equal(changed.previous?.id, first.memory.id);
    await memory.settled();
    assert.equal((await memory.status()).vectors, before.vectors + 1);
    await memory.forget(changed.memory.id);
    await memory.settled();
    const after = await memory.status();
    assert.equal(after.vectors, before.vectors);
    assert.equal(after.indexed, before.indexed);
  });

  test('status reports the model and how many memories are embedded', async () => {
    await memory.settled();
    const status = await memory.status();
    assert.equal(status.embedder.model, TINY_MODEL_ID);
    assert.ok(status.vectors >= 5 && status.vectors <= status.indexed, JSON.stringify(status));
  });
});

describe('the vector file failing', () => {
  test('a read error gives that recall on keywords alone and a warning, not an error', async (t) => {
    if (!existsSync('/proc/self/fd')) return t.skip('needs /proc to reach the file removed from its folder');
    await generateTinyModel(join(modelsDir, TINY_MODEL_ID));
    const dir = tempDir();
    const store = new SqliteStore(dir);
    await store.init();
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    const embedder = createEmbedder({ model: TINY_MODEL_ID, dtype: 'q8', modelsDir, allowDownload: false, logger });
    const memory = new MemoryService({ store, embedder, logger: log, indexDir: dir });
    await memory.start();
    await memory.remember({ text: 'Hooli: the retainer renews every april', source: {} });
    await memory.remember({ text: 'Pied Piper: compression demo on tuesday', source: {} });
    await memory.settled();
    assert.equal((await memory.status()).vectors, 2);
    const before = await memory.recall('hooli retainer', { k: 1 });
    assert.equal(typeof before[0]?.components.vector, 'number', 'the vector took part');
    // The file is open but gone from the folder; emptied through /proc, as a disk that lost it would look.
    const fds = readdirSync('/proc/self/fd').filter((fd) =>
      (() => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`).includes('.recall-vectors-');
        } catch {
          return false;
        }
      })(),
    );
    assert.equal(fds.length, 1, 'one vector file, open');
    ftruncateSync(Number(fds[0]), 0);
    const after = await memory.recall('hooli retainer', { k: 1 });
    assert.match(after[0]?.memory.text ?? '', /Hooli/);
    assert.equal(after[0]?.components.vector, null, 'keywords only');
    assert.ok(
      lines.some((l) => l.includes('vector search failed')),
      lines.join('\n'),
    );
    await memory.close();
    await embedder.close();
    await store.close();
  });
});

describe('vectors that cannot be loaded at start', () => {
  /** A store with three memories and their vectors from the tiny model; `damage` replaces one vector with zeros. */
  async function seeded(damage: boolean) {
    await generateTinyModel(join(modelsDir, TINY_MODEL_ID));
    const store = new SqliteStore(tempDir());
    await store.init();
    const embedder = createEmbedder({ model: TINY_MODEL_ID, dtype: 'q8', modelsDir, allowDownload: false, logger });
    const texts = [
      'Hooli: the retainer renews every april',
      'Pied Piper: compression demo on tuesday',
      'Raviga: board meeting moved to june',
    ];
    const vectors = await embedder.embed(texts);
    const ids: string[] = [];
    for (const [i, text] of texts.entries()) {
      const m = await store.memories.add({ text, kind: 'fact', source: {} });
      const v = damage && i === 1 ? new Float32Array(vectors[i]!.length) : vectors[i]!;
      await store.memories.setVector(m.id, TINY_MODEL_ID, v);
      ids.push(m.id);
    }
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    return { store, embedder, ids, lines, log };
  }

  test('a damaged stored vector is skipped; the others load and recall works', async () => {
    const { store, embedder, ids, lines, log } = await seeded(true);
    const memory = new MemoryService({ store, embedder, logger: log, indexDir: tempDir() });
    await memory.start();
    const status = await memory.status();
    assert.equal(status.indexed, 3);
    assert.equal(status.vectors, 2);
    assert.ok(
      lines.some((l) => l.includes('a stored vector is damaged') && l.includes(`"memoryId":"${ids[1]}"`)),
      lines.join('\n'),
    );
    const hits = await memory.recall('pied piper demo', { k: 1 });
    assert.equal(hits[0]?.memory.id, ids[1], 'found by keywords');
    await memory.close();
    await embedder.close();
    await store.close();
  });

  test('a full disk for the vector file: keywords and the index are kept, with one warning', async (t) => {
    const dir = tempDir();
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', dir], { stdio: 'ignore' });
    } catch {
      return t.skip('needs to mount a small tmpfs (root on Linux)');
    }
    try {
      // Fill it: every write of a vector row then fails with ENOSPC.
      const filler = openSync(join(dir, 'filler'), 'w');
      try {
        for (;;) writeSync(filler, new Uint8Array(4096));
      } catch (err) {
        assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
      } finally {
        closeSync(filler);
      }
      const { store, embedder, ids, lines, log } = await seeded(false);
      const memory = new MemoryService({ store, embedder, logger: log, indexDir: dir });
      await memory.start();
      const status = await memory.status();
      assert.equal(status.indexed, 3, 'the index is built');
      assert.equal(status.vectors, 0);
      assert.equal(lines.filter((l) => l.includes('could not load every vector')).length, 1, lines.join('\n'));
      assert.ok(lines.some((l) => l.includes('ENOSPC')));
      const hits = await memory.recall('raviga board', { k: 1 });
      assert.equal(hits[0]?.memory.id, ids[2]);
      await memory.close();
      await embedder.close();
      await store.close();
    } finally {
      execFileSync('umount', [dir]);
    }
  });
});

describe('a data folder that cannot take the vector file', () => {
  test('the vectors stay in memory, with one warning, and recall uses them', async () => {
    await generateTinyModel(join(modelsDir, TINY_MODEL_ID));
    const store = new SqliteStore(tempDir());
    await store.init();
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    const embedder = createEmbedder({ model: TINY_MODEL_ID, dtype: 'q8', modelsDir, allowDownload: false, logger });
    const memory = new MemoryService({ store, embedder, logger: log, indexDir: join(tempDir(), 'gone', 'deeper') });
    await memory.start();
    assert.equal(lines.filter((l) => l.includes('vectors are kept in memory instead')).length, 1, lines.join('\n'));
    await memory.remember({ text: 'Hooli: the retainer renews every april', source: {} });
    await memory.settled();
    const hits = await memory.recall('hooli retainer', { k: 1 });
    assert.equal(typeof hits[0]?.components.vector, 'number', 'the vector took part');
    await memory.close();
    await embedder.close();
    await store.close();
  });
});

describe('memory service without a model', () => {
  test('missing model: recall works on keywords, and status says why', async () => {
    const store = new SqliteStore(tempDir());
    await store.init();
    const embedder = createEmbedder({
      model: 'nobody/missing-model',
      dtype: 'q8',
      modelsDir: tempDir(),
      allowDownload: false,
      logger,
    });
    const memory = new MemoryService({ store, embedder, logger });
    await memory.start();
    await memory.remember({ text: 'Acme: budget approved in march', source: {} });
    await memory.remember({ text: 'Acme: meeting on friday', source: {} });
    await memory.settled();
    const hits = await memory.recall('acme budget');
    assert.match(hits[0]?.memory.text ?? '', /budget/);
    const status = await memory.status();
    assert.equal(status.embedder.state, 'unavailable');
    assert.match(status.embedder.reason ?? '', /npm run models|MODELS_DIR/);
    await memory.close();
    await embedder.close();
    await store.close();
  });

  test('the index is rebuilt from the store at start; recall works before it is ready', async () => {
    const dir = tempDir();
    let store = new SqliteStore(dir);
    await store.init();
    let memory = new MemoryService({ store, logger });
    await memory.start();
    const kept = await memory.remember({ text: 'Vandelay: imports latex, pays by bank transfer', source: {} });
    const gone = await memory.remember({ text: 'Vandelay: old address', source: {} });
    await memory.forget(gone.memory.id);
    await memory.close();
    await store.close();
    store = new SqliteStore(dir);
    await store.init();
    memory = new MemoryService({ store, logger });
    const early = await memory.recall('vandelay transfer');
    assert.equal(early[0]?.memory.id, kept.memory.id, 'store search before the index is built');
    await memory.start();
    const hits = await memory.recall('vandelay');
    assert.deepEqual(
      hits.map((h) => h.memory.id),
      [kept.memory.id],
    );
    await memory.close();
    await store.close();
  });
});

describe('compaction', () => {
  test('old, unimportant memories about one client become one digest linked to its originals', async () => {
    const store = new SqliteStore(tempDir());
    await store.init();
    const memory = new MemoryService({ store, logger });
    await memory.start();
    const old = new Date('2025-01-10T09:00:00Z');
    const texts = [
      'Wayne Enterprises: asked about the logo refresh in january.',
      'Wayne Enterprises: logo refresh budget is small.',
      'Wayne Enterprises: prefers email over calls.',
      'Wayne Enterprises: the logo refresh was postponed.',
    ];
    const originals: Memory[] = [];
    for (const text of texts)
      originals.push((await memory.remember({ text, importance: 0.2, source: {}, at: old, dedupe: 'none' })).memory);
    const keep = await memory.remember({
      text: 'Wayne Enterprises: the board approved the annual retainer.',
      importance: 0.9,
      source: {},
      at: old,
      dedupe: 'none',
    });
    // Last used long ago (compaction looks at the later of last use and last update).
    for (const m of [...originals, keep.memory]) await store.memories.touch([m.id], old);
    const fresh = await memory.remember({
      text: 'Wayne Enterprises: logo refresh is back on.',
      importance: 0.2,
      source: {},
      dedupe: 'none',
    });
    const report = await compactMemories(memory, store, { olderThanDays: 90 });
    assert.equal(report.digests.length, 1, JSON.stringify(report));
    const digest = report.digests[0]!;
    assert.equal(digest.kind, 'digest');
    assert.deepEqual([...(digest.digestOf ?? [])].sort(), originals.map((m) => m.id).sort());
    assert.match(digest.text, /logo refresh/);
    for (const m of originals) assert.equal((await store.memories.get(m.id))?.digestId, digest.id);
    assert.equal((await store.memories.get(keep.memory.id))?.digestId, undefined, 'important memories are left alone');
    assert.equal((await store.memories.get(fresh.memory.id))?.digestId, undefined, 'recent memories are left alone');
    const hits = await memory.recall('Wayne logo refresh', { k: 10 });
    assert.ok(hits.some((h) => h.memory.id === digest.id));
    assert.ok(!hits.some((h) => originals.some((o) => o.id === h.memory.id)), 'originals leave recall');
    const again = await compactMemories(memory, store, { olderThanDays: 90 });
    assert.equal(again.digests.length, 0, 'compaction is idempotent');
    await memory.close();
    await store.close();
  });

  test('an LLM summary is used when given, extractive otherwise', async () => {
    assert.match(extractiveDigest(['Acme pays late. Acme pays by card.', 'Acme pays late again.']), /Acme pays late/);
    const store = new SqliteStore(tempDir());
    await store.init();
    const memory = new MemoryService({ store, logger });
    await memory.start();
    for (let i = 0; i < 3; i++)
      await memory.remember({
        text: `Stark: note number ${i} about the invoice`,
        importance: 0.1,
        source: {},
        dedupe: 'none',
      });
    const report = await compactMemories(memory, store, {
      olderThanDays: 0,
      now: new Date(Date.now() + 1000),
      summarise: async (t, about) => `${about}: ${t.length} notes about invoices.`,
    });
    assert.equal(report.method, 'llm');
    assert.match(report.digests[0]?.text ?? '', /Stark: 3 notes about invoices/);
    await memory.close();
    await store.close();
  });
});
