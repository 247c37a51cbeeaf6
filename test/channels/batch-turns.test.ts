// Updates that arrive together are handled one per event-loop turn (adapters/channels/shared/turn.ts), so the API
// call a handler makes is on the wire before the next update starts: Node sends an HTTP request from a
// process.nextTick callback, and ticks run only once the turn's microtasks are done. Checked with the real grammY
// client and the fake Bot API: three updates in one getUpdates answer, and a handler that notes when it ran and when
// a tick it queued ran. Also: grammY's AbortController is Node's own (the shims/abort-controller override).

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { pino } from 'pino';
import { TelegramChannel } from '../../adapters/channels/telegram/index.ts';
import type { InboundEvent } from '../../src/domain/messages.ts';
import type { Channel, InboundHandler } from '../../src/ports/channel.ts';
import { FakeTelegram } from '../fakes/telegram/server.ts';

test('a getUpdates batch is handled one update per turn: each handler’s queued ticks run before the next handler', async () => {
  const fake = new FakeTelegram();
  await fake.start();
  const order: string[] = [];
  const handler: InboundHandler = {
    commands: () => [],
    async handle(event: InboundEvent, channel: Channel) {
      const text = event.kind === 'message' ? event.text : '';
      order.push(`handle ${text}`);
      process.nextTick(() => order.push(`tick ${text}`));
      const sent = { id: event.id, text: `re ${text}`, buttons: [] };
      await channel.deliver(event.chatId, sent);
      return { outcome: 'handled', replies: [sent] };
    },
  };
  const channel = new TelegramChannel({ token: fake.token, apiRoot: fake.apiRoot, logger: pino({ level: 'silent' }) });
  await channel.start(handler);
  try {
    const from = fake.calls.length;
    // Three users, so that the per-chat ordering does not chain them: only the turns separate the handlers.
    for (const [i, name] of ['a', 'b', 'c'].entries())
      fake.api.userSends({ id: 500 + i, is_bot: false, first_name: name }, name);
    for (const id of [500, 501, 502])
      await fake.waitForCall('sendMessage', (c) => String(c.params.chat_id) === String(id), from);
    assert.deepEqual(order, ['handle a', 'tick a', 'handle b', 'tick b', 'handle c', 'tick c']);
    // They did arrive in one getUpdates answer: one poll answered them all.
    const polls = fake.calls
      .slice(from)
      .filter((c) => c.method === 'getUpdates' && Array.isArray(c.result) && c.result.length > 0);
    assert.equal(polls.length, 1);
    assert.equal((polls[0]?.result as unknown[]).length, 3);
  } finally {
    await channel.stop();
    await fake.stop();
  }
});

test('grammY gets Node’s own AbortController, not the abort-controller polyfill', () => {
  const fromGrammy = createRequire(createRequire(import.meta.url).resolve('grammy'));
  const shim = fromGrammy('abort-controller') as { AbortController: unknown; AbortSignal: unknown; default: unknown };
  assert.equal(shim.AbortController, globalThis.AbortController);
  assert.equal(shim.AbortSignal, globalThis.AbortSignal);
  assert.equal(shim.default, globalThis.AbortController);
});
