// The real process: `solo backup` taken while the bot is writing (three clients storing memories through the web
// API, each write counted once the API acknowledged it) restores with every write acknowledged before the backup
// began, on the embedded store and on MongoDB; `restore` and `migrate` refuse to work under a running bot; and
// `migrate --to` moves a store into MongoDB and back through the command line.

import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { MongoStore } from '../../adapters/stores/mongo/index.ts';
import { SqliteStore } from '../../adapters/stores/sqlite/index.ts';
import type { Store } from '../../src/ports/store.ts';
import { COPY_TABLES } from '../../src/ports/store-copy.ts';
import { tempDir } from '../support/app.ts';
import { mongoServer, realMongoUri, type MongoServer } from '../support/mongo.ts';
import { BIN, runToExit, startProcess, stopWith } from '../support/process.ts';
import { populate } from '../stores/populate.ts';

let mongo: MongoServer;
before(async () => {
  mongo = await mongoServer();
});
after(async () => {
  await mongo?.stop();
});

interface Ack {
  n: number;
  memoryId: string;
}

/** Clients storing memories as fast as the bot acknowledges them, until stopped. */
function writers(url: string, lanes: number) {
  const acked: Ack[] = [];
  let stopping = false;
  const lane = async (l: number) => {
    for (let i = 0; !stopping; i++) {
      const n = l * 100_000 + i;
      const res = await fetch(`${url}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: `/remember Loadtest item q${n} was stored`, id: `w-${n}` }),
      });
      const body = (await res.json()) as { messages?: { text: string }[] };
      const memoryId = /^Remembered #(\d+)/.exec(body.messages?.[0]?.text ?? '')?.[1];
      if (res.status !== 200 || !memoryId)
        throw new Error(`write ${n} was not acknowledged: ${res.status} ${JSON.stringify(body)}`);
      acked.push({ n, memoryId });
    }
  };
  const running = Array.from({ length: lanes }, (_, l) => lane(l));
  return {
    acked,
    stop: async () => {
      stopping = true;
      await Promise.all(running);
    },
  };
}

const until = async (check: () => boolean) => {
  while (!check()) await new Promise((r) => setTimeout(r, 20));
};

async function backupUnderLoad(
  t: TestContext,
  env: Record<string, string>,
  open: () => Promise<Store>,
  restoreEnv: Record<string, string>,
  backupPath: string,
  warmup: number,
) {
  const bot = await startProcess({ ...env, RATE_LIMIT_PER_MINUTE: '0' }, 30_000);
  const load = writers(bot.url, 3);
  let result: Awaited<ReturnType<typeof runToExit>>;
  let before: Ack[];
  let during: number;
  try {
    await until(() => load.acked.length >= warmup);
    // Everything acknowledged up to here was acknowledged before the backup began.
    before = [...load.acked];
    result = await runToExit([BIN, 'backup', backupPath], { ...env, PORT: '0' }, 60_000);
    during = load.acked.length - before.length;
    await load.stop();
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Backed up .* to .* in [\d.]+ s: /);

    const refused = await runToExit([BIN, 'restore', backupPath], { ...env, PORT: '0' });
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /^Solo OS is running \(process \d+, http:\/\/127\.0\.0\.1:\d+\) with this store; stop it first, then restore\.\n$/,
    );
    const refusedMigrate = await runToExit([BIN, 'migrate', '--to', join(tempDir(), 'elsewhere')], {
      ...env,
      PORT: '0',
    });
    assert.equal(refusedMigrate.code, 1);
    assert.match(refusedMigrate.stderr, /stop it first, then migrate\.\n$/);
  } finally {
    await load.stop();
    await stopWith(bot.child);
  }

  const restored = await runToExit([BIN, 'restore', backupPath], { ...restoreEnv, PORT: '0' }, 60_000);
  assert.equal(restored.code, 0, restored.stderr);
  assert.match(restored.stdout, /^Restored /);
  const store = await open();
  try {
    const missing: number[] = [];
    for (const a of before) {
      const memory = await store.memories.get(a.memoryId);
      if (
        memory?.text !== `Loadtest item q${a.n} was stored` ||
        !(await store.events.findByDedupeKey(`in:web:w-${a.n}`))
      )
        missing.push(a.n);
    }
    assert.deepEqual(missing, [], 'every write acknowledged before the backup began is in it');
    const held = (await store.memories.candidates(['loadtest'], 100_000)).length;
    t.diagnostic(
      `${before.length} writes acknowledged before the backup began, ${during} while it ran; the backup holds ${held}`,
    );
    assert.ok(held >= before.length);
  } finally {
    await store.close();
  }
}

describe('backup, restore and migrate from the command line', () => {
  test('embedded store: a backup under write load restores with nothing acknowledged lost', async (t) => {
    const dataDir = tempDir('solo-load-');
    const restoredDir = tempDir('solo-load-restored-');
    const file = join(tempDir('solo-load-backups-'), 'under-load.db');
    await backupUnderLoad(
      t,
      { DATA_DIR: dataDir },
      async () => {
        const store = new SqliteStore(restoredDir, { idleCheckpoints: false });
        await store.init();
        return store;
      },
      { DATA_DIR: restoredDir },
      file,
      150,
    );
    // Restoring over the old folder keeps what it replaces.
    const again = await runToExit([BIN, 'restore', file], { DATA_DIR: dataDir, PORT: '0' });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /the store it replaced is kept at .*backups.replaced-[\dT-]+Z.solo\.db\.\n$/);
  });

  test(`MongoDB: a backup under write load restores with nothing acknowledged lost (${realMongoUri ? 'MONGODB_URI' : 'CongoDB emulator, not MongoDB'})`, async (t) => {
    const uri = mongo.database('solo_load');
    const restoredUri = mongo.database('solo_load_restored');
    const dir = join(tempDir('solo-load-dumps-'), 'under-load');
    await backupUnderLoad(
      t,
      { DATA_DIR: tempDir('solo-load-mongo-'), MONGODB_URI: uri },
      async () => {
        const store = new MongoStore(restoredUri);
        await store.init();
        return store;
      },
      { DATA_DIR: tempDir('solo-load-mongo-restored-'), MONGODB_URI: restoredUri },
      dir,
      40,
    );
    assert.ok(existsSync(join(dir, 'solo-backup.json')));
  });

  test('migrate --to moves an embedded store into MongoDB and back, checked; a store with data is not a target', async () => {
    const dataDir = tempDir('solo-migrate-');
    const source = new SqliteStore(dataDir, { idleCheckpoints: false });
    await source.init();
    await populate(source);
    await source.close();
    const uri = mongo.database('solo_migrate');

    const there = await runToExit([BIN, 'migrate', '--to', uri], { DATA_DIR: dataDir, PORT: '0' }, 60_000);
    assert.equal(there.code, 0, there.stderr);
    assert.match(there.stdout, /^events: 300 copied\n/);
    assert.match(
      there.stdout,
      /Copied .*solo\.db into mongodb:\/\/.* in [\d.]+ s: 300 events, 42 memories, 12 runs, 8 invoices; every table's count and \d+ sample records read back the same\.\nTo use it, set MONGODB_URI to that address and start Solo OS; .*solo\.db was not changed\.\n$/,
    );

    const again = await runToExit([BIN, 'migrate', `--to=${uri}`], { DATA_DIR: dataDir, PORT: '0' }, 60_000);
    assert.equal(again.code, 1);
    assert.match(
      again.stderr,
      /^mongodb:\/\/.* already holds data \(events: 300, identities: 1, settings: 2, memories: 42, memory_vectors: 40, runs: 12, steps: 12, approvals: 12, invoices: 8\); move into an empty store, or empty it first\.\n$/,
    );

    const backDir = tempDir('solo-migrate-back-');
    const back = await runToExit(
      [BIN, 'migrate', '--to', backDir],
      { DATA_DIR: tempDir('solo-unused-'), MONGODB_URI: uri, PORT: '0' },
      60_000,
    );
    assert.equal(back.code, 0, back.stderr);
    assert.match(
      back.stdout,
      /To use it, unset MONGODB_URI and set DATA_DIR=.*, then start Solo OS; mongodb:\/\/.* was not changed\.\n$/,
    );

    const a = new SqliteStore(dataDir, { idleCheckpoints: false });
    const b = new SqliteStore(backDir, { idleCheckpoints: false });
    await a.init();
    await b.init();
    for (const table of COPY_TABLES) assert.equal(await b.copy.count(table), await a.copy.count(table), table);
    assert.deepEqual(
      await b.memories.getMany(['1', '2', '41', '42']),
      await a.memories.getMany(['1', '2', '41', '42']),
    );
    assert.deepEqual(await b.ledger.listInvoices(), await a.ledger.listInvoices());
    await a.close();
    await b.close();
  });

  test('one sentence for a missing or wrong argument', async () => {
    const env = { DATA_DIR: tempDir('solo-args-'), PORT: '0' };
    const cases: [string[], number, RegExp][] = [
      [['restore'], 2, /^Name the backup to restore: node bin\/solo\.js restore <path>\.\n$/],
      [['restore', '/no/such/backup.db'], 2, /^There is no backup at \/no\/such\/backup\.db\.\n$/],
      [
        ['migrate'],
        2,
        /^Say where to move the store: node bin\/solo\.js migrate --to mongodb:\/\/host\/db \(or --to <folder> for an embedded store\)\.\n$/,
      ],
      [['migrate', '--to', 'x', 'y'], 2, /^migrate takes only --to <uri>, not "y"\.\n$/],
      [['backup'], 1, /^There is no store at .*solo\.db to back up; check DATA_DIR\.\n$/],
    ];
    for (const [args, code, stderr] of cases) {
      const r = await runToExit([BIN, ...args], env);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, stderr);
    }
  });

  test('npm run backup writes a dated backup into DATA_DIR/backups', async () => {
    const dataDir = tempDir('solo-npm-backup-');
    const store = new SqliteStore(dataDir, { idleCheckpoints: false });
    await store.init();
    await populate(store, { events: 10 });
    await store.close();
    const r = await runToExit([BIN, 'backup'], { DATA_DIR: dataDir, PORT: '0' });
    assert.equal(r.code, 0, r.stderr);
    const [file] = readdirSync(join(dataDir, 'backups'));
    assert.match(file ?? '', /^solo-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z\.db$/);
    assert.match(r.stdout, /: [\d.]+ MB; 10 events, 40 memories, 12 runs, 8 invoices\.\n$/);
  });
});
