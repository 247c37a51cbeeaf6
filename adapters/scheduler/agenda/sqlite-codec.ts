// How an Agenda job lives in a SQLite row: dates as epoch milliseconds, `data` as JSON (Dates kept as {"$date"}),
// and MongoDB-style equality filters (`{ 'data.userId': 1 }`) turned into json_type/json_extract conditions.

import type { SQLInputValue } from 'node:sqlite';
import type { JobId, JobParameters } from 'agenda';
import { SoloError } from '../../../src/domain/errors.ts';

/** A scheduler call the SQLite backend cannot serve (an unsupported filter, a closed database). */
export class SchedulerError extends SoloError {}

/** One row of agenda_jobs as node:sqlite returns it. */
export interface JobRow {
  id: number;
  name: string;
  priority: number;
  next_run_at: number | null;
  type: string;
  locked_at: number | null;
  locked_by: string | null;
  last_run_at: number | null;
  last_finished_at: number | null;
  failed_at: number | null;
  fail_count: number | null;
  fail_reason: string | null;
  repeat_interval: string | null;
  repeat_timezone: string | null;
  repeat_at: string | null;
  disabled: number | null;
  progress: number | null;
  data: string;
  last_modified_by: string | null;
  fork: number | null;
  debounce_started_at: number | null;
  start_date: number | null;
  end_date: number | null;
  skip_days: string | null;
}

export const toMs = (value: unknown): number | null => {
  if (value === null || value === undefined) return null;
  const ms = value instanceof Date ? value.getTime() : new Date(value as string | number).getTime();
  return Number.isFinite(ms) ? ms : null;
};
const toDate = (ms: number | null): Date | undefined => (ms === null ? undefined : new Date(ms));
const toBool = (v: number | null): boolean | undefined => (v === null ? undefined : v === 1);
const fromBool = (v: boolean | null | undefined): number | null => (v === undefined || v === null ? null : v ? 1 : 0);
const orUndefined = <T>(v: T | null): T | undefined => (v === null ? undefined : v);
/** failReason is text; Agenda can hand over a non-string (a forked child's parsed message), stored as JSON. */
export const reasonText = (v: unknown): string | null =>
  v === null || v === undefined ? null : typeof v === 'string' ? v : JSON.stringify(v);

/** JSON that keeps Dates: a Date becomes {"$date": ISO} and comes back as a Date. */
export function encodeJson(value: unknown): string {
  return JSON.stringify(value ?? null, function (this: Record<string, unknown>, key: string, v: unknown) {
    const original = this[key];
    return original instanceof Date
      ? { $date: Number.isFinite(original.getTime()) ? original.toISOString() : null }
      : v;
  });
}
export function decodeJson(text: string | null): unknown {
  if (text === null) return undefined;
  return JSON.parse(text, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const keys = Object.keys(v);
      const iso = (v as { $date?: unknown }).$date;
      if (keys.length === 1 && keys[0] === '$date' && (typeof iso === 'string' || iso === null))
        return new Date(iso ?? NaN);
    }
    return v;
  });
}

/** The row as JobParameters, shaped like @agendajs/mongo-backend's computeJobObj (missing fields are undefined). */
export function rowToJob(row: JobRow): JobParameters {
  return {
    _id: String(row.id) as JobId,
    name: row.name,
    priority: row.priority,
    nextRunAt: row.next_run_at === null ? null : new Date(row.next_run_at),
    type: row.type as JobParameters['type'],
    data: decodeJson(row.data),
    lockedAt: toDate(row.locked_at),
    lastFinishedAt: toDate(row.last_finished_at),
    failedAt: toDate(row.failed_at),
    failCount: orUndefined(row.fail_count),
    failReason: orUndefined(row.fail_reason),
    repeatTimezone: orUndefined(row.repeat_timezone),
    lastRunAt: toDate(row.last_run_at),
    repeatInterval: decodeJson(row.repeat_interval) as string | number | undefined,
    repeatAt: orUndefined(row.repeat_at),
    disabled: toBool(row.disabled),
    progress: orUndefined(row.progress),
    lastModifiedBy: orUndefined(row.last_modified_by),
    fork: toBool(row.fork),
    debounceStartedAt: toDate(row.debounce_started_at),
    startDate: toDate(row.start_date),
    endDate: toDate(row.end_date),
    skipDays: decodeJson(row.skip_days) as number[] | undefined,
  } as JobParameters;
}

export type ColumnValues = Record<string, SQLInputValue>;

/** The columns of a job as given to saveJob (undefined optional fields become NULL, like the MongoDB backend). */
export function jobColumns(
  job: Omit<JobParameters, '_id' | 'unique' | 'uniqueOpts'>,
  lastModifiedBy: string | undefined,
): { definition: ColumnValues; run: ColumnValues } {
  const definition: ColumnValues = {
    name: job.name,
    priority: Number(job.priority ?? 0),
    next_run_at: toMs(job.nextRunAt),
    type: job.type,
    failed_at: toMs(job.failedAt),
    fail_count: job.failCount ?? null,
    fail_reason: reasonText(job.failReason),
    repeat_interval:
      job.repeatInterval === undefined || job.repeatInterval === null ? null : encodeJson(job.repeatInterval),
    repeat_timezone: job.repeatTimezone ?? null,
    repeat_at: job.repeatAt ?? null,
    disabled: fromBool(job.disabled),
    data: encodeJson(job.data),
    last_modified_by: lastModifiedBy ?? null,
    fork: fromBool(job.fork),
    debounce_started_at: toMs(job.debounceStartedAt),
    start_date: toMs(job.startDate),
    end_date: toMs(job.endDate),
    skip_days: job.skipDays ? encodeJson(job.skipDays) : null,
  };
  const run: ColumnValues = {};
  if (job.lockedAt !== undefined) run['locked_at'] = toMs(job.lockedAt);
  if (job.lastRunAt !== undefined) run['last_run_at'] = toMs(job.lastRunAt);
  if (job.lastFinishedAt !== undefined) run['last_finished_at'] = toMs(job.lastFinishedAt);
  if (job.progress !== undefined) run['progress'] = job.progress ?? null;
  return { definition, run };
}

