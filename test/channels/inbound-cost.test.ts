// The inbound chain's cost cuts keep its promises: updates arriving together are recorded in one group commit,
// yet each is in the event log before its handler runs; a failing batch falls back to one append each; and the
// operator's last chat is remembered with no settings read for a chat already remembered. Real conductor, real
// SQLite store; the store's methods are wrapped only to count calls, their results are the store's own.

import type { InboundContext } from '../../src/inbound/context.ts';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
const lastChatKey = (channel: string): string => `last-chat:${channel}`;
import { Conductor } from '../../src/conductor/conductor.ts';
import type { InboundEvent } from '../../src/domain/messages.ts';
import { AppendBatcher } from '../../src/events/append-batcher.ts';
import { SqliteStore } from '../../adapters/stores/sqlite/index.ts';
import { tempDir } from '../support/app.ts';
import { RecordingChannel } from '../support/recording-channel.ts';
import { testCore } from '../support/services.ts';

const logger = pino({ level: 'silent' });

describe('inbound chain: group commit and the last-chat memo', () => {
  const store = new SqliteStore(tempDir());
  const channel = new RecordingChannel();
  let conductor: Conductor;
  /** For each handled "ping": was its message.received already in the log when the handler ran? */
  const recordedFirst: boolean[] = [];
  const batches: number[] = [];
  let settingsReads = 0;
  let settingsWrites = 0;
  let n = 0;
  const ping = (chatId: string): InboundEvent => ({
    kind: 'message',
    id: `u${++n}`,
    channel: 'testchat',
    chatId,
    senderId: 'owner',
    text: 'ping',
  });

  before(async () => {
    await store.init();
    await store.identities.upsert({
      channel: 'testchat',
      externalId: 'owner',
      label: 'owner',
      linkedAt: new Date(),
      via: 'config',
    });
    const { events, settings } = store;
    const appendMany = events.appendMany.bind(events);
    events.appendMany = async (list) => {
      batches.push(list.length);
      return appendMany(list);
    };
    const get = settings.get.bind(settings);
    settings.get = async <T>(key: string) => {
      if (key === lastChatKey('testchat')) settingsReads += 1;
      return get<T>(key);
    };
    const set = settings.set.bind(settings);
    settings.set = async (key: string, value: unknown) => {
      if (key === lastChatKey('testchat')) settingsWrites += 1;
      return set(key, value);
    };
    const handler = async (ctx: InboundContext, text: string): Promise<boolean> => {
      if (text !== 'ping') return false;
      recordedFirst.push((await store.events.findByDedupeKey(`in:testchat:${ctx.event.id}`)) !== null);
      await ctx.reply('pong');
      return true;
    };
    conductor = testCore({
      store,
      logger,
      channels: () => [channel],
      bare: true,
      registry: (r) => r.text(handler),
    }).conductor;
  });
  after(() => store.close());

  test('twenty updates at once: one group commit, each recorded before its handler runs, each handled once', async () => {
    const updates = Array.from({ length: 20 }, () => ping('chat-a'));
    const results = await Promise.all(updates.map((u) => conductor.handle(u, channel)));
    assert.deepEqual(
      results.map((r) => r.outcome),
      Array(20).fill('handled'),
    );
    assert.equal(recordedFirst.length, 20);
    assert.ok(recordedFirst.every(Boolean), 'every message.received was committed before its handler ran');
    assert.ok(
      batches.includes(20),
      `the twenty message.received were written in one batch (batches: ${batches.join(', ')})`,
    );
    for (const u of updates) {
      assert.ok(await store.events.findByDedupeKey(`done:in:testchat:${u.id}`), `update ${u.id} is marked handled`);
    }
    assert.equal(channel.delivered.length, 20);
  });

  test('a redelivered update is still dropped after batching', async () => {
    const update = ping('chat-a');
    assert.equal((await conductor.handle(update, channel)).outcome, 'handled');
    assert.equal((await conductor.handle(update, channel)).outcome, 'duplicate');
  });

  test('the last chat costs no settings read when it is the same, and one write for a burst of new ones', async () => {
    const reads = settingsReads;
    await conductor.handle(ping('chat-a'), channel);
    await conductor.handle(ping('chat-a'), channel);
    assert.equal(settingsReads, reads, 'the same chat again costs no settings read');
    await conductor.handle(ping('chat-b'), channel);
    assert.equal(await store.settings.get(lastChatKey('testchat')), 'chat-b');
    const writes = settingsWrites;
    await Promise.all(['chat-c', 'chat-d', 'chat-a', 'chat-c'].map((chat) => conductor.handle(ping(chat), channel)));
    assert.equal(await store.settings.get(lastChatKey('testchat')), 'chat-c', 'the last one to arrive wins');
    assert.equal(settingsWrites, writes + 1, 'four messages from new chats in one turn: one write');
    await conductor.handle(ping('chat-c'), channel);
    assert.equal(settingsWrites, writes + 1, 'and none for the chat now remembered');
  });
});

describe('AppendBatcher', () => {
  test('when the batch fails, each event is appended on its own: only the bad one fails', async () => {
    const store = new SqliteStore(tempDir());
    await store.init();
    try {
      const { events } = store;
      let manyCalls = 0;
      events.appendMany = async () => {
        manyCalls += 1;
        throw new Error('batch refused');
      };
      const batcher = new AppendBatcher(events);
      const good = {
        type: 'message.handled',
        stream: 'chat:t:1',
        data: { channel: 't', chatId: '1' },
        dedupeKey: 'done:a',
      } as const;
      // A value JSON cannot hold makes the store's own append throw for this event alone.
      const bad = { ...good, dedupeKey: 'done:b', data: { channel: 't', chatId: 1n as unknown as string } };
      const [ok, failed, again] = await Promise.allSettled([
        batcher.append(good),
        batcher.append(bad),
        batcher.append({ ...good, dedupeKey: 'done:c' }),
      ]);
      assert.equal(manyCalls, 1);
      assert.equal(ok.status, 'fulfilled');
      assert.equal(failed.status, 'rejected');
      assert.equal(again.status, 'fulfilled');
      assert.ok(await events.findByDedupeKey('done:a'));
      assert.equal(await events.findByDedupeKey('done:b'), null);
      assert.ok(await events.findByDedupeKey('done:c'));
    } finally {
      await store.close();
    }
  });
});
