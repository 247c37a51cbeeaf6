// Operator identities and settings on MongoDB.

import type { Collection, Db, ObjectId } from 'mongodb';
import type { Identity, IdentityStore, SettingsStore } from '../../../src/ports/store.ts';
import { keyId } from './counters.ts';

export interface IdentityDoc {
  _id: ObjectId;
  channel: string;
  externalId: string;
  label: string;
  linkedAt: Date;
  via: string;
}

export const identityId = (channel: string, externalId: string): ObjectId => keyId(`identity:${channel}:${externalId}`);

export class MongoIdentityStore implements IdentityStore {
  readonly #identities: Collection<IdentityDoc>;
  constructor(db: Db) {
    this.#identities = db.collection<IdentityDoc>('identities');
  }

  async get(channel: string, externalId: string): Promise<Identity | null> {
    const doc = await this.#identities.findOne({ _id: identityId(channel, externalId) });
    return doc
      ? { channel: doc.channel, externalId: doc.externalId, label: doc.label, linkedAt: doc.linkedAt, via: doc.via }
      : null;
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
    return docs.map((d) => ({
      channel: d.channel,
      externalId: d.externalId,
      label: d.label,
      linkedAt: d.linkedAt,
      via: d.via,
    }));
  }
}

export interface SettingDoc {
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
