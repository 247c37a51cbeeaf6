// What the start-up store check costs: SQLite's quick_check (run at every start) and, for comparison, the full
// integrity_check, on a store of a given size filled through the real store (events with message-sized payloads
// and memories with their keyword index), with the file in the page cache and with it dropped from the cache.
// Usage: node bench/store-check.ts [megabytes=100]

import { execFileSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { newEvent } from '../src/domain/events.ts';
import { SQLITE_FILE, SqliteStore } from '../adapters/stores/sqlite/index.ts';
import { line, summary } from './stats.ts';

const targetMb = Number(process.argv[2] ?? 100);
const dir = mkdtempSync(join(tmpdir(), 'solo-bench-check-'));
const file = join(dir, SQLITE_FILE);
const store = new SqliteStore(dir);
await store.init();

const words =
  'client invoice meeting budget proposal website follow-up quote renewal contract design review call notes'.split(' ');
const text = (i: number, n: number): string =>
  Array.from({ length: n }, (_, j) => words[(i * 7 + j * 3) % words.length]).join(' ');
let i = 0;
while (statSync(file).size / 1048576 < targetMb) {
  await store.events.appendMany(
    Array.from({ length: 2000 }, () => {
      i++;
      return newEvent('message.received', `chat:bench:${i % 50}`, {
        channel: 'bench',
        chatId: String(i % 50),
        senderId: 'op',
        text: `message ${i}: ${text(i, 60)}`,
      });
    }),
  );
  for (let m = 0; m < 100; m++)
    await store.memories.add({
      text: `Client ${i + m}: ${text(i + m, 40)}`,
      kind: 'fact',
      entities: [`client:c${(i + m) % 500}`],
      importance: 0.5,
      source: { channel: 'bench' },
    });
}
await store.close();
const mb = statSync(file).size / 1048576;

/** Wall time of one check; its CPU time (less affected by other processes on a shared machine) goes to `cpu`. */
const cpu: Record<string, number[]> = {};
function time(pragma: string, cold: boolean): number {
  // Dropping only this file from the page cache (GNU dd's nocache flag) stands in for the first start after a boot.
  if (cold) execFileSync('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none']);
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const db = new DatabaseSync(file);
  const [row] = db.prepare(`PRAGMA ${pragma}`).all() as Record<string, string>[];
  db.close();
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpuStarted);
  (cpu[`${pragma}${cold ? ' uncached' : ''}`] ??= []).push((used.user + used.system) / 1000);
  if (Object.values(row ?? {})[0] !== 'ok') throw new Error(`${pragma} did not answer ok`);
  return ms;
}

const runs = 5;
const results: [string, number[]][] = [];
for (const pragma of ['quick_check', 'integrity_check']) {
  for (const cold of [false, true])
    results.push([
      `${pragma}${cold ? ' (file dropped from cache)' : ' (file in cache)'}`,
      Array.from({ length: runs }, () => time(pragma, cold)),
    ]);
}
line(
  `store`,
  `${mb.toFixed(0)} MB: ${i.toLocaleString('en')} events, ${((i / 2000) * 100).toLocaleString('en')} memories`,
);
for (const [name, ms] of results) line(name, summary(ms, 'ms', 0));
for (const [name, ms] of Object.entries(cpu)) line(`  CPU time, ${name}`, summary(ms, 'ms', 0));
line('load average (1 min) while measuring', (await import('node:os')).loadavg()[0]?.toFixed(1) ?? '?');
const median = (ms: number[] | undefined): number => [...(ms ?? [])].sort((a, b) => a - b)[Math.floor(runs / 2)] ?? NaN;
line(
  'quick_check per MB (median)',
  `${(median(results[0]?.[1]) / mb).toFixed(2)} ms cached, ${(median(results[1]?.[1]) / mb).toFixed(2)} ms uncached`,
);
