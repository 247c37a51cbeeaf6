// Which client an invoice is for, from memory: "Acme" is Acme Corp when memory knows only one Acme; the billing
// address wins over other addresses; "net 30" sets the payment term; an unknown or ambiguous name stays as written.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { SqliteStore } from '../../adapters/stores/sqlite/index.ts';
import { resolveClient, type ClientDirectory } from '../../src/invoices/clients.ts';
import { MemoryService } from '../../src/memory/memory.ts';
import { tempDir } from '../support/app.ts';

let store: SqliteStore;
let memory: MemoryService;
let dir: ClientDirectory;
const source = { channel: 'web' };

before(async () => {
  store = new SqliteStore(tempDir('solo-clients-'));
  await store.init();
  memory = new MemoryService({ store, logger: pino({ level: 'silent' }) });
  await memory.start();
  dir = {
    ready: () => memory.start(),
    entitiesIn: (t) => memory.entitiesIn(t),
    entityName: (k) => memory.entityName(k),
    byEntity: (k, n) => store.memories.byEntity(k, n),
  };
  await memory.remember({ text: 'Acme Corp: CEO is Jane Roe, jane@acme.example', source });
  await memory.remember({ text: 'Acme Corp: invoices go to billing@acme.example and they pay net 30', source });
  await memory.remember({ text: 'Globex Inc: contact hank@globex.example', source });
  await memory.remember({ text: 'Initech Labs: 45 days to pay', source });
});
after(async () => {
  await memory.close();
  await store.close();
});

test('"Acme" and "ACME CORP" are Acme Corp, with its billing address and term', async () => {
  for (const written of ['Acme', 'ACME CORP', 'Acme Corp']) {
    const client = await resolveClient(dir, written);
    assert.deepEqual(
      { ...client, emailFrom: undefined },
      {
        name: 'Acme Corp',
        key: 'client:acme-corp',
        known: true,
        email: 'billing@acme.example',
        termsDays: 30,
        emailFrom: undefined,
      },
      written,
    );
  }
});

test('without a billing word the only address is used; "45 days to pay" is a term', async () => {
  assert.equal((await resolveClient(dir, 'Globex')).email, 'hank@globex.example');
  const initech = await resolveClient(dir, 'Initech Labs');
  assert.deepEqual([initech.name, initech.termsDays, initech.email], ['Initech Labs', 45, undefined]);
});

test('a near miss ("Acme Labs") or an unknown name is a new client, taken as written', async () => {
  assert.deepEqual(await resolveClient(dir, 'Acme Labs'), { name: 'Acme Labs', key: 'client:acme-labs', known: false });
  assert.deepEqual(await resolveClient(dir, 'Hooli'), { name: 'Hooli', key: 'client:hooli', known: false });
  assert.equal((await resolveClient(dir, 'Initech')).name, 'Initech Labs', 'a first word memory knows one company by');
});
