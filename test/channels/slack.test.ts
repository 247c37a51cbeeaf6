// The Slack channel with the real Bolt (Socket Mode and HTTP mode) against a fake Slack on 127.0.0.1, a real
// SqliteStore and the real Conductor. A thin recorder around the conductor tells the tests when an update has been
// fully handled (its replies posted), so nothing here waits on a clock.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { pino, type Logger } from 'pino';
import { SlackApiError, SlackChannel } from '../../adapters/channels/slack/index.ts';
import { loadConfig } from '../../src/config.ts';
import { SoloError } from '../../src/domain/errors.ts';
import { registerBuiltins } from '../../src/conductor/builtin-commands.ts';
import { registerMemoryCommands } from '../../src/conductor/memory-commands.ts';
import { Conductor } from '../../src/conductor/conductor.ts';
import { Registry } from '../../src/conductor/registry.ts';
import { Engine } from '../../src/engine/engine.ts';
import type { InboundEvent } from '../../src/domain/messages.ts';
import type { Channel, HandleResult, InboundHandler } from '../../src/ports/channel.ts';
import { SqliteStore } from '../../src/stores/sqlite/index.ts';
import { postSigned } from '../fakes/slack/http-mode.ts';
import { FakeSlack } from '../fakes/slack/server.ts';
import type { StoredMessage } from '../fakes/slack/workspace.ts';
import { tempDir } from '../support/app.ts';
import { testServices } from '../support/services.ts';

const OPERATOR = 'U0OPERATOR';
const STRANGER = 'U0STRANGER';
const SIGNING_SECRET = 'fake-signing-secret';

