// Run ownership across processes: a run is executed only by the process holding its lease in the store. The lease
// is renewed while the run executes and released when it stops; a process that dies leaves a lease that expires
// (or, on the same machine, is taken over at once once its process is gone, so a restart after `kill -9` resumes
// its runs without waiting).

import { hostname } from 'node:os';
import { randomId } from '../domain/ids.ts';
import type { Logger } from '../observability/logger.ts';
import type { RunStore } from '../ports/engine-store.ts';

const DEFAULT_LEASE_MS = 30_000;
const HOST = hostname();

/** A lease owner names its machine and process, so that a lease left by a dead process here can be recognised. */
const ownerName = (): string => `${HOST}:${process.pid}:${randomId('', 6)}`;

function deadHereBefore(holder: string): boolean {
  const [host, pid] = holder.split(':');
  if (host !== HOST || pid === undefined || Number(pid) === process.pid) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export class Leases {
  readonly owner = ownerName();
  readonly periodMs: number;
  readonly #runs: RunStore;
  readonly #log: Logger;

  constructor(runs: RunStore, logger: Logger, periodMs = DEFAULT_LEASE_MS) {
    this.#runs = runs;
    this.#log = logger;
    this.periodMs = periodMs;
  }

  /** Takes the run's lease: free, expired, ours already, or left by a process on this machine that is gone. */
  async #take(runId: string, now: () => Date): Promise<boolean> {
    const at = now();
    const until = new Date(at.getTime() + this.periodMs);
    const result = await this.#runs.lease(runId, this.owner, until, at);
    if (result.ok) return true;
    if (!deadHereBefore(result.holder)) return false;
    this.#log.info({ runId, holder: result.holder }, 'taking over a run whose process is gone');
    return (await this.#runs.lease(runId, this.owner, until, at, result.holder)).ok;
  }

  /** Whether nobody alive holds the run (it may be executed here). */
  async free(runId: string, now: () => Date): Promise<boolean> {
    const holder = await this.#runs.leaseHolder(runId, now());
    return holder === undefined || holder === this.owner || deadHereBefore(holder);
  }

  /** Runs `fn` while holding the run's lease (renewed meanwhile); does nothing when another process holds it. */
  async hold(runId: string, now: () => Date, fn: () => Promise<void>): Promise<void> {
    if (!(await this.#take(runId, now))) {
      this.#log.debug({ runId }, 'another process is executing this run');
      return;
    }
    const renew = setInterval(
      () => {
        this.#take(runId, now).catch((err: unknown) => this.#log.warn({ err, runId }, 'could not renew a run lease'));
      },
      Math.max(10, Math.floor(this.periodMs / 3)),
    );
    renew.unref();
    try {
      await fn();
    } finally {
      clearInterval(renew);
      await this.#runs
        .release(runId, this.owner)
        .catch((err: unknown) => this.#log.warn({ err, runId }, 'could not release a run lease'));
    }
  }
}
