// Budgets stop spending before the call: a model call first reserves its estimated cost against every budget
// that applies (per run, per agent per day, per day), then settles with the real cost. Reserved-but-unsettled
// amounts count as spent, and reservations are serialised, so two concurrent calls cannot both squeeze under a
// limit. The event log in the store is the truth: `budget.reserved`/`budget.settled` events rebuild the totals
// after a restart (the current day at `init`, a run's whole history the first time that run reserves), and before
// every reservation the ledger reads the budget events other processes on the same store wrote since it last
// looked, so their spending counts too. (Two processes reserving in the very same moment can still both pass: the
// window is one reservation wide.)
//
// Overspend: when `reserve` refuses, the workflow shows an "approve overspend?" card; on approval it calls
// `allowOverspend({ runId, amountUsd })`, a one-shot pass: the next reserve for that run whose estimate is within
// the amount (plus 10%) passes every limit, and its `budget.reserved` event names the grant (`grant:<id>` in
// scopes), so the audit trail shows the approved overspend and a rebuilt ledger knows it was used. Grants are
// held in memory: after a restart an unused grant is gone, and the worst case is one more card.

import { newEvent, type StoredEvent } from '../domain/events.ts';
import { InputError } from '../domain/errors.ts';
import { randomId } from '../domain/ids.ts';
import type { EventLog } from '../ports/store.ts';
import { systemTimeZone, type BudgetsPolicy, type Policy } from './schema.ts';

type BudgetScope = 'per_run_usd' | 'per_agent_usd_per_day' | 'per_day_usd';

export interface ReserveInput {
  estimateUsd: number;
  runId?: string;
  agent?: string;
  now?: Date;
  /** A stable id (e.g. derived from the run and step) makes a retried reserve return the same reservation. */
  reservationId?: string;
}

export type ReserveResult =
  | { ok: true; reservationId: string }
  | {
      ok: false;
      scope: BudgetScope;
      limitUsd: number;
      spentUsd: number;
      estimateUsd: number;
      /** The least extra that would let this call through: what an "approve overspend?" card can offer. */
      neededUsd: number;
      /** One sentence for the operator. */
      message: string;
    };

export interface BudgetLedgerOptions {
  events: EventLog;
  /** The policy in force (a PolicyService, or `{ current: () => policy }`); read at every reserve. */
  policy: { current(): Policy | { budgets: BudgetsPolicy } };
  stream?: string;
}

interface Reservation {
  id: string;
  stream: string;
  runId?: string;
  agent?: string;
  day: string;
  estimate: number; // micro-USD
  actual?: number; // micro-USD, once settled
}

const MICRO = 1_000_000;
const micro = (usd: number): number => Math.round(usd * MICRO);
const usd = (m: number): number => m / MICRO;
const money = (m: number): string => `$${(m / MICRO).toFixed(m > 0 && m < 10_000 ? 4 : 2)}`;

const dayFormats = new Map<string, Intl.DateTimeFormat>();
/** The calendar day of `at` in a time zone, as YYYY-MM-DD. */
export function dayIn(at: Date, timeZone: string): string {
  let f = dayFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dayFormats.set(timeZone, f);
  }
  return f.format(at);
}

export class BudgetLedger {
  readonly #events: EventLog;
  readonly #policy: BudgetLedgerOptions['policy'];
  readonly #stream: string;
  readonly #reservations = new Map<string, Reservation>();
  readonly #totals = new Map<string, number>();
  readonly #loadedDays = new Set<string>();
  readonly #loadedRuns = new Set<string>();
  readonly #grants = new Map<string, Map<string, number>>();
  readonly #usedGrants = new Set<string>();
  #queue: Promise<unknown> = Promise.resolve();
  /** The position up to which every budget event in the log has been read (see #catchUp). */
  #seen = 0;

  constructor(options: BudgetLedgerOptions) {
    this.#events = options.events;
    this.#policy = options.policy;
    this.#stream = options.stream ?? 'budget';
  }

