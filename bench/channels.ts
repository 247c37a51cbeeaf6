// Round-trip overhead of each chat adapter at 50 concurrent chats, with an instant handler (no store, no
// engine): platform update in → adapter → handler → adapter → platform API call out. The fake platform and the
// simulated users run in a worker thread (bench/channel-load.ts), so the adapter has the main thread to itself.
// Usage: node bench/channels.ts [chats=50] [rounds=20]

import { Worker } from 'node:worker_threads';
import { pino } from 'pino';
import { DiscordChannel } from '../adapters/channels/discord/index.ts';
import { TelegramChannel } from '../adapters/channels/telegram/index.ts';
import { WebChannel } from '../adapters/channels/web/web-channel.ts';
import type { StoredEvent } from '../src/domain/events.ts';
import type { InboundEvent } from '../src/domain/messages.ts';
import type { Channel, InboundHandler } from '../src/ports/channel.ts';
import type { EventLog } from '../src/ports/store.ts';
import { line, summary } from './stats.ts';

const CHATS = Number(process.argv[2] ?? 50);
const ROUNDS = Number(process.argv[3] ?? 20);
const logger = pino({ level: 'silent' });

/** Answers every message at once with "pong". */
const instant: InboundHandler = {
  commands: () => [],
  async handle(event: InboundEvent, channel: Channel) {
    const sent = { id: event.id, text: 'pong', buttons: [] };
    await channel.deliver(event.chatId, sent);
    return { outcome: 'handled', replies: [sent] };
  },
};

type Platform = 'web' | 'telegram' | 'discord';

async function bench(platform: Platform, label: string, note: string, minRoundMs: number, makeChannel: (info: Record<string, string>) => Channel & { url?: string }, spreadMs = 0): Promise<void> {
  const worker = new Worker(new URL('./channel-load.ts', import.meta.url), { workerData: { platform, chats: CHATS, rounds: ROUNDS, minRoundMs, spreadMs } });
  const message = <T>(): Promise<T> => new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const { info } = await message<{ info: Record<string, string> }>();
  const channel = makeChannel(info);
  await channel.start(instant);
  const cpuBefore = process.cpuUsage();
  worker.postMessage({ info: channel.url ? { url: channel.url } : {} });
  const { samples, seconds } = await message<{ samples: number[]; seconds: number }>();
  const cpu = process.cpuUsage(cpuBefore); // the whole process: the bot's thread and the platform worker
  const busy = (cpu.user + cpu.system) / 1000 / (seconds * 1000);
  await channel.stop();
  await worker.terminate();
  const shape = spreadMs > 0 ? `${CHATS} chats, each within ${spreadMs} ms` : `${CHATS} chats at the same instant`;
  line(`${label}, ${shape}`, `${summary(samples, 'ms')}  ${Math.round(samples.length / seconds)} msg/s${note}`, 'p99 ≤ 25 ms');
  line('  CPU of bot + simulated platform', `${((cpu.user + cpu.system) / 1000 / samples.length).toFixed(2)} ms per message, ${Math.round(busy * 100)}% of a core`);
}

const noEvents = { readStream: async (): Promise<StoredEvent[]> => [] } as unknown as EventLog;
const web = () => new WebChannel({ host: '127.0.0.1', port: 0, events: noEvents, logger });
const telegram = (info: Record<string, string>) => new TelegramChannel({ token: info['token'] ?? '', apiRoot: info['apiRoot'], logger });
const discord = (info: Record<string, string>) => new DiscordChannel({ token: info['token'] ?? '', apiUrl: info['apiUrl'], logger });
// Two shapes: a burst (every chat's message at the same instant: the worst case, bound by the 2 cores that the
// bot and the simulated platform share here), and 50 chats whose messages arrive within a 250 ms window.
for (const spread of [0, 250]) {
  await bench('web', 'web chat (HTTP API)', '', spread, web, spread);
  await bench('telegram', 'Telegram (grammY, long polling)', '', spread, telegram, spread);
  // discord.js keeps Discord's global limit of 50 requests/s, so rounds start two seconds apart.
  await bench('discord', 'Discord (discord.js, gateway)', ' (rounds 2 s apart: Discord allows 50 req/s)', 2000, discord, spread);
}
