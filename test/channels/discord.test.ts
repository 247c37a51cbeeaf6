// The Discord channel with the real discord.js client against the fake Discord (REST + gateway on 127.0.0.1),
// a real SQLite store and the real conductor. Replies are asserted on the REST calls the fake recorded.

import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { DiscordChannel, DiscordChannelError } from '../../adapters/channels/discord/index.ts';
import { Conductor } from '../../src/conductor/conductor.ts';
import { Registry } from '../../src/commands/registry.ts';
import { SqliteStore } from '../../adapters/stores/sqlite/index.ts';
import { Intent, type ApiUser } from '../fakes/discord/model.ts';
import { FakeDiscord, type RecordedCall } from '../fakes/discord/server.ts';
import { tempDir } from '../support/app.ts';
import { testCore } from '../support/services.ts';

type LogLine = Record<string, unknown>;

interface SentBody {
  content?: string;
  components?: { type: number; components: { type: number; custom_id: string; label: string }[] }[];
}
interface CallbackBody {
  type: number;
  data?: SentBody & { flags?: number };
}

/** A pino logger whose lines the test can wait for. */
function logTap(): {
  logger: pino.Logger;
  lines: LogLine[];
  waitFor(match: (line: LogLine) => boolean): Promise<LogLine>;
} {
  const lines: LogLine[] = [];
  const events = new EventEmitter();
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      const line = JSON.parse(chunk.toString()) as LogLine;
      lines.push(line);
      events.emit('line', line);
      done();
    },
  });
  const waitFor = (match: (line: LogLine) => boolean): Promise<LogLine> => {
    const found = lines.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => {
      const listener = (line: LogLine): void => {
        if (match(line)) {
          events.off('line', listener);
          resolve(line);
        }
      };
      events.on('line', listener);
    });
  };
  return { logger: pino({ level: 'debug' }, stream), lines, waitFor };
}

