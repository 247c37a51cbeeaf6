// JobRepository.saveJob for SQLite, case by case as @agendajs/mongo-backend does it: update by id, upsert of a
// 'single' job by name (every()), upsert by a unique() query with insertOnly and debounce, else insert. Each case
// runs in one BEGIN IMMEDIATE transaction, so two processes saving the same single or unique job make one row.
// Unlike the MongoDB backend, a save leaves lockedAt/lastRunAt/lastFinishedAt/progress alone unless it sets them.

import type { SQLInputValue, StatementSync } from 'node:sqlite';
import type { JobParameters } from 'agenda';
import { jobColumns, rowToJob, toMs, uniqueFilter, type ColumnValues, type JobRow } from './sqlite-codec.ts';

/** What saving needs from the repository: cached statements and IMMEDIATE transactions. */
export interface SaveTarget {
  stmt(sql: string): StatementSync;
  tx<T>(fn: () => T): T;
}

export function saveJob<DATA>(
  repo: SaveTarget,
  job: JobParameters<DATA>,
  lastModifiedBy: string | undefined,
): JobParameters<DATA> {
  const { _id, unique, uniqueOpts, ...props } = job;
  const { definition, run } = jobColumns(props, lastModifiedBy);
  const columns: ColumnValues = { ...definition, ...run };
  const now = Date.now();
  const found = (row: JobRow | undefined): JobParameters<DATA> => rowToJob(row as JobRow) as JobParameters<DATA>;

  if (_id) {
    if (!/^\d{1,15}$/.test(String(_id))) return job;
    const row = repo.tx(() => update(repo, `id = ? AND name = ?`, [Number(_id), props.name], columns));
    // A job removed meanwhile: the caller's data comes back unchanged, as with MongoDB.
    return row ? found(row) : job;
  }

  if (props.type === 'single') {
    return repo.tx(() => {
      const existing = first(repo, `SELECT * FROM agenda_jobs WHERE name = ? AND type = 'single' LIMIT 1`, [
        props.name,
      ]);
      if (!existing) return found(insert(repo, columns));
      // A nextRunAt already due is only set on insert: re-running every() must not make a waiting job run again.
      const protect = props.nextRunAt && toMs(props.nextRunAt)! <= now;
      const changes = { ...columns };
      if (protect) delete changes['next_run_at'];
      return found(update(repo, 'id = ?', [existing.id], changes));
    });
  }

  if (unique) {
    const { name: _name, ...query } = unique;
    const filter = [{ sql: 'name = ?', params: [props.name] as SQLInputValue[] }, ...uniqueFilter(query)];
    const where = filter.map((c) => c.sql).join(' AND ');
    const params = filter.flatMap((c) => c.params);
    const debounce = uniqueOpts?.debounce;
    return repo.tx(() => {
      const existing = first(repo, `SELECT * FROM agenda_jobs WHERE ${where} ORDER BY id LIMIT 1`, params);
      if (!debounce) {
        if (!existing) return found(insert(repo, columns));
        return uniqueOpts?.insertOnly ? found(existing) : found(update(repo, 'id = ?', [existing.id], columns));
      }
      if (!existing) {
        const fresh: ColumnValues = { ...columns, debounce_started_at: now };
        if (debounce.strategy !== 'leading') fresh['next_run_at'] = now + debounce.delay;
        return found(insert(repo, fresh));
      }
      const startedAt = existing.debounce_started_at ?? now;
      const changes: ColumnValues = { ...columns, debounce_started_at: startedAt };
      if (debounce.strategy === 'leading') {
        // Leading: the first save decides when it runs; later saves only update the data.
        changes['next_run_at'] = existing.next_run_at;
      } else if (debounce.maxWait && now - startedAt >= debounce.maxWait) {
        changes['next_run_at'] = now;
        changes['debounce_started_at'] = null;
      } else {
        const deadline = debounce.maxWait ? startedAt + debounce.maxWait : Infinity;
        changes['next_run_at'] = Math.min(now + debounce.delay, deadline);
      }
      return found(update(repo, 'id = ?', [existing.id], changes));
    });
  }

  return found(repo.tx(() => insert(repo, columns)));
}

function first(repo: SaveTarget, sql: string, params: SQLInputValue[]): JobRow | undefined {
  return repo.stmt(sql).get(...params) as unknown as JobRow | undefined;
}

function insert(repo: SaveTarget, columns: ColumnValues): JobRow {
  const names = Object.keys(columns);
  const sql = `INSERT INTO agenda_jobs (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')}) RETURNING *`;
  return repo.stmt(sql).get(...Object.values(columns)) as unknown as JobRow;
}

function update(
  repo: SaveTarget,
  where: string,
  whereParams: SQLInputValue[],
  columns: ColumnValues,
): JobRow | undefined {
  const names = Object.keys(columns);
  const sql = `UPDATE agenda_jobs SET ${names.map((n) => `${n} = ?`).join(', ')} WHERE ${where} RETURNING *`;
  return repo.stmt(sql).get(...Object.values(columns), ...whereParams) as unknown as JobRow | undefined;
}
