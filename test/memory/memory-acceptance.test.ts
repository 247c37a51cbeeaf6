// Acceptance for memory through the web API: 200 client facts, `/recall <client> budget` names the right client
// first for ≥ 95% of probes; a /correct survives kill -9; "why?" shows provenance; CSV and notes import.

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { SoloApp } from '../../src/main.ts';
import { say, startTestApp, tempDir } from '../support/app.ts';
import { killHard, startProcess } from '../support/process.ts';
import { generateTinyModel, TINY_MODEL_ID } from '../support/tiny-model.ts';

const FIRST = [
  'Acme',
  'Apex',
  'Arbor',
  'Argent',
  'Aurora',
  'Beacon',
  'Birch',
  'Bluebird',
  'Boulder',
  'Bramble',
  'Cedar',
  'Cobalt',
  'Comet',
  'Copper',
  'Coral',
  'Crescent',
  'Delta',
  'Dune',
  'Ember',
  'Falcon',
  'Fern',
  'Fjord',
  'Flint',
  'Garnet',
  'Glacier',
  'Granite',
  'Harbor',
  'Hazel',
  'Heron',
  'Horizon',
  'Indigo',
  'Iris',
  'Ivory',
  'Jasper',
  'Juniper',
  'Kestrel',
  'Lagoon',
  'Lantern',
  'Lark',
  'Laurel',
  'Lumen',
  'Magnolia',
  'Maple',
  'Marble',
  'Meadow',
  'Meridian',
  'Mesa',
  'Nimbus',
  'Nova',
  'Oak',
  'Obsidian',
  'Onyx',
  'Orbit',
  'Orchid',
  'Osprey',
  'Pebble',
  'Pine',
  'Pinnacle',
  'Polar',
  'Prairie',
  'Quartz',
  'Quill',
  'Raven',
  'Redwood',
  'Reef',
  'Ridge',
  'River',
  'Saffron',
  'Sage',
  'Sequoia',
  'Sierra',
  'Silver',
  'Slate',
  'Sparrow',
  'Spruce',
  'Summit',
  'Sycamore',
  'Tango',
  'Thistle',
  'Tidal',
  'Timber',
  'Topaz',
  'Tundra',
  'Umber',
  'Valley',
  'Velvet',
  'Vertex',
  'Violet',
  'Vista',
  'Willow',
  'Wren',
  'Zenith',
  'Zephyr',
  'Alder',
  'Basalt',
  'Canyon',
  'Dawn',
  'Elm',
  'Gale',
  'Haven',
];
const SECOND = [
  'Labs',
  'Studio',
  'Partners',
  'Group',
  'Works',
  'Collective',
  'Digital',
  'Consulting',
  'Media',
  'Foods',
];
const PROJECTS = ['website', 'rebrand', 'app', 'campaign', 'podcast', 'newsletter', 'logo', 'report'];
const OTHER = [
  (n: string) => `${n}: weekly meeting is on tuesday morning`,
  (n: string) => `${n}: prefers email over calls`,
  (n: string) => `${n}: contract renewal is due in march`,
  (n: string) => `${n}: invoices go to the accounting team`,
];

