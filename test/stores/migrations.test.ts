// Schema migrations of the embedded store: every fixture written by an earlier schema (test/stores/fixtures/,
// made by scripts/store-fixtures.ts from the code of that commit) opens, migrates in one transaction, says what it
// did, keeps its data, ends with exactly the tables of a new store, and passes the store contract. A store from a
// newer version is refused with one sentence; a failing step leaves the store as it was.

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, test } from 'node:test';
import { SqliteStore } from '../../adapters/stores/sqlite/index.ts';
import { migrateSqlite, SQLITE_MIGRATIONS } from '../../adapters/stores/sqlite/schema.ts';
import { StoreError } from '../../src/domain/errors.ts';
import { storeContract } from './contract.ts';
import { assertFixtureData } from './fixture-checks.ts';
import { ERAS, sqliteFixture } from './fixtures.ts';

function capture() {
  const lines: string[] = [];
  const info = ((_: unknown, line: string) => void lines.push(line)) as never;
  return { lines, logger: { info, warn: info } };
}

/** Every table and index with its columns, as SQLite describes them (not the CREATE text, which keeps its spelling). */
function shape(file: string): Record<string, unknown> {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    const out: Record<string, unknown> = {};
    const tables = db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('sqlite_sequence', 'schema_versions') ORDER BY name",
      )
      .all() as { name: string }[];
    for (const { name } of tables) {
      const columns = db.prepare('SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_xinfo(?)').all(name);
      const indexes = (
        db.prepare('SELECT name, "unique", origin, partial FROM pragma_index_list(?) ORDER BY name').all(name) as {
          name: string;
        }[]
      ).map((i) => ({
        ...i,
        columns: db.prepare('SELECT name, "desc" FROM pragma_index_xinfo(?) WHERE key = 1').all(i.name),
      }));
      out[name] = { columns, indexes };
    }
    // Triggers too (the memory_entities index is kept by them): a migrated store must keep it the same way.
    out['triggers'] = db.prepare("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger' ORDER BY name").all();
    return out;
  } finally {
    db.close();
  }
}

const CURRENT = { events: 2, settings: 1, memories: 3, runs: 2, ledger: 2 };

const freshShape = async (): Promise<Record<string, unknown>> => {
  const store = new SqliteStore(mkdtempSync(join(tmpdir(), 'solo-fresh-')), { idleCheckpoints: false });
  await store.init();
  assert.equal(store.schema?.created, true);
  await store.close();
  return shape(store.location);
};

