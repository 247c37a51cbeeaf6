// Notes, operator identities and settings on MongoDB.

import type { Collection, Db, ObjectId } from 'mongodb';
import { tokens } from '../../domain/text.ts';
import type { Identity, IdentityStore, Note, NoteSource, NoteStore, SettingsStore } from '../../ports/store.ts';
import { Counters, keyId } from './counters.ts';

interface NoteDoc {
  _id: ObjectId;
  noteId: number;
  text: string;
  createdAt: Date;
  source: NoteSource;
  forgottenAt: Date | null;
}

function toNote(doc: NoteDoc): Note {
  const source: NoteSource = { channel: doc.source.channel };
  if (doc.source.eventPosition !== undefined && doc.source.eventPosition !== null) source.eventPosition = doc.source.eventPosition;
  const note: Note = { id: String(doc.noteId), text: doc.text, createdAt: doc.createdAt, source };
  if (doc.forgottenAt) note.forgottenAt = doc.forgottenAt;
  return note;
}

/** Note ids are decimal strings; anything else cannot name a note. */
const noteKey = (id: string): ObjectId | null => (/^\d{1,15}$/.test(id) ? keyId(`note:${Number(id)}`) : null);

export class MongoNoteStore implements NoteStore {
  readonly #notes: Collection<NoteDoc>;
  readonly #counters: Counters;

  constructor(db: Db) {
    this.#notes = db.collection<NoteDoc>('notes');
    this.#counters = new Counters(db);
  }

  async init(): Promise<void> {
    await this.#notes.createIndex({ noteId: 1 }, { unique: true });
    await this.#notes.createIndex({ forgottenAt: 1, noteId: -1 });
  }

  async add(input: { text: string; source: NoteSource }): Promise<Note> {
    const noteId = await this.#counters.next('notes');
    const doc: NoteDoc = { _id: keyId(`note:${noteId}`), noteId, text: input.text, createdAt: new Date(), source: input.source, forgottenAt: null };
    await this.#notes.insertOne(doc);
    return toNote(doc);
  }

  async get(id: string): Promise<Note | null> {
    const key = noteKey(id);
    if (key === null) return null;
    const doc = await this.#notes.findOne({ _id: key });
    return doc ? toNote(doc) : null;
  }

  async forget(id: string): Promise<boolean> {
    const key = noteKey(id);
    if (key === null) return false;
    return (await this.#notes.updateOne({ _id: key, forgottenAt: null }, { $set: { forgottenAt: new Date() } })).modifiedCount === 1;
  }

  async restore(id: string): Promise<boolean> {
    const key = noteKey(id);
    if (key === null) return false;
    return (await this.#notes.updateOne({ _id: key, forgottenAt: { $ne: null } }, { $set: { forgottenAt: null } })).modifiedCount === 1;
  }

  async candidates(terms: string[], limit: number): Promise<Note[]> {
    const clean = terms.map((t) => t.toLowerCase()).filter((t) => /^[\p{L}\p{N}]+$/u.test(t));
    if (clean.length === 0) return [];
    // The regex narrows on the server; the word-prefix rule (same as SQLite FTS5's "term"*) is applied here.
    const docs = await this.#notes
      .find({ forgottenAt: null, $or: clean.map((t) => ({ text: { $regex: t, $options: 'i' } })) })
      .sort({ noteId: -1 })
      .limit(limit * 4)
      .toArray();
    return docs
      .filter((d) => {
        const words = tokens(d.text);
        return clean.some((t) => words.some((w) => w.startsWith(t)));
      })
      .slice(0, limit)
      .map(toNote);
  }

  async count(): Promise<number> {
    return this.#notes.countDocuments({ forgottenAt: null });
  }
}

interface IdentityDoc {
  _id: ObjectId;
  channel: string;
  externalId: string;
  label: string;
  linkedAt: Date;
  via: string;
}

const identityId = (channel: string, externalId: string): ObjectId => keyId(`identity:${channel}:${externalId}`);

export class MongoIdentityStore implements IdentityStore {
  readonly #identities: Collection<IdentityDoc>;
  constructor(db: Db) {
    this.#identities = db.collection<IdentityDoc>('identities');
  }

  async get(channel: string, externalId: string): Promise<Identity | null> {
    const doc = await this.#identities.findOne({ _id: identityId(channel, externalId) });
    return doc ? { channel: doc.channel, externalId: doc.externalId, label: doc.label, linkedAt: doc.linkedAt, via: doc.via } : null;
  }

  async upsert(identity: Identity): Promise<boolean> {
    const result = await this.#identities.updateOne(
      { _id: identityId(identity.channel, identity.externalId) },
      {
        $set: { label: identity.label, via: identity.via },
        $setOnInsert: { channel: identity.channel, externalId: identity.externalId, linkedAt: identity.linkedAt },
      },
      { upsert: true },
    );
    return result.upsertedCount === 1;
  }

  async remove(channel: string, externalId: string): Promise<boolean> {
    return (await this.#identities.deleteOne({ _id: identityId(channel, externalId) })).deletedCount === 1;
  }

  async list(): Promise<Identity[]> {
    const docs = await this.#identities.find({}).sort({ channel: 1, externalId: 1 }).toArray();
    return docs.map((d) => ({ channel: d.channel, externalId: d.externalId, label: d.label, linkedAt: d.linkedAt, via: d.via }));
  }
}

interface SettingDoc {
  _id: ObjectId;
  key: string;
  value: unknown;
}

export class MongoSettingsStore implements SettingsStore {
  readonly #settings: Collection<SettingDoc>;
  constructor(db: Db) {
    this.#settings = db.collection<SettingDoc>('settings');
  }

  async get<T = unknown>(key: string): Promise<T | undefined> {
    const doc = await this.#settings.findOne({ _id: keyId(`setting:${key}`) });
    return doc ? (doc.value as T) : undefined;
  }

  async set(key: string, value: unknown): Promise<void> {
    await this.#settings.updateOne({ _id: keyId(`setting:${key}`) }, { $set: { key, value } }, { upsert: true });
  }
}