describe('memory acceptance (web API, tiny model)', () => {
  let app: SoloApp;
  const modelsDir = join(tempDir('solo-models-'), 'models');

  before(async () => {
    await generateTinyModel(join(modelsDir, TINY_MODEL_ID));
    app = await startTestApp({
      EMBEDDING_MODEL: TINY_MODEL_ID,
      MODELS_DIR: modelsDir,
      EMBEDDING_DOWNLOAD: 'no',
      RATE_LIMIT_PER_MINUTE: '0',
    });
  });
  after(() => app.stop());

  test('200 client facts: /recall <client> budget lists that client first for at least 95% of probes', async (t) => {
    const clients = FIRST.map((f, i) => `${f} ${SECOND[i % SECOND.length]}`);
    for (const [i, name] of clients.entries()) {
      const amount = 5000 + ((i * 7919) % 90) * 1000;
      const budget = await say(
        app.url,
        `/remember ${name}: budget for the ${PROJECTS[i % PROJECTS.length]} is ${amount} EUR`,
      );
      assert.match(budget[0]?.text ?? '', /^Remembered #\d+ \(about /);
      const other = await say(app.url, `/remember ${OTHER[i % OTHER.length]!(name)}`);
      assert.match(other[0]?.text ?? '', /^Remembered/);
    }
    assert.equal(await app.store.memories.count(), 200);
    await app.memory.settled();
    let right = 0;
    const misses: string[] = [];
    for (const name of clients) {
      const [reply] = await say(app.url, `/recall ${name} budget`);
      const first = reply?.text.split('\n')[0] ?? '';
      if (first.includes(`${name}: budget`)) right++;
      else misses.push(`${name} → ${first}`);
    }
    t.diagnostic(`right client first: ${right}/${clients.length}`);
    assert.ok(right / clients.length >= 0.95, `${right}/${clients.length} right; misses:\n${misses.join('\n')}`);
  });

  test('"why?" after a recall shows the memories used and where each came from', async () => {
    await say(app.url, '/recall Zenith budget');
    const [why] = await say(app.url, 'why?');
    assert.match(why?.text ?? '', /^For "Zenith budget" I used:/);
    assert.match(why?.text ?? '', /said on web, event #\d+, \d{4}-\d{2}-\d{2}/);
  });

  test('/correct by best match says which memory it replaced and offers Undo; /memory shows the chain', async () => {
    const [reply] = await say(app.url, '/correct Acme Labs: budget for the website is 99000 EUR');
    assert.match(reply?.text ?? '', /^Corrected #(\d+) → #(\d+)\.\nWas: Acme Labs: budget/);
    assert.ok(reply?.buttons.some((b) => b.label === 'Undo'));
    const newId = /→ #(\d+)/.exec(reply?.text ?? '')?.[1];
    const [shown] = await say(app.url, `/memory ${newId}`);
    assert.match(shown?.text ?? '', /Corrects #\d+/);
  });

  test('import: a CSV of clients and contacts, then a folder of notes; a second import updates or skips', async () => {
    const dir = app.config.IMPORT_DIR;
    writeFileSync(
      join(dir, 'clients.csv'),
      'Name,Company,Email,Phone,Notes,Industry\nInitrode,,ap@initrode.example,,Pays net 30,Manufacturing\nJane Roe,Initrode,jane@initrode.example,+44 20 7946 0000,Decision maker,\n,,x@y.example,,,\n',
    );
    const notes = join(dir, 'notes');
    mkdirSync(join(notes, 'meetings'), { recursive: true });
    writeFileSync(
      join(notes, 'initrode.md'),
      '# Initrode\n\nThey want a quote for the website in june.\n\nBudget is tight this year.\n',
    );
    writeFileSync(join(notes, 'meetings', 'kickoff.txt'), 'Kickoff with Initrode went well; next meeting on friday.');
    writeFileSync(join(notes, 'photo.png'), 'not text');
    const [csv] = await say(app.url, '/import clients.csv');
    assert.match(
      csv?.text ?? '',
      /^Imported clients\.csv: 2 created, 0 updated, 1 skipped\.\nSkipped:\n- clients\.csv row 4: no name/,
    );
    const [folder] = await say(app.url, '/import notes/');
    assert.match(folder?.text ?? '', /^Imported notes: 3 created, 0 updated, 0 skipped\./);
    const [recall] = await say(app.url, '/recall Initrode website quote');
    assert.match(recall?.text.split('\n')[0] ?? '', /quote for the website/);
    const initrodeNotes = await app.store.memories.byEntity('client:initrode', 50);
    assert.ok(
      initrodeNotes.some((m) => m.text.includes('Budget is tight')),
      'a note file named after a client links to it',
    );
    writeFileSync(
      join(dir, 'clients.csv'),
      'Name,Company,Email\nInitrode,,billing@initrode.example\nJane Roe,Initrode,jane@initrode.example\n',
    );
    // An absolute path inside the import folder is accepted too.
    const [again] = await say(app.url, `/import ${join(dir, 'clients.csv')}`);
    assert.match(again?.text ?? '', /^Imported clients\.csv: 0 created, 2 updated, 0 skipped\./);
    const [missing] = await say(app.url, '/import nope.csv');
    assert.equal(missing?.text, `There is no file or folder named nope.csv in the import folder (${dir}).`);
  });
});

test('a /correct survives kill -9: after the restart the corrected text is recalled first', async () => {
  const DATA_DIR = tempDir();
  let proc = await startProcess({ DATA_DIR });
  try {
    const [remembered] = await say(proc.url, '/remember Zephyr Studio: budget for the website is 10000 EUR');
    const id = /#(\d+)/.exec(remembered?.text ?? '')?.[1];
    assert.ok(id);
    await say(proc.url, '/remember Zephyr Studio: weekly meeting on monday');
    const [corrected] = await say(proc.url, `/correct ${id} Zephyr Studio: budget for the website is 14000 EUR`);
    assert.match(corrected?.text ?? '', /^Corrected #/);
    await killHard(proc.child);
    proc = await startProcess({ DATA_DIR });
    const [recall] = await say(proc.url, '/recall Zephyr budget');
    const lines = recall?.text.split('\n') ?? [];
    assert.match(lines[0] ?? '', /14000 EUR/);
    assert.ok(!lines.some((l) => l.includes('10000 EUR')), 'the old text is not recalled');
  } finally {
    await killHard(proc.child);
  }
});

test('/status says how recall works: hybrid with a model, keywords only and why without one', async () => {
  const missing = await startTestApp({
    EMBEDDING_MODEL: 'nobody/absent-model',
    MODELS_DIR: tempDir('solo-models-'),
    EMBEDDING_DOWNLOAD: 'no',
  });
  try {
    await say(missing.url, '/remember Acme Corp: budget is 40000 EUR');
    await missing.memory.settled();
    const [status] = await say(missing.url, '/status');
    assert.match(status?.text ?? '', /Memory: 1 item; recall keywords only: .*npm run models/);
    const [recall] = await say(missing.url, '/recall acme budget');
    assert.match(recall?.text ?? '', /Acme Corp: budget is 40000 EUR/);
  } finally {
    await missing.stop();
  }
  const off = await startTestApp({ EMBEDDING_MODEL: 'off' });
  try {
    assert.match((await say(off.url, '/status'))[0]?.text ?? '', /recall keywords only: EMBEDDING_MODEL=off/);
  } finally {
    await off.stop();
  }
});