describe('SQLite schema migrations', () => {
  for (const era of ERAS) {
    test(`a store written by the ${era.name} schema migrates, keeps its data and ends like a new store`, async () => {
      const { lines, logger } = capture();
      const store = new SqliteStore(sqliteFixture(era.name), { idleCheckpoints: false, logger });
      await store.init();
      // The events index by type and time and the invoices' Stripe-id index came after every fixture (SQLite only:
      // MongoDB creates indexes at init). A store without a ledger gets the current one at once.
      const ledger = era.found.ledger === 1 ? ['ledger 1→2'] : [];
      // And the index of the entities each memory names (SQLite only: MongoDB indexes the array itself).
      const steps = [
        'events 1→2',
        ...era.steps
          .map((s) => (s === 'ledger 0→1' ? 'ledger 0→2' : s))
          .flatMap((s) => (s === 'memories 1→2' ? [s, 'memories 2→3'] : [s])),
        ...ledger,
      ];
      if (era.found.memories === 2) steps.splice(1, 0, 'memories 2→3');
      assert.deepEqual(store.schema?.found, era.found);
      assert.deepEqual(
        store.schema?.applied.map((s) => `${s.domain} ${s.from}→${s.to}`),
        steps,
      );
      assert.equal(store.schema?.created, false);
      assert.match(
        lines.join('\n'),
        new RegExp(`^migrated the store at .*solo\\.db: ${steps.join(' \\([^)]*\\), ')} \\([^)]*\\)$`),
      );
      await assertFixtureData(store, era);
      // Every live memory is found by each entity it names, through the migrated index.
      for (const m of await store.memories.scan(undefined, 1000))
        for (const entity of m.entities)
          assert.ok(
            (await store.memories.byEntity(entity, 1000)).some((x) => x.id === m.id),
            `#${m.id} by ${entity}`,
          );
      await store.close();
      assert.deepEqual(shape(store.location), await freshShape());

      const again = new SqliteStore(store.location.replace(/[/\\]solo\.db$/, ''), { idleCheckpoints: false });
      await again.init();
      assert.deepEqual(again.schema?.applied, [], 'a second start has nothing to do');
      assert.deepEqual(again.schema?.versions, CURRENT);
      await again.close();
    });
  }

  test('a store whose versions are written down gets only the steps it lacks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'solo-versioned-'));
    const first = new SqliteStore(dir, { idleCheckpoints: false });
    await first.init();
    await first.close();
    const db = new DatabaseSync(first.location);
    db.exec("DROP INDEX events_type_at; UPDATE schema_versions SET version = 1 WHERE domain = 'events'");
    db.close();
    const store = new SqliteStore(dir, { idleCheckpoints: false });
    await store.init();
    assert.deepEqual(store.schema?.applied, [{ domain: 'events', from: 1, to: 2, what: 'index by type and time' }]);
    assert.deepEqual(store.schema?.versions, CURRENT);
    await store.close();
    assert.deepEqual(shape(store.location), await freshShape());
  });

  test('a store from a newer version is refused with one sentence, and left untouched', async () => {
    const dir = sqliteFixture('leases');
    const first = new SqliteStore(dir, { idleCheckpoints: false });
    await first.init();
    await first.close();
    const db = new DatabaseSync(first.location);
    db.exec("UPDATE schema_versions SET version = 7 WHERE domain = 'memories'");
    db.close();
    const store = new SqliteStore(dir, { idleCheckpoints: false });
    await assert.rejects(store.init(), (err: unknown) => {
      assert.ok(err instanceof StoreError);
      assert.equal(err.code, 'store_too_new');
      assert.equal(
        err.userMessage,
        `The store ${first.location} was written by a newer version of Solo OS (memories schema 7; this version knows up to 3); run that version again, or restore a backup made by this one.`,
      );
      return true;
    });
    const check = new DatabaseSync(first.location, { readOnly: true });
    assert.equal(
      (check.prepare("SELECT version FROM schema_versions WHERE domain = 'memories'").get() as { version: number })
        .version,
      7,
    );
    check.close();
  });

  test('a part this version does not know also means a newer store', async () => {
    const dir = sqliteFixture('leases');
    const first = new SqliteStore(dir, { idleCheckpoints: false });
    await first.init();
    await first.close();
    const db = new DatabaseSync(first.location);
    db.exec("INSERT INTO schema_versions VALUES ('reminders', 1, 0)");
    db.close();
    await assert.rejects(
      new SqliteStore(dir, { idleCheckpoints: false }).init(),
      /a part this version does not know \("reminders"\)/,
    );
  });

  test('a step that fails rolls every step back: the store stays as the old version wrote it', () => {
    const dir = sqliteFixture('engine');
    const file = join(dir, 'solo.db');
    const before = shape(file);
    const db = new DatabaseSync(file);
    const failing = [
      ...SQLITE_MIGRATIONS,
      {
        domain: 'ledger' as const,
        to: 3,
        what: 'a step that breaks',
        up: () => {
          throw new Error('disk on fire');
        },
      },
    ];
    assert.throws(() => migrateSqlite(db, file, failing), /disk on fire/);
    assert.equal(db.isTransaction, false);
    db.close();
    assert.deepEqual(shape(file), before, 'notes are still there, memories and versions are not');
  });
});

for (const era of ERAS) {
  storeContract(`sqlite migrated from the ${era.name} schema`, {
    create: async () => new SqliteStore(sqliteFixture(era.name), { idleCheckpoints: false }),
    reopen: async (store) => {
      await store.close();
      const again = new SqliteStore(store.location.replace(/[/\\]solo\.db$/, ''), { idleCheckpoints: false });
      await again.init();
      return again;
    },
  });
}
