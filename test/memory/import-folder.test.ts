// /import reads only from the import folder (IMPORT_DIR): a compromised chat account must not become a file reader.
// Through the real app's web API: paths outside, `..`, links out, FIFOs (which would block an open forever),
// oversized files, link loops, and what the bare command says.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { SoloApp } from '../../src/main.ts';
import { say, startTestApp, tempDir } from '../support/app.ts';

const SECRET = 'Top secret outside line that must never be imported';

const hasMkfifo = (() => {
  try {
    execFileSync('mkfifo', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Every memory text in the store, to prove nothing from outside got in. */
async function allTexts(app: SoloApp): Promise<string> {
  return (await app.store.memories.scan(undefined, 10_000)).map((m) => m.text).join('\n');
}

describe('/import reads only the import folder', () => {
  let app: SoloApp;
  let dir: string;
  let outside: string;

  before(async () => {
    app = await startTestApp({ RATE_LIMIT_PER_MINUTE: '0' });
    dir = app.config.IMPORT_DIR;
    outside = tempDir('solo-outside-');
    writeFileSync(join(outside, 'secret.txt'), `${SECRET}.\n`);
    mkdirSync(join(outside, 'private'));
    writeFileSync(join(outside, 'private', 'diary.md'), `${SECRET} (diary).\n`);
  });
  after(() => app.stop());

  test('the import folder defaults to <DATA_DIR>/import and exists from the start', async () => {
    assert.equal(dir, join(app.config.DATA_DIR, 'import'));
    const [reply] = await say(app.url, '/import');
    assert.equal(
      reply?.text,
      `Import what? Put a CSV or a folder of .md/.txt notes in the import folder, ${dir}, and give its name, e.g. /import clients.csv or /import notes. It is empty.`,
    );
  });

  test('an absolute path, a ~ path or a .. path outside the folder is refused with one sentence naming the folder', async () => {
    const refusal = `I only import from the import folder, ${dir}: put the file or folder there and give its name, e.g. /import clients.csv.`;
    for (const path of [
      join(outside, 'secret.txt'),
      '/etc/passwd',
      '../../secret.txt',
      `../${join('..', outside, 'secret.txt')}`,
      '~/.bashrc',
      join(outside, 'nope.txt'),
    ]) {
      const [reply] = await say(app.url, `/import ${path}`);
      assert.equal(reply?.text, refusal, path);
    }
    if (!homedir().startsWith(dir)) assert.equal((await say(app.url, '/import ~'))[0]?.text, refusal);
    assert.doesNotMatch(await allTexts(app), /Top secret/);
  });

  test('a .txt link to a file outside is refused, and so is a link to a folder outside', async () => {
    symlinkSync(join(outside, 'secret.txt'), join(dir, 'link.txt'));
    symlinkSync('/etc/passwd', join(dir, 'passwd.txt'));
    symlinkSync(join(outside, 'private'), join(dir, 'private'));
    assert.equal(
      (await say(app.url, '/import link.txt'))[0]?.text,
      `link.txt is a link to somewhere outside the import folder (${dir}), so it was not read.`,
    );
    assert.equal(
      (await say(app.url, '/import passwd.txt'))[0]?.text,
      `passwd.txt is a link to somewhere outside the import folder (${dir}), so it was not read.`,
    );
    assert.match(
      (await say(app.url, '/import private'))[0]?.text ?? '',
      /^private is a link to somewhere outside the import folder/,
    );
    assert.doesNotMatch(await allTexts(app), /Top secret|root:/);
  });

  test('a folder walk imports what is inside, skips links out with a reason, and ends on a link loop', async () => {
    const notes = join(dir, 'notes');
    mkdirSync(join(notes, 'sub'), { recursive: true });
    writeFileSync(join(notes, 'globex.md'), 'Globex wants the brochure by friday.\n');
    writeFileSync(join(notes, 'sub', 'hooli.txt'), 'Hooli asked for a second quote.\n');
    symlinkSync(join(outside, 'secret.txt'), join(notes, 'stolen.txt'));
    symlinkSync(join(outside, 'private'), join(notes, 'elsewhere'));
    symlinkSync(notes, join(notes, 'sub', 'loop'));
    symlinkSync(join(notes, 'globex.md'), join(notes, 'same-globex.md'));
    const [reply] = await say(app.url, '/import notes');
    const text = reply?.text ?? '';
    assert.match(
      text,
      /^Imported notes: 2 created, 0 updated, 2 skipped\.\nSkipped:\n/,
      'a link to a file already imported and a link back up the tree are walked once',
    );
    assert.match(text, /- elsewhere: a link out of the import folder/);
    assert.match(text, /- stolen\.txt: a link out of the import folder/);
    assert.doesNotMatch(await allTexts(app), /Top secret/);
    const [recall] = await say(app.url, '/recall Hooli quote');
    assert.match(recall?.text ?? '', /Hooli asked for a second quote/);
  });

  test(
    'a FIFO named .txt is refused without opening it (opening would block forever)',
    { skip: hasMkfifo ? false : 'mkfifo is not installed', timeout: 20_000 },
    async () => {
      execFileSync('mkfifo', [join(dir, 'pipe.txt')]);
      assert.equal(
        (await say(app.url, '/import pipe.txt'))[0]?.text,
        'pipe.txt is a pipe, not a file or folder, so it was not read.',
      );
      mkdirSync(join(dir, 'piped'));
      writeFileSync(join(dir, 'piped', 'ok.md'), 'Initech pays on the 15th.\n');
      execFileSync('mkfifo', [join(dir, 'piped', 'fifo.md')]);
      const [walked] = await say(app.url, '/import piped');
      assert.equal(
        walked?.text,
        'Imported piped: 1 created, 0 updated, 1 skipped.\nSkipped:\n- fifo.md: a pipe, not a regular file',
      );
    },
  );

  test('a file over the size limit gets one sentence; in a folder it is a line of the report', async () => {
    writeFileSync(join(dir, 'huge.md'), ''); // made sparse and large: nothing is written
    truncateSync(join(dir, 'huge.md'), 6 * 1024 * 1024);
    assert.equal(
      (await say(app.url, '/import huge.md'))[0]?.text,
      'huge.md was not imported: 6.0 MB, over the 5 MB limit for one file.',
    );
    mkdirSync(join(dir, 'big'));
    writeFileSync(join(dir, 'big', 'small.md'), 'Umbrella Corp prefers calls.\n');
    writeFileSync(join(dir, 'big', 'clients.csv'), '');
    truncateSync(join(dir, 'big', 'clients.csv'), 21 * 1024 * 1024);
    const [walked] = await say(app.url, '/import big');
    assert.equal(
      walked?.text,
      'Imported big: 1 created, 0 updated, 1 skipped.\nSkipped:\n- clients.csv: 21.0 MB, over the 20 MB limit for one file',
    );
  });

  test('the bare command lists what is in the folder', async () => {
    const [reply] = await say(app.url, '/import');
    assert.match(reply?.text ?? '', /In it now: big\/, huge\.md, link\.txt, notes\/, passwd\.txt, .*private/);
  });
});

test('IMPORT_DIR moves the import folder; the default one is then not read', async () => {
  const custom = join(tempDir('solo-import-'), 'inbox');
  const app = await startTestApp({ IMPORT_DIR: custom });
  try {
    writeFileSync(join(custom, 'acme.md'), 'Acme Corp renews in may.\n');
    assert.equal(
      (await say(app.url, '/import acme.md'))[0]?.text,
      'Imported acme.md: 1 created, 0 updated, 0 skipped.',
    );
    mkdirSync(join(app.config.DATA_DIR, 'import'), { recursive: true });
    writeFileSync(join(app.config.DATA_DIR, 'import', 'other.md'), 'Not here.\n');
    assert.match(
      (await say(app.url, `/import ${join(app.config.DATA_DIR, 'import', 'other.md')}`))[0]?.text ?? '',
      /^I only import from the import folder, /,
    );
  } finally {
    await app.stop();
  }
});
