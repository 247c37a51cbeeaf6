// The fake Discord gateway: a real WebSocket endpoint speaking gateway v10 with JSON encoding and no compression
// (https://discord.com/developers/docs/events/gateway). HELLO on connect, ACK for every heartbeat, READY then
// GUILD_CREATE after IDENTIFY, RESUMED after a valid RESUME, close codes for protocol mistakes. Tests push
// dispatches (MESSAGE_CREATE, INTERACTION_CREATE, …) to every identified session.

import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { snowflake } from './model.ts';

const Op = {
  dispatch: 0,
  heartbeat: 1,
  identify: 2,
  presence: 3,
  resume: 6,
  invalidSession: 9,
  hello: 10,
  heartbeatAck: 11,
} as const;
const Close = {
  unknownOpcode: 4001,
  decodeError: 4002,
  notAuthenticated: 4003,
  authenticationFailed: 4004,
  alreadyAuthenticated: 4005,
  disallowedIntents: 4014,
} as const;

export interface GatewayFrame {
  op: number;
  d?: unknown;
  s?: number | null;
  t?: string | null;
}

/** A gateway session outlives its connection: a client that lost it may RESUME and gets the dispatches it missed. */
interface Session {
  id: string;
  intents: number;
  seq: number;
  /** Every dispatch of this session, for replay on RESUME. */
  history: GatewayFrame[];
  connection?: Connection | undefined;
}

interface Connection {
  socket: WebSocket;
  session?: Session;
}

export interface GatewayHooks {
  /** Whether the token presented in IDENTIFY/RESUME is the bot's. */
  tokenIsValid(token: string): boolean;
  /** Whether the application may use these intents (privileged ones are switched on in the Developer Portal). */
  intentsAllowed(intents: number): boolean;
  /** READY's `d` and the dispatches that follow it (GUILD_CREATE for each guild). */
  ready(sessionId: string): { ready: unknown; guilds: unknown[] };
  /** Every frame the client sent, for assertions. */
  record(frame: GatewayFrame): void;
}

export class FakeGateway {
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly #connections = new Set<Connection>();
  readonly #sessions = new Map<string, Session>();
  readonly #closed = new EventEmitter();
  readonly #hooks: GatewayHooks;
  readonly #heartbeatInterval: number;

  constructor(hooks: GatewayHooks, heartbeatInterval: number) {
    this.#hooks = hooks;
    this.#heartbeatInterval = heartbeatInterval;
  }

  /** Number of connections that have identified (or resumed) and are still open. */
  get liveSessions(): number {
    return [...this.#connections].filter((c) => c.session !== undefined).length;
  }

  /** Resolves once no client is connected (after the client's stop()). */
  async idle(): Promise<void> {
    while (this.#connections.size > 0) await new Promise((resolve) => this.#closed.once('closed', resolve));
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws));
  }

  /** Dispatches to every session whose intents include `intent` (interactions need none); disconnected ones get it on RESUME. */
  dispatch(t: string, d: unknown, intent = 0): void {
    for (const session of this.#sessions.values()) {
      if (intent === 0 || (session.intents & intent) !== 0) this.#dispatchTo(session, t, d);
    }
  }

  /** Sends raw text to every identified connection: for testing how the client copes with garbage. */
  sendRaw(text: string): void {
    for (const c of this.#connections) if (c.session) c.socket.send(text);
  }

  /** Drops every connection without a close frame, as a network failure does; sessions stay resumable. */
  cut(): void {
    for (const c of this.#connections) c.socket.terminate();
  }

  async close(): Promise<void> {
    for (const c of this.#connections) c.socket.terminate();
    this.#connections.clear();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }

  #accept(socket: WebSocket): void {
    const connection: Connection = { socket };
    this.#connections.add(connection);
    socket.on('message', (data, isBinary) => this.#onFrame(connection, data, isBinary));
    socket.on('close', () => {
      this.#connections.delete(connection);
      if (connection.session) connection.session.connection = undefined;
      this.#closed.emit('closed');
    });
    socket.on('error', () => socket.terminate());
    this.#send(connection, {
      op: Op.hello,
      d: { heartbeat_interval: this.#heartbeatInterval, _trace: ['fake-gateway'] },
    });
  }

  #onFrame(connection: Connection, data: RawData, isBinary: boolean): void {
    let frame: GatewayFrame;
    try {
      if (isBinary) throw new Error('binary frames need a compression the client did not ask for');
      frame = JSON.parse(textOf(data)) as GatewayFrame;
      if (typeof frame !== 'object' || frame === null || typeof frame.op !== 'number') throw new Error('no op');
    } catch {
      return connection.socket.close(Close.decodeError, 'Error while decoding payload.');
    }
    this.#hooks.record(frame);
    switch (frame.op) {
      case Op.heartbeat:
        return this.#send(connection, { op: Op.heartbeatAck });
      case Op.identify:
        return this.#identify(connection, frame.d as { token?: string; intents?: number } | undefined);
      case Op.resume:
        return this.#resume(connection, frame.d as { token?: string; session_id?: string; seq?: number } | undefined);
      case Op.presence:
        if (!connection.session) connection.socket.close(Close.notAuthenticated, 'Not authenticated.');
        return;
      default:
        return connection.socket.close(Close.unknownOpcode, 'Unknown opcode.');
    }
  }

  #identify(connection: Connection, d: { token?: string; intents?: number } | undefined): void {
    if (connection.session) return connection.socket.close(Close.alreadyAuthenticated, 'Already authenticated.');
    if (!d?.token || !this.#hooks.tokenIsValid(d.token))
      return connection.socket.close(Close.authenticationFailed, 'Authentication failed.');
    if (!this.#hooks.intentsAllowed(d.intents ?? 0))
      return connection.socket.close(Close.disallowedIntents, 'Disallowed intent(s).');
    const session: Session = { id: snowflake(), intents: d.intents ?? 0, seq: 0, history: [], connection };
    connection.session = session;
    this.#sessions.set(session.id, session);
    const { ready, guilds } = this.#hooks.ready(session.id);
    this.#dispatchTo(session, 'READY', ready);
    for (const guild of guilds) this.#dispatchTo(session, 'GUILD_CREATE', guild);
  }

  #resume(connection: Connection, d: { token?: string; session_id?: string; seq?: number } | undefined): void {
    if (!d?.token || !this.#hooks.tokenIsValid(d.token))
      return connection.socket.close(Close.authenticationFailed, 'Authentication failed.');
    const session = d.session_id === undefined ? undefined : this.#sessions.get(d.session_id);
    if (!session || session.connection) return this.#send(connection, { op: Op.invalidSession, d: false });
    session.connection = connection;
    connection.session = session;
    // Discord replays what the client missed after the sequence number it last saw, then says RESUMED.
    for (const frame of session.history) if ((frame.s ?? 0) > (d.seq ?? 0)) this.#send(connection, frame);
    this.#dispatchTo(session, 'RESUMED', { _trace: ['fake-gateway'] });
  }

  #dispatchTo(session: Session, t: string, d: unknown): void {
    session.seq += 1;
    const frame = { op: Op.dispatch, t, s: session.seq, d };
    session.history.push(frame);
    if (session.connection) this.#send(session.connection, frame);
  }

  #send(connection: Connection, frame: GatewayFrame): void {
    if (connection.socket.readyState === connection.socket.OPEN)
      connection.socket.send(JSON.stringify({ s: null, t: null, ...frame }));
  }
}

function textOf(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
}
