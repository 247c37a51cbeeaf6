// The calendar connector over CalDAV with tsdav. One event per step key: its UID (and resource name) comes from the
// key, so `If-None-Match: *` turns a repeated create into a 412 and we return the event that is there. Updates
// carry `If-Match`; a 412 means someone changed the event, so we re-read, re-apply the patch and try again.

import { calendarQuery, createCalendarObject, deleteCalendarObject, propfind, updateCalendarObject } from 'tsdav';
import { IANAZone } from 'luxon';
import { mergePatch, normalizeInput, type EventFields } from '../../../src/calendar/fields.ts';
import { findFreeSlots, parseInstant } from '../../../src/calendar/slots.ts';
import { eventUidFor, updateMarkFor } from '../../../src/calendar/uid.ts';
import { InputError } from '../../../src/domain/errors.ts';
import type { Logger } from '../../../src/observability/logger.ts';
import type {
  BusyInterval,
  CalendarEvent,
  CalendarPort,
  CancelResult,
  CreateResult,
  EventInput,
  EventPatch,
  FreeSlotQuery,
  Occurrence,
  ReadOptions,
  Slot,
  TimeRange,
} from '../../../src/ports/calendar.ts';
import type { ConnectorHealth, EffectOptions } from '../../../src/ports/connector.ts';
import { calendarData, etagOf, guard, stamp, toMillis, vevent } from './dav.ts';
import { resolveCalendar } from './discovery.ts';
import { CalendarError, fromFailure, fromStatus, type Where } from './errors.ts';
import { applyFields, buildCalendar, eventFrom, fieldsOf, occurrencesIn } from './ical.ts';

export interface CalDavOptions {
  /** A calendar collection, or the server (or account) root to discover calendars from. */
  url: string;
  username: string;
  password: string;
  /** Display name or path of the calendar when the account has several. */
  calendar?: string | undefined;
  /** IANA zone that all-day and floating events are placed in. */
  timeZone: string;
  /** Per HTTP request (default 15 s). */
  timeoutMs?: number;
  /** health() answers within this (default 5 s). */
  healthTimeoutMs?: number;
  /** How often an update re-reads after a 412 before giving up (default 5). */
  maxConflictRetries?: number;
  fetch?: typeof globalThis.fetch;
  now?: () => Date;
}

/** A copy of one object resource as the server last gave it to us. */
interface Copy {
  href: string;
  etag: string | undefined;
  ics: string;
}

const DAY = 24 * 3600_000;
/** Widening of time-range queries: servers place all-day and floating events in a zone of their own. */
const QUERY_PAD = DAY + 2 * 3600_000;
const KNOWN_COPIES = 256;

const logged = new WeakSet<Error>();

export class CalDavCalendar implements CalendarPort {
  readonly name = 'calendar';
  private readonly options: CalDavOptions;
  private readonly headers: Record<string, string>;
  private readonly where: Where;
  private readonly log: Logger;
  private readonly fetch: typeof globalThis.fetch;
  private readonly timeoutMs: number;
  private readonly now: () => Date;
  private resolved: Promise<string> | undefined;
  /** Copies we wrote or read last, newest last: an update starts from one without a GET. */
  private readonly known = new Map<string, Copy>();

  constructor(options: CalDavOptions, logger: Logger) {
    this.options = options;
    this.headers = {
      authorization: `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`,
    };
    const url = new URL(options.url);
    this.where = { user: options.username, host: url.host };
    this.log = logger.child({ connector: 'calendar' });
    this.fetch = options.fetch ?? globalThis.fetch;
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.now = options.now ?? (() => new Date());
  }