/** A WHERE fragment with its parameters. */
export interface Condition {
  sql: string;
  params: SQLInputValue[];
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null &&
  typeof v === 'object' &&
  (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);

/** `data.a.b` → the JSON path `$."a"."b"` (every segment quoted, so dots and quotes in keys stay literal). */
const jsonPath = (segments: string[]): string => `$${segments.map((s) => `."${s.replaceAll('"', '\\"')}"`).join('')}`;

/**
 * Equality on one JSON path inside `data`, with MongoDB's rules: types must match, null matches a missing field. The
 * path is written into the SQL as a literal (quotes doubled), not bound, so that an index on the same expression
 * (agenda_jobs_key, on data.key) can serve the lookup.
 */
function jsonEquals(segments: string[], value: unknown): Condition {
  const path = `'${jsonPath(segments).replaceAll("'", "''")}'`;
  if (value === null || value === undefined)
    return { sql: `coalesce(json_type(data, ${path}), 'null') = 'null'`, params: [] };
  if (typeof value === 'string')
    return { sql: `(json_extract(data, ${path}) = ? AND json_type(data, ${path}) = 'text')`, params: [value] };
  if (typeof value === 'number' || typeof value === 'bigint') {
    return {
      sql: `(json_extract(data, ${path}) = ? AND json_type(data, ${path}) IN ('integer', 'real'))`,
      params: [value],
    };
  }
  if (typeof value === 'boolean') return { sql: `json_type(data, ${path}) = ?`, params: [value ? 'true' : 'false'] };
  if (value instanceof Date) return jsonEquals([...segments, '$date'], value.toISOString());
  if (Array.isArray(value) || isPlainObject(value)) {
    if (isPlainObject(value) && Object.keys(value).some((k) => k.startsWith('$')))
      throw unsupported(`operator ${Object.keys(value).join(', ')}`);
    return {
      sql: `(json_type(data, ${path}) IN ('array', 'object') AND json_extract(data, ${path}) = ?)`,
      params: [encodeJson(value)],
    };
  }
  throw unsupported(`a ${typeof value} value`);
}

const unsupported = (what: string) =>
  new SchedulerError('scheduler_filter_unsupported', 'That schedule filter is not supported on the embedded store.', {
    detail: `The SQLite Agenda backend matches job fields by equality only; got ${what}.`,
  });

/** queryJobs/removeJobs `data`: an object is a partial match (nested objects flattened, like the MongoDB backend). */
export function dataFilter(data: unknown): Condition[] {
  if (data === null || typeof data !== 'object' || Array.isArray(data) || data instanceof Date) {
    return [{ sql: 'data = ?', params: [encodeJson(data)] }];
  }
  const out: Condition[] = [];
  const walk = (value: Record<string, unknown>, prefix: string[]) => {
    for (const [key, v] of Object.entries(value)) {
      if (isPlainObject(v) && !Object.keys(v).some((k) => k.startsWith('$'))) walk(v, [...prefix, key]);
      else out.push(jsonEquals([...prefix, key], v));
    }
  };
  walk(data as Record<string, unknown>, []);
  return out;
}

/** Top-level job fields a unique() key may name, with how their values are stored. */
const UNIQUE_COLUMNS: Record<string, { column: string; encode: (v: unknown) => SQLInputValue }> = {
  name: { column: 'name', encode: (v) => String(v) },
  type: { column: 'type', encode: (v) => String(v) },
  priority: { column: 'priority', encode: (v) => Number(v) },
  nextRunAt: { column: 'next_run_at', encode: toMs },
  repeatInterval: { column: 'repeat_interval', encode: (v) => (v === null || v === undefined ? null : encodeJson(v)) },
  repeatAt: { column: 'repeat_at', encode: (v) => (v === undefined ? null : (v as string | null)) },
  repeatTimezone: { column: 'repeat_timezone', encode: (v) => (v === undefined ? null : (v as string | null)) },
  disabled: { column: 'disabled', encode: (v) => fromBool(v as boolean | null | undefined) },
};

/** A `job.unique({...})` query: dotted keys into `data` or top-level fields, equality only (no $ operators). */
export function uniqueFilter(unique: Record<string, unknown>): Condition[] {
  return Object.entries(unique).map(([key, value]) => {
    if (key.startsWith('$')) throw unsupported(`operator ${key}`);
    const [head, ...rest] = key.split('.');
    if (head === 'data') {
      if (rest.length === 0) return { sql: 'data = ?', params: [encodeJson(value)] };
      return jsonEquals(rest, value);
    }
    const column = UNIQUE_COLUMNS[key];
    if (!column) throw unsupported(`the field ${key}`);
    if (isPlainObject(value)) throw unsupported(`operator ${Object.keys(value).join(', ')}`);
    const encoded = column.encode(value);
    return encoded === null
      ? { sql: `${column.column} IS NULL`, params: [] }
      : { sql: `${column.column} = ?`, params: [encoded] };
  });
}
