// Schedules at scale, through the whole scheduling stack (Schedules → Agenda on SQLite → engine.begin → the run):
// fire-time lateness with 10k schedules in the store (200 due over a minute, and 500 due at the same instant), then
// the real process (bin/solo.js) with 10k schedules: start-up to ready and to the scheduler running, idle CPU and
// RSS against an empty store, and the acceptance case: a digest scheduled a minute ahead, the process kill -9ed and
// restarted before it is due. Each phase runs in its own process. Figures are printed, never asserted.
// Usage: node bench/schedules.ts [fire|process|digest]   (default: all)

import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { z } from 'zod';
import { AgendaScheduler } from '../adapters/scheduler/agenda/scheduler.ts';
import { SqliteStore } from '../adapters/stores/sqlite/index.ts';
import { Engine, type RunDelivery } from '../src/engine/engine.ts';
import { defineWorkflow } from '../src/engine/workflow.ts';
import { Schedules } from '../src/scheduling/schedules.ts';
import type { When } from '../src/scheduling/when.ts';
import { line, percentile, summary } from './stats.ts';

const SELF = fileURLToPath(import.meta.url);
const BIN = fileURLToPath(new URL('../bin/solo.js', import.meta.url));
const SCHEDULES = 10_000;
/** Background schedules made once and copied into each phase's store. */
const SEEDED = 8000;
const ZONE = 'Europe/Berlin';
const DAY = 86_400_000;
const [mode, ...args] = process.argv.slice(2);
const logger = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const report = (result: unknown) => process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
const origin = { channel: 'scheduler', chatId: 'bench' };

const delivery: RunDelivery = {
  toRun: async () => undefined,
  copyCard: async () => [],
  cardDecided: async () => undefined,
};
const noted = defineWorkflow({
  name: 'noted',
  version: 1,
  description: 'one step, like a reminder',
  input: z.object({}),
  run: async (ctx) => void (await ctx.step('note', async () => true)),
});

/** The stack as the bot builds it, on the store in DATA_DIR. */
async function stack(dataDir: string) {
  const store = new SqliteStore(dataDir);
  await store.init();
  const engine = new Engine({ store, logger, delivery }).register(noted);
  const port = new AgendaScheduler({ store: { kind: 'sqlite', database: store.location }, logger });
  const schedules = new Schedules({
    port,
    engine,
    events: store.events,
    settings: store.settings,
    notify: async () => undefined,
    timeZone: ZONE,
    logger,
  });
  return { store, engine, port, schedules };
}

/** Schedules bg<from>…bg<to-1> due over the next month: daily ones at spread times, one-offs days ahead (what a busy year looks like). */
async function seed(schedules: Schedules, from: number, to: number): Promise<number> {
  const t0 = performance.now();
  for (let i = from; i < to; i++) {
    const when: When =
      i % 2
        ? { kind: 'cron', cron: `${i % 60} ${i % 24} * * *`, text: 'daily' }
        : { kind: 'once', at: new Date(Date.now() + DAY + (i / SCHEDULES) * 30 * DAY).toISOString(), text: 'later' };
    await schedules.create({ id: `bg${i}`, title: `background ${i}`, workflow: 'noted', when, origin, by: 'bench' });
  }
  return performance.now() - t0;
}

/** A copy of the seeded store (the file is closed, so solo.db holds it all). */
function copyOf(template: string, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cpSync(template, dir, { recursive: true });
  return dir;
}

/**
 * On a copy of the store seeded with the background schedules: more background up to 10k, then `count` one-offs due
 * over `spreadMs`, starting far enough ahead that making them all ends before the first is due (making one is timed
 * on the background ones: this machine is shared). Lateness of each of those fires and of its run's end.
 */
