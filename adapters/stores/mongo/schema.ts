// The MongoDB store's schema versions and the steps that bring an older database forward at start. MongoDB has
// no multi-document transactions here, so every step is idempotent: a start cut short half-way runs it again and
// it finishes what is left. A part's version is written only after its step completed. Collections and indexes
// are created by each part's init(); versions live in the `schema` collection, one document per part.
//
// To change a part: add a step { domain, to: next, what, up } below (an `updateMany` that fills a new field where
// it is missing, a copy that skips what is there already) and a fixture written by the previous version
// (scripts/store-fixtures.ts); test/stores/mongo-migrations.test.ts opens every fixture.

import type { Db, ObjectId } from 'mongodb';
import {
  DOMAINS,
  plan,
  type AppliedStep,
  type Domain,
  type Migration,
  type SchemaReport,
  type Versions,
} from '../schema.ts';
import { Counters, keyId } from './counters.ts';

type MongoMigration = Migration<Db, Promise<void>>;

interface VersionDoc {
  _id: ObjectId;
  domain: string;
  version: number;
  updatedAt: Date;
}

/** 0.1's notes, with `_id` a number (the very first release) or derived from `noteId`. */
interface NoteDoc {
  _id: ObjectId | number;
  noteId?: number;
  text: string;
  createdAt: Date;
  source?: { channel?: string; eventPosition?: number | null };
  forgottenAt?: Date | null;
}

/** Every step since 0.1, oldest first within each part. Frozen: a released step is never edited. */
export const MONGO_MIGRATIONS: readonly MongoMigration[] = [
  {
    // Each note becomes a memory with the same number, then the note is deleted: a step cut short resumes with the
    // notes still there, and a note whose memory already exists (same text and time) is only deleted.
    domain: 'memories',
    to: 2,
    what: 'notes became memories',
    up: async (db) => {
      const notes = db.collection<NoteDoc>('notes');
      const memories = db.collection('memories');
      const counters = new Counters(db);
      for await (const note of notes.find({}).sort({ noteId: 1, _id: 1 })) {
        const done = await memories.findOne({ text: note.text, createdAt: note.createdAt }, { projection: { _id: 1 } });
        if (!done) {
          const own = note.noteId ?? (typeof note._id === 'number' ? note._id : undefined);
          const free =
            own !== undefined && !(await memories.findOne({ _id: keyId(`memory:${own}`) }, { projection: { _id: 1 } }));
          const memoryId = free ? own : await counters.next('memories');
          const source = Object.fromEntries(
            Object.entries(note.source ?? {}).filter(([, v]) => v !== null && v !== undefined),
          );
          await memories.insertOne({
            _id: keyId(`memory:${memoryId}`),
            memoryId,
            text: note.text,
            kind: 'note',
            entities: [],
            subject: null,
            importance: 0.5,
            createdAt: note.createdAt,
            updatedAt: note.createdAt,
            lastUsedAt: null,
            source,
            forgottenAt: note.forgottenAt ?? null,
            replacedBy: null,
            replaces: null,
            digestOf: null,
            digestId: null,
          });
          await counters.atLeast('memories', memoryId);
        }
        await notes.deleteOne({ _id: note._id });
      }
      await notes.drop().catch(() => undefined);
      await db.collection('counters').deleteOne({ _id: keyId('counter:notes') });
    },
  },
  // Leases are documents created when a run is first executed: nothing to change in older data.
  { domain: 'runs', to: 2, what: 'run leases', up: async () => undefined },
];

const create = (domain: Domain, version: number): MongoMigration => ({
  domain,
  to: version,
  what: 'created',
  up: async () => undefined,
});

/**
 * The versions of a database from before versions were recorded, read from its collections: 0.1 had events,
 * identities, settings and notes; the engine added runs, steps, approvals and invoices; memories replaced notes.
 */
function legacyMongoVersions(collections: ReadonlySet<string>): Versions {
  const any = (...names: string[]) => names.some((n) => collections.has(n));
  return {
    events: any('events') ? 1 : 0,
    settings: any('settings', 'identities') ? 1 : 0,
    memories: any('notes') ? 1 : any('memories', 'memory_vectors') ? 2 : 0,
    runs: any('run_leases') ? 2 : any('runs', 'steps', 'approvals') ? 1 : 0,
    ledger: any('invoices') ? 1 : 0,
  };
}

async function storedVersions(db: Db): Promise<Record<string, number> | undefined> {
  const docs = await db.collection<VersionDoc>('schema').find({}).toArray();
  if (docs.length > 0) return Object.fromEntries(docs.map((d) => [d.domain, d.version]));
  const names = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
  names.delete('schema');
  return names.size === 0 ? undefined : legacyMongoVersions(names);
}

/** Brings the database to the current versions, step by step; each version is recorded once its step is done. */
export async function migrateMongo(
  db: Db,
  where: string,
  migrations: readonly MongoMigration[] = MONGO_MIGRATIONS,
): Promise<SchemaReport> {
  const found = await storedVersions(db);
  const steps = plan(found ?? {}, migrations, create, where);
  const foundVersions = Object.fromEntries(DOMAINS.map((d) => [d, found?.[d] ?? 0])) as Versions;
  const versions = { ...foundVersions };
  const applied: AppliedStep[] = [];
  const schema = db.collection<VersionDoc>('schema');
  const record = (domain: Domain, version: number) =>
    schema.updateOne(
      { _id: keyId(`schema:${domain}`) },
      { $set: { domain, version, updatedAt: new Date() } },
      { upsert: true },
    );
  // A database from before versions: what it is at is written down first, so a start cut short half-way through
  // the steps still knows, next time, which steps are left.
  if (found && !(await schema.findOne({})))
    for (const d of DOMAINS) if (foundVersions[d] > 0) await record(d, foundVersions[d]);
  for (const step of steps) {
    const from = versions[step.domain];
    await step.up(db);
    await record(step.domain, step.to);
    versions[step.domain] = step.to;
    applied.push({ domain: step.domain, from, to: step.to, what: step.what });
  }
  return { created: DOMAINS.every((d) => foundVersions[d] === 0), applied, found: foundVersions, versions };
}
