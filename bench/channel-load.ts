// Child process for bench/channels.ts: hosts one fake platform and the simulated users, in a process of its own, and
// times each round trip from "the platform hands the user's message to the bot" (a long poll answered, a gateway
// or Socket Mode frame sent, an HTTP request started) to "the bot's answer reached the platform API"
// (sendMessage, chat.postMessage, POST /channels/:id/messages, or the web chat's HTTP response).
// The simulated users' own HTTP requests (web chat, Slack's signed event posts) go through apiFetch, the adapters'
// lean client: Node's fetch would cost the simulation 0.4 ms per request, and it has one core to itself.
// It runs the scenarios the bench asks for (over the IPC channel), one at a time, and reports samples and this
// process's CPU time.

import { apiFetch } from '../adapters/channels/shared/fetch.ts';
import { startProfile } from './profile.ts';
import { FakeDiscord } from '../test/fakes/discord/server.ts';
import { postSigned } from '../test/fakes/slack/http-mode.ts';
import { FakeSlack } from '../test/fakes/slack/server.ts';
import { FakeTelegram } from '../test/fakes/telegram/server.ts';

export type Platform =
  'web' | 'telegram' | 'telegram-bare' | 'slack' | 'slack-bare' | 'slack-http' | 'discord' | 'discord-bare';
/** idle: no message (what the connection costs by itself); serial: one message at a time, `gapMs` apart (no queueing: the bare overhead); burst: every chat at once; spread: every chat within `spreadMs`. */
export type Scenario =
  | { kind: 'idle'; ms: number }
  | { kind: 'serial'; messages: number; gapMs: number }
  | { kind: 'burst' | 'spread'; rounds: number; spreadMs: number; minRoundMs: number };
export interface Result {
  samples: number[];
  seconds: number;
  /** CPU time of this (the platform's) process during the scenario, its garbage collector included, ms. */
  cpuMs: number;
}

export const SLACK_SIGNING_SECRET = 'bench-signing-secret';
export interface LoadOptions {
  platform: Platform;
  chats: number;
  text: string;
  /** Bursts before the first timed one (JIT, connection pools, caches). */
  warmBursts: number;
}
const { platform, chats, text, warmBursts } = JSON.parse(process.env['CHANNEL_LOAD'] ?? 'null') as LoadOptions;
const send = process.send?.bind(process);
if (!send || !platform) throw new Error('bench/channel-load.ts is started by bench/channels.ts');
const port = { postMessage: (msg: unknown): void => void send(msg) };
// The bench died: nothing is left to answer to.
process.on('disconnect', () => process.exit(0));

/** Sends chat i's message and resolves when the answer reached the platform. */
type RoundTrip = (chat: number) => Promise<void>;
interface Setup {
  /** What the main thread needs to connect its adapter (tokens, URLs) and which platform ids the senders have. */
  info: Record<string, string>;
  senders: string[];
  roundTrip: (info: Record<string, string>) => RoundTrip;
  stop: () => Promise<void>;
}

/** Answer waiters by chat id: the fake's hook resolves the one waiting for that chat. */
function waiters(): { wait: (chat: string) => Promise<void>; arrived: (chat: string) => void } {
  const waiting = new Map<string, () => void>();
  return {
    wait: (chat) => new Promise<void>((resolve) => waiting.set(chat, resolve)),
    arrived: (chat) => {
      const done = waiting.get(chat);
      waiting.delete(chat);
      done?.();
    },
  };
}

