// Writes the fixture stores test/stores/migrations.test.ts opens: for each earlier schema, the store code of that
// commit (taken from git history, run as it was) writes a small, known set of records into a SQLite file and into
// a MongoDB database (the test emulator), which is then saved as canonical Extended JSON.
//
//   node scripts/store-fixtures.ts            every era below
//   node scripts/store-fixtures.ts memories   only the named ones
//
// A schema change adds a line to ERAS naming the last commit before it, and commits the new files.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { BSON, MongoClient } from 'mongodb';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'test/stores/fixtures');

/** Each earlier schema: its name in the fixture files, and the last commit that wrote it. */
const ERAS: { name: string; commit: string; mongo: string; what: string }[] = [
  { name: '0.1', commit: 'a70b1d1', mongo: '5640907', what: 'events, identities, settings and notes' },
  { name: 'engine', commit: 'a5bdd4e', mongo: '9577d1c', what: 'notes plus runs, steps, approvals and invoices' },
  { name: 'memories', commit: '11309cd', mongo: '11309cd', what: 'memories replaced notes' },
  { name: 'leases', commit: '1b3e3b5', mongo: '1b3e3b5', what: 'run leases; the last schema without versions' },
];

// Runs inside the extracted tree of an old commit, so it uses that commit's store code as it was.
const WRITER = `
import { existsSync } from 'node:fs';
const [kind, target] = process.argv.slice(2);
const base = existsSync(new URL('./adapters/stores/sqlite/index.ts', import.meta.url)) ? './adapters/stores' : './src/stores';
const { newEvent } = await import('./src/domain/events.ts');
const store = kind === 'sqlite'
  ? new (await import(base + '/sqlite/index.ts')).SqliteStore(target)
  : new (await import(base + '/mongo/index.ts')).MongoStore(target);
await store.init();
const day = (n) => new Date(Date.UTC(2026, 0, n, 9, 30));
for (let i = 1; i <= 12; i++) {
  await store.events.append(newEvent('message.received', 'chat:web:operator', { channel: 'web', chatId: 'operator', senderId: 'operator', text: 'fixture message ' + i }, 'fixture-in-' + i));
  await store.events.append(newEvent('message.sent', 'chat:web:operator', { channel: 'web', chatId: 'operator', text: 'fixture reply ' + i, buttons: i === 3 ? [{ label: 'Undo', data: 'undo:3' }] : [] }));
}
await store.events.append(newEvent('system.started', 'system', { version: 'fixture', store: kind, channels: ['web'] }));
await store.identities.upsert({ channel: 'web', externalId: 'operator', label: 'local web chat', linkedAt: day(1), via: 'local' });
await store.identities.upsert({ channel: 'telegram', externalId: '4242', label: 'fixture operator', linkedAt: day(2), via: 'config' });
await store.settings.set('currency', 'USD');
await store.settings.set('preferred-chat', { channel: 'telegram', chatId: '4242' });
if (store.notes) {
  const ids = [];
  for (const text of ['Umbrella Co pays net 14', 'Globex wants a rebrand in May', 'Wayne Ltd quoted 40k', 'Call Hooli on Friday']) {
    ids.push((await store.notes.add({ text, source: { channel: 'web', eventPosition: ids.length + 1 } })).id);
  }
  await store.notes.forget(ids[1]);
}
if (store.memories) {
  const m = store.memories;
  const umbrella = await m.add({ text: 'Umbrella Co: pays net 14, contact Jane Doe', kind: 'client', entities: ['client:umbrella-co'], subject: 'Umbrella Co', importance: 0.8, source: { channel: 'web', eventPosition: 1 }, at: day(3) });
  const old = await m.add({ text: 'Wayne Ltd quoted 40k', kind: 'fact', entities: ['client:wayne-ltd'], source: { channel: 'web', eventPosition: 2 }, at: day(4) });
  const fix = await m.add({ text: 'Wayne Ltd quoted 42k', kind: 'fact', entities: ['client:wayne-ltd'], source: { channel: 'web', eventPosition: 3 }, replaces: old.id, at: day(5) });
  await m.forget(old.id, fix.id);
  const note = await m.add({ text: 'Call Hooli on Friday', kind: 'note', source: { importedFrom: 'notes/hooli.md' }, at: day(6) });
  await m.add({ text: 'Umbrella Co: 2 notes about invoices', kind: 'digest', entities: ['client:umbrella-co'], source: {}, digestOf: [umbrella.id, note.id], at: day(7) });
  await m.setVector(umbrella.id, 'fixture-model', new Float32Array([0.25, -0.5, 1]));
  await m.setVector(fix.id, 'fixture-model', new Float32Array([1, 0, -1]));
  await m.touch([umbrella.id], day(8));
}
if (store.runs) {
  const run = (id, status, extra = {}) => ({ id, workflow: 'invoice', version: 1, status, input: { client: 'Umbrella Co', amountMinor: 120000, currency: 'EUR' }, origin: { channel: 'web', chatId: 'operator' }, createdAt: day(9), updatedAt: day(9), ...extra });
  await store.runs.create(run('fixture-run-done', 'completed', { result: { number: 1 } }));
  await store.runs.saveStep({ runId: 'fixture-run-done', stepId: 'record', seq: 1, kind: 'run', status: 'completed', failures: 0, idempotencyKey: 'fixture-run-done:record', startedAt: day(9), finishedAt: day(9), durationMs: 12, result: { number: 1 } });
  await store.runs.create(run('fixture-run-waiting', 'suspended', { waitingFor: 'fixture-approval' }));
  await store.approvals.create({ id: 'fixture-approval', runId: 'fixture-run-waiting', stepId: 'approve', status: 'pending', card: { title: 'Invoice Umbrella Co', details: ['Amount: 1,200.00 EUR'] }, createdAt: day(10), expiresAt: new Date(Date.UTC(2099, 0, 1)) });
  await store.approvals.create({ id: 'fixture-approval-done', runId: 'fixture-run-done', stepId: 'approve', status: 'pending', card: { title: 'Invoice Umbrella Co', details: [] }, createdAt: day(9), expiresAt: day(12) });
  await store.approvals.decide('fixture-approval-done', { status: 'approved', by: 'operator', via: 'web', at: day(9) });
  await store.ledger.recordInvoice({ client: 'Umbrella Co', amountMinor: 120000, currency: 'EUR', description: 'workshop', runId: 'fixture-run-done', idempotencyKey: 'fixture-run-done:record' });
  await store.ledger.recordInvoice({ client: 'Globex', amountMinor: 5000, currency: 'USD', runId: 'fixture-run-2', idempotencyKey: 'fixture-run-2:record' });
  await store.ledger.voidInvoice(2);
  if (store.runs.lease) await store.runs.lease('fixture-run-waiting', 'fixture-process', new Date(Date.UTC(2026, 0, 9, 10)), day(9));
}
await store.close();
`;