interface Handled {
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

async function startCore(current: () => Channel | undefined): Promise<{ store: SqliteStore; recorder: Recorder; logger: Logger; logs: string[] }> {
  const store = new SqliteStore(tempDir());
  await store.init();
  await store.identities.upsert({ channel: 'slack', externalId: OPERATOR, label: 'operator', linkedAt: new Date(), via: 'config' });
  const logs: string[] = [];
  const logger = pino({ level: 'debug' }, new Writable({ write: (chunk: Buffer, _enc, cb) => (logs.push(chunk.toString()), cb()) }));
  const config = loadConfig({ DATA_DIR: store.location, LOG_LEVEL: 'silent' });
  const channels = (): Channel[] => {
    const c = current();
    return c ? [c] : [];
  };
  const engine = new Engine({ store, logger, messenger: async () => {} });
  const conductor = new Conductor(testServices({ store, engine, logger, config, startedAt: new Date(), version: 'test', channels }), registerMemoryCommands(registerBuiltins(new Registry())));
  return { store, recorder: new Recorder(conductor), logger, logs };
}

const logger = pino({ level: 'silent' });
const lastMessage = (messages: StoredMessage[]): StoredMessage => {
  const m = messages.at(-1);
  assert.ok(m, 'expected a message in the channel');
  return m;
};

describe('Slack channel over Socket Mode', () => {
  let fake: FakeSlack;
  let channel: SlackChannel;
  let core: Awaited<ReturnType<typeof startCore>>;
  let operatorDm: string;

  before(async () => {
    fake = await FakeSlack.start();
    core = await startCore(() => channel);
    channel = new SlackChannel({ botToken: fake.workspace.botToken, appToken: fake.workspace.appToken, apiUrl: fake.apiUrl, logger: core.logger });
    await channel.start(core.recorder);
    operatorDm = fake.workspace.openIm(OPERATOR);
  });
  after(async () => {
    await channel.stop();
    await fake.stop();
    await core.store.close();
  });

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
    assert.deepEqual({ chatId: event.chatId, senderId: event.senderId, kind: event.kind }, { chatId: operatorDm, senderId: OPERATOR, kind: 'message' });
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
    assert.deepEqual(event, { kind: 'button', id: `action:${String(payload.trigger_id)}`, channel: 'slack', chatId: operatorDm, senderId: OPERATOR, data: '/status' });
    assert.equal(result.outcome, 'handled');
    assert.match(lastMessage(fake.history(operatorDm)).text, /^Solo OS test[\s\S]*Channels: Slack @solo in Solo Fake \(Socket Mode\)/);
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
    assert.equal(event.kind === 'message' ? event.text : '', '/remember 1 < 2 & 3 > 0', 'Slack sent &lt; &amp; &gt;; the core sees the characters');
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
    const ref = await channel.deliver(operatorDm, { id: 'card-1', text: 'Send invoice #7?', buttons: [{ label: 'Send', data: 'approve:7' }, { label: 'Skip', data: 'reject:7' }] });
    assert.deepEqual(ref, { channel: 'slack', chatId: operatorDm, messageId: lastMessage(fake.history(operatorDm)).ts });
    const card = fake.workspace.find(operatorDm, ref.messageId);
    assert.deepEqual(card?.blocks.flatMap((b) => b.elements?.map((e) => e.value) ?? []), ['approve:7', 'reject:7']);
    assert.equal(new Set(card?.blocks.flatMap((b) => b.elements?.map((e) => e.action_id) ?? [])).size, 2, 'action_ids are unique');
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
    assert.deepEqual(calls.map((c) => c.status), [429, 200]);
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
      { type: 'events_api', payload: ws.eventCallback({ type: 'message', channel: operatorDm, channel_type: 'im', ts: ws.nextTs() }) },
      { type: 'events_api', payload: ws.eventCallback({ type: 'message', subtype: 'message_changed', channel: operatorDm, channel_type: 'im', ts: ws.nextTs(), message: { user: OPERATOR, text: '/status' } }) },
      { type: 'slash_commands', payload: { text: 'help' } },
      { type: 'slash_commands', payload: { command: '/solo', text: 'status', team_id: ws.team.id } },
      { type: 'interactive', payload: { type: 'block_actions', actions: [] } },
      { type: 'interactive', payload: { type: 'block_actions', team: { id: ws.team.id }, actions: [{ type: 'button', action_id: 'x', value: '/status' }] } },
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

describe('Slack channel over HTTP events', () => {
  let fake: FakeSlack;
  let channel: SlackChannel;
  let core: Awaited<ReturnType<typeof startCore>>;
  let operatorDm: string;

  before(async () => {
    fake = await FakeSlack.start();
    core = await startCore(() => channel);
    channel = new SlackChannel({ botToken: fake.workspace.botToken, signingSecret: SIGNING_SECRET, host: '127.0.0.1', port: 0, apiUrl: fake.apiUrl, logger });
    await channel.start(core.recorder);
    operatorDm = fake.workspace.openIm(OPERATOR);
  });
  after(async () => {
    await channel.stop();
    await fake.stop();
    await core.store.close();
  });

  test('a request with a bad signature or a stale timestamp gets 401 and reaches nobody', async () => {
    const command = fake.workspace.slashCommand(OPERATOR, '/solo', 'status');
    assert.equal((await postSigned(channel.eventsUrl, 'not-the-secret', { kind: 'command', payload: command })).status, 401);
    const tenMinutesAgo = Math.floor(Date.now() / 1000) - 600;
    assert.equal((await postSigned(channel.eventsUrl, SIGNING_SECRET, { kind: 'command', payload: command }, tenMinutesAgo)).status, 401);
    const tenMinutesAhead = Math.floor(Date.now() / 1000) + 600;
    assert.equal((await postSigned(channel.eventsUrl, SIGNING_SECRET, { kind: 'command', payload: command }, tenMinutesAhead)).status, 401);
    // Unsigned: no signature headers at all.
    const unsigned = await fetch(channel.eventsUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(command).toString() });
    assert.equal(unsigned.status, 401);
    // A path Bolt normalizes to its events path is checked too (fetch would normalize it before sending: raw HTTP).
    const { port } = new URL(channel.eventsUrl);
    const dotted = await new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/slack/./events', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(new URLSearchParams(command).toString());
    });
    assert.equal(dotted, 401);
    assert.equal(core.recorder.handled.length, 0);
    assert.equal(fake.callsTo('chat.postMessage').length, 0);
  });

  test("Slack's unsigned SSL check gets 200 and reaches nobody, even with a command riding along", async () => {
    const command = fake.workspace.slashCommand(OPERATOR, '/solo', 'status');
    const res = await fetch(channel.eventsUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ssl_check: '1', ...command }).toString() });
    assert.equal(res.status, 200);
    assert.equal(core.recorder.handled.length, 0);
  });

  test('an oversized body gets 413 and the server keeps serving', async () => {
    const { payload } = fake.workspace.directMessage(OPERATOR, 'x'.repeat(1024 * 1024 + 10));
    assert.equal((await postSigned(channel.eventsUrl, SIGNING_SECRET, { kind: 'event', payload })).status, 413);
    const small = fake.workspace.directMessage(OPERATOR, '/help');
    assert.equal((await postSigned(channel.eventsUrl, SIGNING_SECRET, { kind: 'event', payload: small.payload })).status, 200);
    await core.recorder.done(small.eventId);
  });

  test('a correctly signed slash command is acked with 200 and handled', async () => {
    const command = fake.workspace.slashCommand(OPERATOR, '/solo', 'remember Globex wants weekly reports');
    const res = await postSigned(channel.eventsUrl, SIGNING_SECRET, { kind: 'command', payload: command });
    assert.equal(res.status, 200);
    const { event, result } = await core.recorder.done(`command:${command.trigger_id}`);
    assert.equal(event.kind === 'message' ? event.text : '', '/remember Globex wants weekly reports');
    assert.equal(result.outcome, 'handled');
    assert.match(lastMessage(fake.history(operatorDm)).text, /^Remembered #\d+: Globex wants weekly reports/);
  });

  test('a signed JSON event and a signed payload= button click are handled', async () => {
    const { payload, eventId } = fake.workspace.directMessage(OPERATOR, '/help');
    assert.equal((await postSigned(channel.eventsUrl, SIGNING_SECRET, { kind: 'event', payload })).status, 200);
    await core.recorder.done(eventId);
    const card = lastMessage(fake.history(operatorDm));
    const click = fake.workspace.click(OPERATOR, operatorDm, card.ts, '/status');
    assert.equal((await postSigned(channel.eventsUrl, SIGNING_SECRET, { kind: 'interactive', payload: click })).status, 200);
    const { event } = await core.recorder.done(`action:${String(click.trigger_id)}`);
    assert.equal(event.kind === 'button' ? event.data : '', '/status');
    assert.match(lastMessage(fake.history(operatorDm)).text, /^Solo OS test/);
  });
});

