// Agenda 6's JobRepository over node:sqlite, with @agendajs/mongo-backend's semantics. Every lock is one
// UPDATE ... RETURNING inside BEGIN IMMEDIATE, so processes sharing the file never lock the same job run twice.

import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import { computeJobState } from 'agenda';
import type {
  JobId,
  JobParameters,
  JobRepository,
  JobRepositoryOptions,
  JobsOverview,
  JobsQueryOptions,
  JobsResult,
  JobsSort,
  JobWithState,
  RemoveJobsOptions,
} from 'agenda';
import { dataFilter, reasonText, rowToJob, SchedulerError, toMs, type Condition, type JobRow } from './sqlite-codec.ts';
import { saveJob } from './sqlite-save.ts';
import { isDeadOwner, LOCK_OWNER } from './lock-owner.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS agenda_jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, priority INTEGER NOT NULL DEFAULT 0, next_run_at INTEGER,
  type TEXT NOT NULL, locked_at INTEGER, locked_by TEXT, last_run_at INTEGER, last_finished_at INTEGER,
  failed_at INTEGER, fail_count INTEGER, fail_reason TEXT, repeat_interval TEXT, repeat_timezone TEXT, repeat_at TEXT,
  disabled INTEGER, progress REAL, data TEXT NOT NULL DEFAULT 'null', last_modified_by TEXT, fork INTEGER,
  debounce_started_at INTEGER, start_date INTEGER, end_date INTEGER, skip_days TEXT
);
CREATE INDEX IF NOT EXISTS agenda_jobs_due ON agenda_jobs (name, next_run_at, priority DESC, id);
CREATE INDEX IF NOT EXISTS agenda_jobs_locked ON agenda_jobs (name, locked_at) WHERE locked_at IS NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS agenda_jobs_single ON agenda_jobs (name) WHERE type = 'single';
CREATE INDEX IF NOT EXISTS agenda_jobs_key ON agenda_jobs (name, json_extract(data, '$."key"'));
`;

/** Agenda's lock order (the MongoDB backend's default sort), ties by insertion. */
const LOCK_ORDER = 'ORDER BY next_run_at, priority DESC, id';
const candidate = (where: string) =>
  `SELECT * FROM (SELECT id, next_run_at, priority FROM agenda_jobs WHERE name = :name AND disabled IS NOT 1 AND ${where} ${LOCK_ORDER} LIMIT 1)`;
/** The next job of a name to run: due and unlocked, or locked by a lock that expired or whose process is gone. */
const NEXT_JOB = (withDeadOwners: boolean) =>
  `SELECT id FROM (${[
    candidate('locked_at IS NULL AND next_run_at <= :scan'),
    candidate('locked_at <= :deadline'),
    ...(withDeadOwners
      ? [candidate('locked_at IS NOT NULL AND locked_by IN (SELECT value FROM json_each(:dead))')]
      : []),
  ].join(' UNION ALL ')}) ${LOCK_ORDER} LIMIT 1`;

const SORT_COLUMNS: Record<keyof JobsSort, string> = {
  nextRunAt: 'next_run_at',
  lastRunAt: 'last_run_at',
  lastFinishedAt: 'last_finished_at',
  priority: 'priority',
  name: 'name',
  data: 'data',
};
/** How often the owners of held locks are checked for being alive. */
const OWNER_CHECK_MS = 2000;

export type DatabaseSource = () => DatabaseSync;

export class SqliteJobRepository implements JobRepository {
  private readonly source: DatabaseSource;
  private statements = new Map<string, StatementSync>();
  private statementsFor: DatabaseSync | undefined;
  private deadOwners: string[] = [];
  private ownersCheckedAt = 0;

  constructor(source: DatabaseSource) {
    this.source = source;
  }

  get db(): DatabaseSync {
    return this.source();
  }

  /** Creates the table and indexes if missing (also done on first use of each opened database). */
  async connect(): Promise<void> {
    return guard(() => {
      this.stmt('SELECT 1');
      this.ownersCheckedAt = 0;
    });
  }

  /** A statement prepared once per open database; the first one on a database ensures the schema. */
  stmt(sql: string): StatementSync {
    const db = this.db;
    if (this.statementsFor !== db) {
      db.exec(SCHEMA);
      this.statements = new Map();
      this.statementsFor = db;
    }
    let prepared = this.statements.get(sql);
    if (!prepared) this.statements.set(sql, (prepared = db.prepare(sql)));
    return prepared;
  }

  /** `fn` inside BEGIN IMMEDIATE: the write lock is taken first, so what `fn` reads is still true when it writes. */
  tx<T>(fn: () => T): T {
    this.stmt('SELECT 1');
    const db = this.db;
    db.exec('BEGIN IMMEDIATE');
    try {
      const result = fn();
      db.exec('COMMIT');
      return result;
    } catch (err) {
      if (db.isTransaction) db.exec('ROLLBACK');
      throw err;
    }
  }

  private rows(sql: string, params: SQLInputValue[] | Record<string, SQLInputValue> = []): JobRow[] {
    const s = this.stmt(sql);
    return (Array.isArray(params) ? s.all(...params) : s.all(params)) as unknown as JobRow[];
  }

  async getJobById(id: string): Promise<JobParameters | null> {
    return guard(() => {
      const row = this.rows('SELECT * FROM agenda_jobs WHERE id = ?', [String(id)])[0];
      return row ? rowToJob(row) : null;
    });
  }

  async queryJobs(options: JobsQueryOptions = {}): Promise<JobsResult> {
    return guard(() => {
      const { name, names, state, id, ids, search, data, includeDisabled = true, sort, skip = 0, limit = 0 } = options;
      const conditions: Condition[] = [];
      if (search && typeof search === 'string') {
        conditions.push({
          sql: `name LIKE ? ESCAPE '\\'`,
          params: [`%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`],
        });
      } else if (name && typeof name === 'string') conditions.push({ sql: 'name = ?', params: [name] });
      else if (Array.isArray(names) && names.some((n) => typeof n === 'string'))
        conditions.push(
          inList(
            'name',
            names.filter((n) => typeof n === 'string'),
          ),
        );
      if (id && typeof id === 'string') {
        if (!isId(id)) return { jobs: [], total: 0 };
        conditions.push({ sql: 'id = ?', params: [Number(id)] });
      } else if (Array.isArray(ids) && ids.length > 0) {
        if (!ids.every(isId)) return { jobs: [], total: 0 };
        conditions.push(inList('id', ids.map(Number)));
      }
      if (data !== undefined) conditions.push(...dataFilter(data));
      if (!includeDisabled) conditions.push({ sql: 'disabled IS NOT 1', params: [] });
      const where = whereClause(conditions);
      const order = orderBy(sort);
      const now = new Date();
      const withState = (row: JobRow): JobWithState => {
        const job = rowToJob(row);
        return { ...job, _id: job._id as JobId, state: computeJobState(job, now) };
      };
      if (!state) {
        const page = this.rows(`SELECT * FROM agenda_jobs ${where.sql} ${order} LIMIT ? OFFSET ?`, [
          ...where.params,
          limit > 0 ? limit : -1,
          Math.max(0, skip),
        ]);
        const total = (
          this.stmt(`SELECT count(*) AS n FROM agenda_jobs ${where.sql}`).get(...where.params) as { n: number }
        ).n;
        return { jobs: page.map(withState), total };
      }
      const all = this.rows(`SELECT * FROM agenda_jobs ${where.sql} ${order}`, where.params)
        .map(withState)
        .filter((job) => (state === 'paused' ? job.disabled === true : job.state === state));
      return { jobs: limit > 0 ? all.slice(skip, skip + limit) : all.slice(Math.max(0, skip)), total: all.length };
    });
  }

  async getJobsOverview(): Promise<JobsOverview[]> {
    return guard(() => {
      const now = new Date();
      const byName = new Map<string, JobsOverview>();
      for (const row of this.rows('SELECT * FROM agenda_jobs ORDER BY name')) {
        let overview = byName.get(row.name);
        if (!overview) {
          overview = {
            name: row.name,
            total: 0,
            running: 0,
            scheduled: 0,
            queued: 0,
            completed: 0,
            failed: 0,
            repeating: 0,
            paused: 0,
          };
          byName.set(row.name, overview);
        }
        const job = rowToJob(row);
        overview.total++;
        overview[computeJobState(job, now)]++;
        if (job.disabled === true) overview.paused++;
      }
      return [...byName.values()];
    });
  }

  async getDistinctJobNames(): Promise<string[]> {
    return guard(() =>
      (this.stmt('SELECT DISTINCT name FROM agenda_jobs ORDER BY name').all() as { name: string }[]).map((r) => r.name),
    );
  }

  async getQueueSize(): Promise<number> {
    return guard(
      () =>
        (this.stmt('SELECT count(*) AS n FROM agenda_jobs WHERE next_run_at < ?').get(Date.now()) as { n: number }).n,
    );
  }

  async removeJobs(options: RemoveJobsOptions): Promise<number> {
    return guard(() => {
      const where = selection(options);
      return where ? Number(this.stmt(`DELETE FROM agenda_jobs ${where.sql}`).run(...where.params).changes) : 0;
    });
  }

  async disableJobs(options: RemoveJobsOptions): Promise<number> {
    return this.setDisabled(options, true);
  }

  async enableJobs(options: RemoveJobsOptions): Promise<number> {
    return this.setDisabled(options, false);
  }

  /** Counts only jobs whose flag changed, like MongoDB's modifiedCount. */
  private setDisabled(options: RemoveJobsOptions, disabled: boolean): Promise<number> {
    return guard(() => {
      const where = selection(options);
      if (!where) return 0;
      const flag = disabled ? 1 : 0;
      return Number(
        this.stmt(`UPDATE agenda_jobs SET disabled = ? ${where.sql} AND disabled IS NOT ?`).run(
          flag,
          ...where.params,
          flag,
        ).changes,
      );
    });
  }

  async purgeAllJobs(): Promise<number> {
    return guard(() => Number(this.stmt('DELETE FROM agenda_jobs').run().changes));
  }

  async saveJob<DATA = unknown>(
    job: JobParameters<DATA>,
    options: JobRepositoryOptions | undefined,
  ): Promise<JobParameters<DATA>> {
    return guard(() => saveJob(this, job, options?.lastModifiedBy));
  }

  async saveJobState(job: JobParameters, options: JobRepositoryOptions | undefined): Promise<void> {
    return guard(() => {
      if (!job._id) throw new Error('Cannot save job state without job ID');
      const lockedAt = toMs(job.lockedAt);
      const { changes } = this.stmt(
        `UPDATE agenda_jobs SET locked_at = ?, locked_by = ?, next_run_at = ?, last_run_at = ?, progress = ?, fail_reason = ?, fail_count = ?,
         failed_at = ?, last_finished_at = ?, last_modified_by = ? WHERE id = ? AND name = ?`,
      ).run(
        lockedAt,
        lockedAt === null ? null : LOCK_OWNER,
        toMs(job.nextRunAt),
        toMs(job.lastRunAt),
        job.progress ?? null,
        reasonText(job.failReason),
        job.failCount ?? null,
        toMs(job.failedAt),
        toMs(job.lastFinishedAt),
        options?.lastModifiedBy ?? null,
        idParam(job._id),
        job.name,
      );
      if (Number(changes) !== 1)
        throw new Error(
          `job ${job._id} (name: ${job.name}) cannot be updated in the database, maybe it does not exist anymore?`,
        );
    });
  }

  async lockJob(job: JobParameters, options: JobRepositoryOptions | undefined): Promise<JobParameters | undefined> {
    return guard(() => {
      if (!job._id) return undefined;
      const row = this.tx(() =>
        this.rows(
          `UPDATE agenda_jobs SET locked_at = ?, locked_by = ?, last_modified_by = ?
           WHERE id = ? AND name = ? AND locked_at IS NULL AND next_run_at IS ? AND disabled IS NOT 1 RETURNING *`,
          [Date.now(), LOCK_OWNER, options?.lastModifiedBy ?? null, idParam(job._id), job.name, toMs(job.nextRunAt)],
        ),
      )[0];
      return row ? rowToJob(row) : undefined;
    });
  }

  /** Only jobs still scheduled (nextRunAt set) are unlocked, like the MongoDB backend. */
  async unlockJob(job: JobParameters): Promise<void> {
    return guard(() => {
      if (!job._id) return;
      this.stmt(
        'UPDATE agenda_jobs SET locked_at = NULL, locked_by = NULL WHERE id = ? AND next_run_at IS NOT NULL',
      ).run(idParam(job._id));
    });
  }

  async unlockJobs(jobIds: (JobId | string)[]): Promise<void> {
    return guard(() => {
      if (jobIds.length === 0) return;
      this.stmt(
        'UPDATE agenda_jobs SET locked_at = NULL, locked_by = NULL WHERE id IN (SELECT value FROM json_each(?))',
      ).run(JSON.stringify(jobIds.map(idParam)));
    });
  }

  async getNextJobToRun(
    jobName: string,
    nextScanAt: Date,
    lockDeadline: Date,
    now: Date | undefined,
    options: JobRepositoryOptions | undefined,
  ): Promise<JobParameters | undefined> {
    return guard(() => {
      const dead = this.currentDeadOwners();
      const params: Record<string, SQLInputValue> = {
        name: jobName,
        scan: nextScanAt.getTime(),
        deadline: lockDeadline.getTime(),
      };
      if (dead.length > 0) params['dead'] = JSON.stringify(dead);
      const pick = NEXT_JOB(dead.length > 0);
      // A read first: an idle scan takes no write lock.
      if (!this.stmt(pick).get(params)) return undefined;
      const row = this.tx(() =>
        this.rows(
          `UPDATE agenda_jobs SET locked_at = :at, locked_by = :owner, last_modified_by = :by WHERE id = (${pick}) RETURNING *`,
          {
            ...params,
            at: (now ?? new Date()).getTime(),
            owner: LOCK_OWNER,
            by: options?.lastModifiedBy ?? null,
          },
        ),
      )[0];
      return row ? rowToJob(row) : undefined;
    });
  }

  /** Owners of held locks whose process is gone, checked at most every OWNER_CHECK_MS. */
  private currentDeadOwners(): string[] {
    const now = Date.now();
    if (now - this.ownersCheckedAt >= OWNER_CHECK_MS) {
      this.ownersCheckedAt = now;
      const owners = this.stmt(
        'SELECT DISTINCT locked_by AS owner FROM agenda_jobs WHERE locked_at IS NOT NULL AND locked_by IS NOT NULL',
      ).all() as { owner: string }[];
      this.deadOwners = owners.map((o) => o.owner).filter(isDeadOwner);
    }
    return this.deadOwners;
  }
}

const isId = (id: unknown): boolean => /^\d{1,15}$/.test(String(id));
/** Job ids are row ids; a foreign id (e.g. a MongoDB ObjectId) matches nothing. */
const idParam = (id: unknown): number => (isId(id) ? Number(id) : -1);
const inList = (column: string, values: SQLInputValue[]): Condition => ({
  sql: `${column} IN (SELECT value FROM json_each(?))`,
  params: [JSON.stringify(values)],
});
const whereClause = (conditions: Condition[]): Condition =>
  conditions.length === 0
    ? { sql: '', params: [] }
    : { sql: `WHERE ${conditions.map((c) => c.sql).join(' AND ')}`, params: conditions.flatMap((c) => c.params) };

function orderBy(sort: JobsSort | undefined): string {
  const parts = Object.entries(sort ?? {})
    .filter(([key, dir]) => key in SORT_COLUMNS && dir !== undefined)
    .map(([key, dir]) => `${SORT_COLUMNS[key as keyof JobsSort]} ${dir === 'asc' ? 'ASC' : 'DESC'}`);
  return `ORDER BY ${parts.length > 0 ? parts.join(', ') : 'next_run_at DESC, last_run_at DESC'}, id`;
}

/** The jobs cancel/disable/enable address; null when the options name none (then nothing is touched). */
function selection(options: RemoveJobsOptions): Condition | null {
  const conditions: Condition[] = [];
  if (options.id) {
    if (!isId(options.id)) return { sql: 'WHERE 0', params: [] };
    conditions.push({ sql: 'id = ?', params: [Number(options.id)] });
  } else if (Array.isArray(options.ids) && options.ids.length > 0) {
    if (!options.ids.every(isId)) return { sql: 'WHERE 0', params: [] };
    conditions.push(inList('id', options.ids.map(Number)));
  }
  const strings = (list: unknown) =>
    Array.isArray(list) ? list.filter((n): n is string => typeof n === 'string') : [];
  if (options.name && typeof options.name === 'string') conditions.push({ sql: 'name = ?', params: [options.name] });
  else if (strings(options.names).length > 0) conditions.push(inList('name', strings(options.names)));
  else if (strings(options.notNames).length > 0)
    conditions.push({
      sql: `name NOT IN (SELECT value FROM json_each(?))`,
      params: [JSON.stringify(strings(options.notNames))],
    });
  if (options.data !== undefined) conditions.push(...dataFilter(options.data));
  return conditions.length === 0 ? null : whereClause(conditions);
}

/** Runs a repository call; failures of the database become a SchedulerError that keeps the cause. */
function guard<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(wrap(err));
  }
}

function wrap(err: unknown): Error {
  if (!(err instanceof Error)) return new Error(String(err));
  const errcode = (err as { errcode?: unknown }).errcode;
  if (err instanceof SchedulerError || typeof errcode !== 'number') return err;
  // SQLITE_BUSY (5): another process held the write lock longer than busy_timeout; a later poll can succeed.
  return new SchedulerError('scheduler_store_failed', 'The scheduler could not read or write its jobs.', {
    cause: err,
    retryable: errcode === 5,
    detail: err.message,
  });
}