describe('Discord channel', { timeout: 20_000 }, () => {
  const log = logTap();
  const store = new SqliteStore(tempDir());
  let fake: FakeDiscord;
  let op: ApiUser;
  let channel: DiscordChannel;
  let conductor: Conductor;
  let releaseSlow: () => void = () => undefined;
  const slowGate = new Promise<void>((resolve) => (releaseSlow = resolve));
  const longText = Array.from({ length: 500 }, (_, i) => `w${i % 10}xyz`).join(' ');

  const isMessagePost = (channelId: string) => (c: RecordedCall) =>
    c.method === 'POST' && c.path === `/channels/${channelId}/messages`;
  const replyIn = (channelId: string, since: number) =>
    fake.waitForCall((c) => isMessagePost(channelId)(c) && c.status === 200, since);
  const callbackOf = (interactionId: string, since = 0) =>
    fake.waitForCall((c) => c.path.startsWith(`/interactions/${interactionId}/`), since);
  const handled = (updateId: string) => log.waitFor((l) => l.update === updateId && l.msg === 'update handled');
  const body = <T = SentBody>(call: RecordedCall): T => call.body as T;

  before(async () => {
    fake = await FakeDiscord.start({ heartbeatIntervalMs: 100 });
    await store.init();
    op = fake.addUser('operator');
    await store.identities.upsert({
      channel: 'discord',
      externalId: op.id,
      label: 'operator',
      linkedAt: new Date(),
      via: 'config',
    });
    const extra = (registry: Registry) =>
      registry
        .command({
          name: 'slow',
          description: 'answers only when the test lets it',
          run: async (ctx) => {
            await slowGate;
            await ctx.reply('done at last');
          },
        })
        .command({
          name: 'long',
          description: 'a long answer',
          run: async (ctx) => void (await ctx.reply({ text: longText, buttons: [{ label: 'More', data: 'more:1' }] })),
        });
    channel = new DiscordChannel({
      token: fake.token,
      apiUrl: fake.apiUrl,
      guildChannelId: fake.guildChannel.id,
      logger: log.logger,
      deferAfterMs: 1000,
    });
    conductor = testCore({ store, logger: log.logger, channels: () => [channel], registry: extra }).conductor;
    await channel.start(conductor);
  });

  after(async () => {
    releaseSlow(); // so that stop() never waits on a command a failed test left hanging
    await channel.stop();
    await fake.stop();
    await store.close();
  });

  test('connects with the message content intent and registers every command with an optional args option', () => {
    const identify = fake.frames.find((f) => f.op === 2)?.d as { intents: number };
    for (const bit of [Intent.guilds, Intent.guildMessages, Intent.directMessages, Intent.messageContent])
      assert.ok(identify.intents & bit, `intent ${bit}`);
    const put = fake.calls.find((c) => c.method === 'PUT' && c.path === `/applications/${fake.applicationId}/commands`);
    assert.equal(put?.status, 200);
    const registered = put.body as {
      name: string;
      description: string;
      options: { name: string; type: number; required: boolean }[];
    }[];
    assert.deepEqual(
      registered.map((c) => c.name),
      conductor.commands().map((c) => c.name),
    );
    assert.ok(registered.map((c) => c.name).includes('slow'));
    for (const c of registered)
      assert.deepEqual(
        c.options.map(({ name, type, required }) => ({ name, type, required })),
        [{ name: 'args', type: 3, required: false }],
      );
    assert.match(channel.describe(), /Discord as @solo-bot, in DMs and channel \d+/);
  });

  test('the operator writes "/help" in a DM and gets the command list with a Status button', async () => {
    const since = fake.calls.length;
    fake.userSays(op, '/help');
    const reply = body(await replyIn(fake.dmWith(op).id, since));
    assert.match(reply.content ?? '', /^Commands:/);
    assert.match(reply.content ?? '', /\/remember <text> — keep a memory/);
    assert.deepEqual(
      reply.components?.[0]?.components.map((b) => [b.custom_id, b.label]),
      [['/status', 'Status']],
    );
  });

  test('the slash command /help is answered through the interaction callback', async () => {
    const since = fake.calls.length;
    const id = fake.userRunsCommand(op, 'help');
    const callback = await callbackOf(id, since);
    assert.equal(callback.status, 200);
    assert.equal(body<CallbackBody>(callback).type, 4, 'an immediate reply, not a deferral');
    assert.match(body<CallbackBody>(callback).data?.content ?? '', /^Commands:\n\/help — list the commands/);
    assert.equal(
      fake.calls.slice(since).filter(isMessagePost(fake.dmWith(op).id)).length,
      0,
      'not a separate channel message',
    );
  });

  test('/remember in a DM, then /recall as a slash command, finds the note (markdown escaped)', async () => {
    let since = fake.calls.length;
    fake.userSays(op, '/remember Umbrella_Corp pays *net 30*');
    const remembered = body(await replyIn(fake.dmWith(op).id, since));
    assert.match(remembered.content ?? '', /^Remembered #\d+: Umbrella\\_Corp pays \\\*net 30\\\*$/);
    since = fake.calls.length;
    const id = fake.userRunsCommand(op, 'recall', 'umbrella');
    const recall = body<CallbackBody>(await callbackOf(id, since));
    assert.equal(recall.type, 4);
    assert.match(recall.data?.content ?? '', /#\d+ Umbrella\\_Corp pays \\\*net 30\\\*/);
  });

  test('a stranger is refused exactly once, in a DM or in the guild channel, and nothing is stored', async () => {
    const stranger = fake.addUser('stranger');
    const first = fake.userSays(stranger, '/remember I own this bot now');
    await handled(first.id);
    const second = fake.userSays(stranger, '/status', fake.guildChannel);
    const outcome = await handled(second.id);
    assert.equal(outcome.outcome, 'refused', 'a guild channel message from someone else reaches the core');
    // A slash command that gets no answer is still acknowledged (deferred, then the placeholder removed).
    const since = fake.calls.length;
    const third = fake.userRunsCommand(stranger, 'status');
    assert.equal(body<CallbackBody>(await callbackOf(third, since)).type, 5);
    const removed = await fake.waitForCall(
      (c) => c.method === 'DELETE' && c.path.startsWith(`/webhooks/${fake.applicationId}/`),
      since,
    );
    assert.equal(removed.status, 204);
    const refusals = fake.calls.filter((c) => /private assistant/.test(JSON.stringify(c.body ?? {})));
    assert.equal(refusals.length, 1, 'one refusal, whatever the route');
    assert.equal(refusals[0]?.path, `/channels/${fake.dmWith(stranger).id}/messages`);
    assert.equal(await store.memories.count(), 1, 'only the operator’s note');
  });

  test('a reply with buttons carries them as components; tapping one is acknowledged and handled', async () => {
    const dm = fake.dmWith(op).id;
    let since = fake.calls.length;
    fake.userSays(op, '/remember tap me');
    const reply = await replyIn(dm, since);
    const noteId = /#(\d+)/.exec(body(reply).content ?? '')?.[1];
    assert.deepEqual(
      body(reply).components?.[0]?.components.map((b) => [b.custom_id, b.label]),
      [[`forget:${noteId}`, 'Undo']],
    );
    const card = fake.messagesIn(dm).at(-1) ?? assert.fail('no message');
    since = fake.calls.length;
    const tap = fake.userClicks(op, card, `forget:${noteId}`);
    const ack = await callbackOf(tap, since);
    assert.deepEqual([ack.status, body<CallbackBody>(ack).type], [204, 6], 'acknowledged with a deferred update');
    const forgot = body(await replyIn(dm, since));
    assert.match(forgot.content ?? '', new RegExp(`^Forgot #${noteId}: tap me$`));
    assert.equal(forgot.components?.[0]?.components[0]?.custom_id, `restore:${noteId}`);
  });

  test('a slow command is deferred (type 5) first, and its answer then replaces the deferred reply', async () => {
    const since = fake.calls.length;
    const id = fake.userRunsCommand(op, 'slow');
    const deferral = await callbackOf(id, since);
    assert.equal(body<CallbackBody>(deferral).type, 5);
    releaseSlow();
    const edit = await fake.waitForCall(
      (c) => c.method === 'PATCH' && c.path.startsWith(`/webhooks/${fake.applicationId}/`),
      since,
    );
    assert.match(edit.rawPath, /\/messages\/%40original$/);
    assert.equal(edit.status, 200);
    assert.equal(body(edit).content, 'done at last');
    assert.ok(fake.calls.indexOf(deferral) < fake.calls.indexOf(edit));
    const shown = fake.messagesIn(fake.dmWith(op).id).at(-1);
    assert.deepEqual([shown?.content, shown?.flags], ['done at last', 0], 'no longer "thinking…"');
  });

  test('edit() rewrites a delivered message and removes its buttons; typing() shows typing', async () => {
    const dm = fake.dmWith(op).id;
    const ref = await channel.deliver(dm, {
      id: 'card-1',
      text: 'Send invoice 7?',
      buttons: [{ label: 'Send', data: 'approve:7' }],
    });
    assert.equal(ref?.channel, 'discord');
    assert.equal(fake.messages.get(ref.messageId)?.components.length, 1);
    const since = fake.calls.length;
    await channel.edit(ref, { id: 'card-1', text: 'Invoice 7 sent.', buttons: [] });
    const patch = fake.calls.slice(since).find((c) => c.method === 'PATCH');
    assert.equal(patch?.path, `/channels/${dm}/messages/${ref.messageId}`);
    assert.deepEqual(body(patch).components, []);
    assert.deepEqual(
      [fake.messages.get(ref.messageId)?.content, fake.messages.get(ref.messageId)?.components],
      ['Invoice 7 sent.', []],
    );
    await channel.typing(dm);
    assert.equal(fake.calls.slice(since).find((c) => c.path === `/channels/${dm}/typing`)?.status, 204);
  });

  test('a refused send becomes one clear DiscordChannelError', async () => {
    await assert.rejects(
      channel.deliver('123456789012345678', { id: 'lost-1', text: 'hello?', buttons: [] }),
      (err: unknown) => {
        assert.ok(err instanceof DiscordChannelError);
        assert.equal(err.code, 'discord_api');
        assert.equal(
          err.message,
          'Could not send message lost-1 to 123456789012345678 on Discord (Discord answered 404, code 10003: Unknown Channel).',
        );
        return true;
      },
    );
  });

  test('a 2500-character message is split in two, with the buttons on the last part', async () => {
    assert.ok(longText.length > 2500);
    const dm = fake.dmWith(op).id;
    const since = fake.calls.length;
    fake.userSays(op, '/long');
    await fake.waitForCall((c) => isMessagePost(dm)(c) && body(c).components?.length === 1, since);
    const parts = fake.calls.slice(since).filter(isMessagePost(dm));
    assert.equal(parts.length, 2);
    assert.ok(parts.every((p) => p.status === 200 && (body(p).content ?? '').length <= 2000));
    assert.equal(parts.map((p) => body(p).content).join(' '), longText);
    assert.deepEqual(
      parts.map((p) => body(p).components?.length ?? 0),
      [0, 1],
    );
  });

  test('a long answer to a slash command is the interaction reply plus a follow-up', async () => {
    const since = fake.calls.length;
    const id = fake.userRunsCommand(op, 'long');
    const first = body<CallbackBody>(await callbackOf(id, since));
    const followUp = await fake.waitForCall(
      (c) => c.method === 'POST' && c.path.startsWith(`/webhooks/${fake.applicationId}/`),
      since,
    );
    assert.equal(first.type, 4);
    assert.deepEqual([followUp.status, followUp.query.wait], [200, 'true']);
    assert.equal(`${first.data?.content ?? ''} ${body(followUp).content ?? ''}`, longText);
    assert.equal(body(followUp).components?.[0]?.components[0]?.custom_id, 'more:1');
  });

  test('a 429 on sending is waited out and retried, and the message arrives', async () => {
    const dm = fake.dmWith(op).id;
    const since = fake.calls.length;
    fake.rateLimitNext('POST', /^\/channels\/\d+\/messages$/, 0.3);
    const ref = await channel.deliver(dm, { id: 'rl-1', text: 'after the wait', buttons: [] });
    const posts = fake.calls.slice(since).filter(isMessagePost(dm));
    assert.deepEqual(
      posts.map((p) => p.status),
      [429, 200],
    );
    assert.equal(fake.messages.get(ref?.messageId ?? '')?.content, 'after the wait');
    assert.ok(log.lines.some((l) => l.msg === 'rate limited by Discord; waiting'));
  });

  test('malformed gateway events are dropped without crashing, and the bot keeps answering', async () => {
    fake.gateway.dispatch('INTERACTION_CREATE', { type: 2, id: '1' });
    fake.gateway.dispatch('INTERACTION_CREATE', {
      id: '2',
      type: 3,
      data: { custom_id: 'x', component_type: 2 },
      channel: { id: '3', type: 1 },
    });
    fake.gateway.dispatch('MESSAGE_CREATE', { id: 'not-a-message' }, Intent.directMessages);
    fake.gateway.dispatch('NOT_A_REAL_EVENT', null);
    fake.gateway.sendRaw('{this is not json');
    const since = fake.calls.length;
    fake.userSays(op, '/help');
    assert.match(body(await replyIn(fake.dmWith(op).id, since)).content ?? '', /^Commands:/);
    assert.ok(
      log.lines.some(
        (l) => l.msg === 'dropped a gateway event discord.js could not read' && l.dispatch === 'INTERACTION_CREATE',
      ),
    );
  });

  test('other guild channels and the bot’s own messages are ignored; the configured channel is served', async () => {
    const since = fake.calls.length;
    fake.userSays(op, '/help', fake.otherGuildChannel);
    fake.userSays(op, '/status', fake.guildChannel);
    assert.match(body(await replyIn(fake.guildChannel.id, since)).content ?? '', /^Solo OS test/);
    assert.equal(fake.calls.slice(since).filter(isMessagePost(fake.otherGuildChannel.id)).length, 0);
    const botMessages = new Set(
      [...fake.messages.values()].filter((m) => m.author.id === fake.bot.id).map((m) => m.id),
    );
    assert.ok(botMessages.size > 5);
    assert.ok(
      !log.lines.some((l) => typeof l.update === 'string' && botMessages.has(l.update)),
      'the bot never handles its own messages',
    );
  });

  test('a slash command in a channel the bot does not serve gets a private one-line answer', async () => {
    const since = fake.calls.length;
    const id = fake.userRunsCommand(op, 'status', undefined, fake.otherGuildChannel);
    const callback = body<CallbackBody>(await callbackOf(id, since));
    assert.equal(callback.type, 4);
    assert.equal(callback.data?.flags, 64, 'ephemeral');
    assert.match(callback.data?.content ?? '', /only take instructions in a direct message or <#\d+>/);
  });

  test('a wrong token makes start() reject with one clear sentence', async () => {
    const wrong = new DiscordChannel({ token: 'not-the-token', apiUrl: fake.apiUrl, logger: log.logger });
    const sessionsBefore = fake.gateway.liveSessions;
    await assert.rejects(wrong.start(conductor), (err: unknown) => {
      assert.ok(err instanceof DiscordChannelError);
      assert.equal(err.code, 'discord_token_invalid');
      assert.match(err.message, /^Discord refused the bot token; set DISCORD_TOKEN .*\.$/);
      assert.equal(err.message.split(/[.!?]\s/).length, 1, 'one sentence');
      return true;
    });
    const refused = fake.calls.at(-1);
    assert.deepEqual([refused?.path, refused?.status], ['/gateway/bot', 401]);
    assert.equal(fake.gateway.liveSessions, sessionsBefore, 'no gateway session was opened');
    await wrong.stop();
  });

  test('without the Message Content intent switched on, start() says where to switch it on', async () => {
    const strict = await FakeDiscord.start({ messageContentIntent: false });
    try {
      const refused = new DiscordChannel({ token: strict.token, apiUrl: strict.apiUrl, logger: log.logger });
      await assert.rejects(refused.start(conductor), {
        code: 'discord_intent_disabled',
        message: /^Discord refused the Message Content intent; switch it on under Privileged Gateway Intents/,
      });
    } finally {
      await strict.stop();
    }
  });

  test('heartbeats are acknowledged, so the session is never dropped as a zombie and resumed', async () => {
    const heartbeats = () => fake.frames.filter((f) => f.op === 1).length;
    while (heartbeats() < 3) await once(fake, 'frame');
    assert.deepEqual(
      fake.frames.filter((f) => f.op === 2 || f.op === 6).map((f) => f.op),
      [2],
      'one IDENTIFY, no RESUME',
    );
  });

  test('stop() closes the gateway connection', async () => {
    await channel.stop();
    await fake.gateway.idle();
    assert.equal(fake.gateway.liveSessions, 0);
  });
});

describe('the fake Discord answers like Discord', { timeout: 10_000 }, () => {
  let fake: FakeDiscord;
  before(async () => (fake = await FakeDiscord.start()));
  after(() => fake.stop());

  const post = (path: string, payload: unknown, token = fake.token) =>
    fetch(`${fake.apiUrl}/v10${path}`, {
      method: 'POST',
      headers: { authorization: `Bot ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });

  test('content over 2000 characters is a 400 with the form error; a wrong token is a 401', async () => {
    const tooLong = await post(`/channels/${fake.guildChannel.id}/messages`, { content: 'x'.repeat(2001) });
    assert.equal(tooLong.status, 400);
    assert.deepEqual(await tooLong.json(), {
      code: 50035,
      message: 'Invalid Form Body',
      errors: { content: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 2000 or fewer in length.' }] } },
    });
    const unauthorised = await post(`/channels/${fake.guildChannel.id}/messages`, { content: 'hi' }, 'wrong');
    assert.deepEqual(
      [unauthorised.status, await unauthorised.json()],
      [401, { code: 0, message: '401: Unauthorized' }],
    );
  });

  test('a 429 carries retry-after, the x-ratelimit headers and Discord’s body', async () => {
    fake.rateLimitNext('POST', /messages$/, 0.5);
    const limited = await post(`/channels/${fake.guildChannel.id}/messages`, { content: 'hi' });
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '1');
    assert.equal(limited.headers.get('x-ratelimit-remaining'), '0');
    assert.equal(limited.headers.get('x-ratelimit-scope'), 'user');
    assert.deepEqual(await limited.json(), { message: 'You are being rate limited.', retry_after: 0.5, global: false });
  });
});
