// The floor under the Discord adapter: the same gateway exchange with no SDK and no adapter. One WebSocket (ws)
// speaking gateway v10 in JSON (HELLO, IDENTIFY, heartbeats with the last sequence number), each DM's MESSAGE_CREATE
// handed to the handler on a turn of its own, each reply one JSON POST to /channels/:id/messages over node:http.
// bench/channels.ts runs it as the platform `discord-bare`, against the same fake and the same load: the difference
// between it and `discord` is the overhead of discord.js and the adapter. Bench code only: no resume or reconnect,
// no rate-limit handling, no validation beyond what keeps it from crashing.

import { Agent, request } from 'node:http';
import WebSocket from 'ws';
import type { SentMessage } from '../src/domain/messages.ts';
import type { Channel, DeliveryRef, InboundHandler } from '../src/ports/channel.ts';
import { nextTurn } from '../adapters/channels/shared/turn.ts';

interface Frame {
  op: number;
  d?: unknown;
  s?: number | null;
  t?: string | null;
}

interface MessageCreate {
  id: string;
  channel_id: string;
  guild_id?: string;
  author: { id: string; bot?: boolean };
  content: string;
}

const Op = { dispatch: 0, heartbeat: 1, identify: 2, hello: 10 } as const;
// DIRECT_MESSAGES | MESSAGE_CONTENT: DMs, with their text.
const INTENTS = (1 << 12) | (1 << 15);

export class BareDiscord implements Channel {
  readonly name = 'discord';
  readonly #token: string;
  readonly #api: string;
  /** Node's HTTP server (the fake) closes connections idle 5 s; closing ours at 4 s never reuses one it is closing (no retry here). */
  readonly #agent = new Agent({ keepAlive: true, timeout: 4000 });
  #socket: WebSocket | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #seq: number | null = null;

  /** `apiUrl` is the REST base without the version (`https://discord.com/api`, or the fake's `apiUrl`). */
  constructor(token: string, apiUrl: string) {
    this.#token = token;
    this.#api = `${apiUrl}/v10`;
  }

  describe(): string {
    return 'bare Discord gateway (bench)';
  }

  async start(handler: InboundHandler): Promise<void> {
    const { url } = (await this.#call('GET', '/gateway/bot')) as { url: string };
    const socket = new WebSocket(`${url}/?v=10&encoding=json`);
    this.#socket = socket;
    await new Promise<void>((resolve, reject) => {
      socket.on('error', reject);
      socket.on('close', (code) => reject(new Error(`the Discord gateway closed the connection (${code})`)));
      socket.on('message', (data: Buffer) => {
        let frame: Frame;
        try {
          frame = JSON.parse(data.toString('utf8')) as Frame;
        } catch {
          return;
        }
        if (typeof frame.s === 'number') this.#seq = frame.s;
        if (frame.op === Op.hello) {
          const { heartbeat_interval: every } = frame.d as { heartbeat_interval: number };
          this.#heartbeat = setInterval(() => socket.send(JSON.stringify({ op: Op.heartbeat, d: this.#seq })), every);
          socket.send(
            JSON.stringify({
              op: Op.identify,
              d: {
                token: this.#token,
                intents: INTENTS,
                properties: { os: process.platform, browser: 'bench', device: 'bench' },
              },
            }),
          );
        } else if (frame.op === Op.dispatch && frame.t === 'READY') {
          resolve();
        } else if (frame.op === Op.dispatch && frame.t === 'MESSAGE_CREATE') {
          const m = frame.d as MessageCreate;
          if (m.author.bot || m.guild_id !== undefined) return;
          void nextTurn()
            .then(() =>
              handler.handle(
                {
                  kind: 'message',
                  id: m.id,
                  channel: 'discord',
                  chatId: m.channel_id,
                  senderId: m.author.id,
                  text: m.content,
                },
                this,
              ),
            )
            .catch((err: unknown) => console.error('bare Discord: handling a message failed', err));
        }
      });
    });
  }

  async stop(): Promise<void> {
    clearInterval(this.#heartbeat);
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket && socket.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.close(1000);
      });
    }
    this.#agent.destroy();
  }

  async deliver(chatId: string, message: SentMessage): Promise<DeliveryRef> {
    const sent = (await this.#call('POST', `/channels/${chatId}/messages`, {
      content: message.text,
      allowed_mentions: { parse: [] },
    })) as { id: string };
    return { channel: 'discord', chatId, messageId: sent.id };
  }

  #call(method: string, path: string, params?: object): Promise<unknown> {
    const body = params === undefined ? undefined : JSON.stringify(params);
    const headers = {
      authorization: `Bot ${this.#token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }),
    };
    return new Promise((resolve, reject) => {
      const req = request(`${this.#api}${path}`, { method, agent: this.#agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 300) return reject(new Error(`${method} ${path}: ${status} ${text}`));
          try {
            resolve(text ? (JSON.parse(text) as unknown) : undefined);
          } catch {
            reject(new Error(`${method} ${path}: the answer is not JSON`));
          }
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }
}
