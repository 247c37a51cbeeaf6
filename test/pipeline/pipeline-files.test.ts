// The consultant's files and the pure pieces of the pipeline: a package, template or criteria file with a mistake
// is reported in one sentence with file, line and field and keeps its last good version; the shipped files load
// clean; /lead text is read into name, email and notes; a client's reply picks a slot only when it names one; a
// lead for a client memory knows becomes no second profile.

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { SqliteStore } from '../../adapters/stores/sqlite/index.ts';
import { MemoryService } from '../../src/memory/memory.ts';
import { canonicalClient, parseLead } from '../../src/pipeline/lead.ts';
import { PipelineCatalog, readPipelineFiles, type PipelineDirs } from '../../src/pipeline/packages.ts';
import { slotChoice } from '../../src/pipeline/proposal.ts';
import { tempDir } from '../support/app.ts';

const ROOT = join(import.meta.dirname, '../..');
const shipped: PipelineDirs = {
  packages: join(ROOT, 'packages'),
  templates: join(ROOT, 'templates'),
  policies: join(ROOT, 'policies'),
};

function folder(files: Record<string, string>): PipelineDirs {
  const root = tempDir('solo-pipeline-');
  for (const sub of ['packages', 'templates', 'policies']) mkdirSync(join(root, sub));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(root, name), text);
  return { packages: join(root, 'packages'), templates: join(root, 'templates'), policies: join(root, 'policies') };
}

const GOOD = 'name: Sprint\nscope: [Workshop]\nprice: 1200 EUR\nduration_days: 5\ntemplate: proposal\n';

describe('packages, templates and criteria', () => {
  test('the shipped files load without a problem', async () => {
    const files = await readPipelineFiles(shipped);
    assert.deepEqual(files.rejected, []);
    assert.deepEqual(
      files.packages.map((p) => [p.id, p.amountMinor, p.currency, p.durationDays, p.followUpDays]),
      [
        ['advisory-retainer', 250_000, 'EUR', 30, 7],
        ['brand-sprint', 400_000, 'EUR', 10, 14],
      ],
    );
    assert.match(files.criteria?.must[0] ?? '', /2000 EUR/);
  });

  test('a mistake: file, line and field in one sentence; the rest still loads', async () => {
    const dirs = folder({
      'templates/proposal.md': 'For {{client}}: {{scope}}\n',
      'packages/good.yaml': GOOD,
      'packages/bad-price.yaml': 'name: Bad\nscope: [x]\nprice: lots\nduration_days: 5\ntemplate: proposal\n',
      'packages/typo.yaml': `${GOOD}duraton: 3\n`,
      'packages/no-template.yaml': GOOD.replace('template: proposal', 'template: missing'),
      'packages/broken.yaml': 'name: [unclosed\n',
      'policies/qualification.yaml': 'qualification:\n  must: [x]\n',
    });
    const files = await readPipelineFiles(dirs);
    assert.deepEqual(
      files.packages.map((p) => p.id),
      ['good'],
    );
    const broken = files.rejected.find((r) => r.startsWith('packages/broken.yaml'));
    assert.match(broken ?? '', /^packages\/broken\.yaml line \d+ is not valid YAML: .+\.$/);
    assert.deepEqual(
      files.rejected.filter((r) => r !== broken),
      [
        'packages/bad-price.yaml line 3 (price): expected an amount and a currency such as 4000 EUR, got "lots".',
        'packages/no-template.yaml (template): there is no templates/missing.md.',
        'packages/typo.yaml line 6 (duraton): unknown field "duraton".',
        'policies/qualification.yaml line 1 (qualification.ideal_client): ideal_client is missing.',
      ],
    );
  });

  test('a template with an unknown placeholder is refused and its last good version kept', async () => {
    const dirs = folder({ 'templates/proposal.md': 'Hello {{client}}\n', 'packages/good.yaml': GOOD });
    const first = await readPipelineFiles(dirs);
    writeFileSync(join(dirs.templates, 'proposal.md'), 'Hello {{client}}\nTotal: {{total}}\n');
    writeFileSync(join(dirs.packages, 'good.yaml'), GOOD.replace('1200 EUR', '12 bananas'));
    const second = await readPipelineFiles(dirs, first);
    assert.deepEqual(second.rejected, [
      'templates/proposal.md line 2: unknown placeholder {{total}} (use {{client}}, {{package}}, {{scope}}, {{price}}, {{duration}}, {{notes}}, {{history}}).',
      'packages/good.yaml line 3 (price): expected an amount and a currency such as 4000 EUR, got "12 bananas".',
    ]);
    assert.equal(second.templates.get('proposal'), 'Hello {{client}}\n');
    assert.equal(second.packages[0]?.amountMinor, 120_000, 'the last good price stays in force');
  });
});