  /** Rebuilds today's totals from the event log. Call once at start. */
  async init(now = new Date()): Promise<void> {
    await this.#lock(async () => {
      // Everything before the newest budget event now is covered by the loads below; later ones by #catchUp.
      const [newest] = await this.#events.readRange({
        types: ['budget.reserved', 'budget.settled'],
        limit: 1,
        newest: true,
      });
      this.#seen = newest?.position ?? 0;
      await this.#ensureDay(dayIn(now, this.#timeZone()));
    });
  }

  async reserve(input: ReserveInput): Promise<ReserveResult> {
    if (!Number.isFinite(input.estimateUsd) || input.estimateUsd < 0)
      throw new InputError(`A cost estimate must be 0 or more dollars, not ${input.estimateUsd}.`);
    return this.#lock(async () => {
      if (input.reservationId !== undefined && (await this.#find(input.reservationId)))
        return { ok: true, reservationId: input.reservationId };
      const budgets = this.#budgets();
      const day = dayIn(input.now ?? new Date(), this.#timeZone());
      await this.#ensureDay(day);
      if (input.runId !== undefined) await this.#ensureRun(input.runId);
      await this.#catchUp();
      const estimate = micro(input.estimateUsd);
      const grant = input.runId === undefined ? undefined : this.#grantFor(input.runId, estimate);

      const checks: { scope: BudgetScope; key: string; limit: number | undefined; what: string }[] = [];
      if (input.runId !== undefined)
        checks.push({ scope: 'per_run_usd', key: `run:${input.runId}`, limit: budgets.per_run_usd, what: 'this run' });
      if (input.agent !== undefined) {
        const limit = budgets.per_agent_usd_per_day[input.agent] ?? budgets.per_agent_usd_per_day['*'];
        checks.push({
          scope: 'per_agent_usd_per_day',
          key: `agent:${input.agent}:${day}`,
          limit,
          what: `the ${input.agent} agent today`,
        });
      }
      checks.push({ scope: 'per_day_usd', key: `day:${day}`, limit: budgets.per_day_usd, what: 'today' });

      for (const c of checks) {
        if (c.limit === undefined) continue;
        const limit = micro(c.limit);
        const spent = this.#totals.get(c.key) ?? 0;
        if (spent + estimate <= limit || grant !== undefined) continue;
        const failure = {
          ok: false as const,
          scope: c.scope,
          limitUsd: usd(limit),
          spentUsd: usd(spent),
          estimateUsd: usd(estimate),
          neededUsd: Math.ceil(usd(spent + estimate - limit) * 100) / 100,
          message: `This call (about ${money(estimate)}) would take ${c.what} over its ${money(limit)} budget (${money(spent)} already spent or reserved).`,
        };
        await this.#events.append(
          newEvent('budget.exceeded', this.#streamFor(input.runId), {
            scope: c.scope,
            limitUsd: failure.limitUsd,
            spentUsd: failure.spentUsd,
            estimateUsd: failure.estimateUsd,
            ...(input.runId === undefined ? {} : { runId: input.runId }),
            ...(input.agent === undefined ? {} : { agent: input.agent }),
          }),
        );
        return failure;
      }

      const id = input.reservationId ?? randomId('res_', 12);
      const scopes = checks.map((c) => c.key);
      if (grant !== undefined && input.runId !== undefined) {
        scopes.push(`grant:${grant}`);
        this.#grants.get(input.runId)?.delete(grant);
      }
      const stream = this.#streamFor(input.runId);
      const { event } = await this.#events.append(
        newEvent(
          'budget.reserved',
          stream,
          {
            reservationId: id,
            scopes,
            estimateUsd: usd(estimate),
            ...(input.runId === undefined ? {} : { runId: input.runId }),
            ...(input.agent === undefined ? {} : { agent: input.agent }),
          },
          `budget:reserve:${id}`,
        ),
      );
      this.#apply(event);
      return { ok: true, reservationId: id };
    });
  }

  /** Replaces the reservation's estimate with what the call really cost. Settling twice changes nothing. */
  async settle(reservationId: string, actualUsd: number): Promise<void> {
    if (!Number.isFinite(actualUsd) || actualUsd < 0)
      throw new InputError(`An actual cost must be 0 or more dollars, not ${actualUsd}.`);
    await this.#lock(async () => {
      const r = await this.#find(reservationId);
      if (!r) throw new InputError(`There is no budget reservation ${reservationId}.`);
      const { event } = await this.#events.append(
        newEvent(
          'budget.settled',
          r.stream,
          { reservationId, actualUsd: usd(micro(actualUsd)) },
          `budget:settle:${reservationId}`,
        ),
      );
      this.#apply(event);
    });
  }

  /** The call did not happen (or cost nothing): the reservation no longer counts. */
  async release(reservationId: string): Promise<void> {
    await this.settle(reservationId, 0);
  }

  /** Spent plus reserved, in USD: for a run (all days), or an agent on a day, or a whole day (default today). */
  async spent(query: { runId?: string; agent?: string; day?: string | Date } = {}): Promise<number> {
    return this.#lock(async () => {
      if (query.runId !== undefined) {
        await this.#ensureRun(query.runId);
        return usd(this.#totals.get(`run:${query.runId}`) ?? 0);
      }
      const day = typeof query.day === 'string' ? query.day : dayIn(query.day ?? new Date(), this.#timeZone());
      await this.#ensureDay(day);
      return usd(this.#totals.get(query.agent === undefined ? `day:${day}` : `agent:${query.agent}:${day}`) ?? 0);
    });
  }

  /**
   * The operator approved one call of up to `amountUsd` for this run beyond its budgets. Without a `grantId`, a
   * repeated call replaces the run's unused grant rather than adding one; a grant already used (even before a
   * restart) is not granted again.
   */
  async allowOverspend(grant: { runId: string; amountUsd: number; grantId?: string }): Promise<void> {
    if (!Number.isFinite(grant.amountUsd) || grant.amountUsd <= 0)
      throw new InputError(`An overspend must be more than 0 dollars, not ${grant.amountUsd}.`);
    await this.#lock(async () => {
      await this.#ensureRun(grant.runId);
      const id = grant.grantId ?? 'next';
      if (this.#usedGrants.has(`${grant.runId}\0${id}`) && grant.grantId !== undefined) return;
      const grants = this.#grants.get(grant.runId) ?? new Map<string, number>();
      grants.set(id, micro(grant.amountUsd));
      this.#grants.set(grant.runId, grants);
    });
  }

  /** Drops a finished run's in-memory state (its events stay; a later reserve for it reloads them). */
  forgetRun(runId: string): void {
    this.#loadedRuns.delete(runId);
    this.#grants.delete(runId);
  }

  // ---- internals ----------------------------------------------------------------------------------------------

  /** An unused grant of this run that covers the estimate (with 10% slack), by id. */
  #grantFor(runId: string, estimate: number): string | undefined {
    for (const [id, amount] of this.#grants.get(runId) ?? []) if (estimate <= amount * 1.1) return id;
    return undefined;
  }

  #budgets(): BudgetsPolicy {
    return this.#policy.current().budgets;
  }

  #timeZone(): string {
    return this.#budgets().time_zone ?? systemTimeZone();
  }

  #streamFor(runId: string | undefined): string {
    return runId === undefined ? this.#stream : `${this.#stream}:run:${runId}`;
  }

  async #lock<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #add(r: Reservation, delta: number): void {
    const keys = [`day:${r.day}`];
    if (r.runId !== undefined) keys.push(`run:${r.runId}`);
    if (r.agent !== undefined) keys.push(`agent:${r.agent}:${r.day}`);
    for (const key of keys) this.#totals.set(key, (this.#totals.get(key) ?? 0) + delta);
  }

  /** Folds one stored event into the totals; idempotent, so overlapping reloads are harmless. */
  #apply(event: StoredEvent): void {
    if (event.type === 'budget.reserved') {
      const d = event.data;
      if (this.#reservations.has(d.reservationId)) return;
      const day = d.scopes.find((s) => s.startsWith('day:'))?.slice(4) ?? dayIn(event.at, this.#timeZone());
      const r: Reservation = { id: d.reservationId, stream: event.stream, day, estimate: micro(d.estimateUsd) };
      if (d.runId !== undefined) r.runId = d.runId;
      if (d.agent !== undefined) r.agent = d.agent;
      this.#reservations.set(r.id, r);
      this.#add(r, r.estimate);
      if (r.runId !== undefined)
        for (const s of d.scopes) if (s.startsWith('grant:')) this.#usedGrants.add(`${r.runId}\0${s.slice(6)}`);
    } else if (event.type === 'budget.settled') {
      const r = this.#reservations.get(event.data.reservationId);
      if (!r || r.actual !== undefined) return;
      r.actual = micro(event.data.actualUsd);
      this.#add(r, r.actual - r.estimate);
    }
  }

  async #find(id: string): Promise<Reservation | undefined> {
    const known = this.#reservations.get(id);
    if (known) return known;
    const event = await this.#events.findByDedupeKey(`budget:reserve:${id}`);
    if (event?.type !== 'budget.reserved') return undefined;
    if (event.data.runId !== undefined) await this.#ensureRun(event.data.runId);
    this.#apply(event);
    const settled = await this.#events.findByDedupeKey(`budget:settle:${id}`);
    if (settled) this.#apply(settled);
    return this.#reservations.get(id);
  }

  /**
   * Reads the budget events written since the last look (by this process, already applied, or by another on the
   * same store). Only this read moves #seen, and it reads every position after it in order, so none is skipped.
   */
  async #catchUp(): Promise<void> {
    for (;;) {
      const batch = await this.#events.readRange({
        afterPosition: this.#seen,
        types: ['budget.reserved', 'budget.settled'],
        limit: 5000,
      });
      for (const e of batch) this.#apply(e);
      this.#seen = batch.at(-1)?.position ?? this.#seen;
      if (batch.length < 5000) break;
    }
  }

  async #ensureRun(runId: string): Promise<void> {
    if (this.#loadedRuns.has(runId)) return;
    let afterSeq = 0;
    for (;;) {
      const batch = await this.#events.readStream(this.#streamFor(runId), {
        afterSeq,
        types: ['budget.reserved', 'budget.settled'],
        limit: 5000,
      });
      for (const e of batch) this.#apply(e);
      if (batch.length < 5000) break;
      afterSeq = batch[batch.length - 1]?.seq ?? afterSeq;
    }
    this.#loadedRuns.add(runId);
  }

  async #ensureDay(day: string): Promise<void> {
    if (this.#loadedDays.has(day)) return;
    // A generous window around the day in any time zone; reservations carry their day, so the filter is exact.
    const midnightUtc = Date.parse(`${day}T00:00:00Z`);
    const from = new Date(midnightUtc - 15 * 3_600_000);
    const to = new Date(midnightUtc + 48 * 3_600_000);
    let afterPosition = 0;
    for (;;) {
      const batch = await this.#events.readRange({
        from,
        to,
        afterPosition,
        types: ['budget.reserved', 'budget.settled'],
        limit: 5000,
      });
      for (const e of batch) {
        if (e.type === 'budget.reserved' && !e.data.scopes.includes(`day:${day}`)) continue;
        this.#apply(e);
      }
      if (batch.length < 5000) break;
      afterPosition = batch[batch.length - 1]?.position ?? afterPosition;
    }
    this.#loadedDays.add(day);
  }
}
