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
}

/** Where a delivered message lives on its platform, so that it can be edited later (an approval card after a decision). */
export interface DeliveryRef {
  channel: string;
  chatId: string;
  messageId: string;
}

export interface Channel {
  readonly name: string;
  start(handler: InboundHandler): Promise<void>;
  stop(): Promise<void>;
  /** Puts an already recorded message in front of the user; returns the platform's reference when it has one. */
  deliver(chatId: string, message: SentMessage): Promise<DeliveryRef | undefined>;
  /** Replaces a delivered message's text and buttons (e.g. an approval card once decided). */
  edit?(ref: DeliveryRef, message: SentMessage): Promise<void>;
  /** Shows "typing…" while work is under way, where the platform has it. */
  typing?(chatId: string): Promise<void>;
  /** One line for /status, e.g. "web chat at http://127.0.0.1:3000". */
  describe(): string;
}

export const chatStream = (channel: string, chatId: string): string => `chat:${channel}:${chatId}`;
