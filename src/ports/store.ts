// Store ports: one interface per domain, owned by the core. `stores/sqlite` and `stores/mongo` implement all of
// them and pass the same contract suite (test/stores/contract.ts). Indexes and tables are created in `init()`.

import type { EventType, NewEvent, StoredEvent } from '../domain/events.ts';
import type { ApprovalStore, LedgerStore, RunStore } from './engine-store.ts';
import type { StoreCopy } from './store-copy.ts';

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
  /** The newest `limit` matching events instead of the oldest, still returned in ascending `seq` order. */
  newest?: boolean;
}

export interface ReadRangeOptions {
  from?: Date;
  /** Exclusive upper bound. */
  to?: Date;
  afterPosition?: number;
  limit?: number;
  types?: EventType[];
  /** The newest `limit` matching events instead of the oldest, still returned in ascending `position` order. */
  newest?: boolean;
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

/** What a memory is about. Profiles (client, contact, project) are canonical: one live item per entity. */
export const MEMORY_KINDS = [
  'fact',
  'preference',
  'client',
  'contact',
  'project',
  'content',
  'decision',
  'note',
  'digest',
] as const;
export type MemoryKind = (typeof MEMORY_KINDS)[number];
export const PROFILE_KINDS: ReadonlySet<MemoryKind> = new Set(['client', 'contact', 'project']);

/** Provenance: the event, run or file a memory came from. */
export interface MemorySource {
  channel?: string;
  /** Position of the event (usually message.received) that created it. */
  eventPosition?: number;
  runId?: string;
  /** File (and row) it was imported from. */
  importedFrom?: string;
}

export interface Memory {
  id: string;
  text: string;
  kind: MemoryKind;
  /** Entity keys such as `client:acme-corp`, `contact:jane-doe`, `project:rebrand`. */
  entities: string[];
  /** Display name of the entity a profile describes ("Acme Corp"). */
  subject?: string;
  /** 0..1; recall ranks important memories higher and compaction leaves them alone. */
  importance: number;
  createdAt: Date;
  updatedAt: Date;
  lastUsedAt?: Date;
  source: MemorySource;
  /** Set when forgotten or replaced by a correction; the item then never comes back from recall. */
  forgottenAt?: Date;
  /** The correction that replaced this item. */
  replacedBy?: string;
  /** The item this one corrected. */
  replaces?: string;
  /** For digests: the originals they summarise. */
  digestOf?: string[];
  /** For originals: the digest that now summarises them. */
  digestId?: string;
}

export interface NewMemory {
  text: string;
  kind: MemoryKind;
  entities?: string[];
  subject?: string;
  importance?: number;
  source: MemorySource;
  replaces?: string;
  digestOf?: string[];
  /** Creation time (import keeps a file's time); default now. */
  at?: Date;
}

export interface MemoryPatch {
  text?: string;
  importance?: number;
  entities?: string[];
  subject?: string;
  digestId?: string | null;
}

export interface MemoryStore {
  add(input: NewMemory): Promise<Memory>;
  /** The memory, live or not; null when the id never existed. */
  get(id: string): Promise<Memory | null>;
  getMany(ids: string[]): Promise<Memory[]>;
  /** Changes a memory's content (bumps updatedAt); null when there is no such id. */
  update(id: string, patch: MemoryPatch): Promise<Memory | null>;
  /** Retracts a live memory (it stays in the event log). `replacedBy` names the correction. False when not live. */
  forget(id: string, replacedBy?: string): Promise<boolean>;
  /** Brings a retracted memory back. False when it was live or never existed. */
  restore(id: string): Promise<boolean>;
  /** Live memories containing any of the terms (whole words or word prefixes), newest first, at most `limit`. */
  candidates(terms: string[], limit: number): Promise<Memory[]>;
  /** Number of live memories. */
  count(): Promise<number>;
  /** Live memories in id order after `afterId` (for rebuilding in-process indexes). */
  scan(afterId: string | undefined, limit: number): Promise<Memory[]>;
  /** Live memories linked to an entity, newest first. */
  byEntity(entity: string, limit: number): Promise<Memory[]>;
  /** Records that memories were used in an answer. */
  touch(ids: string[], at: Date): Promise<void>;
  setVector(id: string, model: string, vector: Float32Array): Promise<void>;
  /** Vectors of live memories for a model, in id order after `afterId`. */
  vectors(
    model: string,
    afterId: string | undefined,
    limit: number,
  ): Promise<Array<{ id: string; vector: Float32Array }>>;
  /** Live memories without a vector for this model, oldest first. */
  missingVectors(model: string, limit: number): Promise<Memory[]>;
  /** Live, non-profile, non-digest memories not yet compacted, last touched before `before`, importance ≤ max. */
  compactable(options: { before: Date; maxImportance: number; limit: number }): Promise<Memory[]>;
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
  readonly memories: MemoryStore;
  readonly settings: SettingsStore;
  readonly runs: RunStore;
  readonly approvals: ApprovalStore;
  readonly ledger: LedgerStore;
  /** Every record of every table, for moving to another store (`solo migrate`). */
  readonly copy: StoreCopy;
  /**
   * What init() left unchecked (a large embedded store is checked whole after start, in another process): resolves
   * to the problem found, or undefined when sound. Stores that check nothing need not have it.
   */
  checkRest?(): Promise<string | undefined>;
  /** Connects, brings an older schema forward (or refuses a newer one), creates tables/collections and indexes. */
  init(): Promise<void>;
  close(): Promise<void>;
}
