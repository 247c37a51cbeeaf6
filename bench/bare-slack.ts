// The floor under the Slack adapter: the same Socket Mode exchange with no SDK and no adapter. apps.connections.open
// over node:http, one WebSocket (the `ws` package), each envelope acked at once, each DM handed to the handler on a
// turn of its own, each reply one JSON POST of chat.postMessage over a keep-alive agent.
// bench/channels.ts runs it as the platform `slack-bare`, against the same fake and the same load: what it measures is
// what this machine's HTTP and WebSocket stacks, event loop and garbage collector cost a bot with nothing in the way.
// The difference between it and `slack` is the overhead of Bolt and the adapter. Bench code only: no retries, no
// reconnects, no validation, no 429 handling.

import { once } from 'node:events';
import { Agent, request } from 'node:http';
import WebSocket from 'ws';
import type { SentMessage } from '../src/domain/messages.ts';
import type { Channel, DeliveryRef, InboundHandler } from '../src/ports/channel.ts';
import { nextTurn } from '../adapters/channels/shared/turn.ts';

interface Frame {
  type?: string;
  envelope_id?: string;
  payload?: {
    event_id?: string;
    event?: {
      type?: string;
      channel_type?: string;
      subtype?: string;
      bot_id?: string;
      channel: string;
      user: string;
      text: string;
    };
  };
}
type Answer = { ok: boolean; error?: string } & Record<string, unknown>;

export class BareSlack implements Channel {
  readonly name = 'slack';
  readonly #botToken: string;
  readonly #appToken: string;
  readonly #apiUrl: string;
  /** Node's HTTP server (the fake) closes connections idle 5 s; closing ours at 4 s never reuses one it is closing (no retry here). */
  readonly #agent = new Agent({ keepAlive: true, timeout: 4000 });
  #socket: WebSocket | undefined;

  /** apiUrl is the Web API base with its trailing slash, e.g. http://127.0.0.1:PORT/api/. */
  constructor(botToken: string, appToken: string, apiUrl: string) {
    this.#botToken = botToken;
    this.#appToken = appToken;
    this.#apiUrl = apiUrl;
  }

  describe(): string {
    return 'bare Slack Socket Mode (bench)';
  }

  async start(handler: InboundHandler): Promise<void> {
    const { url } = await this.#call('apps.connections.open', {}, this.#appToken);
    const socket = new WebSocket(String(url));
    this.#socket = socket;
    await new Promise<void>((resolve, reject) => {
      socket.on('error', (err) => {
        console.error('bare Slack: WebSocket error', err);
        reject(err);
      });
      socket.once('close', () => reject(new Error('bare Slack: the WebSocket closed before hello')));
      socket.on('message', (data) => {
        let frame: Frame;
        try {
          frame = JSON.parse((data as Buffer).toString('utf8')) as Frame;
        } catch {
          return;
        }
        if (frame.type === 'hello') return resolve();
        if (typeof frame.envelope_id !== 'string') return;
        socket.send(JSON.stringify({ envelope_id: frame.envelope_id }));
        const event = frame.payload?.event;
        if (
          frame.type !== 'events_api' ||
          event?.type !== 'message' ||
          event.channel_type !== 'im' ||
          event.subtype ||
          event.bot_id
        )
          return;
        const inbound = {
          kind: 'message',
          id: String(frame.payload?.event_id),
          channel: 'slack',
          chatId: event.channel,
          senderId: event.user,
          text: event.text,
        } as const;
        void nextTurn()
          .then(() => handler.handle(inbound, this))
          .catch((err: unknown) => console.error('bare Slack: handling an event failed', err));
      });
    });
  }

  async stop(): Promise<void> {
    const socket = this.#socket;
    if (socket && socket.readyState !== WebSocket.CLOSED) {
      const closed = once(socket, 'close');
      socket.close();
      await closed;
    }
    this.#agent.destroy();
  }

  async deliver(chatId: string, message: SentMessage): Promise<DeliveryRef> {
    const sent = await this.#call('chat.postMessage', { channel: chatId, text: message.text }, this.#botToken);
    return { channel: 'slack', chatId, messageId: String(sent.ts) };
  }

  #call(method: string, args: object, token: string): Promise<Answer> {
    const body = JSON.stringify(args);
    const headers = {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      authorization: `Bearer ${token}`,
    };
    return new Promise((resolve, reject) => {
      const req = request(`${this.#apiUrl}${method}`, { method: 'POST', agent: this.#agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const answer = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Answer;
          if (answer.ok) resolve(answer);
          else reject(new Error(`${method}: ${answer.error ?? res.statusCode}`));
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }
}
