// The floor under the Telegram adapter: the same Bot API exchange with no SDK and no adapter. A long-poll loop over
// node:http, each update handed to the handler on a turn of its own, each reply one JSON POST of sendMessage.
// bench/channels.ts runs it as the platform `telegram-bare`, against the same fake and the same load: what it
// measures is what this machine's HTTP stack, event loop and garbage collector cost a bot with nothing in the way.
// The difference between it and `telegram` is the overhead of grammY and the adapter. Bench code only: no retries,
// no validation, no 429 handling.

import { Agent, request } from 'node:http';
import type { SentMessage } from '../src/domain/messages.ts';
import type { Channel, DeliveryRef, InboundHandler } from '../src/ports/channel.ts';
import { nextTurn } from '../adapters/channels/shared/turn.ts';

interface Update {
  update_id: number;
  message?: { chat: { id: number }; from: { id: number }; text: string };
}

export class BareTelegram implements Channel {
  readonly name = 'telegram';
  readonly #base: string;
  /** Node's HTTP server (the fake) closes connections idle 5 s; closing ours at 4 s never reuses one it is closing (no retry here). */
  readonly #agent = new Agent({ keepAlive: true, timeout: 4000 });
  #running = false;
  #poll: Promise<void> | undefined;

  constructor(token: string, apiRoot: string) {
    this.#base = `${apiRoot}/bot${token}/`;
  }

  describe(): string {
    return 'bare Telegram long polling (bench)';
  }

  async start(handler: InboundHandler): Promise<void> {
    this.#running = true;
    let offset = 0;
    const loop = async (): Promise<void> => {
      while (this.#running) {
        const updates = (await this.#call('getUpdates', { offset, timeout: 1 })) as Update[];
        for (const u of updates) {
          offset = u.update_id + 1;
          const m = u.message;
          if (!m) continue;
          void nextTurn()
            .then(() =>
              handler.handle(
                {
                  kind: 'message',
                  id: String(u.update_id),
                  channel: 'telegram',
                  chatId: String(m.chat.id),
                  senderId: String(m.from.id),
                  text: m.text,
                },
                this,
              ),
            )
            .catch((err: unknown) => console.error('bare Telegram: handling an update failed', err));
        }
      }
    };
    this.#poll = loop();
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#poll;
    this.#agent.destroy();
  }

  async deliver(chatId: string, message: SentMessage): Promise<DeliveryRef> {
    const sent = (await this.#call('sendMessage', { chat_id: chatId, text: message.text })) as { message_id: number };
    return { channel: 'telegram', chatId, messageId: String(sent.message_id) };
  }

  #call(method: string, params: object): Promise<unknown> {
    const body = JSON.stringify(params);
    return new Promise((resolve, reject) => {
      const req = request(
        `${this.#base}${method}`,
        {
          method: 'POST',
          agent: this.#agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const answer = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
              ok: boolean;
              result?: unknown;
              description?: string;
            };
            if (answer.ok) resolve(answer.result);
            else reject(new Error(`${method}: ${answer.description ?? res.statusCode}`));
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }
}
