// The Slack channel in HTTP mode (signed event, command and action requests) with the real Bolt against a fake
// Slack on 127.0.0.1, a real SqliteStore and the real Conductor (test/support/slack-core.ts). Socket Mode:
// slack.test.ts.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { SlackChannel } from '../../adapters/channels/slack/index.ts';
import { postSigned } from '../fakes/slack/http-mode.ts';
import { FakeSlack } from '../fakes/slack/server.ts';
import {
  lastMessage,
  logger,
  OPERATOR,
  SIGNING_SECRET,
  startCore,
  useSlack,
  type Core,
} from '../support/slack-core.ts';

describe('Slack channel over HTTP events', () => {
  let fake: FakeSlack;
  let channel: SlackChannel;
  let core: Core;
  let operatorDm: string;
  useSlack(
    (f) =>
      new SlackChannel({
        botToken: f.workspace.botToken,
        signingSecret: SIGNING_SECRET,
        host: '127.0.0.1',
        port: 0,
        apiUrl: f.apiUrl,
        logger,
      }),
    (rig) => ({ fake, channel, core, operatorDm } = rig),
  );

  test('a request with a bad signature or a stale timestamp gets 401 and reaches nobody', async () => {
    const command = fake.workspace.slashCommand(OPERATOR, '/solo', 'status');
    assert.equal(
      (await postSigned(channel.eventsUrl, 'not-the-secret', { kind: 'command', payload: command })).status,
      401,
    );
    const tenMinutesAgo = Math.floor(Date.now() / 1000) - 600;
    assert.equal(
      (await postSigned(channel.eventsUrl, SIGNING_SECRET, { kind: 'command', payload: command }, tenMinutesAgo))
        .status,
      401,
    );
    const tenMinutesAhead = Math.floor(Date.now() / 1000) + 600;
    assert.equal(
      (await postSigned(channel.eventsUrl, SIGNING_SECRET, { kind: 'command', payload: command }, tenMinutesAhead))
        .status,
      401,
    );
    // Unsigned: no signature headers at all.
    const unsigned = await fetch(channel.eventsUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(command).toString(),
    });
    assert.equal(unsigned.status, 401);
    // A path Bolt normalizes to its events path is checked too (fetch would normalize it before sending: raw HTTP).
    const { port } = new URL(channel.eventsUrl);
    const dotted = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/slack/./events',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(new URLSearchParams(command).toString());
    });
    assert.equal(dotted, 401);
    assert.equal(core.recorder.handled.length, 0);
    assert.equal(fake.callsTo('chat.postMessage').length, 0);
  });

  test("Slack's unsigned SSL check gets 200 and reaches nobody, even with a command riding along", async () => {
    const command = fake.workspace.slashCommand(OPERATOR, '/solo', 'status');
    const res = await fetch(channel.eventsUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ssl_check: '1', ...command }).toString(),
    });
    assert.equal(res.status, 200);
    assert.equal(core.recorder.handled.length, 0);
  });

  test('an oversized body gets 413 and the server keeps serving', async () => {
    const { payload } = fake.workspace.directMessage(OPERATOR, 'x'.repeat(1024 * 1024 + 10));
    assert.equal((await postSigned(channel.eventsUrl, SIGNING_SECRET, { kind: 'event', payload })).status, 413);
    const small = fake.workspace.directMessage(OPERATOR, '/help');
    assert.equal(
      (await postSigned(channel.eventsUrl, SIGNING_SECRET, { kind: 'event', payload: small.payload })).status,
      200,
    );
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
    assert.equal(
      (await postSigned(channel.eventsUrl, SIGNING_SECRET, { kind: 'interactive', payload: click })).status,
      200,
    );
    const { event } = await core.recorder.done(`action:${String(click.trigger_id)}`);
    assert.equal(event.kind === 'button' ? event.data : '', '/status');
    assert.match(lastMessage(fake.history(operatorDm)).text, /^Solo OS test/);
  });
});

describe('Slack channel over HTTP events, mounted on another server', () => {
  test('the handler answers 503 before start, then serves signed requests at its path and 404 elsewhere', async () => {
    const fake = await FakeSlack.start();
    const channel = new SlackChannel({
      botToken: fake.workspace.botToken,
      signingSecret: SIGNING_SECRET,
      apiUrl: fake.apiUrl,
      logger,
    });
    const core = await startCore(() => channel);
    const server = createServer(channel.eventsCallback());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const early = fake.workspace.slashCommand(OPERATOR, '/solo', 'help');
      assert.equal(
        (await postSigned(`${base}/slack/events`, SIGNING_SECRET, { kind: 'command', payload: early })).status,
        503,
      );
      await channel.start(core.recorder);
      assert.equal(channel.describe(), 'Slack @solo in Solo Fake (HTTP events at /slack/events)');
      const command = fake.workspace.slashCommand(OPERATOR, '/solo', 'status');
      assert.equal(
        (await postSigned(`${base}/slack/events`, SIGNING_SECRET, { kind: 'command', payload: command })).status,
        200,
      );
      const { event } = await core.recorder.done(`command:${command.trigger_id}`);
      assert.equal(event.kind === 'message' ? event.text : '', '/status');
      assert.equal(
        (await postSigned(`${base}/elsewhere`, SIGNING_SECRET, { kind: 'command', payload: command })).status,
        404,
      );
    } finally {
      await channel.stop();
      server.close();
      await fake.stop();
      await core.store.close();
    }
  });
});
