// Cost of metrics and traces per chat turn. The real process (node bin/solo.js) answers a mix of chat turns through
// the web API — /remember, a free-text turn through the router (a model call to the OpenAI-compatible fake), and every
// fifth turn an /invoice approved with a tap (a run with steps: one trace). Three ways to see the cost:
// 1. Side by side: a process with nobody watching and one exporting every run over OTLP to a collector, each turn sent
//    to both, their CPU time (/proc) compared, plus one /metrics scrape after the burst (a scrape reads every event
//    since the last one, so one scrape after N turns costs what N turns add to scrapes at any interval).
// 2. A CPU profile of the watched process over the burst: the share of samples in instrumentation code.
// 3. Direct: the scrape's CPU and the export of the same burst's traces in this process, per turn.
// One-time costs (the first export and the first scrape load and compile their code) fall in the warm-up and are
// printed apart. The fake model and the collector never run in a measured process.
// Usage: node bench/instrumentation.ts [turns=300] [rounds=3]

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { createOtlpSink } from '../adapters/telemetry/otlp.ts';
import { RunTracer } from '../src/observability/tracing.ts';
import { FakeOpenAI } from '../test/fakes/openai.ts';
import { startTestApp, tempDir } from '../test/support/app.ts';
import { line } from './stats.ts';

const BIN = fileURLToPath(new URL('../bin/solo.js', import.meta.url));
const TURNS = Number(process.argv[2] ?? 300);
const ROUNDS = Number(process.argv[3] ?? 3);
const KEY = 'sk-bench-0123456789abcdef';
const TICK_MS = 1000 / 100; // /proc times are in clock ticks of 10 ms

const cpuMs = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
};

const fake = await new FakeOpenAI({ apiKey: KEY }).start();
fake.handle(() => ({ json: { action: 'reply', understood: 'A greeting.', reply: 'Hello!' } }));

// The collector: takes OTLP/HTTP JSON and counts spans.
let spans = 0;
const collector = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req
    .on('data', (c: Buffer) => chunks.push(c))
    .on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: { scopeSpans: { spans: unknown[] }[] }[];
      };
      spans += body.resourceSpans.reduce((n, r) => n + r.scopeSpans.reduce((m, s) => m + s.spans.length, 0), 0);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
});
collector.listen(0, '127.0.0.1');
await once(collector, 'listening');
const collectorUrl = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;

async function start(
  watched: boolean,
  inspect = false,
): Promise<{ child: ChildProcess; url: string; inspector: string }> {
  const policies = tempDir('solo-bench-policies-');
  writeFileSync(join(policies, 'budgets.yaml'), 'budgets:\n  per_day_usd: 1000\n');
  const child = spawn(process.execPath, [...(inspect ? ['--inspect=127.0.0.1:0'] : []), BIN], {
    env: {
      PATH: process.env['PATH'] ?? '',
      PORT: '0',
      LOG_FORMAT: 'json',
      DATA_DIR: tempDir('solo-bench-'),
      POLICIES_DIR: policies,
      EMBEDDING_MODEL: 'off',
      RATE_LIMIT_PER_MINUTE: '0',
      OPENAI_BASE_URL: fake.baseURL,
      OPENAI_API_KEY: KEY,
      OPENAI_MODEL: 'gpt-4o-mini',
      ...(watched ? { OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl } : {}),
    },
    stdio: ['ignore', 'pipe', inspect ? 'pipe' : 'inherit'],
  });
  let out = '';
  let err = '';
  const inspector = inspect
    ? new Promise<string>((resolve) =>
        child.stderr?.on('data', (c: Buffer) => {
          err += c.toString();
          const m = /Debugger listening on (ws:\S+)/.exec(err);
          if (m?.[1]) resolve(m[1]);
        }),
      )
    : Promise.resolve('');
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /"url":"(http:[^"]+)"/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}${err}`)));
  });
  return { child, url, inspector: await inspector };
}

