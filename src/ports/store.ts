// Store ports: one interface per domain, owned by the core. `stores/sqlite` and `stores/mongo` implement all of
// them and pass the same contract suite (test/stores/contract.ts). Indexes and tables are created in `init()`.

import type { EventType, NewEvent, StoredEvent } from '../domain/events.ts';
import type { ApprovalStore, LedgerStore, RunStore } from './engine-store.ts';

export interface AppendResult {
  event: StoredEvent;
  /** True when an event with the same dedupe key already existed; `event` is then that earlier event. */
  duplicate: boolean;
}

export interface ReadStreamOptions {
  /** Only events with seq greater than this. */
  afterSeq?: number;
  limit?: number;
  types?: EventType[];
}

export interface ReadRangeOptions {
  from?: Date;
  /** Exclusive upper bound. */
  to?: Date;
  afterPosition?: number;
  limit?: number;
  types?: EventType[];
}

/** Append-only, typed event log: the audit trail. Nothing here updates or deletes an event. */
export interface EventLog {
  append(event: NewEvent): Promise<AppendResult>;
  /** Appends in one batch (one transaction where the store has them), in order. */
  appendMany(events: NewEvent[]): Promise<AppendResult[]>;
  readStream(stream: string, options?: ReadStreamOptions): Promise<StoredEvent[]>;
  readRange(options?: ReadRangeOptions): Promise<StoredEvent[]>;
  findByDedupeKey(dedupeKey: string): Promise<StoredEvent | null>;
}

/** A platform account that speaks for the operator. Solo OS has exactly one operator. */
export interface Identity {
  channel: string;
  externalId: string;
  label: string;
  linkedAt: Date;
  /** How it became trusted: 'config' (allow-list), 'local' (web chat), or 'link:<channel>:<id>'. */
  via: string;
}

export interface IdentityStore {
  get(channel: string, externalId: string): Promise<Identity | null>;
  /** Adds or refreshes an identity; returns true when it was new. */
  upsert(identity: Identity): Promise<boolean>;
  remove(channel: string, externalId: string): Promise<boolean>;
  list(): Promise<Identity[]>;
}

export interface NoteSource {
  channel: string;
  /** Position of the event that created the note, when known. */
  eventPosition?: number;
}

export interface Note {
  id: string;
  text: string;
  createdAt: Date;
  source: NoteSource;
  forgottenAt?: Date;
}

export interface NoteStore {
  add(input: { text: string; source: NoteSource }): Promise<Note>;
  /** Returns the note, forgotten or not; null when the id never existed. */
  get(id: string): Promise<Note | null>;
  /** Marks a note forgotten (it stays in the event log). Returns false when there was no live note with that id. */
  forget(id: string): Promise<boolean>;
  /** Brings a forgotten note back. Returns false when there was no forgotten note with that id. */
  restore(id: string): Promise<boolean>;
  /** Live notes containing any of the terms (whole words, or word prefixes), newest first, at most `limit`. */
  candidates(terms: string[], limit: number): Promise<Note[]>;
  /** Number of live notes. */
  count(): Promise<number>;
}

export interface SettingsStore {
  get<T = unknown>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
}

export interface Store {
  /** 'sqlite' or 'mongodb'. */
  readonly kind: string;
  /** Where it lives, without credentials (a file path, or a URI with the password masked). */
  readonly location: string;
  readonly events: EventLog;
  readonly identities: IdentityStore;
  readonly notes: NoteStore;
  readonly settings: SettingsStore;
  readonly runs: RunStore;
  readonly approvals: ApprovalStore;
  readonly ledger: LedgerStore;
  /** Connects, creates tables/collections and indexes. */
  init(): Promise<void>;
  close(): Promise<void>;
}
