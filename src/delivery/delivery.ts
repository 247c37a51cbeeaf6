// The one way out. Every bot message is recorded in its chat's stream first (the outbox: `message.sent` in
// `chat:<channel>:<chat>`, with a dedupe key when it must go out once) and only then handed to the channel. Around
// that: where a run's messages go when the chat that started it cannot take them, copies of a new approval card in
// the operator's preferred chat, editing every copy after a decision, proactive messages held through quiet hours,
// and operator notices (which are not held: they say something was stopped).

import { z } from 'zod';
import { newEvent } from '../domain/events.ts';
import type { OutboundMessage, SentMessage } from '../domain/messages.ts';
import type { RunDelivery } from '../engine/engine.ts';
import { appendBatcher } from '../events/append-batcher.ts';
import type { Logger } from '../observability/logger.ts';
import type { Policy } from '../policy/schema.ts';
import { chatStream, type Channel } from '../ports/channel.ts';
import type { ApprovalRecord, RunOrigin } from '../ports/engine-store.ts';
import type { EventLog, SettingsStore } from '../ports/store.ts';
import { setting, settingFamily } from '../settings/setting.ts';
import { LastChats } from './last-chats.ts';
import { QuietHours, type Wake } from './quiet.ts';

export type Target = RunOrigin;

const target = z.object({ channel: z.string(), chatId: z.string() });

export interface DeliveryOptions {
  events: EventLog;
  settings: SettingsStore;
  /** The channels running now. */
  channels: () => Channel[];
  /** The policy in force (quiet hours). */
  policy: () => Policy;
  logger: Logger;
  /** The last resort for proactive messages: the local web chat. */
  fallback: Target;
}

export interface SendOptions {
  /** The inbound update this answers. */
  inReplyTo?: string;
  /** A message recorded before under this key is returned as it was and not delivered again. */
  dedupeKey?: string;
  /**
   * The channel object to deliver through: a reply goes back through the one its update came on (a Discord slash
   * command's answer is the interaction's reply, not a new message). Default: the running channel of that name.
   */
  via?: Channel;
}

export class Delivery implements RunDelivery {
  readonly #o: DeliveryOptions;
  readonly #log: Logger;
  readonly #preferred;
  readonly #lastChats: LastChats;
  readonly #quiet: QuietHours;
  #notices: string[] | undefined = [];

