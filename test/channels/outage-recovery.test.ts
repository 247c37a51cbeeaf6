// Each chat platform going away and coming back, with the whole app (startTestApp) and the real SDKs against the
// fakes: down when Solo OS starts (the fake's port is closed until later), and down for a while after it connected
// (the fake cuts every connection and stops listening, then listens again). Either way the channel shows
// "retrying" in /healthz, connects again by itself, and messages flow again, without a restart.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SoloApp } from '../../src/main.ts';
import { FakeDiscord } from '../fakes/discord/server.ts';
import { FakeSlack } from '../fakes/slack/server.ts';
import { FakeTelegram, OPERATOR } from '../fakes/telegram/server.ts';
import { say, startTestApp } from '../support/app.ts';

const SLACK_OPERATOR = 'U0OPERATOR';

/** Polls until `check` returns a value; the limit only turns a hang into a readable failure. */
async function until<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  limitMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function channelHealth(app: SoloApp, key: string): Promise<string> {
  const body = (await (await fetch(`${app.url}/healthz`)).json()) as { channels?: Record<string, string> };
  return body.channels?.[key] ?? 'absent';
}

const healthIs = (app: SoloApp, key: string, pattern: RegExp) => async () => {
  const health = await channelHealth(app, key);
  return pattern.test(health) ? health : undefined;
};

interface Rig {
  key: string;
  /** Starts the fake (listening), with what the app needs to know about it. */
  fake(): Promise<{
    env: Record<string, string>;
    suspend(): Promise<void>;
    resume(): Promise<void>;
    stop(): Promise<void>;
    roundTrip(): Promise<string>;
  }>;
}

const RIGS: Rig[] = [
  {
    key: 'telegram',
    fake: async () => {
      const fake = await new FakeTelegram().start();
      return {
        env: {
          TELEGRAM_BOT_TOKEN: fake.token,
          TELEGRAM_API_ROOT: fake.apiRoot,
          TELEGRAM_OPERATOR_IDS: String(OPERATOR.id),
        },
        suspend: () => fake.suspend(),
        resume: () => fake.resume(),
        stop: () => fake.stop(),
        roundTrip: async () => {
          const from = fake.calls.length;
          fake.api.userSends(OPERATOR, '/help');
          return String((await fake.waitForCall('sendMessage', () => true, from)).params['text']);
        },
      };
    },
  },
  {
    key: 'slack',
    fake: async () => {
      const fake = await FakeSlack.start();
      return {
        env: {
          SLACK_BOT_TOKEN: fake.workspace.botToken,
          SLACK_APP_TOKEN: fake.workspace.appToken,
          SLACK_API_URL: fake.apiUrl,
          SLACK_OPERATOR_IDS: SLACK_OPERATOR,
        },
        suspend: () => fake.suspend(),
        resume: () => fake.resume(),
        stop: () => fake.stop(),
        roundTrip: async () => {
          const from = fake.calls.length;
          await fake.socket.send('events_api', fake.workspace.directMessage(SLACK_OPERATOR, '/help').payload).acked;
          const posted = await until('chat.postMessage', () =>
            fake.calls.slice(from).find((c) => c.method === 'chat.postMessage'),
          );
          return String(posted.args['text']);
        },
      };
    },
  },
  {
    key: 'discord',
    fake: async () => {
      const fake = await FakeDiscord.start({ token: 'fake-discord-bot-token-0123456789', heartbeatIntervalMs: 500 });
      const op = fake.addUser('operator');
      return {
        env: { DISCORD_TOKEN: fake.token, DISCORD_API_URL: fake.apiUrl, DISCORD_OPERATOR_IDS: op.id },
        suspend: () => fake.suspend(),
        resume: () => fake.resume(),
        stop: () => fake.stop(),
        roundTrip: async () => {
          const since = fake.calls.length;
          const dm = fake.dmWith(op);
          fake.userSays(op, '/help');
          const sent = await fake.waitForCall(
            (c) => c.method === 'POST' && c.path === `/channels/${dm.id}/messages`,
            since,
          );
          return String((sent.body as { content?: string }).content);
        },
      };
    },
  },
];

describe('a chat platform that goes away and comes back', { timeout: 60_000 }, () => {
  for (const rig of RIGS) {
    test(`${rig.key}: down when Solo OS starts, then up: it connects by itself and messages flow`, async () => {
      const fake = await rig.fake();
      await fake.suspend();
      const app = await startTestApp(fake.env);
      try {
        await until('"retrying"', healthIs(app, rig.key, /^retrying: /));
        const [status] = await say(app.url, '/status');
        assert.match(status?.text ?? '', /: retrying: /);
        await fake.resume();
        await until('"ok"', healthIs(app, rig.key, /^ok$/));
        assert.match(await fake.roundTrip(), /^Commands:/);
      } finally {
        await app.stop();
        await fake.stop();
      }
    });

    test(`${rig.key}: an outage after connecting shows as "retrying", and messages flow again once it ends`, async () => {
      const fake = await rig.fake();
      const app = await startTestApp(fake.env);
      try {
        await until('"ok"', healthIs(app, rig.key, /^ok$/));
        assert.match(await fake.roundTrip(), /^Commands:/);
        await fake.suspend();
        await until('"retrying"', healthIs(app, rig.key, /^retrying: /));
        await fake.resume();
        await until('"ok" again', healthIs(app, rig.key, /^ok$/));
        assert.match(await fake.roundTrip(), /^Commands:/);
      } finally {
        await app.stop();
        await fake.stop();
      }
    });
  }
});

describe('credentials the gateway refuses', { timeout: 30_000 }, () => {
  test('discord: the gateway closes with 4004 → "failed", no second IDENTIFY, the web chat works', async () => {
    const fake = await FakeDiscord.start({ token: 'fake-discord-bot-token-0123456789', gatewayRefusesToken: true });
    const app = await startTestApp({
      DISCORD_TOKEN: fake.token,
      DISCORD_API_URL: fake.apiUrl,
      DISCORD_OPERATOR_IDS: fake.addUser('operator').id,
    });
    try {
      const health = await until('"failed"', healthIs(app, 'discord', /^failed: /));
      assert.match(health, /^failed: Discord refused the bot token; set DISCORD_TOKEN/);
      await new Promise((resolve) => setTimeout(resolve, 2500));
      assert.equal(fake.frames.filter((f) => f.op === 2).length, 1, 'one IDENTIFY, not retried');
      assert.match((await say(app.url, '/help'))[0]?.text ?? '', /^Commands:/);
    } finally {
      await app.stop();
      await fake.stop();
    }
  });
});
