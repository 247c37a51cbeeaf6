// A year of use: writes a store with a year of history straight through the store's bulk copy (1M events, 100k
// memories with 384-d vectors, 10k finished runs with their steps and approvals, 5k invoices), then starts the real
// process on it (`node bin/solo.js`) and measures cold start to /healthz, RSS (at ready, once the recall index is
// built, idle), and the latency of /recall, /runs and /costs through the web API. Figures are printed, never asserted.
//
// Usage: node bench/year.ts [--events=1000000] [--memories=100000] [--runs=10000] [--invoices=5000] [--starts=5]
//                           [--dir=PATH (reuse or keep the store)] [--embedding=off|vectors|both] [--idle=3]

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SqliteStore } from '../adapters/stores/sqlite/index.ts';
import type { StoredEvent } from '../src/domain/events.ts';
import type { ApprovalRecord, Invoice, RunRecord, StepRecord } from '../src/ports/engine-store.ts';
import type { CopyRecords, CopyTable } from '../src/ports/store-copy.ts';
import type { Memory } from '../src/ports/store.ts';
import { prng } from '../test/support/prng.ts';
import { makeCorpus } from './recall.ts';
import { line, summary } from './stats.ts';

const BIN = fileURLToPath(new URL('../bin/solo.js', import.meta.url));
const MODEL = 'Xenova/all-MiniLM-L6-v2';
const DAY = 86_400_000;

const arg = (name: string, fallback: string): string =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const N = {
  events: Number(arg('events', '1000000')),
  memories: Number(arg('memories', '100000')),
  runs: Number(arg('runs', '10000')),
  invoices: Number(arg('invoices', '5000')),
};
const STARTS = Number(arg('starts', '5'));
/** Starts whose idle RSS is read (malloc and GC timing move it by ±10 MB from one start to the next). */
const IDLE = Math.max(1, Number(arg('idle', '3')));
const EMBEDDING = arg('embedding', 'both');

// ---- Writing a year -------------------------------------------------------------------------------------------

