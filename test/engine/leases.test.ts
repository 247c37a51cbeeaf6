// Two real processes on one SQLite file, both resuming the same unfinished runs at the same moment: each run is
// executed by exactly one of them (its lease in the store), and every run completes.

import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { SqliteStore } from '../../adapters/stores/sqlite/index.ts';
import { tempDir } from '../support/app.ts';
import { origin } from './harness.ts';

const CHILD = fileURLToPath(new URL('./lease-child.ts', import.meta.url));
const RUNS = 60;

describe('run leases across processes', () => {
  test('two processes resuming the same runs execute each run once', async () => {
    const dir = tempDir('solo-lease-');
    const log = join(dir, 'executions.log');
    writeFileSync(log, '');
    const store = new SqliteStore(dir);
    await store.init();
    const now = new Date();
    for (let i = 0; i < RUNS; i++)
      await store.runs.create({
        id: `r${i}`,
        workflow: 'leased',
        version: 1,
        status: 'running',
        input: {},
        origin,
        createdAt: now,
        updatedAt: now,
      });
    await store.close();

    const children = [0, 1].map(() => fork(CHILD, [dir, log], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] }));
    await Promise.all(children.map((c) => new Promise((resolve) => c.once('message', resolve))));
    for (const c of children) c.send('go');
    const resumed = await Promise.all(
      children.map(
        (c) =>
          new Promise<number>((resolve, reject) => {
            let out = '';
            c.stdout?.on('data', (d: Buffer) => (out += d.toString()));
            c.once('exit', (code) =>
              code === 0 ? resolve(Number(out.trim())) : reject(new Error(`child exited with ${code}`)),
            );
          }),
      ),
    );

    const lines = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(' '));
    const executions = lines.map(([id]) => id);
    const counts = new Map<string, number>();
    for (const id of executions) counts.set(id ?? '', (counts.get(id ?? '') ?? 0) + 1);
    assert.deepEqual(
      [...counts.entries()].filter(([, n]) => n > 1),
      [],
      'no run executed twice',
    );
    assert.equal(counts.size, RUNS, 'every run executed');
    assert.equal(
      new Set(lines.map(([, pid]) => pid)).size,
      2,
      `both processes executed runs (each found ${resumed.join(' and ')} free)`,
    );

    const check = new SqliteStore(dir);
    await check.init();
    const runs = await check.runs.list({ limit: RUNS + 1 });
    assert.deepEqual(new Set(runs.map((r) => r.status)), new Set(['completed']));
    await check.close();
  });
});
