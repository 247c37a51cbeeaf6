// Issue acceptance across platforms: the whole app (startSolo) with Telegram and Discord configured against
// their local fakes. /help and the /invoice approval round trip on Telegram; the same card shown on Discord;
// a decision on Telegram updates the card on Telegram and on Discord; strangers are refused on both.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { SoloApp } from '../../src/main.ts';
import type { ApiMessage, ApiUser } from '../fakes/discord/model.ts';
import { FakeDiscord } from '../fakes/discord/server.ts';
import type { Message } from '../fakes/telegram/bot-api.ts';
import { FakeTelegram, OPERATOR, STRANGER } from '../fakes/telegram/server.ts';
import { startTestApp } from '../support/app.ts';

describe('one operator across Telegram and Discord', () => {
  const telegram = new FakeTelegram();
  let discord: FakeDiscord;
  let op: ApiUser;
  let app: SoloApp;

  before(async () => {
    await telegram.start();
    discord = await FakeDiscord.start({ token: 'fake-discord-bot-token-0123456789', heartbeatIntervalMs: 200 });
    op = discord.addUser('operator');
    app = await startTestApp({
      TELEGRAM_BOT_TOKEN: telegram.token,
      TELEGRAM_API_ROOT: telegram.apiRoot,
      TELEGRAM_OPERATOR_IDS: String(OPERATOR.id),
      DISCORD_TOKEN: discord.token,
      DISCORD_API_URL: discord.apiUrl,
      DISCORD_OPERATOR_IDS: op.id,
    });
  });
  after(async () => {
    await app.stop();
    await discord.stop();
    await telegram.stop();
  });

  const telegramReply = async (text: string): Promise<Message> => {
    const from = telegram.calls.length;
    telegram.api.userSends(OPERATOR, text);
    return (await telegram.waitForCall('sendMessage', (c) => c.params.chat_id === String(OPERATOR.id) || c.params.chat_id === OPERATOR.id, from)).result as Message;
  };
  const discordReply = async (who: ApiUser, text: string): Promise<ApiMessage> => {
    const since = discord.calls.length;
    discord.userSays(who, text);
    const dm = discord.dmWith(who);
    await discord.waitForCall((c) => c.method === 'POST' && c.path === `/channels/${dm.id}/messages` && c.status === 200, since);
    return discord.messagesIn(dm.id).at(-1) as ApiMessage;
  };

  test('/status lists every channel and /help answers on each platform', async () => {
    const status = await telegramReply('/status');
    assert.match(status.text ?? '', /Channels: web chat at .*; Telegram @\w+ \(long polling\); Discord as @solo-bot/);
    assert.match((await discordReply(op, '/help')).content, /\/invoice/);
  });

  test('a decision on Telegram answers the tap and updates the card on Telegram and on Discord', async () => {
    const card = await telegramReply('/invoice Acme Corp 500 audit');
    assert.match(card.text ?? '', /^Approval needed: Invoice to Acme Corp for 500\.00 EUR/);
    const approve = card.reply_markup?.inline_keyboard.flat().find((b) => b.text === 'Approve');
    assert.ok(approve?.callback_data);

    const copy = await discordReply(op, '/approvals');
    assert.match(copy.content, /Approval needed: Invoice to Acme Corp/);
    const button = (copy.components?.[0] as { components: { custom_id: string; label: string }[] } | undefined)?.components.find((b) => b.label === 'Approve');
    assert.ok(button, 'the Discord copy has its own Approve button');

    const from = telegram.calls.length;
    const since = discord.calls.length;
    telegram.api.userTaps(OPERATOR, { chatId: card.chat.id, messageId: card.message_id }, approve.callback_data);
    await telegram.waitForCall('answerCallbackQuery', () => true, from);
    const edited = await telegram.waitForCall('editMessageText', (c) => Number(c.params.message_id) === card.message_id, from);
    assert.match(String(edited.params.text), /Invoice to Acme Corp for 500\.00 EUR: approved by telegram:4242 via telegram/);
    assert.equal(edited.params.reply_markup, undefined, 'the buttons are gone');
    const patched = await discord.waitForCall((c) => c.method === 'PATCH' && c.path === `/channels/${copy.channel_id}/messages/${copy.id}`, since);
    assert.match(JSON.stringify(patched.body), /approved by telegram:4242/);
    const recorded = await telegram.waitForCall('sendMessage', (c) => /^Recorded INV-0001/.test(String(c.params.text)), from);
    assert.ok(recorded);

    // The stale copy on Discord, tapped late, is harmless.
    assert.deepEqual(copy.components, [], 'the Discord copy lost its buttons');
    const lateSince = discord.calls.length;
    discord.userClicks(op, copy, button.custom_id);
    await discord.waitForCall((c) => c.method === 'POST' && c.path === `/channels/${copy.channel_id}/messages` && /Already decided/.test(JSON.stringify(c.body)), lateSince);
    assert.match((await telegramReply('/invoices')).text ?? '', /^INV-0001 · Acme Corp · 500\.00 EUR · recorded/);
  });

  test('strangers are refused once on each platform, and nothing of theirs runs', async () => {
    const from = telegram.calls.length;
    telegram.api.userSends(STRANGER, '/invoices');
    const refusal = await telegram.waitForCall('sendMessage', (c) => String(c.params.chat_id) === String(STRANGER.id), from);
    assert.match(String(refusal.params.text), /private assistant/);
    const mallory = discord.addUser('mallory');
    assert.match((await discordReply(mallory, '/invoices')).content, /private assistant/);
    const refusals = await app.store.events.readRange({ types: ['sender.refused'] });
    assert.deepEqual(refusals.map((e) => (e.type === 'sender.refused' ? e.data.channel : '')).sort(), ['discord', 'telegram']);
  });
});