  /** One HTTP exchange (or tsdav call) with a timeout, the caller's signal and errors made typed. */
  private async send<T>(
    what: string,
    signal: AbortSignal | undefined,
    run: (fetchOptions: RequestInit) => Promise<T>,
  ): Promise<T> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const started = performance.now();
    try {
      const result = await run({ signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
      this.log.debug({ op: what, ms: Math.round(performance.now() - started) }, 'caldav call');
      return result;
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      throw fromFailure(err, this.where, what, this.timeoutMs);
    }
  }

  /** A port call: its failure is logged once (code and detail, never credentials), then thrown. */
  private async traced<T>(op: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (err instanceof CalendarError && !logged.has(err)) {
        logged.add(err);
        this.log.warn({ op, code: err.code, retryable: err.retryable, detail: err.message }, 'calendar call failed');
      }
      throw err;
    }
  }

  /** The calendar collection's URL (trailing slash), found once. */
  private calendarUrl(): Promise<string> {
    this.resolved ??= resolveCalendar({
      url: this.options.url,
      calendar: this.options.calendar,
      headers: this.headers,
      where: this.where,
      fetch: this.fetch,
      send: (what, run) => this.send(what, undefined, run),
    }).then(
      (url) => {
        this.where.path = new URL(url).pathname;
        this.log.info({ calendar: this.where.path, host: this.where.host }, 'calendar found');
        return url;
      },
      (err: unknown) => {
        this.resolved = undefined;
        throw err;
      },
    );
    return this.resolved;
  }

  private remember(uid: string, copy: Copy): void {
    this.known.delete(uid);
    this.known.set(uid, copy);
    if (this.known.size > KNOWN_COPIES) this.known.delete(this.known.keys().next().value as string);
  }

  private async get1(href: string, signal: AbortSignal | undefined): Promise<Copy | undefined> {
    return this.send('read event', signal, async (fetchOptions) => {
      const res = await this.fetch(href, { ...fetchOptions, headers: { ...this.headers, accept: 'text/calendar' } });
      const body = await res.text();
      if (res.status === 404 || res.status === 410) return undefined;
      if (!res.ok) throw fromStatus(res.status, this.where, 'event read', res.headers, body);
      return { href, etag: etagOf(res.headers.get('etag')), ics: body };
    });
  }

  /** The object holding `uid`: our own resource name first, then a UID query (events other apps created). */
  private async read(uid: string, signal: AbortSignal | undefined, fresh = false): Promise<Copy | undefined> {
    const cached = this.known.get(uid);
    if (cached && !fresh) return cached;
    const base = await this.calendarUrl();
    const direct = await this.get1(cached?.href ?? new URL(`${encodeURIComponent(uid)}.ics`, base).href, signal);
    const copy = direct ?? (await this.findByUid(uid, base, signal));
    if (copy) this.remember(uid, copy);
    else this.known.delete(uid);
    return copy;
  }

  private async findByUid(uid: string, base: string, signal: AbortSignal | undefined): Promise<Copy | undefined> {
    const filters = vevent({
      'prop-filter': {
        _attributes: { name: 'UID' },
        'text-match': { _attributes: { collation: 'i;octet' }, _text: uid },
      },
    });
    const responses = await this.send('find event by UID', signal, (fetchOptions) =>
      calendarQuery({
        url: base,
        props: { 'd:getetag': {}, 'c:calendar-data': {} },
        filters,
        depth: '1',
        headers: this.headers,
        fetchOptions,
        fetch: this.fetch,
      }),
    );
    this.check(responses, 'UID query');
    for (const r of responses) {
      const ics = calendarData(r.props);
      if (!r.ok || !ics || !r.href) continue;
      try {
        if (eventFrom(ics, this.options.timeZone).uid === uid)
          return { href: new URL(r.href, base).href, etag: etagOf(r.props?.['getetag']), ics };
      } catch {
        // not iCalendar we can read: not the event we look for
      }
    }
    return undefined;
  }

  /** tsdav reports a failed REPORT/PROPFIND as one response without a multistatus. */
  private check(responses: Array<{ ok: boolean; status: number; props?: unknown; raw?: unknown }>, what: string): void {
    const first = responses[0];
    if (responses.length === 1 && first && !first.ok && first.props === undefined) {
      throw fromStatus(first.status, this.where, what, undefined, typeof first.raw === 'string' ? first.raw : '');
    }
  }

