// Solo OS as a user runs it: a child process started from bin/solo.js.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { say, tempDir } from '../support/app.ts';
import { BIN, killHard, runToExit, startProcess } from '../support/process.ts';

describe('process lifecycle', () => {
  test('a note acknowledged before kill -9 is recalled after a restart on the same DATA_DIR', async () => {
    const DATA_DIR = tempDir();
    const first = await startProcess({ DATA_DIR });
    const acked: string[] = [];
    for (let i = 0; i < 20; i++) {
      const [reply] = await say(first.url, `/remember Durable fact number ${i} about Wonka Industries`);
      acked.push(/#(\d+)/.exec(reply?.text ?? '')?.[1] ?? '');
    }
    await killHard(first.child);
    const second = await startProcess({ DATA_DIR });
    try {
      const [found] = await say(second.url, '/recall wonka');
      const ids = [...(found?.text ?? '').matchAll(/^#(\d+)/gm)].map((m) => m[1]);
      assert.equal(ids.length, 5, 'recall shows the top five');
      assert.ok(ids.every((id) => acked.includes(id ?? '')));
      const [exact] = await say(second.url, '/recall number 19');
      assert.match(exact?.text ?? '', new RegExp(`^#${acked[19]} Durable fact number 19 `));
    } finally {
      await killHard(second.child);
    }
  });

  test('SIGTERM stops cleanly with exit code 0', async () => {
    const started = await startProcess({ DATA_DIR: tempDir() });
    const exited = new Promise<number | null>((resolve) => started.child.once('exit', resolve));
    started.child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.match(started.output(), /Solo OS stopped/);
  });

  test('an unreachable MongoDB ends the start within 10 s with one clear sentence', async () => {
    // A start still hanging at 10 s is killed, and then the sentence below is missing.
    const result = await runToExit([BIN], { MONGODB_URI: 'mongodb://127.0.0.1:1/solo', PORT: '0' }, 10_000);
    assert.equal(result.code, 1, result.stderr);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0] ?? '', /^Cannot reach MongoDB at mongodb:\/\/127\.0\.0\.1:1\/solo .*check MONGODB_URI/);
  });

  test('bad settings: one line per problem, no stack trace, exit 1', async () => {
    const result = await runToExit([BIN], { PORT: 'eighty', HOST: '0.0.0.0', DATA_DIR: tempDir() });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^ {2}PORT: expected a port number/m);
    assert.match(result.stderr, /^ {2}WEB_TOKEN: required when HOST is not a loopback address/m);
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  });

  test('a busy port: exit 1, one sentence naming the port, nothing created', async () => {
    const running = await startProcess({ DATA_DIR: tempDir() });
    try {
      const port = new URL(running.url).port;
      const dataDir = join(tempDir(), 'data');
      const result = await runToExit([BIN], { PORT: port, DATA_DIR: dataDir, EMBEDDING_MODEL: 'off' });
      assert.equal(result.code, 1);
      assert.equal(
        result.stderr.trim(),
        `Port ${port} is already in use; stop the other program or set PORT to a free port.`,
      );
      assert.equal(result.stdout, '');
      assert.equal(existsSync(dataDir), false, 'DATA_DIR was not created');
    } finally {
      await killHard(running.child);
    }
  });

  test('--help lists every setting', async () => {
    const result = await runToExit([BIN, '--help'], {});
    assert.equal(result.code, 0);
    for (const name of [
      'PORT',
      'HOST',
      'WEB_TOKEN',
      'DATA_DIR',
      'IMPORT_DIR',
      'APPROVAL_EXPIRY_HOURS',
      'MONGODB_URI',
      'LOG_LEVEL',
      'OPENAI_MODEL',
    ])
      assert.match(result.stdout, new RegExp(`^  ${name} `, 'm'));
  });

  const oldNode = ['/usr/bin/node', '/usr/local/bin/node'].find(
    (p) =>
      existsSync(p) &&
      Number(execFileSync(p, ['-p', 'process.versions.node'], { encoding: 'utf8' }).split('.')[0]) < 24,
  );
  test(
    'an older Node stops with one sentence saying Node 24 is needed',
    { skip: oldNode ? false : 'no Node older than 24 on this machine' },
    async () => {
      for (const script of [BIN, fileURLToPath(new URL('../../scripts/check-node.cjs', import.meta.url))]) {
        const result = await runToExit([script], {}, 10_000, oldNode);
        assert.equal(result.code, 1);
        assert.match(
          result.stderr.trim(),
          /^Solo OS needs Node\.js 24 or newer \(this is Node \d+\.[\d.]+\); install Node 24 LTS and run the command again\.$/,
        );
      }
    },
  );
});
