// Slack's side of Socket Mode. apps.connections.open hands out a single-use ticket URL; the app connects to it,
// gets `hello`, then receives envelopes { envelope_id, type, payload, accepts_response_payload } and must answer
// each with { envelope_id, payload? } (the ack). Every envelope sent and every ack received is recorded.

import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';

export type EnvelopeType = 'events_api' | 'slash_commands' | 'interactive';

export interface Ack {
  envelope_id: string;
  payload?: unknown;
}

export interface Sent {
  envelopeId: string;
  /** Resolves with the app's ack; rejects if none comes within a few seconds, so a missing ack fails by name. */
  acked: Promise<Ack>;
}

const ACK_WAIT_MS = 5000;

export class SocketModeServer {
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly #appId: string;
  readonly #tickets = new Set<string>();
  readonly #waiting = new Map<string, { resolve: (ack: Ack) => void; timer: NodeJS.Timeout }>();
  #socket: WebSocket | undefined;
  /** Every envelope id delivered, in order. */
  readonly delivered: string[] = [];
  readonly #deliveredIds = new Set<string>();
  readonly acks = new Map<string, Ack>();
  /** Frames from the app that are not acks Slack would accept. */
  readonly protocolErrors: string[] = [];
  connections = 0;

  constructor(appId: string) {
    this.#appId = appId;
  }

  /** What apps.connections.open returns: a WebSocket URL with a fresh single-use ticket. */
  issueUrl(httpBase: string): string {
    const ticket = randomUUID();
    this.#tickets.add(ticket);
    return `${httpBase.replace(/^http/, 'ws')}/link/?ticket=${ticket}&app_id=${this.#appId}`;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const ticket = url.searchParams.get('ticket') ?? '';
    if (url.pathname !== '/link/' || !this.#tickets.delete(ticket)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws));
  }

  #accept(ws: WebSocket): void {
    this.connections += 1;
    this.#socket = ws;
    ws.on('message', (data, isBinary) => this.#onFrame(isBinary ? '' : Buffer.from(data as Buffer).toString('utf8')));
    ws.on('close', () => {
      if (this.#socket === ws) this.#socket = undefined;
    });
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: 1,
        debug_info: { host: 'applink-fake', build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: this.#appId },
      }),
    );
  }

  #onFrame(raw: string): void {
    let frame: unknown;
    try {
      frame = JSON.parse(raw);
    } catch {
      return void this.protocolErrors.push(`not JSON: ${raw.slice(0, 80)}`);
    }
    const id = typeof frame === 'object' && frame !== null && 'envelope_id' in frame ? frame.envelope_id : undefined;
    if (typeof id !== 'string' || !this.#deliveredIds.has(id))
      return void this.protocolErrors.push(`ack for an unknown envelope: ${raw.slice(0, 120)}`);
    if (this.acks.has(id)) return void this.protocolErrors.push(`second ack for ${id}`);
    const ack = frame as Ack;
    this.acks.set(id, ack);
    const waiter = this.#waiting.get(id);
    this.#waiting.delete(id);
    if (!waiter) return;
    clearTimeout(waiter.timer);
    waiter.resolve(ack);
  }

  /** Delivers an envelope of the given type, as Slack would. */
  send(type: EnvelopeType, payload: unknown): Sent {
    return this.sendFrame({
      type,
      payload,
      accepts_response_payload: type === 'slash_commands',
      retry_attempt: 0,
      retry_reason: '',
    });
  }

  /** Delivers any frame with a fresh envelope_id; for envelopes Slack should never send, malformed ones included. */
  sendFrame(frame: Record<string, unknown>): Sent {
    const socket = this.#socket;
    if (!socket) throw new Error('no app is connected over Socket Mode');
    const envelopeId = randomUUID();
    this.delivered.push(envelopeId);
    this.#deliveredIds.add(envelopeId);
    const acked = new Promise<Ack>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`envelope ${envelopeId} (${String(frame.type)}) was not acked`)),
        ACK_WAIT_MS,
      );
      this.#waiting.set(envelopeId, { resolve, timer });
    });
    socket.send(JSON.stringify({ envelope_id: envelopeId, ...frame }));
    return { envelopeId, acked };
  }

  /** Delivered envelopes without an ack. */
  unacked(): string[] {
    return this.delivered.filter((id) => !this.acks.has(id));
  }

  /** Drops the connection without a close frame, as a network failure does. */
  cut(): void {
    for (const client of this.#wss.clients) client.terminate();
  }

  async close(): Promise<void> {
    for (const { timer } of this.#waiting.values()) clearTimeout(timer);
    this.#waiting.clear();
    for (const client of this.#wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }
}