  private range(range: TimeRange): { from: number; to: number; zone: string } {
    const zone = range.timeZone ?? this.options.timeZone;
    return guard(() => {
      if (!IANAZone.isValidZone(zone)) throw new InputError(`"${zone}" is not a time zone name such as Europe/Berlin.`);
      const from = parseInstant(range.from, 'The start of the range').toMillis();
      const to = parseInstant(range.to, 'The end of the range').toMillis();
      if (to <= from) throw new InputError('The end of the range must be after its start.');
      if (to - from > 800 * DAY) throw new InputError('A calendar range can span at most 800 days.');
      return { from, to, zone };
    });
  }

  list(range: TimeRange, options: ReadOptions = {}): Promise<Occurrence[]> {
    return this.traced('list', () => this.listNow(range, options));
  }

  private async listNow(range: TimeRange, options: ReadOptions): Promise<Occurrence[]> {
    const { from, to, zone } = this.range(range);
    const base = await this.calendarUrl();
    const filters = vevent({
      'time-range': { _attributes: { start: stamp(from - QUERY_PAD), end: stamp(to + QUERY_PAD) } },
    });
    const responses = await this.send('calendar query', options.signal, (fetchOptions) =>
      calendarQuery({
        url: base,
        props: { 'd:getetag': {}, 'c:calendar-data': {} },
        filters,
        depth: '1',
        headers: this.headers,
        fetchOptions,
        fetch: this.fetch,
      }),
    );
    this.check(responses, 'calendar query');
    const out: Occurrence[] = [];
    for (const r of responses) {
      const ics = calendarData(r.props);
      if (!r.ok || !ics) continue;
      try {
        out.push(...occurrencesIn(ics, from, to, zone));
      } catch (err) {
        // One unreadable object from another app must not hide the whole calendar; the log names it.
        this.log.warn(
          { href: r.href, err: err instanceof Error ? err.message : String(err) },
          'calendar object skipped: not readable iCalendar',
        );
      }
    }
    return out.sort((a, b) => toMillis(a.start, zone) - toMillis(b.start, zone));
  }

  async busy(range: TimeRange, options: ReadOptions = {}): Promise<BusyInterval[]> {
    const zone = range.timeZone ?? this.options.timeZone;
    const occurrences = await this.list(range, options);
    return occurrences
      .filter((o) => o.busy)
      .map((o) => ({
        uid: o.uid,
        start: new Date(toMillis(o.start, zone)).toISOString(),
        end: new Date(toMillis(o.end, zone)).toISOString(),
      }));
  }

  freeSlots(query: FreeSlotQuery, options: ReadOptions = {}): Promise<Slot[]> {
    return this.traced('free slots', () => this.freeSlotsNow(query, options));
  }

  private async freeSlotsNow(query: FreeSlotQuery, options: ReadOptions): Promise<Slot[]> {
    guard(() => findFreeSlots([], { ...query, count: 0 })); // checks the query before any request
    const pad = (query.bufferMinutes ?? 0) * 60_000;
    const from = new Date(Date.parse(query.from) - pad).toISOString();
    const to = new Date(Date.parse(query.to) + pad).toISOString();
    const busy = await this.busy({ from, to, timeZone: query.timeZone }, options);
    return guard(() => findFreeSlots(busy, query));
  }

  get(uid: string, options: ReadOptions = {}): Promise<CalendarEvent | undefined> {
    return this.traced('get', async () => {
      const copy = await this.read(uid, options.signal, true);
      return copy ? eventFrom(copy.ics, this.options.timeZone, copy.etag) : undefined;
    });
  }

  create(input: EventInput, effect: EffectOptions): Promise<CreateResult> {
    return this.traced('create', () => this.createNow(input, effect));
  }

