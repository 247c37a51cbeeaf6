// The Slack tests' common setup: the real Conductor on a fresh SQLite store behind a Recorder that tells a test when
// an update has been fully handled (its replies posted), so that nothing waits on a clock. Used by
// test/channels/slack.test.ts (Socket Mode) and slack-http.test.ts (HTTP mode).

import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before } from 'node:test';
import { pino, type Logger } from 'pino';
import type { InboundEvent } from '../../src/domain/messages.ts';
import type { Registry } from '../../src/commands/registry.ts';
import type { Channel, HandleResult, InboundHandler } from '../../src/ports/channel.ts';
import { SqliteStore } from '../../adapters/stores/sqlite/index.ts';
import type { SlackChannel } from '../../adapters/channels/slack/index.ts';
import { FakeSlack } from '../fakes/slack/server.ts';
import type { StoredMessage } from '../fakes/slack/workspace.ts';
import { tempDir } from './app.ts';
import { testCore } from './services.ts';

export const OPERATOR = 'U0OPERATOR';
export const STRANGER = 'U0STRANGER';
export const SIGNING_SECRET = 'fake-signing-secret';

export interface Handled {
  event: InboundEvent;
  result: HandleResult;
}

/** The real conductor, plus a record of every update it finished handling. */
class Recorder implements InboundHandler {
  readonly handled: Handled[] = [];
  readonly #inner: InboundHandler;
  readonly #waiting = new Map<string, (h: Handled) => void>();

  constructor(inner: InboundHandler) {
    this.#inner = inner;
  }

  commands() {
    return this.#inner.commands();
  }

  async handle(event: InboundEvent, channel: Channel): Promise<HandleResult> {
    const result = await this.#inner.handle(event, channel);
    const handled = { event, result };
    this.handled.push(handled);
    this.#waiting.get(event.id)?.(handled);
    return result;
  }

  /** The update with this id once handled; fails by name if it never arrives. */
  async done(id: string): Promise<Handled> {
    const seen = this.handled.find((h) => h.event.id === id);
    if (seen) return seen;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`update ${id} never reached the conductor`)), 5000);
      this.#waiting.set(id, (h) => {
        clearTimeout(timer);
        this.#waiting.delete(id);
        resolve(h);
      });
    });
  }
}

export interface Core {
  store: SqliteStore;
  recorder: Recorder;
  logger: Logger;
  logs: string[];
}

/** Commands a test adds to the default ones (/help, /status, the memory commands). */
export type ExtraCommands = (registry: Registry, store: SqliteStore) => Registry;

export async function startCore(current: () => Channel | undefined, extra?: ExtraCommands): Promise<Core> {
  const store = new SqliteStore(tempDir());
  await store.init();
  await store.identities.upsert({
    channel: 'slack',
    externalId: OPERATOR,
    label: 'operator',
    linkedAt: new Date(),
    via: 'config',
  });
  const logs: string[] = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({ write: (chunk: Buffer, _enc, cb) => (logs.push(chunk.toString()), cb()) }),
  );
  const channels = (): Channel[] => {
    const c = current();
    return c ? [c] : [];
  };
  const conductor = testCore({
    store,
    logger,
    channels,
    ...(extra ? { registry: (r: Registry) => extra(r, store) } : {}),
  }).conductor;
  return { store, recorder: new Recorder(conductor), logger, logs };
}

export const logger = pino({ level: 'silent' });
export const lastMessage = (messages: StoredMessage[]): StoredMessage => {
  const m = messages.at(-1);
  assert.ok(m, 'expected a message in the channel');
  return m;
};

export interface SlackRig {
  fake: FakeSlack;
  core: Core;
  channel: SlackChannel;
  /** The operator's DM with the bot. */
  operatorDm: string;
}

/**
 * For one describe block: before its tests, a fake Slack, the core, and the channel `make` builds, started; after
 * them, all stopped. `ready` hands the parts to the block's variables.
 */
export function useSlack(
  make: (fake: FakeSlack, core: Core) => SlackChannel,
  ready: (rig: SlackRig) => void,
  extra?: ExtraCommands,
): void {
  let rig: SlackRig | undefined;
  before(async () => {
    const fake = await FakeSlack.start();
    // The core asks for the channel list lazily: the channel is made after the core.
    const made: { channel?: SlackChannel } = {};
    const core = await startCore(() => made.channel, extra);
    const channel = (made.channel = make(fake, core));
    await channel.start(core.recorder);
    rig = { fake, core, channel, operatorDm: fake.workspace.openIm(OPERATOR) };
    ready(rig);
  });
  after(async () => {
    await rig?.channel.stop();
    await rig?.fake.stop();
    await rig?.core.store.close();
  });
}