const post = async (url: string, path: string, body: unknown) => {
  const res = await fetch(url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return (await res.json()) as { messages?: { text: string; buttons: { id: string; label: string }[] }[] };
};

async function turn(url: string, i: number): Promise<void> {
  if (i % 5 === 4) {
    const { messages = [] } = await post(url, '/api/messages', { text: `/invoice Client${i} 100 work` });
    const approve = messages[0]?.buttons.find((b) => b.label === 'Approve');
    if (approve) await post(url, `/api/buttons/${encodeURIComponent(approve.id)}`, {});
  } else if (i % 2 === 0) await post(url, '/api/messages', { text: `/remember Client${i}: bench note ${i}` });
  else await post(url, '/api/messages', { text: `hello ${i}` });
}

interface Round {
  perTurnMs: number;
  firstScrapeMs: number;
  /** One scrape that reads the whole burst's events. */
  burstScrapeMs: number;
  /** A scrape with nothing new to read (gauges, default metrics). */
  idleScrapeMs: number;
}

/**
 * One round: a process with nobody watching and one exporting traces run side by side, each turn sent to both (which
 * one first alternates), so whatever else the machine does in the meantime weighs on both alike.
 */
async function measurePair(): Promise<{ bare: Round; watched: Round }> {
  const [p0, p1] = await Promise.all([start(false), start(true)]);
  const procs = [p0, p1];
  const cpu = () => procs.map((p) => cpuMs(p.child.pid!));
  const since = (before: number[]) => cpu().map((c, i) => c - before[i]!);
  const scrape = () => fetch(`${p1.url}/metrics`).then((r) => r.text());
  const both = async (i: number) => {
    const order = i % 2 === 0 ? procs : [p1, p0];
    for (const p of order) await turn(p.url, i);
  };
  for (let i = 0; i < 30; i++) await both(i);
  // Long enough for the tracer's first export (every 2 s) to happen in the warm-up.
  await new Promise((r) => setTimeout(r, 3000));
  // The first scrape loads prom-client: a one-time cost, measured on its own.
  let before = cpu();
  await scrape();
  const firstScrapeMs = since(before)[1]!;
  before = cpu();
  for (let i = 0; i < TURNS; i++) await both(1000 + i);
  // Both wait the same time after the burst: meanwhile the traces of the burst's runs are exported.
  await new Promise((r) => setTimeout(r, 3000));
  const used = since(before);
  before = cpu();
  await scrape();
  const burstScrapeMs = since(before)[1]!;
  before = cpu();
  for (let i = 0; i < 20; i++) await scrape();
  const idleScrapeMs = since(before)[1]! / 20;
  for (const p of procs) p.child.kill('SIGTERM');
  await Promise.all(procs.map((p) => once(p.child, 'exit')));
  return {
    bare: { perTurnMs: used[0]! / TURNS, firstScrapeMs: 0, burstScrapeMs: 0, idleScrapeMs: 0 },
    watched: { perTurnMs: used[1]! / TURNS, firstScrapeMs, burstScrapeMs, idleScrapeMs },
  };
}

const bare: Round[] = [];
const watched: Round[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const pair = await measurePair();
  bare.push(pair.bare);
  watched.push(pair.watched);
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const rounds = (v: Round[], pick: (r: Round) => number) => `(rounds: ${v.map((r) => pick(r).toFixed(2)).join(', ')})`;
const a = median(bare.map((r) => r.perTurnMs));
const b = median(watched.map((r) => r.perTurnMs));
const scrapePerTurn = median(watched.map((r) => r.burstScrapeMs)) / TURNS;
const idle = median(watched.map((r) => r.idleScrapeMs));
line('turns per round (mix)', `${TURNS} (2/5 /remember, 2/5 router, 1/5 invoice + tap)`);
line('CPU per turn, nothing watching', `${a.toFixed(2)} ms ${rounds(bare, (r) => r.perTurnMs)}`);
line('CPU per turn, runs exported over OTLP', `${b.toFixed(2)} ms ${rounds(watched, (r) => r.perTurnMs)}`);
line(
  'one scrape reading the whole burst',
  `${median(watched.map((r) => r.burstScrapeMs)).toFixed(0)} ms CPU = ${scrapePerTurn.toFixed(3)} ms per turn`,
);
const diffs = bare.map((r, i) => watched[i]!.perTurnMs - r.perTurnMs);
line(
  'difference, side by side + scrape',
  `${(median(diffs) + scrapePerTurn).toFixed(3)} ms = ${(((median(diffs) + scrapePerTurn) / a) * 100).toFixed(1)}% of turn CPU (per round: ${diffs.map((d) => d.toFixed(2)).join(', ')} ms)`,
  '< 5%',
);
line(
  'a scrape with nothing new',
  `${idle.toFixed(2)} ms CPU (every 15 s: ${((idle / 15_000) * 100).toFixed(3)}% of a core)`,
);
line('first scrape (loads prom-client), once', `${median(watched.map((r) => r.firstScrapeMs)).toFixed(0)} ms CPU`);
line('spans exported', `${spans} (${ROUNDS} rounds)`);

// Where the watched process's CPU goes during the burst, from a CPU profile taken through the inspector: samples whose
// stack includes instrumentation code (the tracer and span building, the OTLP SDK and exporter, prom-client and the
// metrics reader, with the store reads they make) against every busy sample. One process, so no A/B noise; garbage
// collection and native work ("(program)") cannot be attributed and are printed apart.
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
const INSTRUMENTATION =
  /@opentelemetry\/|\/prom-client\/|\/adapters\/telemetry\/|\/src\/observability\/(tracing|spans|metrics|tail)\.ts|\/adapters\/http\/metrics\.ts/;
async function profileShares(): Promise<{ instrumentation: number; gc: number; program: number; busy: number }> {
  const { child, url, inspector } = await start(true, true);
  const ws = new WebSocket(inspector);
  await once(ws, 'open');
  let seq = 0;
  const pending = new Map<number, (result: unknown) => void>();
  ws.addEventListener('message', (m: { data: unknown }) => {
    const msg = JSON.parse(String(m.data)) as { id?: number; result?: unknown };
    if (msg.id !== undefined) pending.get(msg.id)?.(msg.result);
  });
  const call = <T>(method: string, params: object = {}) =>
    new Promise<T>((resolve) => {
      pending.set(++seq, resolve as (r: unknown) => void);
      ws.send(JSON.stringify({ id: seq, method, params }));
    });
  for (let i = 0; i < 30; i++) await turn(url, i);
  await new Promise((r) => setTimeout(r, 3000));
  await fetch(`${url}/metrics`).then((r) => r.text());
  await call('Profiler.enable');
  await call('Profiler.setSamplingInterval', { interval: 250 });
  await call('Profiler.start');
  for (let i = 0; i < TURNS; i++) await turn(url, 1000 + i);
  await new Promise((r) => setTimeout(r, 3000));
  await fetch(`${url}/metrics`).then((r) => r.text());
  const { profile } = await call<{ profile: { nodes: ProfileNode[]; samples: number[] } }>('Profiler.stop');
  ws.close();
  child.kill('SIGTERM');
  await once(child, 'exit');
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const memo = new Map<number, boolean>();
  const instrumented = (id: number): boolean => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    const up = parent.get(id);
    const yes = INSTRUMENTATION.test(byId.get(id)?.callFrame.url ?? '') || (up !== undefined && instrumented(up));
    memo.set(id, yes);
    return yes;
  };
  const counts = { instrumentation: 0, gc: 0, program: 0, busy: 0 };
  for (const id of profile.samples) {
    const name = byId.get(id)?.callFrame.functionName;
    if (name === '(idle)') continue;
    counts.busy++;
    if (name === '(garbage collector)') counts.gc++;
    else if (name === '(program)') counts.program++;
    else if (instrumented(id)) counts.instrumentation++;
  }
  return counts;
}
const shares = await profileShares();
const share = (n: number) => `${((n / shares.busy) * 100).toFixed(1)}%`;
line(
  'profile: instrumentation code',
  `${share(shares.instrumentation)} of busy samples (${shares.instrumentation} of ${shares.busy})`,
  '< 5%',
);
line('profile: GC / native, not attributed', `${share(shares.gc)} / ${share(shares.program)}`);
collector.close();

// The trace export alone, measured in this process: the same burst in an in-process app, then a RunTracer exports
// every trace of it to a collector in a child process (so the collector's CPU is not counted here).
const COLLECTOR = `require('node:http').createServer((q, s) => { q.resume().on('end', () => s.writeHead(200, { 'content-type': 'application/json' }).end('{}')); })
  .listen(0, '127.0.0.1', function () { console.log(this.address().port); });`;
const child = spawn(process.execPath, ['-e', COLLECTOR], { stdio: ['ignore', 'pipe', 'inherit'] });
const [port] = (await once(child.stdout, 'data')) as [Buffer];
const policies = tempDir('solo-bench-policies-');
writeFileSync(join(policies, 'budgets.yaml'), 'budgets:\n  per_day_usd: 1000\n');
const app = await startTestApp({
  OPENAI_BASE_URL: fake.baseURL,
  OPENAI_API_KEY: KEY,
  OPENAI_MODEL: 'gpt-4o-mini',
  RATE_LIMIT_PER_MINUTE: '0',
  POLICIES_DIR: policies,
});
for (let i = 0; i < TURNS; i++) await turn(app.url, i);
const sink = await createOtlpSink({
  endpoint: `http://127.0.0.1:${String(port).trim()}`,
  serviceName: 'bench',
  serviceVersion: '0',
});
const exportAll = async () => {
  await app.store.settings.set('otel.position', 0);
  const tracer = new RunTracer({
    store: app.store,
    sink: { export: (s) => sink.export(s), close: async () => undefined },
    logger: pino({ level: 'silent' }),
  });
  await tracer.start();
  const cpu = process.cpuUsage();
  const exported = await tracer.flush();
  const used = process.cpuUsage(cpu);
  await tracer.stop();
  return { exported, ms: (used.user + used.system) / 1000 };
};
await exportAll(); // warm-up: JIT and the SDK's first batch
const runs: { exported: number; ms: number }[] = [];
for (let r = 0; r < ROUNDS; r++) runs.push(await exportAll());
const exportMs = median(runs.map((r) => r.ms));
const traceShare = exportMs / TURNS;
line(
  'exporting the burst’s traces',
  `${exportMs.toFixed(0)} ms CPU for ${runs[0]!.exported} spans = ${traceShare.toFixed(3)} ms per turn`,
);
line(
  'metrics + traces per turn (direct)',
  `${(scrapePerTurn + traceShare).toFixed(3)} ms = ${(((scrapePerTurn + traceShare) / a) * 100).toFixed(1)}% of turn CPU`,
  '< 5%',
);
await sink.close();
await app.stop();
child.kill();
await fake.stop();
