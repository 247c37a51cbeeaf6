// The calendar port: busy times, free slots, and events created, updated and cancelled exactly once per step key.
// Instants are ISO 8601 strings with an offset or Z (JSON-safe, so results can be journaled as they are).

import type { Connector, EffectOptions } from './connector.ts';

/** [from, to) as ISO instants. `timeZone` (IANA) places all-day and floating events; default: the connector's. */
export interface TimeRange {
  from: string;
  to: string;
  timeZone?: string;
}

export interface ReadOptions {
  signal?: AbortSignal;
}

/** What a workflow asks for. Timed events take instants; all-day events take dates, `end` exclusive. */
export interface EventInput {
  title: string;
  /** e.g. 2026-03-30T09:00:00+02:00, or 2026-03-30 when `allDay`. */
  start: string;
  /** Exclusive: a one-day all-day event on the 30th ends on 2026-03-31. */
  end: string;
  allDay?: boolean;
  description?: string;
  location?: string;
}

/** Fields to change; the rest of the event (and whatever other apps added to it) is kept. `null` clears a text. */
export interface EventPatch {
  title?: string;
  start?: string;
  end?: string;
  allDay?: boolean;
  description?: string | null;
  location?: string | null;
}

export interface CalendarEvent {
  uid: string;
  /** The server's version tag for this copy (absent when the server did not say). */
  etag?: string;
  title: string;
  /** Timed events: UTC instants (2026-03-30T07:00:00.000Z). All-day events: dates, end exclusive. */
  start: string;
  end: string;
  allDay: boolean;
  description?: string;
  location?: string;
  status: 'confirmed' | 'tentative' | 'cancelled';
  sequence: number;
  recurring: boolean;
}

export interface CreateResult extends CalendarEvent {
  /** false when the event of this key already existed (a repeated step): nothing new was created. */
  created: boolean;
}

export interface CancelResult {
  uid: string;
  /** false when the event was already gone (a repeated cancel): nothing was deleted. */
  cancelled: boolean;
}

/** One occurrence inside a range; a recurring event gives one per repetition. */
export interface Occurrence {
  uid: string;
  title: string;
  start: string;
  end: string;
  allDay: boolean;
  /** Set on occurrences of a recurring event: which repetition this is (the original start). */
  recurrenceId?: string;
  /** false for events marked free (TRANSP:TRANSPARENT). Cancelled events and occurrences are left out. */
  busy: boolean;
  location?: string;
}

/** A time the calendar is taken, as UTC instants. */
export interface BusyInterval {
  start: string;
  end: string;
  uid: string;
}

/** ISO weekdays (1 = Monday … 7 = Sunday) and a daily window in wall-clock time, e.g. 09:00-17:00. */
export interface WorkingHours {
  days: number[];
  start: string;
  end: string;
}

export interface FreeSlotQuery {
  from: string;
  to: string;
  durationMinutes: number;
  workingHours: WorkingHours;
  /** IANA zone the working hours are in, e.g. Europe/Berlin. */
  timeZone: string;
  /** How many slots to return at most. */
  count: number;
  /** Slots start on this grid inside the working window (default 30 minutes). */
  stepMinutes?: number;
  /** Kept free before and after every busy interval (default 0). */
  bufferMinutes?: number;
}

/** A free slot, as instants in the query's zone (2026-03-30T09:00:00+02:00). */
export interface Slot {
  start: string;
  end: string;
}

export interface CalendarPort extends Connector {
  /** Events overlapping the range, recurring ones expanded. */
  list(range: TimeRange, options?: ReadOptions): Promise<Occurrence[]>;
  /** When the calendar is taken, from its events (servers' free-busy reports are too uneven to rely on). */
  busy(range: TimeRange, options?: ReadOptions): Promise<BusyInterval[]>;
  /** The first `count` free slots inside working hours, non-overlapping, earliest first. */
  freeSlots(query: FreeSlotQuery, options?: ReadOptions): Promise<Slot[]>;
  /** One event by UID, or undefined when there is none. */
  get(uid: string, options?: ReadOptions): Promise<CalendarEvent | undefined>;
  /** Creates the event whose UID is derived from the key; a repeat of the key returns the existing event. */
  create(event: EventInput, effect: EffectOptions): Promise<CreateResult>;
  /** Applies the patch to the server's current copy; a concurrent change is re-read and the patch re-applied. */
  update(uid: string, patch: EventPatch, effect: EffectOptions): Promise<CalendarEvent>;
  /** Compensation for `create`: deletes the event. A second cancel, or a missing event, is fine. */
  cancel(uid: string, effect: EffectOptions): Promise<CancelResult>;
}
