// The conductor with a real store and a small in-memory channel (a real Channel implementation that records
// what it delivers), for what the web chat cannot show: strangers, failures inside a command.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Conductor } from '../../src/conductor/conductor.ts';
import type { InboundEvent } from '../../src/domain/messages.ts';
import { SoloError } from '../../src/domain/errors.ts';
import { SqliteStore } from '../../adapters/stores/sqlite/index.ts';
import { tempDir } from '../support/app.ts';
import { RecordingChannel } from '../support/recording-channel.ts';
import { testCore } from '../support/services.ts';

describe('conductor', () => {
  const store = new SqliteStore(tempDir());
  const channel = new RecordingChannel();
  const logLines: string[] = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({ write: (chunk: Buffer, _enc, cb) => (logLines.push(chunk.toString()), cb()) }),
  );
  let conductor: Conductor;
  let n = 0;
  const message = (senderId: string, text: string): InboundEvent => ({
    kind: 'message',
    id: `u${++n}`,
    channel: 'testchat',
    chatId: `chat-${senderId}`,
    senderId,
    text,
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
    conductor = testCore({
      store,
      logger,
      channels: () => [channel],
      registry: (r) =>
        r
          .command({
            name: 'boom',
            description: 'fails',
            run: async () => {
              throw new Error('database exploded: secret detail');
            },
          })
          .command({
            name: 'picky',
            description: 'refuses politely',
            run: async () => {
              throw new SoloError('bad_client', 'No client called Foo; /clients lists them.');
            },
          }),
    }).conductor;
  });
  after(() => store.close());

  test('an unknown sender gets one polite refusal, ever, and nothing they send is stored or run', async () => {
    const first = await conductor.handle(message('stranger', '/remember I own you now'), channel);
    const second = await conductor.handle(message('stranger', '/status'), channel);
    assert.equal(first.outcome, 'refused');
    assert.equal(first.replies.length, 1);
    assert.match(first.replies[0]?.text ?? '', /private assistant/);
    assert.equal(second.outcome, 'refused');
    assert.equal(second.replies.length, 0);
    assert.equal(await store.memories.count(), 0);
    const refusals = await store.events.readRange({ types: ['sender.refused'] });
    assert.equal(refusals.length, 1);
    const received = await store.events.readStream('chat:testchat:chat-stranger', { types: ['message.received'] });
    assert.equal(received.length, 0, 'a stranger’s text never reaches the store');
    assert.ok(!JSON.stringify(await store.events.readRange()).includes('I own you now'));
  });

  test('the operator is served, and replies are recorded before delivery', async () => {
    const result = await conductor.handle(message('owner', '/remember Umbrella pays by card'), channel);
    assert.equal(result.outcome, 'handled');
    const last = channel.delivered.at(-1);
    assert.equal(last?.chatId, 'chat-owner');
    assert.match(last?.message.text ?? '', /Remembered #\d+: Umbrella pays by card/);
    const sent = await store.events.readStream('chat:testchat:chat-owner', { types: ['message.sent'] });
    assert.equal(String(sent.at(-1)?.seq), last?.message.id);
    const note = await store.memories.get(/#(\d+)/.exec(last?.message.text ?? '')?.[1] ?? '');
    assert.ok(note?.source.eventPosition, 'the note records the event that created it');
  });

  test('a failing command becomes one sentence for the user and a stack in the log', async () => {
    const result = await conductor.handle(message('owner', '/boom'), channel);
    assert.equal(result.outcome, 'failed');
    assert.match(result.replies[0]?.text ?? '', /^Sorry, that failed on my side \(ref [0-9a-f]{8}\)/);
    assert.ok(!(result.replies[0]?.text ?? '').includes('database exploded'));
    const logged = logLines
      .map((l) => JSON.parse(l) as { msg: string; err?: { stack?: string } })
      .find((l) => l.msg === 'handling an update failed');
    assert.match(logged?.err?.stack ?? '', /database exploded[\s\S]*at /);
    const failed = await store.events.readRange({ types: ['command.failed'] });
    const last = failed.at(-1);
    assert.equal(last?.type === 'command.failed' ? last.data.command : undefined, 'boom');
  });

  test('a SoloError shows its own sentence', async () => {
    const result = await conductor.handle(message('owner', '/picky'), channel);
    assert.equal(result.replies[0]?.text, 'No client called Foo; /clients lists them.');
  });

  test('Telegram-style /cmd@botname and case are accepted', async () => {
    const result = await conductor.handle(message('owner', '/HELP@solo_bot'), channel);
    assert.match(result.replies[0]?.text ?? '', /^Commands:/);
  });
});