async function fire(template: string, seeded: number, count: number, spreadMs: number): Promise<void> {
  const dir = copyOf(template, 'solo-bench-schedules-');
  const { store, engine, port, schedules } = await stack(dir);
  const extra = SCHEDULES - count - seeded;
  const extraMs = await seed(schedules, seeded, seeded + extra);
  const perCreate = extra > 0 ? extraMs / extra : 40;
  const start = Date.now() + 5000 + Math.ceil(count * perCreate * 2);
  for (let i = 0; i < count; i++) {
    const at = new Date(start + Math.floor((i / count) * spreadMs)).toISOString();
    await schedules.create({
      id: `due${i}`,
      title: `due ${i}`,
      workflow: 'noted',
      when: { kind: 'once', at, text: 'soon' },
      origin,
      by: 'bench',
    });
  }
  const headroomMs = start - Date.now();
  await port.start();
  const deadline = Date.now() + Math.max(0, start - Date.now()) + spreadMs + 60_000;
  const isDue = (f: { scheduleId: string }) => f.scheduleId.startsWith('due');
  let fired: { latenessMs: number; runId: string; due: string; scheduleId: string }[] = [];
  let background = 0;
  while (Date.now() < deadline) {
    await sleep(250);
    const all = (await store.events.readRange({ types: ['schedule.fired'], limit: 100_000 })).flatMap((e) =>
      e.type === 'schedule.fired' ? [e.data] : [],
    );
    fired = all.filter(isDue);
    background = all.length - fired.length;
    if (fired.length >= count) break;
  }
  await engine.idle();
  const total = await schedules.count();
  const finished = new Map(
    (await store.events.readRange({ types: ['run.finished'], limit: 100_000 })).map((e) => [
      e.type === 'run.finished' ? e.data.runId : '',
      e.at.getTime(),
    ]),
  );
  const runLate = fired.map((f) => (finished.get(f.runId) ?? NaN) - new Date(f.due).getTime()).filter(Number.isFinite);
  report({
    perCreate,
    headroomMs,
    schedules: total.total + fired.length,
    background,
    fire: fired.map((f) => f.latenessMs),
    run: runLate,
    missing: count - fired.length,
  });
  await port.stop();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}

/** Adds schedules bg<from>…bg<to-1> to the store in `dir`, made by this script's stack (the same tables the bot uses). */
async function seedDir(dir: string, from: number, to: number): Promise<void> {
  const { store, port, schedules } = await stack(dir);
  const seedMs = await seed(schedules, from, to);
  report({ seedMs });
  await port.stop();
  await store.close();
}

interface Proc {
  pid: number;
  readyMs: number;
  schedulerMs: number;
  url: string;
  output: () => string;
  kill: (signal?: NodeJS.Signals) => Promise<void>;
}

/** Starts bin/solo.js; resolves when the scheduler runs, with the times to "ready" (the chat answers) and to it. */
function startBot(dataDir: string, env: Record<string, string> = {}): Promise<Proc> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [BIN], {
    env: {
      PATH: process.env['PATH'] ?? '',
      PORT: '0',
      LOG_FORMAT: 'json',
      EMBEDDING_MODEL: 'off',
      DATA_DIR: dataDir,
      POLICIES_DIR: mkdtempSync(join(tmpdir(), 'solo-bench-policies-')),
      DIGEST_TIME: 'off',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  let readyMs = 0;
  let url = '';
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const ready = /"url":"(http:[^"]+)"/.exec(out);
      if (ready?.[1] && !readyMs) {
        readyMs = performance.now() - t0;
        url = ready[1];
      }
      if (readyMs > 0 && out.includes('the scheduler is running')) {
        child.stdout.removeAllListeners('data');
        child.stdout.on('data', (more: Buffer) => (out += more.toString()));
        resolve({
          pid: child.pid ?? 0,
          readyMs,
          schedulerMs: performance.now() - t0,
          url,
          output: () => out,
          kill: (signal = 'SIGTERM') => new Promise((done) => (child.once('exit', () => done()), child.kill(signal))),
        });
      }
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
}

const cpuMs = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
};
const rssMb = (pid: number): number =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;

/** The real process on an empty store and on one with 10k schedules: start-up, then idle CPU and RSS. */
async function processPhase(template: string, seeded: number): Promise<void> {
  const full = copyOf(template, 'solo-bench-full-');
  await child('seed-child', [full, String(seeded), String(SCHEDULES)]);
  for (const [label, dir] of [
    ['empty store', ''],
    [`${SCHEDULES} schedules`, full],
  ] as const) {
    const starts: Proc[] = [];
    for (let i = 0; i < 3; i++) {
      const proc = await startBot(dir || mkdtempSync(join(tmpdir(), 'solo-bench-empty-')));
      starts.push(proc);
      if (i < 2) await proc.kill();
    }
    const med = (k: 'readyMs' | 'schedulerMs') =>
      percentile(
        starts.map((s) => s[k]).sort((a, b) => a - b),
        50,
      );
    line(
      `start-up, ${label}`,
      `ready ${med('readyMs').toFixed(0)} ms, scheduler running ${med('schedulerMs').toFixed(0)} ms (median of 3)`,
    );
    const proc = starts.at(-1)!;
    await sleep(5000);
    const c0 = cpuMs(proc.pid);
    const t0 = performance.now();
    await sleep(15_000);
    const cpu = ((cpuMs(proc.pid) - c0) / (performance.now() - t0)) * 100;
    line(`idle, ${label}`, `CPU ${cpu.toFixed(2)} % of a core, RSS ${rssMb(proc.pid).toFixed(0)} MB`);
    await proc.kill();
  }
  rmSync(full, { recursive: true, force: true });
}

