// `npm run models` (scripts/models.ts) as a user runs it: downloads from a hub (a local fake here) with progress,
// verifies offline, says so when the model is already there, and fails in one sentence when the hub is unreachable.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateTinyModel } from '../support/tiny-model.ts';
import { startFakeHub, type FakeHub } from './fake-hub.ts';

const SCRIPT = fileURLToPath(new URL('../../scripts/models.ts', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'solo-models-'));
let hub: FakeHub;

/** Runs the script as a child process (asynchronously: the fake hub lives in this process). */
const run = (...args: string[]) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [SCRIPT, ...args],
      { cwd: root, env: { PATH: process.env['PATH'] ?? '' }, timeout: 60_000 },
      (err, stdout, stderr) =>
        resolve({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }),
    );
  });

/** A port nothing listens on: bound, then released. */
const closedPort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

before(async () => {
  await generateTinyModel(join(root, 'hub', 'acme/tiny'), { dtypes: ['q8'] });
  hub = await startFakeHub(join(root, 'hub'));
});
after(async () => {
  await hub.close();
  rmSync(root, { recursive: true, force: true });
});

test('downloads with a progress line, verifies offline, then knows it is there', async () => {
  const first = await run('--model', 'acme/tiny', '--dir', 'models', '--hub', hub.url);
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stderr, /Downloading acme\/tiny \(q8\) into .*models: 100%/);
  assert.match(first.stdout, /Downloaded acme\/tiny \(q8\)/);
  assert.match(first.stdout, /Verified offline: one sentence → 64-d vector/);
  assert.ok(existsSync(join(root, 'models/acme/tiny/onnx/model_quantized.onnx')));

  const second = await run('--model', 'acme/tiny', '--dir', 'models', '--hub', hub.url);
  assert.equal(second.status, 0, second.stderr);
  assert.match(second.stdout, /already in/);
  assert.match(second.stdout, /Verified offline/);
});

test('an unreachable hub is one sentence and exit 1', async () => {
  const r = await run('--model', 'acme/other', '--dir', 'models2', '--hub', `http://127.0.0.1:${await closedPort()}/`);
  assert.equal(r.status, 1);
  assert.match(
    r.stderr.trim(),
    /^Could not download acme\/other: the model hub is unreachable from here \(.*ECONNREFUSED.*\); check the network and run this again\.$/,
  );
});

test('a model the hub does not have, and bad flags, are one sentence each', async () => {
  const missing = await run('--model', 'acme/nothing', '--dir', 'models3', '--hub', hub.url);
  assert.equal(missing.status, 1);
  assert.match(
    missing.stderr.trim(),
    /^Could not download acme\/nothing: the model hub has no config.json for it; check --model and --dtype\.$/,
  );
  assert.equal(missing.stderr.trim().split('\n').length, 1);
  const bad = await run('--dtype', 'q9');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /Unknown dtype q9/);
});
