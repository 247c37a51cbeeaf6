// Round-trip overhead of each chat adapter at 50 concurrent chats. The fake platform and the simulated users run
// in a child process (bench/channel-load.ts); the bot (adapter + SDK + handler) is this process.
// Where the machine has two cores or more and `taskset` exists, the bot is pinned to core 0 and the platform to
// core 1: a real platform runs on machines of its own, and on a 2-core box an unpinned simulation takes CPU from
// the bot in the middle of a burst (and its garbage collector with it). --no-pin shares the cores as they come.
//
// What is timed: from the fake platform handing a user's message to the bot (a long poll answered, a gateway or
// Socket Mode frame sent, an HTTP request started) to the bot's answer reaching the fake platform's API.
// Two handlers: `instant` answers "pong" at once without the core (the adapter and its SDK alone); `core` is the
// real Conductor with its middleware (operator check, dedupe & record in SQLite, rate limit, command parse) and a
// text handler that answers at once, so every message is also appended to the event log, as in production.
// `telegram-bare`, `slack-bare` and `discord-bare` are the same exchanges with no SDK and no adapter (bench/bare-*.ts:
// long polling, Socket Mode, the gateway), on the same fake and load: the floor this machine allows, so that a row's
// distance from its floor is what grammY, Bolt or discord.js and the adapter cost.
// Three shapes: serial (one message at a time: the bare overhead, no queueing), burst (every chat's message at the
// same instant), spread (every chat's message at a random moment within 250 ms).
// CPU per message is measured per thread and process: the bot's main thread and its other threads (the garbage
// collector, mostly) are what the overhead costs; the platform process is the simulation's cost, not the bot's.
// The bot's thread does its work one message at a time, so in a burst the last of N messages waits for at least
// N × (bot CPU per message): that floor is printed.
//
// Usage: node bench/channels.ts [--chats=50] [--rounds=20] [--serial=100] [--gap=25]
//        [--only=web,telegram,telegram-bare,slack,slack-bare,slack-http,discord,discord-bare]
//        [--handler=instant|core|both] [--warm=10] [--no-pin] [--profile=DIR]
//        --warm: bursts before timing starts (a bot runs for days: the bench times it warm, JIT and pools ready).
//        --profile writes CPU profiles of the bot thread and of the platform process during the burst scenario,
//        one pair of .cpuprofile files per platform and handler, for Chrome DevTools or speedscope.

import type { InboundContext } from '../src/inbound/context.ts';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { DiscordChannel } from '../adapters/channels/discord/index.ts';
import { SlackChannel } from '../adapters/channels/slack/index.ts';
import { TelegramChannel } from '../adapters/channels/telegram/index.ts';
import { WEB_CHANNEL, WEB_OPERATOR, WebChannel } from '../adapters/channels/web/web-channel.ts';
import type { StoredEvent } from '../src/domain/events.ts';
import type { InboundEvent } from '../src/domain/messages.ts';
import type { Channel, InboundHandler } from '../src/ports/channel.ts';
import type { EventLog } from '../src/ports/store.ts';
import { SqliteStore } from '../adapters/stores/sqlite/index.ts';
import { tempDir } from '../test/support/app.ts';
import { testCore } from '../test/support/services.ts';
import type { LoadOptions, Platform, Result, Scenario } from './channel-load.ts';
import { BareDiscord } from './bare-discord.ts';
import { BareSlack } from './bare-slack.ts';
import { BareTelegram } from './bare-telegram.ts';
import { startProfile } from './profile.ts';
import { percentile } from './stats.ts';

