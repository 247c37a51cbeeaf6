// The scheduler port over Agenda: each job is one Agenda job named `solo:<kind>` whose data is { key, due, value }.
// Never a repeating Agenda job: the handler says when the job is due next and this saves it, so Agenda's every()
// (which re-enables a paused job when called again at start) is never involved, and the due time being fired
// stays in the data while Agenda's own nextRunAt is cleared during a run (a crash mid-run runs it again with the
// same due time, and the core's handler finds its own earlier work).

import type { Agenda, AgendaBackend, Job, JobParameters, JobRepository } from 'agenda';
import type { Logger } from '../../../src/observability/logger.ts';
import type {
  JobHandler,
  JobUpdate,
  ScheduledJob,
  SchedulerPort,
  SchedulerState,
} from '../../../src/ports/scheduler.ts';
import { createAgenda, loadAgenda, openBackend, PROCESS_EVERY_MS, type SchedulerStore } from './index.ts';

interface Stored {
  key: string;
  /** ISO time the job is due (what a fire is for); null when done. */
  due: string | null;
  value: unknown;
}

export interface AgendaSchedulerOptions {
  store: SchedulerStore;
  logger: Logger;
  /**
   * How long a handler may hold a job before another process may take it over. Agenda also leaves a timer of half
   * this behind every run, which holds a process that does not exit explicitly (the CLI does).
   */
  lockLifetimeMs?: number;
  /** How long stop() waits for handlers in flight. */
  stopWaitMs?: number;
  /** When a handler throws, the same due time is tried again after this. */
  retryMs?: number;
  pollMs?: number;
  /** Handlers of one kind running at once in this process. */
  concurrency?: number;
}

const nameOf = (kind: string): string => `solo:${kind}`;
const isStored = (data: unknown): data is Stored =>
  typeof data === 'object' && data !== null && typeof (data as Stored).key === 'string';

export class AgendaScheduler implements SchedulerPort {
  readonly #o: AgendaSchedulerOptions;
  readonly #log: Logger;
  readonly #handlers = new Map<string, JobHandler<unknown>>();
  readonly #inFlight = new Set<Promise<void>>();
  #opening: Promise<{ agenda: Agenda; backend: AgendaBackend; JobClass: typeof Job }> | undefined;
  #status = 'stopped';
  #backendName = 'not opened';
  #started = false;

