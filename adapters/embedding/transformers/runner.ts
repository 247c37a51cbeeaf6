// Where the embedding model runs, and how the embedder talks to it. Two transports for one worker script
// (worker.ts): a child process (default) or a worker thread. Both keep tokenising and onnxruntime off the
// main thread. The child process is the default because it gives memory back: a stopped worker thread leaves
// onnxruntime, transformers.js and malloc's arenas in the bot's RSS (~110 MB measured for a MiniLM-sized model),
// while an exited process leaves nothing; and a native crash in onnxruntime ends only that process, not the bot.
// Also here: the message protocol, the session settings, and which files a model needs.

import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

export type Isolation = 'process' | 'thread';

export interface SessionOptions {
  intraOpNumThreads?: number;
  extra: Record<string, unknown>;
}

export interface WorkerInit {
  model: string;
  dtype: string;
  modelsDir: string;
  allowDownload: boolean;
  remoteHost?: string;
  sessionOptions: SessionOptions;
}

export type LoadFailure = 'missing' | 'network' | 'not_on_hub' | 'error';
export type ToWorker = { type: 'embed'; id: number; texts: string[] };
export type FromWorker =
  | { type: 'progress'; progress: number; loaded: number; total: number }
  | { type: 'ready'; dims: number; loadMs: number }
  | { type: 'failed'; kind: LoadFailure; detail: string }
  | { type: 'result'; id: number; dims: number; data: Float32Array }
  | { type: 'error'; id: number; message: string };

/**
 * onnxruntime settings of the embedding session (the benchmark's raw session uses the same). Its pool threads spin
 * between runs by default; on a small machine that burns the cores the chat needs, and measured slower here whenever
 * anything else runs. Embedding is background work: no spinning.
 */
export function sessionOptions(threads?: number): SessionOptions {
  return {
    ...(threads ? { intraOpNumThreads: threads } : {}),
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  };
}

/** File-name suffix transformers.js appends to onnx/model for each weights variant. */
export const DTYPE_FILE_SUFFIX: Readonly<Record<string, string>> = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  q4: '_q4',
};

/** The files a model needs in `modelsDir/<model>/`, relative to it. */
function modelFiles(dtype: string): string[] {
  return ['config.json', 'tokenizer.json', 'tokenizer_config.json', `onnx/model${DTYPE_FILE_SUFFIX[dtype] ?? ''}.onnx`];
}

export function missingModelFiles(modelsDir: string, model: string, dtype: string): string[] {
  return modelFiles(dtype).filter((f) => !existsSync(join(modelsDir, model, f)));
}

/** A running worker as the embedder sees it. */
export interface Runner {
  send(msg: ToWorker): void;
  /** Whether it keeps the bot's process alive (only while there is work). */
  ref(): void;
  unref(): void;
  /** Ends it on purpose: no crash is reported. */
  stop(): Promise<void>;
}

export interface RunnerEvents {
  message(msg: FromWorker): void;
  /** It ended without being asked to. Called at most once. */
  crash(err: Error): void;
}

export function startRunner(isolation: Isolation, script: URL, init: WorkerInit, on: RunnerEvents): Runner {
  let stopping = false;
  let crashed = false;
  const crash = (err: Error) => {
    if (stopping || crashed) return;
    crashed = true;
    on.crash(err);
  };

  if (isolation === 'thread') {
    const worker = new Worker(script, { workerData: init });
    worker.on('message', (msg: FromWorker) => !stopping && on.message(msg));
    worker.on('error', (err: Error) => crash(err));
    worker.on('exit', (code) => crash(new Error(`the worker thread exited with code ${code}`)));
    return {
      send: (msg) => worker.postMessage(msg),
      ref: () => worker.ref(),
      unref: () => worker.unref(),
      stop: async () => {
        stopping = true;
        await worker.terminate();
      },
    };
  }

  // The child's stdout goes to the bot's stderr, so nothing it prints can mix into the bot's JSON log lines.
  // A debugger flag of the bot's would make the child fight it for the inspector port.
  const execArgv = process.execArgv.filter((a) => !/^--inspect|^--debug/.test(a));
  const child = fork(fileURLToPath(script), [JSON.stringify(init)], {
    serialization: 'advanced',
    stdio: ['ignore', 2, 2, 'ipc'],
    execArgv,
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.on('message', (msg: FromWorker) => !stopping && on.message(msg));
  child.on('error', (err) => crash(err));
  child.on('exit', (code, signal) => crash(new Error(`the embedding process exited with ${signal ?? `code ${code}`}`)));
  return {
    send: (msg) => child.send(msg),
    ref: () => {
      child.ref();
      child.channel?.ref();
    },
    unref: () => {
      child.unref();
      child.channel?.unref();
    },
    stop: async () => {
      stopping = true;
      child.ref(); // awaiting the exit must keep the process alive until it comes
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