const { values: args } = parseArgs({
  options: {
    chats: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '20' },
    serial: { type: 'string', default: '100' },
    gap: { type: 'string', default: '25' },
    only: { type: 'string', default: 'web,telegram,telegram-bare,slack,slack-bare,slack-http,discord,discord-bare' },
    handler: { type: 'string', default: 'both' },
    warm: { type: 'string', default: '10' },
    'no-pin': { type: 'boolean', default: false },
    profile: { type: 'string' },
  },
});
const CHATS = Number(args.chats);
const ROUNDS = Number(args.rounds);
const SERIAL = Number(args.serial);
/** Pause between serial messages, ms. With 25 (the default), Discord's 50 requests/s are never exceeded. */
const GAP_MS = Number(args.gap);
const PLATFORMS = args.only.split(',') as Platform[];
const HANDLERS = (args.handler === 'both' ? ['instant', 'core'] : [args.handler]) as ('instant' | 'core')[];
const TARGET_MS = 25;
const WARM_BURSTS = Number(args.warm);
const CORES = availableParallelism();
/** Core 0 for the bot (this process, every thread), core 1 for the platform; undefined when not pinned. */
const PINNED =
  !args['no-pin'] && CORES >= 2 && spawnSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)]).status === 0;
const TEXT = 'ping';
const logger = pino({ level: 'silent' });

/** Answers every message at once with "pong", without the core. */
const instant: InboundHandler = {
  commands: () => [],
  async handle(event: InboundEvent, channel: Channel) {
    const sent = { id: event.id, text: 'pong', buttons: [] };
    await channel.deliver(event.chatId, sent);
    return { outcome: 'handled', replies: [sent] };
  },
};

/** The real conductor and middleware on a fresh SQLite store; "ping" is answered at once by a text handler. */
async function core(
  channel: string,
  senders: string[],
  channels: () => Channel[],
): Promise<{ handler: InboundHandler; events: EventLog; close: () => Promise<void> }> {
  const store = new SqliteStore(tempDir('solo-bench-'));
  await store.init();
  for (const externalId of senders)
    await store.identities.upsert({ channel, externalId, label: 'operator', linkedAt: new Date(), via: 'config' });
  if (channel === WEB_CHANNEL)
    await store.identities.upsert({
      channel: WEB_CHANNEL,
      externalId: WEB_OPERATOR,
      label: 'local web chat',
      linkedAt: new Date(),
      via: 'local',
    });
  // The limit stays on (its middleware is part of the path) but high enough for the bench's pace.
  const pong = async (ctx: InboundContext, text: string): Promise<boolean> => {
    if (text !== TEXT) return false;
    await ctx.reply('pong');
    return true;
  };
  const handler = testCore({
    store,
    logger,
    channels,
    ratePerMinute: 100_000,
    bare: true,
    registry: (r) => r.text(pong),
  }).conductor;
  return { handler, events: store.events, close: () => store.close() };
}

const noEvents = { readStream: async (): Promise<StoredEvent[]> => [] } as unknown as EventLog;

function makeChannel(platform: Platform, info: Record<string, string>, events: EventLog): Channel {
  switch (platform) {
    case 'web':
      return new WebChannel({ host: '127.0.0.1', port: 0, events, logger });
    case 'telegram':
      return new TelegramChannel({ token: info['token'] ?? '', apiRoot: info['apiRoot'], logger });
    case 'telegram-bare':
      return new BareTelegram(info['token'] ?? '', info['apiRoot'] ?? '');
    case 'slack':
      return new SlackChannel({
        botToken: info['botToken'] ?? '',
        appToken: info['appToken'],
        apiUrl: info['apiUrl'],
        logger,
      });
    case 'slack-bare':
      return new BareSlack(info['botToken'] ?? '', info['appToken'] ?? '', info['apiUrl'] ?? '');
    case 'slack-http':
      return new SlackChannel({
        botToken: info['botToken'] ?? '',
        signingSecret: info['signingSecret'],
        apiUrl: info['apiUrl'],
        port: 0,
        logger,
      });
    case 'discord':
      return new DiscordChannel({ token: info['token'] ?? '', apiUrl: info['apiUrl'], logger });
    case 'discord-bare':
      return new BareDiscord(info['token'] ?? '', info['apiUrl'] ?? '');
  }
}

