// Worker thread for bench/channels.ts: hosts the fake platform and the simulated users, on its own core, and
// measures each round trip from "user sends" to "the bot's answer reached the platform API".

import { parentPort, workerData } from 'node:worker_threads';
import { FakeDiscord } from '../test/fakes/discord/server.ts';
import { FakeTelegram } from '../test/fakes/telegram/server.ts';

const { platform, chats, rounds, minRoundMs, spreadMs } = workerData as { platform: 'web' | 'telegram' | 'discord'; chats: number; rounds: number; minRoundMs: number; spreadMs: number };
const port = parentPort;
if (!port) throw new Error('run as a worker');

type RoundTrip = (chat: number) => Promise<void>;

async function setUp(): Promise<{ info: Record<string, string>; roundTrip: (info: Record<string, string>) => RoundTrip; stop: () => Promise<void> }> {
  if (platform === 'telegram') {
    const fake = new FakeTelegram();
    await fake.start();
    const waiting = new Map<string, () => void>();
    const push = fake.calls.push.bind(fake.calls);
    fake.calls.push = (...calls) => {
      for (const c of calls) if (c.method === 'sendMessage') waiting.get(String(c.params.chat_id))?.();
      return push(...calls);
    };
    const users = Array.from({ length: chats }, (_, i) => ({ id: 10_000 + i, is_bot: false, first_name: `user${i}` }));
    return {
      info: { token: fake.token, apiRoot: fake.apiRoot },
      roundTrip: () => (chat) => {
        const user = users[chat % users.length] ?? users[0]!;
        const answered = new Promise<void>((resolve) => waiting.set(String(user.id), resolve));
        fake.api.userSends(user, 'ping');
        return answered;
      },
      stop: () => fake.stop(),
    };
  }
  if (platform === 'discord') {
    const fake = await FakeDiscord.start({ heartbeatIntervalMs: 10_000 });
    const users = Array.from({ length: chats }, (_, i) => fake.addUser(`user${i}`));
    const waiting = new Map<string, () => void>();
    fake.on('call', (c: { method: string; path: string }) => {
      const m = /^\/channels\/(\d+)\/messages$/.exec(c.path);
      if (c.method === 'POST' && m?.[1]) waiting.get(m[1])?.();
    });
    return {
      info: { token: fake.token, apiUrl: fake.apiUrl },
      roundTrip: () => (chat) => {
        const user = users[chat % users.length] ?? users[0]!;
        const dm = fake.dmWith(user);
        const answered = new Promise<void>((resolve) => waiting.set(dm.id, resolve));
        fake.userSays(user, 'ping');
        return answered;
      },
      stop: () => fake.stop(),
    };
  }
  return {
    info: {},
    roundTrip: (info) => async () => {
      const res = await fetch(`${info['url'] ?? ''}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"ping"}' });
      if (res.status !== 200) throw new Error(`web answered ${res.status}`);
      await res.arrayBuffer();
    },
    stop: async () => {},
  };
}

const setup = await setUp();
port.postMessage({ type: 'ready', info: setup.info });
port.once('message', (start: { info: Record<string, string> }) => {
  void (async () => {
    const roundTrip = setup.roundTrip({ ...setup.info, ...start.info });
    for (let i = 0; i < chats; i++) await roundTrip(i); // warm-up
    if (minRoundMs > 0) await new Promise((resolve) => setTimeout(resolve, minRoundMs)); // let a rate-limit window pass
    const samples: number[] = [];
    const began = performance.now();
    for (let r = 0; r < rounds; r++) {
      const roundStart = performance.now();
      await Promise.all(
        Array.from({ length: chats }, async (_, chat) => {
          // spreadMs > 0: the chats' messages arrive at random moments within that window instead of all at once.
          if (spreadMs > 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * spreadMs));
          const t = performance.now();
          await roundTrip(chat);
          samples.push(performance.now() - t);
        }),
      );
      const left = minRoundMs - (performance.now() - roundStart);
      if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
    }
    const seconds = (performance.now() - began) / 1000;
    await setup.stop();
    port.postMessage({ type: 'done', samples, seconds });
  })();
});
