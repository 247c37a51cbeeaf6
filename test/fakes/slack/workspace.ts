// The fake Slack workspace: one team, one app with its bot, the people's DM channels, and every message posted in
// them. Also builds the payloads Slack would send for what people do (write a DM, run a slash command, click a
// button), shaped like the real ones, so the same payload can travel by Socket Mode or by HTTP.

import { randomUUID } from 'node:crypto';

export interface Block {
  type: string;
  block_id?: string;
  text?: { type: string; text: string };
  elements?: { type: string; action_id?: string; value?: string; text?: { type: string; text: string } }[];
}

export interface StoredMessage {
  type: 'message';
  /** 'file_share' for a message that shares files. */
  subtype?: string;
  channel: string;
  ts: string;
  user: string;
  bot_id?: string;
  text: string;
  blocks: Block[];
  /** The files a file_share message carries (Slack's file objects, as files.completeUploadExternal returns them). */
  files?: Record<string, unknown>[];
  edited?: { user: string; ts: string };
}

/** A file uploaded through files.getUploadURLExternal, its bytes once posted to the upload URL. */
export interface StoredFile {
  id: string;
  name: string;
  title: string;
  /** The `length` given to files.getUploadURLExternal. */
  declaredLength: number;
  user: string;
  created: number;
  /** The secret part of the upload URL. */
  ticket: string;
  data?: Buffer;
  /** The channels it was shared into by files.completeUploadExternal. */
  sharedIn: string[];
}

/** Slack escapes these three in message text it sends to apps, and expects them escaped in what apps post. */
const slackEscape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const newEventId = (): string => `Ev${randomUUID().replace(/-/g, '').slice(0, 10).toUpperCase()}`;

export class Workspace {
  readonly team = { id: 'T0SOLOFAKE', name: 'Solo Fake', domain: 'solo-fake' };
  readonly app = { id: 'A0SOLOFAKE' };
  readonly bot = { userId: 'U0SOLOBOT', botId: 'B0SOLOBOT', name: 'solo' };
  readonly botToken = 'xoxb-1-fake-bot-token';
  readonly appToken = 'xapp-1-A0SOLOFAKE-fake-app-token';
  /** DM channel id → the person on the other side. */
  readonly ims = new Map<string, string>();
  readonly messages = new Map<string, StoredMessage[]>();
  /** The bot token's scopes; a method needing another answers missing_scope. */
  readonly scopes = new Set(['chat:write', 'im:history', 'commands', 'files:write']);
  readonly files = new Map<string, StoredFile>();
  #seq = 0;

  /** Slack message timestamps: seconds, a dot, six digits; unique and increasing within a channel. */
  nextTs(): string {
    this.#seq += 1;
    return `${Math.floor(Date.now() / 1000)}.${String(this.#seq).padStart(6, '0')}`;
  }

  /** The DM channel between the app and a person (conversations.open does this in Slack). */
  openIm(userId: string): string {
    for (const [channel, user] of this.ims) if (user === userId) return channel;
    const channel = `D0${userId.replace(/^U0?/, '')}${this.ims.size}`;
    this.ims.set(channel, userId);
    this.messages.set(channel, []);
    return channel;
  }

  /** A channel id, or a person's id (Slack posts to the app's DM with them). */
  resolveChannel(idOrUser: string): string | undefined {
    if (this.ims.has(idOrUser)) return idOrUser;
    for (const [channel, user] of this.ims) if (user === idOrUser) return channel;
    return undefined;
  }

  find(channel: string, ts: string): StoredMessage | undefined {
    return this.messages.get(channel)?.find((m) => m.ts === ts);
  }

  store(message: StoredMessage): StoredMessage {
    this.messages.get(message.channel)?.push(message);
    return message;
  }

  #authorizations() {
    return [
      {
        enterprise_id: null,
        team_id: this.team.id,
        user_id: this.bot.userId,
        is_bot: true,
        is_enterprise_install: false,
      },
    ];
  }

  /** A person writes in their DM with the app: the message is stored, and this is the events_api payload. */
  directMessage(user: string, text: string): { payload: Record<string, unknown>; eventId: string; ts: string } {
    const channel = this.openIm(user);
    const ts = this.nextTs();
    const escaped = slackEscape(text);
    this.store({ type: 'message', channel, ts, user, text: escaped, blocks: [] });
    const eventId = newEventId();
    const event = {
      type: 'message',
      channel,
      user,
      text: escaped,
      ts,
      event_ts: ts,
      channel_type: 'im',
      client_msg_id: randomUUID(),
      team: this.team.id,
    };
    return { payload: this.eventCallback(event, eventId), eventId, ts };
  }

  /** The event_callback wrapper every Events API event arrives in. */
  eventCallback(event: Record<string, unknown>, eventId = newEventId()): Record<string, unknown> {
    return {
      token: 'verification-token-unused',
      team_id: this.team.id,
      context_team_id: this.team.id,
      api_app_id: this.app.id,
      event,
      type: 'event_callback',
      event_id: eventId,
      event_time: Math.floor(Date.now() / 1000),
      authorizations: this.#authorizations(),
      is_ext_shared_channel: false,
    };
  }

  /** A person runs a slash command in their DM with the app. Slack sends every field as a string. */
  slashCommand(user: string, command: string, text: string): Record<string, string> {
    const channel = this.openIm(user);
    return {
      token: 'verification-token-unused',
      team_id: this.team.id,
      team_domain: this.team.domain,
      channel_id: channel,
      channel_name: 'directmessage',
      user_id: user,
      user_name: user.toLowerCase(),
      command,
      text: slackEscape(text),
      api_app_id: this.app.id,
      is_enterprise_install: 'false',
      response_url: `https://hooks.slack.invalid/commands/${this.team.id}/${Date.now()}/fake`,
      trigger_id: `${Date.now()}.${randomUUID().slice(0, 8)}`,
    };
  }

  /** A person clicks the button with this value on a message. Only a button that exists can be clicked. */
  click(user: string, channel: string, ts: string, value: string): Record<string, unknown> {
    const message = this.find(channel, ts);
    if (!message) throw new Error(`no message ${ts} in ${channel} to click on`);
    for (const block of message.blocks) {
      const button = block.elements?.find((e) => e.type === 'button' && e.value === value);
      if (!button) continue;
      return {
        type: 'block_actions',
        user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: this.team.id },
        api_app_id: this.app.id,
        token: 'verification-token-unused',
        container: { type: 'message', message_ts: ts, channel_id: channel, is_ephemeral: false },
        trigger_id: `${Date.now()}.${randomUUID().slice(0, 8)}`,
        team: { id: this.team.id, domain: this.team.domain },
        enterprise: null,
        is_enterprise_install: false,
        channel: { id: channel, name: 'directmessage' },
        message: { ...message },
        state: { values: {} },
        response_url: `https://hooks.slack.invalid/actions/${this.team.id}/${Date.now()}/fake`,
        actions: [{ ...button, block_id: block.block_id, type: 'button', action_ts: `${Date.now() / 1000}` }],
      };
    }
    throw new Error(`message ${ts} in ${channel} has no button with value ${value}`);
  }
}
