// The Telegram adapter with the real grammY client against the fake Bot API server, a real SQLite store and the
// real conductor. Waiting is done on recorded calls, never on the clock. grammY handles polled updates one at a
// time, in order, so "the operator's next message was answered" proves that everything sent before it was handled.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { TelegramChannel } from '../../adapters/channels/telegram/index.ts';
import { splitText } from '../../adapters/channels/telegram/render.ts';
import { exportCommands } from '../../src/commands/export.ts';
import { Conductor } from '../../src/conductor/conductor.ts';
import type { Channel, InboundHandler } from '../../src/ports/channel.ts';
import { SqliteStore } from '../../adapters/stores/sqlite/index.ts';
import type { InlineKeyboard, Message, User } from '../fakes/telegram/bot-api.ts';
import { FakeTelegram, OPERATOR, STRANGER, type Call } from '../fakes/telegram/server.ts';
import { tempDir } from '../support/app.ts';
import { testCore } from '../support/services.ts';

const logger = pino({ level: 'silent' });

async function makeConductor(channels: () => Channel[]): Promise<{ store: SqliteStore; conductor: Conductor }> {
  const store = new SqliteStore(tempDir());
  await store.init();
  await store.identities.upsert({
    channel: 'telegram',
    externalId: String(OPERATOR.id),
    label: 'Olga',
    linkedAt: new Date(),
    via: 'config',
  });
  // With /export, whose files go out as documents.
  const conductor = testCore({
    store,
    logger,
    channels,
    registry: (r) => r.add(exportCommands({ memories: store.memories, copy: store.copy, now: () => new Date() })),
  }).conductor;
  return { store, conductor };
}

const sentTo = (user: User) => (c: Call) => String(c.params.chat_id) === String(user.id);
const resultOf = (c: Call): Message => c.result as Message;