  constructor(options: DeliveryOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'delivery' });
    this.#preferred = setting(options.settings, 'preferred-chat', target, this.#log);
    this.#lastChats = new LastChats(settingFamily(options.settings, 'last-chat', z.string(), this.#log), this.#log);
    this.#quiet = new QuietHours(
      options.settings,
      options.policy,
      (message, dedupeKey) => this.#proactive(message, dedupeKey),
      this.#log,
    );
  }

  /** Records the message in the chat's stream, then hands it to the channel. */
  async send(to: Target, message: OutboundMessage, options: SendOptions = {}): Promise<SentMessage> {
    const channel = options.via ?? this.#o.channels().find((c) => c.name === to.channel);
    if (!channel) throw new Error(`no ${to.channel} channel is running`);
    const buttons = message.buttons ?? [];
    const data = {
      channel: to.channel,
      chatId: to.chatId,
      text: message.text,
      buttons,
      ...(options.inReplyTo ? { inReplyTo: options.inReplyTo } : {}),
    };
    // Group-committed with the other appends of this event-loop turn; recorded before it is delivered all the same.
    const { event, duplicate } = await appendBatcher(this.#o.events).append(
      newEvent('message.sent', chatStream(to.channel, to.chatId), data, options.dedupeKey),
    );
    const sent: SentMessage = { id: String(event.seq), text: message.text, buttons };
    if (duplicate) return sent;
    const ref = await channel.deliver(to.chatId, sent);
    return ref ? { ...sent, ref } : sent;
  }

  /** Tries each target in order until one channel takes the message; the web chat is the last resort. */
  async #first(targets: Target[], message: OutboundMessage, dedupeKey?: string): Promise<SentMessage> {
    const all = [...targets, this.#o.fallback];
    for (const [i, to] of all.entries()) {
      if (!this.#o.channels().some((c) => c.name === to.channel)) continue;
      // Each target has its own dedupe key: a copy recorded for a target that failed must not block the next one.
      const key =
        dedupeKey === undefined ? {} : { dedupeKey: i === 0 ? dedupeKey : `${dedupeKey}@${to.channel}:${to.chatId}` };
      try {
        return await this.send(to, message, key);
      } catch (err) {
        this.#log.warn({ err, channel: to.channel }, 'could not deliver a message; trying the next chat');
      }
    }
    throw new Error('no channel could take the message');
  }

  /** Where proactive messages go, best first: the preferred chat, then the last chat on each other channel. */
  async targets(): Promise<Target[]> {
    const targets: Target[] = [];
    const preferred = await this.#preferred.get();
    if (preferred) targets.push(preferred);
    for (const channel of this.#o.channels()) {
      const chatId = await this.#lastChats.get(channel.name);
      if (chatId && !targets.some((t) => t.channel === channel.name && t.chatId === chatId))
        targets.push({ channel: channel.name, chatId });
    }
    return targets;
  }

  /** Approval cards and notices go to this chat first (/prefer). */
  prefer(to: Target): Promise<void> {
    return this.#preferred.set(to);
  }

  /** Remembers the chat the operator last used on a channel (a fallback for proactive messages); cheap per message. */
  rememberChat(channel: string, chatId: string): void {
    this.#lastChats.remember(channel, chatId);
  }

  // ---- RunDelivery: what the engine needs ----

  async toRun(origin: RunOrigin, message: OutboundMessage, options: { dedupeKey?: string } = {}): Promise<SentMessage> {
    // A run nobody asked for just now speaks like a digest: held through quiet hours, then to the preferred chat.
    if (origin.proactive) return this.notify(message, options);
    return this.#first([origin, ...(await this.targets())], message, options.dedupeKey);
  }

  async copyCard(origin: RunOrigin, card: OutboundMessage, dedupeKey: string): Promise<SentMessage[]> {
    if (origin.proactive) return []; // it went to the preferred chat already (or is held for it)
    const preferred = await this.#preferred.get();
    if (!preferred || (preferred.channel === origin.channel && preferred.chatId === origin.chatId)) return [];
    if (!this.#o.channels().some((c) => c.name === preferred.channel)) return [];
    return [await this.send(preferred, card, { dedupeKey: `${dedupeKey}@preferred` })];
  }

  async cardDecided(approval: ApprovalRecord, text: OutboundMessage): Promise<void> {
    for (const ref of approval.deliveries ?? []) {
      const channel = this.#o.channels().find((c) => c.name === ref.channel);
      await channel
        ?.edit?.(ref, { id: ref.messageId, text: text.text, buttons: [] })
        .catch((err: unknown) => this.#log.warn({ err, ref }, 'could not update a card'));
    }
  }

  // ---- Proactive messages and notices ----

  #proactive(message: OutboundMessage, dedupeKey?: string): Promise<SentMessage> {
    return this.targets().then((targets) => this.#first(targets, message, dedupeKey));
  }

  /**
   * A message nobody asked for right now (a digest, a reminder): sent, or held until quiet hours end. With a dedupe
   * key it goes out once, however often it is sent, held or released.
   */
  notify(message: OutboundMessage, options: { dedupeKey?: string } = {}): Promise<SentMessage> {
    return this.#quiet.send(message, options.dedupeKey);
  }

  /** Held messages: the scheduler wakes their release from now on (any process on the store may run it). */
  releaseWith(wake: Wake): Promise<void> {
    return this.#quiet.wakeWith(wake);
  }

  /** Sends the held messages if quiet hours are over (the scheduler's release job). */
  releaseHeld(): Promise<void> {
    return this.#quiet.release();
  }

  /** How many proactive messages are held until quiet hours end. */
  held(): Promise<number> {
    return this.#quiet.held();
  }

  /** An operator notice (a policy file rejected, an action blocked): never held; queued until delivery starts. */
  notice(text: string): void {
    if (this.#notices) return void this.#notices.push(text);
    this.#proactive({ text }).catch((err: unknown) => this.#log.warn({ err }, 'could not deliver a notice'));
  }

  /** Once the channels are up: releases held messages when quiet hours have ended, and sends queued notices. */
  async start(): Promise<void> {
    await this.#quiet.start();
    const queued = this.#notices ?? [];
    this.#notices = undefined;
    for (const text of queued) this.notice(text);
  }

  /** Stops the quiet-hours timer and waits for the last-chat writes in flight. */
  async stop(): Promise<void> {
    this.#quiet.stop();
    await this.#lastChats.flushed();
  }
}
