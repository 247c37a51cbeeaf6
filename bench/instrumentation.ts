// Cost of metrics and traces per chat turn: the real process (node bin/solo.js) answers the same mix of chat turns
// through the web API — /remember, a free-text turn through the router (a model call to the OpenAI-compatible fake),
// and every fifth turn an /invoice approved with a tap (a run with steps: one trace) — once with nobody watching,
// once with every run exported over OTLP to a collector and /metrics scraped after the burst (a scrape reads all the
// events since the last one, so one scrape after N turns costs what N turns add to scrapes at any interval). The
// process's CPU time (from /proc) per turn is compared; the fake model and the collector run in this process, not in
// the measured one. One-time costs (the first export and the first scrape load and compile their code) fall in the
// warm-up and are printed apart. Metrics and traces are read from the event log, so a turn itself does no extra work:
// the direct figure at the end (scrape + export CPU per turn) is the cost; the A/B difference is shown for honesty
// and is as noisy as the machine. Usage: node bench/instrumentation.ts [turns=300] [rounds=3]

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
  req.on('data', (c: Buffer) => chunks.push(c)).on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { resourceSpans: { scopeSpans: { spans: unknown[] }[] }[] };
    spans += body.resourceSpans.reduce((n, r) => n + r.scopeSpans.reduce((m, s) => m + s.spans.length, 0), 0);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});
collector.listen(0, '127.0.0.1');
await once(collector, 'listening');
const collectorUrl = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;

async function start(watched: boolean): Promise<{ child: ChildProcess; url: string }> {
  const policies = tempDir('solo-bench-policies-');
  writeFileSync(join(policies, 'budgets.yaml'), 'budgets:\n  per_day_usd: 1000\n');
  const child = spawn(process.execPath, [BIN], {
    env: {
      PATH: process.env['PATH'] ?? '', PORT: '0', LOG_FORMAT: 'json', DATA_DIR: tempDir('solo-bench-'), POLICIES_DIR: policies,
      EMBEDDING_MODEL: 'off', RATE_LIMIT_PER_MINUTE: '0', OPENAI_BASE_URL: fake.baseURL, OPENAI_API_KEY: KEY, OPENAI_MODEL: 'gpt-4o-mini',
      ...(watched ? { OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl } : {}),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /"url":"(http:[^"]+)"/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
  return { child, url };
}

const post = async (url: string, path: string, body: unknown) => {
  const res = await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
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

async function measure(watched: boolean): Promise<Round> {
  const { child, url } = await start(watched);
  const pid = child.pid!;
  const scrape = () => fetch(`${url}/metrics`).then((r) => r.text());
  for (let i = 0; i < 30; i++) await turn(url, i);
  // Long enough for the tracer's first export (every 2 s) to happen in the warm-up.
  await new Promise((r) => setTimeout(r, 3000));
  // The first scrape loads prom-client: a one-time cost, measured on its own.
  let cpu = cpuMs(pid);
  if (watched) await scrape();
  const firstScrapeMs = cpuMs(pid) - cpu;
  cpu = cpuMs(pid);
  for (let i = 0; i < TURNS; i++) await turn(url, 1000 + i);
  // Both runs wait the same time after the burst: meanwhile the traces of the burst's runs are exported.
  await new Promise((r) => setTimeout(r, 3000));
  const used = cpuMs(pid) - cpu;
  cpu = cpuMs(pid);
  if (watched) await scrape();
  const burstScrapeMs = cpuMs(pid) - cpu;
  cpu = cpuMs(pid);
  if (watched) for (let i = 0; i < 20; i++) await scrape();
  const idleScrapeMs = (cpuMs(pid) - cpu) / 20;
  child.kill('SIGTERM');
  await once(child, 'exit');
  return { perTurnMs: used / TURNS, firstScrapeMs, burstScrapeMs, idleScrapeMs };
}

const bare: Round[] = [];
const watched: Round[] = [];
for (let r = 0; r < ROUNDS; r++) {
  bare.push(await measure(false));
  watched.push(await measure(true));
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
line('one scrape reading the whole burst', `${median(watched.map((r) => r.burstScrapeMs)).toFixed(0)} ms CPU = ${scrapePerTurn.toFixed(3)} ms per turn`);
line('difference of the two (noisy)', `${(b - a + scrapePerTurn).toFixed(3)} ms = ${(((b - a + scrapePerTurn) / a) * 100).toFixed(1)}% of turn CPU`);
line('a scrape with nothing new', `${idle.toFixed(2)} ms CPU (every 15 s: ${((idle / 15_000) * 100).toFixed(3)}% of a core)`);
line('first scrape (loads prom-client), once', `${median(watched.map((r) => r.firstScrapeMs)).toFixed(0)} ms CPU`);
line('spans exported', `${spans} (${ROUNDS} rounds)`);
collector.close();

// The trace export alone, measured in this process: the same burst in an in-process app, then a RunTracer exports
// every trace of it to a collector in a child process (so the collector's CPU is not counted here).
const COLLECTOR = `require('node:http').createServer((q, s) => { q.resume().on('end', () => s.writeHead(200, { 'content-type': 'application/json' }).end('{}')); })
  .listen(0, '127.0.0.1', function () { console.log(this.address().port); });`;
const child = spawn(process.execPath, ['-e', COLLECTOR], { stdio: ['ignore', 'pipe', 'inherit'] });
const [port] = (await once(child.stdout, 'data')) as [Buffer];
const policies = tempDir('solo-bench-policies-');
writeFileSync(join(policies, 'budgets.yaml'), 'budgets:\n  per_day_usd: 1000\n');
const app = await startTestApp({ OPENAI_BASE_URL: fake.baseURL, OPENAI_API_KEY: KEY, OPENAI_MODEL: 'gpt-4o-mini', RATE_LIMIT_PER_MINUTE: '0', POLICIES_DIR: policies });
for (let i = 0; i < TURNS; i++) await turn(app.url, i);
const sink = await createOtlpSink({ endpoint: `http://127.0.0.1:${String(port).trim()}`, serviceName: 'bench', serviceVersion: '0' });
const exportAll = async () => {
  await app.store.settings.set('otel.position', 0);
  const tracer = new RunTracer({ store: app.store, sink: { export: (s) => sink.export(s), close: async () => undefined }, logger: pino({ level: 'silent' }) });
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
line('exporting the burst’s traces', `${exportMs.toFixed(0)} ms CPU for ${runs[0]!.exported} spans = ${traceShare.toFixed(3)} ms per turn`);
line('metrics + traces per turn (direct)', `${(scrapePerTurn + traceShare).toFixed(3)} ms = ${(((scrapePerTurn + traceShare) / a) * 100).toFixed(1)}% of turn CPU`, '< 5%');
await sink.close();
await app.stop();
child.kill();
await fake.stop();
