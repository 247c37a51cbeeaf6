// Moving between stores: an embedded store copied into MongoDB and back comes out record for record the same,
// each copy checked by counts and sample reads through the target's ports; numbering continues after the copied
// records; a copy that does not read back the same is caught. MongoDB is MONGODB_URI or the CongoDB emulator.

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MongoStore } from '../../adapters/stores/mongo/index.ts';
import { SqliteStore } from '../../adapters/stores/sqlite/index.ts';
import { newEvent } from '../../src/domain/events.ts';
import { StoreError } from '../../src/domain/errors.ts';
import { copyStore, holdings } from '../../src/maintenance/copy.ts';
import { COPY_TABLES, type CopyTable, type StoreCopy } from '../../src/ports/store-copy.ts';
import type { Store } from '../../src/ports/store.ts';
import { mongoServer, realMongoUri, type MongoServer } from '../support/mongo.ts';
import { populate } from './populate.ts';

const sqlite = async (): Promise<SqliteStore> => {
  const store = new SqliteStore(mkdtempSync(join(tmpdir(), 'solo-copy-')), { idleCheckpoints: false });
  await store.init();
  return store;
};

/** Every record of every table, in the store's own order. */
async function everything(copy: StoreCopy): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const table of COPY_TABLES) {
    const records: unknown[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await copy.read(table, after, 97);
      records.push(...page.records);
      if (!page.next) break;
      after = page.next;
    }
    out[table] = records;
  }
  return out;
}

/** Records sorted by their identity, so that stores listing them in different orders compare equal. */
const byKey = (all: Record<string, unknown[]>) =>
  Object.fromEntries(
    Object.entries(all).map(([t, rs]) => [
      t,
      [...rs].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    ]),
  );

describe(`moving between stores (${realMongoUri ? 'MONGODB_URI' : 'MongoDB side on the CongoDB emulator, not MongoDB'})`, () => {
  let server: MongoServer;
  const open: Store[] = [];
  before(async () => {
    server = await mongoServer();
  });
  after(async () => {
    for (const s of open) await s.close();
    await server?.stop();
  });

  test('sqlite → mongodb → sqlite keeps every record, and numbering continues', async () => {
    const source = await sqlite();
    await populate(source);
    const mongo = new MongoStore(server.database('solo_copy'));
    await mongo.init();
    const back = await sqlite();
    open.push(source, mongo, back);
    assert.deepEqual(await holdings(mongo.copy), {}, 'the target starts empty');

    const lines: string[] = [];
    const there = await copyStore(source, mongo, (line) => lines.push(line));
    assert.equal(there.counts.events, 300);
    assert.equal(there.counts.memories, 42);
    assert.equal(there.counts.invoices, 8);
    assert.ok(there.sampled >= 60, `${there.sampled} samples read back`);
    assert.ok(lines.includes('events: 300 copied'));
    const home = await copyStore(mongo, back);
    assert.deepEqual(home.counts, there.counts);
    assert.deepEqual(
      byKey(await everything(back.copy)),
      byKey(await everything(source.copy)),
      'the round trip changes nothing',
    );

    for (const target of [mongo, back]) {
      const { event } = await target.events.append(
        newEvent('message.received', 'chat:web:3', {
          channel: 'web',
          chatId: '3',
          senderId: 'operator',
          text: 'after the move',
        }),
      );
      assert.equal(event.position, 301);
      assert.equal(event.seq, (await source.events.readStream('chat:web:3')).length + 1);
      assert.equal((await target.memories.add({ text: 'after the move', kind: 'note', source: {} })).id, '43');
      assert.equal(
        (
          await target.ledger.recordInvoice({
            client: 'X',
            amountMinor: 1,
            currency: 'EUR',
            runId: 'r',
            idempotencyKey: 'after-move',
          })
        ).invoice.number,
        9,
      );
      assert.deepEqual(
        (await target.events.findByDedupeKey('in-3'))?.position,
        4,
        'dedupe keys still find their events',
      );
      assert.equal(
        (
          await target.events.append(
            newEvent('message.received', 'x', { channel: 'web', chatId: 'x', senderId: 'o', text: 'dup' }, 'in-3'),
          )
        ).duplicate,
        true,
      );
    }
  });

  test('a copy that does not read back the same is refused with one sentence', async () => {
    const source = await sqlite();
    await populate(source, { events: 60 });
    const target = await sqlite();
    open.push(source, target);
    // A target that loses the subject of every client profile on the way in.
    const lossy: StoreCopy = {
      count: (t: CopyTable) => target.copy.count(t),
      read: (t, a, l) => target.copy.read(t, a, l),
      write: (t, records) =>
        target.copy.write(
          t,
          t === 'memories' ? records.map((r) => ({ ...(r as object), subject: undefined }) as never) : records,
        ),
      finish: () => target.copy.finish(),
    };
    const lossyTarget = new Proxy(target, { get: (t, p): unknown => (p === 'copy' ? lossy : Reflect.get(t, p)) });
    await assert.rejects(copyStore(source, lossyTarget), (err: unknown) => {
      assert.ok(err instanceof StoreError);
      assert.equal(err.code, 'copy_mismatch');
      assert.match(
        err.userMessage,
        /^The copy does not match its source: a memories record reads back differently \(.*\); the source is unchanged/,
      );
      return true;
    });
  });
});