const LABELS: Record<Platform, string> = {
  web: 'web chat (HTTP API)',
  telegram: 'Telegram (grammY, long polling)',
  'telegram-bare': 'Telegram with no SDK and no adapter (bench/bare-telegram.ts: the floor under the Telegram row)',
  slack: 'Slack (Bolt, Socket Mode)',
  'slack-bare': 'Slack Socket Mode with no SDK and no adapter (bench/bare-slack.ts: the floor under the Slack row)',
  'slack-http': 'Slack (Bolt, HTTP events)',
  discord: 'Discord (discord.js, gateway)',
  'discord-bare': 'Discord gateway with no SDK and no adapter (bench/bare-discord.ts: the floor under the Discord row)',
};

/** The channel name a platform's messages carry (the bare floors and Slack's HTTP mode stand in for a real one). */
const CHANNEL_OF: Record<Platform, string> = {
  web: WEB_CHANNEL,
  telegram: 'telegram',
  'telegram-bare': 'telegram',
  slack: 'slack',
  'slack-bare': 'slack',
  'slack-http': 'slack',
  discord: 'discord',
  'discord-bare': 'discord',
};

interface Row {
  scenario: string;
  samples: number[];
  seconds: number;
  botMs: number;
  /** The part of botMs spent in the kernel (socket writes, wake-ups). */
  botSysMs: number;
  platformMs: number;
  otherMs: number;
}

async function bench(platform: Platform, handlerKind: 'instant' | 'core'): Promise<Row[]> {
  const load: LoadOptions = { platform, chats: CHATS, text: TEXT, warmBursts: WARM_BURSTS };
  const script = fileURLToPath(new URL('./channel-load.ts', import.meta.url));
  const [command, argv] = PINNED ? ['taskset', ['-c', '1', process.execPath, script]] : [process.execPath, [script]];
  const child = spawn(command, argv, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, CHANNEL_LOAD: JSON.stringify(load) },
  });
  child.on('exit', (code, signal) => {
    if (code === 0) return;
    console.error(`the ${platform} platform process ended (${code ?? signal})`);
    process.exit(1);
  });
  const next = <T>(): Promise<T> => new Promise((resolve) => child.once('message', (msg) => resolve(msg as T)));
  const post = (msg: unknown): void => void child.send(msg as object);
  const { info, senders } = await next<{ info: Record<string, string>; senders: string[] }>();
  const running: Channel[] = [];
  const made =
    handlerKind === 'core'
      ? await core(CHANNEL_OF[platform], senders, () => running)
      : { handler: instant, events: noEvents, close: async () => {} };
  const channel = makeChannel(platform, info, made.events);
  running.push(channel);
  await channel.start(made.handler);
  const connect: Record<string, string> = {};
  if (channel instanceof WebChannel) connect['url'] = channel.url;
  if (channel instanceof SlackChannel) connect['eventsUrl'] = channel.eventsUrl;
  post({ connect });
  await next();

  // discord.js keeps Discord's global limit of 50 requests/s: serial messages 25 ms apart, bursts 2 s apart.
  const discord = CHANNEL_OF[platform] === 'discord';
  const minRoundMs = discord ? 2000 : 500;
  const scenarios: [string, Scenario][] = [
    ['idle', { kind: 'idle', ms: 2000 }],
    ['serial', { kind: 'serial', messages: SERIAL, gapMs: GAP_MS }],
    ['burst', { kind: 'burst', rounds: ROUNDS, spreadMs: 0, minRoundMs }],
    ['spread 250 ms', { kind: 'spread', rounds: ROUNDS, spreadMs: 250, minRoundMs }],
  ];
  const rows: Row[] = [];
  for (const [name, scenario] of scenarios) {
    // Rounds start from quiet: the previous scenario's requests no longer count against a rate-limit window.
    if (scenario.kind === 'burst' || scenario.kind === 'spread')
      await new Promise((resolve) => setTimeout(resolve, scenario.minRoundMs));
    const profile =
      args.profile && name === 'burst' ? join(args.profile, `${platform}-${handlerKind}-burst`) : undefined;
    const profiling = profile ? await startProfile() : undefined;
    const bot = process.threadCpuUsage();
    const all = process.cpuUsage();
    post({ scenario, profile: profile && `${profile}-platform.cpuprofile` });
    const { result } = await next<{ result: Result }>();
    if (profiling && profile) await profiling(`${profile}-bot.cpuprofile`);
    const botUsed = process.threadCpuUsage(bot);
    const allUsed = process.cpuUsage(all);
    const botMs = (botUsed.user + botUsed.system) / 1000;
    const allMs = (allUsed.user + allUsed.system) / 1000;
    rows.push({
      scenario: name,
      samples: result.samples,
      seconds: result.seconds,
      botMs,
      botSysMs: botUsed.system / 1000,
      platformMs: result.cpuMs,
      otherMs: Math.max(0, allMs - botMs),
    });
  }
  await channel.stop();
  post({ stop: true });
  await next();
  if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
  await made.close();
  return rows;
}

