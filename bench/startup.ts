// Cold start to /healthz and idle memory of the real process (node bin/solo.js on a fresh embedded store).
// Usage: node bench/startup.ts [runs=10]

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { line, summary } from './stats.ts';

const BIN = fileURLToPath(new URL('../bin/solo.js', import.meta.url));
const runs = Number(process.argv[2] ?? 10);

const rssMb = (pid: number): number => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) / 1024;
};

async function startOnce(): Promise<{ ms: number; pid: number; url: string; stop: () => Promise<void> }> {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN], {
    env: {
      PATH: process.env['PATH'] ?? '',
      PORT: '0',
      LOG_FORMAT: 'json',
      DATA_DIR: mkdtempSync(join(tmpdir(), 'solo-bench-')),
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
  const res = await fetch(`${url}/healthz`);
  if (res.status !== 200) throw new Error(`/healthz answered ${res.status}`);
  const ms = performance.now() - started;
  const stop = () =>
    new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return { ms, pid: child.pid ?? 0, url, stop };
}

const times: number[] = [];
for (let i = 0; i < runs; i++) {
  const run = await startOnce();
  times.push(run.ms);
  if (i < runs - 1) await run.stop();
  else {
    await new Promise((r) => setTimeout(r, 3000));
    const idle = rssMb(run.pid);
    for (let j = 0; j < 200; j++) {
      await fetch(`${run.url}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: j % 2 ? `/remember bench note ${j}` : '/recall bench' }),
      });
    }
    await new Promise((r) => setTimeout(r, 2000));
    const afterUse = rssMb(run.pid);
    line('cold start to /healthz 200', summary(times, 'ms', 0), '≤ 1500 ms');
    line('idle RSS after start', `${idle.toFixed(0)} MB`, '≤ 150 MB');
    line('RSS after 200 chat turns', `${afterUse.toFixed(0)} MB`);
    await run.stop();
  }
}
