// The scheduler port: durable timers in the store, shared by every process on it. A job has a kind (which handler
// runs it), a key (unique within the kind), when it is due next, and JSON data. When a job is due, one process
// runs its handler, which says when the job is due next and what its data is from then on; the core decides
// everything else (recurrence, missed runs, what a fire starts). Implemented by adapters/scheduler/agenda.

export interface ScheduledJob<D = unknown> {
  kind: string;
  key: string;
  /** When it runs next; null once finished. */
  due: Date | null;
  data: D;
  /** A paused job is not run when due; it keeps its due time. */
  paused: boolean;
  /** When a handler last started and finished on it. */
  lastRunAt?: Date;
  lastFinishedAt?: Date;
}

/** What a handler decides: the next due time (null: the job is done and removed) and its data from now on. */
export interface JobUpdate<D> {
  due: Date | null;
  data: D;
}

/**
 * Runs a due job. It may run again for the same due time after a crash (at least once): derive everything it
 * starts from the job's data so a second run finds the first one's work. A handler that throws is retried later
 * with the same data. A save of the same job made while the handler ran wins over the handler's answer.
 */
export type JobHandler<D> = (job: ScheduledJob<D>) => Promise<JobUpdate<D>>;

export interface SchedulerState {
  /** 'starting', 'running', 'stopped', or 'failed: <why>'. */
  status: string;
  /** Where the jobs are kept, e.g. "SQLite" or "MongoDB". */
  backend: string;
  /** How often the store is polled for jobs another process saved. */
  pollMs: number;
  /** Handlers running now in this process. */
  running: number;
}

export interface SchedulerPort {
  /** Registers the handler of a kind (before start). */
  define<D>(kind: string, handler: JobHandler<D>): void;
  start(): Promise<void>;
  /** Takes no more jobs and waits a bounded time for handlers in flight. */
  stop(): Promise<void>;
  /**
   * Creates the job of this kind and key, or replaces its due time and data (unless `onlyNew`: then an existing job
   * is left as it is). `paused` is kept as it was unless given. Returns the job as stored and whether it was new.
   */
  save<D>(
    kind: string,
    key: string,
    job: JobUpdate<D> & { paused?: boolean },
    options?: { onlyNew?: boolean },
  ): Promise<{ job: ScheduledJob<D>; created: boolean }>;
  get<D>(kind: string, key: string): Promise<ScheduledJob<D> | undefined>;
  /** Jobs of a kind, soonest due first. */
  list<D>(kind: string, options?: { limit?: number }): Promise<ScheduledJob<D>[]>;
  count(kind: string): Promise<{ total: number; paused: number }>;
  remove(kind: string, key: string): Promise<boolean>;
  /** Pauses or resumes; false when there is no such job or it already was. */
  setPaused(kind: string, key: string, paused: boolean): Promise<boolean>;
  state(): SchedulerState;
}
