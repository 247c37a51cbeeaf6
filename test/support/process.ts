// Runs `bin/solo.js` as a real child process, the way a user starts it.

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/solo.js', import.meta.url));

export interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
}

export interface Spawned {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the web chat's URL once the log says Solo OS is ready; rejects if it exits first or takes too long. */
  ready: Promise<Started>;
}

/** Starts Solo OS (PORT=0: a free port) and hands back the child at once, before it is ready. */
export function spawnProcess(env: Record<string, string>, timeoutMs = 15_000, script = BIN): Spawned {
  const child = spawn(process.execPath, [script], {
    env: { PATH: process.env['PATH'] ?? '', PORT: '0', LOG_FORMAT: 'json', EMBEDDING_MODEL: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const output = () => out;
  const ready = new Promise<Started>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`not ready within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const match = /"url":"(http:\/\/[^"]+)"/.exec(out);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve({ child, url: match[1], output });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before ready:\n${out}`));
    });
  });
  return { child, output, ready };
}

/** Starts Solo OS and resolves once its log says it is ready (PORT=0: a free port). */
export function startProcess(env: Record<string, string>, timeoutMs = 15_000, script = BIN): Promise<Started> {
  return spawnProcess(env, timeoutMs, script).ready;
}

export function runToExit(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 20_000,
  node = process.execPath,
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  const child = spawn(node, args, {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

export function killHard(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** One line of the JSON log. */
export interface LogLine {
  level: number;
  msg: string;
  component?: string;
  [key: string]: unknown;
}

/** The JSON log lines written so far (other output is skipped). */
export function logLines(output: string): LogLine[] {
  return output.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      return [JSON.parse(line) as LogLine];
    } catch {
      return [];
    }
  });
}

/**
 * Resolves with the first log line that matches, now or when it is written. The limit only turns a missing line
 * into a readable failure.
 */
export function waitForLog(started: Started, match: (line: LogLine) => boolean, limitMs = 15_000): Promise<LogLine> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const found = logLines(started.output()).find(match);
      if (found) {
        clearTimeout(timer);
        started.child.stdout?.off('data', check);
        resolve(found);
      }
      return found !== undefined;
    };
    const timer = setTimeout(() => {
      started.child.stdout?.off('data', check);
      reject(new Error(`no such log line within ${limitMs} ms:\n${started.output()}`));
    }, limitMs);
    if (!check()) started.child.stdout?.on('data', check);
  });
}

/** Sends a signal and resolves with the exit code and how long the process took to end after it. */
export function stopWith(
  child: ChildProcess,
  signal: NodeJS.Signals = 'SIGTERM',
  limitMs = 15_000,
): Promise<{ code: number | null; ms: number }> {
  return new Promise((resolve) => {
    const sent = Date.now();
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, ms: Date.now() - sent });
    });
    child.kill(signal);
  });
}