async function setUp(): Promise<Setup> {
  if (platform === 'telegram' || platform === 'telegram-bare') {
    const fake = new FakeTelegram();
    await fake.start();
    const { wait, arrived } = waiters();
    // The fake records every call; the bench keeps none (they would pile up) and watches for the replies.
    fake.calls.push = (...calls) => {
      for (const c of calls) if (c.method === 'sendMessage') arrived(String(c.params.chat_id));
      return 0;
    };
    const users = Array.from({ length: chats }, (_, i) => ({ id: 10_000 + i, is_bot: false, first_name: `user${i}` }));
    return {
      info: { token: fake.token, apiRoot: fake.apiRoot },
      senders: users.map((u) => String(u.id)),
      roundTrip: () => (chat) => {
        const user = users[chat % users.length] ?? users[0]!;
        const answered = wait(String(user.id));
        fake.api.userSends(user, text);
        return answered;
      },
      stop: () => fake.stop(),
    };
  }
  if (platform === 'slack' || platform === 'slack-bare' || platform === 'slack-http') {
    const fake = await FakeSlack.start();
    const { wait, arrived } = waiters();
    fake.calls.push = (...calls) => {
      for (const c of calls) if (c.method === 'chat.postMessage' && c.result.ok) arrived(String(c.args.channel));
      return 0;
    };
    const users = Array.from({ length: chats }, (_, i) => `U0USER${i}`);
    const ims = users.map((u) => fake.workspace.openIm(u));
    const { workspace } = fake;
    return {
      info: {
        botToken: workspace.botToken,
        appToken: workspace.appToken,
        apiUrl: fake.apiUrl,
        signingSecret: SLACK_SIGNING_SECRET,
      },
      senders: users,
      roundTrip: (info) => (chat) => {
        const i = chat % users.length;
        const answered = wait(ims[i]!);
        const { payload } = workspace.directMessage(users[i]!, text);
        if (platform !== 'slack-http') {
          void fake.socket.send('events_api', payload).acked.catch(() => undefined);
          return answered;
        }
        const url = info['eventsUrl'] ?? '';
        return Promise.all([
          answered,
          postSigned(url, SLACK_SIGNING_SECRET, { kind: 'event', payload }, undefined, apiFetch),
        ]).then(([, res]) => {
          if (res.status !== 200) throw new Error(`the Slack events endpoint answered ${res.status}`);
        });
      },
      stop: () => fake.stop(),
    };
  }
  if (platform === 'discord' || platform === 'discord-bare') {
    const fake = await FakeDiscord.start({ heartbeatIntervalMs: 10_000 });
    const users = Array.from({ length: chats }, (_, i) => fake.addUser(`user${i}`));
    const dms = users.map((u) => fake.dmWith(u).id);
    const { wait, arrived } = waiters();
    fake.calls.push = () => 0;
    fake.frames.push = () => 0;
    fake.on('call', (c: { method: string; path: string }) => {
      const m = /^\/channels\/(\d+)\/messages$/.exec(c.path);
      if (c.method === 'POST' && m?.[1]) arrived(m[1]);
    });
    return {
      info: { token: fake.token, apiUrl: fake.apiUrl },
      senders: users.map((u) => u.id),
      roundTrip: () => (chat) => {
        const i = chat % users.length;
        const answered = wait(dms[i]!);
        fake.userSays(users[i]!, text);
        return answered;
      },
      stop: () => fake.stop(),
    };
  }
  return {
    info: {},
    senders: ['operator'],
    roundTrip: (info) => async () => {
      const res = await apiFetch(`${info['url'] ?? ''}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text }),
      });
      if (res.status !== 200) throw new Error(`web answered ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
    },
    stop: async () => {},
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function run(roundTrip: RoundTrip, scenario: Scenario): Promise<Result> {
  const samples: number[] = [];
  const cpu = process.cpuUsage();
  const began = performance.now();
  const timed = async (chat: number): Promise<void> => {
    const t = performance.now();
    await roundTrip(chat);
    samples.push(performance.now() - t);
  };
  if (scenario.kind === 'idle') {
    await sleep(scenario.ms);
  } else if (scenario.kind === 'serial') {
    for (let i = 0; i < scenario.messages; i++) {
      await timed(i);
      await sleep(scenario.gapMs);
    }
  } else {
    for (let r = 0; r < scenario.rounds; r++) {
      const roundStart = performance.now();
      await Promise.all(
        Array.from({ length: chats }, async (_, chat) => {
          // spread: the chats' messages arrive at random moments within that window instead of all at once.
          if (scenario.kind === 'spread') await sleep(Math.random() * scenario.spreadMs);
          await timed(chat);
        }),
      );
      const left = scenario.minRoundMs - (performance.now() - roundStart);
      if (left > 0) await sleep(left);
    }
  }
  const seconds = (performance.now() - began) / 1000;
  const used = process.cpuUsage(cpu);
  return { samples, seconds, cpuMs: (used.user + used.system) / 1000 };
}

const setup = await setUp();
port.postMessage({ info: setup.info, senders: setup.senders });
let roundTrip: RoundTrip | undefined;
process.on(
  'message',
  (msg: { connect: Record<string, string> } | { scenario: Scenario; profile?: string } | { stop: true }) => {
    void (async () => {
      if ('connect' in msg) {
        roundTrip = setup.roundTrip({ ...setup.info, ...msg.connect });
        // Warm-up, not timed: every chat once, one after another, then bursts (JIT, connection pools, caches).
        const rt = roundTrip;
        for (let i = 0; i < chats; i++) await rt(i);
        for (let r = 0; r < warmBursts; r++) await Promise.all(Array.from({ length: chats }, (_, i) => rt(i)));
        return port.postMessage({ connected: true });
      }
      if ('stop' in msg) {
        await setup.stop();
        port.postMessage({ stopped: true });
        return process.disconnect();
      }
      if (!roundTrip) throw new Error('connect first');
      const stop = msg.profile ? await startProfile() : undefined;
      const result = await run(roundTrip, msg.scenario);
      if (stop && msg.profile) await stop(msg.profile);
      port.postMessage({ result });
    })();
  },
);