/** Acceptance: /schedule digest in 60 seconds, kill -9 after 20 s, restart; when the digest arrives against its due time. */
async function digestPhase(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'solo-bench-digest-'));
  const env = { DIGEST_WHEN_EMPTY: 'send' };
  let proc = await startBot(dir, env);
  await fetch(`${proc.url}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text: '/schedule digest in 60 seconds' }),
  });
  await sleep(20_000);
  await proc.kill('SIGKILL');
  proc = await startBot(dir, env);
  const db = () => new DatabaseSync(join(dir, 'solo.db'), { readOnly: true });
  const deadline = Date.now() + 90_000;
  let sent: number[] = [];
  let due = 0;
  while (Date.now() < deadline && sent.length === 0) {
    await sleep(250);
    const d = db();
    const fired = d.prepare(`SELECT data FROM events WHERE type = 'schedule.fired'`).all() as { data: string }[];
    due = fired[0] ? new Date((JSON.parse(fired[0].data) as { due: string }).due).getTime() : 0;
    sent = (
      d.prepare(`SELECT at, data FROM events WHERE type = 'message.sent'`).all() as { at: number; data: string }[]
    )
      .filter((r) => r.data.includes('Daily digest'))
      .map((r) => r.at);
    d.close();
  }
  await sleep(5000);
  const d = db();
  const total = (d.prepare(`SELECT data FROM events WHERE type = 'message.sent'`).all() as { data: string }[]).filter(
    (r) => r.data.includes('Daily digest'),
  ).length;
  d.close();
  await proc.kill();
  line(
    'digest a minute ahead, kill -9 at 20 s',
    sent[0] ? `arrived ${sent[0] - due} ms after due; ${total} digest(s)` : 'did not arrive',
    '≤ 1000 ms, once',
  );
  rmSync(dir, { recursive: true, force: true });
}

function child(phase: string, extra: string[] = []): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [SELF, phase, ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
    proc.once('exit', (code) => {
      const m = /^RESULT (.*)$/m.exec(out);
      if (code !== 0 || !m?.[1]) reject(new Error(`${phase} failed (${code}): ${out}`));
      else resolve(JSON.parse(m[1]) as Record<string, unknown>);
    });
  });
}

async function main(): Promise<void> {
  const wanted = (p: string) => !mode || mode === p;
  console.log(
    `schedules bench: ${SCHEDULES} schedules, Schedules → Agenda (SQLite) → engine; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on this machine`,
  );
  let template = '';
  if (wanted('fire') || wanted('process')) {
    // The background schedules are made once (8000 through the whole stack takes minutes); each phase gets a copy.
    template = mkdtempSync(join(tmpdir(), 'solo-bench-template-'));
    const { seedMs } = (await child('seed-child', [template, '0', String(SEEDED)])) as { seedMs: number };
    line(
      `making ${SEEDED} schedules`,
      `${((seedMs / SEEDED) * 1000).toFixed(0)} µs each (${(seedMs / 1000).toFixed(1)} s)`,
    );
  }
  if (wanted('fire')) {
    const show = (label: string, r: Record<string, unknown>) => {
      const headroom = r['headroomMs'] as number;
      const note = headroom < 0 ? `  (INVALID: made ${-headroom} ms after the first was due)` : '';
      line(
        `${label}: fire lateness`,
        `${summary(r['fire'] as number[], 'ms', 0)}  missing ${r['missing'] as number}${note}`,
        'p99 ≤ 1000 ms',
      );
      line(`${label}: run finished after due`, summary(r['run'] as number[], 'ms', 0));
      line(
        `${label}: meanwhile`,
        `${r['schedules'] as number} schedules in the store, ${r['background'] as number} background fire(s) in the window`,
      );
    };
    show('200 due over 60 s (of 10k)', await child('fire-child', [template, String(SEEDED), '200', '60000']));
    show('500 due at the same ms (of 10k)', await child('fire-child', [template, String(SEEDED), '500', '0']));
  }
  if (wanted('process')) await processPhase(template, SEEDED);
  if (template) rmSync(template, { recursive: true, force: true });
  if (wanted('digest')) await digestPhase();
}

switch (mode) {
  case 'fire-child':
    await fire(args[0] ?? '', Number(args[1]), Number(args[2]), Number(args[3]));
    break;
  case 'seed-child':
    await seedDir(args[0] ?? '', Number(args[1]), Number(args[2]));
    break;
  default:
    await main();
}
// Agenda leaves a lockLifetime/2 timer behind every job run; a finished phase exits at once.
process.exit(0);