describe('Telegram channel, long polling', () => {
  const fake = new FakeTelegram();
  let store: SqliteStore;
  let conductor: Conductor;
  let channel: TelegramChannel;

  /** A user sends text; resolves with the first sendMessage to their chat after it. */
  const say = async (user: User, text: string): Promise<Call> => {
    const from = fake.calls.length;
    fake.api.userSends(user, text);
    return fake.waitForCall('sendMessage', sentTo(user), from);
  };

  before(async () => {
    await fake.start();
    ({ store, conductor } = await makeConductor(() => [channel]));
    channel = new TelegramChannel({ token: fake.token, apiRoot: fake.apiRoot, logger });
    await channel.start(conductor);
  });
  after(async () => {
    await channel.stop();
    await fake.stop();
    await store.close();
  });

  test('start registers the command menu, then deletes any webhook to poll', async () => {
    const calls = fake.calls.map((c) => c.method);
    assert.deepEqual(calls.slice(0, 3), ['getMe', 'setMyCommands', 'deleteWebhook']);
    assert.deepEqual(
      fake.api.commands.map((c) => c.command),
      conductor.commands().map((c) => c.name),
    );
    assert.ok(fake.api.commands.some((c) => c.command === 'remember' && c.description.startsWith('keep a memory')));
    assert.match(channel.describe(), /@solo_test_bot \(long polling\)/);
  });

  test('/help from the operator is answered in their chat, at once and without "typing…"', async () => {
    const from = fake.calls.length;
    const reply = await say(OPERATOR, '/help');
    assert.match(String(reply.params.text), /\/remember/);
    assert.equal(reply.params.parse_mode, 'HTML');
    assert.deepEqual((reply.params.reply_markup as InlineKeyboard).inline_keyboard, [
      [{ text: 'Status', callback_data: '/status' }],
    ]);
    assert.equal(
      fake.calls.slice(from).filter((c) => c.method === 'sendChatAction').length,
      0,
      'a quick answer needs no chat action',
    );
    // The long poll asks Telegram only for the update kinds the adapter reads.
    const poll = fake.callsOf('getUpdates')[0];
    assert.deepEqual(poll?.params.allowed_updates, ['message', 'callback_query']);
    assert.equal(poll?.params.timeout, 30);
  });

  test('/remember, /recall, and the Undo button forgets the note and answers the tap', async () => {
    const remembered = await say(OPERATOR, '/remember Acme pays net 30');
    const noteId = /Remembered #(\d+)/.exec(String(remembered.params.text))?.[1] ?? '';
    assert.ok(noteId, 'the reply names the note');
    const undo = `forget:${noteId}`;
    assert.deepEqual((remembered.params.reply_markup as InlineKeyboard).inline_keyboard, [
      [{ text: 'Undo', callback_data: undo }],
    ]);

    const recalled = await say(OPERATOR, '/recall acme');
    assert.match(String(recalled.params.text), new RegExp(`#${noteId} Acme pays net 30`));

    const from = fake.calls.length;
    const tap = fake.api.userTaps(OPERATOR, { chatId: OPERATOR.id, messageId: resultOf(remembered).message_id }, undo);
    const forgot = await fake.waitForCall('sendMessage', sentTo(OPERATOR), from);
    assert.match(String(forgot.params.text), new RegExp(`^Forgot #${noteId}`));
    const answered = await fake.waitForCall('answerCallbackQuery', () => true, from);
    assert.equal(answered.params.callback_query_id, (tap.callback_query as { id: string }).id);
    assert.equal(answered.status, 200);
    assert.equal(answered.params.text, undefined, 'a tap that worked needs no toast');
    assert.ok((await store.memories.get(noteId))?.forgottenAt, 'the note is forgotten in the store');
  });

  test('/export sends the file as a document (sendDocument, multipart), then says what it sent', async () => {
    await store.ledger.recordInvoice({
      client: 'Acme Corp',
      amountMinor: 50_000,
      currency: 'EUR',
      runId: 'r-tg',
      idempotencyKey: 'r-tg:record',
    });
    const from = fake.calls.length;
    const said = await say(OPERATOR, '/export invoices');
    const sent = fake.calls.findIndex((c, i) => i >= from && c.method === 'sendDocument');
    assert.ok(sent !== -1 && sent < fake.calls.indexOf(said), 'the document goes out before the message saying so');
    const doc = fake.api.documents.at(-1);
    assert.equal(doc?.chatId, OPERATOR.id);
    assert.match(doc?.filename ?? '', /^invoices-\d{4}-\d\d-\d\d\.csv$/);
    assert.match(
      doc?.data.toString('utf8') ?? '',
      /^number,date,client,description,amount,currency,status,run\r\nINV-0001,[\d-]+,Acme Corp,,500.00,EUR,recorded,r-tg\r\n$/,
    );
    assert.match(resultOf(said).text, /^Sent invoices-.*\.csv \(1 invoice, \d+ bytes\)\.$/);
  });

  test('a tap on a button that does nothing is answered with a short text', async () => {
    const from = fake.calls.length;
    fake.api.inject({
      callback_query: {
        id: 'stale-1',
        from: OPERATOR,
        chat_instance: 'x',
        data: 'nonsense:1',
        message: { message_id: 1, date: 0, chat: { id: OPERATOR.id, type: 'private' } },
      },
    });
    const answered = await fake.waitForCall(
      'answerCallbackQuery',
      (c) => c.params.callback_query_id === 'stale-1',
      from,
    );
    assert.equal(answered.params.text, 'That button no longer does anything.');
  });

  test('a stranger gets exactly one polite refusal, then nothing', async () => {
    const refusal = await say(STRANGER, '/remember I own this bot');
    assert.match(String(refusal.params.text), /private assistant/);
    fake.api.userSends(STRANGER, '/status');
    await say(OPERATOR, '/help');
    assert.equal(fake.callsOf('sendMessage', STRANGER.id).length, 1);
    // Nothing a stranger sends is stored: not as a message, not as a memory.
    const everything = await store.events.readRange({ limit: 10_000 });
    assert.ok(!JSON.stringify(everything).includes('I own this bot'));
    assert.equal((await store.memories.candidates(['own', 'bot'], 5)).length, 0);
  });

  test('text is escaped for HTML and arrives exactly as written', async () => {
    const reply = await say(OPERATOR, '/remember <b>&</b> &amp; 1<2');
    assert.match(String(reply.params.text), /&lt;b&gt;&amp;&lt;\/b&gt; &amp;amp; 1&lt;2/);
    assert.equal(reply.status, 200);
    assert.match(resultOf(reply).text, /: <b>&<\/b> &amp; 1<2$/);
    assert.equal(resultOf(reply).entities, undefined, 'nothing was rendered as formatting');
  });

  test('a reply longer than 4096 characters is split, buttons on the last part', async () => {
    const line = `${'x'.repeat(99)}\n`;
    const text = line.repeat(50).trimEnd(); // 4999 characters
    const from = fake.calls.length;
    const ref = await channel.deliver(String(OPERATOR.id), {
      id: 'long',
      text,
      buttons: [{ label: 'More', data: 'more:1' }],
    });
    const parts = fake.calls.slice(from).filter((c) => c.method === 'sendMessage');
    assert.equal(parts.length, 2);
    assert.ok(parts.every((p) => p.status === 200 && String(p.params.text).length <= 4096));
    assert.equal(parts.map((p) => String(p.params.text)).join('\n'), text);
    const [first, last] = parts;
    assert.ok(first && last);
    assert.equal(first.params.reply_markup, undefined);
    assert.deepEqual((last.params.reply_markup as InlineKeyboard).inline_keyboard, [
      [{ text: 'More', callback_data: 'more:1' }],
    ]);
    assert.deepEqual(ref, {
      channel: 'telegram',
      chatId: String(OPERATOR.id),
      messageId: String(resultOf(last).message_id),
    });
  });

  test('edit() replaces text and removes buttons; an identical edit is not an error', async () => {
    const ref = await channel.deliver(String(OPERATOR.id), {
      id: 'card',
      text: 'Pay Acme 120 EUR?',
      buttons: [{ label: 'Approve', data: 'approve:1' }],
    });
    await channel.edit(ref, { id: 'card', text: 'Paid Acme 120 EUR', buttons: [] });
    const edit = fake.callsOf('editMessageText').at(-1);
    assert.equal(edit?.status, 200);
    assert.equal(String(edit?.params.message_id), ref.messageId);
    const shown = fake.api.messages.get(`${OPERATOR.id}:${ref.messageId}`);
    assert.equal(shown?.text, 'Paid Acme 120 EUR');
    assert.equal(shown?.reply_markup, undefined);
    await channel.edit(ref, { id: 'card', text: 'Paid Acme 120 EUR', buttons: [] });
    assert.match(fake.callsOf('editMessageText').at(-1)?.description ?? '', /message is not modified/);
  });

  test('a 429 with retry_after is waited out and the message still arrives', async () => {
    const from = fake.calls.length;
    fake.tooManyRequests('sendMessage', 1);
    fake.api.userSends(OPERATOR, '/help');
    const delivered = await fake.waitForCall('sendMessage', (c) => sentTo(OPERATOR)(c) && c.status === 200, from);
    assert.match(String(delivered.params.text), /\/remember/);
    assert.deepEqual(
      fake.calls
        .slice(from)
        .filter((c) => c.method === 'sendMessage')
        .map((c) => c.status),
      [429, 200],
    );
  });

  test('malformed and oversized updates are dropped without stopping the bot', async () => {
    const received = async () => (await store.events.readRange({ types: ['message.received'] })).length;
    const before = await received();
    const from = fake.calls.length;
    fake.api.inject({
      message: { message_id: 99, date: 0, chat: { id: OPERATOR.id, type: 'private' }, text: '/remember no sender' },
    });
    fake.api.inject({ callback_query: { id: 'no-data', from: OPERATOR, chat_instance: 'x' } });
    fake.api.inject({
      message: { message_id: 100, date: 0, from: OPERATOR, chat: { id: OPERATOR.id, type: 'private' } },
    });
    const notice = await say(OPERATOR, 'y'.repeat(8001));
    assert.match(String(notice.params.text), /8001 characters long; I read at most 8000/);
    const help = await say(OPERATOR, '/help');
    assert.match(String(help.params.text), /\/remember/, 'the bot keeps answering');
    const answered = fake.calls.slice(from).find((c) => c.method === 'answerCallbackQuery');
    assert.equal(answered?.params.callback_query_id, 'no-data', 'even a tap without data is answered');
    assert.equal(await received(), before + 1, 'only /help reached the core');
    assert.equal(fake.calls.slice(from).filter((c) => c.method === 'sendMessage').length, 2);
  });

  test('a wrong token fails start() with a clear error', async () => {
    const from = fake.calls.length;
    const wrong = new TelegramChannel({ token: '999:wrong', apiRoot: fake.apiRoot, logger });
    await assert.rejects(wrong.start(conductor), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'telegram_unauthorized');
      assert.match(err.message, /TELEGRAM_BOT_TOKEN/);
      return true;
    });
    assert.deepEqual(
      fake.calls.slice(from).map((c) => `${c.method}→${c.status}`),
      ['getMe→401'],
    );
  });
});