  private async createNow(input: EventInput, effect: EffectOptions): Promise<CreateResult> {
    const fields = guard(() => normalizeInput(input));
    const uid = eventUidFor(effect.idempotencyKey);
    const base = await this.calendarUrl();
    const href = new URL(`${uid}.ics`, base).href;
    for (let attempt = 1; ; attempt++) {
      const ics = buildCalendar(uid, fields, this.now());
      const res = await this.send('create event', effect.signal, async (fetchOptions) => {
        const r = await createCalendarObject({
          calendar: { url: base },
          filename: `${uid}.ics`,
          iCalString: ics,
          headers: this.headers,
          fetchOptions,
          fetch: this.fetch,
        });
        return { status: r.status, headers: r.headers, body: await r.text() };
      });
      if (res.status >= 200 && res.status < 300) {
        const etag = etagOf(res.headers.get('etag'));
        this.remember(uid, { href, etag, ics });
        this.log.info({ uid, key: effect.idempotencyKey }, 'calendar event created');
        return { ...eventFrom(ics, this.options.timeZone, etag), created: true };
      }
      // 412: the resource exists: this key's create already happened (a retry, or a crash after the server did
      // it). 409 no-uid-conflict: the UID lives under another name (an app moved it). Either way: return it.
      if (res.status === 412 || res.status === 409) {
        const existing = await this.read(uid, effect.signal, true);
        if (existing) {
          this.log.info({ uid, key: effect.idempotencyKey }, 'calendar event already existed for this key');
          return { ...eventFrom(existing.ics, this.options.timeZone, existing.etag), created: false };
        }
        if (attempt < 3) continue; // deleted between our PUT and GET: create it again
      }
      throw fromStatus(res.status, this.where, 'event', res.headers, res.body);
    }
  }

  update(uid: string, patch: EventPatch, effect: EffectOptions): Promise<CalendarEvent> {
    return this.traced('update', () => this.updateNow(uid, patch, effect));
  }

  private async updateNow(uid: string, patch: EventPatch, effect: EffectOptions): Promise<CalendarEvent> {
    const mark = updateMarkFor(effect.idempotencyKey);
    const maxRetries = this.options.maxConflictRetries ?? 5;
    let copy = await this.read(uid, effect.signal);
    for (let conflicts = 0; ;) {
      if (!copy) throw this.missing(uid);
      const current = fieldsOf(copy.ics, this.options.timeZone);
      // This key's update is already in the server's copy (a repeat after a crash): nothing to do.
      if (current.mark === mark) return eventFrom(copy.ics, this.options.timeZone, copy.etag);
      const next: EventFields = guard(() => mergePatch(current, patch));
      const ics = applyFields(copy.ics, next, mark, this.options.timeZone, this.now());
      if (ics === undefined) return eventFrom(copy.ics, this.options.timeZone, copy.etag);
      if (copy.etag === undefined) {
        copy = await this.read(uid, effect.signal, true); // never write without If-Match
        if (copy?.etag === undefined)
          throw new CalendarError(
            'calendar_rejected',
            `The calendar server at ${this.where.host} gives no ETag for events, so they cannot be changed safely.`,
          );
        continue;
      }
      const target = { url: copy.href, etag: copy.etag, data: ics };
      const res = await this.send('update event', effect.signal, async (fetchOptions) => {
        const r = await updateCalendarObject({
          calendarObject: target,
          headers: this.headers,
          fetchOptions,
          fetch: this.fetch,
        });
        return { status: r.status, headers: r.headers, body: await r.text() };
      });
      if (res.status >= 200 && res.status < 300) {
        const etag = etagOf(res.headers.get('etag'));
        this.remember(uid, { href: target.url, etag, ics });
        this.log.info({ uid, key: effect.idempotencyKey, conflicts }, 'calendar event updated');
        return eventFrom(ics, this.options.timeZone, etag);
      }
      if (res.status === 404 || res.status === 410) throw this.missing(uid);
      if (res.status !== 412) throw fromStatus(res.status, this.where, 'event update', res.headers, res.body);
      // Someone changed the event since our copy: read theirs and apply the patch to it.
      conflicts++;
      this.log.warn({ uid, conflicts }, 'calendar event changed meanwhile; re-reading');
      if (conflicts > maxRetries) {
        throw new CalendarError(
          'calendar_conflict',
          `The calendar event "${current.title}" kept changing on the server while we updated it; the update will be tried again.`,
          {
            retryable: true,
            status: 412,
            detail: `${conflicts} ETag conflicts in a row on ${uid}`,
          },
        );
      }
      copy = await this.read(uid, effect.signal, true);
    }
  }

