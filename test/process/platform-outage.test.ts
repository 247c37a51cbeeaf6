// A chat platform that cannot be reached, as the real process meets it: Solo OS starts anyway, says which platform
// and that it keeps retrying, shows it in /status and /healthz, and stops within 5 s of SIGTERM in every state.
// Wrong credentials are said once and not retried, and the other channels keep working.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakeDiscord } from '../fakes/discord/server.ts';
import { FakeSlack } from '../fakes/slack/server.ts';
import { FakeTelegram, OPERATOR } from '../fakes/telegram/server.ts';
import { say, tempDir } from '../support/app.ts';
import { closedPort, SilentServer } from '../support/dead-ends.ts';
import {
  killHard,
  logLines,
  spawnProcess,
  startProcess,
  stopWith,
  waitForLog,
  type LogLine,
  type Started,
} from '../support/process.ts';

/** The stated requirement: SIGTERM ends the process within 5 s. A generous bound, not a speed figure. */
const STOP_LIMIT_MS = 5000;
const DISCORD_OPERATOR = '80351110224678912';

interface Platform {
  name: string;
  /** How the test names it, when it differs: the mode. */
  title?: string;
  key: string;
  /** Settings that point the platform's API at `root` (http://host:port). */
  env(root: string): Record<string, string>;
}

const PLATFORMS: Platform[] = [
  {
    name: 'Telegram',
    key: 'telegram',
    env: (root) => ({
      TELEGRAM_BOT_TOKEN: '123456:TEST-token_abc',
      TELEGRAM_OPERATOR_IDS: String(OPERATOR.id),
      TELEGRAM_API_ROOT: root,
    }),
  },
  {
    name: 'Slack',
    key: 'slack',
    env: (root) => ({
      SLACK_BOT_TOKEN: 'xoxb-1-fake-bot-token',
      SLACK_APP_TOKEN: 'xapp-1-A0SOLOFAKE-fake-app-token',
      SLACK_OPERATOR_IDS: 'U0OPERATOR',
      SLACK_API_URL: `${root}/api/`,
    }),
  },
  {
    name: 'Slack',
    title: 'Slack in HTTP mode (auth.test)',
    key: 'slack',
    env: (root) => ({
      SLACK_BOT_TOKEN: 'xoxb-1-fake-bot-token',
      SLACK_SIGNING_SECRET: 'fake-signing-secret',
      SLACK_OPERATOR_IDS: 'U0OPERATOR',
      SLACK_API_URL: `${root}/api/`,
    }),
  },
  {
    name: 'Discord',
    key: 'discord',
    env: (root) => ({
      DISCORD_TOKEN: 'fake-discord-bot-token-0123456789',
      DISCORD_OPERATOR_IDS: DISCORD_OPERATOR,
      DISCORD_API_URL: `${root}/api`,
    }),
  },
];

/** Telegram, Slack in Socket Mode and Discord, all at `root`. */
const hungEnv = (root: string): Record<string, string> =>
  PLATFORMS.filter((p) => !p.title).reduce((env, p) => ({ ...env, ...p.env(root) }), {});

const about = (p: Platform) => (line: LogLine) => line.component === p.key || line.msg.includes(p.name);

async function healthz(
  url: string,
): Promise<{ status: number; body: { status?: string; channels?: Record<string, string> } }> {
  const res = await fetch(`${url}/healthz`);
  return { status: res.status, body: (await res.json()) as { status?: string; channels?: Record<string, string> } };
}

/**
 * SIGTERM, then a clean exit within the bound every state must meet: a process still running at the bound is
 * SIGKILLed, and then its exit code is not 0. (A deadline on an outcome, not a measured time.)
 */
async function assertStopsInTime(app: Started): Promise<void> {
  const { code } = await stopWith(app.child, 'SIGTERM', STOP_LIMIT_MS);
  assert.equal(code, 0, `not a clean exit within ${STOP_LIMIT_MS} ms of SIGTERM:\n${app.output().slice(-3000)}`);
}

