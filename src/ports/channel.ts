// The channel port: every chat surface (web chat, Telegram, Slack, Discord) is an adapter behind this.
// Adapters translate platform updates into InboundEvents and hand them to the InboundHandler. Every outbound
// message is first recorded in the event log (stream `chat:<channel>:<chatId>`, type message.sent: an outbox),
// then handed to the channel's `deliver`. The web chat's transcript is that stream.

import type { InboundEvent, SentMessage } from '../domain/messages.ts';

export const Outcome = {
  handled: 'handled',
  duplicate: 'duplicate',
  refused: 'refused',
  rateLimited: 'rate_limited',
  unknownAction: 'unknown_action',
  /** The input was not acceptable (too long, malformed); the reply says why in one sentence. */
  invalid: 'invalid',
  failed: 'failed',
} as const;
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

export interface HandleResult {
  outcome: Outcome;
  replies: SentMessage[];
}

/** A command as platforms list it in their menus (Telegram setMyCommands, Discord application commands). */
export interface CommandInfo {
  name: string;
  usage?: string;
  description: string;
}

export interface InboundHandler {
  handle(event: InboundEvent, channel: Channel): Promise<HandleResult>;
  /** The commands to register with platforms that show a command menu. */
  commands(): CommandInfo[];
  /** What `GET /healthz` answers: each channel's health in a word or a sentence. */
  health?(): HealthReport;
}

/** Where a channel's connection to its platform stands. */
export const ChannelState = {
  /** The first connection (or a reconnection) is under way. */
  starting: 'starting',
  connected: 'connected',
  /** Not connected; attempts continue with backoff (the channel's own or the SDK's). */
  retrying: 'retrying',
  /** Not connected, and retrying cannot help (e.g. the platform refused the credentials). */
  failed: 'failed',
  stopped: 'stopped',
} as const;
export type ChannelState = (typeof ChannelState)[keyof typeof ChannelState];

export interface ChannelHealth {
  state: ChannelState;
  /** Since when it is in this state. */
  since: Date;
  /** Why it is retrying or failed: the last error, in a phrase. */
  reason?: string;
  /** Retrying with backoff: when the next attempt is due. */
  nextAttemptAt?: Date;
}

/** `GET /healthz`: "ok" while every channel is connected, "degraded" while one is not (the web chat still works). */
export interface HealthReport {
  status: 'ok' | 'degraded';
  /** Channel name → "ok", "starting", "retrying: <why>; next attempt in N s", "failed: <why>" or "stopped". */
  channels: Record<string, string>;
}

/** One line for a channel's health: "ok" when connected. */
export function describeHealth(health: ChannelHealth, now = Date.now()): string {
  switch (health.state) {
    case ChannelState.connected:
      return 'ok';
    case ChannelState.retrying: {
      const next = health.nextAttemptAt
        ? `; next attempt in ${Math.max(0, Math.ceil((health.nextAttemptAt.getTime() - now) / 1000))} s`
        : '';
      return `retrying: ${health.reason ?? 'not connected'}${next}`;
    }
    case ChannelState.failed:
      return `failed: ${health.reason ?? 'not connected'}`;
    default:
      return health.state;
  }
}

/**
 * What a platform channel reports about its connection after start() resolved. The SDKs reconnect by themselves
 * after most losses; a channel says so with `reconnecting`, and `connected` when it is back. When a connection has
 * ended for good (the SDK gives up, or has no reconnect of its own), `lost` hands it back to whoever started the
 * channel, who stops it and starts it again with backoff.
 */
export interface ChannelMonitor {
  reconnecting(reason: unknown): void;
  connected(): void;
  lost(reason: unknown): void;
}

/** Where a delivered message lives on its platform, so that it can be edited later (an approval card after a decision). */
export interface DeliveryRef {
  channel: string;
  chatId: string;
  messageId: string;
}

export interface Channel {
  readonly name: string;
  /**
   * Resolves once the channel can receive and send; rejects if it cannot (a SoloError that is not `retryable`
   * when trying again cannot help, e.g. refused credentials). After a rejection or stop(), start() may be called
   * again. stop() while start() is under way makes start() reject promptly.
   */
  start(handler: InboundHandler, monitor?: ChannelMonitor): Promise<void>;
  /** Stops receiving and cancels what is still waiting on the platform; resolves within a few seconds. */
  stop(): Promise<void>;
  /** Puts an already recorded message in front of the user; returns the platform's reference when it has one. */
  deliver(chatId: string, message: SentMessage): Promise<DeliveryRef | undefined>;
  /** Replaces a delivered message's text and buttons (e.g. an approval card once decided). */
  edit?(ref: DeliveryRef, message: SentMessage): Promise<void>;
  /** Shows "typing…" while work is under way, where the platform has it. */
  typing?(chatId: string): Promise<void>;
  /**
   * Gives the chat a file (an /export): sent as a document where the platform takes files, or kept for download
   * (`link`, behind the channel's own auth) by the web chat. Undefined when this channel cannot: send text instead.
   * `notSent` when the platform takes files but refused this one for good (a missing permission, over its size
   * limit): the caller sends text instead and tells the operator why. A failure worth retrying throws.
   */
  deliverFile?(chatId: string, file: OutboundFile): Promise<FileDelivery | undefined>;
  /** One line for /status, e.g. "web chat at http://127.0.0.1:3000". */
  describe(): string;
  /** Where the connection to the platform stands; a channel without one (the web chat) is always connected. */
  health?(): ChannelHealth;
}

export interface OutboundFile {
  /** A plain file name, e.g. `memories-2026-12-05.md`. */
  name: string;
  contentType: string;
  data: Buffer;
}

export interface FileDelivery {
  /** Where the operator downloads it (web chat), when the file was not put in the chat itself. */
  link?: string;
  /** The file did not go out and retrying cannot help: why, in one sentence for the operator. */
  notSent?: string;
}

export const chatStream = (channel: string, chatId: string): string => `chat:${channel}:${chatId}`;