  cancel(uid: string, effect: EffectOptions): Promise<CancelResult> {
    return this.traced('cancel', () => this.cancelNow(uid, effect));
  }

  private async cancelNow(uid: string, effect: EffectOptions): Promise<CancelResult> {
    const base = await this.calendarUrl();
    let href = this.known.get(uid)?.href ?? new URL(`${encodeURIComponent(uid)}.ics`, base).href;
    for (let attempt = 1; ; attempt++) {
      const target = href;
      // No If-Match: the compensation must win over whatever another app changed meanwhile.
      const res = await this.send('cancel event', effect.signal, async (fetchOptions) => {
        const r = await deleteCalendarObject({
          calendarObject: { url: target },
          headers: this.headers,
          fetchOptions,
          fetch: this.fetch,
        });
        return { status: r.status, headers: r.headers, body: await r.text() };
      });
      if (res.status >= 200 && res.status < 300) {
        this.known.delete(uid);
        this.log.info({ uid, key: effect.idempotencyKey }, 'calendar event cancelled');
        return { uid, cancelled: true };
      }
      if (res.status !== 404 && res.status !== 410)
        throw fromStatus(res.status, this.where, 'event cancellation', res.headers, res.body);
      // Not under that name: maybe another app stored it elsewhere; otherwise it is already gone.
      const elsewhere = attempt === 1 ? await this.findByUid(uid, base, effect.signal) : undefined;
      if (!elsewhere || elsewhere.href === target) {
        this.known.delete(uid);
        return { uid, cancelled: false };
      }
      href = elsewhere.href;
    }
  }

  async health(): Promise<ConnectorHealth> {
    const started = performance.now();
    const limit = this.options.healthTimeoutMs ?? 5000;
    const label = () => `CalDAV ${this.where.user} at ${this.where.host}${this.where.path ?? ''}`;
    let timer: NodeJS.Timeout | undefined;
    try {
      const check = (async () => {
        const url = await this.calendarUrl();
        const responses = await this.send('health check', AbortSignal.timeout(limit), (fetchOptions) =>
          propfind({
            url,
            props: { 'd:resourcetype': {} },
            depth: '0',
            headers: this.headers,
            fetchOptions,
            fetch: this.fetch,
          }),
        );
        this.check(responses, 'health check');
      })();
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(new CalendarError('calendar_timeout', `no answer within ${limit / 1000} s`, { retryable: true })),
          limit,
        );
      });
      check.catch(() => undefined); // settled by the race below or ignored when too late
      await Promise.race([check, late]);
      return {
        connector: this.name,
        state: 'ok',
        detail: `${label()}: ok (${Math.round(performance.now() - started)} ms)`,
      };
    } catch (err) {
      const error = err instanceof CalendarError ? err : fromFailure(err, this.where, 'health check', limit);
      return {
        connector: this.name,
        state: error.retryable ? 'down' : 'misconfigured',
        detail: `${label()}: ${error.userMessage}`,
      };
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.known.clear();
  }

  private missing(uid: string): CalendarError {
    return new CalendarError(
      'calendar_event_not_found',
      `The calendar event ${uid} is no longer on the calendar server; it may have been deleted in another app.`,
      { status: 404 },
    );
  }
}