describe('a chat platform that cannot be reached', { timeout: 120_000 }, () => {
  for (const platform of PLATFORMS) {
    test(`${platform.title ?? platform.name} on a closed port: said once with "retrying", shown by /status and /healthz, SIGTERM ends it`, async () => {
      const root = `http://127.0.0.1:${await closedPort()}`;
      const app = await startProcess({ DATA_DIR: tempDir(), LOG_LEVEL: 'debug', ...platform.env(root) });
      try {
        const warning = await waitForLog(app, (l) => l.level === 40 && about(platform)(l), 10_000);
        assert.match(warning.msg, new RegExp(`^Could not connect to ${platform.name}: .+; retrying with backoff`));
        assert.equal(warning.msg.split(/[.;]\s+[A-Z]/).length, 1, `one sentence: ${warning.msg}`);

        const [status] = await say(app.url, '/status');
        assert.match(
          status?.text ?? '',
          new RegExp(`Channels: web chat at [^\\n]*; ${platform.name}[^\\n]*: retrying`),
        );
        const health = await healthz(app.url);
        assert.equal(health.status, 200, 'the web chat and the store work');
        assert.equal(health.body.status, 'degraded');
        assert.equal(health.body.channels?.['web'], 'ok');
        assert.match(health.body.channels?.[platform.key] ?? '', /^retrying: .+; next attempt in \d+ s$/);

        // A second attempt has failed by now: it went to the debug log, and the warning was not repeated.
        await waitForLog(app, (l) => l.level === 20 && about(platform)(l) && /attempt 2 failed/.test(l.msg), 10_000);
        assert.deepEqual(
          logLines(app.output())
            .filter((l) => l.level >= 40)
            .map((l) => l.msg),
          [warning.msg],
        );
        await assertStopsInTime(app);
      } finally {
        if (app.child.exitCode === null) await killHard(app.child);
      }
    });
  }

  test('all three on a server that accepts connections and never answers: ready at once, SIGTERM mid-request ends it', async () => {
    const silent = await SilentServer.start();
    try {
      const app = await startProcess({ DATA_DIR: tempDir(), ...hungEnv(silent.url) });
      try {
        await silent.accepted(3);
        const health = await healthz(app.url);
        for (const key of ['telegram', 'slack', 'discord'])
          assert.equal(health.body.channels?.[key], 'starting', `${key} has not answered yet`);
        const [status] = await say(app.url, '/status');
        assert.match(status?.text ?? '', /Telegram[^;]*: starting; Slack[^;]*: starting; Discord[^;\n]*: starting/);
        await assertStopsInTime(app);
      } finally {
        if (app.child.exitCode === null) await killHard(app.child);
      }
    } finally {
      await silent.close();
    }
  });

  test('SIGTERM while the platforms are still being contacted at start-up ends it', async () => {
    const silent = await SilentServer.start();
    try {
      const spawned = spawnProcess({ DATA_DIR: tempDir(), ...hungEnv(silent.url) });
      spawned.ready.catch(() => undefined);
      // The first connection: the process is starting, contacting a platform, and may not be ready yet.
      await silent.accepted(1);
      await assertStopsInTime({ child: spawned.child, url: '', output: spawned.output });
    } finally {
      await silent.close();
    }
  });
});