describe('Slack channel over HTTP events, mounted on another server', () => {
  test('the handler answers 503 before start, then serves signed requests at its path and 404 elsewhere', async () => {
    const fake = await FakeSlack.start();
    const channel = new SlackChannel({ botToken: fake.workspace.botToken, signingSecret: SIGNING_SECRET, apiUrl: fake.apiUrl, logger });
    const core = await startCore(() => channel);
    const server = createServer(channel.eventsCallback());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const early = fake.workspace.slashCommand(OPERATOR, '/solo', 'help');
      assert.equal((await postSigned(`${base}/slack/events`, SIGNING_SECRET, { kind: 'command', payload: early })).status, 503);
      await channel.start(core.recorder);
      assert.equal(channel.describe(), 'Slack @solo in Solo Fake (HTTP events at /slack/events)');
      const command = fake.workspace.slashCommand(OPERATOR, '/solo', 'status');
      assert.equal((await postSigned(`${base}/slack/events`, SIGNING_SECRET, { kind: 'command', payload: command })).status, 200);
      const { event } = await core.recorder.done(`command:${command.trigger_id}`);
      assert.equal(event.kind === 'message' ? event.text : '', '/status');
      assert.equal((await postSigned(`${base}/elsewhere`, SIGNING_SECRET, { kind: 'command', payload: command })).status, 404);
    } finally {
      await channel.stop();
      server.close();
      await fake.stop();
      await core.store.close();
    }
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
    const channel = new SlackChannel({ botToken: 'xoxb-wrong', appToken: fake.workspace.appToken, apiUrl: fake.apiUrl, logger });
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
    const channel = new SlackChannel({ botToken: fake.workspace.botToken, appToken: 'xapp-1-wrong', apiUrl: fake.apiUrl, logger });
    await assert.rejects(channel.start(recorder), /^SlackApiError: Slack rejected the app-level token \(invalid_auth\); check SLACK_APP_TOKEN [^\n]*\.$/);
    assert.equal(fake.socket.connections, 0);
    assert.throws(
      () => new SlackChannel({ botToken: fake.workspace.botToken, appToken: fake.workspace.botToken, apiUrl: fake.apiUrl, logger }),
      (err: unknown) => err instanceof SoloError && err.code === 'slack_config' && /^SLACK_APP_TOKEN must be an app-level token/.test(err.message),
    );
  });
});