test('watched: a saved edit applies; a bad one is reported once and the last good version stays', async () => {
  const dirs = folder({ 'templates/proposal.md': 'For {{client}}\n', 'packages/good.yaml': GOOD });
  const rejected: string[] = [];
  let heard: (() => void) | undefined;
  const catalog = new PipelineCatalog(dirs, (error) => {
    rejected.push(error);
    heard?.();
  });
  try {
    await catalog.load();
    catalog.watch(20);
    const reported = new Promise<void>((r) => (heard = r));
    writeFileSync(join(dirs.packages, 'good.yaml'), GOOD.replace('duration_days: 5', 'duration_days: soon'));
    await reported;
    assert.deepEqual(rejected, [
      'packages/good.yaml line 4 (duration_days): Invalid input: expected number, received string.',
    ]);
    assert.equal(catalog.package('good')?.durationDays, 5, 'the last good version');
    assert.equal(catalog.package('Sprint')?.id, 'good', 'found by name too');
    await catalog.load();
    assert.equal(rejected.length, 1, 'reported once, not on every reload');
  } finally {
    catalog.close();
  }
});

describe('reading leads and replies', () => {
  test('/lead text', () => {
    assert.deepEqual(parseLead('Jane Doe jane@acme.example wants a rebrand, budget 5k'), {
      name: 'Jane Doe',
      email: 'jane@acme.example',
      notes: 'wants a rebrand, budget 5k',
    });
    assert.deepEqual(parseLead('Acme <JANE@ACME.EXAMPLE>'), { name: 'Acme', email: 'jane@acme.example' });
    assert.match(
      (parseLead('jane@acme.example') as { error: string }).error,
      /I need a name and then an email address/,
    );
    assert.match((parseLead('') as { error: string }).error, /^Usage: \/lead <name> <email> \[notes\]/);
  });

  test('a reply picks a slot only when it names exactly one', () => {
    const wrap = (text: string) =>
      `⟦untrusted:abc source="email"⟧\nFrom: Jane <j@x.example>\nDate: 2026-12-05T10:00:00Z\nSubject: Re: Proposal 3\n\n${text}\n⟦/untrusted:abc⟧`;
    assert.equal(slotChoice(wrap('Option 2 works for us!'), 3), 1);
    assert.equal(slotChoice(wrap('The first one, please.'), 3), 0);
    assert.equal(slotChoice(wrap('3'), 3), 2);
    assert.equal(slotChoice(wrap('1 or 2 both fine'), 3), undefined, 'two choices: ask the operator');
    assert.equal(slotChoice(wrap('Sounds great, talk soon'), 3), undefined);
    assert.equal(slotChoice(wrap('Can we do 10:30 instead?'), 3), undefined, 'a time is not a choice');
    assert.equal(slotChoice(wrap('Number 4 please'), 3), undefined, 'out of range');
    assert.equal(
      slotChoice(wrap('Yes!\n\nOn Monday Sam wrote:\n> 1. Mon 7 Dec\n> 2. Tue 8 Dec'), 3),
      undefined,
      'the quoted offer is not an answer',
    );
  });
});

describe('one client profile per lead', () => {
  test('a lead for a client memory knows (by email or by name) adds to that client; a new one gets one profile', async () => {
    const store = new SqliteStore(tempDir());
    await store.init();
    const memory = new MemoryService({ store, logger: pino({ level: 'silent' }) });
    try {
      await memory.remember({ text: 'Acme Corp: billing email jane@acme.example, pays net 30', source: {} });
      const byEmail = await canonicalClient(
        memory,
        store.memories,
        { name: 'Jane Doe', email: 'jane@acme.example', notes: 'a rebrand' },
        { runId: 'r1' },
      );
      assert.deepEqual(
        [byEmail.key, byEmail.name, byEmail.email, byEmail.existing],
        ['client:acme-corp', 'Acme Corp', 'jane@acme.example', true],
      );
      const byName = await canonicalClient(
        memory,
        store.memories,
        { name: 'Acme', email: 'ceo@acme.example' },
        { runId: 'r2' },
      );
      assert.deepEqual([byName.key, byName.existing], ['client:acme-corp', true]);
      const fresh = await canonicalClient(
        memory,
        store.memories,
        { name: 'Globex', email: 'hank@globex.example', notes: 'needs messaging' },
        { runId: 'r3' },
      );
      const again = await canonicalClient(
        memory,
        store.memories,
        { name: 'Hank', email: 'hank@globex.example' },
        { runId: 'r4' },
      );
      assert.deepEqual(
        [fresh.key, fresh.existing, again.key, again.existing],
        ['client:globex', false, 'client:globex', true],
      );
      const profiles = (await store.memories.byEntity('client:globex', 50)).filter((m) => m.kind === 'client');
      assert.deepEqual(
        profiles.map((m) => m.text),
        ['Globex: lead, email hank@globex.example. needs messaging'],
      );
      assert.ok(
        (await store.memories.byEntity('client:acme-corp', 50)).some(
          (m) => m.text === 'Acme Corp: email ceo@acme.example; new enquiry',
        ),
      );
    } finally {
      await memory.close();
      await store.close();
    }
  });
});
