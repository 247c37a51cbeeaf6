// The scheduler on the SQLite backend with 10k schedules: cost of importing agenda, saving 10k jobs, start-up to the
// first poll, fire-time lateness (steady and burst), idle CPU and RSS per processEvery, and how late a job saved by
// another process runs (polling only). Each phase runs in its own process. Figures are printed, never asserted.
// Usage: node bench/scheduler.ts [phase]   (phases: import fire idle startup cross; default all)

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createAgenda,
  openBackend,
  PROCESS_EVERY_MS,
  type Agenda,
  type AgendaBackend,
  type Job,
} from '../adapters/scheduler/agenda/index.ts';
import { line, percentile, summary } from './stats.ts';

const SELF = fileURLToPath(import.meta.url);
const SCHEDULES = 10_000;
const DAY = 86_400_000;
const [mode, ...args] = process.argv.slice(2);

type Result = Record<string, number | number[]>;
const report = (result: Result) => process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const rssMb = () => process.memoryUsage().rss / 1024 / 1024;

/** A fresh store file with `background` jobs due over the next 30 days (what a year of reminders looks like). */
async function seeded(file: string, background: number): Promise<{ backend: AgendaBackend; seedMs: number }> {
  const backend = await openBackend({ kind: 'sqlite', database: file });
  await backend.connect();
  const started = performance.now();
  for (let i = 0; i < background; i++) {
    await backend.repository.saveJob(
      {
        name: 'remind',
        priority: 0,
        nextRunAt: new Date(Date.now() + DAY + (i / background) * 30 * DAY),
        type: 'normal',
        data: { i },
      },
      undefined,
    );
  }
  return { backend, seedMs: performance.now() - started };
}

/** Firing: `count` jobs due over `spreadMs` starting in 3 s, among 10k schedules; lateness = handler start - due. */
async function fire(file: string, count: number, spreadMs: number): Promise<void> {
  const { backend, seedMs } = await seeded(file, SCHEDULES - count);
  const agenda = await createAgenda(backend);
  const late: number[] = [];
  agenda.define('remind', async (job: Job) => void late.push(Date.now() - (job.attrs.data as { due: number }).due));
  const start = Date.now() + 3000;
  for (let i = 0; i < count; i++) {
    const due = start + Math.floor((i / count) * spreadMs);
    await backend.repository.saveJob(
      { name: 'remind', priority: 0, nextRunAt: new Date(due), type: 'normal', data: { due } },
      undefined,
    );
  }
  await agenda.start();
  const deadline = Date.now() + spreadMs + 60_000;
  while (late.length < count && Date.now() < deadline) await sleep(50);
  await agenda.stop();
  report({ seedMs, late, missing: count - late.length });
}

/** Idle: 10k future schedules, Agenda running, nothing due; CPU and RSS over 10 s after a 3 s settle. */
async function idle(file: string, processEvery: number, names: number): Promise<void> {
  const rssBefore = rssMb();
  const { backend } = await seeded(file, SCHEDULES);
  const agenda = await createAgenda(backend, { processEvery });
  agenda.define('remind', async () => undefined);
  // Each defined name is one query per poll: the bot will define a handful (reminders, digests, compaction...).
  for (let k = 1; k < names; k++) agenda.define(`other-${k}`, async () => undefined);
  await agenda.start();
  await sleep(3000);
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await sleep(10_000);
  const used = process.cpuUsage(cpu);
  const wall = performance.now() - t0;
  report({
    processEvery,
    cpuPct: ((used.user + used.system) / 1000 / wall) * 100,
    rssMb: rssMb(),
    rssBeforeMb: rssBefore,
  });
  await agenda.stop();
}