describe('wrong credentials', { timeout: 60_000 }, () => {
  test('Telegram and Slack refuse their tokens: one sentence each, no retries, Discord and the web chat work', async () => {
    const telegram = await new FakeTelegram().start();
    const slack = await FakeSlack.start();
    const discord = await FakeDiscord.start({ token: 'fake-discord-bot-token-0123456789', heartbeatIntervalMs: 500 });
    const op = discord.addUser('operator');
    const app = await startProcess({
      DATA_DIR: tempDir(),
      LOG_LEVEL: 'debug',
      TELEGRAM_BOT_TOKEN: '999:wrong-token',
      TELEGRAM_OPERATOR_IDS: String(OPERATOR.id),
      TELEGRAM_API_ROOT: telegram.apiRoot,
      SLACK_BOT_TOKEN: 'xoxb-wrong',
      SLACK_APP_TOKEN: slack.workspace.appToken,
      SLACK_OPERATOR_IDS: 'U0OPERATOR',
      SLACK_API_URL: slack.apiUrl,
      DISCORD_TOKEN: discord.token,
      DISCORD_API_URL: discord.apiUrl,
      DISCORD_OPERATOR_IDS: op.id,
    });
    try {
      const refusedTelegram = await waitForLog(app, (l) => l.level === 50 && /Telegram/.test(l.msg));
      assert.match(refusedTelegram.msg, /^Telegram is off: .*401.*TELEGRAM_BOT_TOKEN.*; not retrying/);
      const refusedSlack = await waitForLog(app, (l) => l.level === 50 && /Slack/.test(l.msg));
      assert.match(refusedSlack.msg, /^Slack is off: .*invalid_auth.*SLACK_BOT_TOKEN.*; not retrying/);

      // Discord connected meanwhile, and answers a DM.
      await waitForLog(app, (l) => l.component === 'discord' && /connected/.test(l.msg));
      const dm = discord.dmWith(op);
      const since = discord.calls.length;
      discord.userSays(op, '/status');
      const reply = await discord.waitForCall(
        (c) => c.method === 'POST' && c.path === `/channels/${dm.id}/messages`,
        since,
      );
      const text = String((reply.body as { content?: string }).content);
      assert.match(text, /Telegram[^;]*: failed: /);
      assert.match(text, /Slack[^;]*: failed: /);

      const health = await healthz(app.url);
      assert.equal(health.status, 200);
      assert.match(health.body.channels?.['telegram'] ?? '', /^failed: /);
      assert.equal(health.body.channels?.['discord'], 'ok');
      const [status] = await say(app.url, '/status');
      assert.match(status?.text ?? '', /Discord as @solo-bot/);

      // No retry storm: one getMe, one auth.test, and exactly the two sentences above at warn or worse.
      await new Promise((resolve) => setTimeout(resolve, 2500));
      assert.equal(telegram.callsOf('getMe').length, 1);
      assert.equal(slack.callsTo('auth.test').length, 1);
      const loud = logLines(app.output())
        .filter((l) => l.level >= 40)
        .map((l) => l.msg);
      assert.deepEqual(loud.sort(), [refusedTelegram.msg, refusedSlack.msg].sort());
      await assertStopsInTime(app);
    } finally {
      if (app.child.exitCode === null) await killHard(app.child);
      await Promise.all([telegram.stop(), slack.stop(), discord.stop()]);
    }
  });

  test('Discord refuses its token: one sentence, no retries, Telegram works', async () => {
    const telegram = await new FakeTelegram().start();
    const discord = await FakeDiscord.start({ token: 'fake-discord-bot-token-0123456789' });
    const app = await startProcess({
      DATA_DIR: tempDir(),
      TELEGRAM_BOT_TOKEN: telegram.token,
      TELEGRAM_OPERATOR_IDS: String(OPERATOR.id),
      TELEGRAM_API_ROOT: telegram.apiRoot,
      DISCORD_TOKEN: 'not-the-discord-bot-token-0123456789',
      DISCORD_API_URL: discord.apiUrl,
      DISCORD_OPERATOR_IDS: DISCORD_OPERATOR,
    });
    try {
      const refused = await waitForLog(app, (l) => l.level === 50 && /Discord/.test(l.msg));
      assert.match(refused.msg, /^Discord is off: Discord refused the bot token; set DISCORD_TOKEN .*; not retrying/);
      await waitForLog(app, (l) => l.component === 'telegram' && /long polling started/.test(l.msg));
      const from = telegram.calls.length;
      telegram.api.userSends(OPERATOR, '/status');
      const reply = await telegram.waitForCall('sendMessage', () => true, from);
      assert.match(String(reply.params['text']), /Discord[^\n]*: failed: Discord refused the bot token/);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      assert.equal(discord.calls.filter((c) => c.path === '/gateway/bot').length, 1, 'asked once, not again');
      await assertStopsInTime(app);
    } finally {
      if (app.child.exitCode === null) await killHard(app.child);
      await Promise.all([telegram.stop(), discord.stop()]);
    }
  });
});