class Writer {
  readonly #store: SqliteStore;
  readonly #buffers = new Map<CopyTable, unknown[]>();
  readonly #seq = new Map<string, number>();
  position = 0;
  constructor(store: SqliteStore) {
    this.#store = store;
  }
  async add<T extends CopyTable>(table: T, record: CopyRecords[T]): Promise<void> {
    let buffer = this.#buffers.get(table);
    if (!buffer) this.#buffers.set(table, (buffer = []));
    buffer.push(record);
    if (buffer.length >= 10_000) await this.flush(table);
  }
  async event(
    stream: string,
    type: StoredEvent['type'],
    at: number,
    data: unknown,
    dedupeKey?: string,
  ): Promise<number> {
    const seq = (this.#seq.get(stream) ?? 0) + 1;
    this.#seq.set(stream, seq);
    const position = ++this.position;
    await this.add('events', {
      type,
      v: 1,
      stream,
      seq,
      position,
      at: new Date(at),
      data,
      ...(dedupeKey ? { dedupeKey } : {}),
    } as StoredEvent);
    return position;
  }
  async flush(table?: CopyTable): Promise<void> {
    for (const [t, buffer] of this.#buffers) {
      if ((table && t !== table) || buffer.length === 0) continue;
      await this.#store.copy.write(t, buffer as never);
      buffer.length = 0;
    }
  }
}

async function writeYear(dir: string): Promise<void> {
  const started = performance.now();
  const store = new SqliteStore(dir, { idleCheckpoints: false });
  await store.init();
  const w = new Writer(store);
  const r = prng(7);
  const corpus = makeCorpus(N.memories, 42);
  const now = Date.now();
  const start = now - 365 * DAY;
  const perDay = (n: number) => n / 365;
  // What a day holds, spread evenly: memories, runs (7 events and one model call each), chat model calls (each with
  // a budget reservation and settlement), and chat messages for the rest of the event budget.
  const runEvents = N.runs * 8;
  const chatCalls = Math.round(N.events * 0.09);
  const chatMessages = Math.max(0, N.events - N.memories - runEvents - chatCalls * 3 - N.runs * 2);
  let memoryNo = 0;
  let runNo = 0;
  let invoiceNo = 0;
  let callNo = 0;
  let messageNo = 0;
  const dayOf = (at: number) => new Date(at).toISOString().slice(0, 10);
  for (let d = 0; d < 365; d++) {
    const dayStart = start + d * DAY;
    const due = (total: number, done: number) => Math.round(perDay(total) * (d + 1)) - done;
    const slots: ((at: number) => Promise<void>)[] = [];
    for (let i = due(N.memories, memoryNo); i > 0; i--) {
      slots.push(async (at) => {
        const k = memoryNo++;
        const client = corpus.clients[corpus.clientOf[k]!]!;
        const entity = `client:${client.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
        const position = await w.event('memory', 'memory.added', at, {
          memoryId: String(k + 1),
          kind: 'fact',
          text: corpus.texts[k],
          entities: [entity],
          channel: 'web',
        });
        const memory: Memory = {
          id: String(k + 1),
          text: corpus.texts[k]!,
          kind: k % 50 === 0 ? 'client' : 'fact',
          entities: [entity],
          importance: Math.round(r() * 10) / 10,
          createdAt: new Date(at),
          updatedAt: new Date(at),
          source: { channel: 'web', eventPosition: position },
          ...(k % 50 === 0 ? { subject: client } : {}),
          ...(k % 97 === 0 ? { forgottenAt: new Date(at + DAY) } : {}),
        };
        await w.add('memories', memory);
        if (EMBEDDING !== 'off')
          await w.add('memory_vectors', { model: MODEL, id: memory.id, vector: Array.from(corpus.vectors[k]!) });
      });
    }
    for (let i = due(N.runs, runNo); i > 0; i--) {
      slots.push(async (at) => {
        const k = runNo++;
        const invoice = k % 2 === 0 && invoiceNo < N.invoices;
        const id = `r${k.toString(36).padStart(6, '0')}`;
        const status = k % 20 === 1 ? 'failed' : k % 20 === 3 ? 'cancelled' : 'completed';
        const stream = `run:${id}`;
        const run: RunRecord = {
          id,
          workflow: invoice ? 'invoice' : 'draft',
          version: 1,
          status,
          input: invoice
            ? { client: corpus.clients[k % 500], amountMinor: 10_000 + k, currency: 'EUR' }
            : { request: `Follow up with ${corpus.clients[k % 500]}` },
          origin: { channel: 'web', chatId: 'operator' },
          createdAt: new Date(at),
          updatedAt: new Date(at + 60_000),
          ...(status === 'failed' ? { error: { message: 'the mail server refused the message' } } : {}),
        };
        await w.add('runs', run);
        await w.event(stream, 'run.started', at, { runId: id, workflow: run.workflow, version: 1 });
        for (const [s, stepId] of ['draft', 'approve', 'record'].entries()) {
          const step: StepRecord = {
            runId: id,
            stepId,
            seq: s + 1,
            kind: stepId === 'approve' ? 'approval' : 'run',
            status: 'completed',
            failures: 0,
            idempotencyKey: `${id}:${stepId}`,
            startedAt: new Date(at + s * 1000),
            finishedAt: new Date(at + s * 1000 + 500),
            durationMs: 500,
            result: { ok: true },
          };
          await w.add('steps', step);
          await w.event(stream, 'step.completed', at + s * 1000 + 500, {
            runId: id,
            stepId,
            kind: step.kind,
            attempts: 1,
            durationMs: 500,
            replayed: false,
          });
        }
        const approval: ApprovalRecord = {
          id: `a${id}`,
          runId: id,
          stepId: 'approve',
          status: status === 'cancelled' ? 'cancelled' : 'approved',
          card: { title: run.workflow === 'invoice' ? 'Invoice' : 'Send draft', details: [] },
          createdAt: new Date(at + 1000),
          expiresAt: new Date(at + 3 * DAY),
          decidedAt: new Date(at + 1500),
          decidedBy: 'operator',
          decidedVia: 'web',
        };
        await w.add('approvals', approval);
        await w.event(stream, 'approval.requested', at + 1000, {
          runId: id,
          approvalId: approval.id,
          stepId: 'approve',
          title: approval.card.title,
          expiresAt: approval.expiresAt.toISOString(),
        });
        await w.event(stream, 'approval.decided', at + 1500, {
          runId: id,
          approvalId: approval.id,
          decision: approval.status,
          by: 'operator',
          via: 'web',
        });
        const call = `c${callNo++}`;
        await w.event(
          stream,
          'llm.called',
          at + 200,
          {
            callId: call,
            model: 'gpt-4o-mini',
            agent: 'draft',
            runId: id,
            promptTokens: 900,
            completionTokens: 300,
            costUsd: 0.0003,
            latencyMs: 1200,
            attempts: 1,
            fallback: false,
          },
          `llm:${call}`,
        );
        await w.event(
          `budget:run:${id}`,
          'budget.reserved',
          at + 100,
          {
            reservationId: call,
            scopes: [`run:${id}`, `agent:draft:${dayOf(at)}`, `day:${dayOf(at)}`],
            estimateUsd: 0.0005,
            runId: id,
            agent: 'draft',
          },
          `budget:reserve:${call}`,
        );
        await w.event(
          `budget:run:${id}`,
          'budget.settled',
          at + 300,
          { reservationId: call, actualUsd: 0.0003 },
          `budget:settle:${call}`,
        );
        await w.event(stream, 'run.finished', at + 3000, { runId: id, workflow: run.workflow, status });
        if (invoice && status === 'completed') {
          const number = ++invoiceNo;
          const record: Invoice = {
            number,
            client: corpus.clients[k % 500]!,
            amountMinor: 10_000 + k,
            currency: 'EUR',
            runId: id,
            idempotencyKey: `${id}:record`,
            status: number % 40 === 0 ? 'void' : 'recorded',
            createdAt: new Date(at + 2500),
          };
          await w.add('invoices', record);
        }
      });
    }
    for (let i = due(chatCalls, callNo - runNo); i > 0; i--) {
      slots.push(async (at) => {
        const call = `c${callNo++}`;
        await w.event(
          'budget',
          'budget.reserved',
          at,
          {
            reservationId: call,
            scopes: [`agent:router:${dayOf(at)}`, `day:${dayOf(at)}`],
            estimateUsd: 0.0002,
            agent: 'router',
          },
          `budget:reserve:${call}`,
        );
        await w.event(
          'llm',
          'llm.called',
          at + 100,
          {
            callId: call,
            model: 'gpt-4o-mini',
            agent: 'router',
            promptTokens: 531,
            completionTokens: 40,
            costUsd: 0.0001,
            latencyMs: 600,
            attempts: 1,
            fallback: false,
          },
          `llm:${call}`,
        );
        await w.event(
          'budget',
          'budget.settled',
          at + 150,
          { reservationId: call, actualUsd: 0.0001 },
          `budget:settle:${call}`,
        );
      });
    }
    for (let i = due(chatMessages, messageNo); i > 0; i -= 2) {
      slots.push(async (at) => {
        const k = messageNo;
        messageNo += 2;
        const [channel, chat] = k % 5 === 0 ? ['telegram', '4242'] : ['web', 'operator'];
        const stream = `chat:${channel}:${chat}`;
        await w.event(
          stream,
          'message.received',
          at,
          { channel, chatId: chat, senderId: chat, text: `message ${k}: ${corpus.texts[k % corpus.texts.length]}` },
          `in:${channel}:m${k}`,
        );
        await w.event(stream, 'message.sent', at + 800, {
          channel,
          chatId: chat,
          text: `Noted: ${corpus.texts[(k + 1) % corpus.texts.length]}`,
          buttons: [],
        });
      });
    }
    // The day's events in a shuffled order; positions and times rise together as in a real log.
    for (let i = slots.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [slots[i], slots[j]] = [slots[j]!, slots[i]!];
    }
    // The last day ends now, so today's budget and costs are in it.
    const length = d === 364 ? Math.min(DAY, now - dayStart - 60_000) : DAY;
    for (const [i, slot] of slots.entries()) await slot(dayStart + (i / slots.length) * length);
  }
  await w.flush();
  await store.settings.set('currency', 'EUR');
  await store.close();
  const size = statSync(join(dir, 'solo.db')).size;
  line(
    'written',
    `${w.position.toLocaleString('en')} events, ${memoryNo.toLocaleString('en')} memories, ${runNo.toLocaleString('en')} runs, ${invoiceNo.toLocaleString('en')} invoices`,
  );
  line(
    'store size',
    `${(size / 1e6).toFixed(0)} MB, written in ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
}

// ---- Measuring the process ----------------------------------------------------------------------------------

const rssMb = (pid: number): number =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
/** CPU time (user + system) the process has used, in ms: what a start costs whatever else the machine is doing. */
const cpuMs = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /, '')
    .split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Running {
  pid: number;
  url: string;
  readyMs: number;
  /** CPU time used by then. */
  readyCpuMs: number;
  output: () => string;
  stop: () => Promise<void>;
}

async function start(dir: string, embedding: 'off' | 'vectors'): Promise<Running> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [BIN], {
    env: {
      PATH: process.env['PATH'] ?? '',
      DATA_DIR: dir,
      PORT: '0',
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'debug',
      RATE_LIMIT_PER_MINUTE: '0',
      POLICIES_DIR: join(scratch, 'policies'),
      MODELS_DIR: join(scratch, 'models'),
      EMBEDDING_DOWNLOAD: 'no',
      EMBEDDING_MODEL: embedding === 'off' ? 'off' : MODEL,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /"url":"(http:[^"]+)"/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
  const res = await fetch(`${url}/healthz`);
  if (res.status !== 200) throw new Error(`/healthz answered ${res.status}`);
  const readyMs = performance.now() - t0;
  const readyCpuMs = cpuMs(child.pid ?? 0);
  return {
    pid: child.pid ?? 0,
    url,
    readyMs,
    readyCpuMs,
    output: () => out,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function timed(url: string, text: string): Promise<{ ms: number; reply: string }> {
  const t = performance.now();
  const res = await fetch(`${url}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text }),
  });
  const body = (await res.json()) as { messages?: { text: string }[] };
  if (res.status !== 200) throw new Error(`${text} answered ${res.status}: ${JSON.stringify(body)}`);
  return { ms: performance.now() - t, reply: body.messages?.[0]?.text ?? '' };
}

async function measure(dir: string, embedding: 'off' | 'vectors'): Promise<void> {
  console.log(
    `\n-- recall ${embedding === 'off' ? 'on keywords (EMBEDDING_MODEL=off)' : `with ${N.memories.toLocaleString('en')} stored 384-d vectors loaded into the index`}`,
  );
  const starts: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < STARTS - 1; i++) {
    const run = await start(dir, embedding);
    starts.push(run.readyMs);
    cpu.push(run.readyCpuMs);
    await run.stop();
  }
  const run = await start(dir, embedding);
  starts.push(run.readyMs);
  cpu.push(run.readyCpuMs);
  line(
    'cold start to /healthz 200',
    `${summary(starts, 'ms', 0)}  max ${Math.max(...starts).toFixed(0)} ms`,
    '≤ 1500 ms',
  );
  line(
    'CPU used by then (user + system)',
    `${summary(cpu, 'ms', 0)}  (load average ${loadavg()[0]?.toFixed(1)} on ${cpus().length} cores)`,
  );
  line('RSS at ready', `${rssMb(run.pid).toFixed(0)} MB`);
  const built = await waitFor(run, /recall index built/, 120_000);
  const builtLine =
    run
      .output()
      .split('\n')
      .find((l) => l.includes('recall index built')) ?? '';
  line(
    'recall index built in background',
    `${built ? `${/"ms":(\d+)/.exec(builtLine)?.[1] ?? '?'} ms after start-up work began` : 'not within 120 s'}; RSS ${rssMb(run.pid).toFixed(0)} MB`,
  );
  await sleep(15_000);
  const idle = [rssMb(run.pid)];
  line('idle RSS (index loaded, 15 s later)', `${idle[0]!.toFixed(0)} MB`, '≤ 200 MB');

  const r = prng(11);
  const corpus = makeCorpus(Math.min(N.memories, 20_000), 42);
  const recall: number[] = [];
  for (let i = 0; i < 300; i++) recall.push((await timed(run.url, `/recall ${corpus.makeQuery(r).text}`)).ms);
  line('/recall through the web API', summary(recall, 'ms'));
  const runs: number[] = [];
  let runsReply = '';
  for (let i = 0; i < 50; i++) ({ ms: runs[i] = 0, reply: runsReply } = await timed(run.url, '/runs'));
  line('/runs', `${summary(runs, 'ms')}  (${runsReply.split('\n').length} lines)`);
  const costs: number[] = [];
  let costsReply = '';
  for (let i = 0; i < 20; i++) ({ ms: costs[i] = 0, reply: costsReply } = await timed(run.url, '/costs'));
  line('/costs (30 days)', summary(costs, 'ms'));
  line('', costsReply.split('\n')[0]?.slice(0, 110) ?? '');
  const year: number[] = [];
  for (let i = 0; i < 5; i++) ({ ms: year[i] = 0, reply: costsReply } = await timed(run.url, '/costs 365'));
  line('/costs 365', summary(year, 'ms'));
  line('', costsReply.split('\n')[0]?.slice(0, 110) ?? '');
  const one: number[] = [];
  for (let i = 0; i < 20; i++)
    ({ ms: one[i] = 0, reply: costsReply } = await timed(run.url, `/costs r${(i * 37).toString(36).padStart(6, '0')}`));
  line('/costs <run id>', summary(one, 'ms'));
  line('', costsReply.split('\n')[0]?.slice(0, 110) ?? '');
  line('RSS after these requests', `${rssMb(run.pid).toFixed(0)} MB`);
  await run.stop();
  // More idle samples, one start each (one process at a time holds the store).
  for (let i = 1; i < IDLE; i++) {
    const other = await start(dir, embedding);
    await waitFor(other, /recall index built/, 120_000);
    await sleep(15_000);
    idle.push(rssMb(other.pid));
    await other.stop();
  }
  if (IDLE > 1)
    line(
      `idle RSS over ${IDLE} starts`,
      idle
        .sort((a, b) => a - b)
        .map((mb) => `${mb.toFixed(0)} MB`)
        .join(', '),
      '≤ 200 MB',
    );
}

async function waitFor(run: Running, pattern: RegExp, limitMs: number): Promise<boolean> {
  const until = performance.now() + limitMs;
  while (performance.now() < until) {
    if (pattern.test(run.output())) return true;
    await sleep(100);
  }
  return false;
}

/** Empty policy and model folders for the process, removed at the end. */
const scratch = mkdtempSync(join(tmpdir(), 'solo-year-scratch-'));
for (const sub of ['policies', 'models']) mkdirSync(join(scratch, sub));
const given = arg('dir', '');
const dir = given || mkdtempSync(join(tmpdir(), 'solo-year-'));
if (!existsSync(join(dir, 'solo.db'))) await writeYear(dir);
else line('store', `reusing ${join(dir, 'solo.db')} (${(statSync(join(dir, 'solo.db')).size / 1e6).toFixed(0)} MB)`);
if (EMBEDDING === 'off' || EMBEDDING === 'both') await measure(dir, 'off');
if (EMBEDDING === 'vectors' || EMBEDDING === 'both') await measure(dir, 'vectors');
if (!given) rmSync(dir, { recursive: true, force: true });
rmSync(scratch, { recursive: true, force: true });