/** Start-up on a store that already holds 10k schedules: import agenda, connect, first poll answered. */
async function startup(file: string): Promise<void> {
  const rssBefore = rssMb();
  const t0 = performance.now();
  const backend = await openBackend({ kind: 'sqlite', database: file });
  const agenda: Agenda = await createAgenda(backend);
  const imported = performance.now();
  agenda.define('remind', async () => undefined);
  const repo = backend.repository;
  const firstPoll = new Promise<number>((resolve) => {
    const original = repo.getNextJobToRun.bind(repo);
    repo.getNextJobToRun = async (...a) => {
      const r = await original(...a);
      resolve(performance.now());
      return r;
    };
  });
  await agenda.start();
  const polled = await firstPoll;
  await sleep(2000);
  report({
    importMs: imported - t0,
    toFirstPollMs: polled - t0,
    startMs: polled - imported,
    rssBeforeMb: rssBefore,
    rssAfterMb: rssMb(),
  });
  await agenda.stop();
}

/** Cross-process: a second process saves jobs due now; this one (polling every PROCESS_EVERY_MS) runs them. */
async function cross(file: string): Promise<void> {
  const { backend } = await seeded(file, SCHEDULES - 200);
  const agenda = await createAgenda(backend);
  const late: number[] = [];
  agenda.define('remind', async (job: Job) => void late.push(Date.now() - (job.attrs.data as { due: number }).due));
  await agenda.start();
  // Not spawnSync: this process must keep polling while the writer writes.
  const writer = spawn(process.execPath, [SELF, 'cross-writer', file], { stdio: 'inherit' });
  const code = await new Promise<number | null>((resolve) => writer.once('exit', resolve));
  if (code !== 0) throw new Error('the writer process failed');
  const deadline = Date.now() + 30_000;
  while (late.length < 200 && Date.now() < deadline) await sleep(50);
  await agenda.stop();
  report({ late, missing: 200 - late.length });
}

async function crossWriter(file: string): Promise<void> {
  const backend = await openBackend({ kind: 'sqlite', database: file });
  for (let i = 0; i < 200; i++) {
    const due = Date.now();
    await backend.repository.saveJob(
      { name: 'remind', priority: 0, nextRunAt: new Date(due), type: 'normal', data: { due } },
      undefined,
    );
    await sleep(20 + Math.random() * 30);
  }
  await backend.disconnect();
}

