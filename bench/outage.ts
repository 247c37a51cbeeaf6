// Start-up and stop of the real process (node bin/solo.js) when the chat platforms cannot be reached: how long until
// the web chat answers, until each platform's warning is logged, and from SIGTERM to exit. Three states: Telegram,
// Slack and Discord all on a closed port (refused at once, then retrying with backoff), all on a server that
// accepts connections and never answers (SIGTERM while their calls wait), and all connected to the local fakes;
// the web chat alone first, as the baseline.
// Usage: node bench/outage.ts [runs=5]

import { FakeDiscord } from '../test/fakes/discord/server.ts';
import { FakeSlack } from '../test/fakes/slack/server.ts';
import { FakeTelegram, OPERATOR } from '../test/fakes/telegram/server.ts';
import { tempDir } from '../test/support/app.ts';
import { closedPort, SilentServer } from '../test/support/dead-ends.ts';
import { logLines, spawnProcess, stopWith } from '../test/support/process.ts';
import { line, summary } from './stats.ts';

const runs = Number(process.argv[2] ?? 5);
const DISCORD_TOKEN = 'fake-discord-bot-token-0123456789';

function platformsAt(root: string, slackRoot = `${root}/api/`, discordRoot = `${root}/api`): Record<string, string> {
  return {
    TELEGRAM_BOT_TOKEN: '123456:TEST-token_abc',
    TELEGRAM_OPERATOR_IDS: String(OPERATOR.id),
    TELEGRAM_API_ROOT: root,
    SLACK_BOT_TOKEN: 'xoxb-1-fake-bot-token',
    SLACK_APP_TOKEN: 'xapp-1-A0SOLOFAKE-fake-app-token',
    SLACK_OPERATOR_IDS: 'U0OPERATOR',
    SLACK_API_URL: slackRoot,
    DISCORD_TOKEN,
    DISCORD_OPERATOR_IDS: '80351110224678912',
    DISCORD_API_URL: discordRoot,
  };
}

interface Run {
  readyMs: number;
  /** From spawn to each platform's first warning (closed port). */
  warnedMs: number[];
  stopMs: number;
  code: number | null;
}

/** Spawns, waits for `until` (then `settle` ms), sends SIGTERM and times the exit. */
async function once(env: Record<string, string>, until: (output: string) => boolean, settleMs: number): Promise<Run> {
  const spawnedAt = performance.now();
  const spawnedEpoch = Date.now();
  const spawned = spawnProcess({ DATA_DIR: tempDir('solo-bench-'), ...env });
  const app = await spawned.ready;
  const readyMs = performance.now() - spawnedAt;
  const warnedMs: number[] = [];
  const seen = new Set<string>();
  await new Promise<void>((resolve) => {
    const check = (): void => {
      for (const l of logLines(app.output())) {
        if (l.level === 40 && l.component && !seen.has(l.component)) {
          seen.add(l.component);
          warnedMs.push(Number(l['time']) - spawnedEpoch);
        }
      }
      if (until(app.output())) {
        clearInterval(timer);
        resolve();
      }
    };
    const timer = setInterval(check, 10);
    check();
  });
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  const { code, ms } = await stopWith(app.child, 'SIGTERM');
  return { readyMs, warnedMs, stopMs: ms, code };
}

function report(label: string, results: Run[]): void {
  line(
    `${label}: spawn to ready`,
    summary(
      results.map((r) => r.readyMs),
      'ms',
      0,
    ),
  );
  const warned = results.flatMap((r) => r.warnedMs);
  if (warned.length > 0) line(`${label}: spawn to each warning`, summary(warned, 'ms', 0));
  line(
    `${label}: SIGTERM to exit`,
    summary(
      results.map((r) => r.stopMs),
      'ms',
      0,
    ),
    '< 5000 ms',
  );
  const unclean = results.filter((r) => r.code !== 0).length;
  if (unclean > 0) line(`${label}: exits other than 0`, String(unclean));
}

const warnings = (output: string): number => logLines(output).filter((l) => l.level === 40).length;

const none: Run[] = [];
for (let i = 0; i < runs; i++) none.push(await once({}, () => true, 200));
report('no platforms (baseline)', none);

const closed: Run[] = [];
for (let i = 0; i < runs; i++) {
  const root = `http://127.0.0.1:${await closedPort()}`;
  // All three warned, then into the backoff wait.
  closed.push(await once(platformsAt(root), (out) => warnings(out) >= 3, 500));
}
report('closed port', closed);

const silent = await SilentServer.start();
const hung: Run[] = [];
for (let i = 0; i < runs; i++) {
  const before = silent.connections;
  hung.push(await once(platformsAt(silent.url), () => silent.connections >= before + 3, 200));
}
await silent.close();
report('never answers', hung);

const telegram = await new FakeTelegram().start();
const slack = await FakeSlack.start();
const discord = await FakeDiscord.start({ token: DISCORD_TOKEN });
const connected: Run[] = [];
for (let i = 0; i < runs; i++) {
  const env = {
    ...platformsAt(telegram.apiRoot, slack.apiUrl, discord.apiUrl),
    TELEGRAM_BOT_TOKEN: telegram.token,
    SLACK_BOT_TOKEN: slack.workspace.botToken,
    SLACK_APP_TOKEN: slack.workspace.appToken,
  };
  connected.push(
    await once(
      env,
      (out) => /long polling started/.test(out) && /Socket Mode\) ready/.test(out) && /connected: Discord/.test(out),
      200,
    ),
  );
}
await Promise.all([telegram.stop(), slack.stop(), discord.stop()]);
report('connected', connected);
