// Issue acceptance across platforms: the whole app (startSolo) with Telegram, Slack and Discord configured
// against their local fakes. /help and the /invoice approval round trip on Telegram; the same card shown on Discord;
// a decision on Telegram updates the card on Telegram, Slack and Discord; strangers are refused on both.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { SoloApp } from '../../src/main.ts';
import type { ApiMessage, ApiUser } from '../fakes/discord/model.ts';
import { FakeDiscord } from '../fakes/discord/server.ts';
import { ApiError, type Message } from '../fakes/telegram/bot-api.ts';
import { FakeTelegram, OPERATOR, STRANGER } from '../fakes/telegram/server.ts';
import { FakeSlack, type ApiCall } from '../fakes/slack/server.ts';
import { startTestApp } from '../support/app.ts';

describe('one operator across Telegram, Slack and Discord', () => {
  const telegram = new FakeTelegram();
  const SLACK_OPERATOR = 'U0OPERATOR';
  let slack: FakeSlack;
  let discord: FakeDiscord;
  let op: ApiUser;
  let app: SoloApp;

  before(async () => {
    await telegram.start();
    slack = await FakeSlack.start();
    discord = await FakeDiscord.start({ token: 'fake-discord-bot-token-0123456789', heartbeatIntervalMs: 200 });
    op = discord.addUser('operator');
    app = await startTestApp({
      TELEGRAM_BOT_TOKEN: telegram.token,
      TELEGRAM_API_ROOT: telegram.apiRoot,
      TELEGRAM_OPERATOR_IDS: String(OPERATOR.id),
      DISCORD_TOKEN: discord.token,
      DISCORD_API_URL: discord.apiUrl,
      DISCORD_OPERATOR_IDS: op.id,
      SLACK_BOT_TOKEN: slack.workspace.botToken,
      SLACK_APP_TOKEN: slack.workspace.appToken,
      SLACK_API_URL: slack.apiUrl,
      SLACK_OPERATOR_IDS: SLACK_OPERATOR,
    });
  });
  after(async () => {
    await app.stop();
    await discord.stop();
    await slack.stop();
    await telegram.stop();
  });

  const telegramReply = async (text: string): Promise<Message> => {
    const from = telegram.calls.length;
    telegram.api.userSends(OPERATOR, text);
    return (
      await telegram.waitForCall(
        'sendMessage',
        (c) => c.params.chat_id === String(OPERATOR.id) || c.params.chat_id === OPERATOR.id,
        from,
      )
    ).result as Message;
  };
  const discordReply = async (who: ApiUser, text: string): Promise<ApiMessage> => {
    const since = discord.calls.length;
    discord.userSays(who, text);
    const dm = discord.dmWith(who);
    await discord.waitForCall(
      (c) => c.method === 'POST' && c.path === `/channels/${dm.id}/messages` && c.status === 200,
      since,
    );
    return discord.messagesIn(dm.id).at(-1) as ApiMessage;
  };

  /** A Slack DM from `user`; resolves with the bot's next chat.postMessage. */
  const slackReply = async (user: string, text: string): Promise<ApiCall> => {
    const from = slack.calls.length;
    await slack.socket.send('events_api', slack.workspace.directMessage(user, text).payload).acked;
    return waitFor(() => slack.calls.slice(from).find((c) => c.method === 'chat.postMessage'));
  };

  test('/status lists every channel and /help answers on each platform', async () => {
    const status = await telegramReply('/status');
    assert.match(
      status.text ?? '',
      /Channels: web chat at .*; Telegram @\w+ \(long polling\); Slack @\w+ in .* \(Socket Mode\); Discord as @solo-bot/,
    );
    assert.match((await discordReply(op, '/help')).content, /\/invoice/);
    assert.match(String((await slackReply(SLACK_OPERATOR, '/help')).args['text']), /\/invoice/);
  });

  test('a decision on Telegram answers the tap and updates the card on Telegram, Slack and Discord', async () => {
    const card = await telegramReply('/invoice Acme Corp 500 audit');
    assert.match(card.text ?? '', /^Approval needed: Invoice to Acme Corp for 500\.00 EUR/);
    const approve = card.reply_markup?.inline_keyboard.flat().find((b) => b.text === 'Approve');
    assert.ok(approve?.callback_data);

    const copy = await discordReply(op, '/approvals');
    assert.match(copy.content, /Approval needed: Invoice to Acme Corp/);
    const button = (
      copy.components?.[0] as { components: { custom_id: string; label: string }[] } | undefined
    )?.components.find((b) => b.label === 'Approve');
    assert.ok(button, 'the Discord copy has its own Approve button');

    const slackCopy = await slackReply(SLACK_OPERATOR, '/approvals');
    assert.match(String(slackCopy.args['text']), /Approval needed: Invoice to Acme Corp/);
    const slackTs = (slackCopy.result as { ts?: string }).ts;

    const from = telegram.calls.length;
    const since = discord.calls.length;
    const slackFrom = slack.calls.length;
    telegram.api.userTaps(OPERATOR, { chatId: card.chat.id, messageId: card.message_id }, approve.callback_data);
    await telegram.waitForCall('answerCallbackQuery', () => true, from);
    const edited = await telegram.waitForCall(
      'editMessageText',
      (c) => Number(c.params.message_id) === card.message_id,
      from,
    );
    assert.match(
      String(edited.params.text),
      /Invoice to Acme Corp for 500\.00 EUR: approved by telegram:4242 via telegram/,
    );
    assert.equal(edited.params.reply_markup, undefined, 'the buttons are gone');
    const patched = await discord.waitForCall(
      (c) => c.method === 'PATCH' && c.path === `/channels/${copy.channel_id}/messages/${copy.id}`,
      since,
    );
    assert.match(JSON.stringify(patched.body), /approved by telegram:4242/);
    const updated = await waitFor(() =>
      slack.calls.slice(slackFrom).find((c) => c.method === 'chat.update' && c.args['ts'] === slackTs),
    );
    assert.match(String(updated.args['text']), /approved by telegram:4242/);
    const recorded = await telegram.waitForCall(
      'sendMessage',
      (c) => /^Recorded INV-0001/.test(String(c.params.text)),
      from,
    );
    assert.ok(recorded);

    // The stale copy on Discord, tapped late, is harmless.
    assert.deepEqual(copy.components, [], 'the Discord copy lost its buttons');
    const lateSince = discord.calls.length;
    discord.userClicks(op, copy, button.custom_id);
    await discord.waitForCall(
      (c) =>
        c.method === 'POST' &&
        c.path === `/channels/${copy.channel_id}/messages` &&
        /Already decided/.test(JSON.stringify(c.body)),
      lateSince,
    );
    assert.match((await telegramReply('/invoices')).text ?? '', /^INV-0001 · Acme Corp · 500\.00 EUR · recorded/);
  });

  test('strangers are refused once on each platform, and nothing of theirs runs', async () => {
    const from = telegram.calls.length;
    telegram.api.userSends(STRANGER, '/invoices');
    const refusal = await telegram.waitForCall(
      'sendMessage',
      (c) => String(c.params.chat_id) === String(STRANGER.id),
      from,
    );
    assert.match(String(refusal.params.text), /private assistant/);
    const mallory = discord.addUser('mallory');
    assert.match((await discordReply(mallory, '/invoices')).content, /private assistant/);
    const refusals = await app.store.events.readRange({ types: ['sender.refused'] });
    assert.deepEqual(refusals.map((e) => (e.type === 'sender.refused' ? e.data.channel : '')).sort(), [
      'discord',
      'telegram',
    ]);
  });

  test('/link adds an account from a trusted one; the code works once', async () => {
    const code = /\/link (\w{8})/.exec((await telegramReply('/link')).text ?? '')?.[1];
    assert.ok(code);
    const second = discord.addUser('operator-phone');
    assert.match((await discordReply(second, `/link ${code}`)).content, /^Linked: this account now speaks for you/);
    assert.match((await discordReply(second, '/help')).content, /\/invoice/);
    const eve = discord.addUser('eve');
    assert.match((await discordReply(eve, `/link ${code}`)).content, /private assistant/, 'a used code is refused');
    const linked = await app.store.identities.get('discord', second.id);
    assert.equal(linked?.via, `link:telegram:${OPERATOR.id}`);
  });

  test('cards also go to the preferred chat; proactive messages fall back when it fails', async () => {
    assert.match((await discordReply(op, '/prefer')).content, /will come here first \(discord\)/);
    const dm = discord.dmWith(op);
    const before = discord.messagesIn(dm.id).length;
    const card = await telegramReply('/invoice Initech 42');
    assert.match(card.text ?? '', /Approval needed: Invoice to Initech/);
    await discord.waitForCall(
      (c) =>
        c.method === 'POST' &&
        c.path === `/channels/${dm.id}/messages` &&
        /Invoice to Initech/.test(JSON.stringify(c.body)),
    );
    assert.ok(discord.messagesIn(dm.id).length > before, 'a copy of the card reached the preferred Discord chat');

    const digest = await app.notify({ text: 'Morning digest: 2 approvals waiting' });
    assert.equal(digest.ref?.channel, 'discord', 'the preferred chat first');
    assert.match((await telegramReply('/prefer')).text ?? '', /will come here first \(telegram\)/);
    telegram.failNext('sendMessage', new ApiError(403, 'Forbidden: bot was blocked by the user'));
    const fallback = await app.notify({ text: 'Evening digest' });
    assert.ok(
      fallback.ref && fallback.ref.channel !== 'telegram',
      'Telegram refused, so the next chat the operator used took it',
    );
    assert.ok(['slack', 'discord'].includes(fallback.ref.channel));
  });
});

/** Polls until `probe` returns something (fakes without a wait API); fails after 5 s. */
async function waitFor<T>(probe: () => T | undefined): Promise<T> {
  for (let i = 0; i < 500; i++) {
    const found = probe();
    if (found !== undefined) return found;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('waited 5 s in vain');
}
