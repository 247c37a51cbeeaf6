// Child scheduler processes for the multi-process tests: starts test/scheduler/fixtures/worker.ts and collects the
// JSON lines it prints (ready, one per run, errors).

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const WORKER = fileURLToPath(new URL('./fixtures/worker.ts', import.meta.url));

export interface Run {
  event: string;
  id?: string;
  worker?: string;
  at?: number;
  due?: number | null;
}

export interface Worker {
  child: ChildProcess;
  lines: Run[];
  ready: Promise<void>;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

export function startWorker(env: Record<string, string>): Worker {
  const child = spawn(process.execPath, [WORKER], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Run[] = [];
  let stderr = '';
  let buffer = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = JSON.parse(buffer.slice(0, nl)) as Run;
        buffer = buffer.slice(nl + 1);
        lines.push(line);
        if (line.event === 'ready') resolve();
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    void exited.then(() => reject(new Error(`worker exited before ready: ${stderr}`)));
  });
  return {
    child,
    lines,
    ready,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

export const runsOf = (workers: Worker[]): Run[] => workers.flatMap((w) => w.lines.filter((l) => l.event === 'run'));