/** Fresh-process cost of `await import('agenda')`, after one .ts module is loaded (the app has already paid for that). */
function importCost(): void {
  const script = `const t0 = performance.now(); await import(${JSON.stringify(fileURLToPath(new URL('../src/domain/errors.ts', import.meta.url)))});
    const t1 = performance.now(); await import('agenda'); const t2 = performance.now();
    await import('@agendajs/mongo-backend'); const t3 = performance.now();
    console.log('RESULT ' + JSON.stringify({ agendaMs: t2 - t1, mongoBackendMs: t3 - t2, rssMb: process.memoryUsage().rss / 1048576 }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    cwd: fileURLToPath(new URL('..', import.meta.url)),
  });
  process.stdout.write(r.stdout);
}

function child(phase: string, extra: string[] = []): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'solo-bench-scheduler-'));
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [SELF, phase, join(dir, 'solo.db'), ...extra], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
    proc.once('exit', (code) => {
      rmSync(dir, { recursive: true, force: true });
      const m = /^RESULT (.*)$/m.exec(out);
      if (code !== 0 || !m?.[1]) reject(new Error(`${phase} failed (${code}): ${out}`));
      else resolve(JSON.parse(m[1]) as Result);
    });
  });
}

const ms = (v: number) => `${v.toFixed(0)} ms`;
const lateness = (label: string, r: Result) => {
  const late = r['late'] as number[];
  line(
    label,
    `${summary(late, 'ms', 0)}  max ${ms(Math.max(...late))}  missing ${r['missing'] as number}`,
    'p99 ≤ 1000 ms',
  );
};

async function main(): Promise<void> {
  const wanted = (p: string) => !mode || mode === p;
  console.log(
    `scheduler bench: SQLite backend, ${SCHEDULES} schedules, PROCESS_EVERY_MS ${PROCESS_EVERY_MS}; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on this machine`,
  );
  if (wanted('import')) {
    const runs: Result[] = [];
    for (let i = 0; i < 5; i++)
      runs.push(
        await new Promise<Result>((resolve) => {
          const r = spawnSync(process.execPath, [SELF, 'import-child'], { encoding: 'utf8' });
          resolve(JSON.parse(/RESULT (.*)/.exec(r.stdout)?.[1] ?? '{}') as Result);
        }),
      );
    const med = (k: string) =>
      percentile(
        runs.map((r) => r[k] as number).sort((a, b) => a - b),
        50,
      );
    line("await import('agenda')", `${ms(med('agendaMs'))} median of 5 fresh processes`);
    line("then import('@agendajs/mongo-backend')", ms(med('mongoBackendMs')));
  }
  if (wanted('fire')) {
    const steady = await child('fire-child', ['2000', '20000']);
    line(
      `saving ${SCHEDULES} schedules one by one`,
      `${ms(steady['seedMs'] as number)} for ${SCHEDULES - 2000} (${(((steady['seedMs'] as number) / (SCHEDULES - 2000)) * 1000).toFixed(0)} µs each)`,
    );
    lateness('lateness, 2000 due over 20 s (of 10k)', steady);
    lateness('lateness, 500 due at the same ms (of 10k)', await child('fire-child', ['500', '0']));
  }
  if (wanted('startup')) {
    const runs: Result[] = [];
    for (let i = 0; i < 3; i++) runs.push(await child('startup-child'));
    const med = (k: string) =>
      percentile(
        runs.map((r) => r[k] as number).sort((a, b) => a - b),
        50,
      );
    line(
      'start-up with 10k schedules',
      `import ${ms(med('importMs'))} + start to first poll ${ms(med('startMs'))} = ${ms(med('toFirstPollMs'))} (median of 3)`,
    );
    line(
      'RSS added by starting the scheduler',
      `${(med('rssAfterMb') - med('rssBeforeMb')).toFixed(0)} MB (${med('rssBeforeMb').toFixed(0)} → ${med('rssAfterMb').toFixed(0)} MB, 10k schedules in the file)`,
    );
  }
  if (wanted('idle')) {
    for (const [every, names] of [
      [PROCESS_EVERY_MS, 1],
      [PROCESS_EVERY_MS, 10],
      [1000, 10],
      [5000, 10],
    ] as const) {
      const r = await child('idle-child', [String(every), String(names)]);
      line(
        `idle, 10k schedules, ${names} job name${names > 1 ? 's' : ''}, processEvery ${every} ms`,
        `CPU ${(r['cpuPct'] as number).toFixed(2)} %  RSS ${(r['rssMb'] as number).toFixed(0)} MB (${(r['rssBeforeMb'] as number).toFixed(0)} MB before the scheduler)`,
      );
    }
  }
  if (wanted('cross')) lateness(`lateness, saved due-now by another process`, await child('cross-child'));
}

const file = args[0] ?? '';
switch (mode) {
  case 'import-child':
    importCost();
    break;
  case 'fire-child':
    await fire(file, Number(args[1]), Number(args[2]));
    break;
  case 'idle-child':
    await idle(file, Number(args[1]), Number(args[2] ?? 1));
    break;
  case 'seed-child': {
    const { backend } = await seeded(file, SCHEDULES);
    await backend.disconnect();
    break;
  }
  case 'startup-child': {
    // Seeded by another process, so this one starts the way the bot does: nothing of agenda loaded yet.
    if (spawnSync(process.execPath, [SELF, 'seed-child', file], { stdio: 'inherit' }).status !== 0)
      throw new Error('seeding failed');
    await startup(file);
    break;
  }
  case 'cross-child':
    await cross(file);
    break;
  case 'cross-writer':
    await crossWriter(file);
    break;
  default:
    await main();
}
// Agenda leaves a lockLifetime/2 timer (5 min by default) behind every job run; a finished phase exits at once.
process.exit(0);
