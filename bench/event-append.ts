// Event append throughput on the embedded store (SQLite file on disk): batched and one at a time.
// Usage: node bench/event-append.ts [events=100000] [batch=1000]

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newEvent, type NewEvent } from '../src/domain/events.ts';
import { SqliteStore } from '../adapters/stores/sqlite/index.ts';
import { line, summary } from './stats.ts';

const total = Number(process.argv[2] ?? 100_000);
const batch = Number(process.argv[3] ?? 1000);
const store = new SqliteStore(mkdtempSync(join(tmpdir(), 'solo-bench-')));
await store.init();

const event = (i: number): NewEvent =>
  newEvent('message.received', `chat:bench:${i % 50}`, {
    channel: 'bench',
    chatId: String(i % 50),
    senderId: 'op',
    text: `message number ${i} with some text`,
  });

let t = performance.now();
const batchMs: number[] = [];
for (let i = 0; i < total; i += batch) {
  const b = performance.now();
  await store.events.appendMany(Array.from({ length: Math.min(batch, total - i) }, (_, j) => event(i + j)));
  batchMs.push(performance.now() - b);
}
const batched = total / ((performance.now() - t) / 1000);

const singles = Math.min(20_000, total);
const singleMs: number[] = [];
t = performance.now();
for (let i = 0; i < singles; i++) {
  const s = performance.now();
  await store.events.append(event(i));
  singleMs.push((performance.now() - s) * 1000);
}
const single = singles / ((performance.now() - t) / 1000);

t = performance.now();
for (let i = 0; i < 1000; i++) await store.events.readStream(`chat:bench:${i % 50}`, { afterSeq: 1000, limit: 50 });
const readMs = (performance.now() - t) / 1000;

line(`append, batches of ${batch}`, `${Math.round(batched).toLocaleString('en')} events/s`, '≥ 10,000 events/s');
line(`  per batch`, summary(batchMs, 'ms', 2));
line('append, one per transaction', `${Math.round(single).toLocaleString('en')} events/s`);
line('  per append', summary(singleMs, 'µs', 0));
line('readStream (50 events)', `${(readMs * 1000).toFixed(0)} µs each`);
await store.close();