const ms = (n: number): string => n.toFixed(1).padStart(6);
const cpu = (n: number): string => n.toFixed(2).padStart(5);

function print(platform: Platform, handlerKind: string, rows: Row[]): void {
  console.log(
    `\n${LABELS[platform]}, ${handlerKind} handler, ${CHATS} chats   (load average ${loadavg()[0]?.toFixed(1)} on ${CORES} cores)`,
  );
  console.log(
    '  scenario        p50 ms  p95 ms  p99 ms    n  msg/s | CPU ms per message: bot thread (kernel)  bot, other threads  platform process',
  );
  for (const r of rows) {
    if (r.scenario === 'idle') {
      console.log(
        `  idle ${r.seconds.toFixed(0)} s, no message: the bot thread used ${r.botMs.toFixed(1)} ms of CPU (${((100 * r.botMs) / (r.seconds * 1000)).toFixed(2)}% of a core)`,
      );
      continue;
    }
    const s = [...r.samples].sort((a, b) => a - b);
    const n = s.length;
    const verdict = r.scenario === 'serial' ? '' : percentile(s, 99) <= TARGET_MS ? '  ✓ p99 ≤ 25' : '  ✗ p99 > 25';
    console.log(
      `  ${r.scenario.padEnd(14)} ${ms(percentile(s, 50))}  ${ms(percentile(s, 95))}  ${ms(percentile(s, 99))} ${String(n).padStart(4)} ${String(Math.round(n / r.seconds)).padStart(6)} |` +
        `                    ${cpu(r.botMs / n)} (${cpu(r.botSysMs / n)})               ${cpu(r.otherMs / n)}             ${cpu(r.platformMs / n)}${verdict}`,
    );
  }
  const burst = rows.find((r) => r.scenario === 'burst');
  if (burst) {
    const perMessage = burst.botMs / burst.samples.length;
    console.log(
      `  burst floor: the bot thread works through ${CHATS} messages one at a time: ${CHATS} × ${perMessage.toFixed(2)} ms = ${(CHATS * perMessage).toFixed(1)} ms for the last one, before any wait for the platform`,
    );
  }
}

/**
 * The core alone, without adapter or network: Conductor.handle for bursts of CHATS messages (one per chat) on a
 * channel whose deliver does nothing. What the middleware, the event log and the conductor cost per message.
 */