function extract(commit: string): string {
  const dir = join(ROOT, '.fixture-build', commit);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const tar = execFileSync(
    'git',
    ['-C', ROOT, 'archive', commit, 'src', ...(hasPath(commit, 'adapters') ? ['adapters'] : [])],
    { maxBuffer: 1 << 30 },
  );
  execFileSync('tar', ['-x', '-C', dir], { input: tar });
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(join(dir, 'write-fixture.mjs'), WRITER);
  return dir;
}

function hasPath(commit: string, path: string): boolean {
  return spawnSync('git', ['-C', ROOT, 'cat-file', '-e', `${commit}:${path}`]).status === 0;
}

/** Runs the writer in a child process (not spawnSync: the emulator answering it lives in this process). */
async function write(dir: string, kind: 'sqlite' | 'mongo', target: string): Promise<void> {
  const child = spawn(process.execPath, [join(dir, 'write-fixture.mjs'), kind, target], {
    cwd: dir,
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`the ${kind} writer of ${dir} failed:\n${stderr}`);
}

async function mongoFixture(dir: string, uri: string, name: string): Promise<void> {
  const db = `fixture_${name.replace(/\W/g, '_')}`;
  await write(dir, 'mongo', uri.replace(/\/[^/?]*\?/, `/${db}?`));
  const client = new MongoClient(uri);
  await client.connect();
  try {
    // Indexes too: the old code created them over an empty collection, and a test loading the documents must not
    // be the first to build a unique index over them.
    const collections: Record<string, unknown[]> = {};
    const indexes: Record<string, unknown[]> = {};
    for (const { name: c } of (await client.db(db).listCollections({}, { nameOnly: true }).toArray()).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      collections[c] = await client.db(db).collection(c).find({}).sort({ _id: 1 }).toArray();
      indexes[c] = ((await client.db(db).collection(c).listIndexes().toArray()) as { name: string }[]).filter(
        (i) => i.name !== '_id_',
      );
    }
    writeFileSync(
      join(OUT, `mongo-${name}.json`),
      `${BSON.EJSON.stringify({ collections, indexes }, undefined, 1, { relaxed: false })}\n`,
    );
  } finally {
    await client.close();
  }
}

const wanted = process.argv.slice(2);
mkdirSync(OUT, { recursive: true });
const emulatorModule = '../test/mongo-emulator/start.mjs';
const { startEmulator } = (await import(emulatorModule)) as {
  startEmulator: () => Promise<{ uri: string; stop: () => Promise<void> }>;
};
const emulator = await startEmulator();
try {
  for (const era of ERAS.filter((e) => wanted.length === 0 || wanted.includes(e.name))) {
    const dataDir = mkdtempSync(join(tmpdir(), 'solo-fixture-'));
    await write(extract(era.commit), 'sqlite', dataDir);
    // Compacted and gzipped, so the committed file is a few KB; VACUUM rewrites pages, never the schema.
    const file = join(dataDir, 'solo.db');
    const db = new DatabaseSync(file);
    db.exec('PRAGMA journal_mode = DELETE; VACUUM;');
    db.close();
    writeFileSync(join(OUT, `sqlite-${era.name}.db.gz`), gzipSync(readFileSync(file), { level: 9 }));
    await mongoFixture(
      era.mongo === era.commit ? join(ROOT, '.fixture-build', era.commit) : extract(era.mongo),
      emulator.uri,
      era.name,
    );
    console.log(`${era.name}: ${era.what} (sqlite from ${era.commit}, mongo from ${era.mongo})`);
    rmSync(dataDir, { recursive: true, force: true });
  }
} finally {
  await emulator.stop();
  rmSync(join(ROOT, '.fixture-build'), { recursive: true, force: true });
}