  constructor(options: AgendaSchedulerOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'scheduler' });
  }

  /** Loads Agenda and connects to the store on first use (jobs can be saved and listed before start()). */
  #open(): Promise<{ agenda: Agenda; backend: AgendaBackend; JobClass: typeof Job }> {
    return (this.#opening ??= (async () => {
      const [backend, { Job: JobClass }] = await Promise.all([openBackend(this.#o.store), loadAgenda()]);
      const agenda = await createAgenda(backend, {
        name: `solo-${process.pid}`,
        processEvery: this.#o.pollMs ?? PROCESS_EVERY_MS,
        defaultLockLifetime: this.#o.lockLifetimeMs ?? 15_000,
        maxConcurrency: 50,
      });
      agenda.on('error', (err: Error) =>
        this.#log.warn({ err }, 'the scheduler could not poll its jobs; it tries again at the next poll'),
      );
      await agenda.ready;
      this.#backendName = backend.name;
      for (const [kind, handler] of this.#handlers) this.#define(agenda, kind, handler);
      return { agenda, backend, JobClass };
    })());
  }

  define<D>(kind: string, handler: JobHandler<D>): void {
    this.#handlers.set(kind, handler as JobHandler<unknown>);
    void this.#opening?.then(({ agenda }) => this.#define(agenda, kind, handler as JobHandler<unknown>));
  }

  #define(agenda: Agenda, kind: string, handler: JobHandler<unknown>): void {
    agenda.define(nameOf(kind), (job: Job) => this.#track(this.#run(kind, job, handler)), {
      concurrency: this.#o.concurrency ?? 20,
      removeOnComplete: true,
    });
  }

  #track(work: Promise<void>): Promise<void> {
    this.#inFlight.add(work);
    void work.finally(() => this.#inFlight.delete(work)).catch(() => undefined);
    return work;
  }

  async #run(kind: string, job: Job, handler: JobHandler<unknown>): Promise<void> {
    const { agenda } = await this.#open();
    const id = String(job.attrs._id);
    // Agenda has cleared nextRunAt for this run; the job's own record says what is due and whether it was paused
    // (or removed) after it was picked up.
    const current = await agenda.db.getJobById(id);
    if (!current || !isStored(current.data)) return;
    const stored = current.data;
    if (current.disabled) {
      job.attrs.nextRunAt = stored.due === null ? null : new Date(stored.due);
      return;
    }
    try {
      const update = await handler(toScheduled(kind, current, stored));
      const latest = await agenda.db.getJobById(id);
      if (!latest) return;
      if (JSON.stringify(latest.data) !== JSON.stringify(current.data)) {
        // Saved while the handler ran (resumed with a new time, a new wake-up asked for): that save wins.
        job.attrs.nextRunAt = latest.nextRunAt ?? null;
        return;
      }
      job.attrs.data = { key: stored.key, due: update.due?.toISOString() ?? null, value: update.data } satisfies Stored;
      job.attrs.nextRunAt = update.due;
      job.attrs.disabled = latest.disabled ?? false;
      await job.save();
    } catch (err) {
      // The same due time again later; Agenda records the failure on the job.
      const retry = new Date(Date.now() + (this.#o.retryMs ?? 30_000));
      job.attrs.data = stored;
      job.attrs.nextRunAt = retry;
      this.#log.error(
        { err, kind, key: stored.key, due: stored.due },
        `a scheduled ${kind} job failed; trying it again at ${retry.toISOString()}`,
      );
      throw err;
    }
  }

  async start(): Promise<void> {
    this.#status = 'starting';
    try {
      const { agenda } = await this.#open();
      await agenda.start();
      // Agenda's poll interval is not unref'd: a process whose only work left is polling for jobs could not end
      // (a test that forgot to stop the app). The interval is a field of Agenda's job processor (private in its types).
      (
        agenda as unknown as { jobProcessor?: { processInterval?: NodeJS.Timeout } }
      ).jobProcessor?.processInterval?.unref();
      this.#started = true;
      this.#status = 'running';
    } catch (err) {
      this.#status = `failed: ${(err as Error).message}`;
      throw err;
    }
  }

  async stop(): Promise<void> {
    const opening = this.#opening;
    if (!opening) return;
    this.#status = 'stopped';
    const { agenda, backend } = await opening;
    // Queued jobs are unlocked for other processes; a handler in flight gets a bounded time to finish. One that
    // does not is run again by the next process (its lock's owner is gone).
    if (this.#started) await agenda.stop(false);
    this.#started = false;
    const waited = Promise.all([...this.#inFlight]).then(() => undefined);
    await Promise.race([waited, new Promise((resolve) => setTimeout(resolve, this.#o.stopWaitMs ?? 1000).unref())]);
    await backend.disconnect();
    this.#opening = undefined;
  }

  async save<D>(
    kind: string,
    key: string,
    job: JobUpdate<D> & { paused?: boolean },
    options: { onlyNew?: boolean } = {},
  ): Promise<{ job: ScheduledJob<D>; created: boolean }> {
    const { agenda, JobClass } = await this.#open();
    const existing = await this.#find(agenda, kind, key);
    if (existing && options.onlyNew)
      return { job: toScheduled(kind, existing, existing.data as Stored) as ScheduledJob<D>, created: false };
    const data: Stored = { key, due: job.due?.toISOString() ?? null, value: job.data };
    let saved: Job;
    if (existing) {
      // Saved by id over the stored record, so what is not given here (paused, lock, history) stays as it is.
      saved = new JobClass(agenda, {
        ...existing,
        data,
        nextRunAt: job.due,
        ...(job.paused === undefined ? {} : { disabled: job.paused }),
      });
    } else {
      saved = agenda.create(nameOf(kind), data);
      saved.attrs.nextRunAt = job.due;
      saved.attrs.disabled = job.paused ?? false;
      // Two processes creating the same key at once make one job.
      saved.unique({ 'data.key': key }, { insertOnly: true });
    }
    await saved.save();
    const stored = (await agenda.db.getJobById(String(saved.attrs._id))) ?? saved.attrs;
    return { job: toScheduled(kind, stored, stored.data as Stored) as ScheduledJob<D>, created: !existing };
  }

  async get<D>(kind: string, key: string): Promise<ScheduledJob<D> | undefined> {
    const { agenda } = await this.#open();
    const found = await this.#find(agenda, kind, key);
    return found ? (toScheduled(kind, found, found.data as Stored) as ScheduledJob<D>) : undefined;
  }

  async #find(agenda: Agenda, kind: string, key: string): Promise<JobParameters | undefined> {
    const { jobs } = await agenda.queryJobs({ name: nameOf(kind), data: { key }, limit: 1 });
    return jobs[0];
  }

  async list<D>(kind: string, options: { limit?: number } = {}): Promise<ScheduledJob<D>[]> {
    const { agenda } = await this.#open();
    const { jobs } = await agenda.queryJobs({
      name: nameOf(kind),
      sort: { nextRunAt: 'asc' },
      ...(options.limit ? { limit: options.limit } : {}),
    });
    return jobs.filter((j) => isStored(j.data)).map((j) => toScheduled(kind, j, j.data as Stored) as ScheduledJob<D>);
  }

  async count(kind: string): Promise<{ total: number; paused: number }> {
    const { agenda } = await this.#open();
    const overview = (await agenda.db.getJobsOverview()).find((o) => o.name === nameOf(kind));
    return { total: overview?.total ?? 0, paused: overview?.paused ?? 0 };
  }

  async remove(kind: string, key: string): Promise<boolean> {
    const { agenda } = await this.#open();
    return (await agenda.cancel({ name: nameOf(kind), data: { key } })) > 0;
  }

  async setPaused(kind: string, key: string, paused: boolean): Promise<boolean> {
    const { agenda } = await this.#open();
    const filter = { name: nameOf(kind), data: { key } };
    return (paused ? await agenda.disable(filter) : await agenda.enable(filter)) > 0;
  }

  state(): SchedulerState {
    return {
      status: this.#status,
      backend: this.#backendName,
      pollMs: this.#o.pollMs ?? PROCESS_EVERY_MS,
      running: this.#inFlight.size,
    };
  }

  /** The repository, for tests and benches that look under the port. */
  async repository(): Promise<JobRepository> {
    return (await this.#open()).agenda.db;
  }
}

function toScheduled(kind: string, job: JobParameters, stored: Stored): ScheduledJob {
  return {
    kind,
    key: stored.key,
    due: stored.due === null ? null : new Date(stored.due),
    data: stored.value,
    paused: job.disabled === true,
    ...(job.lastRunAt ? { lastRunAt: job.lastRunAt } : {}),
    ...(job.lastFinishedAt ? { lastFinishedAt: job.lastFinishedAt } : {}),
  };
}