async function coreAlone(): Promise<void> {
  const channel: Channel = {
    name: 'bench',
    start: async () => {},
    stop: async () => {},
    deliver: async () => undefined,
    describe: () => 'bench',
  };
  const senders = Array.from({ length: CHATS }, (_, i) => `user${i}`);
  const made = await core('bench', senders, () => [channel]);
  let n = 0;
  const burst = (): Promise<unknown> =>
    Promise.all(
      senders.map((s) =>
        made.handler.handle(
          { kind: 'message', id: String(++n), channel: 'bench', chatId: s, senderId: s, text: TEXT },
          channel,
        ),
      ),
    );
  for (let r = 0; r < 5; r++) await burst();
  const walls: number[] = [];
  const bot = process.threadCpuUsage();
  for (let r = 0; r < ROUNDS * 5; r++) {
    const t = performance.now();
    await burst();
    walls.push(performance.now() - t);
  }
  const used = process.threadCpuUsage(bot);
  await made.close();
  const s = walls.sort((a, b) => a - b);
  const messages = ROUNDS * 5 * CHATS;
  console.log(
    `\nCore alone (conductor + middleware + SQLite event log, no adapter), bursts of ${CHATS}   (load average ${loadavg()[0]?.toFixed(1)} on 2 cores)`,
  );
  console.log(
    `  CPU per message ${((used.user + used.system) / 1000 / messages).toFixed(3)} ms (kernel ${(used.system / 1000 / messages).toFixed(3)} ms); a burst of ${CHATS} takes p50 ${s[Math.floor(s.length / 2)]?.toFixed(1)} ms, p99 ${percentile(s, 99).toFixed(1)} ms`,
  );
}

console.log(
  `Chat adapter round trips: platform hands over a message → the bot's answer reaches the platform API. Target: p99 ≤ ${TARGET_MS} ms at ${CHATS} concurrent chats.`,
);
console.log(
  PINNED
    ? 'The bot is pinned to core 0, the platform simulation to core 1.'
    : 'Not pinned: the bot and the platform simulation share the cores.',
);
console.log(`Timed after a warm-up of ${CHATS} serial messages and ${WARM_BURSTS} bursts.`);
if (HANDLERS.includes('core')) await coreAlone();
/** Each SDK row's floor: the same exchange with no SDK and no adapter. */
const FLOOR_OF: Partial<Record<Platform, Platform>> = {
  telegram: 'telegram-bare',
  slack: 'slack-bare',
  discord: 'discord-bare',
};

/** SDK rows next to their floors, so that what the SDK and the adapter add is read off one line. */
function printFloors(handlerKind: string, results: Map<Platform, Row[]>): void {
  const burst = (p: Platform): { p99: number; cpu: number } | undefined => {
    const row = results.get(p)?.find((r) => r.scenario === 'burst');
    return (
      row && {
        p99: percentile(
          [...row.samples].sort((a, b) => a - b),
          99,
        ),
        cpu: row.botMs / row.samples.length,
      }
    );
  };
  const lines: string[] = [];
  for (const [platform, floor] of Object.entries(FLOOR_OF) as [Platform, Platform][]) {
    const sdk = burst(platform);
    const bare = burst(floor);
    if (!sdk || !bare) continue;
    lines.push(
      `  ${platform.padEnd(9)} burst p99 ${ms(sdk.p99)} ms, floor ${ms(bare.p99)} ms (${sdk.p99 >= bare.p99 ? '+' : '−'}${Math.abs(sdk.p99 - bare.p99).toFixed(1)});` +
        `  bot CPU per message ${cpu(sdk.cpu)} ms, floor ${cpu(bare.cpu)} ms (+${Math.max(0, sdk.cpu - bare.cpu).toFixed(2)}: the SDK and the adapter)`,
    );
  }
  if (lines.length === 0) return;
  console.log(`
SDK rows against their floors (no SDK, no adapter), ${handlerKind} handler:`);
  for (const line of lines) console.log(line);
}

for (const handlerKind of HANDLERS) {
  const results = new Map<Platform, Row[]>();
  for (const platform of PLATFORMS) {
    const rows = await bench(platform, handlerKind);
    results.set(platform, rows);
    print(platform, handlerKind, rows);
  }
  printFloors(handlerKind, results);
}
