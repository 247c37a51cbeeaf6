// What the scheduler contract's parts share: the target a backend test provides, the per-part context, and
// helpers that wait for events and polls instead of sleeping.

import { afterEach, type TestContext } from 'node:test';
import type { EventEmitter } from 'node:events';
import { loadAgenda, type Agenda, type AgendaBackend } from '../../adapters/scheduler/agenda/index.ts';

export interface SchedulerTarget {
  /** Starts what the backend needs (a server, a temp dir); called once before the suite. */
  setup?(): Promise<void>;
  teardown?(): Promise<void>;
  /** A new backend object over the suite's one job store (not connected): same data, separate connection state. */
  backend(): Promise<AgendaBackend>;
  /** Environment that lets test/scheduler/fixtures/worker.ts open the same job store in another process. */
  workerEnv(): Record<string, string>;
  /** Test title → why this backend cannot prove it (shown as skipped). */
  skip?: Record<string, string>;
}

/** What each part of the contract gets: the target's backends and a test() that honours `skip`. */
export interface ContractContext {
  target: SchedulerTarget;
  it: (title: string, fn: (t: TestContext) => Promise<void>) => void;
  /** A connected backend over the shared store, emptied; the same object for the whole part. */
  shared: () => AgendaBackend;
}

/** Resolves with the arguments of the `count`-th `event`; rejects after `ms` (a liveness bound, not a speed check). */
export function waitFor(emitter: EventEmitter, event: string, count = 1, ms = 15_000): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    let seen = 0;
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`"${event}" seen ${seen} of ${count} times within ${ms} ms`));
    }, ms);
    const listener = (...args: unknown[]) => {
      if (++seen < count) return;
      clearTimeout(timer);
      emitter.off(event, listener);
      resolve(args);
    };
    emitter.on(event, listener);
  });
}

/** Polls `check` until it returns a value other than undefined/false. */
export async function until<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
  ms = 15_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${ms} ms`);
    await delay(20);
  }
}

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Counts the Agenda's polls (JobProcessor.process), so a test can wait for N more instead of sleeping. */
export function pollCounter(agenda: object): (n?: number) => Promise<void> {
  const processor = (agenda as { jobProcessor?: { process: () => Promise<void> } }).jobProcessor;
  if (!processor) throw new Error('start the Agenda before counting its polls');
  let polls = 0;
  const original = processor.process.bind(processor);
  processor.process = async () => {
    await original();
    polls++;
  };
  return async (n = 3) => {
    const target = polls + n;
    await until(() => polls >= target, `${n} polls`);
  };
}

type AgendaConfig = ConstructorParameters<typeof Agenda>[0];

/**
 * Makes Agendas on the shared backend, stopped after each test. processEvery 100 ms like Agenda's own suites; a
 * short default lock lifetime because Agenda's liveness check leaves a timer of lockLifetime/2 behind each run,
 * which would keep the test process alive for 5 minutes with the default.
 */
export function agendaMaker(ctx: ContractContext): (config?: Partial<AgendaConfig>) => Promise<Agenda> {
  const made: Agenda[] = [];
  afterEach(async () => {
    await Promise.all(made.splice(0).map((a) => a.stop()));
  });
  return async (config = {}) => {
    const { Agenda } = await loadAgenda();
    const agenda = new Agenda({ backend: ctx.shared(), processEvery: 100, defaultLockLifetime: 2000, ...config });
    made.push(agenda);
    await agenda.ready;
    return agenda;
  };
}

/** Handlers that wait until the test is over: `gate.wait` never resolves before afterEach opens it. */
export function gateMaker(): { wait: () => Promise<void> } {
  let open: () => void = () => undefined;
  let opened = new Promise<void>((resolve) => (open = resolve));
  afterEach(() => {
    open();
    opened = new Promise<void>((resolve) => (open = resolve));
  });
  return { wait: () => opened };
}