describe('Telegram text splitting', () => {
  test('prefers line breaks, and never cuts a surrogate pair in half', () => {
    assert.deepEqual(splitText('aaaa\nbbbb cc', 8), ['aaaa', 'bbbb cc']);
    const emoji = '😀'.repeat(5); // 10 UTF-16 units, no break characters
    const parts = splitText(emoji, 5);
    assert.deepEqual(parts, ['😀😀', '😀😀', '😀']);
    assert.equal(parts.join(''), emoji);
  });
});

describe('Telegram channel, webhook', () => {
  const fake = new FakeTelegram();
  const secretToken = 'hook_Secret-42';
  const path = '/telegram/hook';
  let store: SqliteStore;
  let channel: TelegramChannel;
  const server = createServer();
  let base = '';

  const post = async (body: unknown, secret: string | undefined, at = path): Promise<number> => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (secret !== undefined) headers['x-telegram-bot-api-secret-token'] = secret;
    const res = await fetch(base + at, {
      method: 'POST',
      headers,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    await res.arrayBuffer();
    return res.status;
  };

  before(async () => {
    await fake.start();
    let conductor: Conductor;
    ({ store, conductor } = await makeConductor(() => [channel]));
    channel = new TelegramChannel({
      token: fake.token,
      apiRoot: fake.apiRoot,
      logger,
      webhook: { path, secretToken, url: 'https://solo.example/telegram/hook' },
    });
    await channel.start(conductor);
    server.on('request', channel.webhookCallback());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.close();
    server.closeAllConnections();
    await channel.stop();
    await fake.stop();
    await store.close();
  });

  test('start registers the webhook with its secret instead of polling', () => {
    assert.deepEqual(fake.api.webhook, { url: 'https://solo.example/telegram/hook', secretToken });
    assert.equal(fake.callsOf('getUpdates').length, 0);
    assert.equal(fake.callsOf('setMyCommands')[0]?.status, 200);
  });

  test('a wrong or missing secret gets 401 and is not handled', async () => {
    const update = fake.api.userSends(OPERATOR, '/help');
    assert.equal(await post(update, 'wrong'), 401);
    assert.equal(await post(update, undefined), 401);
    assert.equal(fake.callsOf('sendMessage').length, 0);
  });

  test('the right secret gets the update handled before the 200', async () => {
    const update = fake.api.userSends(OPERATOR, '/help');
    assert.equal(await post(update, secretToken), 200);
    const replies = fake.callsOf('sendMessage', OPERATOR.id);
    assert.equal(replies.length, 1);
    assert.match(String(replies[0]?.params.text), /\/remember/);
  });

  test('bodies that are not updates, other paths and methods are refused', async () => {
    assert.equal(await post('{not json', secretToken), 400);
    assert.equal(await post({ message: {} }, secretToken), 400);
    assert.equal(await post({ update_id: 1 }, secretToken, '/elsewhere'), 404);
    assert.equal((await fetch(base + path)).status, 405);
    assert.equal(
      await post({ update_id: 7, message: { text: 'no chat' } }, secretToken),
      200,
      'a malformed update is dropped, not retried',
    );
  });
});

describe('Telegram channel, "typing…" for slow answers only', () => {
  const fake = new FakeTelegram();
  let channel: TelegramChannel;
  // The adapter is what is tested here; this handler only takes its time over "slow" before answering.
  const handler: InboundHandler = {
    commands: () => [],
    async handle(event, ch) {
      if (event.kind === 'message' && event.text === 'slow') await new Promise((resolve) => setTimeout(resolve, 700));
      const sent = { id: event.id, text: 'done', buttons: [] };
      await ch.deliver(event.chatId, sent);
      return { outcome: 'handled', replies: [sent] };
    },
  };

  before(async () => {
    await fake.start();
    channel = new TelegramChannel({ token: fake.token, apiRoot: fake.apiRoot, logger, typingAfterMs: 250 });
    await channel.start(handler);
  });
  after(async () => {
    await channel.stop();
    await fake.stop();
  });

  test('a quick answer comes without a chat action; a slow one shows "typing…" before it', async () => {
    let from = fake.calls.length;
    fake.api.userSends(OPERATOR, 'quick');
    await fake.waitForCall('sendMessage', sentTo(OPERATOR), from);
    assert.deepEqual(
      fake.calls
        .slice(from)
        .map((c) => c.method)
        .filter((m) => m !== 'getUpdates'),
      ['sendMessage'],
    );

    from = fake.calls.length;
    fake.api.userSends(OPERATOR, 'slow');
    const typing = await fake.waitForCall('sendChatAction', sentTo(OPERATOR), from);
    assert.equal(typing.params.action, 'typing');
    const answer = await fake.waitForCall('sendMessage', sentTo(OPERATOR), from);
    assert.ok(fake.calls.indexOf(typing) < fake.calls.indexOf(answer), '"typing…" came before the answer');
  });
});
