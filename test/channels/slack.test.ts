// The Slack channel over Socket Mode with the real Bolt against a fake Slack on 127.0.0.1, a real SqliteStore and
// the real Conductor (test/support/slack-core.ts), and the adapter's start-up failures. HTTP mode: slack-http.test.ts.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SlackApiError, SlackChannel } from '../../adapters/channels/slack/index.ts';
import { SoloError } from '../../src/domain/errors.ts';
import type { InboundHandler } from '../../src/ports/channel.ts';
import { FakeSlack } from '../fakes/slack/server.ts';
import { lastMessage, logger, OPERATOR, STRANGER, useSlack, type Core, type Handled } from '../support/slack-core.ts';

describe('Slack channel over Socket Mode', () => {
  let fake: FakeSlack;
  let channel: SlackChannel;
  let core: Core;
  let operatorDm: string;
  useSlack(
    (f, c) =>
      new SlackChannel({
        botToken: f.workspace.botToken,
        appToken: f.workspace.appToken,
        apiUrl: f.apiUrl,
        logger: c.logger,
      }),
    (rig) => ({ fake, channel, core, operatorDm } = rig),
  );

  const dm = async (user: string, text: string): Promise<Handled> => {
    const { payload, eventId } = fake.workspace.directMessage(user, text);
    await fake.socket.send('events_api', payload).acked;
    return core.recorder.done(eventId);
  };
  const slash = async (text: string) => {
    const payload = fake.workspace.slashCommand(OPERATOR, '/solo', text);
    const ack = await fake.socket.send('slash_commands', payload).acked;
    return { ack, ...(await core.recorder.done(`command:${payload.trigger_id}`)) };
  };

  test('start() connected over Socket Mode with the app token and verified the bot token', () => {
    assert.equal(fake.socket.connections, 1);
    assert.equal(fake.callsTo('auth.test')[0]?.token, fake.workspace.botToken);
    assert.equal(fake.callsTo('apps.connections.open')[0]?.token, fake.workspace.appToken);
    assert.equal(channel.describe(), 'Slack @solo in Solo Fake (Socket Mode)');
  });

  test('the operator’s DM "/help" is answered with the command list, its button as Block Kit', async () => {
    const { event, result } = await dm(OPERATOR, '/help');
    assert.deepEqual(
      { chatId: event.chatId, senderId: event.senderId, kind: event.kind },
      { chatId: operatorDm, senderId: OPERATOR, kind: 'message' },
    );
    assert.equal(result.outcome, 'handled');
    const reply = lastMessage(fake.history(operatorDm));
    assert.equal(reply.bot_id, fake.workspace.bot.botId);
    assert.match(reply.text, /^Commands:\n\/help — list the commands\n[\s\S]*\/remember/);
    const [section, actions] = reply.blocks;
    assert.equal(section?.type, 'section');
    assert.equal(section?.text?.type, 'mrkdwn');
    assert.match(section?.text?.text ?? '', /^Commands:/);
    assert.equal(actions?.type, 'actions');
    assert.deepEqual(
      actions?.elements?.map((b) => ({ type: b.type, label: b.text?.text, value: b.value })),
      [{ type: 'button', label: 'Status', value: '/status' }],
    );
  });

  test('a click on that button is acked and handled as the button’s data', async () => {
    const card = lastMessage(fake.history(operatorDm));
    const payload = fake.workspace.click(OPERATOR, operatorDm, card.ts, '/status');
    const ack = await fake.socket.send('interactive', payload).acked;
    assert.ok(ack.envelope_id);
    const { event, result } = await core.recorder.done(`action:${String(payload.trigger_id)}`);
    assert.deepEqual(event, {
      kind: 'button',
      id: `action:${String(payload.trigger_id)}`,
      channel: 'slack',
      chatId: operatorDm,
      senderId: OPERATOR,
      data: '/status',
    });
    assert.equal(result.outcome, 'handled');
    assert.match(
      lastMessage(fake.history(operatorDm)).text,
      /^Solo OS test[\s\S]*Channels: Slack @solo in Solo Fake \(Socket Mode\)/,
    );
  });

  test('/solo remember then /solo recall round-trips, each command acked before it is handled', async () => {
    const remembered = await slash('remember Umbrella pays by card');
    assert.equal(remembered.event.kind === 'message' ? remembered.event.text : '', '/remember Umbrella pays by card');
    assert.deepEqual(remembered.ack.payload, {}, 'an empty ack: Slack shows nothing, the answer comes as a message');
    assert.match(lastMessage(fake.history(operatorDm)).text, /^Remembered #\d+: Umbrella pays by card/);
    const recalled = await slash('recall umbrella');
    assert.equal(recalled.result.outcome, 'handled');
    assert.match(lastMessage(fake.history(operatorDm)).text, /Umbrella pays by card/);
    const bare = await slash('');
    assert.equal(bare.event.kind === 'message' ? bare.event.text : '', '/help');
  });

  test('<, > and & arrive as plain characters and leave escaped', async () => {
    const { event } = await dm(OPERATOR, '/remember 1 < 2 & 3 > 0');
    assert.equal(
      event.kind === 'message' ? event.text : '',
      '/remember 1 < 2 & 3 > 0',
      'Slack sent &lt; &amp; &gt;; the core sees the characters',
    );
    const sent = fake.callsTo('chat.postMessage').at(-1);
    assert.match(String(sent?.args.text), /^Remembered #\d+: 1 &lt; 2 &amp; 3 &gt; 0$/);
  });

  test('a stranger is refused exactly once', async () => {
    const strangerDm = fake.workspace.openIm(STRANGER);
    const first = await dm(STRANGER, '/remember I own you now');
    const second = await dm(STRANGER, '/status');
    assert.equal(first.result.outcome, 'refused');
    assert.equal(second.result.outcome, 'refused');
    const posts = fake.callsTo('chat.postMessage').filter((c) => c.args.channel === strangerDm);
    assert.equal(posts.length, 1);
    assert.match(String(posts[0]?.args.text), /private assistant/);
  });

  test('edit() replaces the card through chat.update and removes its buttons', async () => {
    const ref = await channel.deliver(operatorDm, {
      id: 'card-1',
      text: 'Send invoice #7?',
      buttons: [
        { label: 'Send', data: 'approve:7' },
        { label: 'Skip', data: 'reject:7' },
      ],
    });
    assert.deepEqual(ref, {
      channel: 'slack',
      chatId: operatorDm,
      messageId: lastMessage(fake.history(operatorDm)).ts,
    });
    const card = fake.workspace.find(operatorDm, ref.messageId);
    assert.deepEqual(
      card?.blocks.flatMap((b) => b.elements?.map((e) => e.value) ?? []),
      ['approve:7', 'reject:7'],
    );
    assert.equal(
      new Set(card?.blocks.flatMap((b) => b.elements?.map((e) => e.action_id) ?? [])).size,
      2,
      'action_ids are unique',
    );
    await channel.edit(ref, { id: 'card-1', text: 'Invoice #7 sent.', buttons: [] });
    const update = fake.callsTo('chat.update').at(-1);
    assert.equal(update?.result.ok, true);
    const edited = fake.workspace.find(operatorDm, ref.messageId);
    assert.equal(edited?.text, 'Invoice #7 sent.');
    assert.deepEqual(edited?.blocks, []);
    assert.ok(edited?.edited);
  });

  test('a 429 on chat.postMessage is waited out and retried', async () => {
    fake.rateLimitOnce('chat.postMessage', 0);
    const before = fake.callsTo('chat.postMessage').length;
    const ref = await channel.deliver(operatorDm, { id: 'r-1', text: 'after the rate limit', buttons: [] });
    const calls = fake.callsTo('chat.postMessage').slice(before);
    assert.deepEqual(
      calls.map((c) => c.status),
      [429, 200],
    );
    assert.equal(fake.workspace.find(operatorDm, ref.messageId)?.text, 'after the rate limit');
  });

  test('a long text is split under Slack’s limits; the buttons stay on the last message', async () => {
    const line = 'x'.repeat(99);
    const text = Array.from({ length: 500 }, () => line).join('\n'); // 49 999 characters
    const before = fake.history(operatorDm).length;
    await channel.deliver(operatorDm, { id: 'long-1', text, buttons: [{ label: 'OK', data: 'ok' }] });
    const posted = fake.history(operatorDm).slice(before);
    assert.equal(posted.length, 2);
    assert.deepEqual(posted[0]?.blocks, []);
    assert.ok(posted.every((m) => m.text.length <= 40_000));
    assert.ok(posted[1]?.blocks.filter((b) => b.type === 'section').every((b) => (b.text?.text.length ?? 0) <= 3000));
    assert.equal(posted.map((m) => m.text).join('\n'), text);
    assert.equal(posted[1]?.blocks.at(-1)?.elements?.[0]?.value, 'ok');
  });

  test('malformed envelopes are acked and dropped, and the adapter keeps answering', async () => {
    const handledBefore = core.recorder.handled.length;
    const ws = fake.workspace;
    const frames: Record<string, unknown>[] = [
      { type: 'events_api', payload: {} },
      { type: 'events_api' },
      {
        type: 'events_api',
        payload: ws.eventCallback({ type: 'message', channel: operatorDm, channel_type: 'im', ts: ws.nextTs() }),
      },
      {
        type: 'events_api',
        payload: ws.eventCallback({
          type: 'message',
          subtype: 'message_changed',
          channel: operatorDm,
          channel_type: 'im',
          ts: ws.nextTs(),
          message: { user: OPERATOR, text: '/status' },
        }),
      },
      { type: 'slash_commands', payload: { text: 'help' } },
      { type: 'slash_commands', payload: { command: '/solo', text: 'status', team_id: ws.team.id } },
      { type: 'interactive', payload: { type: 'block_actions', actions: [] } },
      {
        type: 'interactive',
        payload: {
          type: 'block_actions',
          team: { id: ws.team.id },
          actions: [{ type: 'button', action_id: 'x', value: '/status' }],
        },
      },
      { type: 'no_such_type', payload: { hello: 'there' } },
    ];
    await Promise.all(frames.map((frame) => fake.socket.sendFrame(frame).acked));
    const { result } = await dm(OPERATOR, '/help');
    assert.equal(result.outcome, 'handled');
    assert.match(lastMessage(fake.history(operatorDm)).text, /^Commands:/);
    assert.equal(core.recorder.handled.length, handledBefore + 1, 'none of the malformed envelopes reached the core');
    assert.ok(core.logs.some((l) => l.includes('acked and dropped a Slack envelope')));
  });

  test('every envelope Slack delivered was acked exactly once', () => {
    assert.ok(fake.socket.delivered.length >= 15);
    assert.deepEqual(fake.socket.unacked(), []);
    assert.deepEqual(fake.socket.protocolErrors, []);
  });
});

describe('Slack channel start-up failures', () => {
  let fake: FakeSlack;
  const recorder: InboundHandler = { handle: () => Promise.reject(new Error('not reached')), commands: () => [] };

  before(async () => {
    fake = await FakeSlack.start();
  });
  after(() => fake.stop());

  test('a wrong bot token makes start() reject with one clear sentence, before any connection', async () => {
    const channel = new SlackChannel({
      botToken: 'xoxb-wrong',
      appToken: fake.workspace.appToken,
      apiUrl: fake.apiUrl,
      logger,
    });
    await assert.rejects(channel.start(recorder), (err: unknown) => {
      assert.ok(err instanceof SlackApiError);
      assert.equal(err.code, 'slack_unauthorized');
      assert.equal(err.userMessage, err.message);
      assert.match(err.message, /^Slack rejected the bot token \(invalid_auth\); check SLACK_BOT_TOKEN [^\n]*\.$/);
      return true;
    });
    assert.equal(fake.callsTo('apps.connections.open').length, 0);
    assert.equal(fake.socket.connections, 0);
    await channel.stop();
  });

  test('a wrong app token makes start() reject by name, and a token of the wrong kind is refused at once', async () => {
    const channel = new SlackChannel({
      botToken: fake.workspace.botToken,
      appToken: 'xapp-1-wrong',
      apiUrl: fake.apiUrl,
      logger,
    });
    await assert.rejects(
      channel.start(recorder),
      /^SlackApiError: Slack rejected the app-level token \(invalid_auth\); check SLACK_APP_TOKEN [^\n]*\.$/,
    );
    assert.equal(fake.socket.connections, 0);
    assert.throws(
      () =>
        new SlackChannel({
          botToken: fake.workspace.botToken,
          appToken: fake.workspace.botToken,
          apiUrl: fake.apiUrl,
          logger,
        }),
      (err: unknown) =>
        err instanceof SoloError &&
        err.code === 'slack_config' &&
        /^SLACK_APP_TOKEN must be an app-level token/.test(err.message),
    );
  });
});
